//! Activations: the cheap ones inline, the rest through one call into Rust.
//!
//! `linear`, `relu`, `relu6` and `leaky_relu` are one or two vector instructions, applied to
//! the accumulators before they are stored. Every other activation (exp, tanh, erf, softmax
//! over channels, ...) is applied after the layer's loops by a call from the generated code
//! to [`convc_jit_activate`], which runs the interpreter's own f64 formulas on the f32 sums:
//! the two backends then differ only by the f32 rounding of the sums themselves.

use super::emit::Emitter;
use crate::ir::Activation;
use cranelift_codegen::ir::{InstBuilder, Value};

/// The symbol the generated code calls; registered with `JITBuilder::symbol`.
pub const HELPER_SYMBOL: &str = "convc_jit_activate";

/// Whether `act` is applied by the generated code itself (otherwise by the helper call).
pub fn is_inline(act: Activation) -> bool {
    matches!(
        act,
        Activation::Linear | Activation::Relu | Activation::Relu6 | Activation::LeakyRelu
    )
}

/// Applies an inline activation to `x` (f32 or f32x4); other activations leave `x` as it is
/// for the helper. Cranelift's `fmax`/`fmin` propagate NaN and order -0 below +0, which is
/// exactly the interpreter's `relu` (`relu(NaN) = NaN`, `relu(-0) = +0`).
pub fn emit_inline(e: &mut Emitter, act: Activation, x: Value, lanes: usize) -> Value {
    match act {
        Activation::Relu => {
            let zero = e.constant(lanes, 0.0);
            e.b.ins().fmax(x, zero)
        }
        Activation::Relu6 => {
            let zero = e.constant(lanes, 0.0);
            let six = e.constant(lanes, 6.0);
            let low = e.b.ins().fmax(x, zero);
            e.b.ins().fmin(low, six)
        }
        // max(x, 0.2x) is x for x >= 0 and 0.2x below: the interpreter's branch, NaN included.
        Activation::LeakyRelu => {
            let slope = e.constant(lanes, 0.2);
            let scaled = e.b.ins().fmul(x, slope);
            e.b.ins().fmax(x, scaled)
        }
        _ => x,
    }
}

/// The number the generated code passes for `act`.
pub fn code(act: Activation) -> u32 {
    Activation::ALL
        .iter()
        .position(|&a| a == act)
        .unwrap_or_default() as u32
}

/// Applies activation number `code` in place to `len` floats at `data`, whose last axis has
/// `channels` entries (softmax normalises over it).
///
/// # Safety
/// `data` must point to `len` writable floats. Only the generated code calls this, with a
/// buffer `Compiled::run` allocated. Being `extern "C"`, a panic here aborts instead of
/// unwinding into JIT frames (which have no unwind information).
pub unsafe extern "C" fn convc_jit_activate(
    code: u32,
    data: *mut f32,
    len: usize,
    channels: usize,
) {
    let Some(&act) = Activation::ALL.get(code as usize) else {
        return;
    };
    if data.is_null() || len == 0 {
        return;
    }
    // SAFETY: the caller guarantees `len` floats at `data`.
    let values = unsafe { std::slice::from_raw_parts_mut(data, len) };
    crate::interp::activate(act, values, channels.max(1));
}
