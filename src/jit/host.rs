//! The host: Cranelift's ISA for this machine and the JIT module that holds a model's code.

use super::{activation, JitError, Options};
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_jit::{JITBuilder, JITModule};
use std::sync::Arc;

/// The ISA for the host with convc's settings, and whether it has fused multiply-add.
pub fn isa(options: &Options) -> Result<(OwnedTargetIsa, bool), JitError> {
    let mut flags = settings::builder();
    // `opt_level=none` keeps instructions in the order the generator scheduled them; `speed`
    // sinks every multiply-add after all loads in a blocked kernel and spills (measured 2x
    // slower). Backtracking register allocation runs ~3x faster code than `single_pass`.
    let settings = [
        ("opt_level", "none"),
        ("regalloc_algorithm", "backtracking"),
        ("is_pic", "false"),
        (
            "enable_verifier",
            if options.verify { "true" } else { "false" },
        ),
    ];
    for (name, value) in settings {
        flags
            .set(name, value)
            .map_err(|e| JitError::Cranelift(format!("setting {name}={value}: {e}")))?;
    }
    let builder =
        cranelift_native::builder().map_err(|why| JitError::HostUnsupported(why.into()))?;
    let isa = builder
        .finish(settings::Flags::new(flags))
        .map_err(|e| JitError::HostUnsupported(e.to_string()))?;
    // aarch64 always has fused multiply-add; x64 reports FMA3 as `has_fma`.
    let has_fma = isa.name() == "aarch64"
        || isa
            .isa_flags()
            .iter()
            .any(|f| f.name == "has_fma" && f.as_bool() == Some(true));
    Ok((isa, has_fma))
}

/// A JIT module for one model, with the activation helper registered.
pub fn module(isa: OwnedTargetIsa) -> JITModule {
    let mut builder =
        JITBuilder::with_isa(Arc::clone(&isa), cranelift_module::default_libcall_names());
    builder.symbol(
        activation::HELPER_SYMBOL,
        activation::convc_jit_activate as *const u8,
    );
    JITModule::new(builder)
}
