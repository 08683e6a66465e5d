-- Dashboard: KPI time series by hour and queue over a 7-day window (Grafana time range on started_at).
SELECT date_trunc('hour', started_at) AS hour,
       queue,
       count(*) AS calls,
       sum(CASE WHEN outcome = 'abandoned' THEN 1 ELSE 0 END) AS abandoned,
       avg(CASE WHEN outcome NOT IN ('abandoned', 'no_answer') THEN (talk_ms + hold_ms + acw_ms) / 1000.0 END) AS aht_s,
       avg(queue_wait_ms) / 1000.0 AS avg_wait_s,
       sum(CASE WHEN complaint THEN 1 ELSE 0 END) AS complaints
FROM calls
WHERE started_at >= '2026-10-20 00:00:00' AND started_at < '2026-10-27 00:00:00'
GROUP BY 1, 2
ORDER BY 1, 2
