//! The command line. Exit codes (PRODUCT.md): 0 success, 1 an expectation did not hold, 2 the
//! spec or the command line is wrong.

use crate::diagnostic::{Code, Diagnostic};
use crate::pipeline::{self, Backend, Loaded};
use crate::render::summary;
use crate::testing;
use clap::{Parser, Subcommand, ValueEnum};
use std::io::IsTerminal;
use std::path::PathBuf;

mod commands;
mod pictures;
mod tools;

use commands::{convert, print, run, test, RunOptions};

#[derive(Parser, Debug)]
#[command(
    name = "convc",
    version,
    about = "Compile and run declarative convolution-network specs"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    reads: ReadArgs,
}

/// What a spec may read besides its own folder (every command that loads a spec).
#[derive(clap::Args, Debug)]
struct ReadArgs {
    /// Let the spec read this file, or the files under this folder, besides those in its own
    /// folder (a spec may not read elsewhere on its own). Repeatable.
    #[arg(long, global = true, value_name = "PATH", value_parser = crate::access::allow_read)]
    allow_read: Vec<PathBuf>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Compute the outputs of a spec and print them.
    Run {
        /// The spec (.conv or .toml).
        spec: PathBuf,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        #[arg(long, value_enum, default_value_t = BackendArg::Jit)]
        backend: BackendArg,
        /// Print every layer, not only the outputs.
        #[arg(long)]
        all: bool,
        /// Print big tensors in full instead of abbreviating them.
        #[arg(long)]
        full: bool,
        /// With `--format npy`: the folder to write `<name>.npy` files into.
        #[arg(long, required_if_eq("format", "npy"))]
        out: Option<PathBuf>,
        #[command(flatten)]
        inputs: InputArgs,
        /// Also draw each shown map, and each convolution's filters, as PNGs in this folder.
        #[arg(long, value_name = "DIR")]
        png: Option<PathBuf>,
        /// No progress bar and no notes about written files.
        #[arg(short, long)]
        quiet: bool,
        /// Say, per layer, what ran it and how long compiling took (on stderr).
        #[arg(short, long)]
        verbose: bool,
        #[command(flatten)]
        jit: JitArgs,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Write one self-contained HTML page: the spec, its summary, every layer's pictures.
    Report {
        spec: PathBuf,
        /// The HTML file to write.
        #[arg(short, long)]
        output: PathBuf,
        #[arg(long, value_enum, default_value_t = BackendArg::Jit)]
        backend: BackendArg,
        /// No progress bar and no note about the written file.
        #[arg(short, long)]
        quiet: bool,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Parse and shape-check a spec without running it; print a summary.
    Check {
        spec: PathBuf,
        #[command(flatten)]
        inputs: InputArgs,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Translate a spec between the two syntaxes.
    Convert {
        spec: PathBuf,
        #[arg(long, value_enum)]
        to: SyntaxArg,
        /// Write here instead of to standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Show how one output value came about: the patch, the filter, the products, the sums,
    /// the bias and the activation.
    Explain {
        spec: PathBuf,
        /// The layer to explain (default: the first output).
        #[arg(long)]
        layer: Option<String>,
        /// The output position: `2` (1-D), `0,2` (2-D); add the channel (`0,2,1`) when the
        /// layer has several, and the batch first (`1,0,2,0`) when the batch has several items.
        /// Without it, small 1-D layers are explained position by position.
        #[arg(long)]
        at: Option<String>,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Show what the JIT generates for each layer: Cranelift IR, machine code or loop nest.
    Emit(tools::EmitArgs),
    /// Time each layer: compile time, median run time, GFLOP/s.
    Bench(tools::BenchArgs),
    /// Check every `expect` of the given specs (directories are searched recursively) and
    /// compare their outputs with the snapshots in `convc-snapshots/` beside them (recorded on
    /// the first run).
    Test {
        /// Spec files or directories; default: the current directory.
        paths: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = BackendArg::Jit)]
        backend: BackendArg,
        /// Record the current outputs as the snapshots (where missing or different).
        #[arg(long, conflicts_with = "no_snapshots")]
        accept: bool,
        /// How far a value may move from its snapshot: `|new - old| <= T * max(1, |old|)`.
        #[arg(long, value_name = "T", default_value_t = 1e-6, value_parser = parse_tolerance)]
        tolerance: f64,
        /// Check the `expect`s only; read and write no snapshots.
        #[arg(long)]
        no_snapshots: bool,
        #[command(flatten)]
        jit: JitArgs,
        #[command(flatten)]
        limits: LimitArgs,
    },
}

#[derive(clap::Args, Debug)]
struct LimitArgs {
    /// The most memory one run may take (tensors, decoded files, the JIT's copies of the
    /// weights, output buffers), e.g. `512MiB`, `8GiB`. Checked before anything is allocated.
    #[arg(long, value_name = "SIZE", value_parser = parse_bytes, default_value = "4GiB")]
    max_memory: u64,
    /// The most machine code the JIT may generate for the whole model, e.g. `16MiB`.
    #[arg(long, value_name = "SIZE", value_parser = parse_bytes, default_value = "64MiB")]
    max_code_size: u64,
    /// Stop the run after this long, e.g. `30s`, `500ms`, `2m` (default: no limit). Ctrl-C
    /// and SIGTERM stop it the same way; either way no file is left half-written.
    #[arg(long, value_name = "DURATION", value_parser = crate::limits::parse_timeout)]
    timeout: Option<std::time::Duration>,
}

impl LimitArgs {
    /// `backend` with the JIT held to `--max-code-size`.
    fn apply(&self, backend: Backend) -> Backend {
        match backend {
            Backend::Jit(settings) => Backend::Jit(pipeline::JitSettings {
                max_code_size: self.max_code_size,
                ..settings
            }),
            Backend::Interp => Backend::Interp,
        }
    }
}

#[derive(clap::Args, Debug)]
struct JitArgs {
    /// Threads a layer may be split over (the JIT; results are the same for any number).
    /// Default: one per core.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    threads: Option<u32>,
    /// Compile small filters' weights into the code as constants (the JIT).
    #[arg(long, value_enum, default_value_t = FoldArg::Auto)]
    fold_weights: FoldArg,
    #[command(flatten)]
    simd: SimdArgs,
}

#[derive(clap::Args, Debug, Clone, Copy)]
struct SimdArgs {
    /// The vector code of dense convolutions (the JIT): `auto` uses AVX-512 kernels where
    /// the CPU has AVX-512F, `portable` the f32x4 code every host runs.
    #[arg(long, value_enum, default_value_t = SimdArg::Auto)]
    simd: SimdArg,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum SimdArg {
    Auto,
    Portable,
}

impl SimdArgs {
    fn simd(self) -> crate::jit::Simd {
        match self.simd {
            SimdArg::Auto => crate::jit::Simd::Auto,
            SimdArg::Portable => crate::jit::Simd::Portable,
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub(crate) enum FoldArg {
    /// Where it was measured to pay.
    Auto,
    Always,
    Never,
}

/// The backend with the JIT's settings.
fn backend(b: BackendArg, jit: &JitArgs) -> Backend {
    match b {
        BackendArg::Interp => Backend::Interp,
        BackendArg::Jit => Backend::Jit(pipeline::JitSettings {
            threads: jit.threads.map_or(0, |n| n as usize),
            fold_weights: jit.fold_weights.into(),
            simd: jit.simd.simd(),
            ..pipeline::JitSettings::default()
        }),
    }
}

impl From<FoldArg> for crate::jit::FoldWeights {
    fn from(f: FoldArg) -> Self {
        match f {
            FoldArg::Auto => crate::jit::FoldWeights::Auto,
            FoldArg::Always => crate::jit::FoldWeights::Always,
            FoldArg::Never => crate::jit::FoldWeights::Never,
        }
    }
}

#[derive(clap::Args, Debug)]
struct InputArgs {
    /// Replace a declared input with a file: an image (PNG, JPEG, ...) or a `.npy` array,
    /// e.g. `--input photo=cat.jpg`. Repeatable.
    #[arg(long = "input", value_name = "NAME=FILE", value_parser = crate::overrides::parse)]
    overrides: Vec<crate::overrides::InputOverride>,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum Format {
    Text,
    Json,
    /// One `<name>.npy` file per tensor, into the folder given by `--out`.
    Npy,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum BackendArg {
    /// Native code compiled by Cranelift for the model's exact shapes.
    Jit,
    /// The reference interpreter (the definition of the semantics; slow).
    Interp,
}

impl From<BackendArg> for Backend {
    fn from(b: BackendArg) -> Backend {
        match b {
            BackendArg::Interp => Backend::Interp,
            BackendArg::Jit => Backend::default(),
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum SyntaxArg {
    Conv,
    Toml,
}

fn parse_tolerance(text: &str) -> Result<f64, Diagnostic> {
    match text.trim().parse::<f64>() {
        Ok(t) if t >= 0.0 && t.is_finite() => Ok(t),
        _ => Err(Diagnostic::error_unlocated(
            Code::NotATolerance,
            format!(
                "`{text}` is not a tolerance; write a non-negative number such as 1e-6 or 0.001"
            ),
        )),
    }
}

/// `4GiB`, `512MiB`, `100kB`, `1000`.
fn parse_bytes(text: &str) -> Result<u64, Diagnostic> {
    let size_error = |message: String| Diagnostic::error_unlocated(Code::NotASize, message);
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: u64 = digits.parse().map_err(|_| {
        size_error(format!(
            "`{text}` is not a size; write e.g. `512MiB` or `8GiB`"
        ))
    })?;
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "kib" => 1 << 10,
        "m" | "mb" => 1_000_000,
        "mib" => 1 << 20,
        "g" | "gb" => 1_000_000_000,
        "gib" => 1 << 30,
        "t" | "tb" => 1_000_000_000_000,
        "tib" => 1 << 40,
        other => {
            return Err(size_error(format!(
                "unknown unit `{other}`; use B, KiB, MiB, GiB or TiB"
            )))
        }
    };
    n.checked_mul(scale)
        .ok_or_else(|| size_error(format!("`{text}` is too large")))
}

/// Runs the command line; returns the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            if let Some(message) = coded_usage_error(&e) {
                eprint!("{message}");
                return 2;
            }
            let _ = e.print();
            // Help and version are successes; everything else is a usage error.
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let color = std::io::stderr().is_terminal();
    let reads = &cli.reads.allow_read;
    match cli.command {
        Command::Run {
            spec,
            format,
            backend: backend_arg,
            all,
            full,
            out,
            inputs,
            png,
            quiet,
            verbose,
            jit,
            limits,
        } => with_inputs(&spec, &inputs, &limits, reads, color, |loaded| {
            let options = RunOptions {
                format,
                backend: limits.apply(backend(backend_arg, &jit)),
                all,
                full,
                out: out.as_deref(),
                png: png.as_deref(),
                quiet,
                verbose,
            };
            run(loaded, &options)
        }),
        Command::Report {
            spec,
            output,
            backend,
            quiet,
            limits,
        } => with_spec(&spec, &limits, reads, color, |loaded| {
            pictures::report(loaded, limits.apply(backend.into()), &output, quiet)
        }),
        Command::Check {
            spec,
            inputs,
            limits,
        } => with_inputs(&spec, &inputs, &limits, reads, color, |loaded| {
            print(&summary::summary(
                &loaded.path.display().to_string(),
                &loaded.model,
            ));
            0
        }),
        Command::Convert {
            spec,
            to,
            output,
            limits,
        } => with_spec(&spec, &limits, reads, color, |loaded| {
            convert(loaded, to, output.as_deref())
        }),
        Command::Explain {
            spec,
            layer,
            at,
            limits,
        } => with_spec(&spec, &limits, reads, color, |loaded| {
            // Explain shows the interpreter's arithmetic, the definition of every value.
            let values = match crate::interp::run_observed(&loaded.model, &mut |_| {}) {
                Ok(values) => values,
                Err(stopped) => {
                    eprint!("{}", crate::limits::cancelled_message(stopped.0));
                    return 2;
                }
            };
            match crate::explain::explain(&loaded.model, &values, layer.as_deref(), at.as_deref()) {
                Ok(text) => {
                    print(&text);
                    0
                }
                Err(diagnostic) => {
                    eprint!("{}", diagnostic.render_plain());
                    2
                }
            }
        }),
        Command::Emit(args) => tools::emit(args, reads, color),
        Command::Bench(args) => tools::bench(args, reads, color),
        Command::Test {
            paths,
            backend: backend_arg,
            accept,
            tolerance,
            no_snapshots,
            jit,
            limits,
        } => {
            let snapshots = if no_snapshots {
                testing::Snapshots::Off
            } else {
                testing::Snapshots::On {
                    tolerance,
                    accept,
                    ci: testing::running_in_ci(),
                }
            };
            crate::limits::start(limits.timeout);
            test(
                paths,
                limits.apply(backend(backend_arg, &jit)),
                limits.max_memory,
                reads,
                snapshots,
            )
        }
    }
}

/// A value that one of convc's own parsers (sizes, tolerances, `--input`) rejected, with its
/// code: `error[E0514]: invalid value 'lots' for '--max-memory <MAX_MEMORY>': ...`. Other
/// usage errors are clap's, shown as clap shows them.
fn coded_usage_error(e: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue};
    use std::error::Error;
    let diagnostic = e.source()?.downcast_ref::<Diagnostic>()?;
    let context = |kind| match e.get(kind) {
        Some(ContextValue::String(s)) => Some(s.as_str()),
        _ => None,
    };
    let mut coded = diagnostic.clone();
    if let (Some(arg), Some(value)) = (
        context(ContextKind::InvalidArg),
        context(ContextKind::InvalidValue),
    ) {
        coded.message = format!(
            "invalid value '{value}' for '{arg}': {}",
            diagnostic.message
        );
    }
    Some(coded.render_plain())
}

fn with_spec(
    path: &std::path::Path,
    limits: &LimitArgs,
    allow_read: &[PathBuf],
    color: bool,
    then: impl FnOnce(&Loaded) -> i32,
) -> i32 {
    with_inputs(
        path,
        &InputArgs {
            overrides: Vec::new(),
        },
        limits,
        allow_read,
        color,
        then,
    )
}

/// Starts the clock of `--timeout` and the Ctrl-C handler, loads the spec and hands it to
/// `then`. A stop requested while loading is reported here; one during `then` by `then`.
fn with_inputs(
    path: &std::path::Path,
    inputs: &InputArgs,
    limits: &LimitArgs,
    allow_read: &[PathBuf],
    color: bool,
    then: impl FnOnce(&Loaded) -> i32,
) -> i32 {
    crate::limits::start(limits.timeout);
    let loaded = pipeline::load_with_inputs(
        path,
        limits.max_memory,
        color,
        &inputs.overrides,
        allow_read,
    );
    if let Some(reason) = crate::cancel::requested() {
        eprint!("{}", crate::limits::cancelled_message(reason));
        return 2;
    }
    match loaded {
        Ok(loaded) => then(&loaded),
        Err(e) => {
            eprint!("{}", e.message);
            2
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::DEFAULT_MAX_MEMORY;

    #[test]
    fn sizes() {
        assert_eq!(parse_bytes("4GiB"), Ok(4 << 30));
        assert_eq!(parse_bytes("512MiB"), Ok(512 << 20));
        assert_eq!(parse_bytes("1000"), Ok(1000));
        assert!(parse_bytes("lots").is_err());
        assert!(parse_bytes("99999999999TiB").is_err());
    }

    #[test]
    fn default_memory_limit_matches_the_checker() {
        assert_eq!(parse_bytes("4GiB"), Ok(DEFAULT_MAX_MEMORY));
    }
}
