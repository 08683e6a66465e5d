//! What the ASR pipeline would report about a laid-out conversation: the utterance rows
//! (with ASR confidence) and the per-second audio features of both channels.

use rand_chacha::ChaCha8Rng;

use super::conversation::{CallPlan, Style, Utterance};
use super::day::DayOut;
use super::draws::{normal, round_to};
use super::planted::{
    ASR_CONFIDENCE, NOISY_ASR_CONFIDENCE, NOISY_JITTER_FACTOR, NOISY_SHIMMER_FACTOR,
};
use crate::Result;
use crate::data::table_rows::FeatureRows;

/// One `utterances` row per utterance, turns numbered in order.
pub(super) fn write_utterances(
    call_id: &str,
    utterances: &[Utterance],
    noisy: bool,
    out: &mut DayOut,
    rng: &mut ChaCha8Rng,
) -> Result<()> {
    let mean_confidence = if noisy {
        NOISY_ASR_CONFIDENCE
    } else {
        ASR_CONFIDENCE
    };
    for (turn, u) in utterances.iter().enumerate() {
        let rows = &mut out.utterances.1.cols;
        rows.call_id.append_value(call_id);
        rows.start_ms.append_value(u.start);
        rows.turn
            .append_value(i32::try_from(turn).unwrap_or(i32::MAX));
        rows.speaker
            .append_value(if u.agent { "agent" } else { "customer" });
        rows.end_ms.append_value(u.end);
        rows.text.append_value(&u.text);
        let confidence = normal(rng, mean_confidence, 0.04).clamp(0.6, 0.99);
        rows.asr_confidence.append_value(round_to(confidence, 3));
        out.utterances.1.row_done(&mut out.utterances.0)?;
    }
    Ok(())
}

/// Per-second features of both channels, consistent with the utterances: voiced exactly
/// where that speaker talks, overlap where both do, silence where nobody does.
pub(super) fn write_features(
    call_id: &str,
    utterances: &[Utterance],
    plan: &CallPlan<'_>,
    style: &Style,
    out: &mut DayOut,
    rng: &mut ChaCha8Rng,
) -> Result<()> {
    let seconds = utterances.last().map_or(0, |u| (u.end + 999) / 1000);
    for second in 0..seconds {
        let mid = second * 1000 + 500;
        let speaking = |agent: bool| {
            utterances
                .iter()
                .find(|u| u.agent == agent && u.start <= mid && mid < u.end)
        };
        let agent_u = speaking(true);
        let customer_u = speaking(false);
        let overlap = agent_u.is_some() && customer_u.is_some();
        for (is_agent, u) in [(true, agent_u), (false, customer_u)] {
            let rows = &mut out.features.1.cols;
            rows.call_id.append_value(call_id);
            rows.second
                .append_value(i32::try_from(second).unwrap_or(i32::MAX));
            rows.speaker
                .append_value(if is_agent { "agent" } else { "customer" });
            match u {
                Some(u) => append_voiced(rows, u, is_agent, plan, style, rng),
                None => append_silent(rows, plan.noisy, rng),
            }
            rows.overlap.append_value(overlap);
            out.features.1.row_done(&mut out.features.0)?;
        }
    }
    Ok(())
}

/// A second in which this channel's speaker talks: voice from their baseline, raised by
/// anger, flattened by fatigue, rougher on the noisy line.
fn append_voiced(
    rows: &mut FeatureRows,
    u: &Utterance,
    is_agent: bool,
    plan: &CallPlan<'_>,
    style: &Style,
    rng: &mut ChaCha8Rng,
) {
    let base = if is_agent {
        plan.agent.pitch_hz
    } else {
        plan.customer.pitch_hz
    };
    let tired = if is_agent { style.tired } else { 0.0 };
    let pitch = base
        * (1.0 + 0.15 * u.anger - 0.04 * tired)
        * (1.0 + normal(rng, 0.0, 0.05 * (1.0 - 0.5 * tired)));
    let energy = -24.0 + 6.0 * u.anger - 3.0 * tired + normal(rng, 0.0, 2.0);
    let per_minute = if is_agent {
        style.agent_rate
    } else {
        200.0 * (1.0 + 0.2 * u.anger)
    };
    let syllables = if style.zh {
        per_minute / 60.0
    } else {
        per_minute * 150.0 / 220.0 * 1.5 / 60.0
    };
    let noise = if plan.noisy { NOISY_JITTER_FACTOR } else { 1.0 };
    rows.voiced.append_value(true);
    rows.pitch_hz.append_value(round_to(pitch, 1));
    rows.energy_db.append_value(round_to(energy, 1));
    rows.speech_rate
        .append_value(round_to(syllables * (1.0 + normal(rng, 0.0, 0.08)), 2));
    rows.jitter.append_value(round_to(
        (0.008 * noise * (1.0 + 0.5 * u.anger) + normal(rng, 0.0, 0.001)).max(0.0),
        4,
    ));
    // Kept in this operator order: the floats (and so the sample's bytes) depend on it.
    rows.shimmer.append_value(round_to(
        (0.05
            * if plan.noisy {
                NOISY_SHIMMER_FACTOR
            } else {
                1.0
            }
            * (1.0 + 0.4 * u.anger)
            + normal(rng, 0.0, 0.005))
        .max(0.0),
        4,
    ));
}

/// A second in which this channel is silent: only line noise (louder on the noisy line).
fn append_silent(rows: &mut FeatureRows, noisy: bool, rng: &mut ChaCha8Rng) {
    rows.voiced.append_value(false);
    rows.pitch_hz.append_null();
    rows.energy_db.append_value(round_to(
        if noisy { -45.0 } else { -55.0 } + normal(rng, 0.0, 2.0),
        1,
    ));
    rows.speech_rate.append_value(0.0);
    rows.jitter.append_value(0.0);
    rows.shimmer.append_value(0.0);
}
