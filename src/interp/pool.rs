//! Max and average pooling, windowed and global.

use super::merge::nan_max;
use super::window::{row_major, source_cell, Counter};
use super::Poll;
use crate::cancel::Cancelled;
use crate::ir::{GlobalPool, PaddingMode, Pool, PoolKind, Tensor};

/// `output[b, o..., c]` = the max or the mean of `input[b, o*stride + t*dilation - pad_before
/// ..., c]` over the window's taps `t` that land on real cells. Padded cells never take part:
/// max ignores them, and average divides by the number of real cells (Keras's `same` does this;
/// counting padding would shrink border averages towards 0).
///
/// A window that covers only padding (possible only with explicit padding at least as wide as
/// the window) has no value to take; it gives 0 for both kinds. That is a placeholder, not a
/// maximum or a mean: -inf (the identity of max) or NaN (0/0) would be more literal but would
/// spread through every later layer (`-inf * 0` is NaN in the next convolution). Keras cannot
/// express such a window and PyTorch rejects padding over half the window, so the checker may
/// reject it too; this is only what the interpreter does if it does not.
/// `poll` is asked before every output position whether to stop.
pub(super) fn pool(
    pool: &Pool,
    input: &Tensor,
    out_shape: &[usize],
    poll: Poll,
) -> Result<Tensor, Cancelled> {
    let batch = input.shape[0];
    let channels = input.shape[input.shape.len() - 1];
    let in_cells: usize = pool.axes.iter().map(|a| a.in_len).product();
    let out_spatial: Vec<usize> = pool.axes.iter().map(|a| a.out_len).collect();
    let out_cells: usize = out_spatial.iter().product();
    let window: Vec<usize> = pool.axes.iter().map(|a| a.kernel).collect();

    let mut output = Tensor::zeros(out_shape.to_vec());
    for b in 0..batch {
        let mut positions = Counter::new(&out_spatial);
        while let Some(out_pos) = positions.advance() {
            poll()?;
            let out_start = (b * out_cells + row_major(&out_spatial, out_pos)) * channels;
            for c in 0..channels {
                let mut reduction = Reduction::new(pool.kind);
                let mut taps = Counter::new(&window);
                while let Some(tap) = taps.advance() {
                    // `Zeros` here only means "padded cells are absent".
                    if let Some(cell) = source_cell(&pool.axes, out_pos, tap, PaddingMode::Zeros) {
                        reduction.add(input.data[(b * in_cells + cell) * channels + c]);
                    }
                }
                output.data[out_start + c] = reduction.result();
            }
        }
    }
    Ok(output)
}

/// Reduces all spatial axes: `output[b, c]` is the max or the mean of `input[b, ..., c]`. With
/// `keepdims` the output has the same data under the shape `(batch, 1..., channels)`.
/// `poll` is asked before every channel of every item whether to stop.
pub(super) fn global_pool(
    pool: &GlobalPool,
    input: &Tensor,
    out_shape: &[usize],
    poll: Poll,
) -> Result<Tensor, Cancelled> {
    let batch = input.shape[0];
    let channels = input.shape[input.shape.len() - 1];
    let cells: usize = input.shape[1..input.shape.len() - 1].iter().product();

    let mut output = Tensor::zeros(out_shape.to_vec());
    for b in 0..batch {
        for c in 0..channels {
            poll()?;
            let mut reduction = Reduction::new(pool.kind);
            for cell in 0..cells {
                reduction.add(input.data[(b * cells + cell) * channels + c]);
            }
            output.data[b * channels + c] = reduction.result();
        }
    }
    Ok(output)
}

/// A running max or mean over the real cells of one window. The max propagates NaN (like XLA's
/// max, which Keras's JAX backend uses); the mean sums in f64 and rounds once.
struct Reduction {
    kind: PoolKind,
    count: usize,
    max: f32,
    sum: f64,
}

impl Reduction {
    fn new(kind: PoolKind) -> Reduction {
        Reduction {
            kind,
            count: 0,
            max: f32::NEG_INFINITY,
            sum: 0.0,
        }
    }

    fn add(&mut self, x: f32) {
        self.count += 1;
        self.max = nan_max(self.max, x);
        self.sum += f64::from(x);
    }

