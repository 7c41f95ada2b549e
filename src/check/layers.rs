//! Checking one layer: its op, arguments and input shapes, giving its IR op and output shape.

use super::args::Args;
use super::merge::{concat_shape, merge_shape};
use super::tensor::shape_text;
use super::{conv, Budget, Options};
use crate::ast::{LayerDecl, Span};
use crate::diagnostic::{Code, Diagnostic};
use crate::geometry::{resolve_axis, AxisGeometry, AxisPadding};
use crate::ir::{GlobalPool, Layer, MergeKind, Op, Pool, PoolKind, Value, ValueKind};

/// The closed set of ops, by family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Conv { spatial: usize, depthwise: bool },
    Pool { spatial: usize, kind: PoolKind },
    Global { spatial: usize, kind: PoolKind },
    Activation,
    Merge(MergeKind),
    Concatenate,
}

pub const OPS: &[(&str, Family)] = &[
    (
        "conv1d",
        Family::Conv {
            spatial: 1,
            depthwise: false,
        },
    ),
    (
        "conv2d",
        Family::Conv {
            spatial: 2,
            depthwise: false,
        },
    ),
    (
        "conv3d",
        Family::Conv {
            spatial: 3,
            depthwise: false,
        },
    ),
    (
        "depthwise_conv1d",
        Family::Conv {
            spatial: 1,
            depthwise: true,
        },
    ),
    (
        "depthwise_conv2d",
        Family::Conv {
            spatial: 2,
            depthwise: true,
        },
    ),
    (
        "max_pooling1d",
        Family::Pool {
            spatial: 1,
            kind: PoolKind::Max,
        },
    ),
    (
        "max_pooling2d",
        Family::Pool {
            spatial: 2,
            kind: PoolKind::Max,
        },
    ),
    (
        "max_pooling3d",
        Family::Pool {
            spatial: 3,
            kind: PoolKind::Max,
        },
    ),
    (
        "average_pooling1d",
        Family::Pool {
            spatial: 1,
            kind: PoolKind::Average,
        },
    ),
    (
        "average_pooling2d",
        Family::Pool {
            spatial: 2,
            kind: PoolKind::Average,
        },
    ),
    (
        "average_pooling3d",
        Family::Pool {
            spatial: 3,
            kind: PoolKind::Average,
        },
    ),
    (
        "global_max_pooling1d",
        Family::Global {
            spatial: 1,
            kind: PoolKind::Max,
        },
    ),
    (
        "global_max_pooling2d",
        Family::Global {
            spatial: 2,
            kind: PoolKind::Max,
        },
    ),
    (
        "global_max_pooling3d",
        Family::Global {
            spatial: 3,
            kind: PoolKind::Max,
        },
    ),
    (
        "global_average_pooling1d",
        Family::Global {
            spatial: 1,
            kind: PoolKind::Average,
        },
    ),
    (
        "global_average_pooling2d",
        Family::Global {
            spatial: 2,
            kind: PoolKind::Average,
        },
    ),
    (
        "global_average_pooling3d",
        Family::Global {
            spatial: 3,
            kind: PoolKind::Average,
        },
    ),
    ("activation", Family::Activation),
    ("add", Family::Merge(MergeKind::Add)),
    ("subtract", Family::Merge(MergeKind::Subtract)),
    ("multiply", Family::Merge(MergeKind::Multiply)),
    ("maximum", Family::Merge(MergeKind::Maximum)),
    ("minimum", Family::Merge(MergeKind::Minimum)),
    ("average", Family::Merge(MergeKind::Average)),
    ("concatenate", Family::Concatenate),
];

pub fn family(op: &str) -> Option<Family> {
    OPS.iter().find(|(name, _)| *name == op).map(|&(_, f)| f)
}

fn allowed_keys(family: Family) -> &'static [&'static str] {
    match family {
        Family::Conv {
            depthwise: false, ..
        } => &[
            "filters",
            "kernel_size",
            "strides",
            "padding",
            "padding_mode",
            "dilation_rate",
            "groups",
            "activation",
            "use_bias",
        ],
        Family::Conv {
            depthwise: true, ..
        } => &[
            "kernel_size",
            "strides",
            "padding",
            "padding_mode",
            "dilation_rate",
            "depth_multiplier",
            "activation",
            "use_bias",
        ],
        Family::Pool { .. } => &["pool_size", "strides", "padding"],
        Family::Global { .. } => &["keepdims"],
        Family::Activation => &["activation"],
        Family::Merge(_) | Family::Concatenate => &[],
    }
}

