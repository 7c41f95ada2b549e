//! The whole pipeline for one spec file: read, parse, check; then run on a backend.

use crate::access::ReadAccess;
use crate::ast::Spec;
use crate::cancel;
use crate::check::{self, Options};
use crate::diagnostic::{render, Code, Diagnostic};
use crate::interp;
use crate::ir::{Model, Tensor};
use crate::jit;
use crate::limits::cancelled_message;
use crate::limits::Budget;
use crate::overrides::{self, InputOverride};
use crate::parse::{self, Syntax};
use std::path::{Path, PathBuf};

/// A spec that parsed and checked.
#[derive(Debug)]
pub struct Loaded {
    pub path: PathBuf,
    pub source: String,
    pub syntax: Syntax,
    pub spec: Spec,
    pub model: Model,
    /// The memory limit, with the source and everything a run holds already charged; later
    /// stages (output buffers) charge what they add.
    pub budget: Budget,
}

/// Why a spec could not be loaded, already rendered for people.
#[derive(Debug)]
pub struct LoadError {
    pub message: String,
    /// The diagnostics, when the file could be read (for tests that inspect them).
    pub diagnostics: Vec<Diagnostic>,
}

/// Which engine computes the values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The reference interpreter: the definition of the semantics.
    Interp,
    /// Native code from Cranelift, specialised to the model's shapes.
    Jit(JitSettings),
}

impl Default for Backend {
    fn default() -> Backend {
        Backend::Jit(JitSettings::default())
    }
}

/// How the JIT compiles and runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JitSettings {
    /// Threads a layer may be split over; 0 means one per core.
    pub threads: usize,
    pub fold_weights: jit::FoldWeights,
    /// AVX-512 kernels where the host has them, or the portable code (`--simd`).
    pub simd: jit::Simd,
    /// The most machine code the model may compile to (`--max-code-size`).
    pub max_code_size: u64,
}

impl Default for JitSettings {
    fn default() -> JitSettings {
        JitSettings {
            threads: 0,
            fold_weights: jit::FoldWeights::default(),
            max_code_size: crate::limits::DEFAULT_MAX_CODE_SIZE,
            simd: jit::Simd::Auto,
        }
    }
}

impl JitSettings {
    /// The thread count to use: `threads`, or the machine's cores for 0.
    pub fn thread_count(&self) -> usize {
        if self.threads > 0 {
            return self.threads;
        }
        std::thread::available_parallelism().map_or(1, usize::from)
    }
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Interp => "interp",
            Backend::Jit(_) => "jit",
        }
    }
}

/// The values of a run and, for `-v`, one line per layer saying what ran it.
pub struct Execution {
    pub values: Vec<Tensor>,
    pub notes: Vec<String>,
}

/// At most this many diagnostics are shown; a garbage file would otherwise print thousands.
const MAX_SHOWN: usize = 50;

/// Reads, parses and checks `path`. `color` renders diagnostics with ANSI colours.
pub fn load(path: &Path, max_memory: u64, color: bool) -> Result<Loaded, LoadError> {
    load_with_inputs(path, max_memory, color, &[], &[])
}

/// [`load`], with some inputs replaced by files from the command line (`--input NAME=FILE`),
/// and the spec allowed to read under `allow_read` (`--allow-read`, resolved paths) besides
/// its own folder.
pub fn load_with_inputs(
    path: &Path,
    max_memory: u64,
    color: bool,
    overrides: &[InputOverride],
    allow_read: &[PathBuf],
) -> Result<Loaded, LoadError> {
    let shown = path.display().to_string();
    let fail = |diagnostic: Diagnostic| LoadError {
        message: diagnostic.render_plain(),
        diagnostics: vec![diagnostic],
    };
    let cannot_read = |e: std::io::Error| {
        Diagnostic::error_unlocated(Code::CannotReadSpec, format!("cannot read `{shown}`: {e}"))
    };
    let metadata = std::fs::metadata(path).map_err(|e| fail(cannot_read(e)))?;
    if metadata.is_dir() {
        return Err(fail(Diagnostic::error_unlocated(
            Code::SpecIsDirectory,
            format!("`{shown}` is a directory; give a .conv or .toml spec file"),
        )));
    }
    if let Err(refused) =
        Budget::new(max_memory).charge(Some(metadata.len()), &format!("reading `{shown}`"))
    {
        return Err(fail(refused.with_code(Code::SpecTooLarge).diagnostic(None)));
    }
    let bytes = std::fs::read(path).map_err(|e| fail(cannot_read(e)))?;
    let source = String::from_utf8(bytes).map_err(|e| {
        fail(
            Diagnostic::error_unlocated(
                Code::NotUtf8,
                format!(
                    "`{shown}` is not a text file: byte {} is not valid UTF-8",
                    e.utf8_error().valid_up_to()
                ),
            )
            .with_hint("specs are UTF-8 text (.conv or .toml)"),
        )
    })?;
    load_source_with_inputs(path, source, max_memory, color, overrides, allow_read)
}

