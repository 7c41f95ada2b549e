//! Output sizes and padding splits: the one place they are computed.
//!
//! The checker, the interpreter, `convc check`'s summary (and later the JIT and `explain`) all
//! call [`resolve_axis`]; nobody else does this arithmetic. With `k_eff = dilation*(k-1)+1`:
//!
//! - `valid`: no padding, `out = floor((L - k_eff)/s) + 1`;
//! - `same` / `same_lower`: `out = ceil(L/s)`, padding `total = max(0, (out-1)*s + k_eff - L)`,
//!   split `floor(total/2)` before for `same` (Keras, TensorFlow), `ceil(total/2)` before for
//!   `same_lower` (ONNX SAME_LOWER, OpenCV);
//! - `causal` (1-D only): `dilation*(k-1)` before, nothing after, so
//!   `out = floor((L + k_eff - 1 - k_eff)/s) + 1 = ceil(L/s)`;
//! - explicit `(before, after)`: `out = floor((L + before + after - k_eff)/s) + 1`.
//!
//! All arithmetic is checked: sizes come from users.

use std::fmt;

/// How one spatial axis is padded, as the user asked for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AxisPadding {
    Valid,
    Same,
    SameLower,
    Causal,
    Explicit { before: usize, after: usize },
}

impl AxisPadding {
    pub fn name(self) -> &'static str {
        match self {
            AxisPadding::Valid => "valid",
            AxisPadding::Same => "same",
            AxisPadding::SameLower => "same_lower",
            AxisPadding::Causal => "causal",
            AxisPadding::Explicit { .. } => "explicit",
        }
    }
}

/// The resolved geometry of one spatial axis of a sliding-window layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AxisGeometry {
    pub in_len: usize,
    pub kernel: usize,
    pub stride: usize,
    pub dilation: usize,
    pub padding: AxisPadding,
    pub pad_before: usize,
    pub pad_after: usize,
    pub out_len: usize,
}

/// Why an axis has no valid geometry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GeometryError {
    /// A kernel size, stride or dilation of zero.
    ZeroParameter(&'static str),
    /// The numbers do not fit in memory-sized integers.
    Overflow,
    /// The window is larger than the (padded) input: the formula with its numbers.
    EmptyOutput { formula: String },
}

impl fmt::Display for GeometryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GeometryError::ZeroParameter(what) => write!(f, "{what} must be at least 1"),
            GeometryError::Overflow => write!(f, "the sizes are too large to compute with"),
            GeometryError::EmptyOutput { formula } => {
                write!(f, "the output would be empty: {formula}")
            }
        }
    }
}

/// Computes padding and output length of one axis. `in_len` may be zero only if the output is
/// then reported empty.
pub fn resolve_axis(
    in_len: usize,
    kernel: usize,
    stride: usize,
    dilation: usize,
    padding: AxisPadding,
) -> Result<AxisGeometry, GeometryError> {
    if kernel == 0 {
        return Err(GeometryError::ZeroParameter("the kernel size"));
    }
    if stride == 0 {
        return Err(GeometryError::ZeroParameter("the stride"));
    }
    if dilation == 0 {
        return Err(GeometryError::ZeroParameter("the dilation rate"));
    }
    let k_eff = effective_kernel(kernel, dilation).ok_or(GeometryError::Overflow)?;
    let (pad_before, pad_after) = match padding {
        AxisPadding::Valid => (0, 0),
        AxisPadding::Same | AxisPadding::SameLower => {
            let out = in_len.div_ceil(stride);
            // total = max(0, (out-1)*s + k_eff - L)
            let needed = out
                .saturating_sub(1)
                .checked_mul(stride)
                .and_then(|x| x.checked_add(k_eff))
                .ok_or(GeometryError::Overflow)?;
            let total = needed.saturating_sub(in_len);
            if padding == AxisPadding::Same {
                (total / 2, total - total / 2)
            } else {
                (total - total / 2, total / 2)
            }
        }
        AxisPadding::Causal => (k_eff - 1, 0),
        AxisPadding::Explicit { before, after } => (before, after),
    };
    let padded = in_len
        .checked_add(pad_before)
        .and_then(|x| x.checked_add(pad_after))
        .ok_or(GeometryError::Overflow)?;
    let geometry = AxisGeometry {
        in_len,
        kernel,
        stride,
        dilation,
        padding,
        pad_before,
        pad_after,
        out_len: 0,
    };
    if padded < k_eff || in_len == 0 {
        return Err(GeometryError::EmptyOutput {
            formula: geometry.formula_text(None),
        });
    }
    let out_len = (padded - k_eff) / stride + 1;
    Ok(AxisGeometry {
        out_len,
        ..geometry
    })
}

