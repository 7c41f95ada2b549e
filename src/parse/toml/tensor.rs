//! Tensor tables: `{ shape, data }`, `{ fill }`, `{ npy }`, `{ image, mode, scale }`,
//! `{ init, seed }`, `{ builtin, args }`.

use super::walk::{self, span_of, Value};
use crate::ast::{Builtin, Grid, Image, ImageMode, Init, Span, Spanned, TensorLit, TensorValue};
use crate::diagnostic::{Code, Diagnostic};
use ::toml::de::{DeTable, DeValue};

/// Every key a tensor table may hold.
pub(super) const TENSOR_KEYS: &[&str] = &[
    "shape", "data", "fill", "npy", "image", "mode", "scale", "init", "seed", "builtin", "args",
];

/// The keys that give the value; a tensor has exactly one of them.
const VALUE_KEYS: &[&str] = &["data", "fill", "npy", "image", "init", "builtin"];

/// How many bad elements of one `data` array are reported one by one; the rest are counted.
const MAX_ELEMENT_ERRORS: usize = 8;

/// Reads the tensor in `table`. `what` names it in messages ("the kernel of `edges`"); `extra`
/// are keys the caller reads from the same table (`name`, `within`), and `place` names the table
/// for unknown-key messages. Returns `None` after reporting any problem.
pub(super) fn tensor(
    table: &Value<'_>,
    what: &str,
    extra: &[&str],
    diags: &mut Vec<Diagnostic>,
) -> Option<TensorLit> {
    let DeValue::Table(entries) = table.get_ref() else {
        diags.push(
            walk::expected(table, what, "a table")
                .with_hint("write a tensor as { shape = [...], data = [...] }"),
        );
        return None;
    };
    let before = diags.len();
    let mut shape = None;
    // The keys that give the value, with their key spans; exactly one is allowed.
    let mut value_keys: Vec<(&str, Span, &Value<'_>)> = Vec::new();
    for (key, value) in walk::entries(entries) {
        let name: &str = key.get_ref().as_ref();
        match name {
            "shape" => shape = read_shape(value, what, diags),
            // Read together with `init` and `builtin`.
            "seed" | "args" | "mode" | "scale" => {}
            _ if VALUE_KEYS.contains(&name) => value_keys.push((name, span_of(key), value)),
            _ if extra.contains(&name) => {}
            _ => {
                let known: Vec<&str> = TENSOR_KEYS.iter().chain(extra).copied().collect();
                diags.push(walk::unknown_key(key, what, &known));
            }
        }
    }
    let kind = value_keys.first().map(|(name, _, _)| *name);
    for (companion, owner, example) in [
        ("seed", "init", "init = \"glorot_uniform\", seed = 7"),
        ("args", "builtin", "builtin = \"gaussian\", args = [5, 1.5]"),
        ("mode", "image", "image = \"cat.png\", mode = \"gray\""),
        (
            "scale",
            "image",
            "image = \"cat.png\", scale = 0.00392156862745098",
        ),
    ] {
        if let Some((key, _)) = entries.get_key_value(companion) {
            if kind != Some(owner) {
                diags.push(
                    Diagnostic::error(
                        Code::TensorKeyAlone,
                        span_of(key),
                        format!("`{companion}` only goes with `{owner}`"),
                    )
                    .with_hint(format!("write {example}, or remove `{companion}`")),
                );
            }
        }
    }
    let value = match value_keys.as_slice() {
        [] => {
            diags.push(
                Diagnostic::error(
                    Code::TensorNoValue,
                    walk::extent(table),
                    format!("{what} has no value"),
                )
                .with_hint(format!("give one of {}", walk::quoted(VALUE_KEYS)))
                .with_hint("for example data = [0, 1, 0], or fill = 0"),
            );
            None
        }
        [(name, _, value)] => read_value(name, value, entries, what, diags),
        [(first, first_span, _), (second, second_span, _), ..] => {
            diags.push(
                Diagnostic::error(
                    Code::TensorTwoValues,
                    *second_span,
                    format!("{what} has both `{first}` and `{second}`"),
                )
                .with_label("a second value")
                .with_secondary(*first_span, "the first value")
                .with_hint(format!("give exactly one of {}", walk::quoted(VALUE_KEYS))),
            );
            None
        }
    };
    let value = value.filter(|_| diags.len() == before)?;
    Some(TensorLit { shape, value })
}

/// The value given by `key` (one of [`VALUE_KEYS`]); `init` and `builtin` take their `seed`
/// and `args` from the same table.
fn read_value(
    key: &str,
    value: &Value<'_>,
    table: &DeTable<'_>,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Spanned<TensorValue>> {
    let span = span_of(value);
    let result = match key {
        "data" => return read_data(value, what, diags),
        "fill" => walk::number(value, "`fill`").map(TensorValue::Fill),
        "npy" => walk::string(value, "`npy`")
            .map(TensorValue::Npy)
            .map_err(|d| d.with_hint("write npy = \"weights.npy\"")),
        "image" => read_image(value, table),
        "init" => walk::string(value, "`init`").and_then(|name| {
            let seed = table
                .get("seed")
                .map(|s| walk::unsigned(s, "the seed"))
                .transpose()?;
            let span = seed.as_ref().map_or(name.span, |s| name.span.join(s.span));
            Ok(TensorValue::Init(Init { name, seed, span }))
        }),
        _ => walk::string(value, "`builtin`").and_then(|name| {
            let args = match table.get("args") {
                Some(args) => read_args(args)?,
                None => Vec::new(),
            };
            let span = args.iter().fold(name.span, |span, arg| span.join(arg.span));
            Ok(TensorValue::Builtin(Builtin { name, args, span }))
        }),
    };
    match result {
        Ok(tensor) => {
            let span = match &tensor {
                TensorValue::Init(init) => init.span,
                TensorValue::Builtin(builtin) => builtin.span,
                TensorValue::Image(image) => image.span,
                _ => span,
            };
            Some(Spanned::new(tensor, span))
        }
        Err(d) => {
            diags.push(d);
            None
        }
    }
}

/// `image = "cat.png", mode = "gray", scale = 0.00392156862745098`.
fn read_image(value: &Value<'_>, table: &DeTable<'_>) -> Result<TensorValue, Diagnostic> {
    let path =
        walk::string(value, "`image`").map_err(|d| d.with_hint("write image = \"cat.png\""))?;
    let mode = match table.get("mode") {
        None => None,
        Some(mode) => {
            let word = walk::string(mode, "`mode`")?;
            let Some(parsed) = ImageMode::from_keyword(&word.value) else {
                return Err(Diagnostic::error(
                    Code::ImageMode,
                    word.span,
                    format!("`{}` is not an image mode", word.value),
                )
                .with_label("unknown mode")
                .with_suggestion(&word.value, ImageMode::NAMES)
                .with_hint("the modes are \"gray\" (1 channel), \"rgb\" (3) and \"rgba\" (4)"));
            };
            Some(Spanned::new(parsed, word.span))
        }
    };
    let scale = table
        .get("scale")
        .map(|s| walk::number(s, "`scale`"))
        .transpose()?;
    let span = [
        mode.as_ref().map(|m| m.span),
        scale.as_ref().map(|s| s.span),
    ]
    .into_iter()
    .flatten()
    .fold(path.span, Span::join);
    Ok(TensorValue::Image(Image {
        path,
        mode,
        scale,
        span,
    }))
}

/// `shape = [1, 8, 1]`.
fn read_shape(
    value: &Value<'_>,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Spanned<Vec<u64>>> {
    let DeValue::Array(items) = value.get_ref() else {
        let d = walk::expected(value, &format!("the shape of {what}"), "a list of sizes");
        diags.push(match walk::number_value(value.get_ref()) {
            Some(x) => d.with_hint(format!("write shape = [{x}]")),
            None => d.with_hint("write shape = [1, 8, 1]"),
        });
        return None;
    };
    let sizes: Vec<_> = items
        .iter()
        .map(|item| {
            walk::unsigned(item, "a size")
                .map_err(|d| diags.push(d))
                .ok()
        })
        .collect();
    let sizes: Option<Vec<u64>> = sizes.into_iter().map(|s| s.map(|s| s.value)).collect();
    sizes.map(|sizes| Spanned::new(sizes, span_of(value)))
}

/// `data = [0, 1, 0]`: a flat list of numbers in row-major order.
fn read_data(
    value: &Value<'_>,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Spanned<TensorValue>> {
    let span = span_of(value);
    let DeValue::Array(items) = value.get_ref() else {
        let d = walk::expected(value, &format!("the data of {what}"), "a list of numbers");
        diags.push(match walk::number_value(value.get_ref()) {
            Some(x) => d.with_hint(format!(
                "write data = [{x}], or fill = {x} for every element"
            )),
            None => d.with_hint("write data = [0, 1, 0]"),
        });
        return None;
    };
    if let Some(nested) = items.iter().find(|item| item.get_ref().is_array()) {
        diags.push(
            Diagnostic::error(
                Code::TomlType,
                span_of(nested),
                format!("the data of {what} must be a flat list of numbers"),
            )
            .with_label("a nested list")
            .with_hint(
                "flatten it in row-major order and give the shape: [[1, 2], [3, 4]] is \
                 data = [1, 2, 3, 4] with shape = [2, 2]",
            ),
        );
        return None;
    }
    let mut numbers = Vec::with_capacity(items.len());
    let mut bad = 0;
    for item in items.iter() {
        match walk::number(item, "each value of `data`") {
            Ok(x) => numbers.push(x.value),
            Err(d) => {
                bad += 1;
                if bad <= MAX_ELEMENT_ERRORS {
                    diags.push(d);
                }
            }
        }
    }
    if bad > MAX_ELEMENT_ERRORS {
        diags.push(Diagnostic::error(
            Code::TomlType,
            span,
            format!(
                "... and {} more values that are not numbers",
                bad - MAX_ELEMENT_ERRORS
            ),
        ));
    }
    let grid = Grid {
        rows: vec![Spanned::new(numbers, span)],
        span,
    };
    (bad == 0).then(|| Spanned::new(TensorValue::Numbers(grid), span))
}

/// `args = [5, 1.5]`: the numeric arguments of a built-in filter.
fn read_args(value: &Value<'_>) -> Result<Vec<Spanned<f64>>, Diagnostic> {
    let DeValue::Array(items) = value.get_ref() else {
        let d = walk::expected(value, "`args`", "a list of numbers");
        return Err(match walk::number_value(value.get_ref()) {
            Some(x) => d.with_hint(format!("write args = [{x}]")),
            None => d.with_hint("write args = [5, 1.5]"),
        });
    };
    items
        .iter()
        .map(|item| walk::number(item, "each of `args`"))
        .collect()
}
