//! Who is in the generated centre: agents (team, site, shift, tenure, voice) and customers
//! (tier, region, language, phone, voice), drawn once at the start of a run.

use chrono::Datelike;
use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;

use super::planted::NEW_AGENT_DAYS;
use super::{GenerateOptions, REGIONS};

/// The agents and customers of one run.
pub(super) struct Population {
    pub agents: Vec<Agent>,
    pub customers: Vec<Customer>,
}

impl Population {
    /// Agents first, then customers, from the run's one random stream.
    pub fn draw(opts: &GenerateOptions, rng: &mut ChaCha8Rng) -> Population {
        let agents = make_agents(opts, rng);
        let customers = make_customers(opts, rng);
        Population { agents, customers }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shift {
    Morning,
    Day,
    Evening,
    Night,
}

impl Shift {
    pub fn name(self) -> &'static str {
        match self {
            Shift::Morning => "morning",
            Shift::Day => "day",
            Shift::Evening => "evening",
            Shift::Night => "night",
        }
    }

    pub fn covers(self, hour: u32) -> bool {
        match self {
            Shift::Morning => (6..14).contains(&hour),
            Shift::Day => (9..18).contains(&hour),
            Shift::Evening => (14..24).contains(&hour),
            Shift::Night => !(6..22).contains(&hour),
        }
    }
}

/// An agent of the generated centre.
#[derive(Debug, Clone)]
pub(super) struct Agent {
    pub id: String,
    pub name: String,
    pub first_name: &'static str,
    pub staff_no: u32,
    pub team: &'static str,
    pub site: &'static str,
    pub hired_on_days: i32,
    pub shift: Shift,
    pub skips_greeting: bool,
    pub is_new: bool,
    pub pitch_hz: f64,
}

/// A customer of the generated centre.
#[derive(Debug, Clone)]
pub(super) struct Customer {
    pub id: String,
    pub tier: &'static str,
    pub region: &'static str,
    pub zh: bool,
    pub phone: String,
    /// Voice baseline: lower and higher voices, 100–260 Hz.
    pub pitch_hz: f64,
}

const ZH_SURNAMES: [&str; 12] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴", "徐", "孙",
];
const ZH_GIVEN: [&str; 12] = [
    "丽", "伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "军", "杰", "婷",
];
const EN_FIRST: [&str; 12] = [
    "Emma", "Liam", "Olivia", "Noah", "Ava", "Mia", "Lucas", "Grace", "Ethan", "Chloe", "Ryan",
    "Nina",
];
const EN_LAST: [&str; 8] = [
    "Smith", "Chen", "Garcia", "Brown", "Lee", "Wong", "Taylor", "Reyes",
];
const TEAMS: [&str; 5] = [
    "billing",
    "tech_support",
    "sales",
    "complaints",
    "vip_service",
];
const SITES: [&str; 3] = ["shanghai", "chengdu", "manila"];

fn make_agents(opts: &GenerateOptions, rng: &mut ChaCha8Rng) -> Vec<Agent> {
    let start_days = opts.start_date.num_days_from_ce() - 719_163; // days since 1970-01-01
    (1..=opts.agents)
        .map(|n| {
            let zh = rng.random_bool(0.7);
            let (name, first_name) = if zh {
                let surname = *ZH_SURNAMES.choose(rng).unwrap_or(&"王");
                let given = *ZH_GIVEN.choose(rng).unwrap_or(&"丽");
                (format!("{surname}{given}"), given)
            } else {
                let first = *EN_FIRST.choose(rng).unwrap_or(&"Emma");
                (
                    format!("{first} {}", EN_LAST.choose(rng).unwrap_or(&"Lee")),
                    first,
                )
            };
            let is_new = rng.random_bool(0.2);
            let tenure_days = if is_new {
                rng.random_range(10..NEW_AGENT_DAYS)
            } else {
                rng.random_range(120..2500)
            };
            let shift = match rng.random_range(0..100) {
                0..30 => Shift::Morning,
                30..70 => Shift::Day,
                70..95 => Shift::Evening,
                _ => Shift::Night,
            };
            Agent {
                id: format!("A{n:04}"),
                name,
                first_name,
                staff_no: 1000 + n,
                team: TEAMS[(n as usize) % TEAMS.len()],
                site: SITES[(n as usize) % SITES.len()],
                hired_on_days: start_days - tenure_days,
                shift,
                skips_greeting: n % 10 == 3,
                is_new,
                pitch_hz: rng.random_range(170.0..235.0),
            }
        })
        .collect()
}

fn make_customers(opts: &GenerateOptions, rng: &mut ChaCha8Rng) -> Vec<Customer> {
    let count = (opts.calls / 3).clamp(50, 2_000_000);
    (0..count)
        .map(|n| {
            let zh = rng.random_bool(0.7);
            let region = if zh {
                REGIONS[rng.random_range(0..5)]
            } else if rng.random_bool(0.6) {
                "overseas"
            } else {
                REGIONS[rng.random_range(0..5)]
            };
            let tier = match rng.random_range(0..100) {
                0..10 => "vip",
                10..80 => "regular",
                _ => "new",
            };
            let phone = format!(
                "1{}{} {:04} {:04}",
                rng.random_range(3..10),
                rng.random_range(0..10),
                rng.random_range(0..10_000),
                rng.random_range(0..10_000)
            );
            let pitch_hz = if rng.random_bool(0.5) {
                rng.random_range(100.0..160.0)
            } else {
                rng.random_range(170.0..260.0)
            };
            Customer {
                id: format!("U{n:07}"),
                tier,
                region,
                zh,
                phone,
                pitch_hz,
            }
        })
        .collect()
}
