-- Analyst: fatigue curve: AHT, resolution and complaint rate by the call's index within the agent's day (window function).
SELECT floor((idx - 1) / 10.0) * 10 + 1 AS call_index_from,
       count(*) AS calls,
       avg((talk_ms + hold_ms + acw_ms) / 1000.0) AS aht_s,
       avg(CASE WHEN outcome = 'resolved' THEN 1.0 ELSE 0.0 END) AS resolved_rate,
       avg(CASE WHEN complaint THEN 1.0 ELSE 0.0 END) AS complaint_rate
FROM (SELECT talk_ms, hold_ms, acw_ms, outcome, complaint,
             row_number() OVER (PARTITION BY agent_id, date ORDER BY started_at, call_id) AS idx
      FROM calls
      WHERE agent_id IS NOT NULL) t
GROUP BY 1
ORDER BY 1
