//! Parsing SQL the way the server does.
//!
//! datafusion-pg-catalog's compatibility parser rewrites what clients send so DataFusion can
//! plan it. One of its rules replaces every correlated scalar subquery of a select list with
//! NULL (so psql's and DBeaver's catalog queries run); applied to an analyst's query that
//! would be a silent wrong answer (`select …, (select max(x) from calls c where c.call_id =
//! u.call_id) from utterances u` gave NULLs). So a statement that reads callqa's tables or
//! views gets every compatibility rule but that one — DataFusion then plans the subquery or
//! says why not — and catalog queries keep the library's parser as it is.
//!
//! The library also splits array literals (`'{"a","b"}'::text[]`, `x = ANY('{…}')`) at
//! commas, quotes kept inside the elements: every statement first keeps them whole for
//! PostgreSQL's array input ([`super::array_literal_forms`]). A catalog statement with such a
//! literal is parsed here and given the library's rules, unless the library's text
//! substitutions of known client queries apply to it.

use std::ops::ControlFlow;
use std::sync::{Arc, LazyLock};

use datafusion::error::DataFusionError;
use datafusion::sql::sqlparser::ast::{Statement, visit_relations};
use datafusion::sql::sqlparser::parser::ParserError;
use datafusion_pg_catalog::sql::PostgresCompatibilityParser;

use super::array_literal_forms::keep_array_literals_whole;
use super::statement_depth::{self, StatementTooDeep};
use datafusion_pg_catalog::sql::rules::{
    AliasDuplicatedProjectionRewrite, CurrentUserVariableToSessionUserFunctionCall,
    FixVersionColumnName, PrependUnqualifiedPgTableName, ResolveUnqualifiedIdentifier,
    RewriteArrayAnyAllOperation, RewritePgCatalogOperator, RewriteRegCastToSubquery,
    SqlStatementRewriteRule, StripCallableQualifier, StripCollate,
};

/// The library's parser (its rewrite tables are tokenized once per process).
static CATALOG_PARSER: LazyLock<PostgresCompatibilityParser> =
    LazyLock::new(PostgresCompatibilityParser::new);

/// The library's rules in its order, without `RemoveSubqueryFromProjection` and
/// `FixArrayLiteral` (array literals are read whole).
static DATA_RULES: LazyLock<Vec<Arc<dyn SqlStatementRewriteRule>>> = LazyLock::new(|| {
    vec![
        Arc::new(AliasDuplicatedProjectionRewrite),
        Arc::new(ResolveUnqualifiedIdentifier),
        Arc::new(RewriteArrayAnyAllOperation),
        Arc::new(PrependUnqualifiedPgTableName),
        Arc::new(StripCallableQualifier),
        Arc::new(CurrentUserVariableToSessionUserFunctionCall),
        Arc::new(StripCollate),
        Arc::new(RewritePgCatalogOperator),
        Arc::new(RewriteRegCastToSubquery::new()),
        Arc::new(FixVersionColumnName),
    ]
});

/// callqa's tables and QA views: a statement reading one of them is an analyst's query.
const DATA_RELATIONS: [&str; 10] = [
    "calls",
    "utterances",
    "audio_features",
    "surveys",
    "agents",
    "qa_rules",
    "qa_results",
    "qa_scorecard",
    "call_metrics",
    "agent_daily",
];

/// Splits `sql` (after the known client fragments are replaced) into rewritten statements.
/// A statement nested too deeply is refused before any rewrite walks it
/// ([`super::statement_depth`]).
pub fn parse(sql: &str) -> datafusion::error::Result<Vec<Statement>> {
    // DECLARE … CURSOR, FETCH and MOVE take PostgreSQL's grammar; the rest of such a text,
    // and each DECLARE's query, come back here.
    if let Some(statements) = super::cursor_statements::parse(sql, parse) {
        return statements;
    }
    let sql = super::substitute_client_fragments(sql);
    let too_deep = |e: StatementTooDeep| DataFusionError::External(Box::new(e));
    let syntax = |e: ParserError| DataFusionError::SQL(Box::new(e), None);
    statement_depth::check_tokens(&sql).map_err(too_deep)?;
    match super::reset_spellings::parse_sql(&sql) {
        Ok(statements) => {
            for statement in &statements {
                statement_depth::check(statement).map_err(too_deep)?;
            }
            if statements.iter().any(reads_data) {
                return Ok(statements
                    .into_iter()
                    .map(|mut s| {
                        keep_array_literals_whole(&mut s);
                        DATA_RULES.iter().fold(s, |s, rule| rule.rewrite(s))
                    })
                    .collect());
            }
            let library = match CATALOG_PARSER.parse(&sql) {
                Ok(library) => library,
                // The library does not read `RESET TIME ZONE`; its rules are for queries, and
                // settings statements hold none.
                Err(_) if statements.iter().all(is_setting_statement) => return Ok(statements),
                Err(e) => return Err(syntax(e)),
            };
            let mut whole = statements.clone();
            let mut literals = false;
            for statement in &mut whole {
                literals |= keep_array_literals_whole(statement);
            }
            let substituted = || {
                let plain: Vec<Statement> = statements
                    .iter()
                    .map(|s| CATALOG_PARSER.rewrite(s.clone()))
                    .collect();
                plain != library
            };
            if !literals || substituted() {
                return Ok(library);
            }
            Ok(whole
                .into_iter()
                .map(|s| CATALOG_PARSER.rewrite(s))
                .collect())
        }
        // What only the library's token-level fixes can read.
        Err(_) => {
            let statements = CATALOG_PARSER.parse(&sql).map_err(syntax)?;
            for statement in &statements {
                statement_depth::check(statement).map_err(too_deep)?;
            }
            Ok(statements)
        }
    }
}

fn is_setting_statement(statement: &Statement) -> bool {
    matches!(
        statement,
        Statement::Reset(_) | Statement::Set(_) | Statement::ShowVariable { .. }
    )
}

fn reads_data(statement: &Statement) -> bool {
    let mut found = false;
    let _ = visit_relations(statement, |name| {
        let data = match super::rewrite::name_parts(name).as_slice() {
            [table] => DATA_RELATIONS.contains(&table.as_str()),
            [schema, table] | [_, schema, table] => {
                schema == crate::data::schema::SCHEMA && DATA_RELATIONS.contains(&table.as_str())
            }
            _ => false,
        };
        if data {
            found = true;
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn analysts_correlated_subqueries_are_kept() {
        let sql = "select u.call_id, (select max(c.queue) from calls c where c.call_id = u.call_id) from utterances u";
        let parsed = parse(sql).unwrap()[0].to_string();
        assert!(
            parsed.contains("SELECT max(c.queue) FROM calls"),
            "{parsed}"
        );
    }

    #[test]
    fn catalog_queries_keep_the_library_rules() {
        let sql = "select c.relname, (select n.nspname from pg_namespace n where n.oid = c.relnamespace) from pg_class c";
        let parsed = parse(sql).unwrap()[0].to_string();
        assert!(parsed.contains("pg_catalog.pg_class"), "{parsed}");
    }
}
