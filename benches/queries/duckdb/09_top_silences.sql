-- Rewrite: max_silence_ms(start_ms, end_ms) is a callqa aggregate. Equivalent in plain SQL: the gap
-- before each utterance is its start minus the latest end of the utterances before it (by start),
-- 0 for the first one and for overlaps; the call's longest gap is the max. Same answer as callqa.
SELECT call_id,
       max(CASE WHEN rn = 1 OR start_ms <= prev_end THEN 0 ELSE start_ms - prev_end END) AS longest_silence_ms
FROM (SELECT call_id,
             start_ms,
             row_number() OVER (PARTITION BY call_id ORDER BY start_ms, end_ms) AS rn,
             max(end_ms) OVER (PARTITION BY call_id ORDER BY start_ms, end_ms
                               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end
      FROM utterances) t
GROUP BY call_id
ORDER BY longest_silence_ms DESC, call_id
LIMIT 20
