//! Reading scalars out of `toml`'s spanned document tree, with a diagnostic for every mismatch.
//!
//! Numbers are converted from their source text (which `toml` keeps, without underscores and
//! radix prefixes) so that every value is exactly the `f64` of what was written, as the `.conv`
//! front end reads it.

use crate::ast::{Span, Spanned};
use crate::diagnostic::{Code, Diagnostic};
use ::toml::de::{DeString, DeTable, DeValue};

pub(super) type TomlSpanned<T> = ::toml::Spanned<T>;
pub(super) type Value<'i> = TomlSpanned<DeValue<'i>>;
pub(super) type Key<'i> = TomlSpanned<DeString<'i>>;

pub(super) fn span_of<T>(spanned: &TomlSpanned<T>) -> Span {
    spanned.span().into()
}

/// A table's entries in the order they were written. `toml` keeps them in a sorted map, but
/// arguments, inputs and layers keep their written order in the AST.
pub(super) fn entries<'a, 'i>(table: &'a DeTable<'i>) -> Vec<(&'a Key<'i>, &'a Value<'i>)> {
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(key, _)| key.span().start);
    entries
}

/// The span of a whole table: its header (or braces) and everything written in it.
pub(super) fn extent(table: &Value<'_>) -> Span {
    let mut span = span_of(table);
    if let DeValue::Table(entries) = table.get_ref() {
        for (key, value) in entries.iter() {
            span = span.join(span_of(key)).join(span_of(value));
        }
    }
    span
}

/// "a string", "an array": how messages name what was found.
pub(super) fn kind(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// The `f64` a TOML number denotes, or `None` if the value is not a number.
pub(super) fn number_value(value: &DeValue<'_>) -> Option<f64> {
    match value {
        // Decimal integers are parsed as floats directly, so that integers beyond 2^53 round
        // exactly as `float(text)` would.
        DeValue::Integer(int) if int.radix() == 10 => int.as_str().parse().ok(),
        DeValue::Integer(int) => u128::from_str_radix(int.as_str(), int.radix())
            .ok()
            .map(|v| v as f64),
        // TOML's float forms (`+1.5`, `1e3`, `inf`, `-nan`) are all accepted by Rust's parser.
        DeValue::Float(float) => float.as_str().parse().ok(),
        _ => None,
    }
}

pub(super) fn expected(value: &Value<'_>, what: &str, wanted: &str) -> Diagnostic {
    Diagnostic::error(
        Code::TomlType,
        span_of(value),
        format!("{what} must be {wanted}, not {}", kind(value.get_ref())),
    )
    .with_label(format!("expected {wanted}"))
}

pub(super) fn string(value: &Value<'_>, what: &str) -> Result<Spanned<String>, Diagnostic> {
    match value.get_ref() {
        DeValue::String(text) => Ok(Spanned::new(text.to_string(), span_of(value))),
        _ => Err(expected(value, what, "a string")),
    }
}

pub(super) fn number(value: &Value<'_>, what: &str) -> Result<Spanned<f64>, Diagnostic> {
    match number_value(value.get_ref()) {
        Some(x) => Ok(Spanned::new(x, span_of(value))),
        None => {
            let d = expected(value, what, "a number");
            Err(match value.get_ref() {
                DeValue::String(s) if s.parse::<f64>().is_ok() => {
                    d.with_hint(format!("write the number without quotes: {s}"))
                }
                _ => d,
            })
        }
    }
}

/// A signed whole number (a layer argument such as `filters = 2`).
pub(super) fn integer(value: &Value<'_>, what: &str) -> Result<i64, Diagnostic> {
    match value.get_ref() {
        DeValue::Integer(int) => i64::from_str_radix(int.as_str(), int.radix()).map_err(|_| {
            Diagnostic::error(
                Code::NumberTooLarge,
                span_of(value),
                format!("{what} is too large"),
            )
            .with_label("beyond 64-bit integers")
        }),
        _ => Err(expected(value, what, "a whole number")),
    }
}

/// A non-negative whole number (a size, a seed).
pub(super) fn unsigned(value: &Value<'_>, what: &str) -> Result<Spanned<u64>, Diagnostic> {
    let span = span_of(value);
    match value.get_ref() {
        DeValue::Integer(int) if int.as_str().starts_with('-') => Err(Diagnostic::error(
            Code::NegativeNumber,
            span,
            format!("{what} cannot be negative"),
        )
        .with_label("negative")),
        DeValue::Integer(int) => u64::from_str_radix(int.as_str(), int.radix())
            .map(|v| Spanned::new(v, span))
            .map_err(|_| {
                Diagnostic::error(Code::NumberTooLarge, span, format!("{what} is too large"))
                    .with_label("beyond 64-bit integers")
            }),
        DeValue::Float(float) => {
            let d = expected(value, what, "a whole number");
            Err(match float.as_str().parse::<f64>() {
                Ok(x) if x.fract() == 0.0 && x >= 0.0 => {
                    d.with_hint(format!("write it without a fraction: {x}"))
                }
                _ => d,
            })
        }
        _ => Err(expected(value, what, "a whole number")),
    }
}

/// An array of strings (`inputs = ["x"]`, `outputs = ["y"]`). A lone string is a common slip;
/// its message shows the list form.
pub(super) fn names(
    value: &Value<'_>,
    key: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<Spanned<String>>> {
    match value.get_ref() {
        DeValue::Array(items) => {
            let before = diags.len();
            let names: Vec<_> = items
                .iter()
                .filter_map(|item| {
                    string(item, &format!("each entry of `{key}`"))
                        .map_err(|d| diags.push(d))
                        .ok()
                })
                .collect();
            (diags.len() == before).then_some(names)
        }
        DeValue::String(name) => {
            diags.push(
                Diagnostic::error(
                    Code::TomlListOfNames,
                    span_of(value),
                    format!("`{key}` must be a list of names"),
                )
                .with_label("a single string")
                .with_hint(format!("write {key} = [\"{name}\"]")),
            );
            None
        }
        _ => {
            diags.push(expected(value, &format!("`{key}`"), "a list of names"));
            None
        }
    }
}

/// "`fitlers` is not a key of a layer", with the closest known key as a suggestion.
pub(super) fn unknown_key(key: &Key<'_>, place: &str, known: &[&str]) -> Diagnostic {
    let word = key.get_ref().as_ref();
    let d = Diagnostic::error(
        Code::TomlUnknownKey,
        span_of(key),
        format!("unknown key `{word}` in {place}"),
    )
    .with_label("unknown key");
    match crate::diagnostic::suggest(word, known.iter().copied()) {
        Some(best) => d.with_hint(format!("did you mean `{best}`?")),
        None => d.with_hint(format!("the keys of {place} are {}", quoted(known))),
    }
}

/// "`a`, `b` or `c`".
pub(super) fn quoted(words: &[&str]) -> String {
    let quoted: Vec<String> = words.iter().map(|w| format!("`{w}`")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => quoted.join(""),
    }
}
