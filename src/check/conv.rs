//! Checking a convolution (regular, grouped or depthwise): sizes inferred from the written
//! filters where the user left them out, the kernel assembled in Keras layout, the bias, the
//! geometry of every axis and the border mode.

use super::args::Args;
use super::graph::is_identifier;
use super::layers::{axes, axis_name};
use super::tensor::Role;
use super::values::tensor;
use super::{npy, Budget, Options};
use crate::ast::{GridValue, LabelAxis, LayerDecl, Spanned, TensorLit, TensorValue};
use crate::diagnostic::{Code, Diagnostic};
use crate::filters;
use crate::ir::{Activation, Conv, Op, PaddingMode, Value};

/// The weights as written: filter by filter, a whole kernel, or nothing (an initializer).
enum Weights<'a> {
    Filters,
    Kernel(&'a TensorLit),
    Default,
}

#[allow(clippy::too_many_arguments)]
pub fn conv(
    decl: &LayerDecl,
    args: &Args,
    n: usize,
    depthwise: bool,
    input: &Value,
    options: &Options,
    budget: &mut Budget,
    diags: &mut Vec<Diagnostic>,
) -> Option<(Op, Vec<usize>)> {
    let in_channels = input.shape[n + 1];
    // A size that cannot be worked out is only worth a message when nothing else about this
    // layer was wrong: a misspelt or invalid `kernel_size` was already reported.
    let errors_before = if args.keys_ok() {
        diags.len()
    } else {
        usize::MAX
    };

    // Pictures are data, never weights; said here, before sizes are inferred from them.
    let weight_tensors = decl.kernel.iter().chain(decl.bias.iter());
    let weight_tensors = weight_tensors.chain(decl.filter_list.iter().map(|f| &f.tensor));
    let pictures: Vec<_> = weight_tensors
        .filter_map(|t| match &t.value.value {
            crate::ast::TensorValue::Image(image) => Some(image.path.span),
            _ => None,
        })
        .collect();
    for &span in &pictures {
        diags.push(
            Diagnostic::error(Code::ImageWeights, span, format!("the weights of `{}` cannot be an image", decl.name.value))
                .with_label("an image")
                .with_hint("only an input can be read from a picture; weights can come from `npy \"file.npy\"`"),
        );
    }
    if !pictures.is_empty() {
        return None;
    }
    let weights = match (&decl.kernel, decl.filter_list.is_empty()) {
        (Some(kernel), true) => Weights::Kernel(kernel),
        (None, false) => Weights::Filters,
        (None, true) => Weights::Default,
        (Some(kernel), false) => {
            diags.push(
                Diagnostic::error(
                    Code::KernelAndFilters,
                    kernel.value.span,
                    format!(
                        "`{}` has both a `kernel` and `filter` clauses",
                        decl.name.value
                    ),
                )
                .with_secondary(decl.filter_list[0].span, "first filter")
                .with_hint("give the weights one way: filter by filter, or the whole kernel"),
            );
            return None;
        }
    };
    // What the written weights say about the sizes, where they say it.
    let (inferred_size, inferred_count) = match weights {
        Weights::Filters => (
            infer_filter_size(&decl.filter_list[0].tensor, n),
            Some(decl.filter_list.len()),
        ),
        Weights::Kernel(k) => infer_kernel(k, n, options),
        Weights::Default => (None, None),
    };
    let groups = if depthwise {
        in_channels
    } else {
        args.positive("groups", diags).unwrap_or(1)
    };
    // Output channels: `filters` for a convolution, channels x multiplier for depthwise.
    let (filters, multiplier) = if depthwise {
        let multiplier = match (
            args.positive("depth_multiplier", diags),
            inferred_count,
            &weights,
        ) {
            (Some(m), _, _) => m,
            // Written filters list every output channel; a kernel's last axis is the multiplier.
            (None, Some(count), Weights::Filters) if count % in_channels == 0 => {
                count / in_channels
            }
            (None, Some(count), Weights::Kernel(_)) => count,
            _ => 1,
        };
        (in_channels.checked_mul(multiplier)?, Some(multiplier))
    } else {
        match args.positive("filters", diags).or(inferred_count) {
            Some(f) => (f, None),
            None => {
                if diags.len() == errors_before {
                    diags.push(
                        Diagnostic::error(Code::NeedsFilters, decl.op.span, format!("`{}` needs `filters`", decl.name.value))
                            .with_hint("write `filters = N`, or give the weights filter by filter (`filter = [...]`)"),
                    );
                }
                return None;
            }
        }
    };
    let kernel_size = match args.sizes("kernel_size", n, diags).or(inferred_size) {
        Some(k) => k,
        None => {
            if diags.len() == errors_before && !explain_builtin(decl, n, diags) {
                diags.push(
                    Diagnostic::error(Code::NeedsKernelSize, decl.op.span, format!("`{}` needs `kernel_size`", decl.name.value))
                        .with_hint(format!("write `kernel_size = 3` (or one size per axis, {n} in all); it cannot be read off the weights as written")),
                );
            }
            return None;
        }
    };
    if let Weights::Filters = weights {
        if decl.filter_list.len() != filters {
            let what = if depthwise {
                "channels x depth_multiplier"
            } else {
                "`filters`"
            };
            diags.push(
                Diagnostic::error(
                    Code::FilterCount,
                    decl.filter_list[0]
                        .span
                        .join(decl.filter_list[decl.filter_list.len() - 1].span),
                    format!(
                        "`{}` has {} filter clauses, but {what} is {filters}",
                        decl.name.value,
                        decl.filter_list.len()
                    ),
                )
                .with_hint("write one `filter` clause per output channel"),
            );
            return None;
        }
    }
    if !in_channels.is_multiple_of(groups) || !filters.is_multiple_of(groups) {
        let span = args.span("groups").unwrap_or(decl.op.span);
        let which = if !in_channels.is_multiple_of(groups) {
            format!("the input's {in_channels} channels")
        } else {
            format!("the {filters} filters")
        };
        diags.push(
            Diagnostic::error(Code::Groups, span, format!("`groups = {groups}` must divide both the input channels and the filters, but it does not divide {which}"))
                .with_hint(format!("choose groups among the common divisors of {in_channels} and {filters}")),
        );
        return None;
    }
    let channels_per_group = in_channels / groups;
    let strides = args.sizes("strides", n, diags).unwrap_or(vec![1; n]);
    let dilation = args.sizes("dilation_rate", n, diags).unwrap_or(vec![1; n]);
    let padding = args.padding(n, n == 1, diags)?;
    let padding_mode = args.padding_mode(diags).unwrap_or(PaddingMode::Zeros);
    let activation = args.activation(diags).unwrap_or(Activation::Linear);
    let use_bias = args.boolean("use_bias", diags).unwrap_or(true);
    let span = args.span("kernel_size").unwrap_or(decl.name.span);
    let geometry = axes(
        decl,
        span,
        &input.shape,
        &kernel_size,
        &strides,
        &dilation,
        &padding,
        diags,
    )?;
    if padding_mode == PaddingMode::Reflect {
        for (axis, g) in geometry.iter().enumerate() {
            if g.pad_before >= g.in_len || g.pad_after >= g.in_len {
                diags.push(
                    Diagnostic::error(Code::ReflectTooSmall, args.span("padding_mode").unwrap_or(span), format!("`reflect` needs padding smaller than the input, but along {} `{}` pads {} before and {} after an axis of {}", axis_name(n, axis), decl.name.value, g.pad_before, g.pad_after, g.in_len))
                        .with_hint("use `padding_mode = replicate` or `circular`, a smaller kernel, or a larger input"),
                );
                return None;
            }
        }
    }
    // Keras layout; a depthwise kernel (k..., C, m) has the same memory layout.
    let mut kernel_shape = kernel_size.clone();
    if let Some(m) = multiplier {
        kernel_shape.extend([in_channels, m]);
    } else {
        kernel_shape.extend([channels_per_group, filters]);
    }
    let layer = format!("`{}`", decl.name.value);
    let kernel = match weights {
        Weights::Kernel(k) => {
            tensor(
                k,
                &kernel_shape,
                Role::Kernel,
                &format!("the kernel of {layer}"),
                Some(options),
                budget,
                diags,
            )?
            .data
        }
        Weights::Default => {
            let default = TensorLit {
                shape: None,
                value: Spanned::new(
                    TensorValue::Init(crate::ast::Init {
                        name: Spanned::new("glorot_uniform".into(), decl.span),
                        seed: None,
                        span: decl.span,
                    }),
                    decl.span,
                ),
            };
            tensor(
                &default,
                &kernel_shape,
                Role::Kernel,
                &format!("the kernel of {layer}"),
                None,
                budget,
                diags,
            )?
            .data
        }
        Weights::Filters => {
            let filter_channels = if depthwise { 1 } else { channels_per_group };
            let mut filter_shape = kernel_size.clone();
            filter_shape.push(filter_channels);
            let Some(len) = super::values::element_count(&kernel_shape) else {
                diags.push(Diagnostic::error(
                    Code::TooLarge,
                    decl.name.span,
                    format!("the kernel of {layer} has more elements than can be counted"),
                ));
                return None;
            };
            if let Err(d) =
                budget.reserve(len, 4, decl.name.span, &format!("the kernel of {layer}"))
            {
                diags.push(d);
                return None;
            }
            let taps: usize = kernel_size.iter().product();
            let mut kernel = vec![0.0f32; len];
            let mut ok = true;
            for (f, decl_filter) in decl.filter_list.iter().enumerate() {
                if let Some(name) = decl_filter
                    .name
                    .as_ref()
                    .filter(|n| !is_identifier(&n.value))
                {
                    // As for inputs and layers: a name `.conv` could not hold would break
                    // `convert`.
                    diags.push(
                        Diagnostic::error(
                            Code::InvalidName,
                            name.span,
                            format!("`{}` is not a valid filter name", name.value),
                        )
                            .with_label("not a name")
                            .with_hint("names start with a letter or `_` and hold only letters, digits and `_`, e.g. `vertical_2`"),
                    );
                    ok = false;
                }
                let what = match &decl_filter.name {
                    Some(name) => format!("filter `{}` of {layer}", name.value),
                    None => format!("filter {f} of {layer}"),
                };
                let Some(values) = tensor(
                    &decl_filter.tensor,
                    &filter_shape,
                    Role::Filter,
                    &what,
                    Some(options),
                    budget,
                    diags,
                ) else {
                    ok = false;
                    continue;
                };
                // kernel[tap][c][f] = filter[tap][c]
                for tap in 0..taps {
                    for c in 0..filter_channels {
                        kernel[(tap * filter_channels + c) * filters + f] =
                            values.data[tap * filter_channels + c];
                    }
                }
            }
            if !ok {
                return None;
            }
            kernel
        }
    };
    let bias = match (&decl.bias, use_bias) {
        (Some(b), false) => {
            diags.push(
                Diagnostic::error(
                    Code::BiasWithoutUseBias,
                    b.value.span,
                    format!("{layer} has `use_bias = false` but gives a bias"),
                )
                .with_hint("remove the bias, or `use_bias = false`"),
            );
            return None;
        }
        (Some(b), true) => Some(
            tensor(
                b,
                &[filters],
                Role::Bias,
                &format!("the bias of {layer}"),
                Some(options),
                budget,
                diags,
            )?
            .data,
        ),
        (None, true) => Some(vec![0.0; filters]),
        (None, false) => None,
    };
    // The JIT repacks the weights (a vector) and copies them into its module's data: two
    // more copies of kernel and bias while it compiles.
    let weights = kernel.len().checked_add(bias.as_ref().map_or(0, Vec::len));
    let copies = match weights {
        Some(n) => budget.reserve(
            n,
            8,
            decl.name.span,
            &format!("the JIT's copies of the weights of {layer}"),
        ),
        None => Err(Diagnostic::error(
            Code::TooLarge,
            decl.name.span,
            format!("the weights of {layer} have more elements than can be counted"),
        )),
    };
    if let Err(d) = copies {
        diags.push(d);
        return None;
    }
    let mut shape = vec![input.shape[0]];
    shape.extend(geometry.iter().map(|g| g.out_len));
    shape.push(filters);
    let conv = Conv {
        axes: geometry,
        in_channels,
        filters,
        groups,
        kernel,
        bias,
        activation,
        padding_mode,
        depth_multiplier: multiplier,
        filter_names: decl
            .filter_list
            .iter()
            .map(|f| f.name.as_ref().map(|n| n.value.clone()))
            .collect(),
    };
    Some((Op::Conv(conv), shape))
}

