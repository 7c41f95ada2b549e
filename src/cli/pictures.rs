//! The command line's picture work: `run --png DIR` and `report`, with their progress bars.

use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{Model, Tensor, ValueId};
use crate::picture;
use crate::pipeline::{self, Backend, Loaded};
use crate::progress::Progress;
use std::path::Path;

/// Computes every value, with a progress bar over the layers on a terminal; with `verbose`,
/// says on stderr what ran each layer. A backend failure is printed and becomes `Err(2)`.
pub fn compute(
    model: &Model,
    backend: Backend,
    quiet: bool,
    verbose: bool,
) -> Result<Vec<Tensor>, i32> {
    let progress = Progress::new(model.values.len(), "computing", quiet);
    let result = pipeline::execute_observed(model, backend, &mut |_| progress.step());
    progress.finish();
    match result {
        Ok(execution) => {
            if verbose {
                for note in &execution.notes {
                    eprintln!("{note}");
                }
            }
            Ok(execution.values)
        }
        Err(message) => {
            eprint!("{message}");
            Err(2)
        }
    }
}

/// Makes sure pictures can go into `dir` before any work is done, so a typo in the folder
/// costs no computation. Prints the problem and returns `Err(2)` when they cannot.
pub fn prepare_folder(dir: &Path) -> Result<(), i32> {
    if let Err(e) = std::fs::create_dir_all(dir) {
        let message = format!("cannot create the picture folder `{}`: {e}", dir.display());
        eprint!(
            "{}",
            Diagnostic::error_unlocated(Code::CannotCreateFolder, message).render_plain()
        );
        return Err(2);
    }
    Ok(())
}

/// `--png DIR`: writes the pictures of `shown`; notes all-zero maps on stderr. Returns the exit
/// code.
pub fn write_pngs(
    model: &Model,
    values: &[Tensor],
    shown: &[ValueId],
    dir: &Path,
    quiet: bool,
) -> i32 {
    let progress = Progress::new(shown.len(), "drawing", quiet);
    let result = picture::write(model, values, shown, dir, &progress);
    progress.finish();
    match result {
        Ok(written) => {
            for note in &written.zero_notes {
                let message = format!("{note} (dead: every value is 0)");
                eprint!(
                    "{}",
                    Diagnostic::warning_unlocated(Code::DeadMap, message).render_plain()
                );
            }
            if !quiet {
                eprintln!("wrote {} pictures to {}", written.files, dir.display());
            }
            0
        }
        Err(diagnostic) => {
            eprint!("{}", diagnostic.render_plain());
            2
        }
    }
}

/// `convc report SPEC -o FILE`. Returns the exit code.
pub fn report(loaded: &Loaded, backend: Backend, output: &Path, quiet: bool) -> i32 {
    let values = match compute(&loaded.model, backend, quiet, false) {
        Ok(values) => values,
        Err(code) => return code,
    };
    let progress = Progress::new(values.len(), "drawing", quiet);
    let page = crate::report::report(loaded, &values, &progress);
    progress.finish();
    let page = match page {
        Ok(page) => page,
        Err(message) => {
            eprint!(
                "{}",
                Diagnostic::error_unlocated(Code::Encode, message).render_plain()
            );
            return 2;
        }
    };
    let dir = match output.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let Some(name) = output.file_name().and_then(|n| n.to_str()) else {
        let message = format!(
            "`{}` is not a file name for the report; give e.g. `-o report.html`",
            output.display()
        );
        eprint!(
            "{}",
            Diagnostic::error_unlocated(Code::NotAFileName, message).render_plain()
        );
        return 2;
    };
    match picture::files::write_atomic(dir, name, page.as_bytes()) {
        Ok(path) => {
            if !quiet {
                eprintln!("wrote {}", path.display());
            }
            0
        }
        Err(e) => {
            let message = format!("cannot write `{}`: {e}", output.display());
            eprint!(
                "{}",
                Diagnostic::error_unlocated(Code::CannotWrite, message).render_plain()
            );
            2
        }
    }
}
