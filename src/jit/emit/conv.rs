//! Convolution kernels: register-blocked multiply-adds over a block of output pixels.
//!
//! Dense and grouped layers ([`ConvFamily::Broadcast`]) keep `pixels x vectors` accumulators
//! in registers, reduce over the group's input channels in a runtime loop with the taps
//! unrolled inside it, and multiply each input value (broadcast to a vector) by a vector of
//! weights for neighbouring output channels. Weights are repacked at compile time so that a
//! block streams them in order: `[group][block][tap][in_channel][block_width]`.
//!
//! Depthwise layers with multiplier 1 ([`ConvFamily::Channelwise`]) run vectors across
//! channels instead: lane `c` reads input channel `c` and its own weight, and the Keras
//! kernel `(k..., 1, C)` is already in the order they stream.

use super::taps;
use super::walk::{Pixel, Walk};
use super::Emitter;
use crate::ir::{Activation, Conv};
use crate::jit::activation::emit_inline;
use crate::jit::lower::{BlockRun, ConvFamily, LoopNest};
use cranelift_codegen::ir::{types, InstBuilder, Value};

/// The weights in the order the kernel streams them.
pub fn pack_weights(conv: &Conv, nest: &LoopNest) -> Vec<f32> {
    if nest.family != ConvFamily::Broadcast {
        return conv.kernel.clone();
    }
    let taps: usize = conv.axes.iter().map(|a| a.kernel).product();
    let cpg = conv.channels_per_group();
    let fpg = conv.filters_per_group();
    let mut packed = Vec::with_capacity(conv.kernel.len());
    for g in 0..conv.groups {
        let mut first = g * fpg;
        for run in &nest.runs {
            for _ in 0..run.count {
                for t in 0..taps {
                    for ci in 0..cpg {
                        let row = (t * cpg + ci) * conv.filters;
                        packed.extend_from_slice(
                            &conv.kernel[row + first..row + first + run.width()],
                        );
                    }
                }
                first += run.width();
            }
        }
    }
    packed
}

/// Multiply-adds a full block may unroll (taps x pixels x vectors) before its outer kernel
/// axes become loops: 3x3 over 5 pixels x 2 vectors (90) stays straight-line, a 7x7 window
/// loops over its rows. Compile time is linear in instructions (three per multiply-add).
const MAX_UNROLLED_FMAS: usize = 100;

/// What the reduction of one block works on.
struct Reduce<'a> {
    run: &'a BlockRun,
    acc: &'a [cranelift_frontend::Variable],
    cpg: usize,
    /// A border piece: some pixel reads padding.
    partial: bool,
}

/// Everything the conv kernel reads besides the pointers of the block.
pub struct ConvKernel<'c, 'm> {
    pub conv: &'c Conv,
    pub nest: &'c LoopNest,
    pub weights: Value,
    pub bias: Option<Value>,
    /// The thread's units of work (see [`Walk::units`]).
    pub units: (Value, Value),
    /// The input holds no infinity or NaN (it is model data, checked): only then may a folded
    /// zero tap emit nothing, since `0 * inf` is NaN.
    pub finite_input: bool,
    /// Where blocks of 16-lane runs go (`jit::avx512`).
    pub wide: &'c crate::jit::avx512::Kernels<'m>,
}

impl ConvKernel<'_, '_> {
    pub fn emit(&self, e: &mut Emitter, input: Value, output: Value) {
        let walk = Walk {
            axes: &self.conv.axes,
            segments: &self.nest.segments,
            batch: self.nest.batch,
            in_channels: self.conv.in_channels,
            out_channels: self.conv.filters,
            pixels: self.nest.pixels,
            units: self.units,
        };
        match self.nest.family {
            ConvFamily::Broadcast => self.broadcast(e, &walk, input, output),
            ConvFamily::Channelwise => {
                walk.emit(e, input, output, &mut |e, i, o, pixels| {
                    self.channelwise(e, i, o, pixels)
                });
            }
            ConvFamily::PixelVector => {
                let kernel = super::conv_pixels::PixelKernel::new(
                    e,
                    self.conv,
                    self.nest.folded,
                    self.finite_input,
                    self.weights,
                    self.bias,
                );
                walk.emit(e, input, output, &mut |e, i, o, pixels| {
                    kernel.block(e, i, o, pixels)
                });
            }
        }
    }

