//! The checker: from an [`ast::Spec`] to a consistent, fully resolved [`ir::Model`].
//!
//! It resolves names, orders the graph, computes every shape and padding, reads every tensor
//! and checks the memory a run needs against a limit before anything large is allocated. It
//! reports every problem it finds; a layer whose inputs already failed is skipped silently, so
//! one mistake does not cause a cascade of follow-up messages.

pub mod args;
mod conv;
mod graph;
mod image;
pub mod layers;
mod merge;
pub mod npy;
pub mod tensor;
mod values;

use crate::ast::{Span, Spec};
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{Expect, Model, Tolerance, Value};
use std::path::PathBuf;

pub use crate::limits::Budget;
pub use crate::limits::{human_bytes, DEFAULT_MAX_MEMORY};

#[derive(Debug, Clone)]
pub struct Options {
    /// Where relative `npy` paths are read from: the spec's directory.
    pub base_dir: PathBuf,
    /// The most memory, in bytes, that the tensors of one run may take.
    pub max_memory: u64,
    /// What the spec may read besides its own folder.
    pub reads: crate::access::ReadAccess,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            base_dir: PathBuf::from("."),
            max_memory: DEFAULT_MAX_MEMORY,
            reads: crate::access::ReadAccess::default(),
        }
    }
}

pub fn check(spec: &Spec, options: &Options) -> Result<Model, Vec<Diagnostic>> {
    check_counted(spec, options).map(|(model, _)| model)
}

/// [`check`], also returning the memory budget with everything the run will hold charged, so
/// that later stages charge what they add on top of it.
pub fn check_counted(spec: &Spec, options: &Options) -> Result<(Model, Budget), Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let mut budget = Budget::new(options.max_memory);
    let order = graph::order(spec, &mut diags);
    let mut values: Vec<Option<Value>> = Vec::new();
    let mut index_of: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for node in &order {
        // Ctrl-C, SIGTERM or `--timeout` while reading big tensors: the caller reports it.
        if crate::cancel::requested().is_some() {
            return Err(vec![Diagnostic::error_unlocated(
                Code::Interrupted,
                "stopped on request",
            )]);
        }
        let value = match *node {
            graph::Node::Input(i) => {
                let decl = &spec.inputs[i];
                values::input(decl, options, &mut budget, &mut diags).filter(|value| {
                    // A run starts from a copy of each input (the model keeps its own).
                    let what = format!("the run's copy of input `{}`", value.name);
                    let len = values::element_count(&value.shape).unwrap_or(usize::MAX);
                    budget
                        .reserve(len, 4, decl.name.span, &what)
                        .map_err(|d| diags.push(d))
                        .is_ok()
                })
            }
            graph::Node::Layer(i, ref inputs) => {
                let decl = &spec.layers[i];
                // A layer reads only values that checked; otherwise it is skipped silently.
                let resolved: Option<Vec<(usize, &Value)>> = inputs
                    .iter()
                    .map(|name| {
                        let id = *index_of.get(name.as_str())?;
                        values.get(id)?.as_ref().map(|v| (id, v))
                    })
                    .collect();
                resolved.and_then(|inputs| {
                    layers::layer(decl, &inputs, options, &mut budget, &mut diags)
                })
            }
        };
        if let Some(v) = &value {
            index_of.insert(v.name.clone(), values.len());
        }
        values.push(value);
    }
    let outputs = outputs(spec, &index_of, &mut diags);
    let expects = expects(spec, &values, &index_of, &mut budget, &mut diags);
    if diags.iter().any(Diagnostic::is_error) || values.iter().any(Option::is_none) {
        if diags.is_empty() {
            diags.push(Diagnostic::error_unlocated(
                Code::Internal,
                "the spec has problems that were not described (a bug in convc)",
            ));
        }
        return Err(diags);
    }
    let values: Vec<Value> = values.into_iter().flatten().collect();
    let model = Model {
        values,
        outputs,
        expects,
    };
    Ok((model, budget))
}

fn outputs(
    spec: &Spec,
    index_of: &std::collections::HashMap<String, usize>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<usize> {
    let mut out = Vec::new();
    match &spec.outputs {
        Some(names) => {
            for name in names {
                match index_of.get(&name.value) {
                    Some(&id) if !out.contains(&id) => out.push(id),
                    Some(_) => {}
                    None if graph::declared(spec, &name.value) => {}
                    None => diags.push(graph::unknown_name(spec, name, "output")),
                }
            }
        }
        None => {
            if let Some(last) = spec.layers.last() {
                if let Some(&id) = index_of.get(&last.name.value) {
                    out.push(id);
                }
            } else if let Some(last) = spec.inputs.last() {
                // A spec with only inputs prints them: useful to look at data.
                if let Some(&id) = index_of.get(&last.name.value) {
                    out.push(id);
                }
            }
        }
    }
    if out.is_empty() && diags.is_empty() && spec.inputs.is_empty() {
        diags.push(
            Diagnostic::error(
                Code::EmptySpec,
                Span::default(),
                "the spec declares no inputs and no layers",
            )
            .with_hint("start with an input, e.g. `input signal (1, 8, 1) = [0 0 0 1 1 0 0 0]`"),
        );
    }
    out
}

fn expects(
    spec: &Spec,
    values: &[Option<Value>],
    index_of: &std::collections::HashMap<String, usize>,
    budget: &mut Budget,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Expect> {
    let mut out = Vec::new();
    for expect in &spec.expects {
        let Some(&id) = index_of.get(&expect.name.value) else {
            if !graph::declared(spec, &expect.name.value) {
                diags.push(graph::unknown_name(spec, &expect.name, "expectation"));
            }
            continue;
        };
        let Some(Some(value)) = values.get(id) else {
            continue;
        };
        let within = match &expect.within {
            None => Tolerance::Default,
            Some(w) if w.value >= 0.0 && w.value.is_finite() => Tolerance::Absolute(w.value as f32),
            Some(w) => {
                diags.push(Diagnostic::error(
                    Code::Tolerance,
                    w.span,
                    "a tolerance must be a finite number of 0 or more",
                ));
                continue;
            }
        };
        let what = format!("the expected value of `{}`", value.name);
        if let Some(expected) = values::tensor(
            &expect.tensor,
            &value.shape,
            tensor::Role::Data,
            &what,
            None,
            budget,
            diags,
        ) {
            out.push(Expect {
                value: id,
                expected,
                within,
                span: expect.span,
            });
        }
    }
    out
}
