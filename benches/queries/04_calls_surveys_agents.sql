-- Analyst: calls joined with surveys and agents: NPS, mean CSAT and talk time per team and site.
SELECT a.team,
       a.site,
       count(*) AS answered,
       100.0 * avg(CASE WHEN s.nps >= 9 THEN 1.0 ELSE 0.0 END)
         - 100.0 * avg(CASE WHEN s.nps <= 6 THEN 1.0 ELSE 0.0 END) AS nps,
       avg(s.csat) AS avg_csat,
       avg(c.talk_ms) / 1000.0 AS avg_talk_s
FROM calls c
JOIN surveys s ON s.call_id = c.call_id
JOIN agents a ON a.agent_id = c.agent_id
GROUP BY 1, 2
ORDER BY 1, 2
