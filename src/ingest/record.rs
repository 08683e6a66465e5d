//! callqa's JSON Lines format: one call per line (metadata, utterances, per-second features,
//! optional survey), or one agent per line. `generate --format jsonl` writes it and `ingest`
//! reads it; the README documents it with a complete example.
//!
//! Records are checked here, before anything is buffered: a record that passes [`validate`]
//! can be written to every table without a constraint failing later.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// One parsed line of the JSON Lines format.
#[derive(Debug, Clone)]
pub enum Record {
    /// A call with everything the ASR pipeline produced for it.
    Call(Box<CallRecord>),
    /// An agent (the `agents` table).
    Agent(AgentRecord),
}

/// Parses one line: a call when it has a `call_id` or a `started_at`, else an agent. The error names the JSON
/// column and what was wrong (serde's message), never the line's content.
pub fn parse_line(line: &str) -> Result<Record, String> {
    let parsed = if line.contains("\"call_id\"") || line.contains("\"started_at\"") {
        serde_json::from_str::<CallRecord>(line).map(|c| Record::Call(Box::new(c)))
    } else {
        serde_json::from_str::<AgentRecord>(line).map(Record::Agent)
    };
    parsed.map_err(|e| {
        // serde's message ends with its own "at line 1 column N": keep only the column.
        let message = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let reason = message.strip_suffix(&suffix).unwrap_or(&message);
        format!("column {}: {reason}", e.column())
    })
}

/// A call: the `calls` row plus its utterances, audio features and survey.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallRecord {
    /// Unique call id.
    pub call_id: String,
    /// Start of the call, RFC 3339 (e.g. `2026-10-05T08:00:00.123456Z`).
    pub started_at: String,
    /// End of the call, RFC 3339.
    pub ended_at: String,
    /// `inbound` or `outbound`.
    pub direction: String,
    /// `zh` or `en`.
    pub language: String,
    /// Queue (skill group).
    pub queue: String,
    /// Agent who handled the call; absent when none did.
    #[serde(default)]
    pub agent_id: Option<String>,
    /// Customer id.
    pub customer_id: String,
    /// `vip`, `regular` or `new`.
    pub customer_tier: String,
    /// Customer region.
    pub region: String,
    /// Time in the IVR menu.
    pub ivr_ms: i64,
    /// Time waiting in the queue.
    pub queue_wait_ms: i64,
    /// Talk time.
    pub talk_ms: i64,
    /// Hold time.
    pub hold_ms: i64,
    /// After-call work.
    pub acw_ms: i64,
    /// Number of transfers.
    pub transfers: i32,
    /// `resolved`, `unresolved`, `transferred`, `abandoned` or `no_answer`.
    pub outcome: String,
    /// `agent`, `customer` or `system`.
    pub hangup_by: String,
    /// Whether the customer complained.
    pub complaint: bool,
    /// Where the recording is.
    #[serde(default)]
    pub recording_uri: Option<String>,
    /// ASR sentences, any order (written sorted by start).
    #[serde(default)]
    pub utterances: Vec<UtteranceRecord>,
    /// Per-second features per speaker channel, any order.
    #[serde(default)]
    pub audio_features: Vec<FeatureRecord>,
    /// The post-call survey, if answered.
    #[serde(default)]
    pub survey: Option<SurveyRecord>,
}

/// Who speaks: the two channels of a call recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Speaker {
    /// The agent's channel.
    Agent,
    /// The customer's channel.
    Customer,
}

impl Speaker {
    /// The name stored in the tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Speaker::Agent => "agent",
            Speaker::Customer => "customer",
        }
    }
}

impl AsRef<str> for Speaker {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

/// One ASR sentence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UtteranceRecord {
    /// Position in the conversation, from 0.
    pub turn: i32,
    /// `agent` or `customer`.
    pub speaker: Speaker,
    /// Offset from the start of the recording.
    pub start_ms: i64,
    /// Offset from the start of the recording.
    pub end_ms: i64,
    /// Transcript text.
    pub text: String,
    /// ASR confidence in [0, 1].
    pub asr_confidence: f64,
}

