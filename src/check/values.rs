//! Reading tensors: inputs, kernels, biases and expected values, in every written form.

use super::tensor::{self, shape_text, Role};
use super::{image, npy, Budget, Options};
use crate::ast::{InputDecl, Spanned, TensorLit, TensorValue};
use crate::diagnostic::{Code, Diagnostic};
use crate::init;
use crate::ir::{Tensor, Value, ValueKind};

/// The largest rank convc handles: a 3-D input `(batch, depth, rows, cols, channels)`.
pub const MAX_RANK: usize = 5;

pub fn input(
    decl: &InputDecl,
    options: &Options,
    budget: &mut Budget,
    diags: &mut Vec<Diagnostic>,
) -> Option<Value> {
    if let TensorValue::Image(image) = &decl.tensor.value.value {
        return image::input(decl, image, options, budget, diags);
    }
    let what = format!("input `{}`", decl.name.value);
    let shape = match (&decl.tensor.shape, &decl.tensor.value.value) {
        (Some(shape), _) => declared_shape(shape, &what, diags)?,
        (None, TensorValue::Npy(path)) => npy::peek_shape(&options.base_dir, path)
            .map_err(|d| diags.push(d))
            .ok()?,
        (None, _) => {
            diags.push(
                Diagnostic::error(Code::NeedsShape, decl.name.span, format!("{what} needs a shape"))
                    .with_label("no shape")
                    .with_hint(format!(
                        "write the whole array shape, batch first and channels last, e.g. `input {} (1, 8, 1) = ...`",
                        decl.name.value
                    )),
            );
            return None;
        }
    };
    if shape.is_empty() || shape.len() > MAX_RANK {
        let span = decl
            .tensor
            .shape
            .as_ref()
            .map_or(decl.name.span, |s| s.span);
        diags.push(
            Diagnostic::error(Code::InputRank, span, format!("{what} has rank {}, but inputs have 1 to {MAX_RANK} axes", shape.len()))
                .with_hint("1-D data is (batch, length, channels), 2-D (batch, rows, cols, channels), 3-D (batch, depth, rows, cols, channels)"),
        );
        return None;
    }
    let tensor = tensor(
        &decl.tensor,
        &shape,
        Role::Data,
        &what,
        Some(options),
        budget,
        diags,
    )?;
    Some(Value {
        name: decl.name.value.clone(),
        shape,
        kind: ValueKind::Input(tensor),
    })
}

/// A written shape as sizes: every dimension at least 1, the element count representable.
pub fn declared_shape(
    shape: &Spanned<Vec<u64>>,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<usize>> {
    let mut out = Vec::with_capacity(shape.value.len());
    for &d in &shape.value {
        if d == 0 {
            diags.push(
                Diagnostic::error(
                    Code::ZeroDimension,
                    shape.span,
                    format!("{what} has a dimension of size 0"),
                )
                .with_label("size 0")
                .with_hint("every dimension needs at least 1 element"),
            );
            return None;
        }
        let Ok(d) = usize::try_from(d) else {
            diags.push(Diagnostic::error(
                Code::TooLarge,
                shape.span,
                format!("{what} has a dimension too large for this machine"),
            ));
            return None;
        };
        out.push(d);
    }
    if element_count(&out).is_none() {
        diags.push(
            Diagnostic::error(
                Code::TooLarge,
                shape.span,
                format!(
                    "{what}'s shape {} has more elements than can be counted",
                    shape_text(&out)
                ),
            )
            .with_label("the product of these sizes overflows"),
        );
        return None;
    }
    Some(out)
}

pub fn element_count(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
}

/// Reads `lit` as a tensor of exactly `shape`. `options` is needed for `npy` (its base
/// directory); the memory is reserved in `budget` before anything is allocated.
pub fn tensor(
    lit: &TensorLit,
    shape: &[usize],
    role: Role,
    what: &str,
    options: Option<&Options>,
    budget: &mut Budget,
    diags: &mut Vec<Diagnostic>,
) -> Option<Tensor> {
    if let Some(declared) = &lit.shape {
        let written: Vec<u64> = shape.iter().map(|&d| d as u64).collect();
        if declared.value != written {
            let declared_text: Vec<String> = declared.value.iter().map(|d| d.to_string()).collect();
            diags.push(
                Diagnostic::error(
                    Code::ShapeMismatch,
                    declared.span,
                    format!(
                        "{what} is declared with shape ({}), but it must have shape {}",
                        declared_text.join(", "),
                        shape_text(shape)
                    ),
                )
                .with_label(format!("should be {}", shape_text(shape))),
            );
            return None;
        }
    }
    let Some(len) = element_count(shape) else {
        diags.push(Diagnostic::error(
            Code::TooLarge,
            lit.value.span,
            format!("{what} has more elements than can be counted"),
        ));
        return None;
    };
    if let Err(d) = budget.reserve(len, 4, lit.value.span, what) {
        diags.push(d);
        return None;
    }
    let data: Vec<f32> = match &lit.value.value {
        TensorValue::Fill(x) => vec![x.value as f32; len],
        TensorValue::Init(i) => {
            let names = init::NAMES.iter().copied();
            if !init::NAMES.contains(&i.name.value.as_str()) {
                diags.push(
                    Diagnostic::error(
                        Code::UnknownInitializer,
                        i.name.span,
                        format!("unknown initializer `{}`", i.name.value),
                    )
                    .with_label("not an initializer")
                    .with_suggestion(&i.name.value, names),
                );
                return None;
            }
            match init::initialize(&i.name.value, shape, i.seed.as_ref().map_or(0, |s| s.value)) {
                Ok(data) => data,
                Err(message) => {
                    diags.push(Diagnostic::error(Code::Internal, i.span, message));
                    return None;
                }
            }
        }
        TensorValue::Npy(path) => {
            let Some(options) = options else {
                diags.push(
                    Diagnostic::error(
                        Code::NotFromFile,
                        path.span,
                        format!("{what} cannot be read from a file"),
                    )
                    .with_hint("write the values out, e.g. `[0 0 1 1 0 0]`"),
                );
                return None;
            };
            let (file_shape, data) = npy::load(&options.base_dir, path, budget.limit)
                .map_err(|d| diags.push(d))
                .ok()?;
            if file_shape != shape {
                diags.push(
                    Diagnostic::error(
                        Code::NpyShape,
                        path.span,
                        format!(
                            "`{}` holds an array of shape {}, but {what} must have shape {}",
                            path.value,
                            shape_text(&file_shape),
                            shape_text(shape)
                        ),
                    )
                    .with_label(format!("shape {}", shape_text(&file_shape))),
                );
                return None;
            }
            data.into_iter().map(|x| x as f32).collect()
        }
        TensorValue::Image(image) => {
            diags.push(
                Diagnostic::error(Code::ImageWeights, image.path.span, format!("{what} cannot be an image"))
                    .with_label("an image")
                    .with_hint("only an input can be read from a picture, e.g. `input photo = image \"cat.png\" gray`"),
            );
            return None;
        }
        _ => match tensor::assemble(&lit.value, shape, role, what) {
            // Rounded to f32 once, as NumPy's `np.float32(value)` does.
            Ok(values) => values.into_iter().map(|x| x as f32).collect(),
            Err(mut d) => {
                diags.append(&mut d);
                return None;
            }
        },
    };
    Some(Tensor {
        shape: shape.to_vec(),
        data,
    })
}
