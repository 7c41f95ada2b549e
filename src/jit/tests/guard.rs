//! The guarded-buffer checks (`jit::harness::guard`) on every spec and on random layers, and
//! proof that the guard catches an overrun by one float.

#![cfg(unix)]

use super::super::{compile, Compiled, Options};
use super::models;
use crate::ir::Model;
pub use crate::jit::harness::guard::check_guarded;
use crate::jit::harness::guard::{Guarded, Side};
use crate::pipeline;
use proptest::prelude::*;
use std::path::Path;

fn compiled(model: &Model) -> Compiled {
    compile(
        model,
        &Options {
            verify: true,
            ..Options::default()
        },
    )
    .unwrap_or_else(|e| panic!("compile: {e}"))
}

#[test]
fn every_spec_stays_inside_its_buffers() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("specs");
    let dirs = ["seed", "features", "examples"].map(|d| root.join(d));
    let specs = crate::testing::collect(&dirs).expect("specs exist");
    let mut layers = 0;
    let mut count = 0;
    for path in specs.iter().filter(|p| !crate::testing::is_error_spec(p)) {
        let loaded = pipeline::load(path, crate::check::DEFAULT_MAX_MEMORY, false)
            .unwrap_or_else(|e| panic!("{} should load:\n{}", path.display(), e.message));
        let model = &loaded.model;
        layers += check_guarded(model, &compiled(model), &path.display().to_string());
        count += 1;
    }
    assert!(count > 20, "only {count} specs were checked");
    assert!(layers > 100, "only {layers} layers were checked");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(super::cases()))]

    #[test]
    fn random_layers_stay_inside_their_buffers(case in models::layer_case()) {
        let model = models::build(&case);
        prop_assume!(model.is_some());
        let model = model.unwrap();
        check_guarded(&model, &compiled(&model), "random model");
    }
}

/// The guard catches a read one float past the end and one float before the start: a child
/// process (this same test binary, filtered to `guard_child`) calls a layer with one input
/// buffer moved one float into the guard page, and must die of SIGSEGV (or SIGBUS).
#[test]
fn an_overrun_by_one_float_crashes() {
    if let Ok(side) = std::env::var("CONVC_GUARD_CHILD") {
        let side = if side == "after" {
            Side::After
        } else {
            Side::Before
        };
        overrun(side);
        return;
    }
    for side in ["after", "before"] {
        let exe = std::env::current_exe().expect("test binary");
        let status = std::process::Command::new(exe)
            .args([
                "--exact",
                "jit::tests::guard::an_overrun_by_one_float_crashes",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("CONVC_GUARD_CHILD", side)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("run the child");
        use std::os::unix::process::ExitStatusExt;
        let signal = status.signal();
        assert!(
            matches!(signal, Some(libc::SIGSEGV | libc::SIGBUS)),
            "{side}: a layer reading one float past its buffer did not crash ({status:?})"
        );
    }
}

/// Runs a small 3x3 valid convolution (it reads every input float) whose input buffer is
/// moved one float into the guard page: the buffer has the right length, but its last (or
/// first) float is inaccessible, exactly as if the code read one float past the real buffer.
fn overrun(side: Side) {
    let case = models::LayerCase {
        op: 0,
        rank: 2,
        batch: 1,
        sizes: [1, 5, 5],
        kernel: [1, 3, 3],
        stride: [1, 1, 1],
        dilation: [1, 1, 1],
        padding: [0, 0, 0],
        mode: 0,
        groups: 1,
        channels_per_group: 1,
        filters_per_group: 1,
        activation: 0,
        use_bias: false,
        integers: true,
        seed: 1,
    };
    let model = models::build(&case).expect("a valid model");
    let compiled = compiled(&model);
    let len = model.values[0].shape.iter().product();
    // Not copied into: the mapping is zero-filled, and the copy would itself hit the guard.
    let input = Guarded::new(&vec![0.0; len], side, 1);
    let mut output = vec![0.0; model.values[1].shape.iter().product()];
    compiled
        .call_layer(&model, 0, &[input.as_slice()], &mut output, 1)
        .unwrap();
}
