//! Laying out flat row-major numbers as the grids a person would write.
//!
//! A tensor of rank above two is written as labelled 2-D grids (or 1-D rows), one per
//! combination of its other axes (docs/language.md, "Tensors"). Which axes are the grid's and
//! which are labels depends on the tensor's role: an input's grid is its last two spatial axes
//! and its labels are `batch`, `depth` and `channel`; a kernel's labels are `filter`, `channel`
//! and `depth`. Label axes of size 1 are left out, so a one-channel image is just its rows.

use crate::ast::LabelAxis;

/// What a tensor is, which decides how its axes are named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    /// An input or an expected value: `(batch, spatial..., channels)`.
    Data,
    /// A whole kernel with this many spatial axes: `(spatial..., in_channels, filters)`.
    Kernel { spatial: usize },
    /// One filter with this many spatial axes: `(spatial..., in_channels)`.
    Filter { spatial: usize },
    /// A bias, or anything else written as one row.
    Flat,
}

/// Where each axis of a shape goes when written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Layout {
    /// Label axes, outermost first, each with its position in the shape.
    pub labels: Vec<(LabelAxis, usize)>,
    /// The axis that runs down the grid's rows, if the grid has more than one row.
    pub rows: Option<usize>,
    /// The axis that runs along a row.
    pub cols: usize,
}

/// A grid of numbers, with the label that places it (empty when there is a single grid).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct PlacedGrid {
    pub labels: Vec<(LabelAxis, usize)>,
    pub rows: Vec<Vec<f64>>,
}

impl Layout {
    /// The layout of `shape` in `role`, or `None` when the shape fits no layout (then the
    /// numbers are written as one row, which is always valid).
    pub(super) fn new(role: Role, shape: &[usize]) -> Option<Layout> {
        let rank = shape.len();
        let spatial_axes = |first: usize, count: usize| -> Option<(Option<usize>, usize)> {
            match count {
                1 => Some((None, first)),
                2 | 3 => Some((Some(first + count - 2), first + count - 1)),
                _ => None,
            }
        };
        let (mut labels, (rows, cols)) = match role {
            Role::Data if (3..=5).contains(&rank) => {
                let mut labels = vec![(LabelAxis::Batch, 0), (LabelAxis::Channel, rank - 1)];
                if rank == 5 {
                    labels.push((LabelAxis::Depth, 1));
                }
                (labels, spatial_axes(1, rank - 2)?)
            }
            Role::Kernel { spatial } if rank == spatial + 2 => {
                let mut labels = vec![
                    (LabelAxis::Filter, rank - 1),
                    (LabelAxis::Channel, rank - 2),
                ];
                if spatial == 3 {
                    labels.push((LabelAxis::Depth, 0));
                }
                (labels, spatial_axes(0, spatial)?)
            }
            Role::Filter { spatial } if rank == spatial + 1 => {
                let mut labels = vec![(LabelAxis::Channel, rank - 1)];
                if spatial == 3 {
                    labels.push((LabelAxis::Depth, 0));
                }
                (labels, spatial_axes(0, spatial)?)
            }
            // A matrix, such as a global pooling's `(batch, channels)`: rows as they are.
            _ if rank == 2 => (Vec::new(), (Some(0), 1)),
            _ if rank == 1 => (Vec::new(), (None, 0)),
            _ => return None,
        };
        labels.retain(|&(_, axis)| shape.get(axis).is_some_and(|&n| n > 1));
        Some(Layout { labels, rows, cols })
    }

