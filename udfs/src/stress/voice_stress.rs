//! `voice_stress(pitch_hz, energy_db, speech_rate) OVER (PARTITION BY call_id, speaker ORDER BY
//! second) -> DOUBLE`: vocal stress of each second, 0–100, against the speaker's own baseline.
//!
//! The evaluator sees the whole partition (one speaker of one call, one row per second) and:
//! 1. takes the baseline from the *voiced* rows (pitch not NULL, finite and > 0): mean and
//!    population standard deviation of pitch, of energy and of speech rate (each over the voiced
//!    rows where that value is finite);
//! 2. scores each voiced row with z-scores `z = (x - mean) / std` (0 when std is 0) and the
//!    local pitch variability `v = sd_local / mean(sd_local) - 1`, where `sd_local` is the pitch
//!    standard deviation over the voiced rows within ±2 rows (±2 s; needs 3 values, else 0) and
//!    `mean(sd_local)` its mean over the partition (the speaker's usual variability);
//! 3. keeps only upward deviations (raised pitch, louder, faster, more variable = stress; flat,
//!    quiet and slow = fatigue, which must not read as stress):
//!    `s = 0.40·max(0, z_pitch) + 0.35·max(0, z_energy) + 0.25·max(0, z_rate) + 0.20·max(0, v)`;
//! 4. maps it to 0–100 with `score = 100 · (1 − exp(−s / 1.5))` (s = 0.5 → 28, 1 → 49,
//!    2 → 74, 3 → 86).
//!
//! Unvoiced seconds (pitch NULL, NaN or ≤ 0) give NULL; a NULL/NaN energy or rate contributes 0.
//! Rows are used in the window's order, so give `ORDER BY second`. Any numeric input is cast to
//! DOUBLE. Pure (`Volatility::Immutable`).

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Array};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Float64Type};
use datafusion::common::types::{NativeType, logical_float64};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::function::{PartitionEvaluatorArgs, WindowUDFFieldArgs};
use datafusion::logical_expr::{
    Coercion, Documentation, PartitionEvaluator, Signature, TypeSignatureClass, Volatility,
    WindowUDF, WindowUDFImpl,
};

use crate::stress::DOC_SECTION_STRESS;

/// Weight of the pitch z-score.
pub(crate) const W_PITCH: f64 = 0.40;
/// Weight of the energy (loudness) z-score.
pub(crate) const W_ENERGY: f64 = 0.35;
/// Weight of the speech-rate z-score.
pub(crate) const W_RATE: f64 = 0.25;
/// Weight of the local pitch variability above the speaker's usual.
pub(crate) const W_VARIABILITY: f64 = 0.20;
/// Scale of the saturating map to 0–100.
pub(crate) const SCALE: f64 = 1.5;
/// Half-width of the local variability window, in rows (seconds).
const HALF_WINDOW: usize = 2;

/// Shared instance of `voice_stress`, registered by [`crate::register_all`].
pub fn voice_stress() -> Arc<WindowUDF> {
    static UDWF: LazyLock<Arc<WindowUDF>> =
        LazyLock::new(|| Arc::new(WindowUDF::from(VoiceStressFunc::new())));
    Arc::clone(&UDWF)
}

/// Implementation of `voice_stress`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct VoiceStressFunc {
    signature: Signature,
}

