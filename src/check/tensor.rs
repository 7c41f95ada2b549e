//! Turning a written tensor (numbers, labelled grids, a built-in filter, a fill) into flat
//! row-major values for a known shape.
//!
//! Labelled grids are the one place where the written order differs from memory order: each
//! grid is a 2-D slice over the last two spatial axes (or the one spatial axis of 1-D data),
//! and its labels pick the indices of every other axis. [`layout`] says, for each kind of
//! tensor, which axes the grid spans and which axis each label word names.

use crate::ast::{Grid, GridValue, LabelAxis, LabelledGrid, Span, Spanned, TensorValue};
use crate::diagnostic::{Code, Diagnostic};
use crate::filters;
use std::collections::HashMap;

/// What a tensor is for; decides how grids are labelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// An input or an expected value: `(batch, spatial..., channels)`.
    Data,
    /// A whole kernel: `(spatial..., in_channels, filters)`.
    Kernel,
    /// One filter: `(spatial..., in_channels)`.
    Filter,
    /// A bias: `(filters,)`.
    Bias,
}

/// Which axes a grid spans, and which axis each label word names.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub grid_axes: Vec<usize>,
    pub label_axes: Vec<(LabelAxis, usize)>,
}

pub fn layout(rank: usize, role: Role) -> Layout {
    // The spatial axes, and the label axes around them.
    let (spatial, mut label_axes): (std::ops::Range<usize>, Vec<(LabelAxis, usize)>) = match role {
        Role::Data if rank >= 3 => (
            1..rank - 1,
            vec![(LabelAxis::Batch, 0), (LabelAxis::Channel, rank - 1)],
        ),
        // (batch, channels): each batch's channels form a row.
        Role::Data if rank == 2 => (1..2, vec![(LabelAxis::Batch, 0)]),
        Role::Data | Role::Bias => (0..rank, vec![]),
        Role::Kernel if rank >= 3 => (
            0..rank - 2,
            vec![
                (LabelAxis::Channel, rank - 2),
                (LabelAxis::Filter, rank - 1),
            ],
        ),
        Role::Filter if rank >= 2 => (0..rank - 1, vec![(LabelAxis::Channel, rank - 1)]),
        Role::Kernel | Role::Filter => (0..rank, vec![]),
    };
    let n_spatial = spatial.len();
    let grid_start = spatial.end - n_spatial.min(2);
    // Spatial axes in front of the grid (the depth of 3-D data) are labelled `depth`.
    if let Some(depth_axis) = (spatial.start..grid_start).last() {
        label_axes.push((LabelAxis::Depth, depth_axis));
    }
    label_axes.sort_by_key(|&(_, axis)| axis);
    Layout {
        grid_axes: (grid_start..spatial.end).collect(),
        label_axes,
    }
}

/// `(1, 8, 1)`.
pub fn shape_text(shape: &[usize]) -> String {
    let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    if parts.len() == 1 {
        format!("({},)", parts[0])
    } else {
        format!("({})", parts.join(", "))
    }
}

/// `3x3x2x1`.
fn product_text(shape: &[usize]) -> String {
    let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    parts.join("x")
}

/// Flattens `value` into `product(shape)` row-major values. `what` names the tensor in
/// messages ("the kernel of `edges`"). `Npy` and `Init` are resolved by the caller.
pub fn assemble(
    value: &Spanned<TensorValue>,
    shape: &[usize],
    role: Role,
    what: &str,
) -> Result<Vec<f64>, Vec<Diagnostic>> {
    let Some(len) = shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d)) else {
        return Err(vec![Diagnostic::error(
            Code::TooLarge,
            value.span,
            format!("{what} has too many elements to hold"),
        )]);
    };
    match &value.value {
        TensorValue::Numbers(grid) => numbers(grid, shape, len, what).map_err(|d| vec![d]),
        TensorValue::Fill(x) => Ok(vec![x.value; len]),
        TensorValue::Builtin(b) => {
            let layout = layout(shape.len(), role);
            let filter = filters::builtin(&b.name.value, &values(&b.args))
                .map_err(|m| vec![builtin_error(b, m)])?;
            let labels_are_unit = layout.label_axes.iter().all(|&(_, axis)| shape[axis] == 1);
            let grid_shape: Vec<usize> = layout.grid_axes.iter().map(|&a| shape[a]).collect();
            if labels_are_unit && grid_shape == [filter.rows, filter.cols] {
                Ok(filter.data)
            } else {
                Err(vec![builtin_mismatch(
                    b.span,
                    &b.name.value,
                    &filter,
                    shape,
                    what,
                )])
            }
        }
        TensorValue::Grids(grids) => place_grids(grids, shape, len, role, what),
        TensorValue::Npy(_) | TensorValue::Init(_) | TensorValue::Image(_) => {
            Err(vec![Diagnostic::error(
                Code::NotFromFile,
                value.span,
                format!("{what} cannot be read from a file or an initializer here"),
            )])
        }
    }
}

