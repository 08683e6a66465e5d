//! The QA views created at start-up over the tables and the active rule set: `qa_results`,
//! `qa_scorecard`, `call_metrics` and `agent_daily` (`qa_rules` is a table of the rule store).
//!
//! They are plain SQL over callqa's functions, so `EXPLAIN` shows what they do and an analyst
//! can copy a definition to change it. Rules are read when a query runs: a reloaded rule
//! re-scores every call the next query touches.

use callqa_udfs::qa::rules::Dimension;
use datafusion::prelude::SessionContext;

use crate::error::Result;

/// The views' names, in the default schema.
pub const QA_VIEW_NAMES: [&str; 4] = ["qa_results", "qa_scorecard", "call_metrics", "agent_daily"];

/// One verdict per call and rule; `passed` is NULL when the rule does not apply.
const QA_RESULTS: &str = "
CREATE VIEW qa_results AS
SELECT call_id, date,
       v['rule_id'] AS rule_id,
       v['passed'] AS passed,
       v['applicable'] AS applicable,
       v['evidence_start_ms'] AS evidence_start_ms,
       v['evidence_text'] AS evidence_text
FROM (
  SELECT call_id, date, unnest(verdicts) AS v
  FROM (
    SELECT u.call_id, u.date,
           qa_evaluate(u.speaker, u.start_ms, u.end_ms, u.text, c.queue) AS verdicts
    FROM utterances u JOIN calls c ON u.call_id = c.call_id
    GROUP BY u.call_id, u.date
  )
)";

/// Score per call: weighted share of applicable rules passed; a failed critical rule fails
/// the call (score 0, `auto_fail`), `raw_score` keeps the weighted figure. `qa_score` sums
/// the verdicts inside the aggregate (what `qa_results` ⨝ `qa_rules` grouped per call would
/// give, in one pass).
const QA_SCORECARD: &str = "
CREATE VIEW qa_scorecard AS
SELECT s.call_id, c.agent_id, c.started_at, c.queue, s.date,
       s.card['score'] AS score,
       s.card['raw_score'] AS raw_score,
       s.card['auto_fail'] AS auto_fail,
       s.card['failed_rules'] AS failed_rules,
       {dimensions}
FROM (
  SELECT u.call_id, u.date,
         qa_score(u.speaker, u.start_ms, u.end_ms, u.text, c.queue) AS card
  FROM utterances u JOIN calls c ON u.call_id = c.call_id
  GROUP BY u.call_id, u.date
) s
JOIN calls c ON s.call_id = c.call_id";

/// Everything per handled call: KPIs, conversation metrics, sentiment, stress, QA, survey.
const CALL_METRICS: &str = "
CREATE VIEW call_metrics AS
WITH spoken AS (
  SELECT call_id,
         interruption_count(speaker, start_ms, end_ms, 'agent') AS interruptions,
         silence_ms(start_ms, end_ms) AS silence_ms,
         max_silence_ms(start_ms, end_ms) AS max_silence_ms,
         first_response_ms(speaker, start_ms) AS first_response_ms,
         sum(CASE WHEN speaker = 'agent' THEN end_ms - start_ms ELSE 0 END) AS agent_speech_ms,
         sum(end_ms - start_ms) AS speech_ms,
         avg(speech_rate(text, start_ms, end_ms)) FILTER (WHERE speaker = 'agent') AS agent_speech_rate,
         avg(sentiment(text)) FILTER (WHERE speaker = 'agent') AS agent_friendliness,
         first_value(sentiment(text) ORDER BY start_ms) FILTER (WHERE speaker = 'customer') AS customer_sentiment_start,
         last_value(sentiment(text) ORDER BY start_ms) FILTER (WHERE speaker = 'customer') AS customer_sentiment_end,
         sentiment_trend(sentiment(text), start_ms) FILTER (WHERE speaker = 'customer') AS customer_sentiment_trend,
         max(emotion_intensity(text)) FILTER (WHERE speaker = 'customer') AS peak_emotion_intensity,
         first_value(emotion(text) ORDER BY emotion_intensity(text) DESC) FILTER (WHERE speaker = 'customer') AS peak_emotion
  FROM utterances GROUP BY call_id),
