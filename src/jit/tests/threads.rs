//! Threads split a layer's rows, and must not change a single bit of any value: every spec
//! (`specs/bench` too) and random models, run on 1, 2, 3 and 8 threads with even the smallest
//! layers split, a second time, and from a second compilation. The interpreter, run twice,
//! gives the same bits too. (`tests/determinism.rs` checks the same across processes.)

use super::models;
use crate::ir::{Model, Tensor};
use crate::jit::{compile, FoldWeights, Options, Simd};
use crate::pipeline;
use proptest::prelude::*;
use std::path::Path;

/// The first value of `b` whose bits differ from `a`'s, by name.
fn first_difference(model: &Model, a: &[Tensor], b: &[Tensor]) -> Option<String> {
    a.iter().zip(b).enumerate().find_map(|(id, (a, b))| {
        let differs = a.shape != b.shape
            || a.data.len() != b.data.len()
            || a.data
                .iter()
                .zip(&b.data)
                .any(|(x, y)| x.to_bits() != y.to_bits());
        differs.then(|| model.values[id].name.clone())
    })
}

/// Runs `model` on 1, 2, 3 and 8 threads, again on 1, and from a fresh compilation; `Err`
/// names the first value that differs from the first run.
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
    let run =
        |c: &crate::jit::Compiled, t: usize| c.run_split(model, t, 0).map_err(|e| e.to_string());
    let one = run(&compiled, 1)?;
    let mut others: Vec<(String, Vec<Tensor>)> = Vec::new();
    for t in [2, 3, 8] {
        others.push((format!("{t} threads"), run(&compiled, t)?));
    }
    others.push(("a second run".into(), run(&compiled, 1)?));
    let again = compile(model, &options).map_err(|e| e.to_string())?;
    others.push(("a second compilation".into(), run(&again, 8)?));
    if one.len() != model.values.len() {
        return Err("not every value was computed".into());
    }
    for (what, values) in &others {
        if let Some(name) = first_difference(model, &one, values) {
            return Err(format!(
                "value `{name}` differs between 1 thread and {what}"
            ));
        }
    }
    Ok(())
}

/// Every spec that runs: the examples, features and seeds, and the bench workloads.
fn specs(bench: bool) -> Vec<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("specs");
    let mut dirs = vec![
        root.join("seed"),
        root.join("features"),
        root.join("examples"),
    ];
    if bench {
        dirs.push(root.join("bench"));
    }
    let specs = crate::testing::collect(&dirs).expect("specs exist");
    specs
        .into_iter()
        .filter(|p| !crate::testing::is_error_spec(p))
        .collect()
}

#[test]
fn every_spec_is_bit_identical_on_any_thread_count_and_run() {
    let specs = specs(true);
    assert!(specs.len() > 50, "only {} specs found", specs.len());
    for path in &specs {
        let loaded = pipeline::load(path, crate::check::DEFAULT_MAX_MEMORY, false)
            .unwrap_or_else(|e| panic!("{} should load:\n{}", path.display(), e.message));
        for fold in [FoldWeights::Never, FoldWeights::Always] {
            if let Err(why) = same_bits(&loaded.model, fold) {
                panic!("{} ({fold:?}): {why}", path.display());
            }
        }
    }
}

/// The interpreter runs on one thread; twice in a row it gives the same bits. (The bench
/// workloads are left out: the interpreter takes minutes on them in a debug build.)
#[test]
fn the_interpreter_is_bit_identical_run_after_run() {
    for path in &specs(false) {
        let loaded = pipeline::load(path, crate::check::DEFAULT_MAX_MEMORY, false)
            .unwrap_or_else(|e| panic!("{} should load:\n{}", path.display(), e.message));
        let first = crate::interp::run(&loaded.model);
        let second = crate::interp::run(&loaded.model);
        if let Some(name) = first_difference(&loaded.model, &first, &second) {
            panic!(
                "{}: value `{name}` differs between two runs",
                path.display()
            );
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
