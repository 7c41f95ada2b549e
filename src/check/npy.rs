//! Reading NumPy `.npy` files: float32/float64, signed and unsigned integers and booleans, in
//! C or Fortran order (Fortran order is transposed to row-major). Every other dtype is refused
//! with a message; sizes are checked against the file and the memory limit before reading.

use super::Options;
use crate::access::OpenError;
use crate::ast::Spanned;
use crate::diagnostic::{Code, Diagnostic};
use npyz::{DType, NpyFile, Order, TypeChar};
use std::path::{Path, PathBuf};

fn open(options: &Options, path: &Spanned<String>) -> Result<(PathBuf, std::fs::File), Diagnostic> {
    // Such a path could not be written back in `.conv` (strings have no escapes).
    if path.value.contains(['"', '\n', '\r']) {
        return Err(Diagnostic::error(
            Code::BadPath,
            path.span,
            "a file path cannot contain quotes or line breaks",
        )
        .with_hint("rename the file"));
    }

    let full = options.base_dir.join(&path.value);
    match options.reads.open(&options.base_dir, path, &full) {
        Ok(file) => Ok((full, file)),
        Err(OpenError::Refused(d)) => Err(d),
        Err(OpenError::Io(e)) => Err(Diagnostic::error(
            Code::CannotOpen,
            path.span,
            format!("cannot open `{}`: {e}", full.display()),
        )
        .with_label("this file")
        .with_hint("npy paths are relative to the spec's directory")),
    }
}

/// The longest header read: NumPy's are a short Python dict, padded to 64 bytes (version 2
/// exists only for dicts beyond 64 KiB).
const MAX_HEADER_BYTES: u64 = 1 << 20;
/// The deepest nesting of brackets read in a header: NumPy writes at most 3 or 4 levels (a
/// record of sub-arrays), and npyz's parser takes time exponential in it (17 levels take
/// more than 10 s; found by the `npy` fuzz target).
const MAX_HEADER_NESTING: usize = 8;

/// Opens `path` for npyz after checking what npyz would read without limit: the header's
/// length and the nesting of its brackets. Files that are not .npy at all are left to npyz,
/// which says so.
fn open_npy(
    options: &Options,
    path: &Spanned<String>,
) -> Result<(PathBuf, NpyFile<std::io::BufReader<std::fs::File>>), Diagnostic> {
    let (full, mut file) = open(options, path)?;
    check_header(&mut file)
        .map_err(|why| bad(path, &full, why).with_hint("write it with NumPy's `np.save`"))?;
    let npy = NpyFile::new(std::io::BufReader::new(file)).map_err(|e| bad(path, &full, e))?;
    Ok((full, npy))
}

fn check_header(file: &mut std::fs::File) -> Result<(), String> {
    use std::io::{Read, Seek, SeekFrom};
    let io = |e: std::io::Error| format!("cannot read it: {e}");
    let mut pre = Vec::with_capacity(12);
    file.by_ref().take(12).read_to_end(&mut pre).map_err(io)?;
    let length = match pre.as_slice() {
        [0x93, b'N', b'U', b'M', b'P', b'Y', 1, _, a, b, ..] => {
            Some((u64::from(u16::from_le_bytes([*a, *b])), 10))
        }
        [0x93, b'N', b'U', b'M', b'P', b'Y', 2 | 3, _, a, b, c, d] => {
            Some((u64::from(u32::from_le_bytes([*a, *b, *c, *d])), 12))
        }
        _ => None,
    };
    if let Some((length, start)) = length {
        if length > MAX_HEADER_BYTES {
            return Err(format!(
                "its header claims {length} bytes, more than the {MAX_HEADER_BYTES} convc reads"
            ));
        }
        file.seek(SeekFrom::Start(start)).map_err(io)?;
        let mut header = Vec::new();
        file.by_ref()
            .take(length)
            .read_to_end(&mut header)
            .map_err(io)?;
        let depth = nesting(&header);
        if depth > MAX_HEADER_NESTING {
            return Err(format!(
                "its header nests brackets {depth} deep, more than the {MAX_HEADER_NESTING} convc reads"
            ));
        }
        if shape_overflows(&header) {
            return Err(
                "its shape has more elements than a 64-bit count holds, so it cannot be this file"
                    .to_string(),
            );
        }
    }
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    Ok(())
}

