//! Tests of the `.conv` front end: what each construct parses to, and that bad input of any
//! kind gives diagnostics rather than a panic.

use super::parse_conv;
use crate::ast::*;
use crate::diagnostic::Diagnostic;

fn parse_ok(text: &str) -> Spec {
    match parse_conv(text) {
        Ok(spec) => spec,
        Err(diagnostics) => panic!("{text}\n{}", render(text, &diagnostics)),
    }
}

fn parse_err(text: &str) -> Vec<Diagnostic> {
    match parse_conv(text) {
        Ok(spec) => panic!("expected an error for {text:?}, got {spec:#?}"),
        Err(diagnostics) => diagnostics,
    }
}

fn render(text: &str, diagnostics: &[Diagnostic]) -> String {
    crate::diagnostic::render("test.conv", text, diagnostics, false)
}

fn rows(value: &TensorValue) -> Vec<Vec<f64>> {
    match value {
        TensorValue::Numbers(grid) => grid.rows.iter().map(|r| r.value.clone()).collect(),
        other => panic!("expected numbers, got {other:?}"),
    }
}

const BUMP: &str = "\
# The tutorial's first example: a 1D bump detector.
input signal (1, 8, 1) = [0 0 0 1 1 0 0 0]

layer bump = conv1d(signal) {
    filter middle = [0 1 0]      # one 3-tap filter
    bias = 0
}

expect bump = [0 0 1 1 0 0]
";

#[test]
fn parses_the_bump_example_with_spans() {
    let spec = parse_ok(BUMP);
    let input = &spec.inputs[0];
    assert_eq!(input.name.value, "signal");
    assert_eq!(&BUMP[input.name.span.range()], "signal");
    let shape = input.tensor.shape.as_ref().expect("shape");
    assert_eq!(shape.value, vec![1, 8, 1]);
    assert_eq!(&BUMP[shape.span.range()], "(1, 8, 1)");
    assert_eq!(
        rows(&input.tensor.value.value),
        vec![vec![0., 0., 0., 1., 1., 0., 0., 0.]]
    );
    assert_eq!(
        &BUMP[input.span.range()],
        "input signal (1, 8, 1) = [0 0 0 1 1 0 0 0]"
    );

    let layer = &spec.layers[0];
    assert_eq!(layer.name.value, "bump");
    assert_eq!(layer.op.value, "conv1d");
    assert_eq!(layer.inputs[0].value, "signal");
    assert_eq!(layer.filter_list.len(), 1);
    let filter = &layer.filter_list[0];
    assert_eq!(
        filter.name.as_ref().map(|n| n.value.as_str()),
        Some("middle")
    );
    assert_eq!(&BUMP[filter.span.range()], "filter middle = [0 1 0]");
    let bias = layer.bias.as_ref().expect("bias");
    assert_eq!(
        bias.value.value,
        TensorValue::Fill(Spanned::new(0.0, bias.value.span))
    );
    assert!(spec.outputs.is_none());
    assert_eq!(spec.expects[0].name.value, "bump");
    assert!(spec.expects[0].within.is_none());
}

#[test]
fn parses_the_examples_of_the_language_reference() {
    let text = "
input photo (1, 8, 8, 3) = init random_uniform seed 1
layer edges = conv2d(photo) {
    padding = same
    activation = relu
    filter vertical = vertical_line
    filter horizontal = horizontal_line
}
layer plain = conv2d(photo) {
    filter = [
        0 1 0
        0 1 0
        0 1 0
    ]
    filter red_edges = {
        channel 0: sobel_x
        channel 1: [0 0 0 / 0 0 0 / 0 0 0]
        channel 2: [0 0 0 / 0 0 0 / 0 0 0]
    }
}
input wave (1, 4, 2) = { channel 0: [1 2 3 4]  channel 1: [5 6 7 8] }
output edges
expect edges (1, 8, 8, 2) = 0 within 0.001
";
    let spec = parse_ok(text);
    assert_eq!(spec.layers.len(), 2);
    assert_eq!(spec.layers[0].args.len(), 2);
    assert_eq!(spec.layers[1].filter_list.len(), 2);
    assert!(matches!(&spec.inputs[1].tensor.value.value, TensorValue::Grids(g) if g.len() == 2));
}

