//! One entry point per fuzz target (feature `fuzzing`). `fuzz/fuzz_targets/<target>.rs` calls
//! one; the regression tests replay every file under `fuzz/regressions/<target>/` through
//! the same function. Each returns normally when convc answers the input with a result or a
//! diagnostic, and panics on a finding: a panic inside convc, a converted spec that means
//! another model, a JIT that disagrees with the interpreter or touches memory outside its
//! buffers. See docs/fuzzing.md.

pub mod binary;
pub mod jit;
#[cfg(test)]
mod regressions;
pub mod text;

use crate::pipeline::{self, LoadError, Loaded};
use std::path::{Path, PathBuf};

/// The memory limit for every spec the fuzzer loads: big enough for every seed, small enough
/// that no input can make a run take long (libFuzzer's `-rss_limit_mb` watches the rest).
pub const MAX_MEMORY: u64 = 64 << 20;

/// A fuzz target: returns on any input convc handles, panics on a finding.
pub type Target = fn(&[u8]);

/// The fuzz targets, by name (the names of `fuzz/fuzz_targets/*.rs` and of the directories
/// under `fuzz/regressions/`).
pub const TARGETS: [(&str, Target); 6] = [
    ("parse_conv", text::parse_conv),
    ("parse_toml", text::parse_toml),
    ("convert_roundtrip", text::convert_roundtrip),
    ("jit_vs_interp", jit::jit_vs_interp),
    ("npy", binary::npy),
    ("image", binary::image),
];

/// The directory that relative paths in fuzzed specs resolve against: the feature specs'
/// own, so that seeds naming `data/ramp.npy` or `data/bar.png` load as they do in the tests.
pub fn spec_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/features")
}

/// Parses and checks `source` as if read from `path`, diagnostics rendered (the renderer is
/// part of what is fuzzed: spans must lie inside the text).
pub fn load(path: &Path, source: &str) -> Result<Loaded, LoadError> {
    pipeline::load_source(path, source.to_string(), MAX_MEMORY, false)
}
