//! Presenting results: feature maps as text or JSON, and the `check` summary.

pub mod json;
pub mod summary;
pub mod text;
