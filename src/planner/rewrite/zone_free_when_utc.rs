//! `date_trunc` and `date_part` of `timestamptz` in the session's time zone, at integer speed
//! when that zone is UTC.
//!
//! Every callqa timestamp is `Timestamp(Microsecond, "UTC")`. PostgreSQL takes the fields of a
//! `timestamptz` (`extract(hour …)`, `date_trunc('day', …)`) in the session's `TimeZone`, so
//! a centre in UTC+8 groups its day from its own midnight. DataFusion computes them in the
//! zone the type carries, so these wrappers hand DataFusion's own functions the same instants
//! labelled with the session zone, and put the UTC label back on a timestamp result.
//!
//! When the session zone is UTC they hand over the timestamps without any zone: DataFusion
//! goes value by value through chrono's time-zone machinery for a zoned timestamp (an hourly
//! KPI series spent a third of its time there) and uses integer arithmetic without one; in a
//! zone whose offset is always zero the answers are the same.

use std::any::Any;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, make_array};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::Transformed;
use datafusion::common::{DFSchema, Result, ScalarValue};
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::expr_rewriter::FunctionRewrite;
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::sort_properties::{ExprProperties, SortProperties};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, Expr, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF,
    ScalarUDFImpl, Signature,
};
use datafusion::prelude::SessionContext;

/// Makes every `date_trunc` and `date_part` call of `ctx`'s queries go through the wrappers,
/// including those DataFusion plans itself (`EXTRACT(… FROM …)` names its own `date_part`).
pub fn register(ctx: &SessionContext) -> Result<()> {
    let wrappers = [
        datafusion::functions::datetime::date_trunc(),
        datafusion::functions::datetime::date_part(),
    ]
    .map(|inner| {
        Arc::new(ScalarUDF::new_from_impl(ZoneFreeUdf {
            inner: Arc::unwrap_or_clone(inner),
        }))
    });
    ctx.state_ref()
        .write()
        .register_function_rewrite(Arc::new(ZoneFreeWhenUtc { wrappers }))
}

/// The analyzer step that swaps DataFusion's functions for the wrappers.
#[derive(Debug)]
struct ZoneFreeWhenUtc {
    wrappers: [Arc<ScalarUDF>; 2],
}

impl FunctionRewrite for ZoneFreeWhenUtc {
    fn name(&self) -> &str {
        "callqa_zone_free_when_utc"
    }

    fn rewrite(
        &self,
        expr: Expr,
        _schema: &DFSchema,
        _config: &ConfigOptions,
    ) -> Result<Transformed<Expr>> {
        let Expr::ScalarFunction(call) = expr else {
            return Ok(Transformed::no(expr));
        };
        let already_wrapped = (call.func.inner().as_ref() as &dyn Any)
            .downcast_ref::<ZoneFreeUdf>()
            .is_some();
        match self.wrappers.iter().find(|w| w.name() == call.func.name()) {
            Some(wrapper) if !already_wrapped => Ok(Transformed::yes(Expr::ScalarFunction(
                ScalarFunction::new_udf(Arc::clone(wrapper), call.args),
            ))),
            _ => Ok(Transformed::no(Expr::ScalarFunction(call))),
        }
    }
}

/// Zone names whose offset from UTC is zero at every instant.
pub(crate) fn is_zero_offset(zone: &str) -> bool {
    matches!(
        zone,
        "UTC" | "Etc/UTC" | "Z" | "+00:00" | "+00" | "+0000" | "-00:00" | "GMT" | "Etc/GMT"
    )
}

/// The zone the wrapped functions compute in: none (integer arithmetic) when the session
/// zone is always UTC, else the session zone, as PostgreSQL computes `timestamptz` fields.
fn target_zone(config: &ConfigOptions) -> Option<Arc<str>> {
    match config.execution.time_zone.as_deref() {
        None => None,
        Some(zone) if is_zero_offset(zone) => None,
        Some(zone) => Some(Arc::from(zone)),
    }
}

/// The same type in `target` instead of a zero-offset zone (`None` when it is not a UTC
/// timestamp).
fn retarget(data_type: &DataType, target: Option<&Arc<str>>) -> Option<DataType> {
    match data_type {
        DataType::Timestamp(unit, Some(zone)) if is_zero_offset(zone) => {
            Some(DataType::Timestamp(*unit, target.cloned()))
        }
        _ => None,
    }
}

/// `array` re-labelled as `data_type` (same bits, another zone label).
fn relabel(array: &ArrayRef, data_type: &DataType) -> Result<ArrayRef> {
    let data = array.to_data().into_builder().data_type(data_type.clone());
    Ok(make_array(data.build()?))
}

