//! Builders for hand-made IR values in the interpreter's tests.

use crate::geometry::{resolve_axis, AxisGeometry, AxisPadding};
use crate::ir::{Activation, Conv, PaddingMode, Tensor};

pub(super) fn tensor(shape: &[usize], data: &[f32]) -> Tensor {
    assert_eq!(
        shape.iter().product::<usize>(),
        data.len(),
        "test tensor size"
    );
    Tensor {
        shape: shape.to_vec(),
        data: data.to_vec(),
    }
}

/// One axis with stride 1 and dilation 1.
pub(super) fn axis(in_len: usize, kernel: usize, padding: AxisPadding) -> AxisGeometry {
    axis_with(in_len, kernel, 1, 1, padding)
}

pub(super) fn axis_with(
    in_len: usize,
    kernel: usize,
    stride: usize,
    dilation: usize,
    padding: AxisPadding,
) -> AxisGeometry {
    resolve_axis(in_len, kernel, stride, dilation, padding).expect("test geometry")
}

pub(super) fn pad(before: usize, after: usize) -> AxisPadding {
    AxisPadding::Explicit { before, after }
}

/// A convolution without bias, linear, zero padding, one group.
pub(super) fn conv_op(
    axes: Vec<AxisGeometry>,
    in_channels: usize,
    filters: usize,
    kernel: &[f32],
) -> Conv {
    Conv {
        axes,
        in_channels,
        filters,
        groups: 1,
        kernel: kernel.to_vec(),
        bias: None,
        activation: Activation::Linear,
        padding_mode: PaddingMode::Zeros,
        depth_multiplier: None,
        filter_names: vec![None; filters],
    }
}

/// `(batch, out_len..., channels)` for the given axes.
pub(super) fn out_shape(batch: usize, axes: &[AxisGeometry], channels: usize) -> Vec<usize> {
    let mut shape = vec![batch];
    shape.extend(axes.iter().map(|a| a.out_len));
    shape.push(channels);
    shape
}
