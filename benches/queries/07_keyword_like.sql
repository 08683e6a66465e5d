-- Analyst: keyword search over transcripts (LIKE / ILIKE), hits per day and speaker.
SELECT date,
       speaker,
       count(*) AS hits,
       count(DISTINCT call_id) AS calls
FROM utterances
WHERE text LIKE '%投诉%' OR text LIKE '%退款%' OR text ILIKE '%refund%' OR text ILIKE '%manager%'
GROUP BY 1, 2
ORDER BY 1, 2
