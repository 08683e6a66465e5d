-- QA: scorecard aggregates (callqa view qa_scorecard) per queue for one week.
SELECT queue,
       count(*) AS calls,
       avg(score) AS mean_score,
       sum(CASE WHEN auto_fail THEN 1 ELSE 0 END) AS auto_failed
FROM qa_scorecard
WHERE date >= '2026-10-20' AND date <= '2026-10-26'
GROUP BY 1
ORDER BY 1