/// One second of one speaker channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureRecord {
    /// Second of the recording, from 0.
    pub second: i32,
    /// `agent` or `customer`.
    pub speaker: Speaker,
    /// Whether the speaker talks in this second.
    pub voiced: bool,
    /// Pitch; absent or null when unvoiced.
    #[serde(default)]
    pub pitch_hz: Option<f64>,
    /// Loudness.
    pub energy_db: f64,
    /// Syllables per second.
    pub speech_rate: f64,
    /// Pitch perturbation.
    pub jitter: f64,
    /// Amplitude perturbation.
    pub shimmer: f64,
    /// Both speakers talk in this second.
    pub overlap: bool,
}

/// A post-call survey answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurveyRecord {
    /// When it was answered, RFC 3339.
    pub answered_at: String,
    /// 1–5.
    pub csat: i32,
    /// 0–10.
    pub nps: i32,
    /// Free-text comment.
    #[serde(default)]
    pub comment: Option<String>,
}

/// An agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentRecord {
    /// Unique agent id.
    pub agent_id: String,
    /// Display name.
    pub name: String,
    /// Team.
    pub team: String,
    /// Site.
    pub site: String,
    /// Hire date, `YYYY-MM-DD`.
    pub hired_on: String,
    /// Shift name.
    pub shift: String,
}

/// A call that passed validation, with its timestamps parsed.
#[derive(Debug, Clone)]
pub struct ValidCall {
    /// The record as read.
    pub record: CallRecord,
    /// `started_at` in microseconds since the epoch (UTC).
    pub started_us: i64,
    /// `ended_at` in microseconds since the epoch (UTC).
    pub ended_us: i64,
    /// `survey.answered_at` in microseconds, if there is a survey.
    pub answered_us: Option<i64>,
    /// The call's UTC start date: its partition.
    pub date: NaiveDate,
}

/// An agent that passed validation.
#[derive(Debug, Clone)]
pub struct ValidAgent {
    /// The record as read.
    pub record: AgentRecord,
    /// `hired_on` in days since the epoch.
    pub hired_on_days: i32,
}

const DIRECTIONS: &[&str] = &["inbound", "outbound"];
const LANGUAGES: &[&str] = &["zh", "en"];
const TIERS: &[&str] = &["vip", "regular", "new"];
const OUTCOMES: &[&str] = &[
    "resolved",
    "unresolved",
    "transferred",
    "abandoned",
    "no_answer",
];
const HANGUP_BY: &[&str] = &["agent", "customer", "system"];

fn one_of(field: &str, value: &str, allowed: &[&str]) -> Result<(), String> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(format!(
            "{field} '{value}' is not one of {}",
            allowed.join(", ")
        ))
    }
}

/// The first year a timestamp or date may fall in. Earlier ones (`0001-01-01`, a zero
/// value some pipelines emit for "unknown") are typos or placeholders, not calls, and
/// PostgreSQL clients mishandle proleptic dates before the Gregorian reform.
const FIRST_YEAR: i32 = 1900;

fn micros(field: &str, value: &str) -> Result<i64, String> {
    let t = DateTime::parse_from_rfc3339(value)
        .map_err(|e| format!("{field} '{value}' is not an RFC 3339 timestamp ({e})"))?;
    if t.with_timezone(&Utc).year() < FIRST_YEAR {
        return Err(format!(
            "{field} '{value}' is before {FIRST_YEAR}-01-01 (no call is that old)"
        ));
    }
    Ok(t.timestamp_micros())
}

/// Refuses a NUL character: PostgreSQL text cannot hold one, so clients fail on the row.
fn no_nul(field: &str, value: &str) -> Result<(), String> {
    if value.contains('\0') {
        Err(format!("{field} contains a NUL character (\\u0000)"))
    } else {
        Ok(())
    }
}

fn not_negative(field: &str, value: i64) -> Result<(), String> {
    if value < 0 {
        Err(format!("{field} is negative ({value})"))
    } else {
        Ok(())
    }
}

