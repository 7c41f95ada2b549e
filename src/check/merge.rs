//! Checking merges (`add`, `subtract`, ..., `concatenate`): how many inputs, and shapes that
//! agree.

use super::tensor::shape_text;
use crate::ast::LayerDecl;
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{MergeKind, Value};

pub(super) fn merge_shape(
    decl: &LayerDecl,
    inputs: &[(usize, &Value)],
    kind: MergeKind,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<usize>> {
    if kind == MergeKind::Subtract && inputs.len() != 2 {
        diags.push(
            Diagnostic::error(
                Code::InputCount,
                decl.op.span,
                format!(
                    "`subtract` takes exactly 2 inputs, but {} are given",
                    inputs.len()
                ),
            )
            .with_hint("`subtract(a, b)` computes a - b"),
        );
        return None;
    }
    at_least_two(decl, inputs, diags)?;
    let first = inputs[0].1;
    for (i, (_, v)) in inputs.iter().enumerate().skip(1) {
        if v.shape != first.shape {
            diags.push(
                Diagnostic::error(
                    Code::MergeShapes,
                    decl.inputs[i].span,
                    format!(
                        "`{}` merges tensors of one shape, but `{}` is {} and `{}` is {}",
                        decl.op.value,
                        first.name,
                        shape_text(&first.shape),
                        v.name,
                        shape_text(&v.shape)
                    ),
                )
                .with_label(shape_text(&v.shape))
                .with_secondary(decl.inputs[0].span, shape_text(&first.shape))
                .with_hint(
                    "make the shapes equal, e.g. with `padding = same` on the convolutions before",
                ),
            );
            return None;
        }
    }
    Some(first.shape.clone())
}

fn at_least_two(
    decl: &LayerDecl,
    inputs: &[(usize, &Value)],
    diags: &mut Vec<Diagnostic>,
) -> Option<()> {
    if inputs.len() >= 2 {
        return Some(());
    }
    diags.push(
        Diagnostic::error(
            Code::InputCount,
            decl.op.span,
            format!(
                "`{}` combines several inputs, but only one is given",
                decl.op.value
            ),
        )
        .with_hint(format!("name two or more: `{}(a, b)`", decl.op.value)),
    );
    None
}

pub(super) fn concat_shape(
    decl: &LayerDecl,
    inputs: &[(usize, &Value)],
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<usize>> {
    at_least_two(decl, inputs, diags)?;
    let first = inputs[0].1;
    let rank = first.shape.len();
    let mut channels = 0usize;
    for (i, (_, v)) in inputs.iter().enumerate() {
        if v.shape.len() != rank || v.shape[..rank - 1] != first.shape[..rank - 1] {
            diags.push(
                Diagnostic::error(
                    Code::ConcatenateShapes,
                    decl.inputs[i].span,
                    format!("`concatenate` joins channels of tensors that agree on every other axis, but `{}` is {} and `{}` is {}", first.name, shape_text(&first.shape), v.name, shape_text(&v.shape)),
                )
                .with_label(shape_text(&v.shape))
                .with_secondary(decl.inputs[0].span, shape_text(&first.shape)),
            );
            return None;
        }
        let Some(sum) = channels.checked_add(v.shape[rank - 1]) else {
            diags.push(Diagnostic::error(
                Code::TooLarge,
                decl.op.span,
                "the concatenated channels are too many to count",
            ));
            return None;
        };
        channels = sum;
    }
    let mut shape = first.shape.clone();
    shape[rank - 1] = channels;
    Some(shape)
}