/// `value` re-labelled as `data_type` (same instant, another zone label).
fn relabel_scalar(value: ScalarValue, data_type: &DataType) -> Result<ScalarValue> {
    ScalarValue::try_from_array(&relabel(&value.to_array()?, data_type)?, 0)
}

/// `value` in `target` instead of a zero-offset zone; the instant is unchanged.
fn retarget_scalar(value: ScalarValue, target: Option<&Arc<str>>) -> ScalarValue {
    let target = || target.cloned();
    match value {
        ScalarValue::TimestampSecond(v, Some(z)) if is_zero_offset(&z) => {
            ScalarValue::TimestampSecond(v, target())
        }
        ScalarValue::TimestampMillisecond(v, Some(z)) if is_zero_offset(&z) => {
            ScalarValue::TimestampMillisecond(v, target())
        }
        ScalarValue::TimestampMicrosecond(v, Some(z)) if is_zero_offset(&z) => {
            ScalarValue::TimestampMicrosecond(v, target())
        }
        ScalarValue::TimestampNanosecond(v, Some(z)) if is_zero_offset(&z) => {
            ScalarValue::TimestampNanosecond(v, target())
        }
        other => other,
    }
}

/// A DataFusion date/time function that is given zero-offset timestamps without their zone.
#[derive(Debug, PartialEq, Eq, Hash)]
struct ZoneFreeUdf {
    inner: ScalarUDF,
}

impl ScalarUDFImpl for ZoneFreeUdf {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn aliases(&self) -> &[String] {
        self.inner.aliases()
    }

    fn schema_name(&self, args: &[Expr]) -> Result<String> {
        self.inner.inner().schema_name(args)
    }

    fn signature(&self) -> &Signature {
        self.inner.signature()
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.inner.inner().return_type(arg_types)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        self.inner.return_field_from_args(args)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let target = target_zone(&args.config_options);
        let target = target.as_ref();
        if !args
            .arg_fields
            .iter()
            .any(|f| retarget(f.data_type(), target).is_some())
        {
            return self.inner.invoke_with_args(args);
        }
        let arg_fields = args
            .arg_fields
            .iter()
            .map(|f| match retarget(f.data_type(), target) {
                Some(t) => Arc::new(Field::new(f.name(), t, f.is_nullable())),
                None => Arc::clone(f),
            })
            .collect();
        let values = args
            .args
            .into_iter()
            .map(|value| match value {
                ColumnarValue::Array(a) => match retarget(a.data_type(), target) {
                    Some(t) => relabel(&a, &t).map(ColumnarValue::Array),
                    None => Ok(ColumnarValue::Array(a)),
                },
                ColumnarValue::Scalar(s) => Ok(ColumnarValue::Scalar(retarget_scalar(s, target))),
            })
            .collect::<Result<Vec<_>>>()?;
        let wanted = args.return_field.data_type().clone();
        let return_field = match retarget(&wanted, target) {
            Some(t) => Arc::new(Field::new(
                args.return_field.name(),
                t,
                args.return_field.is_nullable(),
            )),
            None => Arc::clone(&args.return_field),
        };
        let result = self.inner.invoke_with_args(ScalarFunctionArgs {
            args: values,
            arg_fields,
            number_rows: args.number_rows,
            return_field,
            config_options: args.config_options,
        })?;
        // Put the zone back on a timestamp result (date_trunc's): the same instants.
        if retarget(&wanted, target).is_none() {
            return Ok(result);
        }
        Ok(match result {
            ColumnarValue::Array(a) => ColumnarValue::Array(relabel(&a, &wanted)?),
            ColumnarValue::Scalar(s) => ColumnarValue::Scalar(relabel_scalar(s, &wanted)?),
        })
    }

    fn simplify(&self, args: Vec<Expr>, info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        self.inner.simplify(args, info)
    }

    fn preimage(
        &self,
        args: &[Expr],
        lit_expr: &Expr,
        info: &SimplifyContext,
    ) -> Result<datafusion::logical_expr::preimage::PreimageResult> {
        // DataFusion's preimage of `date_part('year', ts) = y` bounds the year in UTC.
        if target_zone(info.config_options()).is_some() {
            return Ok(datafusion::logical_expr::preimage::PreimageResult::None);
        }
        self.inner.inner().preimage(args, lit_expr, info)
    }

    fn output_ordering(&self, inputs: &[ExprProperties]) -> Result<SortProperties> {
        self.inner.output_ordering(inputs)
    }

    fn preserves_lex_ordering(&self, inputs: &[ExprProperties]) -> Result<bool> {
        self.inner.preserves_lex_ordering(inputs)
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.inner.coerce_types(arg_types)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.inner.documentation()
    }
}
