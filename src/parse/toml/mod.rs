//! The TOML front end: the fixed TOML form of PRODUCT.md (and docs/language.md's additions) to
//! the same [`Spec`] the `.conv` front end produces.
//!
//! The document is parsed by `toml::de::DeTable`, which keeps a span on every key and value and
//! the source text of every number, and then walked by hand rather than through serde: a hand
//! walk reports every problem at once, points at the exact key or value, and suggests the key
//! that was probably meant.

// The readers return `Result<_, Diagnostic>`; a diagnostic is built only on the error path and
// moved once into the list, so boxing it (what `result_large_err` asks) would gain nothing.
#[allow(clippy::result_large_err)]
mod layer;
#[allow(clippy::result_large_err)]
mod tensor;
#[cfg(test)]
pub(crate) mod tests;
#[allow(clippy::result_large_err)]
mod walk;

use crate::ast::{ExpectDecl, InputDecl, Span, Spanned, Spec};
use crate::diagnostic::{Code, Diagnostic};
use ::toml::de::{DeTable, DeValue};
use walk::{span_of, Value};

/// The keys of the document itself.
const TOP_KEYS: &[&str] = &["outputs", "inputs", "layers", "expect"];

/// The keys an `[[expect]]` table reads besides the tensor keys.
const EXPECT_KEYS: &[&str] = &["name", "within"];

/// Parses a TOML spec. Every problem is reported, each with its span.
pub fn parse_toml(text: &str) -> Result<Spec, Vec<Diagnostic>> {
    // Only the first syntax error is reported: after an unclosed bracket or string, the
    // errors `toml` recovers into are consequences of the first and would mislead. Deep
    // nesting is refused by `toml` itself ("max recursion depth met"), so it cannot overflow
    // the stack.
    let root = DeTable::parse(text).map_err(|e| vec![syntax_error(&e, text)])?;
    let mut diags = Vec::new();
    let mut spec = Spec::default();
    for (key, value) in walk::entries(root.get_ref()) {
        match key.get_ref().as_ref() {
            "outputs" => {
                spec.outputs = walk::names(value, "outputs", &mut diags);
            }
            "inputs" => spec.inputs = inputs(value, &mut diags),
            "layers" => {
                for (i, table) in tables(value, "layers", &mut diags).iter().enumerate() {
                    spec.layers.extend(layer::layer(table, i + 1, &mut diags));
                }
            }
            "expect" => {
                for (i, table) in tables(value, "expect", &mut diags).iter().enumerate() {
                    spec.expects.extend(expect(table, i + 1, &mut diags));
                }
            }
            _ => diags.push(walk::unknown_key(key, "the spec", TOP_KEYS)),
        }
    }
    if diags.is_empty() {
        Ok(spec)
    } else {
        Err(diags)
    }
}

/// `toml`'s message is "what is wrong, expected what"; the second half becomes the label.
fn syntax_error(error: &::toml::de::Error, text: &str) -> Diagnostic {
    let message = error.message().trim();
    let (what, expected) = match message.split_once(", expected ") {
        Some((what, expected)) => (what, Some(expected)),
        None => (message, None),
    };
    let message = format!("invalid TOML: {what}");
    let diagnostic = match error.span() {
        Some(span) => Diagnostic::error(Code::TomlSyntax, point_back(span.into(), text), message),
        None => Diagnostic::error_unlocated(Code::TomlSyntax, message),
    };
    let diagnostic = match expected {
        Some(expected) => diagnostic.with_label(format!("expected {expected}")),
        None => diagnostic,
    };
    // An unclosed list reads as a missing comma before whatever follows it.
    match what {
        "missing comma between array elements" => {
            diagnostic.with_hint("if the list ends here, close it with `]`")
        }
        "missing comma between key-value pairs" => {
            diagnostic.with_hint("if the table ends here, close it with `}`")
        }
        _ => diagnostic,
    }
}

/// `toml` reports something missing (a `,` or `]` at the end of a line) at the next token,
/// often lines later; the user needs to see the place right after the last thing written.
fn point_back(span: Span, text: &str) -> Span {
    if span.start != span.end {
        return span;
    }
    let before = text.get(..span.start).unwrap_or(text);
    let end = before.trim_end().len();
    Span::new(end, end)
}

/// The tables of `[[layers]]` or `[[expect]]`. `[layers]` (one bracket pair) is a table, not
/// a list of them: a common slip that gets its own hint.
fn tables<'a, 'i>(value: &'a Value<'i>, key: &str, diags: &mut Vec<Diagnostic>) -> &'a [Value<'i>] {
    match value.get_ref() {
        DeValue::Array(items) => items,
        DeValue::Table(_) => {
            diags.push(
                Diagnostic::error(
                    Code::TomlListOfTables,
                    span_of(value),
                    format!("`{key}` must be a list of tables"),
                )
                .with_label("a single table")
                .with_hint(format!(
                    "write [[{key}]], with two brackets, before each one"
                )),
            );
            &[]
        }
        _ => {
            diags.push(
                walk::expected(value, &format!("`{key}`"), "a list of tables").with_hint(format!(
                    "write [[{key}]], with two brackets, before each one"
                )),
            );
            &[]
        }
    }
}

/// `[inputs.NAME]` tables, in the order written.
fn inputs(value: &Value<'_>, diags: &mut Vec<Diagnostic>) -> Vec<InputDecl> {
    let DeValue::Table(entries) = value.get_ref() else {
        diags.push(
            walk::expected(value, "`inputs`", "a table of inputs")
                .with_hint("write each input as [inputs.NAME] with shape = [...] and data = [...]"),
        );
        return Vec::new();
    };
    let mut inputs = Vec::new();
    for (key, table) in walk::entries(entries) {
        let name: &str = key.get_ref().as_ref();
        let what = format!("input `{name}`");
        let tensor = if table.get_ref().is_table() {
            tensor::tensor(table, &what, &[], diags)
        } else {
            diags.push(walk::expected(table, &what, "a table").with_hint(format!(
                "write [inputs.{name}] followed by shape = [...] and data = [...]"
            )));
            None
        };
        if let Some(tensor) = tensor {
            inputs.push(InputDecl {
                name: Spanned::new(name.to_string(), span_of(key)),
                tensor,
                span: span_of(key).join(walk::extent(table)),
            });
        }
    }
    inputs
}

/// One `[[expect]]` table: `name`, optional `within`, and a tensor.
fn expect(table: &Value<'_>, index: usize, diags: &mut Vec<Diagnostic>) -> Option<ExpectDecl> {
    let DeValue::Table(entries) = table.get_ref() else {
        diags.push(walk::expected(
            table,
            &format!("expectation {index}"),
            "a table",
        ));
        return None;
    };
    let span = walk::extent(table);
    let name = match entries.get("name") {
        Some(name) => walk::string(name, "the name of an expectation")
            .map_err(|d| diags.push(d))
            .ok(),
        None => {
            diags.push(
                Diagnostic::error(
                    Code::TomlMissingKey,
                    span,
                    "an expectation needs the `name` of what it expects",
                )
                .with_label("no `name`")
                .with_hint("write name = \"LAYER\""),
            );
            None
        }
    };
    let what = match &name {
        Some(name) => format!("the expectation for `{}`", name.value),
        None => format!("expectation {index}"),
    };
    let within = entries.get("within").and_then(|within| {
        walk::number(within, "`within`")
            .map_err(|d| diags.push(d))
            .ok()
    });
    let tensor = tensor::tensor(table, &what, EXPECT_KEYS, diags)?;
    Some(ExpectDecl {
        name: name?,
        tensor,
        within,
        span,
    })
}
