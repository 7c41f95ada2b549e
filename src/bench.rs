//! `convc bench`: per layer, compile time, median run time and GFLOP/s, on either backend.
//!
//! Each layer is timed alone on buffers computed once beforehand (so a layer's inputs are the
//! real values it sees in a run): the JIT through [`jit::Compiled::call_layer`], which times the
//! generated code and nothing else; the interpreter through `interp::run_layer`.

use crate::interp;
use crate::ir::{Model, Op, Tensor, ValueKind};
use crate::jit;
use crate::pipeline::Backend;
use serde::Serialize;
use std::time::{Duration, Instant};

/// How long to spend timing one layer: long enough for a stable median, short enough that a
/// whole model benchmarks in seconds.
const BUDGET: Duration = Duration::from_millis(300);
/// Fewest samples behind a median, however slow the layer.
const MIN_SAMPLES: usize = 5;
const MAX_SAMPLES: usize = 1000;
/// A sample runs the layer enough times to last this long: timer overhead (tens of
/// nanoseconds) would otherwise swamp layers that take a few nanoseconds.
const MIN_SAMPLE: Duration = Duration::from_micros(100);

/// One layer's figures; the JSON form of `convc bench` (its keys are fixed).
#[derive(Debug, Clone, Serialize)]
pub struct LayerBench {
    pub name: String,
    pub op: String,
    pub compile_ms: f64,
    pub run_ms: f64,
    /// `2 x multiply-adds / run time`; 0 for layers without multiply-adds (pooling, ...).
    pub gflops: f64,
    #[serde(skip)]
    pub samples: usize,
}

/// A whole model's figures (`{"backend", "threads", "layers", "total_run_ms"}`).
#[derive(Debug, Clone, Serialize)]
pub struct ModelBench {
    pub backend: String,
    pub threads: usize,
    pub layers: Vec<LayerBench>,
    pub total_run_ms: f64,
}

/// Multiply-adds of one run of a layer: a convolution does `taps x channels per group` for
/// every output element (padded taps counted, as is the custom); other ops do none.
pub fn multiply_adds(model: &Model, id: usize) -> u64 {
    let value = &model.values[id];
    match &value.kind {
        ValueKind::Layer(layer) => match &layer.op {
            Op::Conv(conv) => {
                let outputs: usize = value.shape.iter().product();
                let taps: usize = conv.axes.iter().map(|a| a.kernel).product();
                (outputs as u64)
                    .saturating_mul(taps as u64)
                    .saturating_mul(conv.channels_per_group() as u64)
            }
            _ => 0,
        },
        ValueKind::Input(_) => 0,
    }
}

/// Benchmarks every layer of `model` on `threads` threads (the caller has checked that the
/// backend supports that many); `step` is called after each layer (progress).
pub fn bench(
    model: &Model,
    backend: Backend,
    threads: usize,
    step: &mut dyn FnMut(),
) -> Result<ModelBench, String> {
    let compiled = match backend {
        Backend::Jit(settings) => {
            let options = jit::Options {
                fold_weights: settings.fold_weights,
                max_code_size: settings.max_code_size,
                simd: settings.simd,
                ..jit::Options::default()
            };
            Some(jit::compile(model, &options).map_err(|e| e.diagnostic().render_plain())?)
        }
        Backend::Interp => None,
    };
    // Every value once, so each layer is timed on its real inputs.
    let stopped = |c: crate::cancel::Cancelled| crate::limits::cancelled_message(c.0);
    let values = match &compiled {
        Some(c) => c
            .run(model, threads)
            .map_err(|e| e.diagnostic().render_plain())?,
        None => interp::run_observed(model, &mut |_| {}).map_err(stopped)?,
    };
    crate::cancel::check().map_err(stopped)?;
    let mut layers = Vec::new();
    let mut k = 0;
    for (id, value) in model.values.iter().enumerate() {
        let ValueKind::Layer(layer) = &value.kind else {
            continue;
        };
        let inputs: Vec<&Tensor> = layer.inputs.iter().map(|&i| &values[i]).collect();
        let (compile, run, samples) = match &compiled {
            Some(c) => {
                let slices: Vec<&[f32]> = inputs.iter().map(|t| t.data.as_slice()).collect();
                let mut output = vec![0.0f32; value.shape.iter().product()];
                let mut failed = Ok(());
                let run = median_time(&mut || {
                    if let Err(e) = c.call_layer(model, k, &slices, &mut output, threads) {
                        failed = Err(e);
                    }
                });
                failed.map_err(|e| e.diagnostic().render_plain())?;
                (c.reports[k].compile_time, run.0, run.1)
            }
            None => {
                let run = median_time(&mut || {
                    let _ = std::hint::black_box(interp::run_layer(layer, &inputs, &value.shape));
                });
                (Duration::ZERO, run.0, run.1)
            }
        };
        let seconds = run.as_secs_f64();
        let flops = 2.0 * multiply_adds(model, id) as f64;
        layers.push(LayerBench {
            name: value.name.clone(),
            op: layer.op_name.clone(),
            compile_ms: compile.as_secs_f64() * 1e3,
            run_ms: seconds * 1e3,
            gflops: if seconds > 0.0 {
                flops / seconds / 1e9
            } else {
                0.0
            },
            samples,
        });
        // A stopped sample returned early: its time means nothing.
        crate::cancel::check().map_err(stopped)?;
        k += 1;
        step();
    }
    let total_run_ms = layers.iter().map(|l| l.run_ms).sum();
    Ok(ModelBench {
        backend: backend.name().into(),
        threads,
        layers,
        total_run_ms,
    })
}

