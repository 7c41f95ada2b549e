//! The JIT against the interpreter.

mod bench;
mod guard;
mod models;
mod multi;
mod specs;
mod threads;
mod tolerance;
mod wide;

use super::{compile, FoldWeights, Options, Simd};
use crate::interp;
use crate::ir::Model;
use proptest::prelude::*;

/// Runs both backends and compares the last value within its tolerance.
fn agree(model: &Model) -> Result<(), String> {
    agree_folded(model, FoldWeights::Auto)
}

/// [`agree`], folding weights as `fold` says.
fn agree_folded(model: &Model, fold_weights: FoldWeights) -> Result<(), String> {
    agree_with(model, fold_weights, Simd::Auto)
}

/// [`agree`] with the given folding and vector code.
fn agree_with(model: &Model, fold_weights: FoldWeights, simd: Simd) -> Result<(), String> {
    let compiled = compile(
        model,
        &Options {
            verify: true,
            disassemble: false,
            fold_weights,
            simd,
            ..Options::default()
        },
    )
    .map_err(|e| e.to_string())?;
    let jit = compiled.run(model, 1).map_err(|e| e.to_string())?;
    let reference = interp::run(model);
    let last = model.values.len() - 1;
    let tolerance = tolerance::tolerances(model);
    for (i, (&j, &r)) in jit[last].data.iter().zip(&reference[last].data).enumerate() {
        let ok = if j.is_nan() || r.is_nan() {
            j.is_nan() && r.is_nan()
        } else if j.is_infinite() || r.is_infinite() {
            j == r
        } else {
            (f64::from(j) - f64::from(r)).abs() <= tolerance[i]
        };
        if !ok {
            return Err(format!(
                "value {i}: jit {j}, interp {r}, tolerance {}",
                tolerance[i]
            ));
        }
    }
    if jit[last].shape != reference[last].shape {
        return Err("shapes differ".into());
    }
    Ok(())
}

fn cases() -> u32 {
    std::env::var("CONVC_JIT_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(500)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn jit_agrees_with_interpreter(case in models::layer_case()) {
        let model = models::build(&case);
        prop_assume!(model.is_some());
        let model = model.unwrap();
        if let Err(why) = agree(&model) {
            prop_assert!(false, "{why}\n{model:#?}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases() / 4))]

    /// One channel in, one or two filters out: the pixel-vector kernel, rare in the general
    /// mix, with weights loaded and folded (`case.integers` gives weights in -3..=3, where 0,
    /// 1 and -1 take their own paths).
    #[test]
    fn single_channel_convs_agree(
        mut case in models::layer_case(),
        filters in 1usize..=2,
    ) {
        case.op = 0;
        case.groups = 1;
        case.channels_per_group = 1;
        case.filters_per_group = filters;
        case.sizes[2] += 8;
        let model = models::build(&case);
        prop_assume!(model.is_some());
        let model = model.unwrap();
        for fold in [FoldWeights::Never, FoldWeights::Always] {
            if let Err(why) = agree_folded(&model, fold) {
                prop_assert!(false, "{fold:?}: {why}\n{model:#?}");
            }
        }
    }
}