/// Checks a call; the error is the reason, without the file and line (the caller adds them).
/// Reasons name fields and positions, never transcript text.
/// Long because it is the list of checks, field by field, in the order of the record.
pub fn validate_call(record: CallRecord) -> Result<ValidCall, String> {
    if record.call_id.trim().is_empty() {
        return Err("call_id is empty".to_owned());
    }
    let started_us = micros("started_at", &record.started_at)?;
    let ended_us = micros("ended_at", &record.ended_at)?;
    if ended_us < started_us {
        return Err("ended_at is before started_at".to_owned());
    }
    for (field, value) in [
        ("call_id", Some(&record.call_id)),
        ("direction", Some(&record.direction)),
        ("language", Some(&record.language)),
        ("queue", Some(&record.queue)),
        ("agent_id", record.agent_id.as_ref()),
        ("customer_id", Some(&record.customer_id)),
        ("customer_tier", Some(&record.customer_tier)),
        ("region", Some(&record.region)),
        ("outcome", Some(&record.outcome)),
        ("hangup_by", Some(&record.hangup_by)),
        ("recording_uri", record.recording_uri.as_ref()),
    ] {
        no_nul(field, value.map_or("", String::as_str))?;
    }
    one_of("direction", &record.direction, DIRECTIONS)?;
    one_of("language", &record.language, LANGUAGES)?;
    one_of("customer_tier", &record.customer_tier, TIERS)?;
    one_of("outcome", &record.outcome, OUTCOMES)?;
    one_of("hangup_by", &record.hangup_by, HANGUP_BY)?;
    for (field, value) in [
        ("ivr_ms", record.ivr_ms),
        ("queue_wait_ms", record.queue_wait_ms),
        ("talk_ms", record.talk_ms),
        ("hold_ms", record.hold_ms),
        ("acw_ms", record.acw_ms),
        ("transfers", i64::from(record.transfers)),
    ] {
        not_negative(field, value)?;
    }
    // Offsets are from the start of the recording, which lies within the call.
    let length_ms = (ended_us - started_us) / 1000;
    // (call_id, turn) is the utterances' key: a turn appears once per call.
    let mut turns: HashMap<i32, usize> = HashMap::with_capacity(record.utterances.len());
    for (i, u) in record.utterances.iter().enumerate() {
        let at = |reason: String| format!("utterances[{i}]: {reason}");
        if let Some(first) = turns.insert(u.turn, i) {
            return Err(at(format!(
                "turn {} is already used by utterances[{first}] (a turn appears once per call)",
                u.turn
            )));
        }
        no_nul("text", &u.text).map_err(at)?;
        not_negative("start_ms", u.start_ms).map_err(at)?;
        if u.end_ms < u.start_ms {
            return Err(at("end_ms is before start_ms".to_owned()));
        }
        if u.end_ms > length_ms {
            return Err(at(format!(
                "ends at {} ms, outside the call ({length_ms} ms long)",
                u.end_ms
            )));
        }
        if !(0.0..=1.0).contains(&u.asr_confidence) {
            return Err(at(format!(
                "asr_confidence {} is outside [0, 1]",
                u.asr_confidence
            )));
        }
    }
    for (i, f) in record.audio_features.iter().enumerate() {
        let at = |reason: String| format!("audio_features[{i}]: {reason}");
        not_negative("second", i64::from(f.second)).map_err(at)?;
        if i64::from(f.second) * 1000 > length_ms {
            return Err(at(format!(
                "second {} is outside the call ({length_ms} ms long)",
                f.second
            )));
        }
        let finite = [f.energy_db, f.speech_rate, f.jitter, f.shimmer]
            .into_iter()
            .chain(f.pitch_hz)
            .all(f64::is_finite);
        if !finite {
            return Err(at("a value is not a finite number".to_owned()));
        }
    }
    let answered_us = match &record.survey {
        None => None,
        Some(s) => {
            let at = |reason: String| format!("survey: {reason}");
            if !(1..=5).contains(&s.csat) {
                return Err(at(format!("csat {} is outside 1-5", s.csat)));
            }
            if !(0..=10).contains(&s.nps) {
                return Err(at(format!("nps {} is outside 0-10", s.nps)));
            }
            no_nul("comment", s.comment.as_deref().unwrap_or("")).map_err(at)?;
            Some(micros("answered_at", &s.answered_at).map_err(at)?)
        }
    };
    let date = DateTime::from_timestamp_micros(started_us)
        .map(|t| t.date_naive())
        .ok_or_else(|| "started_at is out of range".to_owned())?;
    Ok(ValidCall {
        record,
        started_us,
        ended_us,
        answered_us,
        date,
    })
}