#[test]
fn newlines_slashes_and_semicolons_end_rows_inside_brackets() {
    let text = "input x (1, 3, 3, 1) = [\n  1, 2, 3   # first\n\n  4 5 6 / 7 8 9 ;\n]";
    let spec = parse_ok(text);
    let expected = vec![vec![1., 2., 3.], vec![4., 5., 6.], vec![7., 8., 9.]];
    assert_eq!(rows(&spec.inputs[0].tensor.value.value), expected);
}

#[test]
fn statements_may_span_lines_and_share_them() {
    let spec = parse_ok("input\n x\n (1,2,1)\n =\n [1 2] output x, x expect x = 1 within 0.5");
    assert_eq!(spec.inputs.len(), 1);
    assert_eq!(spec.outputs.as_ref().map(Vec::len), Some(2));
    assert_eq!(spec.expects[0].within.as_ref().map(|w| w.value), Some(0.5));
}

#[test]
fn reads_every_number_form() {
    let spec = parse_ok("input x (1, 10, 1) = [3 -1 0.5 .5 5. 1e-3 -2.5E+4 inf -inf nan]");
    let values = &rows(&spec.inputs[0].tensor.value.value)[0];
    assert_eq!(
        &values[..9],
        &[
            3.,
            -1.,
            0.5,
            0.5,
            5.,
            1e-3,
            -2.5e4,
            f64::INFINITY,
            f64::NEG_INFINITY
        ]
    );
    assert!(values[9].is_nan());
}

#[test]
fn reads_sizes_in_every_form() {
    for (text, sizes) in [
        ("input x 3 = 0", vec![3]),
        ("input x (3, 3) = 0", vec![3, 3]),
        ("input x (3,) = 0", vec![3]),
        ("input x 1x3x3x1 = 0", vec![1, 3, 3, 1]),
        ("input x () = 0", vec![]),
    ] {
        let spec = parse_ok(text);
        let shape = spec.inputs[0]
            .tensor
            .shape
            .as_ref()
            .map(|s| s.value.clone());
        assert_eq!(shape, Some(sizes), "{text}");
    }
}

#[test]
fn reads_argument_values() {
    let text = "layer y = conv2d(x) {
        filters = 2, kernel_size = 3x3
        strides = (2,)
        padding = ((1, 1), (0, 2))
        activation = \"relu\"
        padding_mode = reflect
        use_bias = false
        alpha = 0.5
        big = -7
    }";
    let spec = parse_ok(text);
    let args: Vec<(&str, &ArgValue)> = spec.layers[0]
        .args
        .iter()
        .map(|a| (a.key.value.as_str(), &a.value.value))
        .collect();
    let int = |n| ArgValue::Int(n);
    let ints = |v: &ArgValue| match v {
        ArgValue::Tuple(items) => items.iter().map(|i| i.value.clone()).collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    assert_eq!(args[0], ("filters", &int(2)));
    assert_eq!(ints(args[1].1), vec![int(3), int(3)]);
    assert_eq!(ints(args[2].1), vec![int(2)]);
    let padding = ints(args[3].1);
    assert_eq!(
        padding.iter().map(ints).collect::<Vec<_>>(),
        vec![vec![int(1), int(1)], vec![int(0), int(2)]]
    );
    assert_eq!(args[4].1, &ArgValue::Word("relu".into()));
    assert_eq!(args[5].1, &ArgValue::Word("reflect".into()));
    assert_eq!(args[6].1, &ArgValue::Bool(false));
    assert_eq!(args[7].1, &ArgValue::Float(0.5));
    assert_eq!(args[8].1, &int(-7));
}

