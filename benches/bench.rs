//! `cargo bench`: every spec in `specs/bench/` through `convc bench`'s measurement, on the
//! JIT (one thread) and on the interpreter (small workloads only: it needs seconds per run on
//! the big ones), printed as one table with GFLOP/s and the JIT/interpreter ratio.
//!
//! `cargo bench -- NAME...` runs only the named workloads; `CONVC_BENCH_INTERP_MAX_MACS`
//! changes the interpreter's cap (multiply-adds per model; default 150 million: about 1 s per run).

use convc::bench::{bench, multiply_adds, ModelBench};
use convc::check::DEFAULT_MAX_MEMORY;
use convc::jit::FoldWeights;
use convc::pipeline::{self, Backend, JitSettings};
use std::path::Path;

const DEFAULT_INTERP_MAX_MACS: u64 = 150_000_000;

/// `26.31 ms`, `48.2 us`: four significant figures whatever the size.
fn time(ms: f64) -> String {
    if ms >= 1.0 {
        format!("{ms:.2} ms")
    } else if ms >= 1e-3 {
        format!("{:.1} us", ms * 1e3)
    } else {
        format!("{:.1} ns", ms * 1e6)
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this binary without it,
    // and must not spend a minute benchmarking.
    if !std::env::args().any(|a| a == "--bench") {
        println!("specs/bench: run `cargo bench` to measure");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/bench");
    let wanted: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let cap = std::env::var("CONVC_BENCH_INTERP_MAX_MACS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_INTERP_MAX_MACS);
    let mut paths: Vec<_> = match std::fs::read_dir(&root) {
        Ok(dir) => dir.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(e) => {
            eprintln!("cannot read {}: {e}", root.display());
            std::process::exit(2);
        }
    };
    paths.sort();
    println!(
        "| workload | MACs | compile | jit, 1 thread | jit GFLOP/s | interp | interp GFLOP/s | jit/interp |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for path in paths {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !wanted.is_empty() && !wanted.contains(&name) {
            continue;
        }
        let loaded = match pipeline::load(&path, DEFAULT_MAX_MEMORY, false) {
            Ok(loaded) => loaded,
            Err(e) => {
                eprintln!("{}", e.message);
                std::process::exit(2);
            }
        };
        let model = &loaded.model;
        let macs: u64 = (0..model.values.len())
            .map(|i| multiply_adds(model, i))
            .sum();
        let run = |backend| match bench(model, backend, 1, &mut || {}) {
            Ok(result) => result,
            Err(e) => {
                eprintln!("{name}: {e}");
                std::process::exit(2);
            }
        };
        let jit = run(Backend::Jit(JitSettings {
            threads: 1,
            fold_weights: FoldWeights::Auto,
            simd: convc::jit::Simd::Auto,
        }));
        let interp = (macs <= cap).then(|| run(Backend::Interp));
        let gflops = |b: &ModelBench| 2.0 * macs as f64 / (b.total_run_ms * 1e-3) / 1e9;
        let compile: f64 = jit.layers.iter().map(|l| l.compile_ms).sum();
        let (interp_ms, interp_gflops, ratio) = match &interp {
            Some(i) => (
                time(i.total_run_ms),
                format!("{:.3}", gflops(i)),
                format!("{:.0}x", i.total_run_ms / jit.total_run_ms),
            ),
            None => ("(skipped)".into(), "".into(), "".into()),
        };
        println!(
            "| {name} | {macs} | {} | {} | {:.1} | {interp_ms} | {interp_gflops} | {ratio} |",
            time(compile),
            time(jit.total_run_ms),
            gflops(&jit)
        );
    }
}
