//! One call from arrival to survey: routing (queue, IVR, wait, abandonment), handling
//! (transfers, complaint, outcome), the conversation, and the rows it leaves in every table.

use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;

use super::Queue;
use super::conversation::{CallPlan, Style, script_call};
use super::day::{Day, RunState};
use super::draws::lognormal;
use super::features::{write_features, write_utterances};
use super::planted::{
    AGENT_RATE, CURT_SHARE, EVENING_AGENT_RATE, EVENING_EXTRA_CURT, EVENING_FROM_HOUR,
    FATIGUE_AFTER_CALLS, FATIGUE_EXTRA_CURT, FATIGUED_AGENT_RATE, NOISY_CSAT_PENALTY_SHARE,
    NOISY_REGION, OLD_POLICY_SHARE, WEEKEND_COMPLAINT_FACTOR,
};
use super::population::Customer;
use super::script::{EN, ZH};
use crate::Result;
use crate::data::parquet_files::TableFileWriter;
use crate::data::table_rows::{Buffered, CallRows, SurveyRows};

/// Where and when a call starts, and who is on it (indexes into the population).
pub(super) struct CallSlot {
    pub id: String,
    pub started_us: i64,
    /// Hour of day (UTC) of the start.
    pub hour: u32,
    pub agent: usize,
    pub customer: usize,
}

/// Generates one call and appends its rows to the day's tables.
pub(super) fn generate_call(
    day: &mut Day<'_>,
    slot: &CallSlot,
    state: &mut RunState,
    rng: &mut ChaCha8Rng,
) -> Result<()> {
    let population = day.population;
    let customer = &population.customers[slot.customer];
    let arrival = Arrival::draw(customer, slot.hour, day.weekend, rng);
    append_arrival(&mut day.out.calls.1.cols, slot, customer, &arrival);
    if arrival.abandoned || arrival.no_answer {
        append_unanswered(&mut day.out.calls.1.cols, slot, &arrival);
        return day.out.calls.1.row_done(&mut day.out.calls.0);
    }

    let agent = &population.agents[slot.agent];
    day.calls_today[slot.agent] += 1;
    let fatigued = day.calls_today[slot.agent] > FATIGUE_AFTER_CALLS;
    let noisy = customer.region == NOISY_REGION;
    let handling = Handling::draw(&arrival, customer, slot.customer, day, state, rng);
    let style = style(fatigued, slot.hour >= EVENING_FROM_HOUR, customer.zh);
    let plan = CallPlan {
        agent,
        customer,
        queue: arrival.queue,
        outbound: arrival.outbound,
        angry: handling.angry,
        old_policy: handling.old_policy,
        transfers: handling.transfers,
        complex: handling.transfers > 0,
        noisy,
        interrupt_p: if agent.skips_greeting || fatigued {
            0.18
        } else {
            0.06
        },
    };
    let (utterances, hold_ms) = script_call(&plan, &style, rng);
    let recording_ms = utterances.last().map_or(0, |u| u.end);
    let acw_ms = lognormal(rng, 30_000.0, 0.6) as i64 + if handling.complaint { 60_000 } else { 0 };
    let ended = slot.started_us + (arrival.ivr_ms + arrival.queue_wait_ms + recording_ms) * 1000;

    let rows = &mut day.out.calls.1.cols;
    rows.ended_at.append_value(ended);
    rows.agent_id.append_value(&agent.id);
    rows.talk_ms.append_value((recording_ms - hold_ms).max(0));
    rows.hold_ms.append_value(hold_ms);
    rows.acw_ms.append_value(acw_ms);
    rows.transfers.append_value(handling.transfers);
    rows.outcome.append_value(handling.outcome);
    // Angry customers hang up on the agent; otherwise agents usually close the call.
    let hangup = match (handling.angry, rng.random_range(0..100)) {
        (true, 0..15) | (false, 0..35) => "agent",
        (true, 15..92) | (false, 35..95) => "customer",
        _ => "system",
    };
    rows.hangup_by.append_value(hangup);
    rows.complaint.append_value(handling.complaint);
    rows.recording_uri.append_value(recording_uri(&slot.id));
    day.out.calls.1.row_done(&mut day.out.calls.0)?;

    write_utterances(&slot.id, &utterances, noisy, &mut day.out, rng)?;
    write_features(&slot.id, &utterances, &plan, &style, &mut day.out, rng)?;

    let resolved = handling.outcome == "resolved";
    let survey = SurveyCall {
        call_id: &slot.id,
        ended_us: ended,
        complaint: handling.complaint,
        resolved,
        fatigued,
        noisy,
        zh: customer.zh,
    };
    write_survey(&mut day.out.surveys, &survey, rng)?;
    state.remember(slot.customer, day.index, resolved);
    Ok(())
}

