//! One input channel, one or two filters, stride 1 innermost: vectors of four neighbouring
//! output pixels. Output pixels `w..w+4` are consecutive, and so are the input cells each tap
//! reads for them, so one unaligned vector load per tap feeds four outputs of every filter.
//!
//! Weights either stay data (broadcast once per function when few enough to live in
//! registers, else at each use) or are *folded*: compiled in as constants, where a zero tap
//! emits nothing and a tap of 1 or -1 an addition or subtraction. Two filters' outputs are
//! interleaved in memory (`[pixel][filter]`), so their vectors are interleaved before storing.

use super::walk::Pixel;
use super::Emitter;
use crate::ir::Conv;
use crate::jit::activation::emit_inline;
use cranelift_codegen::ir::{types, ConstantData, InstBuilder, Value};

/// Weights beyond which they are broadcast at each use instead (x64 has 16 vector registers;
/// the block needs its accumulators and a loaded vector besides).
const MAX_HOISTED_WEIGHTS: usize = 10;

/// How the kernel gets its weights.
pub struct PixelKernel<'c> {
    pub conv: &'c Conv,
    /// Weights and bias as constants in the code.
    pub folded: bool,
    /// Folded zero taps may be dropped: the input is known to be finite (else `0 * x` must
    /// stay, to turn an infinity or NaN into NaN as the interpreter does).
    drop_zero_taps: bool,
    /// Packed weights `[tap][filter]` and bias, in memory.
    pub weights: Value,
    pub bias: Option<Value>,
    /// Each weight broadcast once, when few enough (else empty).
    hoisted: Vec<Value>,
}

impl<'c> PixelKernel<'c> {
    pub fn new(
        e: &mut Emitter,
        conv: &'c Conv,
        folded: bool,
        finite_input: bool,
        weights: Value,
        bias: Option<Value>,
    ) -> Self {
        let hoisted = if folded || conv.kernel.len() > MAX_HOISTED_WEIGHTS {
            Vec::new()
        } else {
            (0..conv.kernel.len())
                .map(|t| {
                    let w = e.load(types::F32, weights, t as i64);
                    e.b.ins().splat(super::F32X4, w)
                })
                .collect()
        };
        PixelKernel {
            conv,
            folded,
            drop_zero_taps: folded && finite_input,
            weights,
            bias,
            hoisted,
        }
    }

    fn filters(&self) -> usize {
        self.conv.filters
    }

    /// Whether tap `t` contributes nothing to any filter: folded weights that are all zero.
    /// Its input is then not even loaded (Cranelift at `opt_level=none` keeps dead loads).
    fn skips(&self, t: usize) -> bool {
        let filters = self.filters();
        self.drop_zero_taps && (0..filters).all(|f| self.conv.kernel[t * filters + f] == 0.0)
    }

    /// The accumulator's start for filter `f`: its bias, or `None` for zero.
    fn start(&self, e: &mut Emitter, f: usize, lanes: usize) -> Option<Value> {
        let bias = self.bias?;
        if self.folded {
            let b = self.conv.bias.as_ref().map_or(0.0, |b| b[f]);
            return (b != 0.0).then(|| constant(e, lanes, b));
        }
        let scalar = e.load(types::F32, bias, f as i64);
        Some(if lanes == 4 {
            e.b.ins().splat(super::F32X4, scalar)
        } else {
            scalar
        })
    }

    /// `sum + x * weight(t, f)` (`sum` absent: zero).
    fn add_tap(
        &self,
        e: &mut Emitter,
        t: usize,
        f: usize,
        x: Value,
        sum: Option<Value>,
        lanes: usize,
    ) -> Option<Value> {
        let k = t * self.filters() + f;
        if self.folded {
            let w = self.conv.kernel[k];
            return match (w, sum) {
                (0.0, _) if self.drop_zero_taps => sum,
                (1.0, None) => Some(x),
                (1.0, Some(s)) => Some(e.b.ins().fadd(s, x)),
                (-1.0, None) => Some(e.b.ins().fneg(x)),
                (-1.0, Some(s)) => Some(e.b.ins().fsub(s, x)),
                (_, None) => {
                    let c = constant(e, lanes, w);
                    Some(e.b.ins().fmul(x, c))
                }
                (_, Some(s)) => {
                    let c = constant(e, lanes, w);
                    Some(e.mul_add(x, c, s))
                }
            };
        }
        let w = match self.hoisted.get(k) {
            Some(&w) if lanes == 4 => w,
            _ => {
                let scalar = e.load(types::F32, self.weights, k as i64);
                if lanes == 4 {
                    e.b.ins().splat(super::F32X4, scalar)
                } else {
                    scalar
                }
            }
        };
        let s = match sum {
            Some(s) => s,
            None => constant(e, lanes, 0.0),
        };
        Some(e.mul_add(x, w, s))
    }

