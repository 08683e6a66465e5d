-- Dashboard: customer voice stress (callqa window function voice_stress) per agent and hour for one day.
SELECT c.agent_id,
       date_trunc('hour', c.started_at) AS hour,
       count(DISTINCT v.call_id) AS calls,
       avg(v.vs) AS mean_stress,
       max(v.vs) AS peak_stress
FROM (SELECT call_id,
             voice_stress(pitch_hz, energy_db, speech_rate)
               OVER (PARTITION BY call_id, speaker ORDER BY second) AS vs
      FROM audio_features
      WHERE date = '2026-10-21' AND speaker = 'customer') v
JOIN calls c ON c.call_id = v.call_id
WHERE c.date = '2026-10-21'
GROUP BY 1, 2
ORDER BY 1, 2
