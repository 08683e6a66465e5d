//! PostgreSQL's types for literals and for the functions whose DataFusion result type
//! differs, rewritten on the parsed statement (after the columns got their PostgreSQL
//! names, so an added cast does not rename a column):
//!
//! - an integer literal that fits `int4` is `int4` (DataFusion: `int8`), so `select 1 + 1`,
//!   `coalesce(x, 0)` and `case … then 1` are `integer` as in PostgreSQL; a literal with a
//!   decimal point is `numeric` of its own precision and scale (DataFusion: `float8`), so
//!   `0.1 + 0.2 = 0.3` is true and `talk_ms / 1000.0` is exact;
//! - `float` without a precision is `float8` (DataFusion: `float4`), as `float(p)` is for
//!   p > 24;
//! - `extract(field from x)` is `numeric` (PostgreSQL 14+), with the fraction of `second`,
//!   `milliseconds` and `epoch`; `date_part('field', x)` is `float8` with that fraction
//!   (DataFusion truncates seconds to whole ones);
//! - `row_number()`, `rank()`, `dense_rank()` are `bigint` and `ntile()` is `integer`
//!   (DataFusion: unsigned, sent as `numeric`, so `(row_number() - 1) / 20` was not integer
//!   division); `array_length`, `cardinality`, `array_position` are `integer`.
//!
//! Literals whose place needs DataFusion's own integer stay as they are: `LIMIT`/`OFFSET`,
//! positional `ORDER BY 1`/`GROUP BY 1`, window frame offsets, array subscripts and the
//! arguments of functions in `FROM` (`generate_series(1, 10)`).

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    AccessExpr, CastKind, DataType, DateTimeField, ExactNumberInfo, Expr, Function, FunctionArg,
    FunctionArgExpr, FunctionArgumentList, FunctionArguments, GroupByExpr, Ident, ObjectName,
    ObjectNamePart, OrderByKind, Query, Statement, Subscript, TableFactor, Value, ValueWithSpan,
    VisitMut, VisitorMut, WindowType,
};

/// Applies the rewrites to every expression of `statement`.
pub fn use_postgres_result_types(statement: &mut Statement) {
    // Only queries: a `SET x = 1024` keeps its value as written.
    if !matches!(statement, Statement::Query(_) | Statement::Explain { .. }) {
        return;
    }
    let _ = statement.visit(&mut Typer);
    let _ = statement.visit(&mut Unprotect);
}

/// A literal kept as DataFusion reads it is marked with sqlparser's `long` flag (`1L`, a
/// Hive form PostgreSQL has no use for) until the rewrite is done.
fn protect(expr: &mut Expr) {
    struct Protect;
    impl VisitorMut for Protect {
        type Break = ();
        fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
            if let Expr::Value(ValueWithSpan {
                value: Value::Number(_, long),
                ..
            }) = expr
            {
                *long = true;
            }
            ControlFlow::Continue(())
        }
    }
    let _ = expr.visit(&mut Protect);
}

/// Takes the marks off again.
struct Unprotect;

impl VisitorMut for Unprotect {
    type Break = ();
    fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if let Expr::Value(ValueWithSpan {
            value: Value::Number(_, long),
            ..
        }) = expr
        {
            *long = false;
        }
        ControlFlow::Continue(())
    }
}

fn is_number(expr: &Expr) -> bool {
    matches!(
        expr,
        Expr::Value(ValueWithSpan {
            value: Value::Number(..),
            ..
        })
    )
}

struct Typer;