    /// Splits row-major `data` of `shape` into grids, in label order. `None` if `data` does not
    /// have `shape`'s number of values or an axis has no place in the layout.
    pub(super) fn split(&self, shape: &[usize], data: &[f64]) -> Option<Vec<PlacedGrid>> {
        let total = shape
            .iter()
            .try_fold(1usize, |acc, &n| acc.checked_mul(n))?;
        if total != data.len() || total == 0 {
            return None;
        }
        // Every axis must be a label, the rows or the columns; a size-1 axis may be none.
        let placed = |axis: usize| {
            self.labels.iter().any(|&(_, a)| a == axis)
                || self.rows == Some(axis)
                || self.cols == axis
        };
        if !(0..shape.len()).all(|axis| placed(axis) || shape[axis] == 1) {
            return None;
        }
        let mut strides = vec![1usize; shape.len()];
        for axis in (0..shape.len().saturating_sub(1)).rev() {
            strides[axis] = strides[axis + 1] * shape[axis + 1];
        }
        let n_rows = self.rows.map_or(1, |axis| shape[axis]);
        let n_cols = *shape.get(self.cols)?;
        let mut grids = Vec::new();
        let mut index = vec![0usize; self.labels.len()];
        loop {
            let base: usize = self
                .labels
                .iter()
                .zip(&index)
                .map(|(&(_, a), &i)| i * strides[a])
                .sum();
            let rows = (0..n_rows)
                .map(|r| {
                    let row_base = base + self.rows.map_or(0, |axis| r * strides[axis]);
                    (0..n_cols)
                        .map(|c| data[row_base + c * strides[self.cols]])
                        .collect()
                })
                .collect();
            let labels = self
                .labels
                .iter()
                .zip(&index)
                .map(|(&(axis, _), &i)| (axis, i));
            grids.push(PlacedGrid {
                labels: labels.collect(),
                rows,
            });
            // Advance the label indices like an odometer, the last label fastest.
            let mut position = self.labels.len();
            loop {
                if position == 0 {
                    return Some(grids);
                }
                position -= 1;
                index[position] += 1;
                if index[position] < shape[self.labels[position].1] {
                    break;
                }
                index[position] = 0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(grid: &PlacedGrid) -> Vec<(&'static str, usize)> {
        grid.labels.iter().map(|&(a, i)| (a.keyword(), i)).collect()
    }

    #[test]
    fn a_one_channel_image_is_its_rows() {
        let layout = Layout::new(Role::Data, &[1, 2, 3, 1]).expect("layout");
        let grids = layout
            .split(&[1, 2, 3, 1], &[1., 2., 3., 4., 5., 6.])
            .expect("grids");
        assert_eq!(grids.len(), 1);
        assert!(grids[0].labels.is_empty());
        assert_eq!(grids[0].rows, vec![vec![1., 2., 3.], vec![4., 5., 6.]]);
    }

    #[test]
    fn channels_last_data_is_split_by_channel() {
        // Shape (1, 2, 2, 2): pixel (r, c) holds channels [a, b] next to each other.
        let shape = [1, 2, 2, 2];
        let data = [1., 10., 2., 20., 3., 30., 4., 40.];
        let grids = Layout::new(Role::Data, &shape).and_then(|l| l.split(&shape, &data));
        let grids = grids.expect("grids");
        assert_eq!(labels(&grids[0]), vec![("channel", 0)]);
        assert_eq!(grids[0].rows, vec![vec![1., 2.], vec![3., 4.]]);
        assert_eq!(labels(&grids[1]), vec![("channel", 1)]);
        assert_eq!(grids[1].rows, vec![vec![10., 20.], vec![30., 40.]]);
    }

    #[test]
    fn kernels_are_labelled_by_filter_then_channel() {
        // A 1-D kernel (k=2, in=2, filters=2): value = 100*k + 10*channel + filter.
        let shape = [2, 2, 2];
        let data = [0., 1., 10., 11., 100., 101., 110., 111.];
        let layout = Layout::new(Role::Kernel { spatial: 1 }, &shape).expect("layout");
        let grids = layout.split(&shape, &data).expect("grids");
        let written: Vec<_> = grids.iter().map(|g| (labels(g), g.rows.clone())).collect();
        assert_eq!(
            written,
            vec![
                (vec![("filter", 0), ("channel", 0)], vec![vec![0., 100.]]),
                (vec![("filter", 0), ("channel", 1)], vec![vec![10., 110.]]),
                (vec![("filter", 1), ("channel", 0)], vec![vec![1., 101.]]),
                (vec![("filter", 1), ("channel", 1)], vec![vec![11., 111.]]),
            ]
        );
    }

    #[test]
    fn volumes_are_labelled_by_depth() {
        let shape = [1, 2, 1, 2, 1];
        let grids =
            Layout::new(Role::Data, &shape).and_then(|l| l.split(&shape, &[1., 2., 3., 4.]));
        let grids = grids.expect("grids");
        assert_eq!(labels(&grids[1]), vec![("depth", 1)]);
        assert_eq!(grids[1].rows, vec![vec![3., 4.]]);
    }

    #[test]
    fn mismatched_data_has_no_layout() {
        let layout = Layout::new(Role::Data, &[1, 2, 1]).expect("layout");
        assert!(layout.split(&[1, 2, 1], &[1., 2., 3.]).is_none());
        assert!(Layout::new(Role::Data, &[1, 2, 2, 2, 2, 2]).is_none());
        assert!(Layout::new(Role::Kernel { spatial: 2 }, &[3, 3, 1]).is_none());
    }
}