/// `dilation*(kernel-1)+1`, the span of input one window covers.
pub fn effective_kernel(kernel: usize, dilation: usize) -> Option<usize> {
    kernel.checked_sub(1)?.checked_mul(dilation)?.checked_add(1)
}

impl AxisGeometry {
    pub fn effective_kernel(&self) -> usize {
        // Cannot overflow: resolve_axis checked it.
        (self.kernel - 1) * self.dilation + 1
    }

    /// The input index read by output `out` and tap `tap`, before bounds are considered:
    /// negative or `>= in_len` means a padded cell.
    pub fn input_index(&self, out: usize, tap: usize) -> isize {
        (out * self.stride + tap * self.dilation) as isize - self.pad_before as isize
    }

    /// The formula with its numbers, as `convc check` shows it:
    /// `floor((8 + 0 + 0 - 3) / 1) + 1 = 6`.
    pub fn formula(&self) -> String {
        self.formula_text(Some(self.out_len))
    }

    fn formula_text(&self, out: Option<usize>) -> String {
        let k_eff = effective_kernel(self.kernel, self.dilation).unwrap_or(usize::MAX);
        let k_text = if self.dilation == 1 {
            format!("{k_eff}")
        } else {
            format!("{k_eff} [= {}*({}-1)+1]", self.dilation, self.kernel)
        };
        let padded = self.in_len as i128 + self.pad_before as i128 + self.pad_after as i128;
        let result = match out {
            Some(out) => format!("{out}"),
            None => {
                let numerator = padded - k_eff as i128;
                format!(
                    "{}, less than 1",
                    numerator.div_euclid(self.stride as i128) + 1
                )
            }
        };
        format!(
            "floor(({} + {} + {} - {}) / {}) + 1 = {}",
            self.in_len, self.pad_before, self.pad_after, k_text, self.stride, result
        )
    }
}