/// How a call arrives: direction, queue, IVR and queue time, and whether anyone answers.
struct Arrival {
    outbound: bool,
    queue: Queue,
    ivr_ms: i64,
    queue_wait_ms: i64,
    /// An inbound caller gave up waiting.
    abandoned: bool,
    /// An outbound call nobody picked up.
    no_answer: bool,
}

impl Arrival {
    fn draw(customer: &Customer, hour: u32, weekend: bool, rng: &mut ChaCha8Rng) -> Arrival {
        let outbound = rng.random_bool(0.15);
        let queue = route(outbound, customer, rng);
        let peak = (9..12).contains(&hour) || (14..17).contains(&hour);
        let ivr_ms = if outbound {
            0
        } else {
            lognormal(rng, 25_000.0, 0.5) as i64
        };
        let wait_median = 35_000.0 * if peak { 1.5 } else { 1.0 } * if weekend { 1.3 } else { 1.0 };
        let queue_wait_ms = if outbound {
            0
        } else {
            lognormal(rng, wait_median, 0.9) as i64
        };
        let abandoned = !outbound && (queue_wait_ms as f64) > lognormal(rng, 400_000.0, 0.8);
        let no_answer = outbound && rng.random_bool(0.25);
        Arrival {
            outbound,
            queue,
            ivr_ms,
            queue_wait_ms,
            abandoned,
            no_answer,
        }
    }
}

/// The queue a call goes to: outbound calls are retention or sales, VIPs mostly get the VIP
/// line, everyone else spreads over billing, support, sales and complaints.
fn route(outbound: bool, customer: &Customer, rng: &mut ChaCha8Rng) -> Queue {
    if outbound {
        if rng.random_bool(0.7) {
            Queue::Retention
        } else {
            Queue::Sales
        }
    } else if customer.tier == "vip" && rng.random_bool(0.7) {
        Queue::VipService
    } else {
        match rng.random_range(0..100) {
            0..34 => Queue::Billing,
            34..68 => Queue::TechSupport,
            68..82 => Queue::Sales,
            _ => Queue::Complaints,
        }
    }
}

/// How an answered call goes: transfers, the old policy, a complaint, anger, the outcome.
struct Handling {
    transfers: i32,
    old_policy: bool,
    complaint: bool,
    angry: bool,
    outcome: &'static str,
}

impl Handling {
    fn draw(
        arrival: &Arrival,
        customer: &Customer,
        customer_idx: usize,
        day: &Day<'_>,
        state: &RunState,
        rng: &mut ChaCha8Rng,
    ) -> Handling {
        let transfers: i32 = match rng.random_range(0..100) {
            0..9 => 1,
            9..11 => 2,
            _ => 0,
        };
        let old_policy = arrival.queue == Queue::Billing
            && day.policy_changed
            && rng.random_bool(OLD_POLICY_SHARE);
        let mut p_complaint: f64 = if arrival.queue == Queue::Complaints {
            0.20
        } else {
            0.04
        };
        if old_policy {
            p_complaint += 0.15;
        }
        if state.has_unresolved_call(customer_idx) {
            p_complaint += 0.08;
        }
        if day.weekend {
            p_complaint *= WEEKEND_COMPLAINT_FACTOR;
        }
        if customer.region == NOISY_REGION {
            p_complaint *= 1.2;
        }
        let complaint = rng.random_bool(p_complaint.min(0.95));
        let angry = complaint || rng.random_bool(0.05);
        let resolved_p: f64 =
            0.8 - if old_policy { 0.35 } else { 0.0 } - if complaint { 0.3 } else { 0.0 };
        let outcome = if transfers > 0 && rng.random_bool(0.5) {
            "transferred"
        } else if rng.random_bool(resolved_p.max(0.05)) {
            "resolved"
        } else {
            "unresolved"
        };
        Handling {
            transfers,
            old_policy,
            complaint,
            angry,
            outcome,
        }
    }
}

/// How the agent speaks: curter and slower when fatigued, somewhat so in the evening.
fn style(fatigued: bool, evening: bool, zh: bool) -> Style {
    Style {
        p_curt: CURT_SHARE
            + if fatigued { FATIGUE_EXTRA_CURT } else { 0.0 }
            + if evening { EVENING_EXTRA_CURT } else { 0.0 },
        agent_rate: if fatigued {
            FATIGUED_AGENT_RATE
        } else if evening {
            EVENING_AGENT_RATE
        } else {
            AGENT_RATE
        },
        tired: if fatigued {
            1.0
        } else if evening {
            0.5
        } else {
            0.0
        },
        zh,
    }
}

