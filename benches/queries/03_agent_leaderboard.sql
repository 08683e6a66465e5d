-- Dashboard: agent leaderboard for the last 7 days (handled calls, AHT, resolution, CSAT), top 20.
SELECT a.agent_id,
       a.name,
       a.team,
       count(*) AS handled,
       avg((c.talk_ms + c.hold_ms + c.acw_ms) / 1000.0) AS aht_s,
       avg(CASE WHEN c.outcome = 'resolved' THEN 1.0 ELSE 0.0 END) AS resolved_rate,
       avg(CASE WHEN s.csat >= 4 THEN 1.0 WHEN s.csat IS NOT NULL THEN 0.0 END) AS csat,
       count(s.csat) AS answered
FROM calls c
JOIN agents a ON a.agent_id = c.agent_id
LEFT JOIN surveys s ON s.call_id = c.call_id
WHERE c.started_at >= '2026-10-28 00:00:00' AND c.started_at < '2026-11-04 00:00:00'
  AND c.outcome NOT IN ('abandoned', 'no_answer')
GROUP BY a.agent_id, a.name, a.team
HAVING count(*) >= 50
ORDER BY csat DESC, handled DESC, a.agent_id
LIMIT 20