/// Maps a possibly out-of-range index on an axis of length `len >= 1` to the cell it reads.
///
/// `Reflect` mirrors about the edge cells without repeating them (`d c b | a b c d | c b a`,
/// PyTorch's and NumPy's "reflect"); the checker guarantees `pad < len` as PyTorch does, but
/// taking the index modulo the mirror period `2*(len-1)` also gives the natural answer (repeated
/// reflection) for larger padding. `Circular` wraps for any padding.
pub fn border_index(index: isize, len: usize, mode: crate::ir::PaddingMode) -> Option<usize> {
    if index >= 0 && (index as usize) < len {
        return Some(index as usize);
    }
    let last = len as isize - 1;
    let mapped = match mode {
        crate::ir::PaddingMode::Zeros => return None,
        crate::ir::PaddingMode::Replicate => index.clamp(0, last),
        crate::ir::PaddingMode::Circular => index.rem_euclid(len as isize),
        crate::ir::PaddingMode::Reflect if last == 0 => 0,
        crate::ir::PaddingMode::Reflect => {
            let folded = index.rem_euclid(2 * last);
            if folded > last {
                2 * last - folded
            } else {
                folded
            }
        }
    };
    Some(mapped as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(l: usize, k: usize, s: usize, d: usize, p: AxisPadding) -> (usize, usize, usize) {
        let g = resolve_axis(l, k, s, d, p).unwrap();
        (g.pad_before, g.pad_after, g.out_len)
    }

    #[test]
    fn valid_shrinks_by_kernel_minus_one() {
        assert_eq!(out(8, 3, 1, 1, AxisPadding::Valid), (0, 0, 6));
        assert_eq!(out(8, 3, 2, 1, AxisPadding::Valid), (0, 0, 3));
        assert_eq!(out(7, 3, 2, 1, AxisPadding::Valid), (0, 0, 3));
        assert_eq!(out(8, 3, 1, 2, AxisPadding::Valid), (0, 0, 4));
    }

    #[test]
    fn same_pads_floor_half_before() {
        // total = (8-1)*1 + 3 - 8 = 2 -> 1 + 1.
        assert_eq!(out(8, 3, 1, 1, AxisPadding::Same), (1, 1, 8));
        // k=4: total 3 -> 1 before, 2 after (Keras puts the extra cell after).
        assert_eq!(out(8, 4, 1, 1, AxisPadding::Same), (1, 2, 8));
        // stride 2, L=8, k=3: out 4, total = 3*2+3-8 = 1 -> 0 before, 1 after.
        assert_eq!(out(8, 3, 2, 1, AxisPadding::Same), (0, 1, 4));
        // L=7, s=2, k=3: out 4, total = 3*2+3-7 = 2.
        assert_eq!(out(7, 3, 2, 1, AxisPadding::Same), (1, 1, 4));
        // Stride larger than the kernel can need no padding at all.
        assert_eq!(out(8, 1, 3, 1, AxisPadding::Same), (0, 0, 3));
        // Dilation 2, k=3: k_eff 5, total 4.
        assert_eq!(out(8, 3, 1, 2, AxisPadding::Same), (2, 2, 8));
    }

    #[test]
    fn same_lower_puts_the_extra_cell_before() {
        assert_eq!(out(8, 4, 1, 1, AxisPadding::SameLower), (2, 1, 8));
        assert_eq!(out(8, 3, 1, 1, AxisPadding::SameLower), (1, 1, 8));
    }

    #[test]
    fn causal_pads_only_before() {
        assert_eq!(out(8, 3, 1, 1, AxisPadding::Causal), (2, 0, 8));
        assert_eq!(out(8, 3, 1, 2, AxisPadding::Causal), (4, 0, 8));
        assert_eq!(out(8, 3, 2, 1, AxisPadding::Causal), (2, 0, 4));
    }

    #[test]
    fn explicit_padding() {
        assert_eq!(
            out(
                5,
                3,
                1,
                1,
                AxisPadding::Explicit {
                    before: 2,
                    after: 0
                }
            ),
            (2, 0, 5)
        );
        assert_eq!(
            out(
                5,
                3,
                2,
                1,
                AxisPadding::Explicit {
                    before: 1,
                    after: 1
                }
            ),
            (1, 1, 3)
        );
    }

    #[test]
    fn empty_output_shows_the_formula() {
        let err = resolve_axis(2, 3, 1, 1, AxisPadding::Valid).unwrap_err();
        assert_eq!(
            err,
            GeometryError::EmptyOutput {
                formula: "floor((2 + 0 + 0 - 3) / 1) + 1 = 0, less than 1".into()
            }
        );
        let err = resolve_axis(4, 3, 1, 2, AxisPadding::Valid).unwrap_err();
        assert!(err.to_string().contains("5 [= 2*(3-1)+1]"), "{err}");
    }

    #[test]
    fn zero_and_overflow_are_errors() {
        assert!(matches!(
            resolve_axis(8, 0, 1, 1, AxisPadding::Valid),
            Err(GeometryError::ZeroParameter(_))
        ));
        assert!(matches!(
            resolve_axis(8, 3, 0, 1, AxisPadding::Valid),
            Err(GeometryError::ZeroParameter(_))
        ));
        assert_eq!(
            resolve_axis(8, usize::MAX, 1, 2, AxisPadding::Valid),
            Err(GeometryError::Overflow)
        );
        assert_eq!(
            resolve_axis(
                usize::MAX,
                3,
                1,
                1,
                AxisPadding::Explicit {
                    before: 1,
                    after: 0
                }
            ),
            Err(GeometryError::Overflow)
        );
    }

    #[test]
    fn formula_text() {
        let g = resolve_axis(8, 3, 1, 1, AxisPadding::Valid).unwrap();
        assert_eq!(g.formula(), "floor((8 + 0 + 0 - 3) / 1) + 1 = 6");
        assert_eq!(g.input_index(0, 0), 0);
        let g = resolve_axis(8, 3, 1, 1, AxisPadding::Same).unwrap();
        assert_eq!(g.input_index(0, 0), -1);
    }
}
