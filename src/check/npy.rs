//! Reading NumPy `.npy` files: float32/float64, signed and unsigned integers and booleans, in
//! C or Fortran order (Fortran order is transposed to row-major). Every other dtype is refused
//! with a message; sizes are checked against the file and the memory limit before reading.

use crate::ast::Spanned;
use crate::diagnostic::{Code, Diagnostic};
use npyz::{DType, NpyFile, Order, TypeChar};
use std::path::{Path, PathBuf};

fn resolve(base_dir: &Path, path: &Spanned<String>) -> PathBuf {
    base_dir.join(&path.value)
}

fn open(base_dir: &Path, path: &Spanned<String>) -> Result<(PathBuf, std::fs::File), Diagnostic> {
    // Such a path could not be written back in `.conv` (strings have no escapes).
    if path.value.contains(['"', '\n', '\r']) {
        return Err(Diagnostic::error(
            Code::BadPath,
            path.span,
            "a file path cannot contain quotes or line breaks",
        )
        .with_hint("rename the file"));
    }

    let full = resolve(base_dir, path);
    std::fs::File::open(&full)
        .map(|f| (full.clone(), f))
        .map_err(|e| {
            Diagnostic::error(
                Code::CannotOpen,
                path.span,
                format!("cannot open `{}`: {e}", full.display()),
            )
            .with_label("this file")
            .with_hint("npy paths are relative to the spec's directory")
        })
}

fn bad(path: &Spanned<String>, full: &Path, message: impl std::fmt::Display) -> Diagnostic {
    Diagnostic::error(
        Code::BadNpy,
        path.span,
        format!("`{}` is not a usable .npy file: {message}", full.display()),
    )
    .with_label("this file")
}

/// The array shape recorded in the file's header.
pub fn peek_shape(base_dir: &Path, path: &Spanned<String>) -> Result<Vec<usize>, Diagnostic> {
    let (full, file) = open(base_dir, path)?;
    let npy = NpyFile::new(std::io::BufReader::new(file)).map_err(|e| bad(path, &full, e))?;
    shape_of(npy.shape()).ok_or_else(|| bad(path, &full, "its shape is too large"))
}

fn shape_of(shape: &[u64]) -> Option<Vec<usize>> {
    let shape: Option<Vec<usize>> = shape.iter().map(|&d| usize::try_from(d).ok()).collect();
    let shape = shape?;
    shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d))?;
    Some(shape)
}

/// The array's shape and values, row-major, as f64 (exact for every supported dtype except
/// 64-bit integers beyond 2^53). Refuses files whose data would take more than `max_bytes`.
pub fn load(
    base_dir: &Path,
    path: &Spanned<String>,
    max_bytes: u64,
) -> Result<(Vec<usize>, Vec<f64>), Diagnostic> {
    let (full, file) = open(base_dir, path)?;
    let npy = NpyFile::new(std::io::BufReader::new(file)).map_err(|e| bad(path, &full, e))?;
    let shape = shape_of(npy.shape()).ok_or_else(|| bad(path, &full, "its shape is too large"))?;
    let len = shape.iter().product::<usize>();
    if (len as u64).saturating_mul(8) > max_bytes {
        return Err(bad(
            path,
            &full,
            format!("{len} values exceed the memory limit"),
        ));
    }
    let DType::Plain(type_str) = npy.dtype() else {
        return Err(
            bad(path, &full, "it holds a structured array").with_hint("save a plain numeric array")
        );
    };
    let size = type_str.size_field();
    let order = npy.order();
    let read_err = |e: std::io::Error| bad(path, &full, format!("{e} (is the file truncated?)"));
    let values: Vec<f64> = match (type_str.type_char(), size) {
        (TypeChar::Float, 4) => npy
            .into_vec::<f32>()
            .map_err(read_err)?
            .into_iter()
            .map(f64::from)
            .collect(),
        (TypeChar::Float, 8) => npy.into_vec::<f64>().map_err(read_err)?,
        (TypeChar::Int, 1) => npy
            .into_vec::<i8>()
            .map_err(read_err)?
            .into_iter()
            .map(f64::from)
            .collect(),
        (TypeChar::Int, 2) => npy
            .into_vec::<i16>()
            .map_err(read_err)?
            .into_iter()
            .map(f64::from)
            .collect(),
        (TypeChar::Int, 4) => npy
            .into_vec::<i32>()
            .map_err(read_err)?
            .into_iter()
            .map(f64::from)
            .collect(),
        (TypeChar::Int, 8) => npy
            .into_vec::<i64>()
            .map_err(read_err)?
            .into_iter()
            .map(|x| x as f64)
            .collect(),
        (TypeChar::Uint, 1) => npy
            .into_vec::<u8>()
            .map_err(read_err)?
            .into_iter()
            .map(f64::from)
            .collect(),
        (TypeChar::Uint, 2) => npy
            .into_vec::<u16>()
            .map_err(read_err)?
            .into_iter()
            .map(f64::from)
            .collect(),
        (TypeChar::Uint, 4) => npy
            .into_vec::<u32>()
            .map_err(read_err)?
            .into_iter()
            .map(f64::from)
            .collect(),
        (TypeChar::Uint, 8) => npy
            .into_vec::<u64>()
            .map_err(read_err)?
            .into_iter()
            .map(|x| x as f64)
            .collect(),
        (TypeChar::Bool, 1) => npy
            .into_vec::<bool>()
            .map_err(read_err)?
            .into_iter()
            .map(|b| f64::from(u8::from(b)))
            .collect(),
        _ => {
            return Err(bad(
                path,
                &full,
                format!("its dtype `{type_str}` is not supported"),
            )
            .with_hint("convert it with NumPy first: `np.save(path, array.astype(np.float32))`"))
        }
    };
    if values.len() != len {
        return Err(bad(
            path,
            &full,
            format!(
                "it holds {} values, but its header says {len}",
                values.len()
            ),
        ));
    }
    let values = if order == Order::Fortran {
        fortran_to_c(&shape, &values)
    } else {
        values
    };
    Ok((shape, values))
}

/// Fortran order is column-major: the first index varies fastest.
fn fortran_to_c(shape: &[usize], values: &[f64]) -> Vec<f64> {
    let rank = shape.len();
    let mut out = vec![0.0; values.len()];
    let mut index = vec![0usize; rank];
    for slot in out.iter_mut() {
        // `index` walks the C order; compute the Fortran offset of the same element.
        let mut offset = 0;
        let mut stride = 1;
        for axis in 0..rank {
            offset += index[axis] * stride;
            stride *= shape[axis];
        }
        *slot = values[offset];
        for axis in (0..rank).rev() {
            index[axis] += 1;
            if index[axis] < shape[axis] {
                break;
            }
            index[axis] = 0;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fortran_order_is_transposed() {
        // A 2x3 array [[1 2 3] [4 5 6]] in Fortran order is stored 1 4 2 5 3 6.
        assert_eq!(
            fortran_to_c(&[2, 3], &[1.0, 4.0, 2.0, 5.0, 3.0, 6.0]),
            vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
        );
    }
}
