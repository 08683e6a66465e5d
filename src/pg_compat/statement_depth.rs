//! The bound on how deeply a statement's expressions nest, checked right after parsing.
//!
//! sqlparser builds `1 + 1 + … + 1` and long `OR`/`AND`/`||` chains in a loop, so a few KB of
//! SQL become a tree thousands of levels deep; everything after the parser (the rewrites,
//! DataFusion's planner, optimizer and expression evaluation, even `Clone`) walks it by
//! recursion and would overflow the thread's stack, aborting the whole server. Postgres
//! answers such a statement with `54001 stack depth limit exceeded`; so does callqa, before
//! anything recursive touches the tree.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{Expr, Statement, Visit, Visitor};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer};

/// Expressions nested deeper than this are refused. Generated dashboard SQL nests a few dozen
/// levels; a 1,000-term `OR` chain is 1,000 deep and still planned. The server plans and runs
/// statements on threads whose stack holds several times this depth (see
/// `server::runtimes`).
pub const MAX_EXPRESSION_DEPTH: usize = 1_000;

/// A statement nests its expressions deeper than [`MAX_EXPRESSION_DEPTH`].
#[derive(Debug)]
pub struct StatementTooDeep;

impl std::fmt::Display for StatementTooDeep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "stack depth limit exceeded: an expression nests more than {MAX_EXPRESSION_DEPTH} \
             levels deep (a long chain of +, ||, AND or OR); write long lists as \
             `x IN (…)`, or split the statement"
        )
    }
}

impl std::error::Error for StatementTooDeep {}

/// Refuses a parsed statement whose expressions nest too deeply. The walk stops at the bound,
/// so it recurses no deeper than [`MAX_EXPRESSION_DEPTH`] itself.
pub fn check(statement: &Statement) -> Result<(), StatementTooDeep> {
    let mut depth = Depth { current: 0 };
    match statement.visit(&mut depth) {
        ControlFlow::Break(()) => Err(StatementTooDeep),
        ControlFlow::Continue(()) => Ok(()),
    }
}

/// Refuses SQL that could parse into a tree much deeper than the bound, from its tokens
/// alone, before the parser builds it (a tree too deep to check is also too deep to drop).
///
/// Each level the parser's loop adds takes an operator and an operand, within one run of
/// tokens not broken by a comma, a parenthesis or a keyword that ends an expression (`WHEN`,
/// `THEN`, `FROM`, …); runs nested in parentheses add up. So the tokens of the runs open at
/// any point bound the depth there: at most [`MAX_RUN_TOKENS`], four times the bound, which
/// lists (`IN (…)`, select lists, arguments) and `CASE` arms never approach.
pub fn check_tokens(sql: &str) -> Result<(), StatementTooDeep> {
    let Ok(tokens) = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize() else {
        return Ok(()); // the parser reports what is wrong with it
    };
    // Tokens of the current run at each open parenthesis level, and their sum.
    let mut runs: Vec<usize> = vec![0];
    let mut open = 0usize;
    for token in tokens {
        match token {
            Token::Whitespace(_) => {}
            Token::LParen | Token::LBracket => runs.push(0),
            Token::RParen | Token::RBracket => {
                open -= runs.pop().unwrap_or(0);
                if runs.is_empty() {
                    runs.push(0);
                }
            }
            Token::SemiColon => {
                runs = vec![0];
                open = 0;
            }
            Token::Comma => end_run(&mut runs, &mut open),
            Token::Word(word) if ENDS_AN_EXPRESSION.contains(&word.keyword) => {
                end_run(&mut runs, &mut open);
            }
            _ => {
                if let Some(run) = runs.last_mut() {
                    *run += 1;
                }
                open += 1;
                if open > MAX_RUN_TOKENS {
                    return Err(StatementTooDeep);
                }
            }
        }
    }
    Ok(())
}

/// Tokens of open runs beyond which a statement is refused unparsed.
const MAX_RUN_TOKENS: usize = 8 * MAX_EXPRESSION_DEPTH;

