-- QA: the 20 calls with the longest dead air (callqa aggregate max_silence_ms over the utterance intervals).
SELECT call_id,
       max_silence_ms(start_ms, end_ms) AS longest_silence_ms
FROM utterances
GROUP BY call_id
ORDER BY longest_silence_ms DESC, call_id
LIMIT 20
