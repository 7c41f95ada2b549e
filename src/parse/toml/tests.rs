use super::parse_toml;
use crate::ast::*;
use crate::diagnostic::Diagnostic;

/// PRODUCT.md's example, with docs/language.md's `[[expect]]`.
pub(crate) const PRODUCT_EXAMPLE: &str = r#"
outputs = ["bump"]                  # optional; default: the last layer

[inputs.signal]
shape = [1, 8, 1]                   # the full array shape, batch first
data = [0, 0, 0, 1, 1, 0, 0, 0]     # row-major; numbers may be integers or floats

[[layers]]
name = "bump"
op = "conv1d"
inputs = ["signal"]                 # always a list
filters = 1
kernel_size = [3]
padding = "valid"
kernel = { shape = [3, 1, 1], data = [0, 1, 0] }
bias = { shape = [1], data = [0] }

[[expect]]
name = "bump"
data = [0, 0, 1, 1, 0, 0]
within = 1e-6
"#;

/// The spec with every span set to zero, so that two parses of different text compare equal
/// when they describe the same model.
pub(crate) fn without_spans(spec: &Spec) -> Spec {
    let mut spec = spec.clone();
    let zero = Span::default();
    let ident = |i: &mut Ident| i.span = zero;
    for input in &mut spec.inputs {
        ident(&mut input.name);
        tensor(&mut input.tensor);
        input.span = zero;
    }
    for layer in &mut spec.layers {
        ident(&mut layer.name);
        ident(&mut layer.op);
        layer.inputs.iter_mut().for_each(ident);
        for arg in &mut layer.args {
            ident(&mut arg.key);
            arg_value(&mut arg.value);
        }
        layer.kernel.iter_mut().for_each(tensor);
        layer.bias.iter_mut().for_each(tensor);
        for filter in &mut layer.filter_list {
            filter.name.iter_mut().for_each(ident);
            tensor(&mut filter.tensor);
            filter.span = zero;
        }
        layer.span = zero;
    }
    spec.outputs.iter_mut().flatten().for_each(ident);
    for expect in &mut spec.expects {
        ident(&mut expect.name);
        tensor(&mut expect.tensor);
        expect.within.iter_mut().for_each(|w| w.span = zero);
        expect.span = zero;
    }
    spec
}

fn arg_value(value: &mut Spanned<ArgValue>) {
    value.span = Span::default();
    if let ArgValue::Tuple(items) = &mut value.value {
        items.iter_mut().for_each(arg_value);
    }
}

fn tensor(tensor: &mut TensorLit) {
    let zero = Span::default();
    tensor.shape.iter_mut().for_each(|s| s.span = zero);
    tensor.value.span = zero;
    let grid = |g: &mut Grid| {
        g.span = zero;
        g.rows.iter_mut().for_each(|r| r.span = zero);
    };
    let builtin = |b: &mut Builtin| {
        b.name.span = zero;
        b.args.iter_mut().for_each(|a| a.span = zero);
        b.span = zero;
    };
    match &mut tensor.value.value {
        TensorValue::Numbers(g) => grid(g),
        TensorValue::Grids(grids) => {
            for labelled in grids {
                labelled.span = zero;
                for label in &mut labelled.labels {
                    label.axis.span = zero;
                    label.index.span = zero;
                }
                match &mut labelled.value {
                    GridValue::Numbers(g) => grid(g),
                    GridValue::Builtin(b) => builtin(b),
                }
            }
        }
        TensorValue::Builtin(b) => builtin(b),
        TensorValue::Fill(x) => x.span = zero,
        TensorValue::Npy(path) => path.span = zero,
        TensorValue::Init(init) => {
            init.name.span = zero;
            init.seed.iter_mut().for_each(|s| s.span = zero);
            init.span = zero;
        }
    }
}

fn errors(text: &str) -> Vec<Diagnostic> {
    match parse_toml(text) {
        Ok(spec) => panic!("expected errors, got {spec:?}"),
        Err(diags) => diags,
    }
}

/// The one error of `text`, whose message must contain `needle`.
fn error(text: &str, needle: &str) -> Diagnostic {
    let diags = errors(text);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert!(diags[0].message.contains(needle), "{diags:#?}");
    diags.into_iter().next().unwrap_or_else(|| unreachable!())
}

