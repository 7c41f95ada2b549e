//! `convc explain`: its numbers are the interpreter's, and its text reads as the tutorial does.
//!
//! - Every layer of every good spec is explained at its corners and middle (every position of
//!   small layers), and the value explain computes must be bit-for-bit the interpreter's.
//! - Snapshots (`snapshots/explain@*.snap`) show what a user reads, for each kind of layer.

use convc::check::DEFAULT_MAX_MEMORY;
use convc::explain;
use convc::ir::{Model, Tensor, ValueKind};
use convc::pipeline;
use std::path::Path;

fn load(spec: &str) -> (Model, Vec<Tensor>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let loaded = match pipeline::load(&root.join(spec), DEFAULT_MAX_MEMORY, false) {
        Ok(loaded) => loaded,
        Err(e) => panic!("{spec} should load:\n{}", e.message),
    };
    let values = convc::interp::run(&loaded.model);
    (loaded.model, values)
}

/// What `convc explain SPEC --layer LAYER [--at AT]` prints.
fn explain(spec: &str, layer: &str, at: Option<&str>) -> String {
    let (model, values) = load(spec);
    match explain::explain(&model, &values, Some(layer), at) {
        Ok(text) => text,
        Err(e) => panic!("{spec} {layer} {at:?}: {}", e.render_plain()),
    }
}

fn snapshot(name: &str, command: &str, text: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_description(command);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(format!("explain@{name}"), text));
}

/// Positions to try on `shape`: every one when there are few, else the corners of every axis
/// (where the padding is) and the middle.
fn positions(shape: &[usize]) -> Vec<Vec<usize>> {
    let total: usize = shape.iter().product();
    let mut out = Vec::new();
    if total <= 300 {
        for flat in 0..total {
            out.push(unravel(shape, flat));
        }
        return out;
    }
    for corner in 0..(1usize << shape.len()) {
        let index = shape
            .iter()
            .enumerate()
            .map(|(a, &n)| if corner >> a & 1 == 1 { n - 1 } else { 0 })
            .collect();
        out.push(index);
    }
    out.push(shape.iter().map(|&n| n / 2).collect());
    out
}

fn unravel(shape: &[usize], mut flat: usize) -> Vec<usize> {
    let mut index = vec![0; shape.len()];
    for a in (0..shape.len()).rev() {
        index[a] = flat % shape[a];
        flat /= shape[a];
    }
    index
}

fn offset(shape: &[usize], index: &[usize]) -> usize {
    shape.iter().zip(index).fold(0, |o, (&n, &i)| o * n + i)
}

