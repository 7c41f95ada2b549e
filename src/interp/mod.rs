//! The reference interpreter: the definition of convc's semantics.
//!
//! Every layer is computed with plain nested loops in the order one would write them on paper;
//! speed is the JIT's business. One generic implementation serves 1, 2 and 3 spatial axes
//! (`window::Counter` stands in for the nested loops over positions and taps).
//!
//! **Precision.** Each output value is computed as exactly as f64 allows and rounded to f32
//! once: a convolution multiplies f32 inputs by f32 weights (each product is exact in f64),
//! sums the products in f64, adds the bias in f64, applies the activation in f64, and only then
//! rounds. Merges and average pooling likewise sum in f64 and round once. The result is the
//! exact real-number answer up to f64 error (for a sum of n terms, at most about n * 1e-16 times
//! the sum of their magnitudes: far below f32's relative rounding of 6e-8 unless the terms
//! cancel almost completely), then rounded to f32 once, so it does not depend on summation
//! order. Keras/XLA sum in f32 in an order of their own; they differ from this interpreter by
//! f32 rounding only, and that difference is what a tolerance must allow when comparing them
//! (or the JIT) to it.
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

pub use activation::{activate, activate_f64};
// `explain` shows which cell a padded tap reads; it must be the interpreter's own mapping.
pub use crate::geometry::border_index;

use crate::cancel::{self, Cancelled};
use crate::ir::{Layer, Model, Op, Tensor, ValueId, ValueKind};

/// Asked, in long loops, whether to stop: `Err` ends the computation.
pub(crate) type Poll<'a> = &'a dyn Fn() -> Result<(), Cancelled>;

/// Elementwise loops poll once per this many values (a few microseconds of work).
pub(crate) const POLL_EVERY: usize = 1 << 14;

/// Computes every value of the model (inputs included), indexed like `model.values`, without
/// ever stopping early (for tests and for tools that never request a stop; a run on behalf of
/// a person goes through [`run_observed`]).
///
/// Relies on the [`crate::ir`] invariant: values are in topological order and every shape is
/// consistent, so each layer's inputs have already been computed.
pub fn run(model: &Model) -> Vec<Tensor> {
    match run_polled(model, &mut |_| {}, &|| Ok(())) {
        Ok(values) => values,
        Err(Cancelled(_)) => unreachable!("a poll that never stops was asked to stop"),
    }
}

/// [`run`], calling `done` after each value is computed (for a progress bar) and stopping with
/// `Err` soon after a stop is requested ([`crate::cancel`]): between layers, before each
/// output position of a convolution or pooling, every [`POLL_EVERY`] values elsewhere.
pub fn run_observed(
    model: &Model,
    done: &mut dyn FnMut(ValueId),
) -> Result<Vec<Tensor>, Cancelled> {
    run_polled(model, done, &cancel::check)
}

fn run_polled(
    model: &Model,
    done: &mut dyn FnMut(ValueId),
    poll: Poll,
) -> Result<Vec<Tensor>, Cancelled> {
    let mut results: Vec<Tensor> = Vec::with_capacity(model.values.len());
    for value in &model.values {
        poll()?;
        let tensor = match &value.kind {
            ValueKind::Input(tensor) => tensor.clone(),
            ValueKind::Layer(layer) => {
                let inputs: Vec<&Tensor> = layer.inputs.iter().map(|&id| &results[id]).collect();
                layer_polled(layer, &inputs, &value.shape, poll)?
            }
        };
        results.push(tensor);
        done(results.len() - 1);
    }
    Ok(results)
}

/// Computes one layer from its input tensors (in the order of `layer.inputs`); `out_shape` is
/// the layer's checked output shape. Stops with `Err` soon after a stop is requested.
pub fn run_layer(
    layer: &Layer,
    inputs: &[&Tensor],
    out_shape: &[usize],
) -> Result<Tensor, Cancelled> {
    layer_polled(layer, inputs, out_shape, &cancel::check)
}