fn spanned_text(text: &str, span: Option<Span>) -> &str {
    let span = span.expect("a located diagnostic");
    &text[span.range()]
}

fn numbers(tensor: &TensorLit) -> Vec<f64> {
    match &tensor.value.value {
        TensorValue::Numbers(grid) => grid.values().collect(),
        other => panic!("not numbers: {other:?}"),
    }
}

const LAYER: &str = "[[layers]]\nname = \"c\"\nop = \"conv1d\"\ninputs = [\"x\"]\n";

#[test]
fn product_example() {
    let spec = parse_toml(PRODUCT_EXAMPLE).unwrap();
    let outputs: Vec<&str> = spec
        .outputs
        .iter()
        .flatten()
        .map(|o| o.value.as_str())
        .collect();
    assert_eq!(outputs, ["bump"]);

    let input = &spec.inputs[0];
    assert_eq!(input.name.value, "signal");
    assert_eq!(input.tensor.shape.as_ref().unwrap().value, [1, 8, 1]);
    assert_eq!(numbers(&input.tensor), [0., 0., 0., 1., 1., 0., 0., 0.]);
    let data_span = input.tensor.value.span;
    assert_eq!(
        &PRODUCT_EXAMPLE[data_span.range()],
        "[0, 0, 0, 1, 1, 0, 0, 0]"
    );

    let layer = &spec.layers[0];
    assert_eq!(
        (layer.name.value.as_str(), layer.op.value.as_str()),
        ("bump", "conv1d")
    );
    assert_eq!(layer.inputs[0].value, "signal");
    let keys: Vec<&str> = layer.args.iter().map(|a| a.key.value.as_str()).collect();
    assert_eq!(keys, ["filters", "kernel_size", "padding"]);
    assert_eq!(layer.args[0].value.value, ArgValue::Int(1));
    match &layer.args[1].value.value {
        ArgValue::Tuple(sizes) => assert_eq!(sizes[0].value, ArgValue::Int(3)),
        other => panic!("kernel_size: {other:?}"),
    }
    assert_eq!(layer.args[2].value.value, ArgValue::Word("valid".into()));
    assert_eq!(numbers(layer.kernel.as_ref().unwrap()), [0., 1., 0.]);
    assert_eq!(numbers(layer.bias.as_ref().unwrap()), [0.]);
    assert!(PRODUCT_EXAMPLE[layer.span.range()].starts_with("[[layers]]"));
    assert!(PRODUCT_EXAMPLE[layer.span.range()].ends_with("data = [0] }"));

    let expect = &spec.expects[0];
    assert_eq!(expect.name.value, "bump");
    assert_eq!(expect.within.as_ref().unwrap().value, 1e-6);
    assert_eq!(numbers(&expect.tensor), [0., 0., 1., 1., 0., 0.]);
    assert!(expect.tensor.shape.is_none());
}

#[test]
fn product_example_checks() {
    let spec = parse_toml(PRODUCT_EXAMPLE).unwrap();
    let model = crate::check::check(&spec, &Default::default()).unwrap();
    let bump = model.find("bump").unwrap();
    assert_eq!(model.values[bump].shape, [1, 6, 1]);
}

#[test]
fn every_toml_number_form_keeps_its_exact_value() {
    let text = format!(
        "{LAYER}kernel = {{ data = [1_000, 0x10, 0o17, 0b101, +5, -3, 1.5e3, +1_0.5, -0.0, \
         inf, -inf, nan, 0.1, 9007199254740993] }}\n"
    );
    let spec = parse_toml(&text).unwrap();
    let values = numbers(spec.layers[0].kernel.as_ref().unwrap());
    let expected = [
        1000.,
        16.,
        15.,
        5.,
        5.,
        -3.,
        1500.,
        10.5,
        -0.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ];
    assert_eq!(values[..11], expected);
    assert!(values[10].is_sign_negative() && values[8].is_sign_negative());
    assert!(values[11].is_nan());
    assert_eq!(values[12], 0.1);
    // 2^53 + 1 rounds to 2^53, as float("9007199254740993") does.
    assert_eq!(values[13], 9007199254740992.0);
}