/// Checks `decl`, whose inputs (by value id) have already been checked.
pub(crate) fn layer(
    decl: &LayerDecl,
    inputs: &[(usize, &Value)],
    options: &Options,
    budget: &mut Budget,
    diags: &mut Vec<Diagnostic>,
) -> Option<Value> {
    let op_name = decl.op.value.as_str();
    let Some(family) = family(op_name) else {
        diags.push(
            Diagnostic::error(
                Code::UnknownOp,
                decl.op.span,
                format!("unknown op `{op_name}`"),
            )
            .with_label("not an op convc knows")
            .with_suggestion(op_name, OPS.iter().map(|(n, _)| *n)),
        );
        return None;
    };
    let layer_text = format!("`{}` ({op_name})", decl.name.value);
    let errors_before = diags.len();
    let args = Args::new(
        &decl.args,
        layer_text.clone(),
        op_name,
        allowed_keys(family),
        diags,
    );
    if !matches!(family, Family::Conv { .. }) {
        let weights = decl
            .kernel
            .as_ref()
            .map(|k| k.value.span)
            .or(decl.bias.as_ref().map(|b| b.value.span))
            .or(decl.filter_list.first().map(|f| f.span));
        if let Some(span) = weights {
            diags.push(
                Diagnostic::error(Code::NoWeights, span, format!("`{op_name}` has no weights"))
                    .with_hint("only convolutions take `filter`, `kernel` and `bias`"),
            );
            return None;
        }
    }
    let single = |diags: &mut Vec<Diagnostic>| -> Option<&Value> {
        if inputs.len() == 1 {
            Some(inputs[0].1)
        } else {
            diags.push(
                Diagnostic::error(
                    Code::InputCount,
                    decl.op.span,
                    format!(
                        "`{op_name}` reads one input, but {} are given",
                        inputs.len()
                    ),
                )
                .with_hint(
                    "to combine several, merge them first with `add(...)` or `concatenate(...)`",
                ),
            );
            None
        }
    };
    let (op, shape) = match family {
        Family::Conv { spatial, depthwise } => {
            let input = single(diags)?;
            expect_rank(decl, input, spatial, diags)?;
            conv::conv(
                decl, &args, spatial, depthwise, input, options, budget, diags,
            )?
        }
        Family::Pool { spatial, kind } => {
            let input = single(diags)?;
            expect_rank(decl, input, spatial, diags)?;
            pool(decl, &args, spatial, kind, input, diags)?
        }
        Family::Global { spatial, kind } => {
            let input = single(diags)?;
            expect_rank(decl, input, spatial, diags)?;
            let keepdims = args.boolean("keepdims", diags).unwrap_or(false);
            let (batch, channels) = (input.shape[0], input.shape[spatial + 1]);
            let shape = if keepdims {
                let mut s = vec![batch];
                s.extend(std::iter::repeat_n(1, spatial));
                s.push(channels);
                s
            } else {
                vec![batch, channels]
            };
            (Op::GlobalPool(GlobalPool { kind, keepdims }), shape)
        }
        Family::Activation => {
            let input = single(diags)?;
            if !args.has("activation") {
                // A misspelt key was reported already; "needs an activation" would repeat it.
                if diags.len() > errors_before {
                    return None;
                }
                diags.push(
                    Diagnostic::error(
                        Code::NeedsActivation,
                        decl.op.span,
                        format!("{layer_text} needs an `activation` argument"),
                    )
                    .with_hint("e.g. `layer r = activation(x) { activation = relu }`"),
                );
                return None;
            }
            (Op::Activation(args.activation(diags)?), input.shape.clone())
        }
        Family::Merge(kind) => (Op::Merge(kind), merge_shape(decl, inputs, kind, diags)?),
        Family::Concatenate => (Op::Concatenate, concat_shape(decl, inputs, diags)?),
    };
    if diags.len() > errors_before {
        return None;
    }
    let len = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
    let reserved = match len {
        Some(len) => budget.reserve(
            len,
            4,
            decl.name.span,
            &format!("the output of {layer_text}, shape {}", shape_text(&shape)),
        ),
        None => Err(Diagnostic::error(
            Code::TooLarge,
            decl.name.span,
            format!("the output of {layer_text} has more elements than can be counted"),
        )),
    };
    if let Err(d) = reserved {
        diags.push(d);
        return None;
    }
    let layer = Layer {
        op_name: op_name.to_string(),
        inputs: inputs.iter().map(|&(id, _)| id).collect(),
        op,
    };
    Some(Value {
        name: decl.name.value.clone(),
        shape,
        kind: ValueKind::Layer(layer),
    })
}

