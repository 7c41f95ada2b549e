//! Convolution (cross-correlation) over 1, 2 or 3 spatial axes, grouped or not.

use super::activation::activate_f64;
use super::window::{row_major, source_cell, Counter};
use super::Poll;
use crate::cancel::Cancelled;
use crate::ir::{Conv, Tensor};

/// `output[b, o..., f] = act(bias[f] + sum over taps t... and ci of
/// input[b, o*stride + t*dilation - pad_before ..., g*cpg + ci] * kernel[t..., ci, f])`,
/// where `g = f / filters_per_group` is the group of filter `f` and `cpg` the input channels
/// per group. Padded cells read per the padding mode (see [`super::window::source_cell`]).
///
/// The sum of products and the bias are accumulated in f64, the activation is applied in f64,
/// and the result is rounded to f32 once (see the module documentation of [`super`]).
/// `poll` is asked before every output position whether to stop.
pub(super) fn conv(
    conv: &Conv,
    input: &Tensor,
    out_shape: &[usize],
    poll: Poll,
) -> Result<Tensor, Cancelled> {
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
            poll()?;
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
    Ok(output)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::{AxisGeometry, AxisPadding};
    use crate::interp::testing::{axis, axis_with, conv_op, out_shape, pad, tensor};
    use crate::ir::{Activation, PaddingMode};

    /// Runs `op` on `input` and returns the output data (the shape is checked against the
    /// geometry).
    fn run(op: &Conv, input: &Tensor) -> Vec<f32> {
        let shape = out_shape(input.shape[0], &op.axes, op.filters);
        let output = conv(op, input, &shape, &|| Ok(())).unwrap();
        assert_eq!(output.shape, shape);
        output.data
    }

    /// A 1-channel, 1-filter conv1d over `signal`.
    fn conv1d(signal: &[f32], kernel: &[f32], geometry: AxisGeometry) -> Vec<f32> {
        let op = conv_op(vec![geometry], 1, 1, kernel);
        run(&op, &tensor(&[1, signal.len(), 1], signal))
    }

    #[test]
    fn tutorial_bump_detector() {
        // [0 1 0] picks the middle cell of each window of 0 0 0 1 1 0 0 0.
        let signal = [0., 0., 0., 1., 1., 0., 0., 0.];
        let out = conv1d(&signal, &[0., 1., 0.], axis(8, 3, AxisPadding::Valid));
        assert_eq!(out, [0., 0., 1., 1., 0., 0.]);
    }

    #[test]
    fn tutorial_vertical_line_detector() {
        // Every row is 0 0 0 1 1 0 0 0; the kernel sums the middle column of each 3x3 patch,
        // so patches centred on columns 3 and 4 (outputs 2 and 3) see 1+1+1 = 3.
        let row = [0., 0., 0., 1., 1., 0., 0., 0.];
        let image: Vec<f32> = row.iter().copied().cycle().take(64).collect();
        let axes = vec![
            axis(8, 3, AxisPadding::Valid),
            axis(8, 3, AxisPadding::Valid),
        ];
        let op = conv_op(axes, 1, 1, &[0., 1., 0., 0., 1., 0., 0., 1., 0.]);
        let out = run(&op, &tensor(&[1, 8, 8, 1], &image));
        let expected_row = [0., 0., 3., 3., 0., 0.];
        let expected: Vec<f32> = expected_row.iter().copied().cycle().take(36).collect();
        assert_eq!(out, expected);
    }

    #[test]
    fn same_padding_reads_zeros_at_the_border() {
        // 0 | 1 2 3 4 | 0 summed in threes: 0+1+2, 1+2+3, 2+3+4, 3+4+0.
        let out = conv1d(
            &[1., 2., 3., 4.],
            &[1., 1., 1.],
            axis(4, 3, AxisPadding::Same),
        );
        assert_eq!(out, [3., 6., 9., 7.]);
    }

    /// The kernel 1, 10, 100 writes which cells a window read as the digits of the result.
    const DIGITS: [f32; 3] = [1., 10., 100.];
    const ONE_TO_EIGHT: [f32; 8] = [1., 2., 3., 4., 5., 6., 7., 8.];

    #[test]
    fn strides_skip_positions() {
        // Windows start at 0, 2, 4: x[i] + 10 x[i+1] + 100 x[i+2] = 1+20+300, 3+40+500, 5+60+700.
        let geometry = axis_with(8, 3, 2, 1, AxisPadding::Valid);
        assert_eq!(conv1d(&ONE_TO_EIGHT, &DIGITS, geometry), [321., 543., 765.]);
    }

    #[test]
    fn dilation_spreads_the_taps() {
        // Taps at i, i+2, i+4: 1+30+500, 2+40+600, 3+50+700, 4+60+800.
        let geometry = axis_with(8, 3, 1, 2, AxisPadding::Valid);
        assert_eq!(
            conv1d(&ONE_TO_EIGHT, &DIGITS, geometry),
            [531., 642., 753., 864.]
        );
        // With stride 2 as well: windows start at 0 and 2 (k_eff 5, floor((8-5)/2)+1 = 2).
        let geometry = axis_with(8, 3, 2, 2, AxisPadding::Valid);
        assert_eq!(conv1d(&ONE_TO_EIGHT, &DIGITS, geometry), [531., 753.]);
    }

    #[test]
    fn two_dimensional_same_with_stride_pads_after() {
        // 4x4 input 1..16, 3x3 ones, same, stride 2: total padding (2-1)*2+3-4 = 1, all after.
        // (0,0): rows 0-2, cols 0-2: (1+2+3)+(5+6+7)+(9+10+11) = 54.
        // (0,1): cols 2-3 (+pad): (3+4)+(7+8)+(11+12) = 45.
        // (1,0): rows 2-3 (+pad): (9+10+11)+(13+14+15) = 72.
        // (1,1): (11+12)+(15+16) = 54.
        let image: Vec<f32> = (1..=16).map(|v| v as f32).collect();
        let side = axis_with(4, 3, 2, 1, AxisPadding::Same);
        let op = conv_op(vec![side, side], 1, 1, &[1.; 9]);
        assert_eq!(
            run(&op, &tensor(&[1, 4, 4, 1], &image)),
            [54., 45., 72., 54.]
        );
    }

    #[test]
    fn three_dimensional_axes_are_outermost_first() {
        // Input depth 3 x rows 1 x cols 2, values 1..6 row-major: depth d holds (2d+1, 2d+2).
        // Kernel 2x1x2, weights (1, 10 | 100, 1000) by (depth, col):
        // out d = x[d,0] + 10 x[d,1] + 100 x[d+1,0] + 1000 x[d+1,1]
        // d=0: 1 + 20 + 300 + 4000 = 4321; d=1: 3 + 40 + 500 + 6000 = 6543.
        let axes = vec![
            axis(3, 2, AxisPadding::Valid),
            axis(1, 1, AxisPadding::Valid),
            axis(2, 2, AxisPadding::Valid),
        ];
        let op = conv_op(axes, 1, 1, &[1., 10., 100., 1000.]);
        let input = tensor(&[1, 3, 1, 2, 1], &[1., 2., 3., 4., 5., 6.]);
        assert_eq!(run(&op, &input), [4321., 6543.]);
    }

    #[test]
    fn channels_and_filters_use_keras_layout() {
        // One position, 2 input channels (3, 5), 2 filters; kernel (1, 2, 2) is [ci][f]:
        // f0 = 1*3 + 3*5 = 18, f1 = 2*3 + 4*5 = 26.
        let op = conv_op(
            vec![axis(1, 1, AxisPadding::Valid)],
            2,
            2,
            &[1., 2., 3., 4.],
        );
        assert_eq!(run(&op, &tensor(&[1, 1, 2], &[3., 5.])), [18., 26.]);
    }

    #[test]
    fn groups_read_their_own_channels() {
        // 4 input channels (1, 2, 3, 4), 4 filters, 2 groups: 2 channels and 2 filters per
        // group. Kernel (1, 2, 4) is [ci][f] = ci0: 1 2 3 4, ci1: 10 20 30 40.
        // f0, f1 read channels 0, 1: f0 = 1*1 + 10*2 = 21, f1 = 2*1 + 20*2 = 42.
        // f2, f3 read channels 2, 3: f2 = 3*3 + 30*4 = 129, f3 = 4*3 + 40*4 = 172.
        let mut op = conv_op(
            vec![axis(1, 1, AxisPadding::Valid)],
            4,
            4,
            &[1., 2., 3., 4., 10., 20., 30., 40.],
        );
        op.groups = 2;
        assert_eq!(
            run(&op, &tensor(&[1, 1, 4], &[1., 2., 3., 4.])),
            [21., 42., 129., 172.]
        );
    }

    #[test]
    fn depthwise_kernel_maps_to_channel_c_times_m_plus_j() {
        // Depthwise, C = 2 channels, multiplier m = 2, kernel size 2. Keras kernel (2, 2, 2)
        // [t][c][j]: t0 = (c0: 1 2, c1: 3 4), t1 = (c0: 5 6, c1: 7 8). As a grouped conv:
        // groups 2, filters 4, kernel (2, 1, 4) with the same data.
        // Input x[0] = (1, 2), x[1] = (3, 4). Output channel c*m + j = sum_t x[t][c] w[t][c][j]:
        // ch0 = 1*1 + 3*5 = 16, ch1 = 1*2 + 3*6 = 20, ch2 = 2*3 + 4*7 = 34, ch3 = 2*4 + 4*8 = 40.
        let mut op = conv_op(
            vec![axis(2, 2, AxisPadding::Valid)],
            2,
            4,
            &[1., 2., 3., 4., 5., 6., 7., 8.],
        );
        op.groups = 2;
        op.depth_multiplier = Some(2);
        assert_eq!(
            run(&op, &tensor(&[1, 2, 2], &[1., 2., 3., 4.])),
            [16., 20., 34., 40.]
        );
    }

    /// `1 2 3` padded by 2 on each side, read through the kernel 1, 10, 100.
    fn padded(mode: PaddingMode) -> Vec<f32> {
        let mut op = conv_op(vec![axis(3, 3, pad(2, 2))], 1, 1, &DIGITS);
        op.padding_mode = mode;
        run(&op, &tensor(&[1, 3, 1], &[1., 2., 3.]))
    }

    #[test]
    fn zeros_mode() {
        // 0 0 | 1 2 3 | 0 0 -> 0+0+100, 0+10+200, 1+20+300, 2+30+0, 3+0+0.
        assert_eq!(padded(PaddingMode::Zeros), [100., 210., 321., 32., 3.]);
    }

    #[test]
    fn reflect_mode() {
        // Index -2 -> 2, -1 -> 1, 3 -> 1, 4 -> 0: 3 2 | 1 2 3 | 2 1
        // -> 3+20+100, 2+10+200, 1+20+300, 2+30+200, 3+20+100.
        assert_eq!(padded(PaddingMode::Reflect), [123., 212., 321., 232., 123.]);
    }

    #[test]
    fn replicate_mode() {
        // 1 1 | 1 2 3 | 3 3 -> 1+10+100, 1+10+200, 1+20+300, 2+30+300, 3+30+300.
        assert_eq!(
            padded(PaddingMode::Replicate),
            [111., 211., 321., 332., 333.]
        );
    }

    #[test]
    fn circular_mode() {
        // Index -2 -> 1, -1 -> 2, 3 -> 0, 4 -> 1: 2 3 | 1 2 3 | 1 2
        // -> 2+30+100, 3+10+200, 1+20+300, 2+30+100, 3+10+200.
        assert_eq!(
            padded(PaddingMode::Circular),
            [132., 213., 321., 132., 213.]
        );
    }

    #[test]
    fn circular_padding_may_exceed_the_input() {
        // `1 2` padded by 3 before, kernel [1]: indices -3..=1 wrap to 1 0 1 0 1.
        let mut op = conv_op(vec![axis(2, 1, pad(3, 0))], 1, 1, &[1.]);
        op.padding_mode = PaddingMode::Circular;
        assert_eq!(
            run(&op, &tensor(&[1, 2, 1], &[1., 2.])),
            [2., 1., 2., 1., 2.]
        );
    }

    #[test]
    fn reflect_in_two_dimensions_reflects_corners_both_ways() {
        // 2x2 input (1 2 / 3 4) padded by 1 before on both axes, 1x1 kernel: the output is the
        // padded 3x3 image, rows and columns -1, 0, 1. Index -1 reflects to 1 on each axis, so
        // (-1, -1) reads (1, 1) = 4, (-1, 0) reads (1, 0) = 3, (0, -1) reads (0, 1) = 2:
        // 4 3 4 / 2 1 2 / 4 3 4.
        let side = axis(2, 1, pad(1, 0));
        let mut op = conv_op(vec![side, side], 1, 1, &[1.]);
        op.padding_mode = PaddingMode::Reflect;
        let out = run(&op, &tensor(&[1, 2, 2, 1], &[1., 2., 3., 4.]));
        assert_eq!(out, [4., 3., 4., 2., 1., 2., 4., 3., 4.]);
    }

    #[test]
    fn bias_then_activation() {
        // x * 1 - 1.5 = -0.5, -3.5, 1.5; relu -> 0, 0, 1.5.
        let mut op = conv_op(vec![axis(3, 1, AxisPadding::Valid)], 1, 1, &[1.]);
        op.bias = Some(vec![-1.5]);
        op.activation = Activation::Relu;
        assert_eq!(run(&op, &tensor(&[1, 3, 1], &[1., -2., 3.])), [0., 0., 1.5]);
    }

    #[test]
    fn softmax_runs_over_the_filters_of_one_position() {
        // Filters with weights 1, 2, 3 on the input 1 give logits 1, 2, 3:
        // softmax = e^k / (e + e^2 + e^3) = 0.09003057, 0.24472847, 0.66524096 (rounded to f32).
        let mut op = conv_op(vec![axis(1, 1, AxisPadding::Valid)], 1, 3, &[1., 2., 3.]);
        op.activation = Activation::Softmax;
        let out = run(&op, &tensor(&[1, 1, 1], &[1.]));
        let want = [0.090_030_57_f32, 0.244_728_47, 0.665_240_96];
        for (got, want) in out.iter().zip(want) {
            assert!((got - want).abs() <= 3e-8, "{got} vs {want}");
        }
    }

    #[test]
    fn sums_are_rounded_once() {
        // 2^24 + 1 + 1 in f32 order would round 2^24 + 1 back to 2^24 twice and give 2^24;
        // summed exactly it is 2^24 + 2, which an f32 holds.
        let op = conv_op(vec![axis(3, 3, AxisPadding::Valid)], 1, 1, &[1., 1., 1.]);
        let out = run(&op, &tensor(&[1, 3, 1], &[16_777_216., 1., 1.]));
        assert_eq!(out, [16_777_218.]);
    }

    #[test]
    fn every_batch_item_is_convolved() {
        // Batch 2 of length 3 with kernel [1, -1]: differences of neighbours.
        // Item 0: 1 4 9 -> -3, -5; item 1: 2 2 0 -> 0, 2.
        let op = conv_op(vec![axis(3, 2, AxisPadding::Valid)], 1, 1, &[1., -1.]);
        let input = tensor(&[2, 3, 1], &[1., 4., 9., 2., 2., 0.]);
        assert_eq!(run(&op, &input), [-3., -5., 0., 2.]);
    }
}