    /// The finished value of an accumulator.
    fn finish(&self, e: &mut Emitter, sum: Option<Value>, lanes: usize) -> Value {
        let sum = sum.unwrap_or_else(|| constant(e, lanes, 0.0));
        emit_inline(e, self.conv.activation, sum, lanes)
    }

    pub fn block(&self, e: &mut Emitter, input: Value, output: Value, pixels: &[Pixel]) {
        let filters = self.filters();
        let vectors = if consecutive(pixels, filters as i64) {
            pixels.len() / 4
        } else {
            0
        };
        // Vector part: accumulators for pixels 4v..4v+4 of each filter, taps outermost so
        // that each (hoisted) weight serves all of them in turn.
        let mut acc: Vec<Option<Value>> = (0..vectors * filters)
            .map(|i| self.start(e, i % filters, 4))
            .collect();
        if vectors > 0 {
            for (i, &(t, _)) in pixels[0].taps.iter().enumerate() {
                if self.skips(t) {
                    continue;
                }
                for v in 0..vectors {
                    let offset = pixels[4 * v].taps[i].1;
                    let x = e.load(super::F32X4, input, offset);
                    for f in 0..filters {
                        let a = &mut acc[v * filters + f];
                        *a = self.add_tap(e, t, f, x, *a, 4);
                    }
                }
            }
        }
        for v in 0..vectors {
            let base = pixels[4 * v].out_offset;
            let sums: Vec<Value> = (0..filters)
                .map(|f| self.finish(e, acc[v * filters + f], 4))
                .collect();
            match sums[..] {
                [one] => e.store(one, output, base),
                [a, b] => {
                    // [a0 b0 a1 b1] and [a2 b2 a3 b3]: pixel-major, as the output is.
                    let (lo, hi) = interleave(e, a, b);
                    e.store(lo, output, base);
                    e.store(hi, output, base + 4);
                }
                _ => unreachable!("the pixel kernel takes one or two filters"),
            }
        }
        // Scalar part: border pixels and the last few of a row.
        for pixel in &pixels[4 * vectors..] {
            for f in 0..filters {
                let mut sum = self.start(e, f, 1);
                for &(t, offset) in &pixel.taps {
                    if self.skips(t) {
                        continue;
                    }
                    let x = e.load(types::F32, input, offset);
                    sum = self.add_tap(e, t, f, x, sum, 1);
                }
                let value = self.finish(e, sum, 1);
                e.store(value, output, pixel.out_offset + f as i64);
            }
        }
    }
}

/// `lanes` copies of `x`; a vector constant lives in the constant pool, from where x64 reads
/// it as an instruction's memory operand.
fn constant(e: &mut Emitter, lanes: usize, x: f32) -> Value {
    if lanes != 4 {
        return e.b.ins().f32const(x);
    }
    let bytes: Vec<u8> = (0..4).flat_map(|_| x.to_le_bytes()).collect();
    let handle = e.b.func.dfg.constants.insert(ConstantData::from(bytes));
    e.b.ins().vconst(super::F32X4, handle)
}

/// The 32-bit lanes of `a` and `b` interleaved: `([a0 b0 a1 b1], [a2 b2 a3 b3])` (x64:
/// `punpckldq` / `punpckhdq`, which Cranelift matches from these byte masks).
fn interleave(e: &mut Emitter, a: Value, b: Value) -> (Value, Value) {
    let flags = cranelift_codegen::ir::MemFlagsData::new()
        .with_endianness(cranelift_codegen::ir::Endianness::Little);
    let a = e.b.ins().bitcast(types::I8X16, flags, a);
    let b = e.b.ins().bitcast(types::I8X16, flags, b);
    let mut halves = [a, a];
    for (half, lanes) in halves.iter_mut().zip([[0u8, 16, 1, 17], [2, 18, 3, 19]]) {
        let mask: Vec<u8> = lanes
            .iter()
            .flat_map(|&lane| (0..4).map(move |byte| (lane % 16) * 4 + byte + (lane / 16) * 16))
            .collect();
        let mask = e.b.func.dfg.immediates.push(ConstantData::from(mask));
        let shuffled = e.b.ins().shuffle(a, b, mask);
        *half = e.b.ins().bitcast(types::F32X4, flags, shuffled);
    }
    (halves[0], halves[1])
}

/// Whether `pixels` are consecutive outputs (`stride` floats apart) reading consecutive cells
/// with the same taps: an interior block, which vectors can cover four at a time.
fn consecutive(pixels: &[Pixel], stride: i64) -> bool {
    pixels.iter().enumerate().all(|(p, px)| {
        px.out_offset == pixels[0].out_offset + p as i64 * stride
            && px.taps.len() == pixels[0].taps.len()
            && px
                .taps
                .iter()
                .zip(&pixels[0].taps)
                .all(|(a, b)| a.0 == b.0 && a.1 == b.1 + p as i64)
    })
}
