//! `convc test`: checking every `expect` of every spec found.
//!
//! A spec whose file name starts with `err_` is a compile-fail test: it passes when checking
//! rejects it (with a diagnostic), and fails when it loads; it has no snapshot.
//!
//! Every other spec's outputs are also compared with its snapshot (see [`crate::snapshot`]):
//! the first run records it, later runs report every value that moved beyond the tolerance,
//! and `--accept` records the new values. Under CI (the `CI` environment variable set, as every
//! CI service does) a missing snapshot is a failure, not recorded: a snapshot that was never
//! committed would otherwise be re-recorded on every CI run and check nothing.

use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{Expect, Model, Tensor};
use crate::pipeline::{self, Backend};
use crate::render::text::number;
use crate::snapshot;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// How `convc test` treats snapshots.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Snapshots {
    /// Check `expect`s only; read and write no snapshot.
    Off,
    On {
        /// `|new - old| <= tolerance * max(1, |old|)`.
        tolerance: f64,
        /// Record the new values of every snapshot that is missing or differs.
        accept: bool,
        /// Under CI: never record a missing snapshot unless `accept`.
        ci: bool,
    },
}

/// Whether the environment says this is a CI run (`CI` set to anything but empty, `0` or
/// `false`).
pub fn running_in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// What happened to one spec.
#[derive(Debug)]
pub enum Outcome {
    /// Every expectation held (`expects` of them) and the snapshot, if any, agrees or was
    /// recorded (`snapshot` says which).
    Pass {
        expects: usize,
        snapshot: Option<String>,
    },
    /// An `err_` spec was rejected, as it should be.
    RejectedAsExpected,
    /// Some expectation did not hold: the report.
    Fail(String),
    /// The spec could not be read or checked: the rendered diagnostics.
    Invalid(String),
}

/// Every spec under `paths` (files as given; directories searched recursively for `.conv` and
/// `.toml`), sorted.
pub fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Diagnostic> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut out).map_err(|e| {
                Diagnostic::error_unlocated(
                    Code::NoSuchPath,
                    format!("cannot read directory `{}`: {e}", path.display()),
                )
            })?;
        } else if path.exists() {
            out.push(path.clone());
        } else {
            return Err(Diagnostic::error_unlocated(
                Code::NoSuchPath,
                format!("`{}` does not exist", path.display()),
            ));
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

pub fn test_spec(path: &Path, backend: Backend, max_memory: u64, snapshots: Snapshots) -> Outcome {
    match pipeline::load(path, max_memory, false) {
        Err(_) if is_error_spec(path) => Outcome::RejectedAsExpected,
        Err(e) => Outcome::Invalid(e.message),
        Ok(_) if is_error_spec(path) => Outcome::Fail(
            "  this spec is named `err_*` but convc accepted it; it should be rejected\n"
                .to_string(),
        ),
        Ok(loaded) => {
            let values = match pipeline::execute(&loaded.model, backend) {
                Ok(values) => values,
                Err(message) => return Outcome::Invalid(message),
            };
            let mut report = check_expects(&loaded.model, &values);
            let snapshot = match snapshots {
                Snapshots::Off => None,
                Snapshots::On {
                    tolerance,
                    accept,
                    ci,
                } => {
                    let outputs = loaded
                        .model
                        .outputs
                        .iter()
                        .map(|&i| snapshot::Output {
                            name: loaded.model.values[i].name.clone(),
                            tensor: values[i].clone(),
                        })
                        .collect::<Vec<_>>();
                    match check_snapshot(path, &outputs, tolerance, accept, ci) {
                        Ok(SnapshotResult::Note(note)) => Some(note),
                        Ok(SnapshotResult::Differs(diff)) => {
                            report.push_str(&diff);
                            None
                        }
                        Err(message) => return Outcome::Invalid(message),
                    }
                }
            };
            if report.is_empty() {
                Outcome::Pass {
                    expects: loaded.model.expects.len(),
                    snapshot,
                }
            } else {
                // `--accept` may have recorded the snapshot even though an `expect` failed.
                if let Some(note) = snapshot {
                    report.push_str(&format!("  {note}\n"));
                }
                Outcome::Fail(report)
            }
        }
    }
}

enum SnapshotResult {
    /// Agrees, or was recorded: what to say about it.
    Note(String),
    /// The readable diff.
    Differs(String),
}

/// Compares `outputs` with the snapshot of `spec`, recording it when missing (outside CI) or
/// when `accept`. `Err` is a broken or unwritable snapshot, with the message.
fn check_snapshot(
    spec: &Path,
    outputs: &[snapshot::Output],
    tolerance: f64,
    accept: bool,
    ci: bool,
) -> Result<SnapshotResult, String> {
    let path = snapshot::path_for(spec);
    let shown = path.display();
    let spec_name = spec
        .file_name()
        .map_or_else(String::new, |f| f.to_string_lossy().into_owned());
    let record = |verb: &str| {
        snapshot::write_atomic(&path, &snapshot::to_text(&spec_name, outputs))
            .map(|()| SnapshotResult::Note(format!("snapshot {verb}: {shown}")))
            .map_err(|e| {
                let message = format!("cannot write the snapshot `{shown}`: {e}");
                Diagnostic::error_unlocated(Code::CannotWrite, message).render_plain()
            })
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return if ci && !accept {
                Ok(SnapshotResult::Differs(format!(
                    "  no snapshot `{shown}`; CI is set, so it was not recorded: run `convc \
                     test` locally and commit the snapshot (or pass --accept)\n"
                )))
            } else {
                record("recorded")
            };
        }
        Err(e) => {
            let message = format!("cannot read the snapshot `{shown}`: {e}");
            return Err(
                Diagnostic::error_unlocated(Code::CannotReadSnapshot, message).render_plain(),
            );
        }
    };
    let recorded = match snapshot::parse(&text) {
        Ok(recorded) => recorded,
        Err(_) if accept => return record("re-recorded"),
        Err(e) => {
            let message = format!("the snapshot `{shown}` is broken: {e}");
            return Err(Diagnostic::error_unlocated(Code::BrokenSnapshot, message)
                .with_hint("`convc test --accept` records it afresh")
                .render_plain());
        }
    };
    let diff = snapshot::diff(&recorded, outputs, tolerance);
    if diff.is_empty() {
        Ok(SnapshotResult::Note("snapshot matches".into()))
    } else if accept {
        record("updated")
    } else {
        Ok(SnapshotResult::Differs(format!(
            "  snapshot {shown} differs (tolerance {tolerance:e} relative; `convc test --accept` \
             records the new values):\n{diff}"
        )))
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
