//! `convc test`: checking every `expect` of every spec found.
//!
//! A spec whose file name starts with `err_` is a compile-fail test: it passes when checking
//! rejects it (with a diagnostic), and fails when it loads.

use crate::ir::{Expect, Model, Tensor};
use crate::pipeline::{self, Backend};
use crate::render::text::number;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// What happened to one spec.
#[derive(Debug)]
pub enum Outcome {
    /// Every expectation held (`usize` of them).
    Pass(usize),
    /// An `err_` spec was rejected, as it should be.
    RejectedAsExpected,
    /// Some expectation did not hold: the report.
    Fail(String),
    /// The spec could not be read or checked: the rendered diagnostics.
    Invalid(String),
}

/// Every spec under `paths` (files as given; directories searched recursively for `.conv` and
/// `.toml`), sorted.
pub fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut out)
                .map_err(|e| format!("cannot read directory `{}`: {e}", path.display()))?;
        } else if path.exists() {
            out.push(path.clone());
        } else {
            return Err(format!("`{}` does not exist", path.display()));
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("conv" | "toml")
        ) {
            out.push(path);
        }
    }
    Ok(())
}

pub fn is_error_spec(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with("err_"))
}

pub fn test_spec(path: &Path, backend: Backend, max_memory: u64) -> Outcome {
    match pipeline::load(path, max_memory, false) {
        Err(_) if is_error_spec(path) => Outcome::RejectedAsExpected,
        Err(e) => Outcome::Invalid(e.message),
        Ok(_) if is_error_spec(path) => Outcome::Fail(
            "  this spec is named `err_*` but convc accepted it; it should be rejected\n"
                .to_string(),
        ),
        Ok(loaded) => {
            let values = pipeline::execute(&loaded.model, backend);
            let report = check_expects(&loaded.model, &values);
            if report.is_empty() {
                Outcome::Pass(loaded.model.expects.len())
            } else {
                Outcome::Fail(report)
            }
        }
    }
}

/// A readable report of every expectation that does not hold; empty when all hold.
pub fn check_expects(model: &Model, values: &[Tensor]) -> String {
    let mut out = String::new();
    for expect in &model.expects {
        let name = &model.values[expect.value].name;
        let actual = &values[expect.value];
        let bad = mismatches(expect, actual);
        if bad.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "  expect {name}: {} of {} values differ ({})",
            bad.len(),
            actual.data.len(),
            match expect.within {
                crate::ir::Tolerance::Default => "tolerance 1e-6 relative".to_string(),
                crate::ir::Tolerance::Absolute(w) => format!("within {}", number(w)),
            }
        );
        for &i in bad.iter().take(10) {
            let _ = writeln!(
                out,
                "    at {}: expected {}, got {}",
                position(&actual.shape, i),
                number(expect.expected.data[i]),
                number(actual.data[i])
            );
        }
        if bad.len() > 10 {
            let _ = writeln!(out, "    ... and {} more", bad.len() - 10);
        }
    }
    out
}

fn mismatches(expect: &Expect, actual: &Tensor) -> Vec<usize> {
    (0..actual.data.len())
        .filter(|&i| {
            !expect
                .within
                .accepts(expect.expected.data[i], actual.data[i])
        })
        .collect()
}

/// The multi-index of flat index `i`: `(0, 2, 0)`.
pub fn position(shape: &[usize], mut i: usize) -> String {
    let mut index = vec![0; shape.len()];
    for a in (0..shape.len()).rev() {
        index[a] = i % shape[a];
        i /= shape[a];
    }
    let parts: Vec<String> = index.iter().map(|x| x.to_string()).collect();
    format!("({})", parts.join(", "))
}
