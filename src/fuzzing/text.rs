//! The text targets: each front end and the checker on arbitrary bytes, and `convc convert`
//! there and back.

use super::{load, spec_dir};
use crate::ir::{Model, Op, ValueKind};
use crate::parse::Syntax;
use crate::pipeline::Loaded;
use crate::print;

/// Arbitrary bytes as a `.conv` spec: a model or diagnostics, never a panic.
pub fn parse_conv(data: &[u8]) {
    front_end(data, Syntax::Conv);
}

/// Arbitrary bytes as a `.toml` spec: a model or diagnostics, never a panic.
pub fn parse_toml(data: &[u8]) {
    front_end(data, Syntax::Toml);
}

fn front_end(data: &[u8], syntax: Syntax) {
    // Non-UTF-8 files are refused before parsing (`pipeline::load_with_inputs`).
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    match load(&spec_path(syntax), source) {
        Ok(_) => {}
        Err(e) => assert!(
            !e.message.is_empty(),
            "a spec was refused without a message"
        ),
    }
}

fn spec_path(syntax: Syntax) -> std::path::PathBuf {
    spec_dir().join(match syntax {
        Syntax::Conv => "fuzz.conv",
        Syntax::Toml => "fuzz.toml",
    })
}

fn print(loaded: &Loaded, to: Syntax) -> String {
    match to {
        Syntax::Conv => print::conv::to_conv(&loaded.spec, &loaded.model),
        Syntax::Toml => print::toml::to_toml(&loaded.spec, &loaded.model),
    }
}

fn other(syntax: Syntax) -> Syntax {
    match syntax {
        Syntax::Conv => Syntax::Toml,
        Syntax::Toml => Syntax::Conv,
    }
}

/// Every spec that checks (read as `.conv` and as `.toml`), converted to the other syntax,
/// must check again and describe the identical model; and so must the conversion back.
pub fn convert_roundtrip(data: &[u8]) {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    for syntax in [Syntax::Conv, Syntax::Toml] {
        if let Ok(original) = load(&spec_path(syntax), source) {
            roundtrip(&original, syntax);
        }
    }
}

fn roundtrip(original: &Loaded, syntax: Syntax) {
    let mut current = syntax;
    let mut loaded_text = original.source.clone();
    let mut previous: Option<Loaded> = None;
    for _ in 0..2 {
        let from = previous.as_ref().unwrap_or(original);
        let to = other(current);
        let text = print(from, to);
        let converted = load(&spec_path(to), &text).unwrap_or_else(|e| {
            panic!(
                "converting to {to:?} gave a spec that does not load:\n{}\n--- from ---\n{loaded_text}\n--- to ---\n{text}",
                e.message
            )
        });
        if let Some(why) = differ(&original.model, &converted.model) {
            panic!(
                "converting to {to:?} changed the model: {why}\n--- original ---\n{}\n--- converted ---\n{text}",
                original.source
            );
        }
        current = to;
        loaded_text = text;
        previous = Some(converted);
    }
}

/// Where two models differ, bit for bit (every `f32` compared by its bits; the spans of
/// `expect`s, which point into different texts, excepted).
pub fn differ(a: &Model, b: &Model) -> Option<String> {
    let (mut a, mut b) = (a.clone(), b.clone());
    // The big arrays (inputs, kernels) are compared by their bits, the rest by its `Debug`
    // text, which prints every other f32 with the digits that read back to its exact bits.
    let (data_a, data_b) = (take_arrays(&mut a), take_arrays(&mut b));
    if data_a.len() != data_b.len() {
        return Some(format!("{} arrays became {}", data_a.len(), data_b.len()));
    }
    for (k, (x, y)) in data_a.iter().zip(&data_b).enumerate() {
        let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<u32>>();
        if bits(x) != bits(y) {
            let at = x
                .iter()
                .zip(y.iter())
                .position(|(p, q)| p.to_bits() != q.to_bits());
            return Some(format!(
                "array {k} (inputs and kernels in model order): {} values became {}, first difference at {at:?}",
                x.len(),
                y.len()
            ));
        }
    }
    let (ta, tb) = (format!("{a:#?}"), format!("{b:#?}"));
    if ta == tb {
        return None;
    }
    let line = ta
        .lines()
        .zip(tb.lines())
        .position(|(x, y)| x != y)
        .unwrap_or(0);
    let show = |t: &str| t.lines().skip(line).take(3).collect::<Vec<_>>().join("\n");
    Some(format!(
        "first difference at line {line} of the model dump:\n{}\nbecame\n{}",
        show(&ta),
        show(&tb)
    ))
}

/// Moves every input's data and every convolution's kernel out of `model` (in model order)
/// and blanks the spans of its `expect`s.
fn take_arrays(model: &mut Model) -> Vec<Vec<f32>> {
    for e in &mut model.expects {
        e.span = crate::ast::Span::default();
    }
    let mut arrays = Vec::new();
    for v in &mut model.values {
        match &mut v.kind {
            ValueKind::Input(t) => arrays.push(std::mem::take(&mut t.data)),
            ValueKind::Layer(l) => {
                if let Op::Conv(c) = &mut l.op {
                    arrays.push(std::mem::take(&mut c.kernel));
                }
            }
        }
    }
    arrays
}
