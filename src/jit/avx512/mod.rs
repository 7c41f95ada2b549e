//! AVX-512 block kernels for dense and grouped convolutions, which Cranelift (128-bit vectors
//! at most) cannot emit.
//!
//! Where the host has AVX-512F and [`Simd::Auto`] allows it, [`widen`] turns a broadcast
//! loop nest's filter blocks into runs of 16-lane vectors (up to 4 zmm vectors, 64 channels,
//! with more pixels per block: 32 registers hold the accumulators). Cranelift still emits
//! everything around the blocks: the group and filter-block loops, the spatial walk with its
//! border pieces, the channel tails (f32x4 and scalar runs) and the activations. For each
//! distinct block (its pixels' taps and offsets are constants) [`Kernels`] assembles one
//! function (`asm.rs`), defines it in the layer's `JITModule` with `define_function_bytes`,
//! and the layer's code calls it with the block's pointers.
//!
//! The summation order per output is the f32x4 kernel's (bias, then input channel by input
//! channel, tap by tap, one fused multiply-add each), and a block is computed by the same
//! code whatever thread runs it, so results stay bit-identical for any thread count.

#[cfg(target_arch = "x86_64")]
mod asm;

use super::emit::walk::Pixel;
use super::emit::{Emitter, F32X4, PTR};
use super::lower::{BlockRun, ConvFamily, LoopNest};
use super::{JitError, Simd};
use crate::ir::{Activation, Conv};
use cranelift_codegen::ir::{AbiParam, FuncRef, InstBuilder, Value};
use cranelift_codegen::isa::CallConv;
use cranelift_jit::JITModule;
use cranelift_module::{FuncId, Module};
use std::cell::RefCell;
use std::collections::HashMap;

/// Lanes of one zmm vector of f32.
pub const LANES: usize = 16;

/// Whether this host runs AVX-512 kernels under `simd`.
pub fn enabled(simd: Simd) -> bool {
    simd == Simd::Auto && host_has_avx512()
}

#[cfg(target_arch = "x86_64")]
fn host_has_avx512() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
}

#[cfg(not(target_arch = "x86_64"))]
fn host_has_avx512() -> bool {
    false
}

/// Pixels per block for `vectors` zmm vectors: `pixels x vectors` accumulators plus `vectors`
/// weight registers out of 32. Measured (one thread, Zen 4): 7x4 and 14x2, which fill all 32
/// registers, were no faster than 6x4 and 12x2 on resnet_3x3, pointwise, audio_1d and
/// rgb_first_layer (within 1-4%, slower if anything).
fn pixels_for(vectors: usize) -> usize {
    match vectors {
        4 => 6,
        3 => 8,
        2 => 12,
        _ => 24,
    }
}

/// Re-blocks a broadcast nest for AVX-512 when `enabled`: filter blocks of 64, 48, 32 or 16
/// channels, then the f32x4 and scalar tails of the portable kernel. Nests with fewer than 16
/// filters per group, or whose offsets would not fit 32-bit displacements, stay as they are.
pub fn widen(nest: &mut LoopNest, conv: &Conv, enabled: bool) {
    let fpg = conv.filters_per_group();
    if !enabled || nest.family != ConvFamily::Broadcast || fpg < LANES || !fits(conv, nest) {
        return;
    }
    let vectors = (fpg / LANES).min(4);
    let mut runs = vec![BlockRun {
        count: fpg / (LANES * vectors),
        lanes: LANES,
        vectors,
    }];
    let rest = fpg % (LANES * vectors);
    if rest >= LANES {
        runs.push(BlockRun {
            count: 1,
            lanes: LANES,
            vectors: rest / LANES,
        });
    }
    crate::jit::lower::push_tail_runs(&mut runs, rest % LANES);
    nest.pixels = pixels_for(vectors);
    nest.runs = runs;
}

/// Whether every byte offset a kernel uses fits a signed 32-bit displacement: input offsets
/// stay within one batch item plus a block's reach, weights within one filter block.
fn fits(conv: &Conv, nest: &LoopNest) -> bool {
    let taps: usize = conv.axes.iter().map(|a| a.kernel).product();
    let item: usize = nest.in_spatial.iter().product::<usize>() * conv.in_channels;
    let block_weights = taps * conv.channels_per_group() * LANES * 4;
    let limit = (i32::MAX / 8) as usize;
    item < limit && block_weights < limit
}

/// What one assembled kernel computes: a block of pixels x `vectors` zmm vectors.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KernelShape {
    pub vectors: usize,
    /// Input channels of the group (the reduction loop's trip count).
    pub channels: usize,
    /// Taps of the filter (the weight layout's stride).
    pub taps: usize,
    /// Per pixel, `(flat tap, input offset in floats)` of each tap it reads.
    pub pixels: Vec<Vec<(usize, i64)>>,
    /// Per pixel, its first output's offset in floats.
    pub out_offsets: Vec<i64>,
    pub bias: bool,
}

#[cfg(target_arch = "x86_64")]
fn assemble(shape: &KernelShape) -> Result<Vec<u8>, String> {
    asm::assemble(shape)
}

#[cfg(not(target_arch = "x86_64"))]
fn assemble(_: &KernelShape) -> Result<Vec<u8>, String> {
    Err("AVX-512 kernels exist only on x86-64".into())
}

