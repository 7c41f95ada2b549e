//! Merges: elementwise over inputs of one shape, and concatenation on the channel axis.

use crate::ir::{MergeKind, Tensor};

/// Combines the inputs element by element (the checker guarantees equal shapes, at least one
/// input, and exactly two for `subtract`). Sums and products are formed in f64 and rounded once,
/// so that `add` of many inputs does not depend on their order; `maximum` and `minimum` are
/// exact in f32 and propagate NaN.
pub(super) fn merge(kind: MergeKind, inputs: &[&Tensor], out_shape: &[usize]) -> Tensor {
    let mut output = Tensor::zeros(out_shape.to_vec());
    for (i, out) in output.data.iter_mut().enumerate() {
        let mut values = inputs.iter().map(|t| t.data[i]);
        let wide = inputs.iter().map(|t| f64::from(t.data[i]));
        *out = match kind {
            MergeKind::Add => wide.sum::<f64>() as f32,
            MergeKind::Subtract => {
                let first = values.next().unwrap_or(0.0);
                let second = values.next().unwrap_or(0.0);
                // f32 subtraction is already correctly rounded; no need to widen.
                first - second
            }
            // Each product of f64s carries f64 rounding only; the result is rounded to f32 once.
            MergeKind::Multiply => wide.product::<f64>() as f32,
            MergeKind::Maximum => values.fold(f32::NEG_INFINITY, nan_max),
            MergeKind::Minimum => values.fold(f32::INFINITY, nan_min),
            MergeKind::Average => (wide.sum::<f64>() / inputs.len() as f64) as f32,
        };
    }
    output
}

/// Joins the inputs along the last (channel) axis, in order: at every position, the channels of
/// the first input, then those of the second, and so on.
pub(super) fn concatenate(inputs: &[&Tensor], out_shape: &[usize]) -> Tensor {
    let mut output = Tensor::zeros(out_shape.to_vec());
    let out_channels = out_shape.last().copied().unwrap_or(1);
    if out_channels == 0 {
        return output;
    }
    let positions = output.data.len() / out_channels;
    let mut out_index = 0;
    for position in 0..positions {
        for input in inputs {
            let channels = input.shape.last().copied().unwrap_or(1);
            let start = position * channels;
            for &x in &input.data[start..start + channels] {
                output.data[out_index] = x;
                out_index += 1;
            }
        }
    }
    output
}

/// `max(a, b)`, NaN if either is NaN (XLA's and `jnp.maximum`'s rule; Rust's `f32::max`
/// would return the other operand).
pub(super) fn nan_max(a: f32, b: f32) -> f32 {
    if a.is_nan() || b.is_nan() {
        f32::NAN
    } else {
        a.max(b)
    }
}

/// `min(a, b)`, NaN if either is NaN.
pub(super) fn nan_min(a: f32, b: f32) -> f32 {
    if a.is_nan() || b.is_nan() {
        f32::NAN
    } else {
        a.min(b)
    }
}
