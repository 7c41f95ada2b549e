//! The batch and spatial loops of a sliding-window layer, with loop partitioning.
//!
//! Every axis is a list of [`Segment`]s: interior stretches become runtime loops whose taps
//! need no checks, border positions become straight-line code with their taps resolved at
//! compile time (padded taps are simply absent, or redirected by the border mode). The
//! innermost axis's interior is cut into blocks of `pixels` output positions, plus a tail
//! block of its own. For each block, [`walk`] hands the kernel the input and output pointers
//! and the [`Pixel`]s: where each output goes and which input offsets its taps read.

use super::Emitter;
use crate::geometry::AxisGeometry;
use crate::jit::lower::{merged_borders, Segment};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, InstBuilder, Value};

/// One output position of a block.
#[derive(Debug, Clone, PartialEq)]
pub struct Pixel {
    /// Floats from the block's output pointer to this position's first channel.
    pub out_offset: i64,
    /// `(flat tap index, floats from the block's input pointer)` of every tap that reads a
    /// real cell, in tap order. Channel offsets are the kernel's business.
    pub taps: Vec<(usize, i64)>,
}

/// Emits the kernel for one block: `(emitter, input pointer, output pointer, pixels)`.
pub type BlockEmitter<'k> = dyn FnMut(&mut Emitter, Value, Value, &[Pixel]) + 'k;

/// [`BlockEmitter`] for kernels that accept merged border pieces ([`Walk::emit_merged`]):
/// the last argument, when present, is a run-time number of flat taps to add to every
/// pixel's tap indices (the kernel offsets its weights by as many taps).
pub type ShiftedBlockEmitter<'k> =
    dyn FnMut(&mut Emitter, Value, Value, &[Pixel], Option<Value>) + 'k;

/// Where a piece of the walk works: its input and output pointers, and the run-time tap
/// shift of merged border pieces (see [`ShiftedBlockEmitter`]).
#[derive(Clone, Copy)]
struct Place {
    input: Value,
    output: Value,
    shift: Option<Value>,
}

/// The shape facts the walk needs.
pub struct Walk<'n> {
    pub axes: &'n [AxisGeometry],
    pub segments: &'n [Vec<Segment>],
    pub batch: usize,
    pub in_channels: usize,
    pub out_channels: usize,
    pub pixels: usize,
    /// The thread's share of the work, `units lo..hi` (run-time values), where a unit is one
    /// position of the outermost spatial axis of one batch item (a row; one output position
    /// for 1D layers), numbered batch-major. A unit is computed by the same code whatever the range,
    /// so results do not depend on how the work is split.
    pub units: (Value, Value),
}

/// Units of work of a sliding-window layer (see [`Walk::units`]).
pub fn unit_count(axes: &[AxisGeometry], batch: usize) -> usize {
    batch * rows_per_item(axes)
}

fn rows_per_item(axes: &[AxisGeometry]) -> usize {
    axes.first().map_or(1, |a| a.out_len)
}

