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

/// The memory limit when none is given: 4 GiB.
pub const DEFAULT_MAX_MEMORY: u64 = 4 << 30;

#[derive(Debug, Clone)]
pub struct Options {
    /// Where relative `npy` paths are read from: the spec's directory.
    pub base_dir: PathBuf,
    /// The most memory, in bytes, that the tensors of one run may take.
    pub max_memory: u64,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            base_dir: PathBuf::from("."),
            max_memory: DEFAULT_MAX_MEMORY,
        }
    }
}

pub fn check(spec: &Spec, options: &Options) -> Result<Model, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let mut budget = Budget {
        limit: options.max_memory,
        used: 0,
    };
    let order = graph::order(spec, &mut diags);
    let mut values: Vec<Option<Value>> = Vec::new();
    let mut index_of: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for node in &order {
        let value = match *node {
            graph::Node::Input(i) => {
                values::input(&spec.inputs[i], options, &mut budget, &mut diags)
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
    Ok(Model {
        values,
        outputs,
        expects,
    })
}

/// Counts the bytes a run will need and refuses to go over the limit.
pub(crate) struct Budget {
    limit: u64,
    used: u64,
}

impl Budget {
    /// Reserves `elements` values of `bytes_each` for `what`, before they are allocated.
    pub(crate) fn reserve(
        &mut self,
        elements: usize,
        bytes_each: u64,
        span: Span,
        what: &str,
    ) -> Result<(), Diagnostic> {
        let bytes = (elements as u64).checked_mul(bytes_each);
        match bytes.and_then(|b| self.used.checked_add(b)) {
            Some(total) if total <= self.limit => {
                self.used = total;
                Ok(())
            }
            _ => Err(Diagnostic::error(
                Code::MemoryLimit,
                span,
                format!(
                    "{what} needs {} more, which would exceed the memory limit of {} (already {} in use)",
                    bytes.map_or("more than 16 EiB".to_string(), human_bytes),
                    human_bytes(self.limit),
                    human_bytes(self.used)
                ),
            )
            .with_hint("make the tensors smaller, or raise the limit with `--max-memory` (e.g. `--max-memory 16GiB`)")),
        }
    }
}

pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
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
