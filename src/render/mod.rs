//! Presenting results: feature maps as text, JSON or `.npy` files, and the `check` summary.

pub mod json;
pub mod npy;
pub mod summary;
pub mod text;