/// When the kernel size could not be read off a built-in filter, the filter itself is usually
/// the mistake (an unknown name, bad arguments, a 2-D filter on a 1-D layer): report that.
fn explain_builtin(decl: &LayerDecl, n: usize, diags: &mut Vec<Diagnostic>) -> bool {
    let first = decl
        .filter_list
        .first()
        .map(|f| &f.tensor)
        .or(decl.kernel.as_ref());
    let builtin = match first.map(|t| &t.value.value) {
        Some(TensorValue::Builtin(b)) => b,
        Some(TensorValue::Grids(grids)) => match grids.first().map(|g| &g.value) {
            Some(GridValue::Builtin(b)) => b,
            _ => return false,
        },
        _ => return false,
    };
    let args: Vec<f64> = builtin.args.iter().map(|a| a.value).collect();
    match filters::builtin(&builtin.name.value, &args) {
        Err(message) => diags.push(super::tensor::builtin_error(builtin, message)),

        Ok(f) => diags.push(
            Diagnostic::error(
                Code::FilterRank,
                builtin.span,
                format!("`{}` is a 2-D filter ({}x{}), but `{}` is a {n}-D convolution", builtin.name.value, f.rows, f.cols, decl.op.value),
            )
            .with_label("2-D filter")
            .with_hint(if n == 1 {
                "write the 1-D filter's taps as a row, e.g. `filter = [-1 0 1]`".to_string()
            } else {
                "write one 2-D grid per depth slice, e.g. `filter = { depth 0: sobel_x  depth 1: sobel_x  depth 2: sobel_x }`".to_string()
            }),
        ),
    }
    true
}

