//! `agent_stress_index(calls_today, customer_negativity, complexity) -> DOUBLE`: the agent
//! stress index (压力指数) of QA practice, 0–100.
//!
//! `index = 100 · (0.40·volume + 0.35·negativity + 0.25·complexity)` where
//! - `volume = 1 / (1 + exp(-(calls_today - 60) / 10))`: a logistic load of the calls handled so
//!   far today: 40 calls → 0.12, 60 → 0.50, 80 → 0.88 (friendliness drops after the 80th call),
//!   100 → 0.98;
//! - `negativity` (0–1): share of negative customer utterances or mean negative sentiment;
//! - `complexity` (0–1): problem complexity (e.g. transfers, holds, repeat contact).
//!
//! Thresholds: `>= 70` recommend a 15-minute break; `50–70` watch; `< 50` normal.
//! Inputs are clamped: calls below 0 count as 0, negativity and complexity to [0, 1]. NULL or NaN
//! in any argument gives NULL. Any numeric input is cast to DOUBLE. Pure.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{Array, Float64Array};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::types::{NativeType, logical_float64};
use datafusion::common::utils::take_function_args;
use datafusion::common::{Result, ScalarValue, internal_err};
use datafusion::logical_expr::{
    Coercion, ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature, TypeSignatureClass, Volatility,
};

use crate::stress::DOC_SECTION_STRESS;

/// Weight of call volume.
pub(crate) const W_VOLUME: f64 = 0.40;
/// Weight of customer negativity.
pub(crate) const W_NEGATIVITY: f64 = 0.35;
/// Weight of problem complexity.
pub(crate) const W_COMPLEXITY: f64 = 0.25;
/// Calls at which the volume load is one half.
pub(crate) const VOLUME_MIDPOINT: f64 = 60.0;
/// Steepness of the volume load, in calls.
pub(crate) const VOLUME_SPREAD: f64 = 10.0;
/// At or above: recommend a 15-minute break.
pub(crate) const BREAK_THRESHOLD: f64 = 70.0;
/// At or above (and below [`BREAK_THRESHOLD`]): watch.
pub(crate) const WATCH_THRESHOLD: f64 = 50.0;

/// Shared instance of `agent_stress_index`, registered by [`crate::register_all`].
pub fn agent_stress_index() -> Arc<ScalarUDF> {
    static UDF: LazyLock<Arc<ScalarUDF>> =
        LazyLock::new(|| Arc::new(ScalarUDF::from(AgentStressIndexFunc::new())));
    Arc::clone(&UDF)
}

/// Implementation of `agent_stress_index`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct AgentStressIndexFunc {
    signature: Signature,
}

impl AgentStressIndexFunc {
    /// Creates the function: three numbers, cast to DOUBLE.
    pub fn new() -> Self {
        let num = Coercion::new_implicit(
            TypeSignatureClass::Native(logical_float64()),
            vec![TypeSignatureClass::Numeric],
            NativeType::Float64,
        );
        Self {
            signature: Signature::coercible(
                vec![num.clone(), num.clone(), num],
                Volatility::Immutable,
            ),
        }
    }
}

impl Default for AgentStressIndexFunc {
    fn default() -> Self {
        Self::new()
    }
}

/// The index, or None for a NaN input.
pub(crate) fn index(calls_today: f64, negativity: f64, complexity: f64) -> Option<f64> {
    if calls_today.is_nan() || negativity.is_nan() || complexity.is_nan() {
        return None;
    }
    let calls = calls_today.max(0.0);
    let volume = 1.0 / (1.0 + (-(calls - VOLUME_MIDPOINT) / VOLUME_SPREAD).exp());
    let s = W_VOLUME * volume
        + W_NEGATIVITY * negativity.clamp(0.0, 1.0)
        + W_COMPLEXITY * complexity.clamp(0.0, 1.0);
    Some(100.0 * s)
}

fn float(v: &ScalarValue) -> Option<f64> {
    match v {
        ScalarValue::Float64(v) => *v,
        _ => None,
    }
}

