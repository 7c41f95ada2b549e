use super::to_toml;
use crate::ast::*;
use crate::check::{check, Options};
use crate::ir::Model;
use crate::parse::toml::parse_toml;
use crate::parse::toml::tests::{without_spans, PRODUCT_EXAMPLE};

fn sp<T>(value: T) -> Spanned<T> {
    Spanned::new(value, Span::default())
}

fn checked(spec: &Spec) -> Model {
    check(spec, &Options::default()).unwrap_or_else(|d| panic!("{d:#?}"))
}

/// Prints `spec` as TOML, reads it back and checks it: the model must be the same, bit for bit
/// (`{:?}` prints every f32 in its shortest round-trip form). Returns the TOML.
fn round_trip(spec: &Spec) -> String {
    let model = checked(spec);
    let text = to_toml(spec, &model);
    let reparsed = parse_toml(&text).unwrap_or_else(|d| panic!("{text}\n{d:#?}"));
    let remodel =
        check(&reparsed, &Options::default()).unwrap_or_else(|d| panic!("{text}\n{d:#?}"));
    let fingerprint = |m: &Model| {
        let mut m = m.clone();
        m.expects.iter_mut().for_each(|e| e.span = Span::default());
        format!("{m:?}")
    };
    assert_eq!(fingerprint(&remodel), fingerprint(&model), "{text}");
    // Printing the re-read spec gives the same text: the TOML form is a fixed point.
    assert_eq!(to_toml(&reparsed, &remodel), text);
    text
}

#[test]
fn product_example_prints_back_to_the_same_ast() {
    let spec = parse_toml(PRODUCT_EXAMPLE).unwrap();
    let text = round_trip(&spec);
    assert_eq!(
        text,
        r#"outputs = ["bump"]

[inputs.signal]
shape = [1, 8, 1]
data = [0, 0, 0, 1, 1, 0, 0, 0]

[[layers]]
name = "bump"
op = "conv1d"
inputs = ["signal"]
filters = 1
kernel_size = [3]
padding = "valid"
kernel = { shape = [3, 1, 1], data = [0, 1, 0] }
bias = { shape = [1], data = [0] }

[[expect]]
name = "bump"
data = [0, 0, 1, 1, 0, 0]
within = 1e-6
"#
    );
    let reparsed = parse_toml(&text).unwrap();
    assert_eq!(without_spans(&reparsed), without_spans(&spec));
}

#[test]
fn every_tensor_form_and_argument_survives() {
    let text = r#"
[inputs.my_image]
shape = [1, 5, 5, 1]
data = [0.1, -0.0, 1e-7, 6.02e23, 2.5e-38, 0.7071067811865476, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]

[[layers]]
name = "blur"
op = "conv2d"
inputs = ["my_image"]
padding = [[1, 1], [0, 2]]
padding_mode = "reflect"
strides = 1
use_bias = true
kernel = { shape = [3, 3, 1, 2], init = "he_normal", seed = 7 }
bias = { shape = [2], fill = 0.5 }

[[layers]]
name = "edges"
op = "conv2d"
inputs = ["blur"]
activation = "relu"

[[layers.filter]]
name = "smooth"
shape = [3, 3, 2]
fill = 0.25

[[layers.filter]]
shape = [3, 3, 2]
data = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]

[[layers]]
name = "g"
op = "conv2d"
inputs = ["my_image"]
padding = "same"

[[layers.filter]]
builtin = "gaussian"
args = [5, 1.5]

[[expect]]
name = "my_image"
shape = [1, 5, 5, 1]
fill = nan
within = 2
"#;
    let spec = parse_toml(text).unwrap();
    let printed = round_trip(&spec);
    // Compared as text because NaN != NaN.
    let reparsed = without_spans(&parse_toml(&printed).unwrap());
    assert_eq!(
        format!("{reparsed:?}"),
        format!("{:?}", without_spans(&spec))
    );
    // Long data wraps; a long tensor becomes a table of its own.
    assert!(
        printed.contains("data = [\n    0.1, -0.0, 1e-7, 6.02e23,"),
        "{printed}"
    );
    assert!(printed.contains("[inputs.my_image]"), "{printed}");
    assert!(printed.contains("kernel = { shape = [3, 3, 1, 2], init = \"he_normal\", seed = 7 }"));
    assert!(
        printed.contains("[[layers.filter]]\nname = \"smooth\"\nshape = [3, 3, 2]\nfill = 0.25")
    );
    assert!(printed.contains("builtin = \"gaussian\"\nargs = [5, 1.5]"));
}

#[test]
fn long_kernels_become_tables() {
    let data: Vec<String> = (0..18).map(|i| i.to_string()).collect();
    let text = format!(
        "[inputs.x]\nshape = [1, 4, 2]\nfill = 1\n[[layers]]\nname = \"c\"\nop = \"conv1d\"\n\
         inputs = [\"x\"]\nkernel = {{ shape = [3, 2, 3], data = [{}] }}\n\
         bias = {{ shape = [3], data = [1, 2, 3] }}\n",
        data.join(", ")
    );
    let printed = round_trip(&parse_toml(&text).unwrap());
    assert!(printed.contains("bias = { shape = [3], data = [1, 2, 3] }\n\n[layers.kernel]\n"));
}

