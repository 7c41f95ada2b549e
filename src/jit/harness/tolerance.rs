//! How far the JIT may be from the interpreter, per output value.
//!
//! The interpreter sums exactly (in f64) and rounds once. The JIT sums `n` terms in f32; with
//! or without fused multiply-add, each step rounds once, so its error is at most
//! `n * u * sum|term|` with `u = 2^-24` (Higham, *Accuracy and Stability of Numerical
//! Algorithms*, 2nd ed., §3.1). We allow `c = depth + 1` times `eps_f32 = 2^-23` times
//! `sum over the window of |w*x| + |bias|`: twice that bound, plus the interpreter's own final
//! rounding. The magnitudes come from the interpreter itself, run on a copy of the model with
//! every weight, bias and input replaced by its absolute value.
//!
//! An activation then moves the error by at most its slope near the sum: we evaluate it (with
//! the interpreter's own formulas) at both ends of the allowed interval, and add 4 ulp for
//! the activation's own f32 rounding where the JIT rounds differently (leaky_relu's 0.2 in
//! f32). Softmax's slope is bounded by `2 * s_i * max_j |dx_j|`. Integer-valued data with
//! linear, relu or relu6 must agree exactly while its sums stay below 2^24: they are then
//! exact in f32.

use crate::interp;
use crate::ir::{Activation, MergeKind, Model, Op, PoolKind, ValueKind};

const EPS_F32: f64 = f32::EPSILON as f64;
/// 2^-149, the spacing of f32 values below `f32::MIN_POSITIVE`.
const SMALLEST_SUBNORMAL: f64 = 1.401298464324817e-45;

/// The allowed difference for every value of the model's last layer.
pub fn tolerances(model: &Model) -> Vec<f64> {
    let last = model.values.len() - 1;
    let ValueKind::Layer(layer) = &model.values[last].kind else {
        return Vec::new();
    };
    let depth = match &layer.op {
        Op::Conv(c) => {
            let taps: usize = c.axes.iter().map(|a| a.kernel).product();
            taps * c.channels_per_group() + 1
        }
        Op::Pool(p) if p.kind == PoolKind::Average => {
            p.axes.iter().map(|a| a.kernel).product::<usize>() + 1
        }
        Op::GlobalPool(g) if g.kind == PoolKind::Average => {
            let shape = &model.values[layer.inputs[0]].shape;
            shape[1..shape.len() - 1].iter().product::<usize>() + 1
        }
        Op::Merge(MergeKind::Add | MergeKind::Average | MergeKind::Multiply) => layer.inputs.len(),
        _ => 0,
    };
    let magnitude = &interp::run(&absolute(model))[last].data;
    let integers = all_integers(model);
    let pre_tol: Vec<f64> = magnitude
        .iter()
        .map(|&m| {
            // Integers sum exactly in f32 only while every partial sum stays below 2^24
            // (`m` bounds them all); a large float is an integer too, but not exact.
            if (integers && f64::from(m) < f64::from(1u32 << 24)) || depth == 0 {
                0.0
            } else {
                // Higham's bound assumes no underflow: in the subnormal range each rounding
                // errs by up to half the smallest subnormal, absolutely, so add that per step.
                (depth + 1) as f64 * (EPS_F32 * f64::from(m) + SMALLEST_SUBNORMAL)
            }
        })
        .collect();
    let act = match &layer.op {
        Op::Conv(c) => c.activation,
        Op::Activation(a) => *a,
        _ => return pre_tol,
    };
    let channels = model.values[last].shape.last().copied().unwrap_or(1);
    let pre = &interp::run(&linear(model))[last].data;
    let exact = &interp::run(model)[last].data;
    let slack = |y: f32| -> f64 {
        match act {
            Activation::Linear | Activation::Relu | Activation::Relu6 => 0.0,
            _ => 4.0 * ulp(y),
        }
    };
    if act == Activation::Softmax {
        let mut out = Vec::with_capacity(pre_tol.len());
        for (position, tols) in pre_tol.chunks(channels).enumerate() {
            let max_tol = tols.iter().copied().fold(0.0, f64::max);
            for c in 0..tols.len() {
                let y = exact[position * channels + c];
                out.push(2.0 * f64::from(y.abs()) * max_tol + slack(y));
            }
        }
        return out;
    }
    let at = |offset: f64| -> Vec<f32> {
        let mut shifted: Vec<f32> = pre
            .iter()
            .zip(&pre_tol)
            .map(|(&p, &t)| (f64::from(p) + offset * t) as f32)
            .collect();
        interp::activate(act, &mut shifted, channels);
        shifted
    };
    let (low, high) = (at(-1.0), at(1.0));
    exact
        .iter()
        .enumerate()
        .map(|(i, &y)| {
            let spread = (f64::from(low[i]) - f64::from(y))
                .abs()
                .max((f64::from(high[i]) - f64::from(y)).abs());
            if spread.is_nan() {
                0.0
            } else {
                spread + slack(y)
            }
        })
        .collect()
}

/// One unit in the last place of `y` as an f32.
fn ulp(y: f32) -> f64 {
    let y = y.abs();
    if !y.is_finite() {
        return 0.0;
    }
    f64::from(f32::from_bits(y.to_bits() + 1) - y)
}

fn all_integers(model: &Model) -> bool {
    model.values.iter().all(|v| match &v.kind {
        ValueKind::Input(t) => t.data.iter().all(|x| x.fract() == 0.0),
        ValueKind::Layer(l) => match &l.op {
            Op::Conv(c) => {
                matches!(
                    c.activation,
                    Activation::Linear | Activation::Relu | Activation::Relu6
                ) && c.kernel.iter().all(|x| x.fract() == 0.0)
                    && c.bias.iter().flatten().all(|x| x.fract() == 0.0)
            }
            Op::Activation(a) => {
                matches!(a, Activation::Linear | Activation::Relu | Activation::Relu6)
            }
            _ => true,
        },
    })
}

/// The model with activations made linear (the sums before the activation).
fn linear(model: &Model) -> Model {
    let mut m = model.clone();
    for v in &mut m.values {
        if let ValueKind::Layer(l) = &mut v.kind {
            match &mut l.op {
                Op::Conv(c) => c.activation = Activation::Linear,
                Op::Activation(a) => *a = Activation::Linear,
                _ => {}
            }
        }
    }
    m
}

/// The model of magnitudes: |inputs|, |weights|, |bias|, linear, sums instead of differences.
fn absolute(model: &Model) -> Model {
    let mut m = linear(model);
    for v in &mut m.values {
        match &mut v.kind {
            ValueKind::Input(t) => t.data.iter_mut().for_each(|x| *x = x.abs()),
            ValueKind::Layer(l) => match &mut l.op {
                Op::Conv(c) => {
                    c.kernel.iter_mut().for_each(|x| *x = x.abs());
                    c.bias.iter_mut().flatten().for_each(|x| *x = x.abs());
                }
                Op::Merge(k @ MergeKind::Subtract) => *k = MergeKind::Add,
                _ => {}
            },
        }
    }
    m
}
