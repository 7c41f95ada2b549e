//! `convc explain`: how one output value came about, step by step, as the tutorial (SEED.md)
//! walks through `[0 1 0]·[0 1 1] = 1`.
//!
//! Every number shown is recomputed here from the checked [`Model`] and the interpreter's
//! values of the layer's inputs, with the interpreter's own window geometry
//! ([`crate::geometry::AxisGeometry::input_index`]), border mapping
//! ([`crate::interp::border_index`]) and activations ([`crate::interp::activate_f64`]), and in
//! the interpreter's order and precision (sums in f64, rounded to f32 once). The final value is
//! therefore the interpreter's value exactly; the tests check that it is, on every spec.
//!
//! Positions (`--at`) are output indices. The batch and channel may be left out when they are
//! 1: `--at 2` (1-D), `--at 0,2` (2-D), `--at 0,2,1` (with the channel), `--at 1,0,2,1` (batch,
//! then the rest). Without `--at`, a small 1-D convolution or pooling is explained position by
//! position, as one dot product (or max, or mean) per line.

mod conv;
mod format;
mod other;
mod pool;

use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{Model, Op, Tensor, ValueId, ValueKind};
use format::axis_names;

/// One explained output value: the text, and the value as explain computed it (which the
/// tests compare with the interpreter's).
#[derive(Debug, Clone, PartialEq)]
pub struct Explained {
    pub text: String,
    pub value: f32,
}

/// Without `--at`, a 1-D layer is explained in full when it has at most this many output values;
/// beyond that the listing would drown the reader.
const MAX_SEQUENCE: usize = 64;

/// `convc explain`: the text to print, or a message saying what is wrong with the request.
/// `layer` defaults to the first output; `values` are the interpreter's values of every
/// model value.
pub fn explain(
    model: &Model,
    values: &[Tensor],
    layer: Option<&str>,
    at: Option<&str>,
) -> Result<String, Diagnostic> {
    let id = find_layer(model, layer)?;
    let shape = &model.values[id].shape;
    match at {
        Some(text) => {
            let given = parse_position(text)?;
            let index = full_index(&model.values[id].name, shape, &given)?;
            Ok(explain_at(model, values, id, &index).text)
        }
        None => match sequence(model, values, id) {
            Some(text) => Ok(text),
            None if shape.iter().product::<usize>() == 1 => {
                Ok(explain_at(model, values, id, &vec![0; shape.len()]).text)
            }
            None => Err(position_error(format!(
                "layer `{}` has output shape {}: say which value to explain with --at {} \
                 (the whole sliding sequence is shown only for small 1-D convolutions and \
                 poolings)",
                model.values[id].name,
                format::tuple(shape),
                example_position(shape)
            ))),
        },
    }
}

/// Explains the value at the full output index `(batch, spatial..., channel)`, which must be in
/// range.
pub fn explain_at(model: &Model, values: &[Tensor], id: ValueId, index: &[usize]) -> Explained {
    let value = &model.values[id];
    let ValueKind::Layer(layer) = &value.kind else {
        // `find_layer` admits only layers; an input explains itself.
        return Explained {
            text: String::new(),
            value: 0.0,
        };
    };
    let inputs: Vec<&Tensor> = layer.inputs.iter().map(|&i| &values[i]).collect();
    let names: Vec<&str> = layer
        .inputs
        .iter()
        .map(|&i| model.values[i].name.as_str())
        .collect();
    let head = format!("{} = {}({})", value.name, layer.op_name, names.join(", "));
    match &layer.op {
        Op::Conv(c) => conv::at(&head, c, inputs[0], names[0], index),
        Op::Pool(p) => pool::at(&head, p, inputs[0], names[0], index),
        Op::GlobalPool(g) => pool::global_at(&head, g, inputs[0], names[0], index),
        Op::Activation(a) => other::activation_at(&head, *a, inputs[0], names[0], index),
        Op::Merge(kind) => other::merge_at(&head, *kind, &inputs, &names, index),
        Op::Concatenate => other::concatenate_at(&head, &inputs, &names, index),
    }
}

