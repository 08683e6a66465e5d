-- Drill-down: the transcript of one call (point lookup on call_id).
SELECT turn, speaker, start_ms, end_ms, text
FROM utterances
WHERE call_id = 'C20261020-001234'
ORDER BY start_ms
