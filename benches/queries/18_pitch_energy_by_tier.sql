-- Analyst: customer voice profile (mean pitch, energy, speech rate, overlap share) by customer tier, whole month.
SELECT c.customer_tier,
       count(*) AS seconds,
       avg(f.pitch_hz) AS mean_pitch_hz,
       avg(f.energy_db) AS mean_energy_db,
       avg(f.speech_rate) AS mean_rate,
       avg(CASE WHEN f.overlap THEN 1.0 ELSE 0.0 END) AS overlap_share
FROM audio_features f
JOIN calls c ON c.call_id = f.call_id
WHERE f.speaker = 'customer' AND f.voiced
GROUP BY 1
ORDER BY 1
