//! One answered call's conversation, laid out on a timeline: who says what, when, how fast.
//!
//! The call runs in phases (opening, noisy-line repeats, exchanges, hold or dead air,
//! transfers, solution, closing); each phase draws from the phrase pools of `script.rs` and
//! plants its effects (skipped greetings, curt lines, slow speech, interruptions).

use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;

use super::Queue;
use super::planted::{
    BACKGROUND_GREETING_SKIP, BACKGROUND_RESTATE_SKIP, COMPLEX_EXCHANGE_FACTOR, DEAD_AIR_SHARE,
    NEW_AGENT_SKIP_VERIFY, NOISY_REPEATS, OUTBOUND_PROMISE_SHARE, SKIPPER_SKIP_SHARE,
    TENURED_SKIP_VERIFY,
};
use super::population::{Agent, Customer};
use super::script::{EN, EN_QUEUES, Line, Phrases, QueueScript, ZH, ZH_QUEUES};

/// One utterance as planned, before it is written.
#[derive(Debug, Clone)]
pub(super) struct Utterance {
    pub agent: bool,
    pub start: i64,
    pub end: i64,
    pub text: String,
    pub anger: f64,
}

/// How the agent speaks on this call.
pub(super) struct Style {
    /// Probability that an agent line comes out curt instead of polite.
    pub p_curt: f64,
    /// Agent speech rate in characters per minute (Chinese); English scales it to words.
    pub agent_rate: f64,
    /// 0 (fresh) to 1 (past the 80th call): a tired voice is flatter, lower and quieter, the
    /// fatigue pattern `voice_stress` tells apart from stress.
    pub tired: f64,
    pub zh: bool,
}

/// What the conversation of one answered call is about and who takes part.
pub(super) struct CallPlan<'a> {
    pub agent: &'a Agent,
    pub customer: &'a Customer,
    pub queue: Queue,
    pub outbound: bool,
    pub angry: bool,
    pub old_policy: bool,
    pub transfers: i32,
    pub complex: bool,
    pub noisy: bool,
    pub interrupt_p: f64,
}

/// Speech units of a text as the `speech_rate` SQL function counts them: one per CJK
/// character and one per run of letters or digits (an English word, a number), punctuation
/// nothing. Durations follow from it, so measured rates equal the planted ones.
fn units(text: &str) -> f64 {
    let mut count = 0usize;
    let mut in_word = false;
    for c in text.chars() {
        if ('\u{4e00}'..='\u{9fff}').contains(&c) {
            count += 1;
            in_word = false;
        } else if c.is_alphanumeric() || (in_word && c == '\'') {
            if !in_word {
                count += 1;
            }
            in_word = true;
        } else {
            in_word = false;
        }
    }
    count.max(1) as f64
}

/// How long saying `text` takes at `per_minute` units (characters or words) per minute.
fn speaking_ms(text: &str, per_minute: f64) -> i64 {
    (units(text) / per_minute * 60_000.0).round().max(1.0) as i64
}

/// Lays out the conversation on a timeline; returns the utterances and the hold time.
pub(super) fn script_call(
    plan: &CallPlan<'_>,
    style: &Style,
    rng: &mut ChaCha8Rng,
) -> (Vec<Utterance>, i64) {
    let phrases: &Phrases = if style.zh { &ZH } else { &EN };
    let scripts = if style.zh { &ZH_QUEUES } else { &EN_QUEUES };
    let queue: &QueueScript = &scripts[plan.queue.script_index()];
    let need = queue.needs.choose(rng).copied().unwrap_or("");
    let mut talk = Talk {
        utterances: Vec::new(),
        clock: rng.random_range(300..1500),
        hold_ms: 0,
        style,
        plan,
        phrases,
        need,
    };
    talk.opening(rng);
    talk.repeats_on_a_noisy_line(rng);
    talk.exchanges(rng);
    talk.hold_or_dead_air(rng);
    talk.transfers(rng);
    talk.solution(queue, rng);
    talk.closing(rng);
    (talk.utterances, talk.hold_ms)
}

/// A conversation being laid out on the timeline.
struct Talk<'a> {
    utterances: Vec<Utterance>,
    clock: i64,
    hold_ms: i64,
    style: &'a Style,
    plan: &'a CallPlan<'a>,
    phrases: &'a Phrases,
    /// The customer's need as they say it, quoted back in the agent's lines.
    need: &'static str,
}