/// The median time of one call of `f`, and the number of samples it is the median of. One
/// warm-up call first (page faults, caches); then samples of enough calls each to last
/// [`MIN_SAMPLE`], as many as fit in [`BUDGET`] within [`MIN_SAMPLES`]..[`MAX_SAMPLES`].
fn median_time(f: &mut dyn FnMut()) -> (Duration, usize) {
    let start = Instant::now();
    f();
    let first = start.elapsed().max(Duration::from_nanos(1));
    let calls = (MIN_SAMPLE.as_nanos() / first.as_nanos()).max(1) as u32;
    let per_sample = first * calls;
    let samples =
        ((BUDGET.as_nanos() / per_sample.as_nanos()) as usize).clamp(MIN_SAMPLES, MAX_SAMPLES);
    let mut times: Vec<Duration> = (0..samples)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..calls {
                f();
            }
            start.elapsed() / calls
        })
        .collect();
    times.sort();
    (times[times.len() / 2], samples)
}

/// `convc bench`'s JSON: the fixed keys, figures rounded to what a timer can tell.
pub fn to_json(result: &ModelBench) -> String {
    let mut rounded = result.clone();
    for layer in &mut rounded.layers {
        layer.compile_ms = round(layer.compile_ms, 6);
        layer.run_ms = round(layer.run_ms, 6);
        layer.gflops = round(layer.gflops, 3);
    }
    rounded.total_run_ms = round(rounded.total_run_ms, 6);
    serde_json::to_string(&rounded).unwrap_or_default()
}

fn round(x: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (x * scale).round() / scale
}

/// `convc bench`'s text: an aligned table and a total.
pub fn to_text(result: &ModelBench) -> String {
    let headers = ["layer", "op", "compile ms", "run ms", "GFLOP/s", "samples"];
    let rows: Vec<[String; 6]> = result
        .layers
        .iter()
        .map(|l| {
            [
                l.name.clone(),
                l.op.clone(),
                format!("{:.3}", l.compile_ms),
                format!("{:.4}", l.run_ms),
                if l.gflops > 0.0 {
                    format!("{:.2}", l.gflops)
                } else {
                    "-".into()
                },
                l.samples.to_string(),
            ]
        })
        .collect();
    let mut widths = headers.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| -> String {
        let mut out = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            // Names left-aligned, figures right-aligned.
            if i < 2 {
                out.push_str(&format!("{cell:<w$}  "));
            } else {
                out.push_str(&format!("{cell:>w$}  "));
            }
        }
        format!("{}\n", out.trim_end())
    };
    let mut out = line(&headers.map(String::from));
    for row in &rows {
        out.push_str(&line(row));
    }
    let threads = if result.threads == 1 {
        "1 thread".to_string()
    } else {
        format!("{} threads", result.threads)
    };
    out.push_str(&format!(
        "total run time {:.4} ms (backend {}, {threads}; median of each layer timed alone)\n",
        result.total_run_ms, result.backend
    ));
    out
}
