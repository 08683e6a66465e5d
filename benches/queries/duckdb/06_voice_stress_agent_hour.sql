-- approximate: voice_stress() is a callqa window function. The peer computes the same formula
-- with window aggregates (z-scores of pitch, energy and rate against the speaker's voiced
-- baseline, upward only, plus the local pitch variability over +-2 rows against its call mean,
-- 100*(1-exp(-s/1.5))), but the local variability is taken over all rows of the frame, not only
-- voiced ones with at least 3 values, so values differ slightly: timed, not compared, kept out
-- of the geometric mean.
WITH f AS (
  SELECT call_id, second, pitch_hz,
         CASE WHEN pitch_hz > 0 THEN energy_db END AS e,
         CASE WHEN pitch_hz > 0 THEN speech_rate END AS r
  FROM audio_features
  WHERE date = '2026-10-21' AND speaker = 'customer'),
b AS (
  SELECT call_id, second, pitch_hz, e, r,
         avg(pitch_hz) OVER w AS mp, stddev_pop(pitch_hz) OVER w AS sp,
         avg(e) OVER w AS me, stddev_pop(e) OVER w AS se,
         avg(r) OVER w AS mr, stddev_pop(r) OVER w AS sr,
         stddev_pop(pitch_hz) OVER (PARTITION BY call_id ORDER BY second
                                    ROWS BETWEEN 2 PRECEDING AND 2 FOLLOWING) AS sd_local
  FROM f
  WINDOW w AS (PARTITION BY call_id)),
v AS (
  SELECT call_id,
         CASE WHEN pitch_hz > 0 THEN
           100 * (1 - exp(-(0.40 * greatest(0, CASE WHEN sp > 0 THEN (pitch_hz - mp) / sp ELSE 0 END)
                           + 0.35 * greatest(0, CASE WHEN se > 0 THEN (e - me) / se ELSE 0 END)
                           + 0.25 * greatest(0, CASE WHEN sr > 0 THEN (r - mr) / sr ELSE 0 END)
                           + 0.20 * greatest(0, CASE WHEN msd > 0 THEN sd_local / msd - 1 ELSE 0 END)) / 1.5))
         END AS vs
  FROM (SELECT *, avg(sd_local) OVER (PARTITION BY call_id) AS msd FROM b) x)
SELECT c.agent_id,
       date_trunc('hour', c.started_at) AS hour,
       count(DISTINCT v.call_id) AS calls,
       avg(v.vs) AS mean_stress,
       max(v.vs) AS peak_stress
FROM v
JOIN calls c ON c.call_id = v.call_id
WHERE c.date = '2026-10-21'
GROUP BY 1, 2
ORDER BY 1, 2