#[test]
fn reads_every_tensor_form() {
    let text = "layer y = conv2d(x) {
        filter = sobel_x
        filter = box(5)
        filter = gaussian(5, 1.5)
        filter = fill 0.25
        filter = npy \"w.npy\"
        filter = init glorot_uniform seed 7
        filter = init zeros
        filter = { channel 0: sobel_x  channel 1: [1 2 / 3 4], depth 1, channel 2: [5] }
    }";
    let spec = parse_ok(text);
    let values: Vec<&TensorValue> = spec.layers[0]
        .filter_list
        .iter()
        .map(|f| &f.tensor.value.value)
        .collect();
    let TensorValue::Builtin(sobel) = values[0] else {
        panic!()
    };
    assert_eq!(
        (sobel.name.value.as_str(), sobel.args.len()),
        ("sobel_x", 0)
    );
    let TensorValue::Builtin(gauss) = values[2] else {
        panic!()
    };
    assert_eq!(
        gauss.args.iter().map(|a| a.value).collect::<Vec<_>>(),
        vec![5.0, 1.5]
    );
    assert!(matches!(values[3], TensorValue::Fill(f) if f.value == 0.25));
    assert!(matches!(values[4], TensorValue::Npy(p) if p.value == "w.npy"));
    let TensorValue::Init(init) = values[5] else {
        panic!()
    };
    assert_eq!(
        (
            init.name.value.as_str(),
            init.seed.as_ref().map(|s| s.value)
        ),
        ("glorot_uniform", Some(7))
    );
    assert!(matches!(values[6], TensorValue::Init(i) if i.seed.is_none()));
    let TensorValue::Grids(grids) = values[7] else {
        panic!()
    };
    assert_eq!(grids.len(), 3);
    let axes: Vec<(LabelAxis, u64)> = grids[2]
        .labels
        .iter()
        .map(|l| (l.axis.value, l.index.value))
        .collect();
    assert_eq!(axes, vec![(LabelAxis::Depth, 1), (LabelAxis::Channel, 2)]);
    assert!(matches!(&grids[1].value, GridValue::Numbers(g) if g.rows.len() == 2));
}

#[test]
fn keywords_can_be_names_where_no_statement_starts() {
    let spec = parse_ok("input input (1,1,1) = 1 layer filter = add(input, input) output filter");
    assert_eq!(spec.layers[0].name.value, "filter");
    assert_eq!(spec.layers[0].inputs[1].value, "input");
}

#[test]
fn kernel_and_bias_clauses_take_shapes() {
    let spec = parse_ok("layer y = conv1d(x) { kernel (3, 1, 1) = [0 1 0] bias 1 = [0.5] }");
    let layer = &spec.layers[0];
    assert_eq!(
        layer
            .kernel
            .as_ref()
            .and_then(|k| k.shape.as_ref())
            .map(|s| s.value.clone()),
        Some(vec![3, 1, 1])
    );
    assert_eq!(
        layer
            .bias
            .as_ref()
            .and_then(|k| k.shape.as_ref())
            .map(|s| s.value.clone()),
        Some(vec![1])
    );
}

#[test]
fn syntax_errors_say_what_was_expected_in_words() {
    let text = "input signal [0 1]";
    let diagnostics = parse_err(text);
    assert_eq!(diagnostics.len(), 1);
    let d = &diagnostics[0];
    assert_eq!(
        d.message,
        "expected a shape like `(1, 8, 1)` or `=` after the input's name, found `[`"
    );
    assert_eq!(d.span, Some(Span::new(13, 14)));
}

#[test]
fn misspelt_statements_get_a_suggestion() {
    let diagnostics = parse_err("inptu x (1,1,1) = 0");
    assert!(
        diagnostics[0].message.contains("expected a statement"),
        "{:?}",
        diagnostics[0]
    );
    assert!(
        diagnostics[0].hints.iter().any(|h| h.contains("`input`")),
        "{:?}",
        diagnostics[0]
    );
}

#[test]
fn reports_several_syntax_errors() {
    let text = "input x (1,2,1) = [1 2\nlayer y = conv1d(x { }\nlayer z = add(x, y)\noutput z,\n";
    let diagnostics = parse_err(text);
    assert_eq!(diagnostics.len(), 3, "{}", render(text, &diagnostics));
}

