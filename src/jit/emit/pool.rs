//! Max and average pooling, windowed and global, vectorised across channels.
//!
//! Padded cells never take part: the walk leaves them out of each border pixel's taps, so a
//! border pixel's average divides by its own (compile-time) count of real cells. A window of
//! padding only stores 0, as the interpreter does.

use super::walk::{Pixel, Walk};
use super::Emitter;
use crate::ir::{Pool, PoolKind};
use crate::jit::lower::Segment;
use cranelift_codegen::ir::{InstBuilder, Value};

/// `(count, lanes)` runs covering `channels`: f32x4 vectors, then scalars.
fn channel_runs(channels: usize) -> [(usize, usize); 2] {
    [(channels / 4, 4), (channels % 4, 1)]
}

/// Combines two values of a reduction.
fn combine(e: &mut Emitter, kind: PoolKind, acc: Value, x: Value) -> Value {
    match kind {
        PoolKind::Max => e.b.ins().fmax(acc, x),
        PoolKind::Average => e.b.ins().fadd(acc, x),
    }
}

/// The result of a reduction over `count` real cells.
fn finish(e: &mut Emitter, kind: PoolKind, acc: Value, count: usize, lanes: usize) -> Value {
    match kind {
        PoolKind::Max => acc,
        PoolKind::Average => {
            // Division, not a multiply by 1/n: a mean of integers rounds exactly as the
            // interpreter's.
            let n = e.constant(lanes, count as f32);
            e.b.ins().fdiv(acc, n)
        }
    }
}

#[allow(clippy::too_many_arguments)]
pub fn pool(
    e: &mut Emitter,
    pool: &Pool,
    segments: &[Vec<Segment>],
    batch: usize,
    channels: usize,
    input: Value,
    output: Value,
    units: (Value, Value),
) {
    let walk = Walk {
        axes: &pool.axes,
        segments,
        batch,
        in_channels: channels,
        out_channels: channels,
        pixels: 2,
        units,
    };
    walk.emit(e, input, output, &mut |e, i, o, pixels: &[Pixel]| {
        let x_var = e.pointer_var(i);
        let o_var = e.pointer_var(o);
        for (count, lanes) in channel_runs(channels) {
            let ty = Emitter::vector_type(lanes);
            e.counted_loop(
                count,
                &[(x_var, lanes as i64), (o_var, lanes as i64)],
                |e| {
                    let x = e.b.use_var(x_var);
                    let out = e.b.use_var(o_var);
                    for pixel in pixels {
                        let result = match pixel.taps.split_first() {
                            None => e.constant(lanes, 0.0),
                            Some((&(_, first), rest)) => {
                                let mut acc = e.load(ty, x, first);
                                for &(_, off) in rest {
                                    let v = e.load(ty, x, off);
                                    acc = combine(e, pool.kind, acc, v);
                                }
                                finish(e, pool.kind, acc, pixel.taps.len(), lanes)
                            }
                        };
                        e.store(result, out, pixel.out_offset);
                    }
                },
            );
        }
    });
}

/// Reduces all spatial cells of each batch item, channel vector by channel vector.
#[allow(clippy::too_many_arguments)]
pub fn global_pool(
    e: &mut Emitter,
    kind: PoolKind,
    batch: usize,
    cells: usize,
    channels: usize,
    input: Value,
    output: Value,
) {
    let in_var = e.pointer_var(input);
    let out_var = e.pointer_var(output);
    let item = (cells * channels) as i64;
    e.counted_loop(batch, &[(in_var, item), (out_var, channels as i64)], |e| {
        let item_in = e.b.use_var(in_var);
        let item_out = e.b.use_var(out_var);
        let x_var = e.pointer_var(item_in);
        let o_var = e.pointer_var(item_out);
        for (count, lanes) in channel_runs(channels) {
            let ty = Emitter::vector_type(lanes);
            e.counted_loop(
                count,
                &[(x_var, lanes as i64), (o_var, lanes as i64)],
                |e| {
                    let x = e.b.use_var(x_var);
                    let acc = e.b.declare_var(ty);
                    let first = e.load(ty, x, 0);
                    e.b.def_var(acc, first);
                    // The first cell seeded the reduction; the loop takes the rest.
                    let start = e.b.ins().iadd_imm_s(x, channels as i64 * 4);
                    let cell = e.pointer_var(start);
                    e.counted_loop(cells - 1, &[(cell, channels as i64)], |e| {
                        let p = e.b.use_var(cell);
                        let v = e.load(ty, p, 0);
                        let a = e.b.use_var(acc);
                        let next = combine(e, kind, a, v);
                        e.b.def_var(acc, next);
                    });
                    let a = e.b.use_var(acc);
                    let result = finish(e, kind, a, cells, lanes);
                    let out = e.b.use_var(o_var);
                    e.store(result, out, 0);
                },
            );
        }
    });
}