/// A built-in filter that could not be made: an unknown name (with a suggestion) or bad
/// arguments for a known one.
pub fn builtin_error(b: &crate::ast::Builtin, message: String) -> Diagnostic {
    let d = Diagnostic::error(
        if filters::NAMES.contains(&b.name.value.as_str()) {
            Code::FilterArguments
        } else {
            Code::UnknownFilter
        },
        b.span,
        message,
    );
    if filters::NAMES.contains(&b.name.value.as_str()) {
        d.with_label("invalid arguments")
    } else {
        d.with_label("not a built-in filter")
            .with_suggestion(&b.name.value, filters::NAMES.iter().copied())
    }
}

fn values(args: &[Spanned<f64>]) -> Vec<f64> {
    args.iter().map(|a| a.value).collect()
}

fn builtin_mismatch(
    span: Span,
    name: &str,
    filter: &filters::Filter2d,
    shape: &[usize],
    what: &str,
) -> Diagnostic {
    Diagnostic::error(
        Code::FilterSize,
        span,
        format!("`{name}` is a {}x{} filter, but {what} has shape {}", filter.rows, filter.cols, shape_text(shape)),
    )
    .with_label(format!("{}x{} filter", filter.rows, filter.cols))
    .with_hint("a built-in filter fills one 2-D grid; for several channels or filters, write one grid per channel, e.g. `{ channel 0: sobel_x  channel 1: sobel_y }`")
}

/// Plain numbers: the rows must be of equal length (they are a visual aid) and the total must
/// match the shape.
fn numbers(grid: &Grid, shape: &[usize], len: usize, what: &str) -> Result<Vec<f64>, Diagnostic> {
    check_rows(grid)?;
    let count = grid.len();
    if count != len {
        return Err(Diagnostic::error(
            Code::DataLength,
            grid.span,
            format!(
                "{what} has {count} values, but shape {} needs {len} ({})",
                shape_text(shape),
                product_text(shape)
            ),
        )
        .with_label(format!("{count} values"))
        .with_hint(format!(
            "write {len} values in row-major order, or change the shape"
        )));
    }
    Ok(grid.values().collect())
}

fn check_rows(grid: &Grid) -> Result<(), Diagnostic> {
    let Some(first) = grid.rows.first() else {
        return Ok(());
    };
    let width = first.value.len();
    for (i, row) in grid.rows.iter().enumerate().skip(1) {
        if row.value.len() != width {
            return Err(Diagnostic::error(
                Code::RowLength,
                row.span,
                format!(
                    "row {} has {} values, but the first row has {width}",
                    i + 1,
                    row.value.len()
                ),
            )
            .with_label(format!("{} values", row.value.len()))
            .with_secondary(first.span, format!("{width} values"))
            .with_hint("all rows of a grid have the same length"));
        }
    }
    Ok(())
}

