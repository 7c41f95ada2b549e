//! convc: compile and run declarative convolution-network specs.
//!
//! The pipeline, one module per stage (see ARCHITECTURE.md):
//!
//! ```text
//! source text --parse--> ast::Spec --check--> ir::Model --interp::run--> tensors
//! (.conv, pest;           (spans on            (names resolved, shapes concrete,
//!  .toml, toml's spans)    every node)          padding computed, memory checked)
//! ```
//!
//! `print` turns a checked spec back into either syntax (`convc convert`).

// A `Diagnostic` is a few hundred bytes; it travels only on error paths, moved once into a
// list, so boxing it (what `result_large_err` asks for) would gain nothing.
#![allow(clippy::result_large_err)]

pub mod access;
pub mod ast;
pub mod atomic;
pub mod bench;
pub mod cancel;
pub mod check;
pub mod cli;
pub mod diagnostic;
pub mod emit;
pub mod explain;
pub mod filters;
/// One entry point per fuzz target (feature `fuzzing`; see docs/fuzzing.md).
#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzzing;
pub mod geometry;
pub mod init;
pub mod interp;
pub mod ir;
pub mod jit;
pub mod limits;
pub mod overrides;
pub mod parse;
pub mod picture;
pub mod pipeline;
pub mod print;
pub mod progress;
pub mod render;
pub mod report;
pub mod snapshot;
pub mod testing;