/// The spatial size of one written filter, when the way it is written shows it.
fn infer_filter_size(lit: &TensorLit, n: usize) -> Option<Vec<usize>> {
    if let Some(shape) = &lit.shape {
        return (shape.value.len() == n + 1)
            .then(|| to_sizes(&shape.value[..n]))
            .flatten();
    }
    match &lit.value.value {
        TensorValue::Builtin(b) if n == 2 => builtin_size(&b.name.value, &b.args),
        TensorValue::Numbers(grid) => match n {
            // A 1-D filter over one channel is one row.
            1 if grid.rows.len() == 1 => Some(vec![grid.len()]),
            2 if grid.rows.len() > 1 => Some(vec![grid.rows.len(), grid.rows[0].value.len()]),
            _ => None,
        },
        TensorValue::Grids(grids) => grids_size(grids, n),
        _ => None,
    }
}

/// Kernel size and last-axis size (filters, or the depth multiplier) of a whole kernel.
fn infer_kernel(
    lit: &TensorLit,
    n: usize,
    options: &Options,
) -> (Option<Vec<usize>>, Option<usize>) {
    let from_shape = |shape: &[u64]| {
        if shape.len() == n + 2 {
            (to_sizes(&shape[..n]), usize::try_from(shape[n + 1]).ok())
        } else {
            (None, None)
        }
    };
    if let Some(shape) = &lit.shape {
        return from_shape(&shape.value);
    }
    match &lit.value.value {
        TensorValue::Npy(path) => match npy::peek_shape(options, path) {
            Ok(shape) => from_shape(&shape.iter().map(|&d| d as u64).collect::<Vec<_>>()),
            Err(_) => (None, None),
        },
        TensorValue::Builtin(b) if n == 2 => (builtin_size(&b.name.value, &b.args), Some(1)),
        TensorValue::Grids(grids) => {
            let count = max_label(grids, LabelAxis::Filter).map_or(1, |m| m + 1);
            (grids_size(grids, n), Some(count))
        }
        _ => (None, None),
    }
}

