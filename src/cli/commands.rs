//! What each command does once its spec is loaded: `run`, `convert`, `test`.

use super::pictures;
use super::{Format, SyntaxArg};
use crate::diagnostic::{Code, Diagnostic};
use crate::pipeline::{Backend, Loaded};
use crate::render::{json, text};
use crate::testing::{self, Outcome};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes to stdout; a closed pipe (`convc run x | head`) is not an error worth a panic.
pub(super) fn print(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
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
    if let Some(dir) = png {
        if let Err(code) = pictures::prepare_folder(dir) {
            return code;
        }
    }
    let values = match pictures::compute(model, backend, quiet, options.verbose) {
        Ok(values) => values,
        Err(code) => return code,
    };
    let shown: Vec<usize> = if all {
        (0..model.values.len())
            .filter(|&i| matches!(model.values[i].kind, crate::ir::ValueKind::Layer(_)))
            .collect()
    } else {
        model.outputs.clone()
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
            print(&format!("{}\n", json::outputs(&named)));
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
        match testing::test_spec(path, backend, max_memory, snapshots) {
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