#[test]
fn tensor_forms() {
    let text = r#"
[inputs.a]
shape = [2, 2]
fill = 0.5
[inputs.b]
npy = "b.npy"
[inputs.c]
shape = [3, 3, 1, 1]
init = "he_normal"
seed = 7
[inputs.d]
builtin = "gaussian"
args = [5, 1.5]
[inputs.e]
builtin = "sobel_x"
"#;
    let spec = parse_toml(text).unwrap();
    let names: Vec<&str> = spec.inputs.iter().map(|i| i.name.value.as_str()).collect();
    assert_eq!(names, ["a", "b", "c", "d", "e"]);
    let value = |i: usize| &spec.inputs[i].tensor.value.value;
    assert!(matches!(value(0), TensorValue::Fill(x) if x.value == 0.5));
    assert!(matches!(value(1), TensorValue::Npy(p) if p.value == "b.npy"));
    match value(2) {
        TensorValue::Init(init) => {
            assert_eq!(init.name.value, "he_normal");
            assert_eq!(init.seed.as_ref().map(|s| s.value), Some(7));
            assert_eq!(&text[init.span.range()], "\"he_normal\"\nseed = 7");
        }
        other => panic!("{other:?}"),
    }
    match value(3) {
        TensorValue::Builtin(b) => {
            assert_eq!(b.name.value, "gaussian");
            let args: Vec<f64> = b.args.iter().map(|a| a.value).collect();
            assert_eq!(args, [5.0, 1.5]);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(value(4), TensorValue::Builtin(b) if b.args.is_empty()));
}

#[test]
fn inputs_and_arguments_keep_their_written_order() {
    let text = "[inputs.zeta]\nfill = 1\n[inputs.alpha]\nfill = 2\n[[layers]]\nname = \"l\"\n\
                op = \"conv2d\"\ninputs = [\"zeta\"]\nstrides = 2\nactivation = \"relu\"\n\
                padding = [[1, 1], [0, 2]]\nuse_bias = false\ngroups = 1.5\n";
    let spec = parse_toml(text).unwrap();
    assert_eq!(spec.inputs[0].name.value, "zeta");
    let keys: Vec<&str> = spec.layers[0]
        .args
        .iter()
        .map(|a| a.key.value.as_str())
        .collect();
    assert_eq!(
        keys,
        ["strides", "activation", "padding", "use_bias", "groups"]
    );
    let padding = &spec.layers[0].args[2].value;
    assert_eq!(&text[padding.span.range()], "[[1, 1], [0, 2]]");
    match &padding.value {
        ArgValue::Tuple(axes) => assert!(matches!(&axes[1].value,
            ArgValue::Tuple(sides) if sides[1].value == ArgValue::Int(2))),
        other => panic!("{other:?}"),
    }
    assert_eq!(spec.layers[0].args[3].value.value, ArgValue::Bool(false));
    assert_eq!(spec.layers[0].args[4].value.value, ArgValue::Float(1.5));
}

#[test]
fn filters_one_by_one() {
    let text = format!(
        "{LAYER}[[layers.filter]]\nname = \"vertical\"\nbuiltin = \"vertical_line\"\n\
         [[layers.filter]]\nshape = [3, 1]\ndata = [1, 2, 3]\n"
    );
    let spec = parse_toml(&text).unwrap();
    let filters = &spec.layers[0].filter_list;
    assert_eq!(filters.len(), 2);
    assert_eq!(
        filters[0].name.as_ref().map(|n| n.value.as_str()),
        Some("vertical")
    );
    assert!(filters[1].name.is_none());
    assert_eq!(numbers(&filters[1].tensor), [1., 2., 3.]);
    assert!(text[filters[1].span.range()].contains("data = [1, 2, 3]"));
    // The inline form is the same TOML data.
    let inline = format!("{LAYER}filter = [{{ builtin = \"vertical_line\" }}, {{ fill = 0 }}]\n");
    assert_eq!(parse_toml(&inline).unwrap().layers[0].filter_list.len(), 2);
}

#[test]
fn empty_document_is_an_empty_spec() {
    assert_eq!(parse_toml("").unwrap(), Spec::default());
    assert_eq!(parse_toml("# nothing\n").unwrap(), Spec::default());
}

#[test]
fn syntax_errors_have_spans() {
    let text = "outputs = [\"a\"\nx = 1\n";
    let d = error(text, "invalid TOML");
    assert!(d.span.is_some());
    assert!(d.label.starts_with("expected"), "{d:?}");
    let d = error("a = 1\na = 2\n", "invalid TOML");
    assert_eq!(spanned_text("a = 1\na = 2\n", d.span), "a");
}

#[test]
fn deep_nesting_and_garbage_do_not_crash() {
    for text in [
        "x = ".to_string() + &"[".repeat(100_000),
        "x = ".to_string() + &"[".repeat(100_000) + &"]".repeat(100_000),
        "x = ".to_string() + &"{a=".repeat(100_000),
        vec!["x"; 100_000].join(".") + " = 1",
        format!("[{}]", vec!["x"; 100_000].join(".")),
        "\u{0}\u{1}\u{fffd}garbage ] [[ = ".to_string(),
        "[[layers]]\n[layers]\n".to_string(),
    ] {
        assert!(parse_toml(&text).is_err());
    }
}

#[test]
fn unknown_keys_suggest_corrections() {
    let d = error("[[layer]]\nname = \"x\"\n", "unknown key `layer`");
    assert!(d.hints[0].contains("`layers`"), "{d:?}");
    // A misspelt value key also leaves the tensor without a value: both are reported.
    let diags = errors("[inputs.x]\nshape = [1]\nfil = 1\n");
    assert!(diags[0].message.contains("unknown key `fil`"), "{diags:?}");
    assert!(diags[0].hints[0].contains("`fill`"), "{diags:?}");
    assert!(diags[1].message.contains("has no value"), "{diags:?}");
    let d = error(&format!("{LAYER}kernal = {{ fill = 1 }}\n"), "`kernal`");
    assert!(d.hints[0].contains("`kernel`"), "{d:?}");
    let d = error(&format!("{LAYER}[[layers.fitler]]\nfill = 1\n"), "`fitler`");
    assert!(d.hints[0].contains("`filter`"), "{d:?}");
    let d = error(
        &format!("{LAYER}[[layers.filter]]\nnmae = \"a\"\nfill = 1\n"),
        "`nmae`",
    );
    assert!(d.hints[0].contains("`name`"), "{d:?}");
    let d = error(
        "[[expect]]\nname = \"a\"\nwithin = 1\nfill = 1\nwhithin = 2\n",
        "`whithin`",
    );
    assert!(d.hints[0].contains("`within`"), "{d:?}");
}

#[test]
fn every_problem_is_reported() {
    let text = "bogus = 1\n[inputs.x]\ndata = [[1, 2]]\n[[layers]]\nop = 3\ninputs = \"x\"\n\
                [[expect]]\nwithin = \"a\"\n";
    let diags = errors(text);
    let messages: Vec<&str> = diags.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(diags.len(), 8, "{messages:#?}");
    assert!(
        messages[7].contains("expectation 1 has no value"),
        "{messages:#?}"
    );
}

#[test]
fn a_plain_string_for_inputs_shows_the_list_form() {
    let d = error(
        "[[layers]]\nname = \"c\"\nop = \"conv1d\"\ninputs = \"x\"\n",
        "list of names",
    );
    assert_eq!(d.hints, ["write inputs = [\"x\"]"]);
    let d = error("outputs = \"y\"\n", "list of names");
    assert_eq!(d.hints, ["write outputs = [\"y\"]"]);
}

#[test]
fn missing_layer_keys() {
    let d = error(
        "[[layers]]\nop = \"conv1d\"\ninputs = [\"x\"]\n",
        "needs `name`",
    );
    assert_eq!(d.hints, ["write name = \"conv1\""]);
    error("[[layers]]\nname = \"c\"\ninputs = [\"x\"]\n", "needs `op`");
    error(
        "[[layers]]\nname = \"c\"\nop = \"relu\"\n",
        "has no `inputs`",
    );
    error("[[expect]]\nfill = 1\n", "needs the `name`");
    let d = error("[layers]\nname = \"c\"\n", "list of tables");
    assert!(d.hints[0].contains("[[layers]]"));
    error(
        "[[layers]]\nname = 1\nop = \"a\"\ninputs = []\n",
        "must be a string",
    );
}

#[test]
fn nested_data_asks_to_flatten() {
    let text = "[inputs.x]\nshape = [2, 2]\ndata = [[1, 2], [3, 4]]\n";
    let d = error(text, "flat list");
    assert_eq!(spanned_text(text, d.span), "[1, 2]");
    assert!(d.hints[0].contains("row-major"));
}

#[test]
fn tensor_value_count_is_exactly_one() {
    let d = error("[inputs.x]\nshape = [1]\n", "has no value");
    assert!(d.hints[0].contains("`data`"));
    let text = "[inputs.x]\nfill = 1\ndata = [1]\n";
    let d = error(text, "has both `fill` and `data`");
    assert_eq!(spanned_text(text, d.span), "data");
    assert_eq!(&text[d.labels[0].span.range()], "fill");
    error(
        "[inputs.x]\nfill = 1\nseed = 3\n",
        "`seed` only goes with `init`",
    );
    error(
        "[inputs.x]\nfill = 1\nargs = [3]\n",
        "`args` only goes with `builtin`",
    );
    error(&format!("{LAYER}kernel = [0, 1, 0]\n"), "must be a table");
    error(&format!("{LAYER}bias = 0\n"), "must be a table");
}

#[test]
fn bad_tensor_values() {
    let d = error("[inputs.x]\nshape = 8\nfill = 1\n", "list of sizes");
    assert_eq!(d.hints, ["write shape = [8]"]);
    error("[inputs.x]\nshape = [-1]\nfill = 1\n", "cannot be negative");
    let d = error("[inputs.x]\nshape = [2.0]\nfill = 1\n", "whole number");
    assert_eq!(d.hints, ["write it without a fraction: 2"]);
    error(
        "[inputs.x]\nshape = [99999999999999999999]\nfill = 1\n",
        "too large",
    );
    let d = error("[inputs.x]\ndata = [1, \"2\"]\n", "must be a number");
    assert_eq!(d.hints, ["write the number without quotes: 2"]);
    error("[inputs.x]\nfill = \"a\"\n", "must be a number");
    error("[inputs.x]\nnpy = 3\n", "must be a string");
    error(
        "[inputs.x]\ninit = \"zeros\"\nseed = -1\n",
        "cannot be negative",
    );
    let d = error(
        "[inputs.x]\nbuiltin = \"box\"\nargs = 5\n",
        "list of numbers",
    );
    assert_eq!(d.hints, ["write args = [5]"]);
    error("[inputs.x]\ndata = 3\n", "list of numbers");
    error("inputs = [1]\n", "table of inputs");
    error("[inputs]\nx = 1\n", "must be a table");
}

#[test]
fn many_bad_values_are_counted_not_listed() {
    let data = vec!["\"a\""; 20].join(", ");
    let diags = errors(&format!("[inputs.x]\ndata = [{data}]\n"));
    assert_eq!(diags.len(), 9);
    assert!(diags[8].message.contains("12 more"));
}

#[test]
fn arguments_must_look_like_arguments() {
    error(
        &format!("{LAYER}padding = 1979-05-27\n"),
        "`padding` must be",
    );
    error(
        &format!("{LAYER}filters = 99999999999999999999\n"),
        "too large",
    );
    let d = error(&format!("{LAYER}data = {{ a = 1 }}\n"), "holds a table");
    assert!(d.hints[0].contains("inside a tensor"));
}

mod never_panics {
    use super::{parse_toml, PRODUCT_EXAMPLE};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn on_arbitrary_text(text in "\\PC{0,200}") {
            let _ = parse_toml(&text);
        }

        /// Damaged versions of a good spec reach deeper into the walk than random text.
        #[test]
        fn on_edited_specs(at in 0usize..1000, len in 0usize..20, insert in "[\\[\\]{}=,\"a-z0-9.\\n -]{0,8}") {
            let mut text = PRODUCT_EXAMPLE.to_string();
            let start = at.min(text.len());
            let end = (start + len).min(text.len());
            if text.is_char_boundary(start) && text.is_char_boundary(end) {
                text.replace_range(start..end, &insert);
            }
            if let Err(diags) = parse_toml(&text) {
                prop_assert!(!diags.is_empty());
                for d in diags {
                    let span = d.span.unwrap_or_default();
                    prop_assert!(span.start <= span.end && span.end <= text.len(), "{d:?}");
                }
            }
        }
    }
}

#[test]
fn an_unclosed_list_is_shown_where_it_should_close() {
    let text = "[inputs.x]\ndata = [0, 1\n\n[[layers]]\n";
    let d = error(text, "missing comma");
    let at = d.span.unwrap().start;
    assert_eq!(&text[..at], "[inputs.x]\ndata = [0, 1");
    assert!(d.hints[0].contains("close it with `]`"));
}
