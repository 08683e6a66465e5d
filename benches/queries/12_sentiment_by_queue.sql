-- Analyst: customer sentiment (callqa sentiment) per queue and language for one week.
SELECT c.queue,
       c.language,
       count(*) AS utterances,
       avg(sentiment(u.text)) AS mean_sentiment,
       avg(CASE WHEN sentiment(u.text) <= -0.05 THEN 1.0 ELSE 0.0 END) AS negative_share
FROM utterances u
JOIN calls c ON c.call_id = u.call_id
WHERE u.speaker = 'customer' AND u.date >= '2026-10-20' AND u.date <= '2026-10-26'
GROUP BY 1, 2
ORDER BY 1, 2