/// Keywords no expression continues past.
const ENDS_AN_EXPRESSION: [Keyword; 16] = [
    Keyword::SELECT,
    Keyword::FROM,
    Keyword::WHERE,
    Keyword::GROUP,
    Keyword::HAVING,
    Keyword::ORDER,
    Keyword::LIMIT,
    Keyword::ON,
    Keyword::JOIN,
    Keyword::UNION,
    Keyword::CASE,
    Keyword::WHEN,
    Keyword::THEN,
    Keyword::ELSE,
    Keyword::END,
    Keyword::AS,
];

fn end_run(runs: &mut [usize], open: &mut usize) {
    if let Some(run) = runs.last_mut() {
        *open -= *run;
        *run = 0;
    }
}

struct Depth {
    current: usize,
}

impl Visitor for Depth {
    type Break = ();

    fn pre_visit_expr(&mut self, _expr: &Expr) -> ControlFlow<()> {
        self.current += 1;
        if self.current > MAX_EXPRESSION_DEPTH {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }

    fn post_visit_expr(&mut self, _expr: &Expr) -> ControlFlow<()> {
        self.current = self.current.saturating_sub(1);
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use datafusion::sql::sqlparser::parser::Parser;

    use super::*;

    fn chain(operator: &str, terms: usize) -> String {
        format!("select {}", vec!["1"; terms].join(operator))
    }

    fn parsed(sql: &str) -> Statement {
        Parser::parse_sql(&PostgreSqlDialect {}, sql)
            .unwrap()
            .remove(0)
    }

    #[test]
    fn chains_up_to_the_bound_pass_and_longer_ones_are_refused() {
        assert!(check(&parsed(&chain(" + ", MAX_EXPRESSION_DEPTH / 2))).is_ok());
        assert!(check(&parsed(&chain(" or ", MAX_EXPRESSION_DEPTH - 1))).is_ok());
        assert!(check(&parsed(&chain(" or ", MAX_EXPRESSION_DEPTH + 2))).is_err());
        assert!(check(&parsed(&chain(" || ", 3 * MAX_EXPRESSION_DEPTH))).is_err());
    }

    #[test]
    fn wide_statements_are_not_deep() {
        let columns = (0..3 * MAX_EXPRESSION_DEPTH)
            .map(|i| format!("{i} + 1 as c{i}"))
            .collect::<Vec<_>>()
            .join(", ");
        assert!(check(&parsed(&format!("select {columns}"))).is_ok());
        let list = vec!["1"; 10 * MAX_EXPRESSION_DEPTH].join(", ");
        assert!(check(&parsed(&format!("select 1 in ({list})"))).is_ok());
    }

    #[test]
    fn token_runs_bound_chains_but_not_lists_or_case_arms() {
        assert!(check_tokens(&chain(" + ", 4 * MAX_EXPRESSION_DEPTH - 10)).is_ok());
        assert!(check_tokens(&chain(" + ", 4 * MAX_EXPRESSION_DEPTH + 10)).is_err());
        // Runs nested in parentheses add up.
        let terms = vec!["1"; 1500].join(" + ");
        let nested = format!("select {terms} + ({terms} + ({terms}))");
        assert!(check_tokens(&format!("select ({terms}) + ({terms}) + ({terms})")).is_ok());
        assert!(check_tokens(&nested).is_err());
        let many = vec![chain(" + ", 100); 200].join("; ");
        assert!(check_tokens(&many).is_ok());
        let list = vec!["1"; 20 * MAX_EXPRESSION_DEPTH].join(", ");
        assert!(check_tokens(&format!("select 1 in ({list}), {list}")).is_ok());
        let arms: String = (0..5 * MAX_EXPRESSION_DEPTH)
            .map(|i| format!(" when x = {i} then 'a{i}'"))
            .collect();
        assert!(check_tokens(&format!("select case{arms} else 'z' end from t")).is_ok());
    }
}