impl ScalarUDFImpl for AgentStressIndexFunc {
    fn name(&self) -> &str {
        "agent_stress_index"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn is_strict(&self) -> bool {
        true
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let [calls, neg, cx] = take_function_args(self.name(), args.args)?;
        if let (ColumnarValue::Scalar(a), ColumnarValue::Scalar(b), ColumnarValue::Scalar(c)) =
            (&calls, &neg, &cx)
        {
            let v = match (float(a), float(b), float(c)) {
                (Some(a), Some(b), Some(c)) => index(a, b, c),
                _ => None,
            };
            return Ok(ColumnarValue::Scalar(ScalarValue::Float64(v)));
        }
        let arrays = [
            calls.into_array(rows)?,
            neg.into_array(rows)?,
            cx.into_array(rows)?,
        ];
        let mut cols = Vec::with_capacity(3);
        for a in &arrays {
            match a.data_type() {
                DataType::Null => {
                    return Ok(ColumnarValue::Array(Arc::new(Float64Array::new_null(rows))));
                }
                _ => match a.as_any().downcast_ref::<Float64Array>() {
                    Some(a) => cols.push(a),
                    None => {
                        return internal_err!("agent_stress_index: unexpected {}", a.data_type());
                    }
                },
            }
        }
        let [a, b, c] = cols.as_slice() else {
            return internal_err!("agent_stress_index: three arguments expected");
        };
        let out: Float64Array = a
            .iter()
            .zip(b.iter())
            .zip(c.iter())
            .map(|((a, b), c)| match (a, b, c) {
                (Some(a), Some(b), Some(c)) => index(a, b, c),
                _ => None,
            })
            .collect();
        Ok(ColumnarValue::Array(Arc::new(out)))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&DOCUMENTATION)
    }
}

static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_STRESS,
        format!(
            "Agent stress index (压力指数) 0-100 = 100*(0.40*volume + 0.35*negativity + \
             0.25*complexity), volume = 1/(1+exp(-(calls_today-60)/10)) (80 calls -> 0.88). \
             >= {BREAK_THRESHOLD}: recommend a 15-minute break; {WATCH_THRESHOLD}-{BREAK_THRESHOLD}: \
             watch. Negativity and complexity are clamped to [0, 1], calls to >= 0."
        ),
        "agent_stress_index(calls_today, customer_negativity, complexity)",
    )
    .with_argument("calls_today", "Calls the agent has handled so far today.")
    .with_argument("customer_negativity", "0-1: share of negative customer utterances.")
    .with_argument("complexity", "0-1: problem complexity.")
    .with_sql_example(
        "SELECT agent_stress_index(85, 0.6, 0.5) >= 70 AS take_a_break",
    )
    .build()
});

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::ArrayRef;

    use super::*;
    use crate::test_util::invoke_scalar;

    #[test]
    fn formula_and_thresholds() {
        let calm = index(10.0, 0.1, 0.1).unwrap();
        assert!(calm < WATCH_THRESHOLD, "{calm}");
        let busy = index(90.0, 0.7, 0.6).unwrap();
        assert!(busy >= BREAK_THRESHOLD, "{busy}");
        let watch = index(80.0, 0.4, 0.4).unwrap();
        assert!(
            (WATCH_THRESHOLD..BREAK_THRESHOLD).contains(&watch),
            "{watch}"
        );
        assert_eq!(index(60.0, 0.0, 0.0), Some(20.0));
        // Clamping.
        assert_eq!(index(-5.0, -1.0, 2.0), index(0.0, 0.0, 1.0));
        assert_eq!(index(f64::NAN, 0.0, 0.0), None);
        let max = index(f64::INFINITY, 1.0, 1.0).unwrap();
        assert!((max - 100.0).abs() < 1e-9);
    }

    #[test]
    fn scalar_array_null() {
        let udf = agent_stress_index();
        let f = |v: Option<f64>| ColumnarValue::Scalar(ScalarValue::Float64(v));
        let out = invoke_scalar(&udf, vec![f(Some(60.0)), f(Some(0.0)), f(Some(0.0))], 1);
        assert!(matches!(out, ColumnarValue::Scalar(ScalarValue::Float64(Some(v))) if v == 20.0));
        let out = invoke_scalar(&udf, vec![f(None), f(Some(0.0)), f(Some(0.0))], 1);
        assert!(matches!(
            out,
            ColumnarValue::Scalar(ScalarValue::Float64(None))
        ));
        let calls: ArrayRef = Arc::new(Float64Array::from(vec![Some(60.0), None]));
        let ColumnarValue::Array(out) = invoke_scalar(
            &udf,
            vec![ColumnarValue::Array(calls), f(Some(0.0)), f(Some(0.0))],
            2,
        ) else {
            panic!()
        };
        let out = out.as_any().downcast_ref::<Float64Array>().unwrap();
        assert_eq!(out.value(0), 20.0);
        assert!(out.is_null(1));
    }
}
