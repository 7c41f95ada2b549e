//! What each command does once its spec is loaded: `run`, `convert`, `test`.

use super::pictures;
use super::{Format, SyntaxArg};
use crate::diagnostic::{Code, Diagnostic};
use crate::pipeline::{Backend, Loaded};
use crate::render::{json, text};
use crate::testing::{self, Outcome};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes to stdout. A closed pipe (`convc run x | head`) is no error; any other failure (a
/// full disk behind `> file`) ends convc with a message and exit code 2, as it would otherwise
/// go unnoticed. (Files convc writes itself are complete or untouched before this can happen.)
pub(super) fn print(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let result = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
    match result {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            let message = format!("cannot write to standard output: {e}");
            eprint!(
                "{}",
                Diagnostic::error_unlocated(Code::StdoutFailed, message).render_plain()
            );
            std::process::exit(2);
        }
        _ => {}
    }
}

/// What `convc run` was asked for.
pub(super) struct RunOptions<'a> {
    pub format: Format,
    pub backend: Backend,
    /// Every layer, not only the outputs.
    pub all: bool,
    /// No abbreviation of big tensors.
    pub full: bool,
    /// With `--format npy`: where the files go.
    pub out: Option<&'a Path>,
    /// Where pictures go.
    pub png: Option<&'a Path>,
    pub quiet: bool,
    /// Say, per layer, what ran it and what compiling cost.
    pub verbose: bool,
}

pub(super) fn run(loaded: &Loaded, options: &RunOptions) -> i32 {
    let RunOptions {
        format,
        backend,
        all,
        full,
        out,
        png,
        quiet,
        verbose: _,
    } = *options;

    let model = &loaded.model;
    let shown: Vec<usize> = if all {
        (0..model.values.len())
            .filter(|&i| matches!(model.values[i].kind, crate::ir::ValueKind::Layer(_)))
            .collect()
    } else {
        model.outputs.clone()
    };
    if let Err(refused) = charge_output(loaded, &shown, format, full) {
        eprint!("{}", refused.render());
        return 2;
    }
    if let Some(dir) = png {
        if let Err(code) = pictures::prepare_folder(dir) {
            return code;
        }
    }
    let values = match pictures::compute(model, backend, quiet, options.verbose) {
        Ok(values) => values,
        Err(code) => return code,
    };
    match format {
        Format::Npy => {
            let named: Vec<(&str, &crate::ir::Tensor)> = shown
                .iter()
                .map(|&i| (model.values[i].name.as_str(), &values[i]))
                .collect();
            return write_npy(out.unwrap_or(Path::new(".")), &named);
        }
        Format::Json => {
            let named: Vec<(&str, &crate::ir::Tensor)> = shown
                .iter()
                .map(|&i| (model.values[i].name.as_str(), &values[i]))
                .collect();
            let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
            // A closed pipe (`convc run x --format json | head`) is not an error.
            let _ = json::write(&named, &mut stdout).and_then(|()| stdout.flush());
        }
        Format::Text => {
            let limits = if full {
                text::Limits::FULL
            } else {
                text::Limits::DEFAULT
            };
            let mut out = String::new();
            for (k, &i) in shown.iter().enumerate() {
                if k > 0 {
                    out.push('\n');
                }
                let names = match &model.values[i].kind {
                    crate::ir::ValueKind::Layer(crate::ir::Layer {
                        op: crate::ir::Op::Conv(c),
                        ..
                    }) => c.filter_names.clone(),
                    _ => Vec::new(),
                };
                out.push_str(&text::tensor(
                    &model.values[i].name,
                    &values[i],
                    &names,
                    limits,
                ));
            }
            print(&out);
        }
    }
    match png {
        Some(dir) => pictures::write_pngs(model, &values, &shown, dir, quiet),
        None => 0,
    }
}

