//! Reading a corpus file: statements ending with `;` at the end of a line, each with the
//! `--` comment lines before it, among which the directives `-- compare: shape` (names, types
//! and row count only) and `-- refused: SQLSTATE` (callqa refuses it; PostgreSQL is not asked).

use datafusion::sql::sqlparser::ast::Statement as Ast;
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;

/// One statement of a corpus file.
pub struct Statement {
    /// Its SQL, without the final `;`.
    pub sql: String,
    /// The line it starts on, from 1.
    pub line: usize,
    /// Compare only column names, types and the row count.
    pub shape_only: bool,
    /// The SQLSTATE callqa answers it with, when callqa refuses it on purpose.
    pub refused: Option<String>,
    /// Whether its outermost query sorts, so rows compare in order.
    pub ordered: bool,
}

impl Statement {
    /// The first line of its SQL, to name it in the report.
    pub fn first_line(&self) -> &str {
        self.sql.lines().next().unwrap_or_default()
    }
}

/// The statements of a corpus file `name`.
pub fn parse(text: &str, name: &str) -> Vec<Statement> {
    let mut statements = Vec::new();
    let mut sql = String::new();
    let mut start = 0;
    let mut shape_only = false;
    let mut refused = None;
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if sql.is_empty() {
            if let Some(comment) = trimmed.strip_prefix("--") {
                let comment = comment.trim();
                if comment == "compare: shape" {
                    shape_only = true;
                } else if let Some(code) = comment.strip_prefix("refused:") {
                    let code = code.trim().to_owned();
                    assert!(
                        code.len() == 5,
                        "{name}:{}: `refused:` takes a SQLSTATE",
                        index + 1
                    );
                    refused = Some(code);
                }
                continue;
            }
            if trimmed.is_empty() {
                continue;
            }
            start = index + 1;
        }
        sql.push_str(line);
        sql.push('\n');
        if trimmed.ends_with(';') {
            let text = sql.trim().trim_end_matches(';').trim().to_owned();
            statements.push(Statement {
                ordered: sorts(&text),
                sql: text,
                line: start,
                shape_only,
                refused: refused.take(),
            });
            sql.clear();
            shape_only = false;
        }
    }
    assert!(
        sql.trim().is_empty(),
        "{name}: the last statement does not end with `;`"
    );
    statements
}

/// Whether the outermost query of `sql` has an ORDER BY (PostgreSQL's parse of it; a
/// statement the parser does not know is compared as a multiset).
fn sorts(sql: &str) -> bool {
    match Parser::parse_sql(&PostgreSqlDialect {}, sql).as_deref() {
        Ok([Ast::Query(query)]) => query.order_by.is_some(),
        _ => false,
    }
}
