//! `date_trunc` and `date_part` on UTC timestamps at integer speed.
//!
//! Every callqa timestamp is `Timestamp(Microsecond, "UTC")`. DataFusion truncates and
//! extracts fields of a timestamp that carries a zone value by value through chrono's time-zone
//! machinery (an hourly KPI series spent a third of its time there); without a zone it uses
//! integer arithmetic. In a zone whose offset is always zero the two give the same answer, so
//! these wrappers hand DataFusion's own functions the timestamps without the zone and put the
//! zone back on a timestamp result. Any other zone goes to DataFusion unchanged.

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

/// The same type without a zero-offset zone (`None` when there is nothing to strip).
fn zone_free(data_type: &DataType) -> Option<DataType> {
    match data_type {
        DataType::Timestamp(unit, Some(zone)) if is_zero_offset(zone) => {
            Some(DataType::Timestamp(*unit, None))
        }
        _ => None,
    }
}

/// `array` re-labelled as `data_type` (same bits, another zone label).
fn relabel(array: &ArrayRef, data_type: &DataType) -> Result<ArrayRef> {
    let data = array.to_data().into_builder().data_type(data_type.clone());
    Ok(make_array(data.build()?))
}

fn strip_scalar(value: ScalarValue) -> ScalarValue {
    match value {
        ScalarValue::TimestampSecond(v, Some(z)) if is_zero_offset(&z) => {
            ScalarValue::TimestampSecond(v, None)
        }
        ScalarValue::TimestampMillisecond(v, Some(z)) if is_zero_offset(&z) => {
            ScalarValue::TimestampMillisecond(v, None)
        }
        ScalarValue::TimestampMicrosecond(v, Some(z)) if is_zero_offset(&z) => {
            ScalarValue::TimestampMicrosecond(v, None)
        }
        ScalarValue::TimestampNanosecond(v, Some(z)) if is_zero_offset(&z) => {
            ScalarValue::TimestampNanosecond(v, None)
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
        if !args
            .arg_fields
            .iter()
            .any(|f| zone_free(f.data_type()).is_some())
        {
            return self.inner.invoke_with_args(args);
        }
        let arg_fields = args
            .arg_fields
            .iter()
            .map(|f| match zone_free(f.data_type()) {
                Some(t) => Arc::new(Field::new(f.name(), t, f.is_nullable())),
                None => Arc::clone(f),
            })
            .collect();
        let values = args
            .args
            .into_iter()
            .map(|value| match value {
                ColumnarValue::Array(a) => match zone_free(a.data_type()) {
                    Some(t) => relabel(&a, &t).map(ColumnarValue::Array),
                    None => Ok(ColumnarValue::Array(a)),
                },
                ColumnarValue::Scalar(s) => Ok(ColumnarValue::Scalar(strip_scalar(s))),
            })
            .collect::<Result<Vec<_>>>()?;
        let wanted = args.return_field.data_type().clone();
        let return_field = match zone_free(&wanted) {
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
        // Put the zone back on a timestamp result (date_trunc's).
        if zone_free(&wanted).is_none() {
            return Ok(result);
        }
        Ok(match result {
            ColumnarValue::Array(a) => ColumnarValue::Array(relabel(&a, &wanted)?),
            ColumnarValue::Scalar(s) => ColumnarValue::Scalar(s.cast_to(&wanted)?),
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
