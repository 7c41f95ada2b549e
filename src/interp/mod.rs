//! The reference interpreter: the definition of convc's semantics.
//!
//! Every layer is computed with plain nested loops in the order one would write them on paper;
//! speed is the JIT's business. One generic implementation serves 1, 2 and 3 spatial axes
//! ([`window::Counter`] stands in for the nested loops over positions and taps).
//!
//! **Precision.** Each output value is computed as exactly as f64 allows and rounded to f32
//! once: a convolution multiplies f32 inputs by f32 weights (each product is exact in f64),
//! sums the products in f64, adds the bias in f64, applies the activation in f64, and only then
//! rounds. Merges and average pooling likewise sum in f64 and round once. The result is the
//! exact real-number answer up to f64 error (relative ~1e-16 per operation, far below f32's
//! 6e-8) and then one f32 rounding, so it does not depend on summation order. Keras/XLA sum in
//! f32 in some order of their own; they differ from this interpreter by f32 rounding only, and
//! that difference is what a tolerance has to allow when comparing them (or the JIT) to it.
//!
//! **Layout.** Tensors are row-major channels-last: `(batch, spatial..., channels)`.

mod activation;
mod conv;
mod erf;
mod merge;
mod pool;
mod window;

#[cfg(test)]
mod testing;

pub use activation::activate;

use crate::ir::{Layer, Model, Op, Tensor, ValueKind};

/// Computes every value of the model (inputs included), indexed like `model.values`.
///
/// Relies on the [`crate::ir`] invariant: values are in topological order and every shape is
/// consistent, so each layer's inputs have already been computed.
pub fn run(model: &Model) -> Vec<Tensor> {
    let mut results: Vec<Tensor> = Vec::with_capacity(model.values.len());
    for value in &model.values {
        let tensor = match &value.kind {
            ValueKind::Input(tensor) => tensor.clone(),
            ValueKind::Layer(layer) => {
                let inputs: Vec<&Tensor> = layer.inputs.iter().map(|&id| &results[id]).collect();
                run_layer(layer, &inputs, &value.shape)
            }
        };
        results.push(tensor);
    }
    results
}

/// Computes one layer from its input tensors (in the order of `layer.inputs`); `out_shape` is
/// the layer's checked output shape.
pub fn run_layer(layer: &Layer, inputs: &[&Tensor], out_shape: &[usize]) -> Tensor {
    match &layer.op {
        Op::Conv(op) => conv::conv(op, inputs[0], out_shape),
        Op::Pool(op) => pool::pool(op, inputs[0], out_shape),
        Op::GlobalPool(op) => pool::global_pool(op, inputs[0], out_shape),
        Op::Activation(act) => {
            let mut output = Tensor {
                shape: out_shape.to_vec(),
                data: inputs[0].data.clone(),
            };
            let channels = out_shape.last().copied().unwrap_or(1);
            activate(*act, &mut output.data, channels);
            output
        }
        Op::Merge(kind) => merge::merge(*kind, inputs, out_shape),
        Op::Concatenate => merge::concatenate(inputs, out_shape),
    }
}