/// The AVX-512 kernels of one layer: declared on first use and called from the layer's
/// function, then assembled (on all cores: they are independent) and defined in the module by
/// [`Kernels::finish`].
pub struct Kernels<'m> {
    inner: RefCell<Inner<'m>>,
}

struct Inner<'m> {
    module: &'m mut JITModule,
    /// Each distinct block's function and its reference in the layer's function.
    functions: HashMap<KernelShape, (FuncId, FuncRef)>,
    /// The kernels declared but not yet assembled, in the order of first use.
    pending: Vec<(FuncId, KernelShape)>,
    error: Option<JitError>,
}

impl<'m> Kernels<'m> {
    pub fn new(module: &'m mut JITModule) -> Kernels<'m> {
        Kernels {
            inner: RefCell::new(Inner {
                module,
                functions: HashMap::new(),
                pending: Vec::new(),
                error: None,
            }),
        }
    }

    /// Assembles and defines every kernel the layer calls; returns their machine code, in the
    /// order of first use, or the first error met while emitting or assembling.
    pub fn finish(self) -> Result<Vec<Vec<u8>>, JitError> {
        let inner = self.inner.into_inner();
        if let Some(e) = inner.error {
            return Err(e);
        }
        let code = assemble_all(&inner.pending)?;
        for ((id, _), bytes) in inner.pending.iter().zip(&code) {
            inner
                .module
                .define_function_bytes(*id, 64, bytes, &[])
                .map_err(|e| internal(e.to_string()))?;
        }
        Ok(code)
    }

    /// Emits one block of `run` (16-lane vectors): the call to its kernel, then the inline
    /// activation over the stored sums (others run after the layer, as for every kernel).
    #[allow(clippy::too_many_arguments)]
    pub fn block(
        &self,
        e: &mut Emitter,
        conv: &Conv,
        run: &BlockRun,
        input: Value,
        weights: Value,
        output: Value,
        bias: Option<Value>,
        pixels: &[Pixel],
    ) {
        let shape = KernelShape {
            vectors: run.vectors,
            channels: conv.channels_per_group(),
            taps: conv.axes.iter().map(|a| a.kernel).product(),
            pixels: pixels.iter().map(|p| p.taps.clone()).collect(),
            out_offsets: pixels.iter().map(|p| p.out_offset).collect(),
            bias: bias.is_some(),
        };
        let Some(function) = self.function(e, shape) else {
            return;
        };
        // An unused argument still needs a value: the weights pointer stands in for no bias.
        let bias = bias.unwrap_or(weights);
        e.b.ins().call(function, &[input, weights, output, bias]);
        if conv.activation != Activation::Linear && super::activation::is_inline(conv.activation) {
            for pixel in pixels {
                for v in 0..run.width() / 4 {
                    let at = pixel.out_offset + (v * 4) as i64;
                    let sum = e.load(F32X4, output, at);
                    let value = super::activation::emit_inline(e, conv.activation, sum, 4);
                    e.store(value, output, at);
                }
            }
        }
    }

    /// The kernel for `shape` in the function being built, declared on first use (assembled
    /// by [`Self::finish`]); `None` after an error (kept for [`Self::finish`]).
    fn function(&self, e: &mut Emitter, shape: KernelShape) -> Option<FuncRef> {
        let mut inner = self.inner.borrow_mut();
        if inner.error.is_some() {
            return None;
        }
        if let Some(&(_, f)) = inner.functions.get(&shape) {
            return Some(f);
        }
        match inner.declare() {
            Ok(id) => {
                let f = inner.module.declare_func_in_func(id, e.b.func);
                inner.pending.push((id, shape.clone()));
                inner.functions.insert(shape, (id, f));
                Some(f)
            }
            Err(why) => {
                inner.error = Some(why);
                None
            }
        }
    }
}

impl Inner<'_> {
    fn declare(&mut self) -> Result<FuncId, JitError> {
        let mut sig = self.module.make_signature();
        sig.call_conv = CallConv::SystemV;
        sig.params.extend([AbiParam::new(PTR); 4]);
        self.module
            .declare_anonymous_function(&sig)
            .map_err(|e| internal(e.to_string()))
    }
}

fn internal(what: String) -> JitError {
    JitError::Cranelift(format!("AVX-512 kernel: {what}"))
}

/// Kernels below which assembling is not worth a second thread.
const PARALLEL_KERNELS: usize = 4;

/// The machine code of every pending kernel, in order. A 7x7 layer has some 20 distinct
/// blocks of a few thousand instructions each, which `iced-x86` takes about a millisecond to
/// encode: with several, they are shared among the cores (each kernel is assembled alone, so
/// the bytes do not depend on how they were shared).
fn assemble_all(pending: &[(FuncId, KernelShape)]) -> Result<Vec<Vec<u8>>, JitError> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = if pending.len() >= PARALLEL_KERNELS {
        cores.min(pending.len())
    } else {
        1
    };
    let one = |shape: &KernelShape| assemble(shape).map_err(internal);
    if threads <= 1 {
        return pending.iter().map(|(_, s)| one(s)).collect();
    }
    let per_thread = pending.len().div_ceil(threads);
    let parts: Vec<Result<Vec<Vec<u8>>, JitError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = pending
            .chunks(per_thread)
            .map(|part| scope.spawn(move || part.iter().map(|(_, s)| one(s)).collect()))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(internal("the assembling thread panicked".into())))
            })
            .collect()
    });
    let mut code = Vec::with_capacity(pending.len());
    for part in parts {
        code.extend(part?);
    }
    Ok(code)
}