/// The whole sliding sequence of a small 1-D convolution or pooling, or `None`.
pub fn sequence(model: &Model, values: &[Tensor], id: ValueId) -> Option<String> {
    let value = &model.values[id];
    let ValueKind::Layer(layer) = &value.kind else {
        return None;
    };
    if value.shape.iter().product::<usize>() > MAX_SEQUENCE {
        return None;
    }
    let input = &values[*layer.inputs.first()?];
    let input_name = &model.values[layer.inputs[0]].name;
    let head = format!("{} = {}({input_name})", value.name, layer.op_name);
    match &layer.op {
        Op::Conv(c) if c.axes.len() == 1 => conv::sequence(&head, c, input, input_name),
        Op::Pool(p) if p.axes.len() == 1 => Some(pool::sequence(&head, p, input, input_name)),
        _ => None,
    }
}

/// The layer to explain: the named one, or the first output.
fn find_layer(model: &Model, name: Option<&str>) -> Result<ValueId, Diagnostic> {
    let layers: Vec<&str> = model
        .values
        .iter()
        .filter(|v| matches!(v.kind, ValueKind::Layer(_)))
        .map(|v| v.name.as_str())
        .collect();
    let Some(name) = name else {
        return model
            .outputs
            .iter()
            .copied()
            .find(|&i| matches!(model.values[i].kind, ValueKind::Layer(_)))
            .ok_or_else(|| Diagnostic::error_unlocated(Code::UnknownLayerOption, "the spec's outputs are inputs, not layers: nothing to explain; name a layer with --layer"));
    };
    match model.find(name) {
        Some(id) if matches!(model.values[id].kind, ValueKind::Layer(_)) => Ok(id),
        Some(_) => Err(Diagnostic::error_unlocated(
            Code::UnknownLayerOption,
            format!(
                "`{name}` is an input, not a layer: its values are as written; layers are {}",
                layers.join(", ")
            ),
        )),
        None => Err(Diagnostic::error_unlocated(
            Code::UnknownLayerOption,
            crate::diagnostic::no_such_layer(name, &layers),
        )),
    }
}

/// `2` or `0,2` or `0, 2, 1`: non-negative integers separated by commas.
pub fn parse_position(text: &str) -> Result<Vec<usize>, Diagnostic> {
    text.split(',')
        .map(|part| {
            let part = part.trim();
            part.parse::<usize>().map_err(|_| {
                position_error(format!(
                    "`--at {text}`: `{part}` is not an index; write non-negative integers \
                     separated by commas, e.g. --at 0,2"
                ))
            })
        })
        .collect()
}

/// Completes a position as the user wrote it to `(batch, spatial..., channel)` and checks every
/// index against the output shape. The batch and channel may be left out when they are 1.
pub fn full_index(name: &str, shape: &[usize], given: &[usize]) -> Result<Vec<usize>, Diagnostic> {
    if shape.len() < 2 {
        return Err(position_error(format!(
            "layer `{name}` has output shape {}, which has no (batch, ..., channel) axes to \
             explain",
            format::tuple(shape)
        )));
    }
    let spatial = shape.len() - 2;
    let (batch, channels) = (shape[0], shape[shape.len() - 1]);
    let syntax = || {
        let names = axis_names(spatial).join(",");
        if spatial == 0 {
            "--at channel or --at batch,channel".to_string()
        } else {
            format!(
                "--at {names} (when batch and channels are 1), --at {names},channel or \
                 --at batch,{names},channel"
            )
        }
    };
    let index = if given.len() == spatial + 2 {
        given.to_vec()
    } else if given.len() == spatial + 1 || given.len() == spatial {
        if batch != 1 {
            return Err(position_error(format!(
                "layer `{name}` has output shape {} with a batch of {batch}: give the batch \
                 item first, as in --at {}",
                format::tuple(shape),
                example_full(shape)
            )));
        }
        if given.len() == spatial && channels != 1 {
            return Err(position_error(format!(
                "layer `{name}` has {channels} channels (output shape {}): add the channel, as \
                 in --at {}",
                format::tuple(shape),
                example_position(shape)
            )));
        }
        let mut index = vec![0];
        index.extend_from_slice(given);
        if given.len() == spatial {
            index.push(0);
        }
        index
    } else {
        return Err(position_error(format!(
            "`--at` has {} number{}, but layer `{name}` has output shape {} ({spatial} spatial \
             axes): write {}",
            given.len(),
            if given.len() == 1 { "" } else { "s" },
            format::tuple(shape),
            syntax()
        )));
    };
    let mut axis_labels = vec!["batch"];
    axis_labels.extend_from_slice(axis_names(spatial));
    axis_labels.push("channel");
    for ((&i, &len), label) in index.iter().zip(shape).zip(&axis_labels) {
        if i >= len {
            return Err(position_error(format!(
                "{label} {i} is out of range: layer `{name}` has output shape {}, so the {label} \
                 runs from 0 to {}",
                format::tuple(shape),
                len - 1
            )));
        }
    }
    Ok(index)
}

