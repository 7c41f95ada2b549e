//! Convolution (cross-correlation) over 1, 2 or 3 spatial axes, grouped or not.

use super::activation::activate_f64;
use super::window::{row_major, source_cell, Counter};
use crate::ir::{Conv, Tensor};

/// `output[b, o..., f] = act(bias[f] + sum over taps t... and ci of
/// input[b, o*stride + t*dilation - pad_before ..., g*cpg + ci] * kernel[t..., ci, f])`,
/// where `g = f / filters_per_group` is the group of filter `f` and `cpg` the input channels
/// per group. Padded cells read per the padding mode (see [`super::window::source_cell`]).
///
/// The sum of products and the bias are accumulated in f64, the activation is applied in f64,
/// and the result is rounded to f32 once (see the module documentation of [`super`]).
pub(super) fn conv(conv: &Conv, input: &Tensor, out_shape: &[usize]) -> Tensor {
    let batch = input.shape[0];
    let in_spatial: Vec<usize> = conv.axes.iter().map(|a| a.in_len).collect();
    let out_spatial: Vec<usize> = conv.axes.iter().map(|a| a.out_len).collect();
    let kernel_size = conv.kernel_size();
    let in_cells: usize = in_spatial.iter().product();
    let out_cells: usize = out_spatial.iter().product();
    let channels_per_group = conv.channels_per_group();
    let filters_per_group = conv.filters_per_group();

    let mut output = Tensor::zeros(out_shape.to_vec());
    // The f64 results of every filter at one output position, activated together (softmax
    // needs them all) before they are rounded.
    let mut sums = vec![0.0_f64; conv.filters];
    for b in 0..batch {
        let mut positions = Counter::new(&out_spatial);
        while let Some(out_pos) = positions.advance() {
            for (filter, sum) in sums.iter_mut().enumerate() {
                let group = filter / filters_per_group;
                let first_channel = group * channels_per_group;
                let mut acc = 0.0_f64;
                let mut taps = Counter::new(&kernel_size);
                while let Some(tap) = taps.advance() {
                    // A zero-padded cell contributes nothing.
                    let Some(cell) = source_cell(&conv.axes, out_pos, tap, conv.padding_mode)
                    else {
                        continue;
                    };
                    let tap_index = row_major(&kernel_size, tap);
                    for ci in 0..channels_per_group {
                        let x = input.data
                            [(b * in_cells + cell) * conv.in_channels + first_channel + ci];
                        // Kernel layout kernel_size + (channels_per_group, filters).
                        let w = conv.kernel
                            [(tap_index * channels_per_group + ci) * conv.filters + filter];
                        // Exact: the product of two f32s fits in an f64's 53 bits.
                        acc += f64::from(x) * f64::from(w);
                    }
                }
                let bias = conv
                    .bias
                    .as_ref()
                    .map_or(0.0, |bias| f64::from(bias[filter]));
                *sum = acc + bias;
            }
            activate_f64(conv.activation, &mut sums);
            let out_start = (b * out_cells + row_major(&out_spatial, out_pos)) * conv.filters;
            for (out, &sum) in output.data[out_start..out_start + conv.filters]
                .iter_mut()
                .zip(&sums)
            {
                *out = sum as f32;
            }
        }
    }
    output
}
