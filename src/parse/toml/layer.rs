//! `[[layers]]` tables, their `[[layers.filter]]` lists and their arguments.

use super::tensor::{tensor, TENSOR_KEYS};
use super::walk::{self, span_of, Key, Value};
use crate::ast::{Arg, ArgValue, FilterDecl, Ident, LayerDecl, Span, Spanned};
use crate::diagnostic::{Code, Diagnostic};
use ::toml::de::{DeTable, DeValue};

/// The keys a layer reads itself; every other key is an argument for the checker.
const LAYER_KEYS: &[&str] = &["name", "op", "inputs", "kernel", "bias", "filter"];

/// The only keys of a layer whose value is a table (or a list of tables).
const TABLE_KEYS: &[&str] = &["kernel", "bias", "filter"];

/// Reads one `[[layers]]` table. `index` (from 1) names the layer until its name is known.
pub(super) fn layer(
    table: &Value<'_>,
    index: usize,
    diags: &mut Vec<Diagnostic>,
) -> Option<LayerDecl> {
    let DeValue::Table(entries) = table.get_ref() else {
        diags.push(
            walk::expected(table, &format!("layer {index}"), "a table")
                .with_hint("write each layer as a [[layers]] table"),
        );
        return None;
    };
    let before = diags.len();
    let span = walk::extent(table);
    let name = required_string(entries, "name", span, diags, "name = \"conv1\"");
    let op = required_string(entries, "op", span, diags, "op = \"conv2d\"");
    let this = match &name {
        Some(name) => format!("layer `{}`", name.value),
        None => format!("layer {index}"),
    };
    let inputs = match entries.get("inputs") {
        Some(value) => walk::names(value, "inputs", diags),
        None => {
            diags.push(
                Diagnostic::error(
                    Code::TomlMissingKey,
                    span,
                    format!("{this} has no `inputs`"),
                )
                .with_label("no inputs")
                .with_hint("name what it reads: inputs = [\"image\"]"),
            );
            None
        }
    };
    let mut kernel = None;
    let mut bias = None;
    let mut filter_list = Vec::new();
    let mut args = Vec::new();
    for (key, value) in walk::entries(entries) {
        match key.get_ref().as_ref() {
            "name" | "op" | "inputs" => {}
            "kernel" => kernel = tensor(value, &format!("the kernel of {this}"), &[], diags),
            "bias" => bias = tensor(value, &format!("the bias of {this}"), &[], diags),
            "filter" => filter_list = filters(value, &this, diags),
            _ => {
                if let Some(arg) = argument(key, value, &this, diags) {
                    args.push(arg);
                }
            }
        }
    }
    if diags.len() > before {
        return None;
    }
    Some(LayerDecl {
        name: name?,
        op: op?,
        inputs: inputs?,
        args,
        kernel,
        filter_list,
        bias,
        span,
    })
}

/// `name = "..."`, `op = "..."`: a string the layer cannot do without.
fn required_string(
    entries: &DeTable<'_>,
    key: &str,
    layer_span: Span,
    diags: &mut Vec<Diagnostic>,
    example: &str,
) -> Option<Ident> {
    match entries.get(key) {
        Some(value) => walk::string(value, &format!("`{key}`"))
            .map_err(|d| diags.push(d))
            .ok(),
        None => {
            diags.push(
                Diagnostic::error(
                    Code::TomlMissingKey,
                    layer_span,
                    format!("a layer needs `{key}`"),
                )
                .with_label(format!("no `{key}`"))
                .with_hint(format!("write {example}")),
            );
            None
        }
    }
}

/// `[[layers.filter]]` tables: one filter per output channel, in order.
fn filters(value: &Value<'_>, layer: &str, diags: &mut Vec<Diagnostic>) -> Vec<FilterDecl> {
    let DeValue::Array(items) = value.get_ref() else {
        diags.push(
            walk::expected(value, &format!("`filter` of {layer}"), "a list of tables")
                .with_hint("write each filter as a [[layers.filter]] table"),
        );
        return Vec::new();
    };
    let mut filters = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let name = match item.get_ref() {
            DeValue::Table(entries) => entries.get("name").and_then(|name| {
                walk::string(name, "the name of a filter")
                    .map_err(|d| diags.push(d))
                    .ok()
            }),
            _ => None,
        };
        let what = match &name {
            Some(name) => format!("filter `{}` of {layer}", name.value),
            None => format!("filter {} of {layer}", i + 1),
        };
        if let Some(tensor) = tensor(item, &what, &["name"], diags) {
            filters.push(FilterDecl {
                name,
                tensor,
                span: walk::extent(item),
            });
        }
    }
    filters
}

/// Any other `key = value`: an argument such as `padding = "same"`, validated by the checker.
fn argument(
    key: &Key<'_>,
    value: &Value<'_>,
    layer: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Arg> {
    let word: &str = key.get_ref().as_ref();
    let is_table = |v: &Value<'_>| v.get_ref().is_table();
    let holds_tables = match value.get_ref() {
        DeValue::Table(_) => true,
        DeValue::Array(items) => items.iter().any(is_table),
        _ => false,
    };
    if holds_tables {
        // Only `kernel`, `bias` and `filter` hold tables, so this is most likely a misspelling
        // of one of them, or a tensor key that belongs inside one.
        let d = Diagnostic::error(
            Code::TomlTableKey,
            span_of(key),
            format!(
                "`{word}` in {layer} holds a table, but only {} may",
                walk::quoted(TABLE_KEYS)
            ),
        )
        .with_label("not a layer key");
        let d = if TENSOR_KEYS.contains(&word) {
            d.with_hint(format!(
                "`{word}` belongs inside a tensor: kernel = {{ {word} = ... }}"
            ))
        } else {
            d.with_suggestion(word, LAYER_KEYS.iter().copied())
        };
        diags.push(d);
        return None;
    }
    let value = arg_value(value, word).map_err(|d| diags.push(d)).ok()?;
    Some(Arg {
        key: Spanned::new(word.to_string(), span_of(key)),
        value,
    })
}

/// An argument value: a number, a boolean, a word, or a list of them (`[[1, 1], [0, 2]]`).
/// Nesting is bounded by the `toml` crate's own recursion limit.
fn arg_value(value: &Value<'_>, key: &str) -> Result<Spanned<ArgValue>, Diagnostic> {
    let what = format!("`{key}`");
    let arg = match value.get_ref() {
        DeValue::Integer(_) => ArgValue::Int(walk::integer(value, &what)?),
        DeValue::Float(_) => ArgValue::Float(walk::number(value, &what)?.value),
        DeValue::Boolean(b) => ArgValue::Bool(*b),
        DeValue::String(s) => ArgValue::Word(s.to_string()),
        DeValue::Array(items) => ArgValue::Tuple(
            items
                .iter()
                .map(|item| arg_value(item, key))
                .collect::<Result<_, _>>()?,
        ),
        DeValue::Datetime(_) | DeValue::Table(_) => {
            return Err(walk::expected(
                value,
                &what,
                "a number, a word, `true`/`false` or a list",
            ))
        }
    };
    Ok(Spanned::new(arg, span_of(value)))
}
