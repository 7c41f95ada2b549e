//! Bit-identical results across processes: `convc run` on every spec of the seeds, features and
//! examples gives exactly the values computed in this process, on the JIT with 1 and 8 threads
//! and on the interpreter. (A fresh process has other hash seeds and other buffer addresses.
//! `src/jit/tests/threads.rs` covers thread counts 1, 2, 3 and 8, repeated runs and
//! recompilation within one process, on every spec including `specs/bench`, whose outputs are
//! too big to compare as JSON here in reasonable time.)
//! The JSON output prints every float in its shortest exact form, so equal text is equal bits.

mod common;

use common::{convc, stderr, stdout};
use convc::check::DEFAULT_MAX_MEMORY;
use convc::ir::ValueKind;
use convc::pipeline::{self, Backend, JitSettings};
use convc::render::json;
use std::path::{Path, PathBuf};

fn specs(dir: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("specs")
        .join(dir);
    convc::testing::collect(&[root])
        .expect("specs exist")
        .into_iter()
        .filter(|p| !convc::testing::is_error_spec(p))
        .collect()
}

/// What `convc run SPEC --format json --all` prints, computed here.
fn expected(path: &Path, backend: Backend) -> String {
    let loaded = pipeline::load(path, DEFAULT_MAX_MEMORY, false)
        .unwrap_or_else(|e| panic!("{}:\n{}", path.display(), e.message));
    let model = &loaded.model;
    let values = pipeline::execute(model, backend).expect("runs");
    let shown: Vec<usize> = (0..model.values.len())
        .filter(|&i| matches!(model.values[i].kind, ValueKind::Layer(_)))
        .collect();
    let named: Vec<(&str, &convc::ir::Tensor)> = shown
        .iter()
        .map(|&i| (model.values[i].name.as_str(), &values[i]))
        .collect();
    format!("{}\n", json::outputs(&named))
}

fn same_in_another_process(path: &Path) {
    let spec = path.to_str().expect("utf-8 path");
    let jit = expected(
        path,
        Backend::Jit(JitSettings {
            threads: 3,
            ..JitSettings::default()
        }),
    );
    let reference = expected(path, Backend::Interp);
    let runs: [([&str; 2], &String); 3] = [
        (["--threads", "1"], &jit),
        (["--threads", "8"], &jit),
        (["--backend", "interp"], &reference),
    ];
    for (extra, want) in runs {
        let mut args = vec!["run", spec, "--format", "json", "--all"];
        args.extend(extra);
        let o = convc(&args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        assert!(
            stdout(&o) == *want,
            "{args:?}: the values differ from this process's"
        );
    }
}

#[test]
fn every_spec_gives_the_same_bits_in_another_process() {
    let mut count = 0;
    for dir in ["seed", "features", "examples"] {
        for path in specs(dir) {
            same_in_another_process(&path);
            count += 1;
        }
    }
    assert!(count > 40, "only {count} specs");
}
