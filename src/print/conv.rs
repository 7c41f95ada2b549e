//! Writes a spec as `.conv`, formatted for people (`convc convert --to conv`).
//!
//! The printer writes the AST, not the model: builtins stay names, `init` stays an
//! initializer, labelled grids stay as written. The model only supplies shapes, so that flat
//! data (from TOML, or a `[ ... ]` written on one line) is laid out as rows and labelled grids
//! (see `layout`). Numbers are written so that reading them back gives the identical `f64`,
//! which makes `parse_conv(to_conv(spec))` describe the same model.

mod layout;
mod text;

use crate::ast::*;
use crate::ir::{Model, Op, ValueKind};
use layout::Role;
use text::{is_plain_word, number, Writer};

pub fn to_conv(spec: &Spec, model: &Model) -> String {
    let mut out = Writer::default();
    for input in &spec.inputs {
        let shape = value_shape(model, &input.name.value);
        out.start(&format!("input {}", input.name.value));
        out.tensor(&input.tensor, Role::Data, shape.as_deref());
        out.end_line();
    }
    for layer in &spec.layers {
        out.blank_line();
        write_layer(&mut out, layer, model);
    }
    if let Some(outputs) = &spec.outputs {
        out.blank_line();
        let names: Vec<&str> = outputs.iter().map(|o| o.value.as_str()).collect();
        out.line(&format!("output {}", names.join(", ")));
    }
    if !spec.expects.is_empty() {
        out.blank_line();
    }
    for expect in &spec.expects {
        let shape = value_shape(model, &expect.name.value);
        out.start(&format!("expect {}", expect.name.value));
        out.tensor(&expect.tensor, Role::Data, shape.as_deref());
        if let Some(within) = &expect.within {
            out.push(&format!(" within {}", number(within.value)));
        }
        out.end_line();
    }
    out.finish()
}

fn write_layer(out: &mut Writer, layer: &LayerDecl, model: &Model) {
    let inputs: Vec<&str> = layer.inputs.iter().map(|i| i.value.as_str()).collect();
    let head = format!(
        "layer {} = {}({})",
        layer.name.value,
        layer.op.value,
        inputs.join(", ")
    );
    let has_block = !layer.args.is_empty()
        || layer.kernel.is_some()
        || !layer.filter_list.is_empty()
        || layer.bias.is_some();
    if !has_block {
        out.line(&head);
        return;
    }
    out.line(&format!("{head} {{"));
    out.indent();
    for arg in &layer.args {
        out.line(&format!(
            "{} = {}",
            arg.key.value,
            arg_value(&arg.value.value)
        ));
    }
    let shapes = KernelShapes::of(model, layer);
    for filter in &layer.filter_list {
        match &filter.name {
            Some(name) => out.start(&format!("filter {}", name.value)),
            None => out.start("filter"),
        }
        // Without the model, a filter's written shape says how many axes are spatial.
        let role = match (&shapes.filter, &filter.tensor.shape) {
            (None, Some(written)) => Role::Filter {
                spatial: written.value.len().saturating_sub(1),
            },
            _ => shapes.filter_role,
        };
        out.tensor(&filter.tensor, role, shapes.filter.as_deref());
        out.end_line();
    }
    if let Some(kernel) = &layer.kernel {
        out.start("kernel");
        out.tensor(kernel, shapes.kernel_role, shapes.kernel.as_deref());
        out.end_line();
    }
    if let Some(bias) = &layer.bias {
        out.start("bias");
        out.tensor(bias, Role::Flat, None);
        out.end_line();
    }
    out.dedent();
    out.line("}");
}

/// The shapes of a conv layer's kernel and of one of its filters, from the checked model, or
/// failing that from the shapes written in the spec.
struct KernelShapes {
    kernel: Option<Vec<usize>>,
    kernel_role: Role,
    filter: Option<Vec<usize>>,
    filter_role: Role,
}

impl KernelShapes {
    fn of(model: &Model, layer: &LayerDecl) -> KernelShapes {
        let conv = model
            .find(&layer.name.value)
            .and_then(|id| model.values.get(id))
            .and_then(|value| match &value.kind {
                ValueKind::Layer(l) => match &l.op {
                    Op::Conv(conv) => Some(conv),
                    _ => None,
                },
                ValueKind::Input(_) => None,
            });
        if let Some(conv) = conv {
            let spatial = conv.axes.len();
            let mut kernel = conv.kernel_size();
            let mut filter = kernel.clone();
            match conv.depth_multiplier {
                Some(m) => kernel.extend([conv.in_channels, m]),
                None => kernel.extend([conv.channels_per_group(), conv.filters]),
            }
            filter.push(conv.channels_per_group());
            return KernelShapes {
                kernel: Some(kernel),
                kernel_role: Role::Kernel { spatial },
                filter: Some(filter),
                filter_role: Role::Filter { spatial },
            };
        }
        // Without a model, a written kernel shape still says how many axes are spatial.
        let written = layer.kernel.as_ref().and_then(|k| k.shape.as_ref());
        let kernel: Option<Vec<usize>> =
            written.and_then(|s| s.value.iter().map(|&n| usize::try_from(n).ok()).collect());
        let spatial = kernel.as_ref().map_or(0, |k| k.len().saturating_sub(2));
        KernelShapes {
            kernel,
            kernel_role: Role::Kernel { spatial },
            filter: None,
            filter_role: Role::Filter { spatial },
        }
    }
}

fn value_shape(model: &Model, name: &str) -> Option<Vec<usize>> {
    let id = model.find(name)?;
    model.values.get(id).map(|v| v.shape.clone())
}

/// An argument value as it would be written: words bare when they read back as words.
fn arg_value(value: &ArgValue) -> String {
    match value {
        ArgValue::Int(n) => n.to_string(),
        ArgValue::Float(x) => {
            // `3.0` must not read back as the integer `3`.
            let text = number(*x);
            let looks_like_int = text.bytes().all(|b| b.is_ascii_digit() || b == b'-');
            if looks_like_int {
                format!("{text}.0")
            } else {
                text
            }
        }
        ArgValue::Bool(b) => b.to_string(),
        ArgValue::Word(word) if is_plain_word(word) => word.clone(),
        ArgValue::Word(word) => format!("\"{word}\""),
        ArgValue::Tuple(items) => {
            let items: Vec<String> = items.iter().map(|i| arg_value(&i.value)).collect();
            match items.as_slice() {
                [one] => format!("({one},)"),
                _ => format!("({})", items.join(", ")),
            }
        }
    }
}

#[cfg(test)]
mod tests;