/// A position to suggest, in the shortest form `--at` accepts for `shape`: the middle of every
/// spatial axis, with the channel when there are several (or no spatial axis), and the batch
/// first when there are several items.
fn example_position(shape: &[usize]) -> String {
    if shape.first().is_some_and(|&b| b != 1) {
        return example_full(shape);
    }
    let spatial = &shape[1.min(shape.len())..shape.len().saturating_sub(1).max(1)];
    let mut parts: Vec<String> = spatial.iter().map(|&n| (n / 2).to_string()).collect();
    if shape.last().is_some_and(|&c| c != 1) || parts.is_empty() {
        parts.push("0".into());
    }
    parts.join(",")
}

fn example_full(shape: &[usize]) -> String {
    let mut parts = vec!["0".to_string()];
    if shape.len() >= 2 {
        parts.extend(
            shape[1..shape.len() - 1]
                .iter()
                .map(|&n| (n / 2).to_string()),
        );
    }
    parts.push("0".into());
    parts.join(",")
}

/// A `--at` that is not a position in the layer (or a missing one).
fn position_error(message: String) -> Diagnostic {
    Diagnostic::error_unlocated(Code::Position, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_complete_batch_and_channel() {
        assert_eq!(full_index("b", &[1, 6, 1], &[2]), Ok(vec![0, 2, 0]));
        assert_eq!(
            full_index("v", &[1, 6, 6, 1], &[0, 2]),
            Ok(vec![0, 0, 2, 0])
        );
        assert_eq!(
            full_index("v", &[1, 6, 6, 2], &[0, 2, 1]),
            Ok(vec![0, 0, 2, 1])
        );
        assert_eq!(full_index("v", &[2, 6, 1], &[1, 3, 0]), Ok(vec![1, 3, 0]));
        assert_eq!(full_index("g", &[1, 3], &[2]), Ok(vec![0, 2]));
    }

    #[test]
    fn position_mistakes_say_what_is_valid() {
        let err = full_index("bump", &[1, 6, 1], &[7]).unwrap_err().message;
        assert!(err.contains("position 7 is out of range"), "{err}");
        assert!(err.contains("from 0 to 5"), "{err}");
        let err = full_index("dw", &[1, 3, 4], &[1]).unwrap_err().message;
        assert!(
            err.contains("4 channels") && err.contains("--at 1,0"),
            "{err}"
        );
        let err = full_index("b", &[2, 6, 1], &[3]).unwrap_err().message;
        assert!(
            err.contains("batch of 2") && err.contains("--at 0,3,0"),
            "{err}"
        );
        let err = full_index("v", &[1, 6, 6, 1], &[1, 2, 3, 4, 5])
            .unwrap_err()
            .message;
        assert!(
            err.contains("5 numbers") && err.contains("row,col"),
            "{err}"
        );
        assert!(parse_position("1,x")
            .unwrap_err()
            .message
            .contains("`x` is not an index"));
        assert!(parse_position("-1").is_err());
        assert_eq!(example_position(&[2, 1]), "0,0");
        assert_eq!(example_position(&[1, 3]), "0");
        assert_eq!(example_position(&[1, 6, 6, 1]), "3,3");
        assert_eq!(example_position(&[1, 6, 6, 4]), "3,3,0");
        assert_eq!(example_position(&[2, 5, 1]), "0,2,0");
        for shape in [[2, 1], [1, 3], [1, 1]] {
            let given = parse_position(&example_position(&shape)).unwrap();
            assert!(full_index("x", &shape, &given).is_ok(), "{shape:?}");
        }
        assert_eq!(parse_position(" 0, 2 "), Ok(vec![0, 2]));
    }
}