/// The columns every call has, answered or not.
fn append_arrival(rows: &mut CallRows, slot: &CallSlot, customer: &Customer, arrival: &Arrival) {
    rows.call_id.append_value(&slot.id);
    rows.started_at.append_value(slot.started_us);
    rows.direction.append_value(if arrival.outbound {
        "outbound"
    } else {
        "inbound"
    });
    rows.language
        .append_value(if customer.zh { "zh" } else { "en" });
    rows.queue.append_value(arrival.queue.name());
    rows.customer_id.append_value(&customer.id);
    rows.customer_tier.append_value(customer.tier);
    rows.region.append_value(customer.region);
    rows.ivr_ms.append_value(arrival.ivr_ms);
    rows.queue_wait_ms.append_value(arrival.queue_wait_ms);
}

/// The rest of an abandoned or unanswered call: no agent, no talk, no recording.
fn append_unanswered(rows: &mut CallRows, slot: &CallSlot, arrival: &Arrival) {
    // An unanswered outbound call rings for 30 s before it ends.
    let ringing_ms = if arrival.no_answer { 30_000 } else { 0 };
    let ended = slot.started_us + (arrival.ivr_ms + arrival.queue_wait_ms + ringing_ms) * 1000;
    rows.ended_at.append_value(ended);
    rows.agent_id.append_null();
    for col in [&mut rows.talk_ms, &mut rows.hold_ms, &mut rows.acw_ms] {
        col.append_value(0);
    }
    rows.transfers.append_value(0);
    let (outcome, hangup_by) = if arrival.no_answer {
        ("no_answer", "system")
    } else {
        ("abandoned", "customer")
    };
    rows.outcome.append_value(outcome);
    rows.hangup_by.append_value(hangup_by);
    rows.complaint.append_value(false);
    rows.recording_uri.append_null();
}

/// `s3://recordings/YYYY/MM/DD/<call id>.wav`, the day taken from the call id.
fn recording_uri(call_id: &str) -> String {
    let day = call_id.get(1..9).unwrap_or("00000000");
    format!(
        "s3://recordings/{}/{}/{}/{call_id}.wav",
        day.get(0..4).unwrap_or(""),
        day.get(4..6).unwrap_or(""),
        day.get(6..8).unwrap_or("")
    )
}

/// What a survey answer depends on.
struct SurveyCall<'a> {
    call_id: &'a str,
    ended_us: i64,
    complaint: bool,
    resolved: bool,
    fatigued: bool,
    noisy: bool,
    zh: bool,
}

/// About 30% of answered calls get a survey answer: CSAT by how the call went, NPS from it,
/// a comment on half of them.
fn write_survey(
    out: &mut (TableFileWriter, Buffered<SurveyRows>),
    call: &SurveyCall<'_>,
    rng: &mut ChaCha8Rng,
) -> Result<()> {
    if !rng.random_bool(0.3) {
        return Ok(());
    }
    let rows = &mut out.1.cols;
    rows.call_id.append_value(call.call_id);
    rows.answered_at
        .append_value(call.ended_us + rng.random_range(2..30) * 60_000_000);
    let csat: i32 = if call.complaint {
        rng.random_range(1..=2)
    } else if !call.resolved {
        rng.random_range(2..=3)
    } else if call.fatigued {
        rng.random_range(3..=5)
    } else {
        rng.random_range(4..=5)
    };
    // Having to repeat oneself on a bad line costs a point in 40% of the answers.
    let csat = if call.noisy && csat > 1 && rng.random_bool(NOISY_CSAT_PENALTY_SHARE) {
        csat - 1
    } else {
        csat
    };
    rows.csat.append_value(csat);
    let nps = (csat * 2 + rng.random_range(-1..=0)).clamp(0, 10);
    rows.nps.append_value(nps);
    if rng.random_bool(0.5) {
        let phrases = if call.zh { &ZH } else { &EN };
        let pool = if csat >= 4 {
            phrases.survey_good
        } else {
            phrases.survey_bad
        };
        rows.comment
            .append_value(pool.choose(rng).copied().unwrap_or(""));
    } else {
        rows.comment.append_null();
    }
    out.1.row_done(&mut out.0)
}
