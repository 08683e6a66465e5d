-- Analyst: CSAT (share of 4-5 answers) and complaint rate of handled calls by region and weekday (0 = Sunday).
SELECT c.region,
       date_part('dow', c.started_at) AS weekday,
       count(*) AS handled,
       avg(CASE WHEN c.complaint THEN 1.0 ELSE 0.0 END) AS complaint_rate,
       count(s.csat) AS answered,
       avg(CASE WHEN s.csat >= 4 THEN 1.0 WHEN s.csat IS NOT NULL THEN 0.0 END) AS csat
FROM calls c
LEFT JOIN surveys s ON s.call_id = c.call_id
WHERE c.outcome NOT IN ('abandoned', 'no_answer')
GROUP BY 1, 2
ORDER BY 1, 2
