-- Analyst: repeat-call rate per queue: calls followed by another call of the same customer within 7 days (self-join).
SELECT c.queue,
       count(*) AS calls,
       sum(CASE WHEN r.call_id IS NOT NULL THEN 1 ELSE 0 END) AS repeated,
       avg(CASE WHEN r.call_id IS NOT NULL THEN 1.0 ELSE 0.0 END) AS repeat_rate
FROM calls c
LEFT JOIN (SELECT DISTINCT a.call_id
           FROM calls a
           JOIN calls b ON b.customer_id = a.customer_id
           WHERE b.started_at > a.started_at
             AND b.started_at <= a.started_at + INTERVAL '7 days') r ON r.call_id = c.call_id
GROUP BY 1
ORDER BY 1
