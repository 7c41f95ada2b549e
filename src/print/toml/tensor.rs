//! A tensor as the `key = value` entries of a TOML tensor table.

use super::format::{number, numbers, size_list, string};
use crate::ast::{TensorLit, TensorValue};
use crate::check::tensor::{assemble, Role};
use crate::ir::{Layer, Model, Op, ValueKind};

/// One `key = value` entry, the value already in TOML syntax.
pub(super) type Entry = (&'static str, String);

/// The shapes of a convolution's tensors, from the checked model.
pub(super) struct ConvShapes {
    pub kernel: Vec<usize>,
    pub filter: Vec<usize>,
    pub bias: Vec<usize>,
}

impl ConvShapes {
    pub fn of(model: &Model, layer: &str) -> Option<ConvShapes> {
        let value = &model.values[model.find(layer)?];
        let ValueKind::Layer(Layer {
            op: Op::Conv(conv), ..
        }) = &value.kind
        else {
            return None;
        };
        let mut kernel = conv.kernel_size();
        let mut filter = conv.kernel_size();
        match conv.depth_multiplier {
            // Keras's depthwise layout `kernel_size + (channels, multiplier)`; each filter reads
            // one channel.
            Some(multiplier) => {
                kernel.extend([conv.in_channels, multiplier]);
                filter.push(1);
            }
            None => {
                kernel.extend([conv.channels_per_group(), conv.filters]);
                filter.push(conv.channels_per_group());
            }
        }
        Some(ConvShapes {
            kernel,
            filter,
            bias: vec![conv.filters],
        })
    }
}

/// The shape of an input or layer in the checked model.
pub(super) fn value_shape(model: &Model, name: &str) -> Option<Vec<usize>> {
    model.find(name).map(|id| model.values[id].shape.clone())
}

/// The entries of a tensor table. `shape` is the shape the checker gave the tensor; it is
/// written where the `.conv` form left it to be inferred from rows or grid labels, which flat
/// TOML data does not have. An `Err` says why the tensor could not be written.
pub(super) fn tensor_entries(
    tensor: &TensorLit,
    shape: Option<Vec<usize>>,
    role: Role,
    what: &str,
) -> Result<Vec<Entry>, String> {
    let declared = tensor.shape.as_ref().map(|s| s.value.clone());
    // The shape the values have: as written, or as the checker worked it out.
    let actual: Option<Vec<usize>> = match &declared {
        Some(declared) => Some(
            declared
                .iter()
                .map(|&d| usize::try_from(d).map_err(|_| format!("{what} is too large")))
                .collect::<Result<_, _>>()?,
        ),
        None => shape,
    };
    let mut entries = Vec::new();
    match &tensor.value.value {
        TensorValue::Numbers(grid) => {
            // Rows written in `.conv` carry the matrix shape; flat TOML data needs it spelled.
            if declared.is_some() || grid.rows.len() > 1 {
                entries.push(("shape", shape_list(&known(actual.clone(), what)?)));
            }
            let values: Vec<f64> = grid.values().collect();
            entries.push(("data", numbers(&values, actual.as_deref())));
        }
        TensorValue::Grids(_) => {
            let shape = known(actual, what)?;
            // A checked model's grids always assemble; the error is kept for safety's sake.
            let values = assemble(&tensor.value, &shape, role, what).map_err(|diags| {
                let messages: Vec<String> = diags.into_iter().map(|d| d.message).collect();
                messages.join("; ")
            })?;
            entries.push(("shape", shape_list(&shape)));
            entries.push(("data", numbers(&values, Some(&shape))));
        }
        TensorValue::Fill(x) => {
            entries.extend(declared.map(|s| ("shape", size_list(&s))));
            entries.push(("fill", number(x.value)));
        }
        TensorValue::Npy(path) => {
            entries.extend(declared.map(|s| ("shape", size_list(&s))));
            entries.push(("npy", string(&path.value)));
        }
        TensorValue::Init(init) => {
            entries.extend(declared.map(|s| ("shape", size_list(&s))));
            entries.push(("init", string(&init.name.value)));
            entries.extend(
                init.seed
                    .as_ref()
                    .map(|seed| ("seed", seed.value.to_string())),
            );
        }
        TensorValue::Builtin(builtin) => {
            entries.extend(declared.map(|s| ("shape", size_list(&s))));
            entries.push(("builtin", string(&builtin.name.value)));
            if !builtin.args.is_empty() {
                let args: Vec<f64> = builtin.args.iter().map(|a| a.value).collect();
                entries.push(("args", numbers(&args, None)));
            }
        }
    }
    Ok(entries)
}

fn shape_list(shape: &[usize]) -> String {
    let sizes: Vec<u64> = shape.iter().map(|&d| d as u64).collect();
    size_list(&sizes)
}

fn known(shape: Option<Vec<usize>>, what: &str) -> Result<Vec<usize>, String> {
    shape.ok_or_else(|| format!("the shape of {what} is not known"))
}
