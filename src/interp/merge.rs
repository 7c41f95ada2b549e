//! Merges: elementwise over inputs of one shape, and concatenation on the channel axis.

use super::{Poll, POLL_EVERY};
use crate::cancel::Cancelled;
use crate::ir::{MergeKind, Tensor};

/// Combines the inputs element by element (the checker guarantees equal shapes, at least one
/// input, and exactly two for `subtract`). Sums and products are formed in f64 and rounded once,
/// so that `add` of many inputs does not depend on their order; `maximum` and `minimum` are
/// exact in f32 and propagate NaN.
/// `poll` is asked every [`POLL_EVERY`] values whether to stop.
pub(super) fn merge(
    kind: MergeKind,
    inputs: &[&Tensor],
    out_shape: &[usize],
    poll: Poll,
) -> Result<Tensor, Cancelled> {
    let mut output = Tensor::zeros(out_shape.to_vec());
    for (i, out) in output.data.iter_mut().enumerate() {
        if i % POLL_EVERY == 0 {
            poll()?;
        }
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
    Ok(output)
}

/// Joins the inputs along the last (channel) axis, in order: at every position, the channels of
/// the first input, then those of the second, and so on.
/// `poll` is asked every [`POLL_EVERY`] positions whether to stop.
pub(super) fn concatenate(
    inputs: &[&Tensor],
    out_shape: &[usize],
    poll: Poll,
) -> Result<Tensor, Cancelled> {
    let mut output = Tensor::zeros(out_shape.to_vec());
    let out_channels = out_shape.last().copied().unwrap_or(1);
    if out_channels == 0 {
        return Ok(output);
    }
    let positions = output.data.len() / out_channels;
    let mut out_index = 0;
    for position in 0..positions {
        if position % POLL_EVERY == 0 {
            poll()?;
        }
        for input in inputs {
            let channels = input.shape.last().copied().unwrap_or(1);
            let start = position * channels;
            for &x in &input.data[start..start + channels] {
                output.data[out_index] = x;
                out_index += 1;
            }
        }
    }
    Ok(output)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interp::testing::tensor;

    fn concat(inputs: &[&Tensor], out_shape: &[usize]) -> Tensor {
        concatenate(inputs, out_shape, &|| Ok(())).unwrap()
    }

    fn combine(kind: MergeKind, inputs: &[&Tensor]) -> Vec<f32> {
        merge(kind, inputs, &inputs[0].shape, &|| Ok(()))
            .unwrap()
            .data
    }

    #[test]
    fn elementwise_merges() {
        // Batch 2, length 1, 2 channels, so that every element is a distinct position.
        let a = tensor(&[2, 1, 2], &[1., 2., 3., -4.]);
        let b = tensor(&[2, 1, 2], &[10., 20., -30., 40.]);
        let c = tensor(&[2, 1, 2], &[100., 200., 300., 400.]);
        // 1+10+100, 2+20+200, 3-30+300, -4+40+400.
        assert_eq!(
            combine(MergeKind::Add, &[&a, &b, &c]),
            [111., 222., 273., 436.]
        );
        assert_eq!(
            combine(MergeKind::Subtract, &[&a, &b]),
            [-9., -18., 33., -44.]
        );
        // 1*10*100, 2*20*200, 3*-30*300, -4*40*400.
        assert_eq!(
            combine(MergeKind::Multiply, &[&a, &b, &c]),
            [1000., 8000., -27000., -64000.]
        );
        assert_eq!(
            combine(MergeKind::Maximum, &[&a, &b, &c]),
            [100., 200., 300., 400.]
        );
        assert_eq!(
            combine(MergeKind::Minimum, &[&a, &b, &c]),
            [1., 2., -30., -4.]
        );
        // (1+10)/2, (2+20)/2, (3-30)/2, (-4+40)/2.
        assert_eq!(
            combine(MergeKind::Average, &[&a, &b]),
            [5.5, 11., -13.5, 18.]
        );
    }

    #[test]
    fn sums_are_rounded_once() {
        // 2^24 + 1 + 1: in f32, (2^24 + 1) rounds to 2^24 and so does adding the second 1;
        // exactly, it is 2^24 + 2, an f32. The average of 2^24, 1, 2 is (2^24 + 3)/3 =
        // 5592406.333.., which rounds to the f32 5592406.5 (f32 spacing there is 0.5).
        let big = tensor(&[1, 1], &[16_777_216.]);
        let one = tensor(&[1, 1], &[1.]);
        let two = tensor(&[1, 1], &[2.]);
        assert_eq!(combine(MergeKind::Add, &[&big, &one, &one]), [16_777_218.]);
        assert_eq!(
            combine(MergeKind::Average, &[&big, &one, &two]),
            [5_592_406.5]
        );
    }

    #[test]
    fn maximum_and_minimum_propagate_nan() {
        let a = tensor(&[1, 2], &[f32::NAN, 1.]);
        let b = tensor(&[1, 2], &[5., f32::NAN]);
        assert!(combine(MergeKind::Maximum, &[&a, &b])
            .iter()
            .all(|x| x.is_nan()));
        assert!(combine(MergeKind::Minimum, &[&b, &a])
            .iter()
            .all(|x| x.is_nan()));
    }

    #[test]
    fn concatenate_joins_channels_in_order() {
        // Two positions; a has 1 channel, b has 2: (a0 b0 b0') (a1 b1 b1').
        let a = tensor(&[1, 2, 1], &[1., 2.]);
        let b = tensor(&[1, 2, 2], &[10., 11., 20., 21.]);
        let out = concat(&[&a, &b], &[1, 2, 3]);
        assert_eq!(out, tensor(&[1, 2, 3], &[1., 10., 11., 2., 20., 21.]));
        // The other order puts b's channels first.
        let out = concat(&[&b, &a], &[1, 2, 3]);
        assert_eq!(out.data, [10., 11., 1., 20., 21., 2.]);
    }

    #[test]
    fn concatenate_batch_two_after_global_pooling() {
        // (batch, channels) tensors: rows are batch items.
        let a = tensor(&[2, 1], &[1., 2.]);
        let b = tensor(&[2, 1], &[3., 4.]);
        assert_eq!(concat(&[&a, &b], &[2, 2]).data, [1., 3., 2., 4.]);
    }
}