/// Charges, before anything is computed, the memory the output will take on top of the
/// values: one encoded `.npy` file at a time, or the whole text with `--full` (JSON and
/// abbreviated text are streamed or bounded).
fn charge_output(
    loaded: &Loaded,
    shown: &[usize],
    format: Format,
    full: bool,
) -> Result<(), crate::limits::LimitExceeded> {
    let mut budget = loaded.budget.clone();
    let len = |i: usize| {
        let shape = &loaded.model.values[i].shape;
        shape
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .unwrap_or(usize::MAX)
    };
    match format {
        Format::Npy => {
            let largest = shown.iter().map(|&i| len(i)).max().unwrap_or(0);
            let bytes = (largest as u64)
                .checked_mul(4)
                .and_then(|b| b.checked_add(4096));
            budget.charge(bytes, "the largest `.npy` file, encoded")
        }
        Format::Text if full => {
            let values = shown.iter().try_fold(0usize, |a, &i| a.checked_add(len(i)));
            let bytes =
                values.and_then(|n| (n as u64).checked_mul(crate::limits::TEXT_BYTES_PER_VALUE));
            budget.charge(bytes, "the text of every value (`--full`)")
        }
        Format::Text | Format::Json => Ok(()),
    }
}

/// `--format npy`: one file per tensor; says on stdout what it wrote.
fn write_npy(dir: &Path, named: &[(&str, &crate::ir::Tensor)]) -> i32 {
    match crate::render::npy::write_all(dir, named) {
        Ok(paths) => {
            let mut out = String::new();
            for (path, (_, tensor)) in paths.iter().zip(named) {
                let sizes: Vec<String> = tensor.shape.iter().map(usize::to_string).collect();
                out.push_str(&format!(
                    "wrote {} ({})\n",
                    path.display(),
                    sizes.join(", ")
                ));
            }
            print(&out);
            0
        }
        Err(diagnostic) => {
            eprint!("{}", diagnostic.render_plain());
            2
        }
    }
}

pub(super) fn convert(loaded: &Loaded, to: SyntaxArg, output: Option<&Path>) -> i32 {
    let text = match to {
        SyntaxArg::Conv => crate::print::conv::to_conv(&loaded.spec, &loaded.model),
        SyntaxArg::Toml => crate::print::toml::to_toml(&loaded.spec, &loaded.model),
    };
    match output {
        None => {
            print(&text);
            0
        }
        Some(path) => match crate::atomic::write(path, text.as_bytes()) {
            Ok(()) => 0,
            Err(e) => {
                let message = format!("cannot write `{}`: {e}", path.display());
                eprint!(
                    "{}",
                    Diagnostic::error_unlocated(Code::CannotWrite, message).render_plain()
                );
                2
            }
        },
    }
}

pub(super) fn test(
    paths: Vec<PathBuf>,
    backend: Backend,
    max_memory: u64,
    allow_read: &[PathBuf],
    snapshots: testing::Snapshots,
) -> i32 {
    let paths = if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths
    };
    let specs = match testing::collect(&paths) {
        Ok(specs) => specs,
        Err(diagnostic) => {
            eprint!("{}", diagnostic.render_plain());
            return 2;
        }
    };
    if specs.is_empty() {
        let message = format!(
            "no .conv or .toml specs found in {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        eprint!(
            "{}",
            Diagnostic::error_unlocated(Code::NoSpecs, message).render_plain()
        );
        return 2;
    }
    let (mut passed, mut failed, mut invalid) = (0, 0, 0);
    for path in &specs {
        let shown = path.display();
        let outcome = testing::test_spec(path, backend, max_memory, allow_read, snapshots);
        // A stopped spec wrote no snapshot; the specs after it are not started.
        if let Some(reason) = crate::cancel::requested() {
            eprint!("{}", crate::limits::cancelled_message(reason));
            return 2;
        }
        match outcome {
            Outcome::Pass { expects, snapshot } => {
                passed += 1;
                let snapshot = snapshot.map_or(String::new(), |note| format!(", {note}"));
                print(&format!(
                    "ok      {shown} ({expects} expectation{}{snapshot})\n",
                    if expects == 1 { "" } else { "s" }
                ));
            }
            Outcome::RejectedAsExpected => {
                passed += 1;
                print(&format!(
                    "ok      {shown} (rejected, as its err_ name says)\n"
                ));
            }
            Outcome::Fail(report) => {
                failed += 1;
                print(&format!("FAILED  {shown}\n{report}"));
            }
            Outcome::Invalid(message) => {
                invalid += 1;
                print(&format!("INVALID {shown}\n"));
                eprint!("{message}");
            }
        }
    }
    let mut closing = format!("\n{passed} passed, {} failed", failed + invalid);
    if invalid > 0 {
        closing.push_str(&format!(" ({invalid} could not be checked)"));
    }
    print(&format!("{closing}\n"));
    if invalid > 0 {
        2
    } else if failed > 0 {
        1
    } else {
        0
    }
}
