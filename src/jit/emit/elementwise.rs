//! Elementwise layers (activations, merges) and concatenation: flat loops over f32x4 vectors
//! with a scalar tail.

use super::Emitter;
use crate::ir::{Activation, MergeKind};
use crate::jit::activation::emit_inline;
use cranelift_codegen::ir::{InstBuilder, Value};

/// Vectors per loop iteration of a flat map: enough to hide the loop overhead.
const UNROLL: usize = 4;

/// Emits `output[i] = f(inputs[0][i], ..)` for `i < len`: unrolled vector blocks, single
/// vectors, then scalars, each with its own code.
pub fn map_flat(
    e: &mut Emitter,
    len: usize,
    inputs: &[Value],
    output: Value,
    f: &dyn Fn(&mut Emitter, &[Value], usize) -> Value,
) {
    let vars: Vec<_> = inputs.iter().map(|&v| e.pointer_var(v)).collect();
    let out_var = e.pointer_var(output);
    let mut done = 0;
    for (chunk, lanes, per_iteration) in [(4 * UNROLL, 4, UNROLL), (4, 4, 1), (1, 1, 1)] {
        let count = (len - done) / chunk;
        done += count * chunk;
        let mut steps: Vec<_> = vars.iter().map(|&v| (v, chunk as i64)).collect();
        steps.push((out_var, chunk as i64));
        let ty = Emitter::vector_type(lanes);
        e.counted_loop(count, &steps, |e| {
            let ins: Vec<Value> = vars.iter().map(|&v| e.b.use_var(v)).collect();
            let out = e.b.use_var(out_var);
            for k in 0..per_iteration {
                let offset = (k * lanes) as i64;
                let values: Vec<Value> = ins.iter().map(|&p| e.load(ty, p, offset)).collect();
                let result = f(e, &values, lanes);
                e.store(result, out, offset);
            }
        });
    }
}

/// A merge of equally shaped inputs. Sums and products run left to right in f32; the
/// interpreter rounds an f64 result once, so the two differ by f32 rounding for three or more
/// inputs (for two they agree exactly: one f32 operation is correctly rounded).
pub fn merge(e: &mut Emitter, kind: MergeKind, len: usize, inputs: &[Value], output: Value) {
    let count = inputs.len();
    map_flat(e, len, inputs, output, &|e, values, lanes| {
        let mut acc = values[0];
        for &v in &values[1..] {
            acc = match kind {
                MergeKind::Add | MergeKind::Average => e.b.ins().fadd(acc, v),
                MergeKind::Subtract => e.b.ins().fsub(acc, v),
                MergeKind::Multiply => e.b.ins().fmul(acc, v),
                MergeKind::Maximum => e.b.ins().fmax(acc, v),
                MergeKind::Minimum => e.b.ins().fmin(acc, v),
            };
        }
        if kind == MergeKind::Average {
            // A division, not a multiply by 1/n: exact quotients stay exact.
            let n = e.constant(lanes, count as f32);
            acc = e.b.ins().fdiv(acc, n);
        }
        acc
    });
}

/// The `activation` layer's inline part (the helper call, if any, follows the loop).
pub fn activation(e: &mut Emitter, act: Activation, len: usize, input: Value, output: Value) {
    map_flat(e, len, &[input], output, &|e, values, lanes| {
        emit_inline(e, act, values[0], lanes)
    });
}

/// Concatenation on the channel axis: for every position, each input's channels in turn.
pub fn concatenate(
    e: &mut Emitter,
    positions: usize,
    channels: &[usize],
    inputs: &[Value],
    output: Value,
) {
    let out_channels: usize = channels.iter().sum();
    let vars: Vec<_> = inputs.iter().map(|&v| e.pointer_var(v)).collect();
    let out_var = e.pointer_var(output);
    let mut steps: Vec<_> = vars
        .iter()
        .zip(channels)
        .map(|(&v, &c)| (v, c as i64))
        .collect();
    steps.push((out_var, out_channels as i64));
    e.counted_loop(positions, &steps, |e| {
        let out = e.b.use_var(out_var);
        let mut out_offset = 0i64;
        for (&var, &c) in vars.iter().zip(channels) {
            let input = e.b.use_var(var);
            let mut k = 0;
            while k < c {
                let lanes = if c - k >= 4 { 4 } else { 1 };
                let ty = Emitter::vector_type(lanes);
                let v = e.load(ty, input, k as i64);
                e.store(v, out, out_offset + k as i64);
                k += lanes;
            }
            out_offset += c as i64;
        }
    });
}