impl Walk<'_> {
    /// Floats between neighbouring cells of spatial axis `a` (input, output).
    fn strides(&self, a: usize) -> (i64, i64) {
        let inner_in: usize = self.axes[a + 1..].iter().map(|x| x.in_len).product();
        let inner_out: usize = self.axes[a + 1..].iter().map(|x| x.out_len).product();
        (
            (inner_in * self.in_channels) as i64,
            (inner_out * self.out_channels) as i64,
        )
    }

    /// Emits the loops; `block` emits the kernel for one block of pixels.
    pub fn emit(&self, e: &mut Emitter, input: Value, output: Value, block: &mut BlockEmitter) {
        self.emit_loops(e, input, output, false, &mut |e, i, o, pixels, shift| {
            debug_assert!(
                shift.is_none(),
                "no merged border pieces without emit_merged"
            );
            block(e, i, o, pixels)
        });
    }

    /// [`Self::emit`], with the border positions of each outer axis that read the same taps
    /// shifted merged into one loop (see [`crate::jit::lower::MergedBorder`]): fewer pieces of code to compile.
    /// For kernels whose taps may be shifted at run time (weights loaded, not folded).
    pub fn emit_merged(
        &self,
        e: &mut Emitter,
        input: Value,
        output: Value,
        block: &mut ShiftedBlockEmitter,
    ) {
        self.emit_loops(e, input, output, true, block);
    }

    fn emit_loops(
        &self,
        e: &mut Emitter,
        input: Value,
        output: Value,
        merge: bool,
        block: &mut ShiftedBlockEmitter,
    ) {
        let (in_item, out_item) = self.strides(0);
        let in_item = in_item * self.axes[0].in_len as i64;
        let out_item = out_item * self.axes[0].out_len as i64;
        let in_var = e.pointer_var(input);
        let out_var = e.pointer_var(output);
        let rows = rows_per_item(self.axes) as i64;
        let first_unit = e.b.declare_var(types::I64);
        let zero = e.b.ins().iconst(types::I64, 0);
        e.b.def_var(first_unit, zero);
        e.counted_loop(self.batch, &[(in_var, in_item), (out_var, out_item)], |e| {
            let input = e.b.use_var(in_var);
            let output = e.b.use_var(out_var);
            // This item's rows within the thread's units, clamped to 0..rows.
            let base = e.b.use_var(first_unit);
            let clamp = |e: &mut Emitter, unit: Value| {
                let row = e.b.ins().isub(unit, base);
                let zero = e.b.ins().iconst(types::I64, 0);
                let row = e.b.ins().smax(row, zero);
                let last = e.b.ins().iconst(types::I64, rows);
                e.b.ins().smin(row, last)
            };
            let lo = clamp(e, self.units.0);
            let hi = clamp(e, self.units.1);
            let at = Place {
                input,
                output,
                shift: None,
            };
            self.axis(e, 0, at, &[(0, 0)], Some((lo, hi)), merge, block);
            let base = e.b.use_var(first_unit);
            let next = e.b.ins().iadd_imm_s(base, rows);
            e.b.def_var(first_unit, next);
        });
    }

    /// Emits axis `a`'s segments. `prefix` holds the taps of the outer axes: `(flat index so
    /// far, input offset so far)`.
    #[allow(clippy::too_many_arguments)]
    fn axis(
        &self,
        e: &mut Emitter,
        a: usize,
        at: Place,
        prefix: &[(usize, i64)],
        rows: Option<(Value, Value)>,
        merge: bool,
        block: &mut ShiftedBlockEmitter,
    ) {
        let Place {
            input,
            output,
            shift,
        } = at;
        let geometry = &self.axes[a];
        let (in_stride, out_stride) = self.strides(a);
        let innermost = a + 1 == self.axes.len();
        let extend = |taps: &[(usize, i64)]| -> Vec<(usize, i64)> {
            let mut out = Vec::with_capacity(prefix.len() * taps.len());
            for &(flat, offset) in prefix {
                for &(t, t_offset) in taps {
                    out.push((flat * geometry.kernel + t, offset + t_offset));
                }
            }
            out
        };
        let merged = if merge && !innermost {
            merged_borders(&self.segments[a])
        } else {
            Vec::new()
        };
        for segment in &self.segments[a] {
            match segment {
                Segment::Interior { start, len } => {
                    // The pointers move to the first window's first cell; taps are then
                    // constant displacements.
                    let first_cell = (start * geometry.stride) as i64 - geometry.pad_before as i64;
                    let taps: Vec<(usize, i64)> = (0..geometry.kernel)
                        .map(|t| (t, (t * geometry.dilation) as i64 * in_stride))
                        .collect();
                    let taps = extend(&taps);
                    let step_in = geometry.stride as i64 * in_stride;
                    let Some((lo, hi)) = rows else {
                        let in_start = e.b.ins().iadd_imm_s(input, first_cell * in_stride * 4);
                        let out_start =
                            e.b.ins().iadd_imm_s(output, *start as i64 * out_stride * 4);
                        if innermost {
                            let at = Place {
                                input: in_start,
                                output: out_start,
                                shift,
                            };
                            self.interior_row(e, at, *len, &taps, step_in, block);
                        } else {
                            let in_var = e.pointer_var(in_start);
                            let out_var = e.pointer_var(out_start);
                            e.counted_loop(
                                *len,
                                &[(in_var, step_in), (out_var, out_stride)],
                                |e| {
                                    let at = Place {
                                        input: e.b.use_var(in_var),
                                        output: e.b.use_var(out_var),
                                        shift,
                                    };
                                    self.axis(e, a + 1, at, &taps, None, merge, block);
                                },
                            );
                        }
                        continue;
                    };
                    // The thread's rows of this stretch: `first..end`, possibly empty.
                    let first = e.b.ins().iconst(types::I64, *start as i64);
                    let first = e.b.ins().smax(lo, first);
                    let end = e.b.ins().iconst(types::I64, (start + len) as i64);
                    let end = e.b.ins().smin(hi, end);
                    let count = e.b.ins().isub(end, first);
                    let skipped = e.b.ins().iadd_imm_s(first, -(*start as i64));
                    let in_skip = e.b.ins().imul_imm_s(skipped, step_in * 4);
                    let in_start = e.b.ins().iadd(input, in_skip);
                    let in_start = e.b.ins().iadd_imm_s(in_start, first_cell * in_stride * 4);
                    let out_skip = e.b.ins().imul_imm_s(first, out_stride * 4);
                    let out_start = e.b.ins().iadd(output, out_skip);
                    if innermost {
                        // A 1D layer: the thread's positions of this stretch.
                        let at = Place {
                            input: in_start,
                            output: out_start,
                            shift,
                        };
                        self.interior_range(e, at, *len, count, &taps, step_in, block);
                        continue;
                    }
                    let in_var = e.pointer_var(in_start);
                    let out_var = e.pointer_var(out_start);
                    e.runtime_loop(count, &[(in_var, step_in), (out_var, out_stride)], |e| {
                        let at = Place {
                            input: e.b.use_var(in_var),
                            output: e.b.use_var(out_var),
                            shift,
                        };
                        self.axis(e, a + 1, at, &taps, None, merge, block);
                    });
                }
                Segment::Border { pos, sources } => {
                    let group = merged.iter().find(|m| {
                        (0..m.count as i64).any(|i| m.pos as i64 + i * m.pos_step == *pos as i64)
                    });
                    if group.is_some_and(|m| m.pos != *pos) {
                        // Computed by the loop of its group's first position.
                        continue;
                    }
                    let taps: Vec<(usize, i64)> = sources
                        .iter()
                        .enumerate()
                        .filter_map(|(t, s)| s.map(|s| (t, s as i64 * in_stride)))
                        .collect();
                    let taps = extend(&taps);
                    let out_at = e.b.ins().iadd_imm_s(output, *pos as i64 * out_stride * 4);
                    let first_pos = *pos as i64;
                    // `moving`: the position, when a merged loop moves it at run time.
                    let mut piece = |e: &mut Emitter, at: Place, moving: Option<Value>| {
                        let mut inner = |e: &mut Emitter| {
                            if innermost {
                                let pixel = Pixel {
                                    out_offset: 0,
                                    taps: taps.clone(),
                                };
                                block(e, at.input, at.output, &[pixel], at.shift);
                            } else {
                                self.axis(e, a + 1, at, &taps, None, merge, block);
                            }
                        };
                        match rows {
                            None => inner(e),
                            Some((lo, hi)) => {
                                let (le, gt) =
                                    (IntCC::SignedLessThanOrEqual, IntCC::SignedGreaterThan);
                                let (from, to) = match moving {
                                    Some(pos) => {
                                        (e.b.ins().icmp(le, lo, pos), e.b.ins().icmp(gt, hi, pos))
                                    }
                                    None => (
                                        e.b.ins().icmp_imm_s(le, lo, first_pos),
                                        e.b.ins().icmp_imm_s(gt, hi, first_pos),
                                    ),
                                };
                                let mine = e.b.ins().band(from, to);
                                e.when(mine, inner);
                            }
                        }
                    };
                    let Some(group) = group else {
                        let at = Place {
                            input,
                            output: out_at,
                            shift,
                        };
                        piece(e, at, None);
                        continue;
                    };
                    // One loop over the group: pointers, position and tap shift advance.
                    let inner_taps: usize = self.axes[a + 1..].iter().map(|x| x.kernel).product();
                    let in_var = e.pointer_var(input);
                    let out_var = e.pointer_var(out_at);
                    let shift_var = e.b.declare_var(types::I64);
                    let shift_start = match shift {
                        Some(s) => s,
                        None => e.b.ins().iconst(types::I64, 0),
                    };
                    e.b.def_var(shift_var, shift_start);
                    let pos_var = e.b.declare_var(types::I64);
                    let pos_start = e.b.ins().iconst(types::I64, *pos as i64);
                    e.b.def_var(pos_var, pos_start);
                    e.counted_loop(
                        group.count,
                        &[
                            (in_var, group.cell_step * in_stride),
                            (out_var, group.pos_step * out_stride),
                        ],
                        |e| {
                            let shift = e.b.use_var(shift_var);
                            let pos = e.b.use_var(pos_var);
                            let at = Place {
                                input: e.b.use_var(in_var),
                                output: e.b.use_var(out_var),
                                shift: Some(shift),
                            };
                            piece(e, at, Some(pos));
                            let next =
                                e.b.ins()
                                    .iadd_imm_s(shift, group.tap_step * inner_taps as i64);
                            e.b.def_var(shift_var, next);
                            let next = e.b.ins().iadd_imm_s(pos, group.pos_step);
                            e.b.def_var(pos_var, next);
                        },
                    );
                }
            }
        }
    }

    /// [`Self::interior_row`] for `count` (a run-time value, at most `len`) positions of a
    /// stretch of `len`: full blocks in a loop, then the tail, whose size is known only at
    /// run time, by one piece per possible size. Each position is computed by the same
    /// arithmetic in a block of any size, so results do not depend on the split.
    #[allow(clippy::too_many_arguments)]
    fn interior_range(
        &self,
        e: &mut Emitter,
        at: Place,
        len: usize,
        count: Value,
        taps: &[(usize, i64)],
        step_in: i64,
        block: &mut ShiftedBlockEmitter,
    ) {
        let Place {
            input,
            output,
            shift,
        } = at;
        let out_step = self.out_channels as i64;
        let per_block = self.pixels.min(len).max(1);
        let pixels_at = |n: usize| -> Vec<Pixel> { pixels_at(taps, n, out_step, step_in) };
        // Negative when the thread's range misses this stretch.
        let zero = e.b.ins().iconst(types::I64, 0);
        let count = e.b.ins().smax(count, zero);
        let full = e.b.ins().udiv_imm_u(count, per_block as i64);
        let in_var = e.pointer_var(input);
        let out_var = e.pointer_var(output);
        let pixels = pixels_at(per_block);
        e.runtime_loop(
            full,
            &[
                (in_var, step_in * per_block as i64),
                (out_var, out_step * per_block as i64),
            ],
            |e| {
                let i = e.b.use_var(in_var);
                let o = e.b.use_var(out_var);
                block(e, i, o, &pixels, shift);
            },
        );
        let done = e.b.ins().imul_imm_s(full, per_block as i64);
        let tail = e.b.ins().isub(count, done);
        for n in 1..per_block {
            let this_size = e.b.ins().icmp_imm_s(IntCC::Equal, tail, n as i64);
            e.when(this_size, |e| {
                let i = e.b.use_var(in_var);
                let o = e.b.use_var(out_var);
                block(e, i, o, &pixels_at(n), shift);
            });
        }
    }

    /// The innermost interior: full blocks of `pixels` in a loop, then the tail block.
    #[allow(clippy::too_many_arguments)]
    fn interior_row(
        &self,
        e: &mut Emitter,
        at: Place,
        len: usize,
        taps: &[(usize, i64)],
        step_in: i64,
        block: &mut ShiftedBlockEmitter,
    ) {
        let Place {
            input,
            output,
            shift,
        } = at;
        let out_step = self.out_channels as i64;
        let pixels_at = |n: usize| -> Vec<Pixel> { pixels_at(taps, n, out_step, step_in) };
        let per_block = self.pixels.min(len).max(1);
        let full = len / per_block;
        let tail = len % per_block;
        let in_var = e.pointer_var(input);
        let out_var = e.pointer_var(output);
        let pixels = pixels_at(per_block);
        e.counted_loop(
            full,
            &[
                (in_var, step_in * per_block as i64),
                (out_var, out_step * per_block as i64),
            ],
            |e| {
                let i = e.b.use_var(in_var);
                let o = e.b.use_var(out_var);
                block(e, i, o, &pixels, shift);
            },
        );
        if tail > 0 {
            let i = e.b.use_var(in_var);
            let o = e.b.use_var(out_var);
            block(e, i, o, &pixels_at(tail), shift);
        }
    }
}

/// The first `count` pixels of a block: output offsets `out_step` apart, inputs `step_in`.
fn pixels_at(taps: &[(usize, i64)], count: usize, out_step: i64, step_in: i64) -> Vec<Pixel> {
    (0..count)
        .map(|p| Pixel {
            out_offset: p as i64 * out_step,
            taps: taps
                .iter()
                .map(|&(t, off)| (t, off + p as i64 * step_in))
                .collect(),
        })
        .collect()
}
