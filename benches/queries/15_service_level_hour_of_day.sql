-- Dashboard: service level (inbound answered within 20 s of queueing) and abandonment by hour of day and queue.
SELECT EXTRACT(HOUR FROM started_at) AS hour_of_day,
       queue,
       count(*) AS inbound,
       avg(CASE WHEN queue_wait_ms <= 20000 AND outcome <> 'abandoned' THEN 1.0 ELSE 0.0 END) AS service_level,
       avg(CASE WHEN outcome = 'abandoned' THEN 1.0 ELSE 0.0 END) AS abandon_rate
FROM calls
WHERE direction = 'inbound'
GROUP BY 1, 2
ORDER BY 1, 2
