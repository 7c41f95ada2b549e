//! The spec files are the tests.
//!
//! - Every good spec under `specs/` is checked, run, and its `expect`s must hold; its `check`
//!   summary and the text output of `run --all` are kept as a snapshot in `snapshots/`, with
//!   the spec's source as the snapshot's description so each `.snap` reads on its own.
//! - Every bad spec under `specs/errors/` must be rejected; the rendered diagnostic is the
//!   snapshot.
//!
//! `INSTA_UPDATE=always cargo test` (or `cargo insta review`) records changed snapshots.

use convc::check::DEFAULT_MAX_MEMORY;
use convc::ir::ValueKind;
use convc::pipeline;
use convc::render::{summary, text};
use convc::testing;
use std::path::Path;

fn relative(path: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

fn settings(source: &str) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_description(source);
    settings.set_omit_expression(true);
    settings
}

/// `convc check` then `convc run --all`, as text, for a spec that must load.
fn good_spec(path: &Path, name: &str) {
    let shown = relative(path);
    let loaded = match pipeline::load(Path::new(&shown), DEFAULT_MAX_MEMORY, false) {
        Ok(loaded) => loaded,
        Err(e) => panic!("{shown} should load:\n{}", e.message),
    };
    let model = &loaded.model;
    let values = convc::interp::run(model);
    let report = testing::check_expects(model, &values);
    assert!(
        report.is_empty(),
        "{shown}: expectations do not hold:\n{report}"
    );
    let mut out = format!(
        "$ convc check {shown}\n{}\n$ convc run --all {shown}\n",
        summary::summary(&shown, model)
    );
    for (i, value) in model.values.iter().enumerate() {
        if let ValueKind::Layer(layer) = &value.kind {
            let names = match &layer.op {
                convc::ir::Op::Conv(c) => c.filter_names.clone(),
                _ => Vec::new(),
            };
            out.push_str(&text::tensor(
                &value.name,
                &values[i],
                &names,
                text::Limits::DEFAULT,
            ));
        }
    }
    settings(&loaded.source).bind(|| insta::assert_snapshot!(name, out));
}

/// A spec that must be rejected: the snapshot is what the user sees.
fn bad_spec(path: &Path, name: &str) {
    let shown = relative(path);
    let source = String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned();
    match pipeline::load(Path::new(&shown), DEFAULT_MAX_MEMORY, false) {
        Ok(_) => panic!("{shown} should be rejected, but it loaded"),
        Err(e) => {
            assert!(!e.message.is_empty(), "{shown}: rejected without a message");
            settings(&source).bind(|| insta::assert_snapshot!(name, e.message));
        }
    }
}

#[test]
fn seed_specs() {
    insta::glob!("../specs", "seed/*.{conv,toml}", |path| good_spec(
        path, "seed"
    ));
}

#[test]
fn feature_specs() {
    insta::glob!("../specs", "features/*.{conv,toml}", |path| good_spec(
        path, "features"
    ));
}

#[test]
fn example_specs() {
    insta::glob!("../specs", "examples/*.{conv,toml}", |path| good_spec(
        path, "examples"
    ));
}

#[test]
fn error_specs() {
    insta::glob!("../specs", "errors/*.{conv,toml}", |path| bad_spec(
        path, "errors"
    ));
}

/// The benchmark specs (`convc bench`) are mostly too big to run in the test suite; they must
/// load and shape-check, and the tiny ones (`seed_*`) must also meet their `expect`s.
#[test]
fn bench_specs_check() {
    insta::glob!("../specs", "bench/*.conv", |path| {
        let shown = relative(path);
        let loaded = match pipeline::load(Path::new(&shown), DEFAULT_MAX_MEMORY, false) {
            Ok(loaded) => loaded,
            Err(e) => panic!("{shown} should load:\n{}", e.message),
        };
        if shown.contains("seed_") {
            let values = convc::interp::run(&loaded.model);
            let report = testing::check_expects(&loaded.model, &values);
            assert!(report.is_empty(), "{shown}: {report}");
        }
    });
}

/// Every spec file lies in a directory the globs above cover, so none is silently skipped.
#[test]
fn every_spec_is_covered() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("specs");
    let all = testing::collect(std::slice::from_ref(&root)).expect("specs/ is readable");
    for path in all {
        let dir = path
            .parent()
            .and_then(|p| p.strip_prefix(&root).ok())
            .map(|p| p.display().to_string());
        assert!(
            matches!(
                dir.as_deref(),
                Some("seed" | "features" | "examples" | "errors" | "bench")
            ),
            "{} is in no tested directory",
            path.display()
        );
    }
}
