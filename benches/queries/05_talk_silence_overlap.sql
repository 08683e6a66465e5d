-- Analyst: per-call talk, silence and overlap seconds from audio_features for one week (one row per call).
SELECT call_id,
       sum(CASE WHEN speaker = 'agent' AND voiced THEN 1 ELSE 0 END) AS agent_talk_s,
       sum(CASE WHEN speaker = 'customer' AND voiced THEN 1 ELSE 0 END) AS customer_talk_s,
       sum(CASE WHEN speaker = 'agent' AND overlap THEN 1 ELSE 0 END) AS overlap_s,
       max(second) + 1 AS duration_s,
       max(second) + 1
         - sum(CASE WHEN voiced THEN 1 ELSE 0 END)
         + sum(CASE WHEN speaker = 'agent' AND overlap THEN 1 ELSE 0 END) AS silence_s
FROM audio_features
WHERE date >= '2026-10-20' AND date <= '2026-10-26'
GROUP BY call_id
ORDER BY call_id