fn layer_polled(
    layer: &Layer,
    inputs: &[&Tensor],
    out_shape: &[usize],
    poll: Poll,
) -> Result<Tensor, Cancelled> {
    match &layer.op {
        Op::Conv(op) => conv::conv(op, inputs[0], out_shape, poll),
        Op::Pool(op) => pool::pool(op, inputs[0], out_shape, poll),
        Op::GlobalPool(op) => pool::global_pool(op, inputs[0], out_shape, poll),
        Op::Activation(act) => {
            let mut output = Tensor {
                shape: out_shape.to_vec(),
                data: inputs[0].data.clone(),
            };
            let channels = out_shape.last().copied().unwrap_or(1).max(1);
            // Whole positions at a time (softmax reads all channels of one).
            let chunk = channels.saturating_mul(POLL_EVERY);
            for part in output.data.chunks_mut(chunk) {
                poll()?;
                activate(*act, part, channels);
            }
            Ok(output)
        }
        Op::Merge(kind) => merge::merge(*kind, inputs, out_shape, poll),
        Op::Concatenate => merge::concatenate(inputs, out_shape, poll),
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{axis, conv_op, tensor};
    use super::*;
    use crate::geometry::AxisPadding;
    use crate::ir::{Activation, MergeKind, Value};

    fn input(name: &str, tensor: Tensor) -> Value {
        Value {
            name: name.into(),
            shape: tensor.shape.clone(),
            kind: ValueKind::Input(tensor),
        }
    }

    fn layer(name: &str, shape: &[usize], inputs: Vec<usize>, op: Op) -> Value {
        Value {
            name: name.into(),
            shape: shape.to_vec(),
            kind: ValueKind::Layer(Layer {
                op_name: name.into(),
                inputs,
                op,
            }),
        }
    }

    #[test]
    fn run_computes_every_value_in_order() {
        // signal (batch 2): 0 0 0 1 1 0 0 0 and 1 2 3 4 5 6 7 8.
        // bump = conv1d [0 1 0], valid: the middle of each window (cells 1..=6).
        // edge = conv1d [-1 0 1], valid: x[i+2] - x[i].
        // diff = subtract(bump, edge); act = relu(diff); both = concatenate(bump, edge).
        let signal = tensor(
            &[2, 8, 1],
            &[
                0., 0., 0., 1., 1., 0., 0., 0., 1., 2., 3., 4., 5., 6., 7., 8.,
            ],
        );
        let geometry = axis(8, 3, AxisPadding::Valid);
        let bump = conv_op(vec![geometry], 1, 1, &[0., 1., 0.]);
        let edge = conv_op(vec![geometry], 1, 1, &[-1., 0., 1.]);
        let shape = [2, 6, 1];
        let model = Model {
            values: vec![
                input("signal", signal.clone()),
                layer("bump", &shape, vec![0], Op::Conv(bump)),
                layer("edge", &shape, vec![0], Op::Conv(edge)),
                layer("diff", &shape, vec![1, 2], Op::Merge(MergeKind::Subtract)),
                layer("act", &shape, vec![3], Op::Activation(Activation::Relu)),
                layer("both", &[2, 6, 2], vec![1, 2], Op::Concatenate),
            ],
            outputs: vec![4],
            expects: vec![],
        };
        let values = run(&model);
        assert_eq!(values.len(), 6);
        assert_eq!(values[0], signal);
        // Item 0: bump 0 0 1 1 0 0; edge = x[i+2]-x[i] = 0 1 1 -1 -1 0.
        // Item 1: bump 2..=7; edge 2 everywhere.
        assert_eq!(
            values[1].data,
            [0., 0., 1., 1., 0., 0., 2., 3., 4., 5., 6., 7.]
        );
        assert_eq!(
            values[2].data,
            [0., 1., 1., -1., -1., 0., 2., 2., 2., 2., 2., 2.]
        );
        // bump - edge: 0 -1 0 2 1 0 | 0 1 2 3 4 5; relu clears the -1.
        assert_eq!(
            values[3].data,
            [0., -1., 0., 2., 1., 0., 0., 1., 2., 3., 4., 5.]
        );
        assert_eq!(
            values[4],
            tensor(&shape, &[0., 0., 0., 2., 1., 0., 0., 1., 2., 3., 4., 5.])
        );
        assert_eq!(values[5].shape, [2, 6, 2]);
        assert_eq!(values[5].data[..4], [0., 0., 0., 1.]);
    }

    #[test]
    fn activation_layer_softmaxes_the_last_axis() {
        // (1, 2, 2): positions (0, 0) and (3, 3) each softmax to (0.5, 0.5).
        let act = Layer {
            op_name: "activation".into(),
            inputs: vec![0],
            op: Op::Activation(Activation::Softmax),
        };
        let x = tensor(&[1, 2, 2], &[0., 0., 3., 3.]);
        assert_eq!(run_layer(&act, &[&x], &[1, 2, 2]).unwrap().data, [0.5; 4]);
    }
}
