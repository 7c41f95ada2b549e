//! Max and average pooling, windowed and global.

use super::merge::nan_max;
use super::window::{row_major, source_cell, Counter};
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
pub(super) fn pool(pool: &Pool, input: &Tensor, out_shape: &[usize]) -> Tensor {
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
    output
}

/// Reduces all spatial axes: `output[b, c]` is the max or the mean of `input[b, ..., c]`. With
/// `keepdims` the output has the same data under the shape `(batch, 1..., channels)`.
pub(super) fn global_pool(pool: &GlobalPool, input: &Tensor, out_shape: &[usize]) -> Tensor {
    let batch = input.shape[0];
    let channels = input.shape[input.shape.len() - 1];
    let cells: usize = input.shape[1..input.shape.len() - 1].iter().product();

    let mut output = Tensor::zeros(out_shape.to_vec());
    for b in 0..batch {
        for c in 0..channels {
            let mut reduction = Reduction::new(pool.kind);
            for cell in 0..cells {
                reduction.add(input.data[(b * cells + cell) * channels + c]);
            }
            output.data[b * channels + c] = reduction.result();
        }
    }
    output
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
