//! The JIT's tool commands: `convc emit` (what the JIT generates) and `convc bench` (how fast
//! it runs). Their logic lives in `crate::emit` and `crate::bench`; this is the command line.

use super::commands::print;
use super::{with_spec, BackendArg, FoldArg, LimitArgs, SimdArgs};
use crate::bench;
use crate::diagnostic::{Code, Diagnostic};
use crate::emit::{self, What};
use crate::pipeline::Backend;
use crate::progress::Progress;
use clap::ValueEnum;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["clif", "asm", "loops"])))]
pub(super) struct EmitArgs {
    spec: PathBuf,
    /// Only this layer (default: every layer, in model order).
    #[arg(long)]
    layer: Option<String>,
    /// The Cranelift IR of each layer's function, as emitted (before optimisation).
    #[arg(long)]
    clif: bool,
    /// The machine code, disassembled (Intel syntax on x86-64; Cranelift's listing elsewhere).
    #[arg(long)]
    asm: bool,
    /// The loop nest: interior loops, border pieces, register blocks and tails.
    #[arg(long)]
    loops: bool,
    #[command(flatten)]
    simd: SimdArgs,
    #[command(flatten)]
    limits: LimitArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum BenchFormat {
    Text,
    Json,
}

#[derive(clap::Args, Debug)]
pub(super) struct BenchArgs {
    spec: PathBuf,
    #[arg(long, value_enum, default_value_t = BackendArg::Jit)]
    backend: BackendArg,
    /// Threads to run each layer on.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    #[arg(long, value_enum, default_value_t = BenchFormat::Text)]
    format: BenchFormat,
    /// Compile small filters' weights into the code as constants (the JIT), to measure what
    /// folding gains.
    #[arg(long, value_enum, default_value_t = FoldArg::Auto)]
    fold_weights: FoldArg,
    /// No progress bar.
    #[arg(short, long)]
    quiet: bool,
    #[command(flatten)]
    simd: SimdArgs,
    #[command(flatten)]
    limits: LimitArgs,
}

pub(super) fn emit(args: EmitArgs, allow_read: &[PathBuf], color: bool) -> i32 {
    let what = if args.clif {
        What::Clif
    } else if args.asm {
        What::Asm
    } else {
        What::Loops
    };
    with_spec(&args.spec, &args.limits, allow_read, color, |loaded| {
        let result = emit::select(&loaded.model, args.layer.as_deref()).and_then(|ids| {
            emit::emit(
                &loaded.model,
                &ids,
                what,
                args.limits.max_code_size,
                args.simd.simd(),
            )
        });
        match result {
            Ok(text) => {
                print(&text);
                0
            }
            Err(diagnostic) => {
                eprint!("{}", diagnostic.render_plain());
                2
            }
        }
    })
}

pub(super) fn bench(args: BenchArgs, allow_read: &[PathBuf], color: bool) -> i32 {
    if args.threads == 0 {
        let message = "--threads needs at least 1";
        eprint!(
            "{}",
            Diagnostic::error_unlocated(Code::BenchThreads, message).render_plain()
        );
        return 2;
    }
    let backend = match args.backend {
        BackendArg::Jit => args
            .limits
            .apply(Backend::Jit(crate::pipeline::JitSettings {
                threads: args.threads,
                fold_weights: args.fold_weights.into(),
                simd: args.simd.simd(),
                ..crate::pipeline::JitSettings::default()
            })),
        // The interpreter runs on one thread: timing one and labelling it N would mislead.
        BackendArg::Interp if args.threads != 1 => {
            let message = "the interpreter runs each layer on one thread; use --threads 1 with --backend interp";
            eprint!(
                "{}",
                Diagnostic::error_unlocated(Code::BenchThreads, message).render_plain()
            );
            return 2;
        }
        BackendArg::Interp => Backend::Interp,
    };
    with_spec(&args.spec, &args.limits, allow_read, color, |loaded| {
        let layers = loaded
            .model
            .values
            .iter()
            .filter(|v| matches!(v.kind, crate::ir::ValueKind::Layer(_)))
            .count();
        let progress = Progress::new(layers, "bench", args.quiet);
        let result = bench::bench(&loaded.model, backend, args.threads, &mut || {
            progress.step()
        });
        progress.finish();
        match result {
            Ok(result) => {
                match args.format {
                    BenchFormat::Json => print(&format!("{}\n", bench::to_json(&result))),
                    BenchFormat::Text => print(&bench::to_text(&result)),
                }
                0
            }
            Err(message) => {
                eprint!("{message}");
                2
            }
        }
    })
}
