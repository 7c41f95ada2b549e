//! A quick benchmark of the workloads issue 3 sets floors for. Run it optimised:
//! `cargo test --release --lib jit::tests::bench -- --ignored --nocapture`.
//! Each figure is the median of many runs of the layer's function alone (buffers allocated
//! once), on one thread; the machine is shared and noisy, so medians, not means.

use super::models::Rng;
use crate::geometry::{resolve_axis, AxisPadding};
use crate::ir::{Activation, Conv, Layer, Model, Op, PaddingMode, Tensor, Value, ValueKind};
use crate::jit::{compile, FoldWeights, Options};
use std::time::{Duration, Instant};

/// A one-layer conv2d model: `(h, w, c) -> filters`, square kernel `k`, `groups`.
fn conv2d(
    h: usize,
    w: usize,
    c: usize,
    filters: usize,
    k: usize,
    groups: usize,
    padding: AxisPadding,
) -> Model {
    conv2d_batch(1, h, w, c, filters, k, groups, padding, None)
}

/// [`conv2d`] with a batch and, optionally, fixed weights (`[tap][in][filter]`, no bias).
#[allow(clippy::too_many_arguments)]
fn conv2d_batch(
    batch: usize,
    h: usize,
    w: usize,
    c: usize,
    filters: usize,
    k: usize,
    groups: usize,
    padding: AxisPadding,
    fixed: Option<Vec<f32>>,
) -> Model {
    let mut rng = Rng::new(7);
    let axes = vec![
        resolve_axis(h, k, 1, 1, padding).unwrap(),
        resolve_axis(w, k, 1, 1, padding).unwrap(),
    ];
    let out_shape = vec![batch, axes[0].out_len, axes[1].out_len, filters];
    let bias = if fixed.is_some() {
        None
    } else {
        Some(rng.values(filters, false))
    };
    let kernel = fixed.unwrap_or_else(|| rng.values(k * k * (c / groups) * filters, false));
    let conv = Conv {
        axes,
        in_channels: c,
        filters,
        groups,
        kernel,
        bias,
        activation: Activation::Linear,
        padding_mode: PaddingMode::Zeros,
        depth_multiplier: None,
        filter_names: vec![None; filters],
    };
    let x = Tensor {
        shape: vec![batch, h, w, c],
        data: rng.values(batch * h * w * c, false),
    };
    Model {
        values: vec![
            Value {
                name: "x".into(),
                shape: x.shape.clone(),
                kind: ValueKind::Input(x),
            },
            Value {
                name: "conv".into(),
                shape: out_shape,
                kind: ValueKind::Layer(Layer {
                    op_name: "conv2d".into(),
                    inputs: vec![0],
                    op: Op::Conv(conv),
                }),
            },
        ],
        outputs: vec![1],
        expects: vec![],
    }
}

/// This thread's CPU time (Linux `schedstat`): on a shared, oversubscribed machine the wall
/// clock also counts the time other processes held the core.
fn cpu_time() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// Median run time and median compile time of a model's one layer.
fn measure(
    model: &Model,
    threads: usize,
    fold_weights: FoldWeights,
) -> (Duration, Duration, Duration, String) {
    let options = Options {
        verify: false,
        disassemble: std::env::var_os("CONVC_JIT_ASM").is_some(),
        fold_weights,
        ..Options::default()
    };
    let compiles: Vec<Duration> = (0..21)
        .map(|_| compile(model, &options).unwrap().reports[0].compile_time)
        .collect();
    let compiled = compile(model, &options).unwrap();
    let ValueKind::Input(x) = &model.values[0].kind else {
        unreachable!()
    };
    let mut out = vec![0.0f32; model.values[1].shape.iter().product()];
    // Warm up, then time enough runs for about a second.
    let once = Instant::now();
    compiled
        .call_layer(model, 0, &[&x.data], &mut out, threads)
        .unwrap();
    let runs = (1.0 / once.elapsed().as_secs_f64()).clamp(11.0, 2000.0) as usize;
    let times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            compiled
                .call_layer(model, 0, &[&x.data], &mut out, threads)
                .unwrap();
            t.elapsed()
        })
        .collect();
    // The same again, by CPU time over all runs (the kernel's clock is coarse per call).
    let cpu_start = cpu_time();
    for _ in 0..runs {
        compiled
            .call_layer(model, 0, &[&x.data], &mut out, threads)
            .unwrap();
    }
    let cpu_mean = match (cpu_start, cpu_time()) {
        (Some(a), Some(b)) => (b - a) / runs as u32,
        _ => Duration::ZERO,
    };
    if let Some(asm) = &compiled.reports[0].disassembly {
        let name = format!("/tmp/convc_jit_{}.s", model.values[1].shape[3]);
        std::fs::write(&name, asm).unwrap();
    }
    (
        median(times),
        cpu_mean,
        median(compiles),
        compiled.reports[0].kernel.clone(),
    )
}

