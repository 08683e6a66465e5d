-- Grafana drill-down: one agent's calls in one day (selective filter, time range on started_at).
SELECT call_id, started_at, queue, outcome, talk_ms, hold_ms, complaint
FROM calls
WHERE agent_id = 'A0042'
  AND started_at >= '2026-10-25 00:00:00' AND started_at < '2026-10-26 00:00:00'
ORDER BY started_at
