//! Walking sliding windows over 1, 2 or 3 spatial axes with one piece of code.
//!
//! Convolution and pooling both read, for an output position `o` (one index per spatial axis)
//! and a kernel tap `t`, the input cell at `o*stride + t*dilation - pad_before` on every axis
//! ([`AxisGeometry::input_index`]). [`Counter`] plays the part of the nested `for` loops over
//! output positions and taps, whatever the number of axes, and [`source_cell`] says which input
//! cell one tap reads.

use crate::geometry::{border_index, AxisGeometry};
use crate::ir::PaddingMode;

/// Every multi-index of a shape in row-major order (`[0,0], [0,1], .., [1,0], ..`), exactly the
/// order of nested `for` loops with the first axis outermost. A shape with no axes has one
/// (empty) index; a shape with a zero-length axis has none.
///
/// Not an `Iterator`: [`Counter::advance`] lends out its own index buffer instead of
/// allocating a vector per step.
pub(super) struct Counter {
    shape: Vec<usize>,
    index: Vec<usize>,
    started: bool,
    finished: bool,
}

impl Counter {
    pub(super) fn new(shape: &[usize]) -> Counter {
        Counter {
            shape: shape.to_vec(),
            index: vec![0; shape.len()],
            started: false,
            finished: shape.contains(&0),
        }
    }

    /// The next multi-index, or `None` once all have been visited.
    pub(super) fn advance(&mut self) -> Option<&[usize]> {
        if self.finished {
            return None;
        }
        if !self.started {
            self.started = true;
            return Some(&self.index);
        }
        // Add one to the last axis and carry, like an odometer.
        for axis in (0..self.shape.len()).rev() {
            self.index[axis] += 1;
            if self.index[axis] < self.shape[axis] {
                return Some(&self.index);
            }
            self.index[axis] = 0;
        }
        self.finished = true;
        None
    }
}

/// The position of `index` in a row-major array of `shape`.
pub(super) fn row_major(shape: &[usize], index: &[usize]) -> usize {
    shape
        .iter()
        .zip(index)
        .fold(0, |offset, (&len, &i)| offset * len + i)
}

/// The input cell (row-major over the input's spatial axes) that output position `out` reads at
/// kernel tap `tap`, or `None` if that is a padded cell with nothing to read: a zero for
/// [`PaddingMode::Zeros`], a cell that takes no part for pooling. Other modes map a padded
/// index back to a real cell on each axis independently, which is what PyTorch's `F.pad` does
/// one dimension at a time (so a corner reflects in both directions).
pub(super) fn source_cell(
    axes: &[AxisGeometry],
    out: &[usize],
    tap: &[usize],
    mode: PaddingMode,
) -> Option<usize> {
    let mut cell = 0;
    for ((axis, &o), &t) in axes.iter().zip(out).zip(tap) {
        let index = border_index(axis.input_index(o, t), axis.in_len, mode)?;
        cell = cell * axis.in_len + index;
    }
    Some(cell)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(shape: &[usize]) -> Vec<Vec<usize>> {
        let mut counter = Counter::new(shape);
        let mut seen = Vec::new();
        while let Some(index) = counter.advance() {
            seen.push(index.to_vec());
        }
        seen
    }

    #[test]
    fn counter_visits_in_nested_loop_order() {
        assert_eq!(
            all(&[2, 3]),
            [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]]
        );
        assert_eq!(all(&[]), [Vec::<usize>::new()]);
        assert!(all(&[2, 0, 3]).is_empty());
        assert_eq!(all(&[2, 1, 2]).len(), 4);
    }

    #[test]
    fn row_major_offsets() {
        // (1, 2) in a 3x4 array: 1*4 + 2.
        assert_eq!(row_major(&[3, 4], &[1, 2]), 6);
        // (1, 0, 2) in 2x3x4: (1*3 + 0)*4 + 2.
        assert_eq!(row_major(&[2, 3, 4], &[1, 0, 2]), 14);
        assert_eq!(row_major(&[], &[]), 0);
    }

    #[test]
    fn border_modes_on_a_row_of_four() {
        // Indices -3..=6 around `a b c d` (0..=3).
        let read =
            |mode| -> Vec<Option<usize>> { (-3..=6).map(|i| border_index(i, 4, mode)).collect() };
        let none = None;
        assert_eq!(
            read(PaddingMode::Zeros),
            [
                none,
                none,
                none,
                Some(0),
                Some(1),
                Some(2),
                Some(3),
                none,
                none,
                none
            ]
        );
        // d c b | a b c d | c b a
        assert_eq!(
            read(PaddingMode::Reflect)
                .into_iter()
                .flatten()
                .collect::<Vec<_>>(),
            [3, 2, 1, 0, 1, 2, 3, 2, 1, 0]
        );
        // a a a | a b c d | d d d
        assert_eq!(
            read(PaddingMode::Replicate)
                .into_iter()
                .flatten()
                .collect::<Vec<_>>(),
            [0, 0, 0, 0, 1, 2, 3, 3, 3, 3]
        );
        // b c d | a b c d | a b c
        assert_eq!(
            read(PaddingMode::Circular)
                .into_iter()
                .flatten()
                .collect::<Vec<_>>(),
            [1, 2, 3, 0, 1, 2, 3, 0, 1, 2]
        );
    }

    #[test]
    fn border_modes_beyond_one_length() {
        // Over `a b c` the mirror image repeats every 4 cells; leftwards from index 0 it reads
        // a | b c b a b, so -5..=0 read b a b c b a. Circular wraps for any distance, and an
        // axis of length 1 always reads its one cell.
        let reflect: Vec<usize> = (-5..=0)
            .filter_map(|i| border_index(i, 3, PaddingMode::Reflect))
            .collect();
        assert_eq!(reflect, [1, 0, 1, 2, 1, 0]);
        assert_eq!(border_index(-7, 3, PaddingMode::Circular), Some(2));
        assert_eq!(border_index(9, 1, PaddingMode::Reflect), Some(0));
        assert_eq!(border_index(-9, 1, PaddingMode::Circular), Some(0));
    }
}