#[test]
fn float_arguments_stay_floats() {
    let text = "[inputs.x]\nshape = [1, 4, 1]\nfill = 1\n[[layers]]\nname = \"a\"\n\
                op = \"activation\"\ninputs = [\"x\"]\nactivation = \"relu\"\n";
    let mut spec = parse_toml(text).unwrap();
    let model = checked(&spec);
    spec.layers[0].args.push(Arg {
        key: sp("scale".into()),
        value: sp(ArgValue::Tuple(vec![
            sp(ArgValue::Float(2.0)),
            sp(ArgValue::Int(2)),
        ])),
    });
    let printed = to_toml(&spec, &model);
    assert!(printed.contains("scale = [2.0, 2]"), "{printed}");
    assert_eq!(
        without_spans(&parse_toml(&printed).unwrap()),
        without_spans(&spec)
    );
}

/// A `.conv`-style spec: a matrix written as rows without a shape, labelled grids mixing
/// numbers and built-in filters, and a kernel written as grids. TOML has none of these, so the
/// printer writes flat data with the shapes the checker computed.
#[test]
fn rows_and_labelled_grids_are_flattened_with_their_shapes() {
    let row = |values: &[f64]| sp(values.to_vec());
    let grid = |rows: Vec<Spanned<Vec<f64>>>| Grid {
        rows,
        span: Span::default(),
    };
    let label = |axis, index| GridLabel {
        axis: sp(axis),
        index: sp(index),
    };
    let labelled = |labels, value| LabelledGrid {
        labels,
        value,
        span: Span::default(),
    };
    let builtin = |name: &str| Builtin {
        name: sp(name.into()),
        args: Vec::new(),
        span: Span::default(),
    };
    let tensor = |value| TensorLit {
        shape: None,
        value: sp(value),
    };
    let layer = |name: &str, kernel, filter_list| LayerDecl {
        name: sp(name.into()),
        op: sp("conv2d".into()),
        inputs: vec![sp("photo".into())],
        args: Vec::new(),
        kernel,
        filter_list,
        bias: None,
        span: Span::default(),
    };
    let matrix = [row(&[1., 2., 3.]), row(&[4., 5., 6.]), row(&[7., 8., 9.])];
    let photo = TensorLit {
        shape: Some(sp(vec![1, 4, 4, 2])),
        value: sp(TensorValue::Grids(vec![
            labelled(
                vec![label(LabelAxis::Channel, 1)],
                GridValue::Numbers(grid(vec![row(&[1.; 16])])),
            ),
            labelled(
                vec![label(LabelAxis::Channel, 0)],
                GridValue::Numbers(grid(vec![row(&[0.5; 16])])),
            ),
        ])),
    };
    let by_filter = vec![FilterDecl {
        name: Some(sp("mixed".into())),
        tensor: tensor(TensorValue::Grids(vec![
            labelled(
                vec![label(LabelAxis::Channel, 0)],
                GridValue::Builtin(builtin("sobel_x")),
            ),
            labelled(
                vec![label(LabelAxis::Channel, 1)],
                GridValue::Numbers(grid(matrix.to_vec())),
            ),
        ])),
        span: Span::default(),
    }];
    let kernel_grids = (0..2)
        .map(|channel| {
            labelled(
                vec![
                    label(LabelAxis::Filter, 0),
                    label(LabelAxis::Channel, channel),
                ],
                GridValue::Numbers(grid(matrix.to_vec())),
            )
        })
        .collect();
    let spec = Spec {
        inputs: vec![InputDecl {
            name: sp("photo".into()),
            tensor: photo,
            span: Span::default(),
        }],
        layers: vec![
            layer("a", None, by_filter),
            layer(
                "b",
                Some(tensor(TensorValue::Grids(kernel_grids))),
                Vec::new(),
            ),
        ],
        outputs: Some(vec![sp("a".into()), sp("b".into())]),
        expects: vec![ExpectDecl {
            name: sp("photo".into()),
            tensor: tensor(TensorValue::Numbers(grid(vec![row(&[0.5, 1.]); 16]))),
            within: None,
            span: Span::default(),
        }],
    };
    let printed = round_trip(&spec);
    assert!(printed.contains("name = \"mixed\"\nshape = [3, 3, 2]\ndata = [\n    -1, 1, 0, 2, 1, 3,\n    -2, 4, 0, 5, 2, 6,\n    -1, 7, 0, 8, 1, 9,\n]\n"), "{printed}");
    assert!(
        printed.contains("[[expect]]\nname = \"photo\"\nshape = [1, 4, 4, 2]\n"),
        "{printed}"
    );
}
