//! The Cranelift JIT: each layer of a checked model becomes native code specialised to its
//! exact shapes.
//!
//! The pipeline, one step per module:
//!
//! ```text
//! ir::Layer --lower--> LoopNest (segments: interior loops + border pieces; register blocking)
//!           --emit---> CLIF (cranelift-frontend), one function per layer
//!           --host---> one JITModule per model, finalized once --run--> Vec<Tensor>
//! ```
//!
//! Every size, stride, offset and padding amount is a constant in the generated code, and
//! loads and stores have no bounds checks: the `ir` invariant (shapes proven consistent) is
//! what makes the code memory-safe, and [`Compiled::run`] checks that it is given the model it
//! was compiled for. Generated functions have the C signature
//! `fn(inputs: *const *const f32, output: *mut f32, first_unit: i64, end_unit: i64)`: an
//! array of the layer's input buffers (merges take any number), its output buffer, all
//! allocated by Rust, and the range of work units (rows) to compute, so that threads can
//! split a layer (see `runtime::LayerCode`; the threads are `pool::Workers`).

mod activation;
mod affinity;
mod avx512;
mod compile;
mod emit;
mod host;
pub mod lower;
mod pool;
mod runtime;

use std::fmt;
use std::time::Duration;

pub use compile::compile;
pub use pool::RunError;
pub use runtime::Compiled;

/// How to compile.
#[derive(Debug, Clone)]
pub struct Options {
    /// Run Cranelift's IR verifier on every function (30-80% more compile time): on in debug
    /// builds and tests, off in release builds.
    pub verify: bool,
    /// Keep each layer's machine code as text (Cranelift's VCode listing) in its report.
    pub disassemble: bool,
    /// Keep each layer's Cranelift IR as text (`convc emit --clif`) in its report.
    pub clif: bool,
    /// Keep each layer's machine code bytes (`convc emit --asm` disassembles them).
    pub machine_code: bool,
    /// Whether small filters are compiled in as constants (see [`FoldWeights`]).
    pub fold_weights: FoldWeights,
    /// The most machine code, in bytes, the whole model may compile to (`--max-code-size`).
    pub max_code_size: u64,
    /// Which vector code dense convolutions may use (see [`Simd`]).
    pub simd: Simd,
}

/// The vector code of dense and grouped convolutions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Simd {
    /// AVX-512 kernels where the host has AVX-512F (x86-64), the portable f32x4 code
    /// elsewhere.
    #[default]
    Auto,
    /// The portable f32x4 code everywhere (what every non-AVX-512 host runs).
    Portable,
}

/// Lowers a convolution to the loop nest `compile` emits for it under `options`.
pub fn conv_nest(
    conv: &crate::ir::Conv,
    batch: usize,
    options: &Options,
) -> Result<lower::LoopNest, JitError> {
    let mut nest = lower::lower_conv(conv, batch, options.fold_weights)?;
    avx512::widen(&mut nest, conv, avx512::enabled(options.simd));
    Ok(nest)
}

/// Compiling a filter's weights into the code: zero taps vanish, taps of 1 and -1 become
/// additions and subtractions, the others multiplications by a constant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FoldWeights {
    /// Where it was measured to pay (see `lower::should_fold`).
    #[default]
    Auto,
    /// Every layer whose filters are small enough to fold at all.
    Always,
    /// Never: weights are data the kernel loads.
    Never,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            verify: cfg!(debug_assertions),
            disassemble: false,
            clif: false,
            machine_code: false,
            fold_weights: FoldWeights::Auto,
            max_code_size: crate::limits::DEFAULT_MAX_CODE_SIZE,
            simd: Simd::Auto,
        }
    }
}

/// Why a model could not be compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JitError {
    /// Cranelift cannot generate code for this machine.
    HostUnsupported(String),
    /// A layer shape the JIT does not handle (it says which and why).
    Unsupported(String),
    /// Cranelift rejected the generated code: a bug in convc.
    Cranelift(String),
    /// The code would exceed `--max-code-size`.
    CodeTooLarge(crate::limits::LimitExceeded),
    /// A stop was requested ([`crate::cancel`]) while compiling.
    Cancelled,
}

impl fmt::Display for JitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JitError::HostUnsupported(why) => write!(
                f,
                "the JIT cannot generate code for this machine ({why}); \
                 run with `--backend interp` instead"
            ),
            JitError::Unsupported(what) => write!(
                f,
                "the JIT cannot compile this layer: {what}; run with `--backend interp` instead"
            ),
            JitError::Cranelift(what) => write!(
                f,
                "internal error: Cranelift rejected the generated code ({what}); \
                 please report it, and run with `--backend interp` meanwhile"
            ),
            JitError::CodeTooLarge(refused) => {
                write!(f, "{}\n  = help: {}", refused.message(), refused.hint())
            }
            JitError::Cancelled => write!(f, "compiling was stopped on request"),
        }
    }
}

impl std::error::Error for JitError {}

impl JitError {
    /// Its code in docs/errors.md.
    pub fn code(&self) -> crate::diagnostic::Code {
        use crate::diagnostic::Code;
        match self {
            JitError::HostUnsupported(_) => Code::HostUnsupported,
            JitError::Unsupported(_) => Code::JitUnsupported,
            JitError::Cranelift(_) => Code::CraneliftRejected,
            JitError::CodeTooLarge(refused) => refused.code,
            JitError::Cancelled => Code::Interrupted,
        }
    }

    /// The error as a diagnostic (it is not located in the spec).
    pub fn diagnostic(&self) -> crate::diagnostic::Diagnostic {
        if let JitError::CodeTooLarge(refused) = self {
            return refused.diagnostic(None);
        }
        crate::diagnostic::Diagnostic::error_unlocated(self.code(), self.to_string())
    }
}

/// What was compiled for one layer, and what it cost.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerReport {
    /// The layer's name in the model.
    pub name: String,
    /// The op as written (`conv2d`).
    pub op: String,
    /// Lowering, emitting and compiling the layer's function (its share of the module's
    /// one-time costs is not included: see [`Compiled::finalize_time`]).
    pub compile_time: Duration,
    /// The kernel chosen, for `-v` and `emit --loops` (`broadcast 5x2xf32x4`, ...).
    pub kernel: String,
    /// Size of the machine code in bytes.
    pub code_bytes: usize,
    /// The machine code as text, with [`Options::disassemble`].
    pub disassembly: Option<String>,
    /// The function's Cranelift IR as text, with [`Options::clif`].
    pub clif: Option<String>,
    /// The machine code, with [`Options::machine_code`]; relocations (data addresses) are
    /// still unresolved, so their immediates read as zero.
    pub machine_code: Option<Vec<u8>>,
    /// With [`Options::machine_code`]: the AVX-512 block kernels the function calls (see
    /// `avx512`), each one's machine code.
    pub asm_kernels: Vec<Vec<u8>>,
}

/// The differential harness (random models, tolerance, guard pages), shared by the tests and
/// the fuzz targets.
#[cfg(any(test, feature = "fuzzing"))]
pub mod harness;
#[cfg(test)]
mod tests;