    fn result(&self) -> f32 {
        if self.count == 0 {
            // A window of padding only: see `pool`.
            return 0.0;
        }
        match self.kind {
            PoolKind::Max => self.max,
            PoolKind::Average => (self.sum / self.count as f64) as f32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::{AxisGeometry, AxisPadding};
    use crate::interp::testing::{axis, axis_with, out_shape, pad, tensor};

    fn run(kind: PoolKind, axes: Vec<AxisGeometry>, input: &Tensor) -> Vec<f32> {
        let channels = input.shape[input.shape.len() - 1];
        let shape = out_shape(input.shape[0], &axes, channels);
        let output = pool(&Pool { kind, axes }, input, &shape, &|| Ok(())).unwrap();
        assert_eq!(output.shape, shape);
        output.data
    }

    /// Keras's default: stride = pool size.
    fn pool1d(kind: PoolKind, signal: &[f32], size: usize, padding: AxisPadding) -> Vec<f32> {
        let axes = vec![axis_with(signal.len(), size, size, 1, padding)];
        run(kind, axes, &tensor(&[1, signal.len(), 1], signal))
    }

    #[test]
    fn max_pooling_valid() {
        // Windows (1 3) (2 5) (4 0).
        let out = pool1d(
            PoolKind::Max,
            &[1., 3., 2., 5., 4., 0.],
            2,
            AxisPadding::Valid,
        );
        assert_eq!(out, [3., 5., 4.]);
    }

    #[test]
    fn max_pooling_ignores_padded_cells() {
        // Pool 2, stride 1, same over -1 -2 -3: total padding 2*1+2-3 = 1, after. Windows
        // (-1 -2) (-2 -3) (-3 pad): the last is -3, not the 0 a zero pad would give.
        let axes = vec![axis(3, 2, AxisPadding::Same)];
        let out = run(PoolKind::Max, axes, &tensor(&[1, 3, 1], &[-1., -2., -3.]));
        assert_eq!(out, [-1., -2., -3.]);
    }

    #[test]
    fn average_pooling_divides_by_real_cells() {
        // Pool 2, stride 2, same over 1..5: out 3, total padding 2*2+2-5 = 1, after.
        // (1+2)/2, (3+4)/2, and 5/1 (not 5/2: the padded cell does not count).
        let out = pool1d(
            PoolKind::Average,
            &[1., 2., 3., 4., 5.],
            2,
            AxisPadding::Same,
        );
        assert_eq!(out, [1.5, 3.5, 5.]);
    }

    #[test]
    fn average_pooling_2d_same() {
        // 3x3 image 1..9, 3x3 window, stride 1, same: one padded row/column on each side.
        // Corner (0,0): 1+2+4+5 = 12 over 4 real cells = 3.
        // Edge (0,1): 1+2+3+4+5+6 = 21 over 6 = 3.5.
        // Centre: 45 / 9 = 5.
        // Corner (2,2): 5+6+8+9 = 28 / 4 = 7.
        let image: Vec<f32> = (1..=9).map(|v| v as f32).collect();
        let side = axis(3, 3, AxisPadding::Same);
        let out = run(
            PoolKind::Average,
            vec![side, side],
            &tensor(&[1, 3, 3, 1], &image),
        );
        assert_eq!(out[0], 3.);
        assert_eq!(out[1], 3.5);
        assert_eq!(out[4], 5.);
        assert_eq!(out[8], 7.);
        // Edge (1,0): 1+2+4+5+7+8 = 27 / 6 = 4.5.
        assert_eq!(out[3], 4.5);
    }

    #[test]
    fn pooling_keeps_channels_apart() {
        // Two channels interleaved: (1, 10) (2, 20) (3, 30) (4, 40), pool 2 valid.
        // Max: (2, 20) (4, 40); average: (1.5, 15) (3.5, 35).
        let input = tensor(&[1, 4, 2], &[1., 10., 2., 20., 3., 30., 4., 40.]);
        let axes = || vec![axis_with(4, 2, 2, 1, AxisPadding::Valid)];
        assert_eq!(run(PoolKind::Max, axes(), &input), [2., 20., 4., 40.]);
        assert_eq!(run(PoolKind::Average, axes(), &input), [1.5, 15., 3.5, 35.]);
    }

    #[test]
    fn windows_of_padding_only_give_zero() {
        // `7` padded by 2 before, window 1: positions -2 and -1 have no real cell.
        let axes = || vec![axis(1, 1, pad(2, 0))];
        let input = tensor(&[1, 1, 1], &[7.]);
        assert_eq!(run(PoolKind::Max, axes(), &input), [0., 0., 7.]);
        assert_eq!(run(PoolKind::Average, axes(), &input), [0., 0., 7.]);
    }

    #[test]
    fn max_propagates_nan() {
        let out = pool1d(
            PoolKind::Max,
            &[1., f32::NAN, 3., 2.],
            2,
            AxisPadding::Valid,
        );
        assert!(out[0].is_nan());
        assert_eq!(out[1], 3.);
    }

    fn global(kind: PoolKind, keepdims: bool, input: &Tensor, out_shape: &[usize]) -> Tensor {
        global_pool(&GlobalPool { kind, keepdims }, input, out_shape, &|| Ok(())).unwrap()
    }

    #[test]
    fn global_pooling_reduces_every_spatial_axis() {
        // (1, 2, 2, 2): channel 0 holds 1 2 3 4, channel 1 holds 10 20 30 40.
        // Average: 10/4 = 2.5 and 100/4 = 25; max: 4 and 40.
        let input = tensor(&[1, 2, 2, 2], &[1., 10., 2., 20., 3., 30., 4., 40.]);
        let out = global(PoolKind::Average, false, &input, &[1, 2]);
        assert_eq!(out, tensor(&[1, 2], &[2.5, 25.]));
        let out = global(PoolKind::Max, true, &input, &[1, 1, 1, 2]);
        assert_eq!(out, tensor(&[1, 1, 1, 2], &[4., 40.]));
    }

    #[test]
    fn global_pooling_per_batch_item() {
        // Batch 2 of (3, 1): item 0 = 1 5 3, item 1 = -1 -2 -6.
        // Max: 5, -1. Average: 9/3 = 3, -9/3 = -3.
        let input = tensor(&[2, 3, 1], &[1., 5., 3., -1., -2., -6.]);
        assert_eq!(
            global(PoolKind::Max, false, &input, &[2, 1]).data,
            [5., -1.]
        );
        assert_eq!(
            global(PoolKind::Average, false, &input, &[2, 1]).data,
            [3., -3.]
        );
    }

    #[test]
    fn pooling_batch_two_3d() {
        // Batch 2 of a 2x2x2 single-channel volume, pool 2 valid: one output per item, the
        // max (8, then 16) of the values 1..8 and 9..16.
        let data: Vec<f32> = (1..=16).map(|v| v as f32).collect();
        let side = || axis_with(2, 2, 2, 1, AxisPadding::Valid);
        let axes = vec![side(), side(), side()];
        let out = run(PoolKind::Max, axes, &tensor(&[2, 2, 2, 2, 1], &data));
        assert_eq!(out, [8., 16.]);
    }
}