fn grids_size(grids: &[crate::ast::LabelledGrid], n: usize) -> Option<Vec<usize>> {
    let first = grids.first()?;
    let grid_size = match &first.value {
        GridValue::Builtin(b) if n >= 2 => builtin_size(&b.name.value, &b.args)?,
        GridValue::Numbers(g) if n == 1 && g.rows.len() == 1 => vec![g.len()],
        GridValue::Numbers(g) if n >= 2 && g.rows.len() > 1 => {
            vec![g.rows.len(), g.rows[0].value.len()]
        }
        _ => return None,
    };
    if n == 3 {
        let depth = max_label(grids, LabelAxis::Depth).map_or(1, |m| m + 1);
        Some([vec![depth], grid_size].concat())
    } else {
        Some(grid_size)
    }
}

fn max_label(grids: &[crate::ast::LabelledGrid], axis: LabelAxis) -> Option<usize> {
    grids
        .iter()
        .flat_map(|g| g.labels.iter())
        .filter(|l| l.axis.value == axis)
        .filter_map(|l| usize::try_from(l.index.value).ok())
        .max()
}

fn builtin_size(name: &str, args: &[Spanned<f64>]) -> Option<Vec<usize>> {
    let args: Vec<f64> = args.iter().map(|a| a.value).collect();
    filters::builtin(name, &args)
        .ok()
        .map(|f| vec![f.rows, f.cols])
}

fn to_sizes(dims: &[u64]) -> Option<Vec<usize>> {
    dims.iter()
        .map(|&d| usize::try_from(d).ok().filter(|&d| d > 0))
        .collect()
}