fn report(name: &str, model: &Model, macs: f64, threads: usize, fold: FoldWeights) {
    let (run, cpu, compile, kernel) = measure(model, threads, fold);
    let name = format!("{name} t{threads} {fold:?}");
    let gflops = |t: Duration| 2.0 * macs / t.as_secs_f64() / 1e9;
    println!(
        "{name:<28} wall median {:7.3} ms {:6.1} GFLOP/s | cpu mean {:7.3} ms {:6.1} GFLOP/s \
         | compile {:6.3} ms  ({kernel})",
        run.as_secs_f64() * 1e3,
        gflops(run),
        cpu.as_secs_f64() * 1e3,
        gflops(cpu),
        compile.as_secs_f64() * 1e3
    );
}

#[test]
#[ignore = "a benchmark: run with --release -- --ignored --nocapture"]
fn bench() {
    use FoldWeights::{Auto, Never};
    let sobel_x = [-1., 0., 1., -2., 0., 2., -1., 0., 1.];
    let sobel_y = [-1., -2., -1., 0., 0., 0., 1., 2., 1.];
    let sobel: Vec<f32> = (0..9).flat_map(|t| [sobel_x[t], sobel_y[t]]).collect();
    let vertical = vec![0., 1., 0., 0., 1., 0., 0., 1., 0.];
    let valid = AxisPadding::Valid;
    let same = AxisPadding::Same;
    let workloads: Vec<(&str, Model, f64)> = vec![
        (
            "resnet_3x3",
            conv2d(56, 56, 64, 64, 3, 1, same),
            56. * 56. * 64. * 64. * 9.,
        ),
        (
            "resnet_3x3_deep",
            conv2d_batch(8, 28, 28, 128, 128, 3, 1, same, None),
            8. * 28. * 28. * 128. * 128. * 9.,
        ),
        (
            "image_3x3",
            conv2d_batch(1, 2048, 2048, 1, 1, 3, 1, valid, Some(vertical)),
            2046. * 2046. * 9.,
        ),
        (
            "image_sobel",
            conv2d_batch(1, 2048, 2048, 1, 2, 3, 1, valid, Some(sobel)),
            2046. * 2046. * 18.,
        ),
        (
            "rgb_first_layer",
            conv2d(512, 512, 3, 32, 3, 1, same),
            512. * 512. * 3. * 32. * 9.,
        ),
        (
            "depthwise",
            conv2d(112, 112, 32, 32, 3, 32, same),
            112. * 112. * 32. * 9.,
        ),
    ];
    let only = std::env::var("CONVC_BENCH_ONLY").ok();
    for (name, model, macs) in &workloads {
        if only.as_deref().is_some_and(|o| !name.contains(o)) {
            continue;
        }
        for threads in [1, 2] {
            report(name, model, *macs, threads, Auto);
        }
        if name.starts_with("image") {
            report(name, model, *macs, 1, Never);
        }
    }
}