fn place_grids(
    grids: &[LabelledGrid],
    shape: &[usize],
    len: usize,
    role: Role,
    what: &str,
) -> Result<Vec<f64>, Vec<Diagnostic>> {
    let layout = layout(shape.len(), role);
    let mut strides = vec![1usize; shape.len()];
    for axis in (0..shape.len().saturating_sub(1)).rev() {
        strides[axis] = strides[axis + 1] * shape[axis + 1];
    }
    let grid_shape: Vec<usize> = layout.grid_axes.iter().map(|&a| shape[a]).collect();
    let mut out = vec![0.0; len];
    let mut diags = Vec::new();
    let mut seen: HashMap<Vec<usize>, Span> = HashMap::new();
    for grid in grids {
        let Some(index) = label_index(grid, shape, &layout, what, &mut diags) else {
            continue;
        };
        if let Some(first) = seen.get(&index) {
            diags.push(
                Diagnostic::error(
                    Code::DuplicateGrid,
                    grid.span,
                    format!("this grid of {what} is given twice"),
                )
                .with_secondary(*first, "first given here"),
            );
            continue;
        }
        seen.insert(index.clone(), grid.span);
        let Some(values) = grid_values(&grid.value, &grid_shape, what, &mut diags) else {
            continue;
        };
        let base: usize = layout
            .label_axes
            .iter()
            .zip(&index)
            .map(|(&(_, axis), &i)| i * strides[axis])
            .sum();
        for (k, v) in values.into_iter().enumerate() {
            // k runs over the grid row-major: split it into the grid axes' indices.
            let mut rest = k;
            let mut offset = base;
            for (&axis, &size) in layout.grid_axes.iter().zip(&grid_shape).rev() {
                offset += (rest % size) * strides[axis];
                rest /= size;
            }
            out[offset] = v;
        }
    }
    if diags.is_empty() {
        let expected: usize = layout
            .label_axes
            .iter()
            .map(|&(_, axis)| shape[axis])
            .product();
        if seen.len() < expected {
            let missing = first_missing(&layout, shape, &seen);
            let span = grids
                .first()
                .map_or(Span::default(), |g| g.span)
                .join(grids.last().map_or(Span::default(), |g| g.span));
            diags.push(
                Diagnostic::error(
                    Code::MissingGrid,
                    span,
                    format!(
                        "{what} needs {expected} grids but {} are given; `{missing}` is missing",
                        seen.len()
                    ),
                )
                .with_hint(format!(
                    "shape {} has one grid per {}",
                    shape_text(shape),
                    label_words(&layout)
                )),
            );
        }
    }
    if diags.is_empty() {
        Ok(out)
    } else {
        Err(diags)
    }
}

fn label_words(layout: &Layout) -> String {
    let words: Vec<&str> = layout.label_axes.iter().map(|(a, _)| a.keyword()).collect();
    if words.is_empty() {
        "tensor (it takes plain numbers, not labelled grids)".to_string()
    } else {
        words.join(" and ")
    }
}