impl VoiceStressFunc {
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

impl Default for VoiceStressFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl WindowUDFImpl for VoiceStressFunc {
    fn name(&self) -> &str {
        "voice_stress"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn partition_evaluator(
        &self,
        _args: PartitionEvaluatorArgs,
    ) -> Result<Box<dyn PartitionEvaluator>> {
        Ok(Box::new(VoiceStressEvaluator))
    }

    fn field(&self, field_args: WindowUDFFieldArgs) -> Result<FieldRef> {
        Ok(Arc::new(Field::new(
            field_args.name(),
            DataType::Float64,
            true,
        )))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&DOCUMENTATION)
    }
}

/// Scores a whole partition at once.
#[derive(Debug)]
pub struct VoiceStressEvaluator;

impl PartitionEvaluator for VoiceStressEvaluator {
    fn evaluate_all(&mut self, values: &[ArrayRef], num_rows: usize) -> Result<ArrayRef> {
        let column = |i: usize| -> Result<Vec<Option<f64>>> {
            match values.get(i) {
                Some(a) if a.data_type() == &DataType::Null => Ok(vec![None; num_rows]),
                Some(a) => match a.as_primitive_opt::<Float64Type>() {
                    Some(a) => Ok(a.iter().map(|v| v.filter(|v| v.is_finite())).collect()),
                    None => exec_err!("voice_stress: argument {i} is {}", a.data_type()),
                },
                None => exec_err!("voice_stress: missing argument {i}"),
            }
        };
        let (pitch, energy, rate) = (column(0)?, column(1)?, column(2)?);
        let scores = score_partition(&pitch, &energy, &rate);
        Ok(Arc::new(Float64Array::from(scores)))
    }
}

/// Mean and population standard deviation of the values (None for none).
fn mean_std(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    let (mut n, mut sum, mut sq) = (0usize, 0.0, 0.0);
    for v in values {
        n += 1;
        sum += v;
        sq += v * v;
    }
    if n == 0 {
        return None;
    }
    let mean = sum / n as f64;
    let var = (sq / n as f64 - mean * mean).max(0.0);
    Some((mean, var.sqrt()))
}

fn z(x: Option<f64>, base: Option<(f64, f64)>) -> f64 {
    match (x, base) {
        (Some(x), Some((mean, std))) if std > 1e-9 => (x - mean) / std,
        _ => 0.0,
    }
}

/// The scores of one partition (rows in window order); pitch None = unvoiced.
pub(crate) fn score_partition(
    pitch: &[Option<f64>],
    energy: &[Option<f64>],
    rate: &[Option<f64>],
) -> Vec<Option<f64>> {
    let pitch: Vec<Option<f64>> = pitch.iter().map(|p| p.filter(|p| *p > 0.0)).collect();
    let voiced = |i: usize| pitch.get(i).copied().flatten().is_some();
    let base = |col: &[Option<f64>]| {
        mean_std(
            col.iter()
                .enumerate()
                .filter(|(i, _)| voiced(*i))
                .filter_map(|(_, v)| *v),
        )
    };
    let (bp, be, br) = (base(&pitch), base(energy), base(rate));
    // Local pitch standard deviation over ±2 rows.
    let local: Vec<Option<f64>> = (0..pitch.len())
        .map(|i| {
            if !voiced(i) {
                return None;
            }
            let lo = i.saturating_sub(HALF_WINDOW);
            let hi = (i + HALF_WINDOW + 1).min(pitch.len());
            let window = pitch.get(lo..hi).unwrap_or(&[]);
            let n = window.iter().flatten().count();
            if n < 3 {
                return None;
            }
            mean_std(window.iter().flatten().copied()).map(|(_, s)| s)
        })
        .collect();
    let usual = mean_std(local.iter().flatten().copied()).map(|(m, _)| m);
    (0..pitch.len())
        .map(|i| {
            let p = pitch.get(i).copied().flatten()?;
            let v = match (local.get(i).copied().flatten(), usual) {
                (Some(l), Some(u)) if u > 1e-9 => l / u - 1.0,
                _ => 0.0,
            };
            let s = W_PITCH * z(Some(p), bp).max(0.0)
                + W_ENERGY * z(energy.get(i).copied().flatten(), be).max(0.0)
                + W_RATE * z(rate.get(i).copied().flatten(), br).max(0.0)
                + W_VARIABILITY * v.max(0.0);
            Some(100.0 * (1.0 - (-s / SCALE).exp()))
        })
        .collect()
}

static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_STRESS,
        "Vocal stress of each second, 0-100, against the speaker's own baseline (mean and std of \
         the partition's voiced seconds): s = 0.40*max(0,z_pitch) + 0.35*max(0,z_energy) + \
         0.25*max(0,z_rate) + 0.20*max(0, local pitch std over +-2 s / usual - 1); score = \
         100*(1-exp(-s/1.5)). Only upward deviations count, so flat, quiet, slow speech \
         (fatigue) scores low. NULL for unvoiced seconds (pitch NULL).",
        "voice_stress(pitch_hz, energy_db, speech_rate) OVER (PARTITION BY call_id, speaker ORDER BY second)",
    )
    .with_argument("pitch_hz", "Pitch of the second; NULL when unvoiced.")
    .with_argument("energy_db", "Loudness of the second in dB.")
    .with_argument("speech_rate", "Syllables per second.")
    .with_sql_example(
        "SELECT call_id, second, voice_stress(pitch_hz, energy_db, speech_rate) \
         OVER (PARTITION BY call_id, speaker ORDER BY second) AS stress FROM audio_features",
    )
    .build()
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::Rng;

    fn noise(rng: &mut Rng, amp: f64) -> f64 {
        (rng.below(2001) as f64 / 1000.0 - 1.0) * amp
    }

    fn mean(xs: &[Option<f64>]) -> f64 {
        let v: Vec<f64> = xs.iter().flatten().copied().collect();
        v.iter().sum::<f64>() / v.len() as f64
    }

    #[test]
    fn rising_second_half_scores_higher() {
        let mut rng = Rng::new(3);
        let (mut p, mut e, mut r) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..60 {
            let stressed = i >= 30;
            p.push(Some(
                if stressed { 240.0 } else { 200.0 } + noise(&mut rng, 5.0),
            ));
            e.push(Some(
                if stressed { -18.0 } else { -24.0 } + noise(&mut rng, 1.0),
            ));
            r.push(Some(
                if stressed { 5.5 } else { 4.0 } + noise(&mut rng, 0.2),
            ));
        }
        let s = score_partition(&p, &e, &r);
        let (calm, tense) = (mean(&s[..30]), mean(&s[30..]));
        assert!(tense > calm + 30.0, "calm {calm} tense {tense}");
        assert!(s.iter().flatten().all(|v| (0.0..=100.0).contains(v)));
    }

    #[test]
    fn flat_quiet_slow_tail_scores_low() {
        let mut rng = Rng::new(5);
        let (mut p, mut e, mut r) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..60 {
            let tired = i >= 30;
            p.push(Some(if tired {
                180.0
            } else {
                200.0 + noise(&mut rng, 8.0)
            }));
            e.push(Some(if tired {
                -32.0
            } else {
                -24.0 + noise(&mut rng, 1.0)
            }));
            r.push(Some(if tired {
                2.5
            } else {
                4.0 + noise(&mut rng, 0.3)
            }));
        }
        let s = score_partition(&p, &e, &r);
        let (normal, tired) = (mean(&s[..30]), mean(&s[32..]));
        assert!(tired < 5.0, "tired {tired}");
        assert!(tired < normal, "normal {normal} tired {tired}");
    }

    #[test]
    fn unvoiced_and_degenerate() {
        let p = [
            None,
            Some(200.0),
            Some(f64::NAN).filter(|x| x.is_finite()),
            Some(0.0),
            Some(210.0),
        ];
        let e = [Some(-50.0), None, Some(-20.0), Some(-20.0), Some(-20.0)];
        let r = [Some(0.0), Some(4.0), None, Some(1.0), None];
        let s = score_partition(&p, &e, &r);
        assert_eq!(s[0], None);
        assert!(s[1].is_some());
        assert_eq!(s[2], None);
        assert_eq!(s[3], None);
        assert!(s[4].is_some());
        assert!(score_partition(&[], &[], &[]).is_empty());
        // A constant voice has no deviation at all.
        let flat = vec![Some(200.0); 10];
        let s = score_partition(&flat, &flat, &flat);
        assert!(s.iter().all(|v| *v == Some(0.0)));
    }

    #[test]
    fn evaluator_handles_nulls_and_nan() {
        let p: ArrayRef = Arc::new(Float64Array::from(vec![
            Some(200.0),
            None,
            Some(f64::NAN),
            Some(230.0),
        ]));
        let e: ArrayRef = Arc::new(Float64Array::from(vec![
            Some(-24.0),
            Some(-50.0),
            Some(-20.0),
            Some(-10.0),
        ]));
        let r: ArrayRef = Arc::new(datafusion::arrow::array::NullArray::new(4));
        let out = VoiceStressEvaluator.evaluate_all(&[p, e, r], 4).unwrap();
        let out = out.as_primitive::<Float64Type>();
        assert!(out.is_valid(0) && out.is_null(1) && out.is_null(2) && out.is_valid(3));
        assert!(out.value(3) > out.value(0));
    }
}
