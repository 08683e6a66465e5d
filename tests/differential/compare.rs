//! One statement's answer from a server, and the verdict on two answers.
//!
//! The answer is what a client sees: the columns the extended protocol describes (name and
//! type oid, as pgjdbc and node-postgres read them) and the rows of the simple protocol in
//! text (as psql shows them), or the SQLSTATE of the error.

use tokio_postgres::Client;

use crate::common::harness::text_rows;
use crate::corpus::Statement;

/// What a server answered.
pub struct Answer {
    columns: Vec<(String, u32)>,
    rows: Vec<Vec<Option<String>>>,
    error: Option<(String, String)>,
}

/// Runs `sql` on `client`: Describe first, then the simple protocol for the rows.
pub async fn answer(client: &Client, sql: &str) -> Answer {
    let failed = |e: tokio_postgres::Error| {
        let code = e.code().map_or("?????", |c| c.code()).to_owned();
        let message = e
            .as_db_error()
            .map_or_else(|| e.to_string(), |d| d.message().to_owned());
        Answer {
            columns: Vec::new(),
            rows: Vec::new(),
            error: Some((code, message)),
        }
    };
    let columns = match client.prepare(sql).await {
        Ok(statement) => statement
            .columns()
            .iter()
            .map(|c| (c.name().to_owned(), c.type_().oid()))
            .collect(),
        Err(e) => return failed(e),
    };
    let messages = match client.simple_query(sql).await {
        Ok(messages) => messages,
        Err(e) => return failed(e),
    };
    Answer {
        columns,
        rows: text_rows(&messages),
        error: None,
    }
}

/// The verdict on one statement.
pub enum Outcome {
    /// Same names, types and values (or the same SQLSTATE).
    Identical,
    /// callqa refused it with the SQLSTATE the corpus documents.
    RefusedAsDocumented,
    /// Both answered, differently.
    Different(String),
    /// callqa failed where PostgreSQL answered (or answered another error).
    Error(String),
}

impl Outcome {
    /// The verdict on a statement callqa refuses on purpose with `code`.
    pub fn refusal(code: &str, got: &Answer) -> Outcome {
        match &got.error {
            Some((c, _)) if c == code => Outcome::RefusedAsDocumented,
            Some((c, m)) => Outcome::Error(format!("refused with {c} ({m}), documented {code}")),
            None => Outcome::Different(format!("answered; documented as refused with {code}")),
        }
    }

    /// What to print about a statement that did not match.
    pub fn detail(&self) -> Option<&str> {
        match self {
            Outcome::Identical | Outcome::RefusedAsDocumented => None,
            Outcome::Different(d) => Some(d),
            Outcome::Error(d) => Some(d),
        }
    }
}

/// Type oids whose values compare as numbers to a relative 1e-9: float4, float8, numeric.
const FLOAT_TYPES: [u32; 3] = [700, 701, 1700];

/// Compares callqa's answer `got` with PostgreSQL's `want`.
pub fn judge(statement: &Statement, want: &Answer, got: &Answer) -> Outcome {
    match (&want.error, &got.error) {
        (Some((w, _)), Some((g, _))) if w == g => return Outcome::Identical,
        (Some((w, wm)), Some((g, gm))) => {
            return Outcome::Error(format!("error {g} ({gm}); PostgreSQL: {w} ({wm})"));
        }
        (None, Some((g, gm))) => return Outcome::Error(format!("error {g}: {gm}")),
        (Some((w, wm)), None) => {
            return Outcome::Different(format!("answered; PostgreSQL: error {w} ({wm})"));
        }
        (None, None) => {}
    }
    if want.columns != got.columns {
        return Outcome::Different(format!(
            "columns {}; PostgreSQL: {}",
            show_columns(&got.columns),
            show_columns(&want.columns)
        ));
    }
    if want.rows.len() != got.rows.len() {
        return Outcome::Different(format!(
            "{} rows; PostgreSQL: {}",
            got.rows.len(),
            want.rows.len()
        ));
    }
    if statement.shape_only {
        return Outcome::Identical;
    }
    let floats: Vec<bool> = want
        .columns
        .iter()
        .map(|(_, oid)| FLOAT_TYPES.contains(oid))
        .collect();
    let (mut want_rows, mut got_rows) = (want.rows.clone(), got.rows.clone());
    if !statement.ordered {
        want_rows.sort();
        got_rows.sort();
    }
    for (index, (w, g)) in want_rows.iter().zip(&got_rows).enumerate() {
        let same = w
            .iter()
            .zip(g)
            .zip(&floats)
            .all(|((w, g), float)| same_value(w.as_deref(), g.as_deref(), *float));
        if !same {
            return Outcome::Different(format!(
                "row {}: {}; PostgreSQL: {}",
                index + 1,
                show_row(g),
                show_row(w)
            ));
        }
    }
    Outcome::Identical
}

fn same_value(want: Option<&str>, got: Option<&str>, float: bool) -> bool {
    match (want, got) {
        (Some(w), Some(g)) if float && w != g => match (w.parse::<f64>(), g.parse::<f64>()) {
            (Ok(w), Ok(g)) => (w - g).abs() <= 1e-9 * w.abs().max(g.abs()),
            _ => false,
        },
        _ => want == got,
    }
}

fn show_columns(columns: &[(String, u32)]) -> String {
    let shown: Vec<String> = columns
        .iter()
        .map(|(name, oid)| format!("{name}:{oid}"))
        .collect();
    format!("({})", shown.join(", "))
}

fn show_row(row: &[Option<String>]) -> String {
    let shown: Vec<String> = row
        .iter()
        .map(|v| {
            let v = v.as_deref().unwrap_or("NULL");
            if v.chars().count() > 60 {
                format!("{}…", v.chars().take(60).collect::<String>())
            } else {
                v.to_owned()
            }
        })
        .collect();
    format!("({})", shown.join(", "))
}