/// Whether the header's `shape` multiplies out (leaving zeros aside, as npyz's strides do)
/// beyond `u64`: npyz multiplies it without checking (found by the `npy` fuzz target). The
/// header is parsed with the parser npyz uses; anything it cannot read is left to npyz.
fn shape_overflows(header: &[u8]) -> bool {
    use py_literal::Value;
    let Some(Ok(Value::Dict(entries))) = std::str::from_utf8(header)
        .ok()
        .map(|text| text.trim().parse::<Value>())
    else {
        return false;
    };
    let shape = entries.iter().find_map(|(key, value)| match (key, value) {
        (Value::String(key), Value::Tuple(dims)) if key == "shape" => Some(dims),
        _ => None,
    });
    let mut count: u64 = 1;
    for dim in shape.into_iter().flatten() {
        let Value::Integer(dim) = dim else { continue };
        let Ok(dim) = dim.to_string().parse::<u64>() else {
            continue;
        };
        if dim == 0 {
            continue;
        }
        match count.checked_mul(dim) {
            Some(product) => count = product,
            None => return true,
        }
    }
    false
}

/// The deepest nesting of `(`, `[` and `{` outside quoted strings.
fn nesting(text: &[u8]) -> usize {
    let (mut depth, mut deepest, mut quote) = (0usize, 0usize, None);
    for &c in text {
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, b'\'' | b'"') => quote = Some(c),
            (None, b'(' | b'[' | b'{') => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            (None, b')' | b']' | b'}') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
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
pub fn peek_shape(options: &Options, path: &Spanned<String>) -> Result<Vec<usize>, Diagnostic> {
    let (full, npy) = open_npy(options, path)?;
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
    options: &Options,
    path: &Spanned<String>,
    max_bytes: u64,
) -> Result<(Vec<usize>, Vec<f64>), Diagnostic> {
    let (full, npy) = open_npy(options, path)?;
    let shape = shape_of(npy.shape()).ok_or_else(|| bad(path, &full, "its shape is too large"))?;
    let len = shape.iter().product::<usize>();
    // While reading, the file's values (up to 8 bytes each) and their f64 copy coexist.
    let needed = (len as u64).checked_mul(16);
    if needed.is_none_or(|n| n > max_bytes) {
        let refused = crate::limits::LimitExceeded {
            what: format!("reading its {len} values"),
            needed,
            used: 0,
            limit: max_bytes,
            flag: "--max-memory",
            name: "memory left under the limit",
            code: Code::MemoryLimit,
        };
        return Err(bad(path, &full, refused.message()).with_hint(refused.hint()));
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
    fn nesting_counts_brackets_outside_quotes() {
        assert_eq!(nesting(b"{'descr': '<f4', 'shape': (2, 3), }"), 2);
        assert_eq!(nesting(b"{'descr': [('a', '<f4', (2,))], }"), 4);
        assert_eq!(nesting(b"{'descr': '[[[[(', }"), 1);
        assert_eq!(nesting(b"[[[[[[[[[["), 10);
    }

    #[test]
    fn deeply_nested_headers_are_refused() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions/npy");
        let file = "timeout_nested_brackets_in_header.npy".to_string();
        let path = Spanned::new(file, crate::ast::Span::default());
        let options = Options {
            base_dir: dir,
            ..Options::default()
        };
        let err = load(&options, &path, 1 << 20).unwrap_err();
        assert!(
            err.message
                .contains("its header nests brackets 18 deep, more than the 8"),
            "{}",
            err.message
        );
    }

    #[test]
    fn fortran_order_is_transposed() {
        // A 2x3 array [[1 2 3] [4 5 6]] in Fortran order is stored 1 4 2 5 3 6.
        assert_eq!(
            fortran_to_c(&[2, 3], &[1.0, 4.0, 2.0, 5.0, 3.0, 6.0]),
            vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
        );
    }
}