/// Checks an agent.
pub fn validate_agent(record: AgentRecord) -> Result<ValidAgent, String> {
    if record.agent_id.trim().is_empty() {
        return Err("agent_id is empty".to_owned());
    }
    for (field, value) in [
        ("agent_id", &record.agent_id),
        ("name", &record.name),
        ("team", &record.team),
        ("site", &record.site),
        ("shift", &record.shift),
    ] {
        no_nul(field, value)?;
    }
    let hired_on = NaiveDate::parse_from_str(&record.hired_on, "%Y-%m-%d").map_err(|e| {
        format!(
            "hired_on '{}' is not a YYYY-MM-DD date ({e})",
            record.hired_on
        )
    })?;
    if hired_on.year() < FIRST_YEAR {
        return Err(format!(
            "hired_on '{}' is before {FIRST_YEAR}-01-01",
            record.hired_on
        ));
    }
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    let hired_on_days = i32::try_from((hired_on - epoch).num_days())
        .map_err(|_| "hired_on is out of range".to_owned())?;
    Ok(ValidAgent {
        record,
        hired_on_days,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn call() -> CallRecord {
        CallRecord {
            call_id: "C1".into(),
            started_at: "2026-10-05T08:00:00Z".into(),
            ended_at: "2026-10-05T08:02:00Z".into(),
            direction: "inbound".into(),
            language: "zh".into(),
            queue: "billing".into(),
            agent_id: Some("A001".into()),
            customer_id: "U1".into(),
            customer_tier: "regular".into(),
            region: "north".into(),
            ivr_ms: 1000,
            queue_wait_ms: 2000,
            talk_ms: 100_000,
            hold_ms: 0,
            acw_ms: 5000,
            transfers: 0,
            outcome: "resolved".into(),
            hangup_by: "customer".into(),
            complaint: false,
            recording_uri: None,
            utterances: vec![UtteranceRecord {
                turn: 0,
                speaker: Speaker::Agent,
                start_ms: 0,
                end_ms: 1500,
                text: "您好".into(),
                asr_confidence: 0.9,
            }],
            audio_features: vec![],
            survey: None,
        }
    }

    #[test]
    fn a_good_call_passes_with_its_partition_date() {
        let valid = validate_call(call()).unwrap();
        assert_eq!(valid.date, NaiveDate::from_ymd_opt(2026, 10, 5).unwrap());
        assert_eq!(valid.ended_us - valid.started_us, 120_000_000);
    }

    #[test]
    fn bad_calls_name_the_field() {
        type Breaker = fn(&mut CallRecord);
        let cases: Vec<(Breaker, &str)> = vec![
            (|c| c.call_id = " ".into(), "call_id is empty"),
            (
                |c| c.ended_at = "2026-10-05T07:00:00Z".into(),
                "ended_at is before",
            ),
            (
                |c| c.started_at = "yesterday".into(),
                "started_at 'yesterday'",
            ),
            (|c| c.direction = "sideways".into(), "direction 'sideways'"),
            (|c| c.utterances[0].end_ms = -1, "end_ms is before start_ms"),
            (|c| c.utterances[0].end_ms = 130_000, "outside the call"),
            (|c| c.talk_ms = -5, "talk_ms is negative"),
            (
                |c| {
                    let mut again = c.utterances[0].clone();
                    again.start_ms = 2000;
                    again.end_ms = 3000;
                    c.utterances.push(again);
                },
                "utterances[1]: turn 0 is already used by utterances[0]",
            ),
            (
                |c| c.utterances[0].text = "您\0好".into(),
                "utterances[0]: text contains a NUL character",
            ),
            (|c| c.queue = "bill\0ing".into(), "queue contains a NUL"),
            (
                |c| {
                    c.started_at = "0001-01-01T00:00:00Z".into();
                    c.ended_at = "0001-01-01T00:02:00Z".into();
                },
                "started_at '0001-01-01T00:00:00Z' is before 1900-01-01",
            ),
        ];
        for (break_it, expected) in cases {
            let mut c = call();
            break_it(&mut c);
            let err = validate_call(c).unwrap_err();
            assert!(err.contains(expected), "{err} vs {expected}");
        }
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let mut json = serde_json::to_value(call()).unwrap();
        json["colour"] = "blue".into();
        let err = serde_json::from_value::<CallRecord>(json).unwrap_err();
        assert!(err.to_string().contains("colour"), "{err}");
    }
}
