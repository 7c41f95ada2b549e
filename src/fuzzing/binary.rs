//! The binary input formats convc reads, through its own loading code: the bytes are written
//! to a scratch file that a spec names, and the spec is checked (`check::npy`,
//! `check::image`). Every file gives a tensor or a diagnostic.

use super::load;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// This process's scratch directory (one per process, so parallel fuzzing jobs do not share).
fn scratch() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("convc-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        dir
    })
}

/// Loads `spec` (a `.conv` spec in the scratch directory) after writing `data` to `file`.
fn load_with_file(file: &str, data: &[u8], spec: &str) {
    let dir = scratch();
    let path = dir.join(file);
    std::fs::write(&path, data).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    if let Err(e) = load(&dir.join("fuzz.conv"), spec) {
        assert!(
            !e.message.is_empty(),
            "a file was refused without a message"
        );
    }
}

/// Arbitrary bytes as a `.npy` file: as an input (`npy::load`) and as a convolution's kernel
/// (`npy::peek_shape`, then `npy::load`).
pub fn npy(data: &[u8]) {
    load_with_file(
        "fuzz.npy",
        data,
        "input x = npy \"fuzz.npy\"\n\
         input y (1, 4, 4, 1) = fill 1\n\
         layer z = conv2d(y) { kernel = npy \"fuzz.npy\" }\n",
    );
}

/// Arbitrary bytes as a picture, read in the mode the input's length picks (gray, rgb or
/// rgba: each converts the decoded pixels differently).
pub fn image(data: &[u8]) {
    let mode = ["gray", "rgb", "rgba"][data.len() % 3];
    load_with_file(
        "fuzz.img",
        data,
        &format!("input x = image \"fuzz.img\" {mode}\nlayer y = global_max_pooling2d(x)\n"),
    );
}
