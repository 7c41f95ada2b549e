//! The differential harness: random models ([`models`], [`multi`]), the tolerance the JIT
//! must meet against the interpreter ([`tolerance`]) and buffers flush against inaccessible
//! pages ([`guard`]). The JIT's tests (`jit::tests`) and the `jit_vs_interp` fuzz target
//! (`crate::fuzzing`, feature `fuzzing`) both use it.

#[cfg(unix)]
pub mod guard;
pub mod models;
pub mod multi;
pub mod tolerance;

use super::{compile, FoldWeights, Options, Simd};
use crate::interp;
use crate::ir::Model;

/// Runs both backends and compares the last value within its tolerance, folding weights as
/// `fold_weights` says.
pub fn agree_folded(model: &Model, fold_weights: FoldWeights) -> Result<(), String> {
    agree_with(model, fold_weights, Simd::Auto)
}

/// [`agree_folded`] with the given vector code (AVX-512 kernels or the portable f32x4 code).
pub fn agree_with(model: &Model, fold_weights: FoldWeights, simd: Simd) -> Result<(), String> {
    let compiled = compile(
        model,
        &Options {
            verify: true,
            disassemble: false,
            fold_weights,
            simd,
            ..Options::default()
        },
    )
    .map_err(|e| e.to_string())?;
    let jit = compiled.run(model, 1).map_err(|e| e.to_string())?;
    let reference = interp::run(model);
    let last = model.values.len() - 1;
    let tolerance = tolerance::tolerances(model);
    for (i, (&j, &r)) in jit[last].data.iter().zip(&reference[last].data).enumerate() {
        let ok = if j.is_nan() || r.is_nan() {
            j.is_nan() && r.is_nan()
        } else if j.is_infinite() || r.is_infinite() {
            j == r
        } else {
            (f64::from(j) - f64::from(r)).abs() <= tolerance[i]
        };
        if !ok {
            return Err(format!(
                "value {i}: jit {j}, interp {r}, tolerance {}",
                tolerance[i]
            ));
        }
    }
    if jit[last].shape != reference[last].shape {
        return Err("shapes differ".into());
    }
    Ok(())
}
