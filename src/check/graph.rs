//! Names and the layer graph: duplicates, unknown names, cycles, and an evaluation order.

use crate::ast::{Ident, Spec};
use crate::diagnostic::{Code, Diagnostic};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

/// One step of the evaluation order.
pub enum Node {
    /// `spec.inputs[i]`.
    Input(usize),
    /// `spec.layers[i]`, with the names it reads.
    Layer(usize, Vec<String>),
}

/// Inputs in declaration order, then layers in a topological order that keeps declaration
/// order wherever the graph allows (so `--all` prints layers as written). Declarations with
/// problems (a duplicate name, an unknown input, a cycle) are reported and left out.
pub fn order(spec: &Spec, diags: &mut Vec<Diagnostic>) -> Vec<Node> {
    // Inputs and layers share one namespace.
    let mut first: HashMap<&str, &Ident> = HashMap::new();
    let mut out = Vec::new();
    for (i, input) in spec.inputs.iter().enumerate() {
        if declare(&mut first, &input.name, diags) {
            out.push(Node::Input(i));
        }
    }
    let mut layer_of: HashMap<&str, usize> = HashMap::new();
    let mut live = vec![false; spec.layers.len()];
    for (i, layer) in spec.layers.iter().enumerate() {
        if declare(&mut first, &layer.name, diags) {
            layer_of.insert(&layer.name.value, i);
            live[i] = true;
        }
    }
    // Edges between layers; unknown names are reported here.
    let mut waiting_on = vec![0usize; spec.layers.len()];
    let mut readers: Vec<Vec<usize>> = vec![Vec::new(); spec.layers.len()];
    for (i, layer) in spec.layers.iter().enumerate() {
        if !live[i] {
            continue;
        }
        if layer.inputs.is_empty() {
            diags.push(
                Diagnostic::error(
                    Code::NoInputs,
                    layer.op.span,
                    format!("layer `{}` reads nothing", layer.name.value),
                )
                .with_hint(format!(
                    "name its input in parentheses: `{}(signal)`",
                    layer.op.value
                )),
            );
            live[i] = false;
            continue;
        }
        for name in &layer.inputs {
            if let Some(&j) = layer_of.get(name.value.as_str()) {
                waiting_on[i] += 1;
                readers[j].push(i);
            } else if !first.contains_key(name.value.as_str()) {
                diags.push(unknown_name(spec, name, "input"));
                live[i] = false;
            }
        }
    }
    // Kahn's algorithm, always taking the earliest-declared ready layer.
    let mut ready: BinaryHeap<Reverse<usize>> = (0..spec.layers.len())
        .filter(|&i| live[i] && waiting_on[i] == 0)
        .map(Reverse)
        .collect();
    let mut done = vec![false; spec.layers.len()];
    while let Some(Reverse(i)) = ready.pop() {
        done[i] = true;
        out.push(Node::Layer(
            i,
            spec.layers[i]
                .inputs
                .iter()
                .map(|n| n.value.clone())
                .collect(),
        ));
        for &reader in &readers[i] {
            waiting_on[reader] -= 1;
            if waiting_on[reader] == 0 && live[reader] {
                ready.push(Reverse(reader));
            }
        }
    }
    report_cycles(spec, &live, &done, &layer_of, diags);
    out
}

/// Whether `name` can be written in `.conv` (and so survives `convert`): a letter or `_`,
/// then letters, digits and `_`.
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Records a name's first declaration; reports a second one.
fn declare<'a>(
    first: &mut HashMap<&'a str, &'a Ident>,
    name: &'a Ident,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    if !is_identifier(&name.value) {
        diags.push(
            Diagnostic::error(Code::InvalidName, name.span, format!("`{}` is not a valid name", name.value))
                .with_label("not a name")
                .with_hint("names start with a letter or `_` and hold only letters, digits and `_`, e.g. `edge_map_2`"),
        );
        return false;
    }
    if let Some(previous) = first.get(name.value.as_str()) {
        diags.push(
            Diagnostic::error(
                Code::DuplicateName,
                name.span,
                format!("`{}` is declared twice", name.value),
            )
            .with_label("declared again here")
            .with_secondary(previous.span, "first declared here")
            .with_hint("inputs and layers share one namespace: give each a different name"),
        );
        false
    } else {
        first.insert(&name.value, name);
        true
    }
}

/// Layers left undone whose inputs all exist are on or behind a cycle: show one cycle.
fn report_cycles(
    spec: &Spec,
    live: &[bool],
    done: &[bool],
    layer_of: &HashMap<&str, usize>,
    diags: &mut Vec<Diagnostic>,
) {
    let stuck: Vec<usize> = (0..spec.layers.len())
        .filter(|&i| live[i] && !done[i])
        .collect();
    let Some(&start) = stuck.first() else { return };
    // Walk backwards along stuck inputs until a layer repeats: that is a cycle.
    let mut path = vec![start];
    let mut current = start;
    loop {
        let next = spec.layers[current]
            .inputs
            .iter()
            .filter_map(|n| layer_of.get(n.value.as_str()).copied())
            .find(|&j| live[j] && !done[j]);
        let Some(next) = next else { return };
        if let Some(pos) = path.iter().position(|&p| p == next) {
            let cycle = &path[pos..];
            // `path` follows "reads" edges: each layer reads the next one.
            let names: Vec<String> = cycle
                .iter()
                .map(|&i| format!("`{}`", spec.layers[i].name.value))
                .collect();
            let mut d = Diagnostic::error(
                Code::Cycle,
                spec.layers[next].name.span,
                format!("the layers form a cycle: {}", cycle_text(&names)),
            )
            .with_label("this layer depends on itself");
            for &i in cycle.iter().filter(|&&i| i != next) {
                d = d.with_secondary(spec.layers[i].name.span, "part of the cycle");
            }
            diags.push(
                d.with_hint("a layer can only read inputs and layers that do not read it back"),
            );
            return;
        }
        path.push(next);
        current = next;
    }
}

/// `a` reads `b`, which reads `c`, which reads `a`.
fn cycle_text(names: &[String]) -> String {
    let mut text = names[0].clone();
    for (k, name) in names
        .iter()
        .skip(1)
        .chain(std::iter::once(&names[0]))
        .enumerate()
    {
        text.push_str(if k == 0 { " reads " } else { ", which reads " });
        text.push_str(name);
    }
    text
}

pub fn declared(spec: &Spec, name: &str) -> bool {
    spec.inputs.iter().any(|i| i.name.value == name)
        || spec.layers.iter().any(|l| l.name.value == name)
}

/// "unknown input `sginal`", with the closest declared name.
pub fn unknown_name(spec: &Spec, name: &Ident, role: &str) -> Diagnostic {
    let names = spec
        .inputs
        .iter()
        .map(|i| i.name.value.as_str())
        .chain(spec.layers.iter().map(|l| l.name.value.as_str()));
    let d = Diagnostic::error(
        Code::UnknownName,
        name.span,
        format!(
            "unknown {role} `{}`: no input or layer has this name",
            name.value
        ),
    )
    .with_label("not declared");
    match crate::diagnostic::suggest(&name.value, names) {
        Some(best) => d.with_hint(format!("did you mean `{best}`?")),
        None => d.with_hint("declare it with `input NAME (shape) = ...` or `layer NAME = op(...)`"),
    }
}