/// Parses and checks text that claims to come from `path` (whose directory anchors `npy`).
pub fn load_source(
    path: &Path,
    source: String,
    max_memory: u64,
    color: bool,
) -> Result<Loaded, LoadError> {
    load_source_with_inputs(path, source, max_memory, color, &[], &[])
}

fn load_source_with_inputs(
    path: &Path,
    source: String,
    max_memory: u64,
    color: bool,
    overrides: &[InputOverride],
    allow_read: &[PathBuf],
) -> Result<Loaded, LoadError> {
    let shown = path.display().to_string();
    let syntax = Syntax::from_path(path);
    let reject = |mut diagnostics: Vec<Diagnostic>, source: &str| {
        // The same problem found twice (by error recovery, say) is shown once.
        let mut seen: Vec<Diagnostic> = Vec::new();
        diagnostics.retain(|d| {
            let fresh = seen.len() > MAX_SHOWN || !seen.contains(d);
            if fresh {
                seen.push(d.clone());
            }
            fresh
        });
        let mut message = render(
            &shown,
            source,
            &diagnostics[..diagnostics.len().min(MAX_SHOWN)],
            color,
        );
        if diagnostics.len() > MAX_SHOWN {
            message.push_str(&format!(
                "... and {} more problems\n",
                diagnostics.len() - MAX_SHOWN
            ));
        }
        LoadError {
            message,
            diagnostics,
        }
    };
    let mut spec = parse::parse(&source, syntax).map_err(|d| reject(d, &source))?;
    overrides::apply(&mut spec, overrides).map_err(|d| reject(d, &source))?;
    let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let options = Options {
        base_dir,
        max_memory,
        reads: ReadAccess {
            allowed: allow_read.to_vec(),
            // The user named these files; they are read wherever they are.
            trusted: overrides.iter().map(overrides::path_text).collect(),
        },
    };
    let (model, mut budget) =
        check::check_counted(&spec, &options).map_err(|d| reject(d, &source))?;
    // The source text stays in memory for the whole run (it was read within the limit).
    let _ = budget.charge(u64::try_from(source.len()).ok(), "the spec's text");
    Ok(Loaded {
        path: path.to_path_buf(),
        source,
        syntax,
        spec,
        model,
        budget,
    })
}

/// Computes every value of the model on `backend`, indexed like `model.values`. Fails when
/// the JIT cannot compile for this machine or shape or within `--max-code-size`, and when a
/// stop was requested (Ctrl-C, SIGTERM, `--timeout`); the message says what to do.
pub fn execute(model: &Model, backend: Backend) -> Result<Vec<Tensor>, String> {
    execute_observed(model, backend, &mut |_| {}).map(|e| e.values)
}

/// [`execute`], calling `done` after each value is computed (for a progress bar).
pub fn execute_observed(
    model: &Model,
    backend: Backend,
    done: &mut dyn FnMut(crate::ir::ValueId),
) -> Result<Execution, String> {
    match backend {
        Backend::Interp => {
            let values = interp::run_observed(model, done).map_err(|c| cancelled_message(c.0))?;
            let notes = layer_names(model)
                .map(|(name, op)| format!("{name} ({op}): interpreted"))
                .collect();
            Ok(Execution { values, notes })
        }
        Backend::Jit(settings) => {
            let options = jit::Options {
                fold_weights: settings.fold_weights,
                max_code_size: settings.max_code_size,
                simd: settings.simd,
                ..jit::Options::default()
            };
            let compiled =
                jit::compile(model, &options).map_err(|e| match cancel::requested() {
                    Some(reason) => cancelled_message(reason),
                    None => e.diagnostic().render_plain(),
                })?;
            let values = compiled
                .run(model, settings.thread_count())
                .map_err(|e| e.diagnostic().render_plain())?;
            cancel::check().map_err(|c| cancelled_message(c.0))?;
            (0..values.len()).for_each(&mut *done);
            let mut notes: Vec<String> = compiled
                .reports
                .iter()
                .map(|r| {
                    format!(
                        "{} ({}): jit, {}, {} bytes of code, compiled in {:.3} ms",
                        r.name,
                        r.op,
                        r.kernel,
                        r.code_bytes,
                        r.compile_time.as_secs_f64() * 1e3
                    )
                })
                .collect();
            notes.push(format!(
                "one module for the model: finalized in {:.3} ms, {:.3} ms in all",
                compiled.finalize_time.as_secs_f64() * 1e3,
                compiled.total_time.as_secs_f64() * 1e3
            ));
            Ok(Execution { values, notes })
        }
    }
}

fn layer_names(model: &Model) -> impl Iterator<Item = (&str, &str)> {
    model.values.iter().filter_map(|v| match &v.kind {
        crate::ir::ValueKind::Layer(l) => Some((v.name.as_str(), l.op_name.as_str())),
        crate::ir::ValueKind::Input(_) => None,
    })
}