    /// Filter blocks outermost, the whole spatial walk inside: one block's packed weights
    /// (taps x channels x 8 floats, 18 KiB for a 3x3x64 layer) then stay in L1 while every
    /// output pixel streams past them. Pointer variables `(weights, output, bias)` follow the
    /// runs of blocks, which lie one after the other in memory.
    fn broadcast(&self, e: &mut Emitter, walk: &Walk, input: Value, output: Value) {
        let conv = self.conv;
        let taps: usize = conv.axes.iter().map(|a| a.kernel).product();
        let cpg = conv.channels_per_group();
        let fpg = conv.filters_per_group();
        let group_weights = (taps * cpg * fpg) as i64;
        let x_var = e.pointer_var(input);
        let w_var = e.pointer_var(self.weights);
        let o_var = e.pointer_var(output);
        let bias_var = self.bias.map(|b| e.pointer_var(b));
        let mut group_steps = vec![
            (x_var, cpg as i64),
            (w_var, group_weights),
            (o_var, fpg as i64),
        ];
        group_steps.extend(bias_var.map(|v| (v, fpg as i64)));
        e.counted_loop(conv.groups, &group_steps, |e| {
            let x = e.b.use_var(x_var);
            let w = e.b.use_var(w_var);
            let o = e.b.use_var(o_var);
            let bias = bias_var.map(|v| e.b.use_var(v));
            let wr = e.pointer_var(w);
            let or = e.pointer_var(o);
            let br = bias.map(|b| e.pointer_var(b));
            for run in &self.nest.runs {
                let width = run.width() as i64;
                let mut steps = vec![(wr, taps as i64 * cpg as i64 * width), (or, width)];
                steps.extend(br.map(|v| (v, width)));
                e.counted_loop(run.count, &steps, |e| {
                    let w = e.b.use_var(wr);
                    let o = e.b.use_var(or);
                    let bias = br.map(|v| e.b.use_var(v));
                    walk.emit_merged(e, x, o, &mut |e, i, o, pixels, shift| {
                        // Merged border pieces read the weights of taps `shift` further on.
                        let w = match shift {
                            Some(s) => {
                                let bytes = e.b.ins().imul_imm_s(s, (cpg * run.width() * 4) as i64);
                                e.b.ins().iadd(w, bytes)
                            }
                            None => w,
                        };
                        self.broadcast_block(e, run, i, w, o, bias, pixels, cpg)
                    });
                });
            }
        });
    }

    /// One block: `pixels x run.vectors` accumulators, reduced over `cpg` input channels.
    #[allow(clippy::too_many_arguments)]
    fn broadcast_block(
        &self,
        e: &mut Emitter,
        run: &BlockRun,
        input: Value,
        weights: Value,
        output: Value,
        bias: Option<Value>,
        pixels: &[Pixel],
        cpg: usize,
    ) {
        if run.lanes == crate::jit::avx512::LANES {
            // `weights` already carries a merged border piece's tap shift (see `emit`): the
            // assembled kernel reads tap `t` at `t * cpg * width` floats from it, the layout
            // the f32x4 code reads, so the same offset selects the same weights.
            let (conv, wide) = (self.conv, self.wide);
            return wide.block(e, conv, run, input, weights, output, bias, pixels);
        }
        let width = run.width() as i64;
        let acc = self.init_accumulators(e, run, bias, pixels.len());
        let taps: usize = self.conv.axes.iter().map(|a| a.kernel).product();
        let block_taps = taps::block_taps(pixels);
        // Pixels missing taps (padding) are border pieces, which cover few outputs: there
        // every kernel axis with repeating taps becomes a loop, to keep the code small (and
        // Cranelift's compile time with it).
        let partial = pixels.iter().any(|p| p.taps.len() < taps);
        let reduce = Reduce {
            run,
            acc: &acc,
            cpg,
            partial,
        };
        if partial {
            // Border pieces loop over input channels innermost (see `reduce`).
            self.reduce(e, &reduce, input, weights, &block_taps, 0);
        } else {
            let x_var = e.pointer_var(input);
            let w_var = e.pointer_var(weights);
            e.counted_loop(cpg, &[(x_var, 1), (w_var, width)], |e| {
                let x = e.b.use_var(x_var);
                let w = e.b.use_var(w_var);
                self.reduce(e, &reduce, x, w, &block_taps, 0);
            });
        }
        self.store(e, run, output, pixels, &acc);
    }

