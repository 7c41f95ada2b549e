//! Printing a checked spec in either syntax (`convc convert`).

pub mod conv;
pub mod toml;
