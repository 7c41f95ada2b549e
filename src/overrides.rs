//! `--input NAME=FILE`: one spec, many files. The override replaces the input's value in the
//! AST, before checking, so the new shape flows through the checker like a written one (no
//! model is patched afterwards; every invariant of a checked `Model` still holds).

use crate::ast::{Image, ImageMode, Spanned, Spec, TensorLit, TensorValue};
use crate::diagnostic::{Code, Diagnostic};
use std::path::PathBuf;

/// `NAME=FILE` from the command line.
#[derive(Debug, Clone, PartialEq)]
pub struct InputOverride {
    pub name: String,
    pub path: PathBuf,
}

/// Reads `NAME=FILE` (clap's value parser).
pub fn parse(text: &str) -> Result<InputOverride, Diagnostic> {
    match text.split_once('=') {
        Some((name, path)) if !name.is_empty() && !path.is_empty() => Ok(InputOverride {
            name: name.to_string(),
            path: PathBuf::from(path),
        }),
        _ => Err(Diagnostic::error_unlocated(
            Code::NotNameFile,
            format!(
                "`{text}` is not NAME=FILE; write e.g. `--input photo=cat.png` or `--input signal=data.npy`"
            ),
        )),
    }
}

/// Replaces each named input's value with its file: `.npy` as an array, anything else as an
/// image. The declared shape is dropped (the file decides it; layers are re-checked against
/// it). An image keeps the declared image's mode and scale; an input that was not an image
/// takes its mode from its declared channel count (1 gray, 3 rgb, 4 rgba), else gray. Paths
/// are taken relative to the current directory, as a shell user expects. The spec's `expect`s
/// are dropped: they describe the declared data.
pub fn apply(spec: &mut Spec, overrides: &[InputOverride]) -> Result<(), Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let names: Vec<String> = spec.inputs.iter().map(|i| i.name.value.clone()).collect();
    for (k, o) in overrides.iter().enumerate() {
        if overrides[..k].iter().any(|earlier| earlier.name == o.name) {
            diags.push(Diagnostic::error_unlocated(
                Code::OverrideTwice,
                format!("`--input {}=...` is given more than once", o.name),
            ));
            continue;
        }
        let Some(decl) = spec.inputs.iter_mut().find(|i| i.name.value == o.name) else {
            let listed: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
            diags.push(
                Diagnostic::error_unlocated(
                    Code::OverrideUnknown,
                    format!("`--input {}=...` names no input of the spec", o.name),
                )
                .with_suggestion(&o.name, names.iter().map(String::as_str))
                .with_hint(if listed.is_empty() {
                    "the spec declares no inputs".to_string()
                } else {
                    format!("the spec's inputs are {}", listed.join(", "))
                }),
            );
            continue;
        };
        // Diagnostics about the file point at the declaration it replaces.
        let span = decl.tensor.value.span;
        let absolute = std::path::absolute(&o.path).unwrap_or_else(|_| o.path.clone());
        let path = Spanned::new(absolute.to_string_lossy().into_owned(), span);
        let is_npy = o
            .path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("npy"));
        let value = if is_npy {
            TensorValue::Npy(path)
        } else {
            let (mode, scale) = match &decl.tensor.value.value {
                TensorValue::Image(image) => (image.mode.clone(), image.scale.clone()),
                _ => (mode_for(&decl.tensor).map(|m| Spanned::new(m, span)), None),
            };
            TensorValue::Image(Image {
                path,
                mode,
                scale,
                span,
            })
        };
        decl.tensor = TensorLit {
            shape: None,
            value: Spanned::new(value, span),
        };
    }
    if !overrides.is_empty() {
        // Expectations describe the declared data; with other data they would all fail, or
        // not even fit its shape.
        spec.expects.clear();
    }
    if diags.is_empty() {
        Ok(())
    } else {
        Err(diags)
    }
}

/// The image mode matching a written tensor's channel count, when there is one.
fn mode_for(tensor: &TensorLit) -> Option<ImageMode> {
    match tensor.shape.as_ref()?.value.last()? {
        3 => Some(ImageMode::Rgb),
        4 => Some(ImageMode::Rgba),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_equals_file() {
        let o = parse("photo=cat.png");
        assert_eq!(
            o,
            Ok(InputOverride {
                name: "photo".into(),
                path: "cat.png".into()
            })
        );
        assert!(parse("photo").is_err());
        assert!(parse("=cat.png").is_err());
        assert!(parse("photo=").is_err());
    }
}