    /// Multiply-adds of `taps` (from kernel axis `axis` inward) into the accumulators. An
    /// axis becomes a loop over its runs of shifted taps ([`taps::runs`]) in border pieces
    /// (`partial`), and in full blocks where unrolling the rest would exceed
    /// [`MAX_UNROLLED_FMAS`] (the innermost axis of a full block always stays unrolled: that
    /// is the hot loop body).
    fn reduce(
        &self,
        e: &mut Emitter,
        r: &Reduce,
        x: Value,
        w: Value,
        taps: &[taps::Tap],
        axis: usize,
    ) {
        let axes = &self.conv.axes;
        let innermost = axis + 1 == axes.len();
        let fmas: usize = taps
            .iter()
            .map(|t| t.offsets.iter().flatten().count() * r.run.vectors)
            .sum();
        let loop_here =
            axis < axes.len() && (r.partial || (!innermost && fmas > MAX_UNROLLED_FMAS));
        if !loop_here {
            self.leaf(e, r, x, w, taps);
            return;
        }
        let flat_step: usize = axes[axis + 1..].iter().map(|a| a.kernel).product();
        let width = r.run.width() as i64;
        for tap_run in taps::runs(taps, flat_step, axes[axis].kernel) {
            if tap_run.count == 1 {
                self.reduce(e, r, x, w, &tap_run.taps, axis + 1);
                continue;
            }
            let xr = e.pointer_var(x);
            let wr = e.pointer_var(w);
            // Neighbouring taps of the innermost axis that read neighbouring cells (dilation
            // 1, one group) are one stretch of `count x channels` floats of input and of
            // packed weight rows: one loop covers taps and input channels together.
            let cpg = r.cpg as i64;
            if r.partial
                && innermost
                && tap_run.offset_step == cpg
                && r.cpg == self.conv.in_channels
            {
                e.counted_loop(tap_run.count * r.cpg, &[(xr, 1), (wr, width)], |e| {
                    let x = e.b.use_var(xr);
                    let w = e.b.use_var(wr);
                    self.unrolled(e, r, x, w, &tap_run.taps);
                });
                continue;
            }
            let w_step = (tap_run.flat_step * r.cpg) as i64 * width;
            e.counted_loop(
                tap_run.count,
                &[(xr, tap_run.offset_step), (wr, w_step)],
                |e| {
                    let x = e.b.use_var(xr);
                    let w = e.b.use_var(wr);
                    self.reduce(e, r, x, w, &tap_run.taps, axis + 1);
                },
            );
        }
    }

    /// The innermost work of the reduction: `taps` unrolled, inside a loop over input
    /// channels in border pieces (full blocks loop over channels outermost).
    fn leaf(&self, e: &mut Emitter, r: &Reduce, x: Value, w: Value, taps: &[taps::Tap]) {
        if !r.partial {
            self.unrolled(e, r, x, w, taps);
            return;
        }
        let xr = e.pointer_var(x);
        let wr = e.pointer_var(w);
        let width = r.run.width() as i64;
        e.counted_loop(r.cpg, &[(xr, 1), (wr, width)], |e| {
            let x = e.b.use_var(xr);
            let w = e.b.use_var(wr);
            self.unrolled(e, r, x, w, taps);
        });
    }

    /// `taps` fully unrolled: per tap, the weight vectors, then one broadcast input value per
    /// pixel and vector.
    fn unrolled(&self, e: &mut Emitter, r: &Reduce, x: Value, w: Value, taps: &[taps::Tap]) {
        let run = r.run;
        let ty = Emitter::vector_type(run.lanes);
        let width = run.width() as i64;
        for tap in taps {
            let t = tap.flat;
            let users: Vec<(usize, i64)> = tap
                .offsets
                .iter()
                .enumerate()
                .filter_map(|(p, off)| off.map(|off| (p, off)))
                .collect();
            if users.is_empty() {
                continue;
            }
            let wq: Vec<Value> = (0..run.vectors)
                .map(|q| e.load(ty, w, (t * r.cpg) as i64 * width + (q * run.lanes) as i64))
                .collect();
            for (p, off) in users {
                let scalar = e.load(types::F32, x, off);
                for (q, &wv) in wq.iter().enumerate() {
                    // A broadcast per multiply-add, each with its own load: x64
                    // Cranelift folds a single-use `splat(load)` into one
                    // `vbroadcastss xmm, m32` (a pure load), while a shared one costs a
                    // shuffle on an FMA port plus a register copy (the FMA overwrites a
                    // multiplicand). Measured 27 -> see ARCHITECTURE notes.
                    let xb = if run.lanes == 4 {
                        let scalar = if q == 0 {
                            scalar
                        } else {
                            e.load(types::F32, x, off)
                        };
                        e.b.ins().splat(ty, scalar)
                    } else {
                        scalar
                    };
                    let var = r.acc[p * run.vectors + q];
                    let sum = e.b.use_var(var);
                    let next = e.mul_add(xb, wv, sum);
                    e.b.def_var(var, next);
                }
            }
        }
    }