#[test]
fn reports_problems_found_while_building() {
    let text = "layer y = conv1d(x) {
        kernel = [1]
        kernel = [2]
        filter = [3]
        filters = 99999999999999999999
        bias = { chanel 0: [1], channel 1, channel 2: [2] }
    }
    input x 99999999999999999999x1 = 0";
    let diagnostics = parse_err(text);
    let messages: Vec<&str> = diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(messages.len(), 6, "{}", render(text, &diagnostics));
    assert!(
        messages[0].contains("both a `kernel` clause and `filter`"),
        "{messages:?}"
    );
    assert!(messages[1].contains("second `kernel`"), "{messages:?}");
    assert!(messages[2].contains("too large"), "{messages:?}");
    assert!(
        messages[3].contains("`chanel` is not an axis"),
        "{messages:?}"
    );
    assert!(diagnostics[3].hints.iter().any(|h| h.contains("`channel`")));
    assert!(messages[4].contains("`channel` twice"), "{messages:?}");
    assert!(messages[5].contains("size"), "{messages:?}");
}

#[test]
fn hostile_input_gives_errors_not_panics() {
    let deep_parens = format!(
        "layer y = conv2d(x) {{ padding = {} }}",
        "(".repeat(100_000)
    );
    let deep_brackets = format!("input x = {}", "[".repeat(100_000));
    let deep_braces = format!("input x = {}", "{".repeat(100_000));
    let long_number = format!("input x (1,1,1) = [{}]", "9".repeat(100_000));
    let huge_size = format!("input x ({}, 1) = 0", "9".repeat(1000));
    let binary: String = (0u8..=255).map(char::from).collect();
    for text in [
        "",
        "   \n# only a comment\n",
        "garbage",
        "input",
        "input x (1,1,1) = [",
        "layer y = conv1d(x) {",
        "\0\u{1}\u{7f}",
        "λ ∑ 😀",
        binary.as_str(),
        deep_parens.as_str(),
        deep_brackets.as_str(),
        deep_braces.as_str(),
        huge_size.as_str(),
    ] {
        let diagnostics = parse_conv(text).expect_err(text);
        // Rendering must not panic either.
        render(text, &diagnostics);
    }
    // A long number is still a number: it overflows f64 to infinity, as Python's float().
    assert!(parse_conv(&long_number).is_ok());
}

#[test]
fn syntax_error_messages_name_things_in_words() {
    for (text, message) in [
        ("input x (1,1,1) [1]", "expected `=`, found `[`"),
        ("input x (1,1,1) = [1-2]", "expected a space, `,` or a new row after the number, found `-2`"),
        ("input x (1,1,1) = [1 2", "expected `]` or a number in `[ ... ]`, found the end of the file"),
        ("input x (1,1,1) = fill x", "expected a number, found `x`"),
        ("layer y = conv1d(x) { filter = init }", "expected an initializer name like `glorot_uniform`, found `}`"),
        ("layer y = conv1d(x) { filter = npy w.npy }", "expected a quoted path like `\"weights.npy\"`, found `w.npy`"),
        ("layer y = conv1d(x) { padding = same 5 }", "expected an argument `key = value`, or a `filter`, `kernel` or `bias` clause, `,` or `}`, found `5`"),
        ("layer y = conv1d(x) { filter = { channel 0 [1] } }", "expected `,` or `:` in labelled grids `{ channel 0: [...] ... }`, found `[`"),
        ("input x (1,1,1) = 1 $", "expected a statement (`input`, `layer`, `output` or `expect`), found `$`"),
        ("output", "expected a name, found the end of the file"),
    ] {
        let diagnostics = parse_err(text);
        assert_eq!(diagnostics[0].message, message, "{text}");
    }
}

#[test]
fn a_bad_clause_is_not_read_as_an_argument() {
    // Without the grammar's guard, `filter = init` would be the argument `filter = init`.
    let diagnostics = parse_err("layer y = conv1d(x) { filter = init }");
    assert!(
        diagnostics[0].message.contains("initializer"),
        "{:?}",
        diagnostics[0]
    );
}

