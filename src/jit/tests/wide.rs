//! Dense convolutions wide enough for the AVX-512 kernels (16 filters per group and more),
//! which the general random mix never reaches: each model runs with the AVX-512 kernels
//! (where the host has them) and with the portable f32x4 code, against the interpreter, on
//! 1, 2 and 3 threads, and with every buffer against guard pages.

use super::threads::same_bits_with;
use super::{agree_with, models};
use crate::jit::{compile, FoldWeights, Options, Simd};
use proptest::prelude::*;

/// A conv case with 16..=90 filters per group: runs of 4, 3, 2 and 1 zmm vectors and every
/// f32x4 and scalar tail after them.
fn wide_case() -> impl Strategy<Value = models::LayerCase> {
    (models::layer_case(), 16usize..=90, 1usize..=2).prop_map(|(mut case, filters, groups)| {
        case.op = 0;
        case.filters_per_group = filters;
        case.groups = groups;
        case.batch = case.batch.min(2);
        case
    })
}

/// The kernel description `compile` reports for the model's one layer under `simd`.
fn kernel(model: &crate::ir::Model, simd: Simd) -> String {
    let options = Options {
        simd,
        ..Options::default()
    };
    match compile(model, &options) {
        Ok(c) => c.reports[0].kernel.clone(),
        Err(e) => e.to_string(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(super::cases() / 5))]

    #[test]
    fn wide_convs_agree_on_both_kernels(case in wide_case()) {
        let model = models::build(&case);
        prop_assume!(model.is_some());
        let model = model.unwrap();
        for simd in [Simd::Auto, Simd::Portable] {
            if let Err(why) = agree_with(&model, FoldWeights::Auto, simd) {
                prop_assert!(false, "{simd:?}: {why}\n{model:#?}");
            }
            if let Err(why) = same_bits_with(&model, FoldWeights::Auto, simd) {
                prop_assert!(false, "{simd:?}: {why}\n{model:#?}");
            }
            let options = Options { verify: true, simd, ..Options::default() };
            let compiled = compile(&model, &options).map_err(|e| TestCaseError::fail(e.to_string()))?;
            #[cfg(unix)]
            super::guard::check_guarded(&model, &compiled, &format!("wide conv ({simd:?})"));
        }
        let wide = kernel(&model, Simd::Auto).contains("AVX-512");
        prop_assert_eq!(wide, crate::jit::avx512::enabled(Simd::Auto));
        prop_assert!(!kernel(&model, Simd::Portable).contains("AVX-512"));
    }
}
