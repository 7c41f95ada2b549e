//! Every spec in `specs/` runs on the JIT, and each layer agrees with the interpreter.
//!
//! Layers are compared one at a time: each layer's JIT output is checked against the
//! interpreter run on the *same* inputs (the JIT's own outputs of the layers before it), so
//! the per-layer tolerance of `tolerance.rs` applies and errors cannot compound unnoticed.

use super::multi::layer_alone;
use super::{agree, tolerance};
use crate::pipeline;
use std::path::Path;

#[test]
fn every_spec_runs_on_the_jit_layer_by_layer() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("specs");
    let dirs = ["seed", "features", "examples"].map(|d| root.join(d));
    let specs = crate::testing::collect(&dirs).expect("specs exist");
    let mut layers = 0;
    for path in specs.iter().filter(|p| !crate::testing::is_error_spec(p)) {
        let loaded = pipeline::load(path, crate::check::DEFAULT_MAX_MEMORY, false)
            .unwrap_or_else(|e| panic!("{} should load:\n{}", path.display(), e.message));
        let model = &loaded.model;
        let values = pipeline::execute(model, pipeline::Backend::default())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let report = crate::testing::check_expects(model, &values);
        assert!(
            report.is_empty(),
            "{}: on the JIT, expectations fail:\n{report}",
            path.display()
        );
        for id in 0..model.values.len() {
            let Some(alone) = layer_alone(model, id, &values) else {
                continue;
            };
            if let Err(why) = agree(&alone) {
                panic!(
                    "{} layer `{}`: {why}",
                    path.display(),
                    model.values[id].name
                );
            }
            layers += 1;
        }
    }
    // Keep `tolerance` visibly in use here: it is what `agree` applies per layer.
    let _ = tolerance::tolerances;
    assert!(layers > 100, "only {layers} layers were compared");
}
