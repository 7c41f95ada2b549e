//! The printer's tests: exact output for the layouts people read, and parse -> print -> parse
//! giving the same AST (modulo spans).

use super::to_conv;
use crate::ast::*;
use crate::geometry::{AxisGeometry, AxisPadding};
use crate::ir::{Activation, Conv, Layer, Model, Op, PaddingMode, Tensor, Value, ValueKind};
use crate::parse::conv::parse_conv;

fn no_model() -> Model {
    Model {
        values: Vec::new(),
        outputs: Vec::new(),
        expects: Vec::new(),
    }
}

fn parse(text: &str) -> Spec {
    match parse_conv(text) {
        Ok(spec) => spec,
        Err(diagnostics) => panic!(
            "{}",
            crate::diagnostic::render("test.conv", text, &diagnostics, false)
        ),
    }
}

/// The AST's debug text with every span blanked, so that two ASTs read from differently
/// formatted text compare equal. (Debug text also makes NaN equal to NaN.)
fn without_spans(spec: &Spec) -> String {
    let text = format!("{spec:?}");
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(start) = rest.find("Span { start: ") {
        out.push_str(&rest[..start]);
        out.push_str("Span");
        let after = &rest[start..];
        let end = after.find('}').map_or(after.len(), |i| i + 1);
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Prints `text`'s spec, checks that it reads back as the same AST and that printing is
/// stable, and returns the printed text.
fn round_trip(text: &str, model: &Model) -> String {
    let spec = parse(text);
    let printed = to_conv(&spec, model);
    let again = parse(&printed);
    assert_eq!(
        without_spans(&again),
        without_spans(&spec),
        "printed:\n{printed}"
    );
    assert_eq!(to_conv(&again, model), printed);
    printed
}

const EVERYTHING: &str = r#"
input signal (1, 8, 1) = [0 0 0 1 1 0 0 0]
input photo (1, 3, 3, 1) = [1 2 3 / 4 5 6 / 7 8 9]
input weird (1,1,1) = nan
input loaded = npy "data/x.npy"
layer bump = conv1d(signal) {
    padding = same, strides = (2,), dilation_rate = 1x1
    explicit = ((1, 1), (0, 2))
    activation = "relu"
    odd = "true"
    rate = 0.5, whole = 3.0, tiny = 1e-9, negative = -3
    use_bias = false
    filter middle = [0 1 0]
    filter = [1e-7 -0 0.1]
    filter named (3, 1) = [1 2 3]
    filter 3x1 = [1 2 3]
    bias = 0.25
}
layer edges = conv2d(photo) {
    filter = sobel_x
    filter = gaussian(5, 1.5)
    filter = { channel 0: box(3)  channel 1: [1 2 / 3 4] }
    filter = init glorot_uniform seed 7
    filter = init zeros
}
layer k = conv2d(photo) { kernel (2, 2, 1, 1) = fill 1  bias (1,) = [-inf] }
layer sum = add(bump, bump)
output sum, edges
output k
expect bump = [0 0 1 1 0 0] within 1e-3
expect photo (1, 3, 3, 1) = 5
"#;

#[test]
fn everything_reads_back_as_written() {
    let printed = round_trip(EVERYTHING, &no_model());
    assert!(
        printed.contains("    rate = 0.5\n    whole = 3.0\n    tiny = 1e-9\n"),
        "{printed}"
    );
    assert!(printed.contains("    odd = \"true\"\n"), "{printed}");
    assert!(printed.contains("strides = (2,)\n"), "{printed}");
    assert!(
        printed.contains("layer sum = add(bump, bump)\n"),
        "{printed}"
    );
}

#[test]
fn matrices_are_written_row_by_row_with_aligned_columns() {
    let spec = parse("input photo (1, 3, 3, 1) = [1 -20 3 4 5 600 7 8 9.5]");
    let printed = to_conv(&spec, &no_model());
    // Read back, the rows differ from the one row written, but the numbers are the same.
    let again = parse(&printed);
    let values = |spec: &Spec| match &spec.inputs[0].tensor.value.value {
        TensorValue::Numbers(grid) => grid.values().collect::<Vec<f64>>(),
        other => panic!("{other:?}"),
    };
    assert_eq!(values(&again), values(&spec));
    let expected = "\
input photo (1, 3, 3, 1) = [
    1 -20   3
    4   5 600
    7   8 9.5
]
";
    assert_eq!(printed, expected);
}

#[test]
fn flat_multichannel_data_becomes_labelled_grids() {
    // Channels-last: each pixel's two channels are next to each other in the flat data.
    let spec = parse("input rgb (1, 2, 2, 2) = [1 10 2 20 3 30 4 40]\nexpect rgb = 0");
    let printed = to_conv(&spec, &no_model());
    let expected = "\
input rgb (1, 2, 2, 2) = {
    channel 0: [
         1  2
         3  4
    ]
    channel 1: [
        10 20
        30 40
    ]
}

expect rgb = 0
";
    assert_eq!(printed, expected);
}

