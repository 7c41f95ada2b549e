//! One input channel, one filter, stride 1 innermost: vectors of four neighbouring output
//! pixels. Output pixels `w..w+4` are consecutive floats, and so are the input cells each tap
//! reads for them, so one unaligned vector load per tap feeds four outputs; the weights are
//! broadcast once per function and stay in registers.

use super::walk::Pixel;
use super::Emitter;
use crate::ir::Conv;
use crate::jit::activation::emit_inline;
use cranelift_codegen::ir::{types, InstBuilder, Value};

/// Taps beyond which the weights are broadcast at each use instead (x64 has 16 vector
/// registers; the block needs 4 accumulators and a loaded vector besides).
const MAX_HOISTED_TAPS: usize = 10;

/// The weight of each tap as an f32x4 broadcast, or empty if there are too many taps.
pub fn hoist_weights(e: &mut Emitter, conv: &Conv, weights: Value) -> Vec<Value> {
    if conv.kernel.len() > MAX_HOISTED_TAPS {
        return Vec::new();
    }
    (0..conv.kernel.len())
        .map(|t| {
            let w = e.load(types::F32, weights, t as i64);
            e.b.ins().splat(super::F32X4, w)
        })
        .collect()
}

/// Whether `pixels` are consecutive outputs reading consecutive cells with the same taps: an
/// interior block, which vectors can cover four at a time.
fn consecutive(pixels: &[Pixel]) -> bool {
    pixels.iter().enumerate().all(|(p, px)| {
        px.out_offset == pixels[0].out_offset + p as i64
            && px.taps.len() == pixels[0].taps.len()
            && px
                .taps
                .iter()
                .zip(&pixels[0].taps)
                .all(|(a, b)| a.0 == b.0 && a.1 == b.1 + p as i64)
    })
}

#[allow(clippy::too_many_arguments)]
pub fn block(
    e: &mut Emitter,
    conv: &Conv,
    hoisted: &[Value],
    bias: Option<Value>,
    input: Value,
    output: Value,
    pixels: &[Pixel],
    weights: Value,
) {
    let vectors = if consecutive(pixels) {
        pixels.len() / 4
    } else {
        0
    };
    let start = |e: &mut Emitter, lanes: usize| match bias {
        Some(b) if lanes == 4 => {
            let scalar = e.load(types::F32, b, 0);
            e.b.ins().splat(super::F32X4, scalar)
        }
        Some(b) => e.load(types::F32, b, 0),
        None => e.constant(lanes, 0.0),
    };
    // Vector part: accumulators for pixels 4v..4v+4, taps outermost so each weight is used
    // by all of them in turn.
    let mut acc: Vec<Value> = (0..vectors).map(|_| start(e, 4)).collect();
    if vectors > 0 {
        for (i, &(t, _)) in pixels[0].taps.iter().enumerate() {
            for (v, sum) in acc.iter_mut().enumerate() {
                let offset = pixels[4 * v].taps[i].1;
                let x = e.load(super::F32X4, input, offset);
                let w = match hoisted.get(t) {
                    Some(&w) => w,
                    None => {
                        let scalar = e.load(types::F32, weights, t as i64);
                        e.b.ins().splat(super::F32X4, scalar)
                    }
                };
                *sum = e.mul_add(x, w, *sum);
            }
        }
    }
    for (v, &sum) in acc.iter().enumerate() {
        let value = emit_inline(e, conv.activation, sum, 4);
        e.store(value, output, pixels[4 * v].out_offset);
    }
    // Scalar part: border pixels and the last few of a row.
    for pixel in &pixels[4 * vectors..] {
        let mut sum = start(e, 1);
        for &(t, offset) in &pixel.taps {
            let x = e.load(types::F32, input, offset);
            let w = e.load(types::F32, weights, t as i64);
            sum = e.mul_add(x, w, sum);
        }
        let value = emit_inline(e, conv.activation, sum, 1);
        e.store(value, output, pixel.out_offset);
    }
}