impl VisitorMut for Typer {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        if let Some(limit) = &mut query.limit_clause {
            use datafusion::sql::sqlparser::ast::LimitClause;
            match limit {
                LimitClause::LimitOffset {
                    limit,
                    offset,
                    limit_by,
                } => {
                    limit.iter_mut().for_each(protect);
                    if let Some(offset) = offset {
                        protect(&mut offset.value);
                    }
                    limit_by.iter_mut().for_each(protect);
                }
                LimitClause::OffsetCommaLimit { offset, limit } => {
                    protect(offset);
                    protect(limit);
                }
            }
        }
        if let Some(fetch) = &mut query.fetch {
            fetch.quantity.iter_mut().for_each(protect);
        }
        if let Some(order_by) = &mut query.order_by
            && let OrderByKind::Expressions(items) = &mut order_by.kind
        {
            items
                .iter_mut()
                .filter(|item| is_number(&item.expr))
                .for_each(|item| protect(&mut item.expr));
        }
        if let datafusion::sql::sqlparser::ast::SetExpr::Select(select) = query.body.as_mut()
            && let GroupByExpr::Expressions(items, _) = &mut select.group_by
        {
            items.iter_mut().filter(|e| is_number(e)).for_each(protect);
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
        match factor {
            TableFactor::Table {
                args: Some(args), ..
            } => {
                for arg in &mut args.args {
                    protect_argument(arg);
                }
            }
            TableFactor::Function { args, .. } => args.iter_mut().for_each(protect_argument),
            _ => {}
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        match expr {
            // Window functions and ordered-set aggregates read their constant arguments
            // (`ntile(4)`, `lag(x, 1)`, `percentile_cont(0.5)`) as DataFusion's literals.
            Expr::Function(function)
                if function.over.is_some() || !function.within_group.is_empty() =>
            {
                if let FunctionArguments::List(list) = &mut function.args {
                    list.args.iter_mut().for_each(protect_argument);
                }
                if let Some(WindowType::WindowSpec(spec)) = &mut function.over
                    && let Some(frame) = &mut spec.window_frame
                {
                    use datafusion::sql::sqlparser::ast::WindowFrameBound;
                    for bound in
                        std::iter::once(&mut frame.start_bound).chain(frame.end_bound.as_mut())
                    {
                        if let WindowFrameBound::Preceding(Some(e))
                        | WindowFrameBound::Following(Some(e)) = bound
                        {
                            protect(e);
                        }
                    }
                }
            }
            Expr::Function(function) if function_is(&function.name, "approx_percentile_cont") => {
                if let FunctionArguments::List(list) = &mut function.args {
                    list.args.iter_mut().for_each(protect_argument);
                }
            }
            Expr::CompoundFieldAccess { access_chain, .. } => {
                for access in access_chain {
                    if let AccessExpr::Subscript(subscript) = access {
                        match subscript {
                            Subscript::Index { index } => protect(index),
                            Subscript::Slice {
                                lower_bound,
                                upper_bound,
                                stride,
                            } => {
                                for e in [lower_bound, upper_bound, stride].into_iter().flatten() {
                                    protect(e);
                                }
                            }
                        }
                    }
                }
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if let Some(typed) = typed_literal(expr)
            .or_else(|| extract_as_numeric(expr))
            .or_else(|| date_part_as_float8(expr))
            .or_else(|| function_result(expr))
        {
            *expr = typed;
        } else if let Expr::Cast { data_type, .. } = expr
            && let Some(double) = float_as_double(data_type)
        {
            *data_type = double;
        }
        ControlFlow::Continue(())
    }
}

fn protect_argument(arg: &mut FunctionArg) {
    match arg {
        FunctionArg::Unnamed(FunctionArgExpr::Expr(e))
        | FunctionArg::Named {
            arg: FunctionArgExpr::Expr(e),
            ..
        }
        | FunctionArg::ExprNamed {
            arg: FunctionArgExpr::Expr(e),
            ..
        } => protect(e),
        _ => {}
    }
}

fn cast(expr: Expr, data_type: DataType) -> Expr {
    Expr::Cast {
        kind: CastKind::Cast,
        expr: Box::new(expr),
        data_type,
        array: false,
        format: None,
    }
}

fn numeric(precision: u64, scale: u64) -> DataType {
    DataType::Numeric(ExactNumberInfo::PrecisionAndScale(precision, scale as i64))
}

/// `int4` for an integer literal in its range, `numeric(p, s)` for one with a decimal point
/// (from its text, so no digit is lost).
fn typed_literal(expr: &Expr) -> Option<Expr> {
    let Expr::Value(ValueWithSpan {
        value: Value::Number(text, false),
        ..
    }) = expr
    else {
        return None;
    };
    if text.parse::<i32>().is_ok() {
        return Some(cast(expr.clone(), DataType::Int(None)));
    }
    let (whole, fraction) = text.split_once('.')?;
    if !whole
        .bytes()
        .chain(fraction.bytes())
        .all(|b| b.is_ascii_digit())
    {
        return None; // an exponent (`1e-7`): DataFusion's float8
    }
    let whole = whole.trim_start_matches('0');
    let (precision, scale) = ((whole.len() + fraction.len()).max(1), fraction.len());
    if precision > 38 {
        return None;
    }
    let text = Expr::value(Value::SingleQuotedString(text.clone()));
    Some(cast(text, numeric(precision as u64, scale as u64)))
}

/// `float` (no precision) and `float(25..=53)` are `float8` in PostgreSQL.
fn float_as_double(data_type: &DataType) -> Option<DataType> {
    match data_type {
        DataType::Float(ExactNumberInfo::None) => Some(DataType::DoublePrecision),
        DataType::Float(ExactNumberInfo::Precision(p)) if *p > 24 => {
            Some(DataType::DoublePrecision)
        }
        _ => None,
    }
}

fn call(name: &str, args: Vec<Expr>) -> Expr {
    Expr::Function(Function {
        name: ObjectName(vec![ObjectNamePart::Identifier(Ident::new(name))]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList {
            duplicate_treatment: None,
            args: args
                .into_iter()
                .map(|e| FunctionArg::Unnamed(FunctionArgExpr::Expr(e)))
                .collect(),
            clauses: vec![],
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: vec![],
    })
}

fn text(s: &str) -> Expr {
    Expr::value(Value::SingleQuotedString(s.to_owned()))
}

/// A float literal as DataFusion reads it (it is built after the literals were typed).
fn float(value: &str) -> Expr {
    Expr::value(Value::Number(value.to_owned(), false))
}

/// PostgreSQL's value of `date_part(field, x)` as `float8`: the seconds fields with their
/// fraction, from the microseconds DataFusion keeps; `None` for fields DataFusion gets right.
fn field_value(field: &str, of: Expr) -> Option<Expr> {
    let divided = |by: &str| {
        let micros = call("date_part", vec![text("microsecond"), of.clone()]);
        Expr::BinaryOp {
            left: Box::new(cast(micros, DataType::DoublePrecision)),
            op: datafusion::sql::sqlparser::ast::BinaryOperator::Divide,
            right: Box::new(float(by)),
        }
    };
    Some(match field {
        "second" | "seconds" => divided("1000000.0"),
        "millisecond" | "milliseconds" => divided("1000.0"),
        _ => return None,
    })
}

/// The scale of `extract(field …)`'s numeric, as PostgreSQL prints it.
fn extract_scale(field: &str) -> u64 {
    match field {
        "second" | "seconds" | "epoch" | "julian" => 6,
        "millisecond" | "milliseconds" => 3,
        _ => 0,
    }
}

fn field_name(field: &DateTimeField) -> Option<String> {
    match field {
        DateTimeField::Custom(ident) => Some(ident.value.to_lowercase()),
        DateTimeField::Week(Some(_)) => None,
        other => Some(other.to_string().to_lowercase()),
    }
}

/// `extract(field from x)` → `CAST(<PostgreSQL's field value> AS numeric(38, scale))`.
fn extract_as_numeric(expr: &Expr) -> Option<Expr> {
    let Expr::Extract {
        field, expr: of, ..
    } = expr
    else {
        return None;
    };
    let name = field_name(field)?;
    if matches!(
        name.as_str(),
        "timezone" | "timezone_hour" | "timezone_minute"
    ) {
        // The session zone's offset: DataFusion's date_part has no such fields.
        let value = call(
            super::extract_timezone::NAME,
            vec![text(&name), of.as_ref().clone()],
        );
        return Some(cast(value, numeric(38, 0)));
    }
    let value = field_value(&name, of.as_ref().clone()).unwrap_or_else(|| {
        cast(
            call("date_part", vec![text(&name), of.as_ref().clone()]),
            DataType::DoublePrecision,
        )
    });
    Some(cast(value, numeric(38, extract_scale(&name))))
}

/// The literal first argument of a plain call to `name`, and the other arguments.
fn call_with_text_first<'a>(expr: &'a Expr, name: &str) -> Option<(String, Vec<&'a Expr>)> {
    let Expr::Function(Function {
        name: function,
        args: FunctionArguments::List(list),
        over: None,
        filter: None,
        ..
    }) = expr
    else {
        return None;
    };
    if !function_is(function, name) || list.duplicate_treatment.is_some() {
        return None;
    }
    let mut args = list.args.iter().map(|arg| match arg {
        FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e),
        _ => None,
    });
    let Some(Some(Expr::Value(ValueWithSpan {
        value: Value::SingleQuotedString(first),
        ..
    }))) = args.next()
    else {
        return None;
    };
    Some((first.to_lowercase(), args.collect::<Option<Vec<_>>>()?))
}

fn function_is(name: &ObjectName, wanted: &str) -> bool {
    let parts: Vec<&str> = name
        .0
        .iter()
        .filter_map(|p| p.as_ident().map(|i| i.value.as_str()))
        .collect();
    match parts.as_slice() {
        [only] | ["pg_catalog", only] => only.eq_ignore_ascii_case(wanted),
        _ => false,
    }
}

/// `date_part('field', x)` → PostgreSQL's `float8` value (the fraction of seconds kept).
fn date_part_as_float8(expr: &Expr) -> Option<Expr> {
    let (field, args) = call_with_text_first(expr, "date_part")?;
    let [of] = args.as_slice() else {
        return None;
    };
    if let Some(value) = field_value(&field, (*of).clone()) {
        return Some(value);
    }
    // Already float8 in DataFusion for the fields with fractions; the rest are integers.
    Some(cast(expr.clone(), DataType::DoublePrecision)).filter(|_| field != "epoch")
}

/// Window ranking and array-size functions in PostgreSQL's result types.
fn function_result(expr: &Expr) -> Option<Expr> {
    let Expr::Function(function) = expr else {
        return None;
    };
    let is = |name: &str| function_is(&function.name, name);
    let data_type = if function.over.is_some() {
        if is("row_number") || is("rank") || is("dense_rank") {
            DataType::BigInt(None)
        } else if is("ntile") {
            DataType::Int(None)
        } else {
            return None;
        }
    } else if is("array_length") || is("cardinality") || is("array_position") {
        DataType::Int(None)
    } else {
        return None;
    };
    Some(cast(expr.clone(), data_type))
}

/// Whether a statement still has a literal the rewrite marked (a test helper).
#[cfg(test)]
fn has_marks(statement: &Statement) -> bool {
    use datafusion::sql::sqlparser::ast::{Visit, Visitor};
    struct Marks(bool);
    impl Visitor for Marks {
        type Break = ();
        fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
            if let Expr::Value(ValueWithSpan {
                value: Value::Number(_, true),
                ..
            }) = expr
            {
                self.0 = true;
            }
            ControlFlow::Continue(())
        }
    }
    let mut marks = Marks(false);
    let _ = statement.visit(&mut marks);
    marks.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
    use datafusion::sql::sqlparser::parser::Parser;

    fn rewritten(sql: &str) -> String {
        let mut statement = Parser::parse_sql(&PostgreSqlDialect {}, sql)
            .unwrap()
            .remove(0);
        use_postgres_result_types(&mut statement);
        assert!(!has_marks(&statement), "marks left in {statement}");
        statement.to_string()
    }

    #[test]
    fn literals_take_postgres_types() {
        assert_eq!(
            rewritten("select 1 + 2147483648, 2.50, 0.5, 007.1, 1e-7"),
            "SELECT CAST(1 AS INT) + 2147483648, CAST('2.50' AS NUMERIC(3,2)), \
             CAST('0.5' AS NUMERIC(1,1)), CAST('007.1' AS NUMERIC(2,1)), 1e-7"
        );
        assert_eq!(
            rewritten("select x::float, x::float(53), x::float(10) from t"),
            "SELECT x::DOUBLE PRECISION, x::DOUBLE PRECISION, x::FLOAT(10) FROM t"
        );
    }

    #[test]
    fn positional_and_limit_literals_stay() {
        assert_eq!(
            rewritten(
                "select a[1], sum(x) over (order by y rows 2 preceding) from generate_series(1, 3) \
                 group by 1 order by 2 limit 5 offset 1"
            ),
            "SELECT a[1], sum(x) OVER (ORDER BY y ROWS 2 PRECEDING) FROM generate_series(1, 3) \
             GROUP BY 1 ORDER BY 2 LIMIT 5 OFFSET 1"
        );
        // Inside a subquery too, and an ORDER BY expression is not positional.
        assert_eq!(
            rewritten("select (select 1 from t order by 1 limit 1) order by x + 1"),
            "SELECT (SELECT CAST(1 AS INT) FROM t ORDER BY 1 LIMIT 1) ORDER BY x + CAST(1 AS INT)"
        );
    }

    #[test]
    fn extract_is_numeric_and_date_part_float8_with_fractions() {
        assert_eq!(
            rewritten("select extract(hour from t), extract(epoch from t), extract(second from t)"),
            "SELECT CAST(CAST(date_part('hour', t) AS DOUBLE PRECISION) AS NUMERIC(38,0)), \
             CAST(CAST(date_part('epoch', t) AS DOUBLE PRECISION) AS NUMERIC(38,6)), \
             CAST(CAST(date_part('microsecond', t) AS DOUBLE PRECISION) / 1000000.0 AS NUMERIC(38,6))"
        );
        assert_eq!(
            rewritten("select date_part('hour', t), date_part('epoch', t), date_part('ms', t)"),
            "SELECT CAST(date_part('hour', t) AS DOUBLE PRECISION), date_part('epoch', t), \
             CAST(date_part('ms', t) AS DOUBLE PRECISION)"
        );
    }

    #[test]
    fn ranking_and_array_sizes_take_postgres_types() {
        assert_eq!(
            rewritten("select row_number() over (), ntile(4) over (), cardinality(a)"),
            "SELECT CAST(row_number() OVER () AS BIGINT), CAST(ntile(4) OVER () AS INT), \
             CAST(cardinality(a) AS INT)"
        );
    }
}
