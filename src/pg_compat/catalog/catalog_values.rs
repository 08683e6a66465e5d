//! Expressions over catalog values that PostgreSQL evaluates by their type, not by the
//! Arrow type callqa stores them in:
//!
//! - a `reg*` value cast to text is the object's name (`atttypid::regtype::text` is
//!   `integer`, `typreceive::text` is `boolrecv`), an `int2vector` cast to text is `1 3`;
//! - an `int2vector` / `oidvector` is subscripted from 0 (`indkey[0]` is the first key
//!   column; psqlODBC joins `indkey[ia.attnum - 1]`), so its `array_lower` is 0 and its
//!   `array_upper` its length - 1 (what `generate_subscripts` counts over).
//!
//! A function rewrite: it runs first in the analyzer, on the expressions as planned, with
//! the input schema's field metadata (the marks of `names`) at hand.

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::Transformed;
use datafusion::common::{DFSchema, Result, ScalarValue};
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::expr::{Cast, ScalarFunction};
use datafusion::logical_expr::expr_rewriter::FunctionRewrite;
use datafusion::logical_expr::{Expr, ExprSchemable, ScalarUDF, lit, when};
use datafusion::prelude::SessionContext;

use super::names::{INT2VECTOR, OIDVECTOR, mark_of};
use super::reg_functions::output_function;

/// Registers the rewrite on `ctx` (after the text functions it calls are registered).
pub fn register(ctx: &SessionContext) -> Result<()> {
    let outputs = [
        "regclassout",
        "regtypeout",
        "regprocout",
        "regprocedureout",
        "regnamespaceout",
        "regroleout",
        "int2vectorout",
        "oidvectorout",
    ]
    .iter()
    .map(|name| ctx.udf(name))
    .collect::<Result<Vec<_>>>()?;
    let cardinality = ctx.udf("cardinality")?;
    ctx.state_ref()
        .write()
        .register_function_rewrite(Arc::new(CatalogValues {
            outputs,
            cardinality,
        }))
}

#[derive(Debug)]
struct CatalogValues {
    outputs: Vec<Arc<ScalarUDF>>,
    cardinality: Arc<ScalarUDF>,
}

impl FunctionRewrite for CatalogValues {
    fn name(&self) -> &str {
        "callqa_catalog_values"
    }

    fn rewrite(
        &self,
        expr: Expr,
        schema: &DFSchema,
        _config: &ConfigOptions,
    ) -> Result<Transformed<Expr>> {
        match expr {
            Expr::Cast(cast) => self.text_of(cast, schema),
            Expr::ScalarFunction(call) => self.vector_bounds(call, schema),
            other => Ok(Transformed::no(other)),
        }
    }
}

/// The mark on the value of `expr`, or on its elements when it is a list of marked values.
fn marks(expr: &Expr, schema: &DFSchema) -> (Option<&'static str>, Option<&'static str>) {
    let Ok((_, field)) = expr.to_field(schema) else {
        return (None, None);
    };
    let element = match field.data_type() {
        DataType::List(element) => mark_of(element),
        _ => None,
    };
    (mark_of(&field), element)
}

fn is_text(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8
    )
}

impl CatalogValues {
    fn output(&self, mark: &str) -> Option<Arc<ScalarUDF>> {
        let name = output_function(mark)?;
        self.outputs.iter().find(|f| f.name() == name).cloned()
    }

    /// `x::text` of a value shown by name, `x::text[]` of a list of them.
    fn text_of(&self, cast: Cast, schema: &DFSchema) -> Result<Transformed<Expr>> {
        let target = cast.field.data_type().clone();
        let (mark, element) = marks(&cast.expr, schema);
        let output = match &target {
            t if is_text(t) => mark.and_then(|m| self.output(m)),
            DataType::List(e) if is_text(e.data_type()) && mark.is_none() => {
                element.and_then(|m| self.output(m))
            }
            _ => None,
        };
        let Some(output) = output else {
            return Ok(Transformed::no(Expr::Cast(cast)));
        };
        let text = Expr::ScalarFunction(ScalarFunction::new_udf(output, vec![*cast.expr]));
        // The text functions answer Utf8 (or a list of it): cast on to what was asked.
        Ok(Transformed::yes(Expr::Cast(Cast::new_from_field(
            Box::new(text),
            cast.field,
        ))))
    }

    /// `array_element`, `array_lower` and `array_upper` of a vector, counted from 0.
    fn vector_bounds(&self, call: ScalarFunction, schema: &DFSchema) -> Result<Transformed<Expr>> {
        let name = call.func.name().to_owned();
        let name = name.as_str();
        if !matches!(name, "array_element" | "array_lower" | "array_upper") {
            return Ok(Transformed::no(Expr::ScalarFunction(call)));
        }
        let is_vector = call
            .args
            .first()
            .is_some_and(|a| matches!(marks(a, schema).0, Some(INT2VECTOR | OIDVECTOR)));
        if !is_vector || call.args.len() != 2 {
            return Ok(Transformed::no(Expr::ScalarFunction(call)));
        }
        let mut args = call.args.into_iter();
        let (Some(vector), Some(second)) = (args.next(), args.next()) else {
            return datafusion::common::internal_err!("{name}: two arguments expected");
        };
        let length = || {
            Expr::ScalarFunction(ScalarFunction::new_udf(
                Arc::clone(&self.cardinality),
                vec![vector.clone()],
            ))
        };
        let non_empty = length().gt(lit(ScalarValue::UInt64(Some(0))));
        let rewritten = match name {
            // The same array under a type-only cast (which drops the mark, so a second
            // analyzer pass leaves it alone), its index moved to Arrow's count from 1.
            "array_element" => {
                let unmarked = Expr::Cast(Cast::new(
                    Box::new(vector.clone()),
                    vector.get_type(schema)?,
                ));
                Expr::ScalarFunction(ScalarFunction::new_udf(
                    call.func,
                    vec![unmarked, second + lit(1i64)],
                ))
            }
            "array_lower" => when(non_empty, lit(0i32)).end()?,
            _ => when(
                non_empty,
                Expr::Cast(Cast::new(Box::new(length()), DataType::Int32)) - lit(1i32),
            )
            .end()?,
        };
        Ok(Transformed::yes(rewritten))
    }
}