impl Talk<'_> {
    /// Greeting (skipped by some), the need, an angry start, restating it, verifying contact.
    fn opening(&mut self, rng: &mut ChaCha8Rng) {
        let phrases = self.phrases;
        let skipper = self.plan.agent.skips_greeting;
        // Planted sizes are the total rates: 34% for the skippers, a background for the rest.
        let skip_greeting = rng.random_bool(if skipper {
            SKIPPER_SKIP_SHARE
        } else {
            BACKGROUND_GREETING_SKIP
        });
        let greeting = if skip_greeting {
            phrases.greeting_skipped
        } else {
            phrases.greeting
        };
        let text = self.pick(greeting, rng);
        self.agent(text, rng);
        let stated = if self.style.zh {
            format!("{}。", self.need)
        } else {
            format!("Hi, {}.", self.need)
        };
        self.customer(stated, if self.plan.angry { 0.5 } else { 0.0 }, rng);
        if self.plan.angry {
            self.outburst_and_apology(rng);
        }
        let skip_restate = rng.random_bool(if skipper {
            SKIPPER_SKIP_SHARE
        } else {
            BACKGROUND_RESTATE_SKIP
        });
        if !skip_restate {
            let text = self.line(phrases.restate, rng);
            self.agent(text, rng);
            let text = self.pick(phrases.confirm, rng);
            self.customer(text, 0.0, rng);
        }
        let skip_verify = rng.random_bool(if self.plan.agent.is_new {
            NEW_AGENT_SKIP_VERIFY
        } else {
            TENURED_SKIP_VERIFY
        });
        if !skip_verify {
            let text = self.line(phrases.verify, rng);
            self.agent(text, rng);
            let text = self.pick(phrases.verify_answer, rng);
            self.customer(text, 0.0, rng);
        }
    }

    /// "Can you repeat that": always on the noisy line, now and then elsewhere.
    fn repeats_on_a_noisy_line(&mut self, rng: &mut ChaCha8Rng) {
        let repeats = if self.plan.noisy {
            rng.random_range(NOISY_REPEATS)
        } else if rng.random_bool(0.03) {
            1
        } else {
            0
        };
        for _ in 0..repeats {
            let text = self.pick(self.phrases.noisy_customer, rng);
            self.customer(text, 0.2, rng);
            let text = self.pick(self.phrases.noisy_agent, rng);
            self.agent(text, rng);
        }
    }

    /// The back-and-forth about the need; complex calls take more of it.
    fn exchanges(&mut self, rng: &mut ChaCha8Rng) {
        let mut exchanges = rng.random_range(3..=7) as f64;
        if self.plan.complex {
            exchanges *= COMPLEX_EXCHANGE_FACTOR;
        }
        for _ in 0..exchanges.round() as usize {
            let text = self.line(self.phrases.small_talk_agent, rng);
            self.agent(text, rng);
            let text = self.pick(self.phrases.small_talk_customer, rng);
            let anger = if self.plan.angry { 0.4 } else { 0.0 };
            self.customer(text, anger, rng);
        }
    }

    /// A hold with notice and return, or sometimes dead air: a long silence without notice
    /// (a QA violation).
    fn hold_or_dead_air(&mut self, rng: &mut ChaCha8Rng) {
        let complex = self.plan.complex;
        if rng.random_bool(if complex { 0.6 } else { 0.35 }) {
            let text = self.line(self.phrases.hold_notice, rng);
            self.agent(text, rng);
            let hold = if complex {
                rng.random_range(20_000..60_000)
            } else {
                rng.random_range(15_000..60_000)
            };
            self.clock += hold;
            self.hold_ms += hold;
            let text = self.line(self.phrases.hold_back, rng);
            self.agent(text, rng);
        } else if rng.random_bool(DEAD_AIR_SHARE) {
            self.clock += rng.random_range(31_000..45_000);
        }
    }

    fn transfers(&mut self, rng: &mut ChaCha8Rng) {
        for _ in 0..self.plan.transfers {
            let text = if self.style.zh {
                "请您稍等，我帮您转接到专业部门。"
            } else {
                "Please hold, I'll transfer you to the right team."
            };
            self.agent(text.to_owned(), rng);
            let hold = rng.random_range(15_000..25_000);
            self.clock += hold;
            self.hold_ms += hold;
        }
    }

    /// The answer (the old refund policy after the change) and, on outbound calls, sometimes
    /// a promise the agent may not make.
    fn solution(&mut self, queue: &QueueScript, rng: &mut ChaCha8Rng) {
        let solution = if self.plan.old_policy {
            self.pick(queue.old_policy, rng)
        } else {
            self.line(queue.solutions, rng)
        };
        self.agent(solution, rng);
        if self.plan.outbound && rng.random_bool(OUTBOUND_PROMISE_SHARE) {
            let text = self.pick(self.phrases.promise, rng);
            self.agent(text, rng);
        }
    }

    /// Thanks or a second outburst, "anything else?" (skippers often leave it out), goodbye.
    fn closing(&mut self, rng: &mut ChaCha8Rng) {
        if self.plan.angry {
            self.outburst_and_apology(rng);
        } else {
            let text = self.pick(self.phrases.thanks, rng);
            self.customer(text, 0.0, rng);
        }
        let skips_anything_else = if self.plan.agent.skips_greeting {
            0.3
        } else {
            0.08
        };
        if !rng.random_bool(skips_anything_else) {
            let text = self.line(self.phrases.anything_else, rng);
            self.agent(text, rng);
            let text = self.pick(self.phrases.nothing_else, rng);
            self.customer(text, 0.0, rng);
        }
        let text = self.line(self.phrases.goodbye, rng);
        self.agent(text, rng);
    }

    fn outburst_and_apology(&mut self, rng: &mut ChaCha8Rng) {
        let text = self.pick(self.phrases.angry, rng);
        self.customer(text, 1.0, rng);
        let text = self.line(self.phrases.apology, rng);
        self.agent(text, rng);
    }

    /// A template with the agent's number and name, the customer's phone and need filled in.
    fn fill(&self, text: &str) -> String {
        text.replace("{id}", &self.plan.agent.staff_no.to_string())
            .replace("{name}", self.plan.agent.first_name)
            .replace("{phone}", &self.plan.customer.phone)
            .replace("{need}", self.need)
    }

    /// One of the phrases of `pool`, filled in.
    fn pick(&self, pool: &[&'static str], rng: &mut ChaCha8Rng) -> String {
        self.fill(pool.choose(rng).copied().unwrap_or(""))
    }

    /// The polite or curt form of a line, by the agent's current style.
    fn line(&self, pool: &[Line], rng: &mut ChaCha8Rng) -> String {
        match pool.choose(rng) {
            Some(line) if rng.random_bool(self.style.p_curt.clamp(0.0, 1.0)) => {
                self.fill(line.curt)
            }
            Some(line) => self.fill(line.polite),
            None => String::new(),
        }
    }

    fn agent(&mut self, text: String, rng: &mut ChaCha8Rng) {
        let rate = self.style.agent_rate * rng.random_range(0.93..1.07);
        let per_minute = if self.style.zh {
            rate
        } else {
            rate * 150.0 / 220.0
        };
        let duration = speaking_ms(&text, per_minute);
        let mut start = self.clock + rng.random_range(300..1200);
        // Interruption: the agent starts while the customer is still talking, well after
        // the customer began (so it is not back-channel).
        if let Some(prev) = self.utterances.last()
            && !prev.agent
            && prev.end - prev.start > 3_000
            && rng.random_bool(self.plan.interrupt_p)
        {
            start = (prev.end - rng.random_range(1_000..2_000)).max(prev.start + 1_500);
        }
        self.push(true, start, duration, text, 0.0);
    }

    fn customer(&mut self, text: String, anger: f64, rng: &mut ChaCha8Rng) {
        let base = if anger > 0.6 { 240.0 } else { 200.0 };
        let rate = base * rng.random_range(0.85..1.15);
        let per_minute = if self.style.zh {
            rate
        } else {
            rate * 140.0 / 200.0
        };
        let duration = speaking_ms(&text, per_minute);
        let start = self.clock + rng.random_range(300..1500);
        self.push(false, start, duration, text, anger);
    }

    fn push(&mut self, agent: bool, start: i64, duration: i64, text: String, anger: f64) {
        let end = start + duration;
        self.clock = self.clock.max(end);
        self.utterances.push(Utterance {
            agent,
            start,
            end,
            text,
            anger,
        });
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;
    use crate::generate::GenerateOptions;
    use crate::generate::population::Population;

    #[test]
    fn agent_lines_get_curt_after_the_80th_call() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let opts = GenerateOptions::default();
        let Population { agents, customers } = Population::draw(&opts, &mut rng);
        let polite_share = |p_curt: f64, rng: &mut ChaCha8Rng| {
            let style = Style {
                p_curt,
                agent_rate: 220.0,
                tired: 0.0,
                zh: true,
            };
            let plan = CallPlan {
                agent: &agents[0],
                customer: &customers[0],
                queue: Queue::TechSupport,
                outbound: false,
                angry: false,
                old_policy: false,
                transfers: 0,
                complex: false,
                noisy: false,
                interrupt_p: 0.0,
            };
            let mut polite = 0;
            let mut total = 0;
            for _ in 0..300 {
                let (utterances, _) = script_call(&plan, &style, rng);
                for u in utterances.iter().filter(|u| u.agent) {
                    total += 1;
                    if u.text.contains('您') || u.text.contains('请') || u.text.contains('谢') {
                        polite += 1;
                    }
                }
            }
            f64::from(polite) / f64::from(total)
        };
        let fresh = polite_share(0.08, &mut rng);
        let tired = polite_share(0.31, &mut rng);
        assert!(tired < fresh * 0.85, "fresh {fresh:.3} tired {tired:.3}");
    }
}
