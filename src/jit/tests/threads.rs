//! Threads split a layer's rows, and must not change a single bit of any value: every spec and
//! random models, run on 1, 2 and 3 threads with even the smallest layers split.

use super::models;
use crate::ir::Model;
use crate::jit::{compile, FoldWeights, Options, Simd};
use crate::pipeline;
use proptest::prelude::*;
use std::path::Path;

/// Runs `model` on 1, 2 and 3 threads; `Err` names the first value that differs.
fn same_bits(model: &Model, fold_weights: FoldWeights) -> Result<(), String> {
    same_bits_with(model, fold_weights, Simd::Auto)
}

/// [`same_bits`] with the given vector code.
pub fn same_bits_with(model: &Model, fold_weights: FoldWeights, simd: Simd) -> Result<(), String> {
    let options = Options {
        verify: true,
        fold_weights,
        simd,
        ..Options::default()
    };
    let compiled = compile(model, &options).map_err(|e| e.to_string())?;
    let one = compiled.run_split(model, 1, 0).map_err(|e| e.to_string())?;
    for threads in [2, 3] {
        let many = compiled
            .run_split(model, threads, 0)
            .map_err(|e| e.to_string())?;
        for (id, (a, b)) in one.iter().zip(&many).enumerate() {
            let differs = a.data.len() != b.data.len()
                || a.data
                    .iter()
                    .zip(&b.data)
                    .any(|(x, y)| x.to_bits() != y.to_bits());
            if differs {
                return Err(format!(
                    "value `{}` differs between 1 and {threads} threads",
                    model.values[id].name
                ));
            }
        }
    }
    Ok(())
}

#[test]
fn every_spec_is_bit_identical_on_any_thread_count() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("specs");
    let dirs = ["seed", "features", "examples"].map(|d| root.join(d));
    let specs = crate::testing::collect(&dirs).expect("specs exist");
    for path in specs.iter().filter(|p| !crate::testing::is_error_spec(p)) {
        let loaded = pipeline::load(path, crate::check::DEFAULT_MAX_MEMORY, false)
            .unwrap_or_else(|e| panic!("{} should load:\n{}", path.display(), e.message));
        for fold in [FoldWeights::Never, FoldWeights::Always] {
            if let Err(why) = same_bits(&loaded.model, fold) {
                panic!("{} ({fold:?}): {why}", path.display());
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(super::cases() / 4))]

    #[test]
    fn random_models_are_bit_identical_on_any_thread_count(case in models::layer_case()) {
        let model = models::build(&case);
        prop_assume!(model.is_some());
        let model = model.unwrap();
        if let Err(why) = same_bits(&model, FoldWeights::Always) {
            prop_assert!(false, "{why}\n{model:#?}");
        }
    }
}