fn expect_rank(
    decl: &LayerDecl,
    input: &Value,
    spatial: usize,
    diags: &mut Vec<Diagnostic>,
) -> Option<()> {
    if input.shape.len() == spatial + 2 {
        return Some(());
    }
    let layout = match spatial {
        1 => "(batch, length, channels)",
        2 => "(batch, rows, cols, channels)",
        _ => "(batch, depth, rows, cols, channels)",
    };
    let span = decl.inputs.first().map_or(decl.op.span, |i| i.span);
    diags.push(
        Diagnostic::error(
            Code::RankMismatch,
            span,
            format!(
                "`{}` reads {layout} tensors, but `{}` has shape {}",
                decl.op.value,
                input.name,
                shape_text(&input.shape)
            ),
        )
        .with_label(format!("rank {}, not {}", input.shape.len(), spatial + 2))
        .with_hint(format!(
            "use the {}-D version of the op, or give the input {} axes",
            input.shape.len().saturating_sub(2).max(1),
            spatial + 2
        )),
    );
    None
}

/// Resolves every spatial axis, reporting empty outputs with their formula.
#[allow(clippy::too_many_arguments)]
pub fn axes(
    decl: &LayerDecl,
    span: Span,
    in_shape: &[usize],
    kernel: &[usize],
    strides: &[usize],
    dilation: &[usize],
    padding: &[AxisPadding],
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<AxisGeometry>> {
    let n = kernel.len();
    let mut out = Vec::with_capacity(n);
    for axis in 0..n {
        match resolve_axis(
            in_shape[axis + 1],
            kernel[axis],
            strides[axis],
            dilation[axis],
            padding[axis],
        ) {
            Ok(g) => out.push(g),
            Err(e) => {
                diags.push(
                    Diagnostic::error(
                        geometry_code(&e),
                        span,
                        format!("`{}`: along {} {e}", decl.name.value, axis_name(n, axis)),
                    )
                    .with_hint("use `padding = same`, a smaller window, or a larger input"),
                );
                return None;
            }
        }
    }
    Some(out)
}

pub fn axis_name(n: usize, axis: usize) -> &'static str {
    match (n, axis) {
        (1, _) => "the length",
        (2, 0) | (3, 1) => "the rows",
        (2, _) | (3, 2) => "the columns",
        _ => "the depth",
    }
}

fn pool(
    decl: &LayerDecl,
    args: &Args,
    n: usize,
    kind: PoolKind,
    input: &Value,
    diags: &mut Vec<Diagnostic>,
) -> Option<(Op, Vec<usize>)> {
    let pool_size = args.sizes("pool_size", n, diags).unwrap_or(vec![2; n]);
    let strides = args.sizes("strides", n, diags).unwrap_or(pool_size.clone());
    let padding = args.padding(n, false, diags)?;
    let span = args.span("pool_size").unwrap_or(decl.name.span);
    let geometry = axes(
        decl,
        span,
        &input.shape,
        &pool_size,
        &strides,
        &vec![1; n],
        &padding,
        diags,
    )?;
    for (axis, g) in geometry.iter().enumerate() {
        // Explicit padding could place a whole window in the padding, where neither max nor
        // average has a value; `same` never does.
        let last_start = (g.out_len - 1) * g.stride;
        if g.pad_before >= g.kernel || last_start >= g.in_len + g.pad_before {
            diags.push(
                Diagnostic::error(
                    Code::PoolInPadding,
                    args.span("padding").unwrap_or(span),
                    format!(
                        "`{}`: along {} a pooling window lies entirely in the padding",
                        decl.name.value,
                        axis_name(n, axis)
                    ),
                )
                .with_hint(format!(
                    "pad less than the pool size ({}) on each side",
                    g.kernel
                )),
            );
            return None;
        }
    }
    let mut shape = vec![input.shape[0]];
    shape.extend(geometry.iter().map(|g| g.out_len));
    shape.push(input.shape[n + 1]);
    Some((
        Op::Pool(Pool {
            kind,
            axes: geometry,
        }),
        shape,
    ))
}

/// The code of a window that does not fit an axis.
fn geometry_code(e: &crate::geometry::GeometryError) -> Code {
    match e {
        crate::geometry::GeometryError::EmptyOutput { .. } => Code::EmptyOutput,
        crate::geometry::GeometryError::Overflow => Code::TooLarge,
        crate::geometry::GeometryError::ZeroParameter(_) => Code::NotPositive,
    }
}