/// A model with one conv1d layer `conv` over 2 input channels with 2 filters of size 3.
fn conv1d_model(depth_multiplier: Option<usize>) -> Model {
    let axis = AxisGeometry {
        in_len: 4,
        kernel: 3,
        stride: 1,
        dilation: 1,
        padding: AxisPadding::Valid,
        pad_before: 0,
        pad_after: 0,
        out_len: 2,
    };
    let groups = if depth_multiplier.is_some() { 2 } else { 1 };
    let filters = 2 * depth_multiplier.unwrap_or(1);
    let conv = Conv {
        axes: vec![axis],
        in_channels: 2,
        filters,
        groups,
        kernel: vec![0.0; 3 * 2 / groups * filters],
        bias: None,
        activation: Activation::Linear,
        padding_mode: PaddingMode::Zeros,
        depth_multiplier,
        filter_names: Vec::new(),
    };
    let input = Tensor::zeros(vec![1, 4, 2]);
    Model {
        values: vec![
            Value {
                name: "x".into(),
                shape: vec![1, 4, 2],
                kind: ValueKind::Input(input),
            },
            Value {
                name: "conv".into(),
                shape: vec![1, 2, filters],
                kind: ValueKind::Layer(Layer {
                    op_name: "conv1d".into(),
                    inputs: vec![0],
                    op: Op::Conv(conv),
                }),
            },
        ],
        outputs: vec![1],
        expects: Vec::new(),
    }
}

#[test]
fn kernels_are_laid_out_by_the_models_shape() {
    // TOML-style flat data: kernel (3, 2, 2), value = 100*k + 10*channel + filter. (A layer
    // has either a kernel or filters; the printer takes both shapes from the model's `conv`.)
    let text = "input x = [0 0 0 0 0 0 0 0]
        layer conv = conv1d(x) { kernel = [0 1 10 11 100 101 110 111 200 201 210 211] }
        layer conv = conv1d(x) { filter = [1 2 3 4 5 6] }";
    let spec = parse(text);
    let printed = to_conv(&spec, &conv1d_model(None));
    let expected = "\
input x = {
    channel 0: [0 0 0 0]
    channel 1: [0 0 0 0]
}

layer conv = conv1d(x) {
    kernel = {
        filter 0, channel 0: [0 100 200]
        filter 0, channel 1: [10 110 210]
        filter 1, channel 0: [1 101 201]
        filter 1, channel 1: [11 111 211]
    }
}

layer conv = conv1d(x) {
    filter = {
        channel 0: [1 3 5]
        channel 1: [2 4 6]
    }
}
";
    assert_eq!(printed, expected);
}

#[test]
fn depthwise_kernels_are_labelled_by_channel_and_multiplier() {
    let text = "layer conv = conv1d(x) { kernel = [0 1 2 3 4 5 6 7 8 9 10 11] }";
    let printed = to_conv(&parse(text), &conv1d_model(Some(2)));
    assert!(
        printed.contains("filter 1, channel 0: [1 5 9]\n"),
        "{printed}"
    );
    assert!(
        printed.contains("filter 0, channel 1: [2 6 10]\n"),
        "{printed}"
    );
}

#[test]
fn data_that_does_not_fit_its_shape_is_written_as_given() {
    // The printer runs on checked specs, but must not panic or lose numbers on others.
    let printed = round_trip("input x (1, 5, 2) = [1 2 3]", &no_model());
    assert_eq!(printed, "input x (1, 5, 2) = [1 2 3]\n");
}