#[test]
fn statements_after_the_block_need_braces_hint() {
    let diagnostics = parse_err("layer y = conv1d(x) padding = same");
    assert!(
        diagnostics[0].hints[0].contains("braces"),
        "{:?}",
        diagnostics[0]
    );
}

mod fuzz {
    use super::parse_conv;
    use crate::print::conv::to_conv;
    use proptest::prelude::*;

    /// Pieces of the language, so that random sequences often get deep into the grammar.
    const TOKENS: &[&str] = &[
        "input",
        "layer",
        "output",
        "expect",
        "filter",
        "kernel",
        "bias",
        "fill",
        "npy",
        "init",
        "seed",
        "within",
        "channel",
        "batch",
        "depth",
        "x",
        "y",
        "conv1d",
        "sobel_x",
        "box",
        "true",
        "inf",
        "-inf",
        "nan",
        "(",
        ")",
        "{",
        "}",
        "[",
        "]",
        "=",
        ",",
        ":",
        "/",
        ";",
        "\n",
        " ",
        "#c\n",
        "1",
        "-2.5",
        ".5",
        "1e3",
        "3x3",
        "99999999999999999999",
        "\"p\"",
        "\"",
        "(1, 8, 1)",
        "[0 1 0]",
        "λ",
        "\0",
    ];

    fn no_model() -> crate::ir::Model {
        crate::ir::Model {
            values: Vec::new(),
            outputs: Vec::new(),
            expects: Vec::new(),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Any text gives a spec or diagnostics, never a panic; a spec prints as text that
        /// parses again and prints the same.
        #[test]
        fn never_panics_and_prints_stably(
            picks in proptest::collection::vec(0..TOKENS.len(), 0..60),
            spaced in any::<bool>(),
        ) {
            let tokens: Vec<&str> = picks.iter().map(|&i| TOKENS[i]).collect();
            let text = tokens.join(if spaced { " " } else { "" });
            if let Ok(spec) = parse_conv(&text) {
                let printed = to_conv(&spec, &no_model());
                let again = parse_conv(&printed);
                prop_assert!(again.is_ok(), "{text:?} printed as {printed:?}: {again:?}");
                if let Ok(again) = again {
                    prop_assert_eq!(to_conv(&again, &no_model()), printed);
                }
            }
        }

        /// Statement-shaped text parses more often, to exercise the printer.
        #[test]
        fn statements_round_trip(
            name in "[a-z_][a-z0-9_]{0,6}",
            numbers in proptest::collection::vec(any::<f64>(), 1..12),
            word in "[a-z \"]{0,6}",
        ) {
            let numbers: Vec<String> = numbers.iter().map(|x| format!("{x:e}")).collect();
            let text = format!(
                "input {name} (1, {n}, 1) = [{data}]\nlayer l = conv1d({name}) {{ a = \"{w}\" }}",
                n = numbers.len(),
                data = numbers.join(", "),
                w = word.replace('"', ""),
            );
            let spec = parse_conv(&text).map_err(|d| TestCaseError::fail(format!("{text}: {d:?}")))?;
            let printed = to_conv(&spec, &no_model());
            let again = parse_conv(&printed).map_err(|d| TestCaseError::fail(format!("{printed}: {d:?}")))?;
            let bits = |spec: &crate::ast::Spec| match &spec.inputs[0].tensor.value.value {
                crate::ast::TensorValue::Numbers(grid) => {
                    grid.values().map(f64::to_bits).collect::<Vec<u64>>()
                }
                _ => Vec::new(),
            };
            prop_assert_eq!(bits(&again), bits(&spec));
            prop_assert_eq!(&again.layers[0].args, &spec.layers[0].args.iter().map(|a| {
                let mut a = a.clone();
                a.key.span = again.layers[0].args[0].key.span;
                a.value.span = again.layers[0].args[0].value.span;
                a
            }).collect::<Vec<_>>());
            prop_assert_eq!(to_conv(&again, &no_model()), printed);
        }
    }
}