stress AS (
  SELECT call_id, avg(vs) AS mean_voice_stress, max(vs) AS peak_voice_stress
  FROM (SELECT call_id, voice_stress(pitch_hz, energy_db, speech_rate)
                 OVER (PARTITION BY call_id, speaker ORDER BY second) AS vs
        FROM audio_features WHERE speaker = 'customer')
  GROUP BY call_id),
calls_seen AS (
  SELECT *,
         coalesce(lead(started_at) OVER (PARTITION BY customer_id ORDER BY started_at)
                  <= started_at + INTERVAL '7 days', false) AS repeat_call
  FROM calls)
SELECT c.call_id, c.date, c.started_at, c.agent_id, c.customer_id, c.queue, c.region,
       c.language, c.direction, c.customer_tier, c.outcome, c.complaint, c.transfers, c.hold_ms,
       (c.talk_ms + c.hold_ms + c.acw_ms) / 1000.0 AS aht_s,
       s.agent_speech_ms * 1.0 / nullif(s.speech_ms, 0) AS talk_ratio,
       s.silence_ms, s.max_silence_ms, s.interruptions, s.agent_speech_rate, s.first_response_ms,
       s.agent_friendliness,
       s.customer_sentiment_start, s.customer_sentiment_end, s.customer_sentiment_trend,
       s.peak_emotion, s.peak_emotion_intensity,
       st.mean_voice_stress, st.peak_voice_stress,
       q.score AS qa_score, q.auto_fail AS qa_auto_fail,
       sv.csat, sv.nps,
       c.repeat_call,
       row_number() OVER (PARTITION BY c.agent_id, c.date ORDER BY c.started_at, c.call_id)
         AS call_index_of_day
FROM calls_seen c
LEFT JOIN spoken s ON s.call_id = c.call_id
LEFT JOIN stress st ON st.call_id = c.call_id
LEFT JOIN qa_scorecard q ON q.call_id = c.call_id
LEFT JOIN surveys sv ON sv.call_id = c.call_id
WHERE c.agent_id IS NOT NULL";

/// Per agent and day, from `call_metrics`.
const AGENT_DAILY: &str = "
CREATE VIEW agent_daily AS
SELECT agent_id, date,
       count(*) AS calls,
       avg(aht_s) AS aht_s,
       avg(CASE WHEN outcome = 'resolved' AND NOT repeat_call THEN 1.0 ELSE 0.0 END) AS fcr,
       avg(CASE WHEN transfers > 0 THEN 1.0 ELSE 0.0 END) AS transfer_rate,
       avg(CASE WHEN csat >= 4 THEN 1.0 WHEN csat IS NOT NULL THEN 0.0 END) AS csat,
       avg(CASE WHEN complaint THEN 1.0 ELSE 0.0 END) AS complaint_rate,
       avg(qa_score) AS qa_score,
       avg(agent_friendliness) AS friendliness,
       avg(CASE WHEN peak_emotion IN ('angry', 'anxious') THEN 1.0 ELSE 0.0 END) AS customer_negativity,
       avg(CASE WHEN transfers > 0 OR hold_ms > 60000 THEN 1.0 ELSE 0.0 END) AS complexity,
       agent_stress_index(count(*),
                          avg(CASE WHEN peak_emotion IN ('angry', 'anxious') THEN 1.0 ELSE 0.0 END),
                          avg(CASE WHEN transfers > 0 OR hold_ms > 60000 THEN 1.0 ELSE 0.0 END))
         AS stress_index
FROM call_metrics
GROUP BY agent_id, date";

/// Creates the views in the session's default schema.
pub async fn create_views(ctx: &SessionContext) -> Result<()> {
    let dimensions = Dimension::ALL
        .iter()
        .map(|d| format!("s.card['{d}'] AS {d}", d = d.as_str()))
        .collect::<Vec<_>>()
        .join(",\n       ");
    let scorecard = QA_SCORECARD.replace("{dimensions}", &dimensions);
    for sql in [QA_RESULTS, scorecard.as_str(), CALL_METRICS, AGENT_DAILY] {
        ctx.sql(sql).await?.collect().await?;
    }
    Ok(())
}
