//! The JIT against the interpreter.

mod bench;
mod guard;
mod models;
mod multi;
mod specs;
mod threads;
mod wide;

use super::harness::{agree_folded, agree_with, tolerance};
use super::FoldWeights;
use crate::ir::Model;
use proptest::prelude::*;

/// Runs both backends and compares the last value within its tolerance.
fn agree(model: &Model) -> Result<(), String> {
    agree_folded(model, FoldWeights::Auto)
}

/// Proptest cases: the number in the environment variable `var`, else 500.
fn cases_from(var: &str) -> u32 {
    std::env::var(var)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(500)
}

/// Cases of the single-layer proptests (`CONVC_JIT_CASES`).
fn cases() -> u32 {
    cases_from("CONVC_JIT_CASES")
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