/// The index along each label axis that a grid's labels select.
fn label_index(
    grid: &LabelledGrid,
    shape: &[usize],
    layout: &Layout,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<usize>> {
    let mut index: Vec<Option<usize>> = vec![None; layout.label_axes.len()];
    let mut ok = true;
    for label in &grid.labels {
        let Some(pos) = layout
            .label_axes
            .iter()
            .position(|(a, _)| *a == label.axis.value)
        else {
            diags.push(
                Diagnostic::error(
                    Code::LabelNoAxis,
                    label.axis.span,
                    format!("{what} has no `{}` axis", label.axis.value.keyword()),
                )
                .with_hint(format!("its grids are labelled by {}", label_words(layout))),
            );
            ok = false;
            continue;
        };
        let size = shape[layout.label_axes[pos].1];
        if index[pos].is_some() {
            diags.push(Diagnostic::error(
                Code::LabelTwice,
                label.axis.span,
                format!("`{}` is labelled twice", label.axis.value.keyword()),
            ));
            ok = false;
        } else if label.index.value >= size as u64 {
            diags.push(
                Diagnostic::error(
                    Code::LabelRange,
                    label.index.span,
                    format!(
                        "{} {} is out of range: {what} has {size} {}{}",
                        label.axis.value.keyword(),
                        label.index.value,
                        label.axis.value.keyword(),
                        if size == 1 { "" } else { "s" }
                    ),
                )
                .with_hint(format!("use an index from 0 to {}", size.saturating_sub(1))),
            );
            ok = false;
        } else {
            index[pos] = Some(label.index.value as usize);
        }
    }
    let mut out = Vec::with_capacity(index.len());
    for (pos, i) in index.into_iter().enumerate() {
        let (axis_word, axis) = layout.label_axes[pos];
        match i {
            Some(i) => out.push(i),
            // A label for an axis of size 1 may be left out.
            None if shape[axis] == 1 => out.push(0),
            // A label of this axis was given but wrong, and is reported already.
            None if !ok => {}
            None => {
                diags.push(
                    Diagnostic::error(
                        Code::NeedsLabel,
                        grid.span,
                        format!("this grid needs a `{}` label", axis_word.keyword()),
                    )
                    .with_hint(format!(
                        "{what} has a `{}` axis of size {}: write e.g. `{} 0: [...]`",
                        axis_word.keyword(),
                        shape[axis],
                        axis_word.keyword()
                    )),
                );
                ok = false;
            }
        }
    }
    ok.then_some(out)
}

/// The values of one grid, checked against the grid's shape.
fn grid_values(
    value: &GridValue,
    grid_shape: &[usize],
    what: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<f64>> {
    let len: usize = grid_shape.iter().product();
    match value {
        GridValue::Builtin(b) => match filters::builtin(&b.name.value, &values(&b.args)) {
            Ok(f) if grid_shape == [f.rows, f.cols] => Some(f.data),
            Ok(f) => {
                diags.push(
                    Diagnostic::error(
                        Code::FilterSize,
                        b.span,
                        format!(
                            "`{}` is a {}x{} filter, but the grids of {what} are {}",
                            b.name.value,
                            f.rows,
                            f.cols,
                            product_text(grid_shape)
                        ),
                    )
                    .with_label(format!("{}x{} filter", f.rows, f.cols)),
                );
                None
            }
            Err(m) => {
                diags.push(builtin_error(b, m));
                None
            }
        },
        GridValue::Numbers(grid) => {
            if let Err(d) = check_rows(grid) {
                diags.push(d);
                return None;
            }
            // Either rows x cols as written, or every value in one row.
            let rows_ok = match grid_shape {
                [rows, cols] => {
                    (grid.rows.len() == *rows && grid.rows.iter().all(|r| r.value.len() == *cols))
                        || (grid.rows.len() == 1 && grid.len() == len)
                }
                _ => grid.len() == len,
            };
            if rows_ok {
                return Some(grid.values().collect());
            }
            let written = format!(
                "{} row{} of {}",
                grid.rows.len(),
                if grid.rows.len() == 1 { "" } else { "s" },
                grid.rows.first().map_or(0, |r| r.value.len())
            );
            let needed = match grid_shape {
                [rows, cols] => format!("{rows} rows of {cols}"),
                _ => format!("{len} values"),
            };
            diags.push(
                Diagnostic::error(
                    Code::GridSize,
                    grid.span,
                    format!("this grid of {what} has {written}, but it needs {needed}"),
                )
                .with_label(written),
            );
            None
        }
    }
}

fn first_missing(layout: &Layout, shape: &[usize], seen: &HashMap<Vec<usize>, Span>) -> String {
    let sizes: Vec<usize> = layout
        .label_axes
        .iter()
        .map(|&(_, axis)| shape[axis])
        .collect();
    let mut index = vec![0usize; sizes.len()];
    loop {
        if !seen.contains_key(&index) {
            let parts: Vec<String> = layout
                .label_axes
                .iter()
                .zip(&index)
                .filter(|((_, axis), _)| shape[*axis] > 1)
                .map(|((word, _), i)| format!("{} {i}", word.keyword()))
                .collect();
            return parts.join(", ");
        }
        // Odometer increment; the caller knows at least one index is missing.
        let mut pos = sizes.len();
        loop {
            if pos == 0 {
                return String::new();
            }
            pos -= 1;
            index[pos] += 1;
            if index[pos] < sizes[pos] {
                break;
            }
            index[pos] = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::GridLabel;

    fn sp<T>(value: T) -> Spanned<T> {
        Spanned::new(value, Span::default())
    }

    fn grid(rows: &[&[f64]]) -> Grid {
        Grid {
            rows: rows.iter().map(|r| sp(r.to_vec())).collect(),
            span: Span::default(),
        }
    }

    fn labelled(labels: &[(LabelAxis, u64)], rows: &[&[f64]]) -> LabelledGrid {
        LabelledGrid {
            labels: labels
                .iter()
                .map(|&(a, i)| GridLabel {
                    axis: sp(a),
                    index: sp(i),
                })
                .collect(),
            value: GridValue::Numbers(grid(rows)),
            span: Span::default(),
        }
    }

    #[test]
    fn layouts() {
        // 2-D data (b, h, w, c): grid over h, w.
        assert_eq!(
            layout(4, Role::Data),
            Layout {
                grid_axes: vec![1, 2],
                label_axes: vec![(LabelAxis::Batch, 0), (LabelAxis::Channel, 3)]
            }
        );
        // 3-D data (b, d, h, w, c).
        assert_eq!(layout(5, Role::Data).label_axes[1], (LabelAxis::Depth, 1));
        // 1-D data (b, l, c): grid is the row of length l.
        assert_eq!(layout(3, Role::Data).grid_axes, vec![1]);
        // 2-D kernel (kh, kw, cin, f).
        assert_eq!(
            layout(4, Role::Kernel),
            Layout {
                grid_axes: vec![0, 1],
                label_axes: vec![(LabelAxis::Channel, 2), (LabelAxis::Filter, 3)]
            }
        );
        // 3-D filter (kd, kh, kw, cin).
        assert_eq!(
            layout(4, Role::Filter),
            Layout {
                grid_axes: vec![1, 2],
                label_axes: vec![(LabelAxis::Depth, 0), (LabelAxis::Channel, 3)]
            }
        );
    }

    #[test]
    fn channel_grids_interleave_into_channels_last() {
        // Shape (1, 2, 2, 2): channel 0 is 1 2 / 3 4, channel 1 is 5 6 / 7 8.
        let value = sp(TensorValue::Grids(vec![
            labelled(&[(LabelAxis::Channel, 1)], &[&[5.0, 6.0], &[7.0, 8.0]]),
            labelled(&[(LabelAxis::Channel, 0)], &[&[1.0, 2.0], &[3.0, 4.0]]),
        ]));
        let out = assemble(&value, &[1, 2, 2, 2], Role::Data, "the input").unwrap();
        assert_eq!(out, vec![1.0, 5.0, 2.0, 6.0, 3.0, 7.0, 4.0, 8.0]);
    }

    #[test]
    fn missing_and_duplicate_grids_are_reported() {
        let value = sp(TensorValue::Grids(vec![labelled(
            &[(LabelAxis::Channel, 0)],
            &[&[1.0, 2.0]],
        )]));
        let err = assemble(&value, &[1, 2, 2], Role::Data, "the input").unwrap_err();
        assert!(
            err[0].message.contains("`channel 1` is missing"),
            "{:?}",
            err
        );
        let value = sp(TensorValue::Grids(vec![
            labelled(&[(LabelAxis::Channel, 0)], &[&[1.0, 2.0]]),
            labelled(&[(LabelAxis::Channel, 0)], &[&[1.0, 2.0]]),
        ]));
        let err = assemble(&value, &[1, 2, 1], Role::Data, "the input").unwrap_err();
        assert!(err[0].message.contains("given twice"), "{:?}", err);
    }

    #[test]
    fn numbers_must_match_the_shape() {
        let value = sp(TensorValue::Numbers(grid(&[&[0.0, 1.0]])));
        let err = assemble(&value, &[1, 8, 1], Role::Data, "the input").unwrap_err();
        assert_eq!(
            err[0].message,
            "the input has 2 values, but shape (1, 8, 1) needs 8 (1x8x1)"
        );
        let value = sp(TensorValue::Numbers(grid(&[&[0.0, 1.0], &[1.0]])));
        let err = assemble(&value, &[3], Role::Bias, "the bias").unwrap_err();
        assert!(err[0].message.contains("row 2 has 1 values"), "{:?}", err);
    }
}
