//! `convc run --format npy --out DIR`: each tensor as `DIR/<name>.npy`, float32 little-endian
//! in C order, which `numpy.load` reads as is.
//!
//! Each file is written atomically: into a temporary file in the same directory, flushed to
//! disk, then renamed over the final name. A crash or a full disk never leaves half an array
//! under a name a later step would read.

use crate::diagnostic::{Code, Diagnostic};
use crate::ir::Tensor;
use npyz::WriterBuilder;
use std::path::{Path, PathBuf};

/// Writes every `(name, tensor)` into `dir` (created if missing); returns the files written,
/// or what could not be written and why.
pub fn write_all(dir: &Path, tensors: &[(&str, &Tensor)]) -> Result<Vec<PathBuf>, Diagnostic> {
    let fail = |code, message| Diagnostic::error_unlocated(code, message);
    std::fs::create_dir_all(dir).map_err(|e| {
        fail(
            Code::CannotCreateFolder,
            format!("cannot create the output folder `{}`: {e}", dir.display()),
        )
    })?;
    let mut written = Vec::with_capacity(tensors.len());
    for (name, tensor) in tensors {
        let path = dir.join(file_name(name)?);
        let bytes = encode(tensor)
            .map_err(|e| fail(Code::Encode, format!("cannot encode `{name}` as .npy: {e}")))?;
        write_atomically(&path, &bytes).map_err(|e| {
            fail(
                Code::CannotWrite,
                format!("cannot write `{}`: {e}", path.display()),
            )
        })?;
        written.push(path);
    }
    Ok(written)
}

/// `<name>.npy`. Names from `.conv` are identifiers; TOML names are strings and might hold a
/// path separator, which must not escape the output folder.
fn file_name(name: &str) -> Result<String, Diagnostic> {
    let safe = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if safe {
        Ok(format!("{name}.npy"))
    } else {
        Err(Diagnostic::error_unlocated(
            Code::InternalOutputName,
            format!(
                "`{name}` cannot be a file name; rename the layer with letters, digits and `_`"
            ),
        ))
    }
}

/// The whole `.npy` file in memory: header, then the values in row-major order.
pub fn encode(tensor: &Tensor) -> std::io::Result<Vec<u8>> {
    let shape: Vec<u64> = tensor.shape.iter().map(|&d| d as u64).collect();
    let mut bytes = Vec::with_capacity(128 + tensor.data.len() * 4);
    let mut writer = npyz::WriteOptions::<f32>::new()
        .default_dtype()
        .shape(&shape)
        .writer(&mut bytes)
        .begin_nd()?;
    writer.extend(tensor.data.iter().copied())?;
    writer.finish()?;
    Ok(bytes)
}

/// Writes `bytes` to `path` atomically (see [`crate::atomic`]).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    crate::atomic::write(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_stay_inside_the_folder() {
        assert_eq!(file_name("edges").as_deref(), Ok("edges.npy"));
        assert!(file_name("../x").is_err());
        assert!(file_name("a/b").is_err());
        assert!(file_name("").is_err());
        assert!(file_name(".hidden").is_err());
    }

    #[test]
    fn encoded_arrays_read_back() -> std::io::Result<()> {
        let tensor = Tensor {
            shape: vec![1, 2, 3],
            data: vec![0.0, 1.5, -2.0, 3.25, f32::INFINITY, 6.0],
        };
        let bytes = encode(&tensor)?;
        let npy = npyz::NpyFile::new(&bytes[..])?;
        assert_eq!(npy.shape(), &[1, 2, 3]);
        assert_eq!(npy.order(), npyz::Order::C);
        assert_eq!(npy.into_vec::<f32>()?, tensor.data);
        Ok(())
    }
}
