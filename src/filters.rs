//! The built-in library of hand-crafted 2-D filters.

/// A 2-D filter, row-major, in 64-bit (rounded to f32 once, by the checker).
#[derive(Debug, Clone, PartialEq)]
pub struct Filter2d {
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<f64>,
}

pub const NAMES: &[&str] = &[];

/// The filter called `name` with numeric `args`, or a message saying what is wrong.
pub fn builtin(name: &str, _args: &[f64]) -> Result<Filter2d, String> {
    Err(format!("unknown filter `{name}`"))
}