    /// Depthwise, multiplier 1: vectors across channels, each lane its own weight.
    fn channelwise(&self, e: &mut Emitter, input: Value, output: Value, pixels: &[Pixel]) {
        let channels = self.conv.filters as i64;
        let x_var = e.pointer_var(input);
        let w_var = e.pointer_var(self.weights);
        let o_var = e.pointer_var(output);
        let bias_var = self.bias.map(|b| e.pointer_var(b));
        for run in &self.nest.runs {
            let width = run.width() as i64;
            let mut steps = vec![(x_var, width), (w_var, width), (o_var, width)];
            steps.extend(bias_var.map(|v| (v, width)));
            let ty = Emitter::vector_type(run.lanes);
            e.counted_loop(run.count, &steps, |e| {
                let x = e.b.use_var(x_var);
                let w = e.b.use_var(w_var);
                let o = e.b.use_var(o_var);
                let bias = bias_var.map(|v| e.b.use_var(v));
                let acc = self.init_accumulators(e, run, bias, pixels.len());
                let taps: usize = self.conv.axes.iter().map(|a| a.kernel).product();
                for t in 0..taps {
                    let users: Vec<(usize, i64)> = pixels
                        .iter()
                        .enumerate()
                        .filter_map(|(p, px)| {
                            px.taps
                                .iter()
                                .find(|(ft, _)| *ft == t)
                                .map(|&(_, off)| (p, off))
                        })
                        .collect();
                    if users.is_empty() {
                        continue;
                    }
                    let wq: Vec<Value> = (0..run.vectors)
                        .map(|q| e.load(ty, w, t as i64 * channels + (q * run.lanes) as i64))
                        .collect();
                    for (p, off) in users {
                        for (q, &wv) in wq.iter().enumerate() {
                            let xv = e.load(ty, x, off + (q * run.lanes) as i64);
                            let var = acc[p * run.vectors + q];
                            let sum = e.b.use_var(var);
                            let next = e.mul_add(xv, wv, sum);
                            e.b.def_var(var, next);
                        }
                    }
                }
                self.store(e, run, o, pixels, &acc);
            });
        }
    }

    /// One variable per accumulator (pixel-major), starting at the bias or zero.
    fn init_accumulators(
        &self,
        e: &mut Emitter,
        run: &BlockRun,
        bias: Option<Value>,
        pixels: usize,
    ) -> Vec<cranelift_frontend::Variable> {
        let ty = Emitter::vector_type(run.lanes);
        let start: Vec<Value> = (0..run.vectors)
            .map(|q| match bias {
                Some(b) => e.load(ty, b, (q * run.lanes) as i64),
                None => e.constant(run.lanes, 0.0),
            })
            .collect();
        let mut vars = Vec::with_capacity(pixels * run.vectors);
        for _ in 0..pixels {
            for &value in &start {
                let var = e.b.declare_var(ty);
                e.b.def_var(var, value);
                vars.push(var);
            }
        }
        vars
    }

    /// Applies the activation where it is cheap enough to inline, and stores.
    pub(super) fn store(
        &self,
        e: &mut Emitter,
        run: &BlockRun,
        output: Value,
        pixels: &[Pixel],
        acc: &[cranelift_frontend::Variable],
    ) {
        for (p, pixel) in pixels.iter().enumerate() {
            for q in 0..run.vectors {
                let sum = e.b.use_var(acc[p * run.vectors + q]);
                let value = emit_inline(e, self.activation(), sum, run.lanes);
                e.store(value, output, pixel.out_offset + (q * run.lanes) as i64);
            }
        }
    }

    fn activation(&self) -> Activation {
        self.conv.activation
    }
}