#[test]
fn explained_values_are_the_interpreters_on_every_spec() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("specs");
    let specs = convc::testing::collect(&[root.join("seed"), root.join("features")])
        .expect("specs are readable");
    let mut checked = 0;
    for path in specs {
        let shown = path
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap_or(&path);
        let (model, values) = load(&shown.display().to_string());
        for (id, value) in model.values.iter().enumerate() {
            if !matches!(value.kind, ValueKind::Layer(_)) {
                continue;
            }
            for index in positions(&value.shape) {
                let explained = explain::explain_at(&model, &values, id, &index);
                let want = values[id].data[offset(&value.shape, &index)];
                assert!(
                    explained.value.to_bits() == want.to_bits()
                        || (explained.value.is_nan() && want.is_nan()),
                    "{} layer {} at {index:?}: explain says {}, the interpreter {}\n{}",
                    shown.display(),
                    value.name,
                    explained.value,
                    want,
                    explained.text
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 1000, "only {checked} positions were checked");
}

#[test]
fn bump_shows_the_tutorials_six_steps() {
    let text = explain("specs/seed/bump.conv", "bump", None);
    let steps = [
        "[0 1 0]·[0 0 0] = 0",
        "[0 1 0]·[0 0 1] = 0",
        "[0 1 0]·[0 1 1] = 1",
        "[0 1 0]·[1 1 0] = 1",
        "[0 1 0]·[1 0 0] = 0",
        "[0 1 0]·[0 0 0] = 0",
    ];
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let found: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.starts_with("[0 1 0]·"))
        .collect();
    assert_eq!(found, steps, "{text}");
    snapshot("bump", "convc explain specs/seed/bump.conv", &text);
}

#[test]
fn vertical_line_at_the_first_three() {
    let text = explain("specs/seed/vertical_line.conv", "vertical", Some("0,2"));
    // The 3x3 patch (columns 2-4: 0 1 1), the filter (0 1 0) and the sum 3.
    assert!(text.contains("  0 1 1   0 1 0    0 1 0\n"), "{text}");
    assert_eq!(text.matches("0 1 1   0 1 0").count(), 3, "{text}");
    assert!(text.contains("sum of products: 3\n"), "{text}");
    assert!(
        text.contains("value (rounded to float32 once): 3\n"),
        "{text}"
    );
    snapshot(
        "vertical_line",
        "convc explain specs/seed/vertical_line.conv --layer vertical --at 0,2",
        &text,
    );
}

/// One snapshot per kind of layer and border case.
#[test]
fn every_kind_of_layer() {
    let cases = [
        ("lines_both", "specs/seed/lines.conv", "both", Some("4,1")),
        (
            "lines_strict",
            "specs/seed/lines.conv",
            "strict_vertical",
            Some("3,0"),
        ),
        (
            "lines_two_filters",
            "specs/seed/lines.conv",
            "detectors",
            Some("4,1,1"),
        ),
        (
            "reflect_border",
            "specs/features/padding_modes.conv",
            "reflect",
            None,
        ),
        (
            "circular_2d_corner",
            "specs/features/padding_modes.conv",
            "circular_2d",
            Some("0,0"),
        ),
        (
            "same_2d_corner",
            "specs/features/padding_same.conv",
            "box3",
            Some("0,0"),
        ),
        (
            "depthwise_2d",
            "specs/features/depthwise.conv",
            "dw2d",
            Some("0,0,3"),
        ),
        (
            "depthwise_1d",
            "specs/features/depthwise.conv",
            "dw1d",
            Some("1,1"),
        ),
        (
            "groups",
            "specs/features/groups.conv",
            "grouped",
            Some("0,2"),
        ),
        (
            "channels",
            "specs/features/channels1d.conv",
            "mixed",
            Some("0,0"),
        ),
        ("rgb", "specs/features/rgb.conv", "colour", Some("0,0,0")),
        (
            "conv3d_same",
            "specs/features/conv3d.conv",
            "sum_same",
            Some("0,0,0"),
        ),
        (
            "strides_dilation",
            "specs/features/strides_dilation.conv",
            "both_same",
            Some("0,0"),
        ),
        (
            "causal",
            "specs/features/padding_causal.conv",
            "causal_dilated",
            None,
        ),
        (
            "pool1d_same",
            "specs/features/pooling1d.conv",
            "avg_same",
            None,
        ),
        (
            "pool2d_same_corner",
            "specs/features/pooling2d.conv",
            "avg_3x3_same_s1",
            Some("0,0"),
        ),
        (
            "pool3d",
            "specs/features/pooling3d.conv",
            "max_same",
            Some("1,1,1"),
        ),
        (
            "global_avg",
            "specs/features/global_pooling.conv",
            "gavg2",
            Some("0"),
        ),
        (
            "batch",
            "specs/features/batch.conv",
            "diag",
            Some("1,0,0,0"),
        ),
        (
            "softmax",
            "specs/features/activations.conv",
            "softmax",
            Some("0,1"),
        ),
        (
            "relu",
            "specs/features/activations.conv",
            "relu",
            Some("0,0"),
        ),
        ("average", "specs/features/merges.conv", "mean", Some("0,0")),
        (
            "concatenate",
            "specs/features/merges.conv",
            "joined",
            Some("0,2"),
        ),
    ];
    for (name, spec, layer, at) in cases {
        let text = explain(spec, layer, at);
        let at_arg = at.map_or(String::new(), |a| format!(" --at {a}"));
        snapshot(
            name,
            &format!("convc explain {spec} --layer {layer}{at_arg}"),
            &text,
        );
    }
}

#[test]
fn request_mistakes_are_messages() {
    let (model, values) = load("specs/seed/vertical_line.conv");
    let err = |layer: Option<&str>, at: Option<&str>| {
        explain::explain(&model, &values, layer, at)
            .expect_err("a mistake")
            .render_plain()
    };
    let e = err(Some("vertikal"), Some("0,0"));
    assert!(
        e.contains("no layer named `vertikal`") && e.contains("did you mean `vertical`"),
        "{e}"
    );
    let e = err(Some("image"), Some("0,0"));
    assert!(e.contains("error[E0511]: `image` is an input"), "{e}");
    let e = err(None, Some("0,6"));
    assert!(
        e.contains("col 6 is out of range") && e.contains("from 0 to 5"),
        "{e}"
    );
    let e = err(None, None);
    assert!(e.contains("--at 3,3"), "{e}");
    let e = err(None, Some("0;2"));
    assert!(
        e.contains("error[E0512]") && e.contains("not an index"),
        "{e}"
    );
}
