//! Writes a spec in the fixed TOML form of PRODUCT.md (`convc convert --to toml`).
//!
//! The output is lossless: `parse_toml(to_toml(spec, model))` checks to the same model. Labelled
//! grids have no TOML form, so they are flattened to `data` (with the shape written out) using
//! the shapes of the checked model; everything else is written as it was given, so that numbers
//! keep their exact `f64` values, filters their names and initializers their seeds.
//!
//! The output stays within TOML 1.0 (inline tables on one line), so that any TOML reader, not
//! only convc's, can read it: a tensor too long for one line becomes a `[layers.kernel]` table.

mod format;
mod tensor;
#[cfg(test)]
mod tests;

use crate::ast::{ExpectDecl, LayerDecl, Spec};
use crate::check::tensor::Role;
use crate::ir::Model;
use format::{arg_value, key, number, string};
use tensor::{tensor_entries, value_shape, ConvShapes, Entry};

/// An inline table (`kernel = { ... }`) longer than this is written as a table of its own.
const MAX_INLINE_WIDTH: usize = 100;

pub fn to_toml(spec: &Spec, model: &Model) -> String {
    let mut out = String::new();
    if let Some(outputs) = &spec.outputs {
        let names: Vec<String> = outputs.iter().map(|o| string(&o.value)).collect();
        line(&mut out, &format!("outputs = [{}]", names.join(", ")));
    }
    for input in &spec.inputs {
        let name = &input.name.value;
        section(&mut out, &format!("[inputs.{}]", key(name)));
        let what = format!("input `{name}`");
        let shape = value_shape(model, name);
        let entries = tensor_entries(&input.tensor, shape, Role::Data, &what);
        write_entries(&mut out, entries, &what);
    }
    for layer in &spec.layers {
        write_layer(&mut out, layer, model);
    }
    for expect in &spec.expects {
        write_expect(&mut out, expect, model);
    }
    out
}

fn write_layer(out: &mut String, layer: &LayerDecl, model: &Model) {
    let name = &layer.name.value;
    let shapes = ConvShapes::of(model, name);
    section(out, "[[layers]]");
    line(out, &format!("name = {}", string(name)));
    line(out, &format!("op = {}", string(&layer.op.value)));
    let inputs: Vec<String> = layer.inputs.iter().map(|i| string(&i.value)).collect();
    line(out, &format!("inputs = [{}]", inputs.join(", ")));
    for arg in &layer.args {
        let value = arg_value(&arg.value.value);
        line(out, &format!("{} = {value}", key(&arg.key.value)));
    }
    // Short tensors inline, as in PRODUCT.md's example; long ones as tables after the keys
    // (a table header ends the layer's own keys, so they must come last).
    let mut long = Vec::new();
    let tensors = [
        ("kernel", &layer.kernel, Role::Kernel),
        ("bias", &layer.bias, Role::Bias),
    ];
    for (key_name, tensor, role) in tensors {
        let Some(tensor) = tensor else { continue };
        let shape = shapes.as_ref().map(|s| match role {
            Role::Kernel => s.kernel.clone(),
            _ => s.bias.clone(),
        });
        let what = format!("the {key_name} of `{name}`");
        let entries = tensor_entries(tensor, shape, role, &what);
        match entries.as_ref().ok().and_then(|e| inline_table(e)) {
            Some(inline) if key_name.len() + inline.len() + 3 <= MAX_INLINE_WIDTH => {
                line(out, &format!("{key_name} = {inline}"));
            }
            _ => long.push((key_name, entries, what)),
        }
    }
    for (key_name, entries, what) in long {
        section(out, &format!("[layers.{key_name}]"));
        write_entries(out, entries, &what);
    }
    for (i, filter) in layer.filter_list.iter().enumerate() {
        section(out, "[[layers.filter]]");
        if let Some(filter_name) = &filter.name {
            line(out, &format!("name = {}", string(&filter_name.value)));
        }
        let what = format!("filter {} of `{name}`", i + 1);
        let shape = shapes.as_ref().map(|s| s.filter.clone());
        let entries = tensor_entries(&filter.tensor, shape, Role::Filter, &what);
        write_entries(out, entries, &what);
    }
}

fn write_expect(out: &mut String, expect: &ExpectDecl, model: &Model) {
    let name = &expect.name.value;
    section(out, "[[expect]]");
    line(out, &format!("name = {}", string(name)));
    let what = format!("the expectation for `{name}`");
    let entries = tensor_entries(&expect.tensor, value_shape(model, name), Role::Data, &what);
    write_entries(out, entries, &what);
    if let Some(within) = &expect.within {
        line(out, &format!("within = {}", number(within.value)));
    }
}

fn line(out: &mut String, text: &str) {
    out.push_str(text);
    out.push('\n');
}

/// A table header, after a blank line unless it starts the file.
fn section(out: &mut String, header: &str) {
    if !out.is_empty() {
        out.push('\n');
    }
    line(out, header);
}

/// `key = value` lines; a tensor that cannot be written becomes a comment saying why, so that
/// reading the output back fails loudly ("has no value") instead of changing the model.
fn write_entries(out: &mut String, entries: Result<Vec<Entry>, String>, what: &str) {
    match entries {
        Ok(entries) => {
            for (key_name, value) in entries {
                line(out, &format!("{key_name} = {value}"));
            }
        }
        Err(reason) => {
            let reason = reason.replace('\n', " ");
            line(out, &format!("# convc could not write {what}: {reason}"));
        }
    }
}

/// `{ shape = [3, 1, 1], data = [0, 1, 0] }`, if every value fits on one line (TOML 1.0's
/// inline tables cannot span lines).
fn inline_table(entries: &[Entry]) -> Option<String> {
    if entries.iter().any(|(_, value)| value.contains('\n')) {
        return None;
    }
    let parts: Vec<String> = entries.iter().map(|(k, v)| format!("{k} = {v}")).collect();
    Some(format!("{{ {} }}", parts.join(", ")))
}
