//! Amazon Transcribe Call Analytics and Amazon Connect Contact Lens analysis files (one JSON
//! document per call) mapped onto callqa's call record.
//!
//! What the formats carry: the turns (`Transcript`: participant, `Content`,
//! `BeginOffsetMillis` / `EndOffsetMillis`, per-second `LoudnessScores` — `LoudnessScore` in
//! Contact Lens — and word `Items` with confidences), talk time, talk speed, interruptions and
//! the conversation length (`ConversationCharacteristics`). What they do not carry, and gets a
//! documented placeholder: queue, agent and customer ids, region, tier, IVR / queue / hold /
//! after-call times, outcome, complaint flag, pitch and voice quality. The start time is read
//! from the recording's name (Connect names recordings `<contact>_<YYYYMMDDTHH:MM>_UTC.wav`)
//! or given with `--default-started-at`.

use std::path::Path;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde::Deserialize;

use super::record::{CallRecord, FeatureRecord, Speaker, UtteranceRecord};

/// Placeholder for metadata the format does not carry.
pub const UNKNOWN: &str = "unknown";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Analysis {
    #[serde(default)]
    job_name: Option<String>,
    #[serde(default)]
    language_code: Option<String>,
    #[serde(default)]
    participants: Vec<Participant>,
    transcript: Vec<Turn>,
    #[serde(default)]
    conversation_characteristics: Option<Characteristics>,
    #[serde(default)]
    customer_metadata: Option<CustomerMetadata>,
    #[serde(default)]
    media: Option<Media>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Participant {
    #[serde(default)]
    participant_id: Option<String>,
    participant_role: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Turn {
    content: String,
    begin_offset_millis: i64,
    end_offset_millis: i64,
    #[serde(default)]
    participant_role: Option<String>,
    #[serde(default)]
    participant_id: Option<String>,
    #[serde(default, alias = "LoudnessScore")]
    loudness_scores: Vec<Option<f64>>,
    #[serde(default)]
    items: Vec<Item>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Item {
    #[serde(default)]
    confidence: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Characteristics {
    #[serde(default)]
    total_conversation_duration_millis: Option<i64>,
    #[serde(default)]
    talk_time: Option<TalkTime>,
    #[serde(default)]
    talk_speed: Option<TalkSpeed>,
    #[serde(default)]
    interruptions: Option<Interruptions>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TalkTime {
    #[serde(default)]
    total_time_millis: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TalkSpeed {
    #[serde(default)]
    details_by_participant: std::collections::HashMap<String, Speed>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Speed {
    #[serde(default)]
    average_words_per_minute: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Interruptions {
    #[serde(default)]
    interruptions_by_interrupter: std::collections::HashMap<String, Vec<Span>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Span {
    begin_offset_millis: i64,
    end_offset_millis: i64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CustomerMetadata {
    #[serde(default)]
    contact_id: Option<String>,
    #[serde(default)]
    input_s3_uri: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Media {
    #[serde(default)]
    media_file_uri: Option<String>,
}

/// Maps one analysis document to a call record (validated afterwards like any other).
pub fn to_call(
    text: &str,
    path: &Path,
    default_started_at: Option<&str>,
) -> Result<CallRecord, String> {
    let mut doc: Analysis = serde_json::from_str(text).map_err(|e| {
        format!(
            "not a Transcribe Call Analytics / Contact Lens document (line {} column {}): {e}",
            e.line(),
            e.column()
        )
    })?;
    let recording = doc
        .customer_metadata
        .as_ref()
        .and_then(|m| m.input_s3_uri.clone())
        .or_else(|| doc.media.as_ref().and_then(|m| m.media_file_uri.clone()));
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let call_id = doc
        .customer_metadata
        .as_ref()
        .and_then(|m| m.contact_id.clone())
        .or_else(|| doc.job_name.clone())
        .unwrap_or(stem.clone());
    let started = start_time(&doc, &stem, recording.as_deref(), default_started_at)?;
    let language = match doc.language_code.as_deref().map(|c| &c[..c.len().min(2)]) {
        Some("zh") => "zh",
        Some("en") | None => "en",
        Some(other) => return Err(format!("LanguageCode '{other}…' is neither zh nor en")),
    };

    let characteristics = doc.conversation_characteristics.take().unwrap_or_default();
    let (utterances, features) = turns(&doc, &characteristics)?;

    let last_end = utterances.iter().map(|u| u.end_ms).max().unwrap_or(0);
    let last_second_end = features
        .last()
        .map_or(0, |f| (i64::from(f.second) + 1) * 1000);
    let length_ms = characteristics
        .total_conversation_duration_millis
        .unwrap_or(0)
        .max(last_end)
        .max(last_second_end);
    let talk_ms = characteristics
        .talk_time
        .and_then(|t| t.total_time_millis)
        .unwrap_or(length_ms);
    let ended = started + chrono::Duration::milliseconds(length_ms);
    Ok(CallRecord {
        call_id,
        started_at: started.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        ended_at: ended.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        direction: "inbound".to_owned(),
        language: language.to_owned(),
        queue: UNKNOWN.to_owned(),
        agent_id: None,
        customer_id: UNKNOWN.to_owned(),
        customer_tier: "regular".to_owned(),
        region: UNKNOWN.to_owned(),
        ivr_ms: 0,
        queue_wait_ms: 0,
        talk_ms,
        hold_ms: 0,
        acw_ms: 0,
        transfers: 0,
        outcome: "resolved".to_owned(),
        hangup_by: "customer".to_owned(),
        complaint: false,
        recording_uri: recording,
        utterances,
        audio_features: features,
        survey: None,
    })
}

/// When the call started: from the `<YYYYMMDDTHH:MM>_UTC` part of the recording, file or
/// job name, else `--default-started-at`, else an error saying so.
fn start_time(
    doc: &Analysis,
    stem: &str,
    recording: Option<&str>,
    default_started_at: Option<&str>,
) -> Result<DateTime<Utc>, String> {
    let started = [recording, Some(stem), doc.job_name.as_deref()]
        .into_iter()
        .flatten()
        .find_map(start_from_name);
    match (started, default_started_at) {
        (Some(started), _) => Ok(started),
        (None, Some(given)) => DateTime::parse_from_rfc3339(given)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| format!("--default-started-at '{given}': {e}")),
        (None, None) => Err(
            "no start time: the recording name has no <YYYYMMDDTHH:MM>_UTC part; \
             pass --default-started-at"
                .to_owned(),
        ),
    }
}

/// The utterances (one per transcript turn) and the per-second features (loudness scores,
/// talk speed, overlap with interruptions) of a document.
/// Long because each turn yields both its utterance and its per-second features, from the
/// same offsets.
fn turns(
    doc: &Analysis,
    characteristics: &Characteristics,
) -> Result<(Vec<UtteranceRecord>, Vec<FeatureRecord>), String> {
    // Contact Lens names participants by id; map ids to roles.
    let role_of = |turn: &Turn| -> Result<Speaker, String> {
        let role = turn.participant_role.clone().or_else(|| {
            let id = turn.participant_id.as_deref()?;
            doc.participants
                .iter()
                .find(|p| p.participant_id.as_deref() == Some(id))
                .map(|p| p.participant_role.clone())
                .or_else(|| Some(id.to_owned()))
        });
        match role.as_deref() {
            Some("AGENT") => Ok(Speaker::Agent),
            Some("CUSTOMER") => Ok(Speaker::Customer),
            other => Err(format!("unknown participant {other:?}")),
        }
    };
    let words_per_minute = |speaker: Speaker| {
        characteristics
            .talk_speed
            .as_ref()
            .and_then(|s| {
                s.details_by_participant
                    .get(&speaker.as_str().to_uppercase())
            })
            .and_then(|s| s.average_words_per_minute)
            .unwrap_or(0.0)
    };
    let interruptions: Vec<(i64, i64)> = characteristics
        .interruptions
        .iter()
        .flat_map(|i| i.interruptions_by_interrupter.values().flatten())
        .map(|s| (s.begin_offset_millis, s.end_offset_millis))
        .collect();

    let mut utterances = Vec::with_capacity(doc.transcript.len());
    let mut features = Vec::new();
    for (turn_no, turn) in doc.transcript.iter().enumerate() {
        let speaker = role_of(turn).map_err(|e| format!("Transcript[{turn_no}]: {e}"))?;
        let confidences: Vec<f64> = turn.items.iter().filter_map(|i| i.confidence).collect();
        let confidence = if confidences.is_empty() {
            1.0
        } else {
            confidences.iter().sum::<f64>() / confidences.len() as f64
        };
        utterances.push(UtteranceRecord {
            turn: i32::try_from(turn_no).unwrap_or(i32::MAX),
            speaker,
            start_ms: turn.begin_offset_millis,
            end_ms: turn.end_offset_millis,
            text: turn.content.clone(),
            asr_confidence: confidence.clamp(0.0, 1.0),
        });
        // One loudness score per second of the turn, from its start.
        let first = turn.begin_offset_millis.div_euclid(1000);
        for (k, score) in turn.loudness_scores.iter().enumerate() {
            let Some(score) = score else { continue };
            let second = first + k as i64;
            let overlap = interruptions
                .iter()
                .any(|&(b, e)| b < (second + 1) * 1000 && second * 1000 < e);
            features.push(FeatureRecord {
                second: i32::try_from(second).unwrap_or(i32::MAX),
                speaker,
                voiced: true,
                pitch_hz: None,
                // Loudness score 0–100 on a dBFS-like scale: 100 is full scale.
                energy_db: ((score - 100.0) * 100.0).round() / 100.0,
                // Average words per minute to syllables per second (1.5 syllables a word).
                speech_rate: words_per_minute(speaker) * 1.5 / 60.0,
                jitter: 0.0,
                shimmer: 0.0,
                overlap,
            });
        }
    }
    // Turns can share a second; keep one row per second and speaker (the first).
    features.sort_by_key(|f| (f.second, f.speaker));
    features.dedup_by(|a, b| a.second == b.second && a.speaker == b.speaker);
    Ok((utterances, features))
}

/// Reads the `YYYYMMDDTHH:MM[:SS]_UTC` part of a recording name.
fn start_from_name(name: &str) -> Option<DateTime<Utc>> {
    let before = &name[..name.find("_UTC")?];
    let tail = |n: usize| before.get(before.len().checked_sub(n)?..);
    [(17, "%Y%m%dT%H:%M:%S"), (14, "%Y%m%dT%H:%M")]
        .into_iter()
        .find_map(|(n, format)| NaiveDateTime::parse_from_str(tail(n)?, format).ok())
        .map(|t| Utc.from_utc_datetime(&t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_times_come_from_connect_recording_names() {
        let t = start_from_name(
            "s3://bucket/connect/i/CallRecordings/2019/12/20/abc-123_20191220T21:37_UTC.wav",
        )
        .unwrap();
        assert_eq!(t.to_rfc3339(), "2019-12-20T21:37:00+00:00");
        assert!(start_from_name("call-42.json").is_none());
    }
}
