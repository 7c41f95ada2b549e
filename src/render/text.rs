//! Feature maps as people read them: one aligned grid per channel (and batch, and depth), as the
//! tutorial prints them. Grids are labelled exactly as the `.conv` language labels them, so a
//! printed map can be pasted into an `expect`.

use crate::check::tensor::{layout, shape_text, Role};
use crate::ir::Tensor;
use std::fmt::Write;

/// How much of a big tensor to show.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Rows and columns beyond this are elided (first and last halves shown).
    pub max_cells: usize,
    /// Grids beyond this are elided.
    pub max_grids: usize,
}

impl Limits {
    pub const DEFAULT: Limits = Limits {
        max_cells: 16,
        max_grids: 8,
    };
    pub const FULL: Limits = Limits {
        max_cells: usize::MAX,
        max_grids: usize::MAX,
    };
}

/// A value as text: integers without `.0`, others in the shortest form that reads back as the
/// same float32.
pub fn number(x: f32) -> String {
    if x.is_nan() {
        "nan".into()
    } else if x.is_infinite() {
        if x > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        }
    } else if x == x.trunc() && x.abs() < 1e16 {
        // -0 prints as 0: the sign of zero is noise to a reader.
        format!("{}", x as f64 + 0.0)
    } else {
        format!("{x}")
    }
}

/// `name: (1, 6, 1)` followed by the grids. `channel_names` label channels (filter names).
pub fn tensor(name: &str, t: &Tensor, channel_names: &[Option<String>], limits: Limits) -> String {
    let mut out = format!("{name}: {}\n", shape_text(&t.shape));
    let rank = t.shape.len();
    let layout = layout(rank, Role::Data);
    let strides = strides(&t.shape);
    let labels: Vec<(crate::ast::LabelAxis, usize)> = layout.label_axes.clone();
    let label_sizes: Vec<usize> = labels.iter().map(|&(_, a)| t.shape[a]).collect();
    let n_grids: usize = label_sizes.iter().product();
    let shown = n_grids.min(limits.max_grids);
    let mut index = vec![0usize; labels.len()];
    for g in 0..n_grids {
        if g < shown {
            let label_text = label(&labels, &index, &t.shape, channel_names);
            let indent = if label_text.is_empty() {
                "    "
            } else {
                let _ = writeln!(out, "  {label_text}:");
                "    "
            };
            let base: usize = labels
                .iter()
                .zip(&index)
                .map(|(&(_, a), &i)| i * strides[a])
                .sum();
            grid(
                &mut out,
                t,
                &layout.grid_axes,
                &strides,
                base,
                indent,
                limits,
            );
        }
        increment(&mut index, &label_sizes);
    }
    if shown < n_grids {
        let _ = writeln!(
            out,
            "  ... {} more grids (use --full to see them all)",
            n_grids - shown
        );
    }
    out
}

fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1usize; shape.len()];
    for a in (0..shape.len().saturating_sub(1)).rev() {
        s[a] = s[a + 1] * shape[a + 1];
    }
    s
}

fn increment(index: &mut [usize], sizes: &[usize]) {
    for a in (0..index.len()).rev() {
        index[a] += 1;
        if index[a] < sizes[a] {
            return;
        }
        index[a] = 0;
    }
}

/// `batch 1, channel 0 (vertical)`; axes of size 1 are left out, as in the language.
fn label(
    labels: &[(crate::ast::LabelAxis, usize)],
    index: &[usize],
    shape: &[usize],
    names: &[Option<String>],
) -> String {
    let mut parts = Vec::new();
    for (&(axis, a), &i) in labels.iter().zip(index) {
        if shape[a] == 1 {
            continue;
        }
        let mut part = format!("{} {i}", axis.keyword());
        if axis == crate::ast::LabelAxis::Channel {
            if let Some(Some(name)) = names.get(i) {
                part = format!("{part} ({name})");
            }
        }
        parts.push(part);
    }
    parts.join(", ")
}

/// The shown indices of an axis of `len`: all, or the first and last halves of `max`.
fn shown(len: usize, max: usize) -> Vec<Option<usize>> {
    if len <= max {
        return (0..len).map(Some).collect();
    }
    let half = (max / 2).max(1);
    let mut v: Vec<Option<usize>> = (0..half).map(Some).collect();
    v.push(None);
    v.extend((len - half..len).map(Some));
    v
}

fn grid(
    out: &mut String,
    t: &Tensor,
    grid_axes: &[usize],
    strides: &[usize],
    base: usize,
    indent: &str,
    limits: Limits,
) {
    let (rows, cols, row_stride, col_stride) = match grid_axes {
        [r, c] => (t.shape[*r], t.shape[*c], strides[*r], strides[*c]),
        [c] => (1, t.shape[*c], 0, strides[*c]),
        _ => (1, 1, 0, 0),
    };
    let row_idx = shown(rows, limits.max_cells);
    let col_idx = shown(cols, limits.max_cells);
    let cells: Vec<Vec<String>> = row_idx
        .iter()
        .map(|r| {
            col_idx
                .iter()
                .map(|c| match (r, c) {
                    (Some(r), Some(c)) => number(t.data[base + r * row_stride + c * col_stride]),
                    (None, _) | (_, None) => "…".to_string(),
                })
                .collect()
        })
        .collect();
    let widths: Vec<usize> = (0..col_idx.len())
        .map(|c| {
            cells
                .iter()
                .map(|row| row[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in &cells {
        let parts: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, &w)| format!("{cell:>w$}"))
            .collect();
        let _ = writeln!(out, "{indent}{}", parts.join(" ").trim_end());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_like_the_tutorial() {
        assert_eq!(number(3.0), "3");
        assert_eq!(number(-0.0), "0");
        assert_eq!(number(0.5), "0.5");
        assert_eq!(number(1.0 / 3.0), "0.33333334");
        assert_eq!(number(f32::NEG_INFINITY), "-inf");
        assert_eq!(number(1e20), "100000000000000000000");
    }

    #[test]
    fn a_1d_map_is_one_row() {
        let t = Tensor {
            shape: vec![1, 6, 1],
            data: vec![0.0, 0.0, 1.0, 1.0, 0.0, 0.0],
        };
        assert_eq!(
            tensor("bump", &t, &[], Limits::DEFAULT),
            "bump: (1, 6, 1)\n    0 0 1 1 0 0\n"
        );
    }

    #[test]
    fn channels_are_labelled_and_aligned() {
        let t = Tensor {
            shape: vec![1, 2, 2, 2],
            data: vec![1.0, 10.0, 2.0, 20.0, 3.0, 30.0, 4.0, -40.0],
        };
        let names = [Some("a".to_string()), None];
        assert_eq!(
            tensor("x", &t, &names, Limits::DEFAULT),
            "x: (1, 2, 2, 2)\n  channel 0 (a):\n    1 2\n    3 4\n  channel 1:\n    10  20\n    30 -40\n"
        );
    }

    #[test]
    fn big_grids_are_elided() {
        let t = Tensor {
            shape: vec![1, 1, 40, 1],
            data: (0..40).map(|x| x as f32).collect(),
        };
        let text = tensor("x", &t, &[], Limits::DEFAULT);
        assert!(text.contains("7 … 32"), "{text}");
    }
}
