//! callqa's extensions of DataFusion's planner, in the order they run.
//!
//! Each rule is one file named after its type; its rule name is `callqa_` and the file name.
//! `logical/` holds analyzer and optimizer rules over the logical plan, `rewrite/` function
//! rewrites (DataFusion's functions swapped for callqa's wrappers before planning goes on),
//! `physical/` rules over the physical plan. [`with_rules`] adds the plan rules to a session
//! state, [`register_function_rewrites`] the rewrites to a context; both are called once, by
//! the session template.

pub mod logical;
pub mod physical;
pub mod plan_exprs;
pub mod rewrite;

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::execution::SessionStateBuilder;
use datafusion::optimizer::{Analyzer, AnalyzerRule};
use datafusion::prelude::SessionContext;

/// `builder` with callqa's plan rules, each after DataFusion's own of its kind, in this order.
pub fn with_rules(builder: SessionStateBuilder) -> SessionStateBuilder {
    // Analyzer, before DataFusion's type coercion (which fits the rest of the plan to the
    // new types): the fields of timestamp differences with their fractions, then sum(bigint),
    // avg and numeric division with PostgreSQL's numeric results.
    let mut analyzer = Analyzer::new().rules;
    let coercion = analyzer
        .iter()
        .position(|rule| rule.name() == "type_coercion")
        .unwrap_or(analyzer.len());
    analyzer.splice(
        coercion..coercion,
        [
            Arc::new(logical::duration_fields::DurationFields)
                as Arc<dyn AnalyzerRule + Send + Sync>,
            Arc::new(logical::postgres_numeric::PostgresNumeric),
            Arc::new(logical::postgres_type_marks::UnionBranchMarks),
        ],
    );
    builder
        .with_analyzer_rules(analyzer)
        // Analyzer: integer literal arithmetic checked before the simplifier folds it (22003).
        .with_analyzer_rule(Arc::new(
            logical::checked_constant_arithmetic::CheckedConstantArithmetic,
        ))
        // Analyzer: casts to integers round as PostgreSQL's (2.5::int is 3), round(float8)
        // halves to even.
        .with_analyzer_rule(Arc::new(
            logical::rounding_integer_casts::RoundingIntegerCasts,
        ))
        // Analyzer: timestamp literals read as PostgreSQL reads them, timestamptz to date,
        // time or timestamp in the session zone.
        .with_analyzer_rule(Arc::new(logical::session_zone_casts::SessionZoneCasts))
        // Analyzer: text cast to an array is read as PostgreSQL's array literal.
        .with_analyzer_rule(Arc::new(logical::text_to_array_casts::TextToArrayCasts))
        // Analyzer: DISTINCT aggregates ordered by their own (coerced) argument.
        .with_analyzer_rule(Arc::new(
            logical::distinct_ordered_aggregates::DistinctOrderedAggregates,
        ))
        // Analyzer: literal regular expressions read as PostgreSQL's (`\b`, `\y`, `\m`, `.`).
        .with_analyzer_rule(Arc::new(
            logical::postgres_regex_patterns::PostgresRegexPatterns,
        ))
        // Analyzer, last: CASE / nullif / coalesce / UNION columns typed as PostgreSQL
        // resolves them (`name`, `"char"`, `oid` of their first typed input).
        .with_analyzer_rule(Arc::new(logical::postgres_type_marks::PostgresTypeMarks))
        // Optimizer: a `started_at` range also prunes the `date=` partitions.
        .with_optimizer_rule(Arc::new(
            logical::date_partitions_from_started_at::DatePartitionsFromStartedAt,
        ))
        // Optimizer: ORed LIKE/ILIKE keywords on one column become one `like_any` pass.
        .with_optimizer_rule(Arc::new(logical::keyword_search::KeywordSearch))
        // Optimizer: day intervals on UTC timestamps become exact durations (integer math).
        .with_optimizer_rule(Arc::new(
            logical::utc_interval_arithmetic::UtcIntervalArithmetic,
        ))
        // Physical: joins yield, and a nested-loop join's probe side comes in small slices,
        // so a cancelled query gives its cores back.
        .with_physical_optimizer_rule(Arc::new(physical::cooperative_joins::CooperativeJoins))
        // Physical: integer `+ - *` at run time on checked kernels (22003, not wrapping).
        .with_physical_optimizer_rule(Arc::new(physical::checked_arithmetic::CheckedArithmetic))
        // Physical: final aggregations hash their groups (both cores, not one).
        .with_physical_optimizer_rule(Arc::new(
            physical::hashed_final_aggregation::HashedFinalAggregation,
        ))
        // Physical: sorted text is compacted so the merges above sorts count what they hold.
        .with_physical_optimizer_rule(Arc::new(
            physical::compact_views_after_sorts::CompactViewsAfterSorts,
        ))
}

/// Registers the function rewrites on `ctx` (they run first in the analyzer).
pub fn register_function_rewrites(ctx: &SessionContext) -> Result<()> {
    // date_trunc / date_part on UTC timestamps at integer speed.
    rewrite::zone_free_when_utc::register(ctx)?;
    // array_agg of text holds (and reports) plain strings to the memory pool.
    rewrite::retained_text_as_utf8::register(ctx)
}
