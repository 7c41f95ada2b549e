//! Lowering: each `ir::Layer` becomes a [`LoopNest`], the schedule as data.
//!
//! The passes, in order: [`segments`] splits every spatial axis into a check-free interior
//! (one runtime loop) and border positions (each with its taps resolved at compile time);
//! [`merged_borders`] finds border positions that read the same taps shifted, which dense
//! convolutions run as one loop; [`choose_blocking`] picks the register blocking (pixels x channel vectors) and the filter
//! blocks of each group. Code generation (`emit`) reads only this description and the layer's
//! constants; `convc emit --loops` can print it.

use super::{FoldWeights, JitError};
use crate::geometry::AxisGeometry;
use crate::ir::{Conv, PaddingMode};

/// Border positions per axis beyond which a layer is refused: each one is emitted as code of
/// its own, so a window much larger than its input would make the code grow with the data.
const MAX_BORDER_POSITIONS: usize = 512;

/// One stretch of output positions along an axis that the generated code treats alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// Positions `start..start + len` whose taps all read real cells: a runtime loop, and tap
    /// `t` of position `o` reads input index `o*stride + t*dilation - pad_before`.
    Interior { start: usize, len: usize },
    /// One position near a border: `sources[t]` is the input index tap `t` reads, or `None`
    /// where it reads padding (a zero for convolutions, absent for pooling).
    Border {
        pos: usize,
        sources: Vec<Option<usize>>,
    },
}

/// Splits an axis into border positions and the interior. `mode` is what padded cells read
/// (`Zeros` for pooling, where they are simply left out).
pub fn segments(axis: &AxisGeometry, mode: PaddingMode) -> Result<Vec<Segment>, JitError> {
    let (lo, hi) = interior_range(axis);
    let border = axis.out_len - (hi - lo);
    if border > MAX_BORDER_POSITIONS {
        return Err(JitError::Unsupported(format!(
            "an axis of length {} with a window of {} has {border} border positions \
             (the JIT handles up to {MAX_BORDER_POSITIONS})",
            axis.in_len,
            axis.effective_kernel()
        )));
    }
    let border_at = |pos: usize| Segment::Border {
        pos,
        sources: (0..axis.kernel)
            .map(|t| crate::geometry::border_index(axis.input_index(pos, t), axis.in_len, mode))
            .collect(),
    };
    let mut out: Vec<Segment> = (0..lo).map(border_at).collect();
    if hi > lo {
        out.push(Segment::Interior {
            start: lo,
            len: hi - lo,
        });
    }
    out.extend((hi.max(lo)..axis.out_len).map(border_at));
    Ok(out)
}

/// Border positions of one axis that read the same taps shifted: `count` positions from
/// `pos` on, `pos_step` apart, whose first real tap moves by `tap_step` and the cell it reads
/// by `cell_step` from one to the next. The JIT emits them as one loop with a constant trip count (for kernels that can shift
/// their weights at run time: dense and grouped convolutions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MergedBorder {
    pub pos: usize,
    pub count: usize,
    pub pos_step: i64,
    pub tap_step: i64,
    pub cell_step: i64,
}

/// The border positions of `segments` that can share code, grouped (see [`MergedBorder`]):
/// positions whose taps, without leading and trailing padding, read the same cells relative
/// to the first, with positions, first taps and first cells evenly spaced.
pub fn merged_borders(segments: &[Segment]) -> Vec<MergedBorder> {
    // Per pattern (cells relative to the first real one), its positions as
    // `(position, first real tap, its cell)`.
    type Members = Vec<(usize, usize, usize)>;
    let mut keyed: Vec<(Vec<Option<i64>>, Members)> = Vec::new();
    for segment in segments {
        let Segment::Border { pos, sources } = segment else {
            continue;
        };
        let Some(first) = sources.iter().position(Option::is_some) else {
            continue;
        };
        let last = sources.iter().rposition(Option::is_some).unwrap_or(first);
        let cell = sources[first].unwrap_or(0);
        let pattern: Vec<Option<i64>> = sources[first..=last]
            .iter()
            .map(|s| s.map(|s| s as i64 - cell as i64))
            .collect();
        match keyed.iter_mut().find(|(p, _)| *p == pattern) {
            Some((_, members)) => members.push((*pos, first, cell)),
            None => keyed.push((pattern, vec![(*pos, first, cell)])),
        }
    }
    let mut out = Vec::new();
    for (_, members) in keyed {
        if members.len() < 2 {
            continue;
        }
        let step = |i: usize| {
            (
                members[i].0 as i64 - members[i - 1].0 as i64,
                members[i].1 as i64 - members[i - 1].1 as i64,
                members[i].2 as i64 - members[i - 1].2 as i64,
            )
        };
        let first_step = step(1);
        if (2..members.len()).all(|i| step(i) == first_step) {
            out.push(MergedBorder {
                pos: members[0].0,
                count: members.len(),
                pos_step: first_step.0,
                tap_step: first_step.1,
                cell_step: first_step.2,
            });
        }
    }
    out
}

/// The output positions `lo..hi` whose every tap lands inside the input (empty if `hi <= lo`).
fn interior_range(axis: &AxisGeometry) -> (usize, usize) {
    let lo = axis.pad_before.div_ceil(axis.stride).min(axis.out_len);
    // Last tap of position o: o*s + k_eff - 1 - pad_before <= in_len - 1.
    let limit = axis.in_len + axis.pad_before;
    let k_eff = axis.effective_kernel();
    if limit < k_eff {
        return (lo, lo);
    }
    let hi = ((limit - k_eff) / axis.stride + 1).min(axis.out_len);
    (lo, hi.max(lo))
}

/// A run of `count` equal filter blocks within a group: each computes `vectors` vectors of
/// `lanes` output channels (`lanes` is 4 for f32x4, 1 for scalar tails).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockRun {
    pub count: usize,
    pub lanes: usize,
    pub vectors: usize,
}

impl BlockRun {
    pub fn width(&self) -> usize {
        self.lanes * self.vectors
    }
}

/// How a convolution's inner kernel is shaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConvFamily {
    /// Dense and grouped: one input value broadcast against a vector of weights for several
    /// output channels of its group (`filters_per_group` channels side by side).
    Broadcast,
    /// One input channel per output channel (depthwise with multiplier 1): vectors run across
    /// channels, each lane with its own input channel and weight.
    Channelwise,
    /// One input and one output channel with stride 1 along the innermost axis (a single
    /// filter over a grey image or a signal): vectors run across neighbouring output pixels,
    /// whose windows are neighbouring input cells, and the weights stay in registers.
    PixelVector,
}

/// The schedule of a sliding-window layer.
#[derive(Debug, Clone, PartialEq)]
pub struct LoopNest {
    pub batch: usize,
    pub in_spatial: Vec<usize>,
    pub out_spatial: Vec<usize>,
    pub in_channels: usize,
    pub out_channels: usize,
    /// Per spatial axis, outermost first.
    pub segments: Vec<Vec<Segment>>,
    /// Output pixels computed together along the innermost axis (register blocking).
    pub pixels: usize,
    /// For convolutions: the kernel shape and the filter blocks of one group.
    pub family: ConvFamily,
    pub runs: Vec<BlockRun>,
    /// Weights compiled in as constants (see [`should_fold`]).
    pub folded: bool,
}

/// Weights per layer up to which folding is possible: each becomes code (per block of
/// pixels), so a big filter would make big code.
const MAX_FOLDED_WEIGHTS: usize = 50;

/// Whether to compile the weights in as constants. Only the pixel-vector kernel folds (the
/// small hand-crafted filters are single-channel).
pub fn should_fold(conv: &Conv, family: ConvFamily, fold: FoldWeights) -> bool {
    let foldable = family == ConvFamily::PixelVector && conv.kernel.len() <= MAX_FOLDED_WEIGHTS;
    match fold {
        FoldWeights::Never => false,
        FoldWeights::Always => foldable,
        // Measured (one thread, 2048x2048 valid): folding never lost where it applies:
        // vertical_line 2.70 vs 2.75 ms (memory-bound), sobel_x + sobel_y 3.79 vs 5.30 ms
        // (zero taps vanish, the loaded vector serves both filters without weight loads).
        FoldWeights::Auto => foldable,
    }
}

/// Lowers a convolution to its loop nest.
pub fn lower_conv(conv: &Conv, batch: usize, fold: FoldWeights) -> Result<LoopNest, JitError> {
    let segments = conv
        .axes
        .iter()
        .map(|a| segments(a, conv.padding_mode))
        .collect::<Result<Vec<_>, _>>()?;
    let channelwise = conv.channels_per_group() == 1 && conv.filters_per_group() == 1;
    let innermost_stride = conv.axes.last().map_or(1, |a| a.stride);
    // One or two filters: two interleave cheaply into the `[pixel][filter]` output.
    let family = if conv.in_channels == 1 && conv.filters <= 2 && innermost_stride == 1 {
        ConvFamily::PixelVector
    } else if channelwise {
        ConvFamily::Channelwise
    } else {
        ConvFamily::Broadcast
    };
    let (pixels, runs) = choose_blocking(family, conv.filters_per_group(), conv.filters);
    Ok(LoopNest {
        batch,
        in_spatial: conv.axes.iter().map(|a| a.in_len).collect(),
        out_spatial: conv.axes.iter().map(|a| a.out_len).collect(),
        in_channels: conv.in_channels,
        out_channels: conv.filters,
        segments,
        pixels,
        family,
        runs,
        folded: should_fold(conv, family, fold),
    })
}

/// The runs for the last `rest` channels of a filter block: one f32x4 run of
/// `rest / 4` vectors, then scalars for what is left.
pub fn push_tail_runs(runs: &mut Vec<BlockRun>, rest: usize) {
    if rest >= 4 {
        runs.push(BlockRun {
            count: 1,
            lanes: 4,
            vectors: rest / 4,
        });
    }
    if !rest.is_multiple_of(4) {
        runs.push(BlockRun {
            count: 1,
            lanes: 1,
            vectors: rest % 4,
        });
    }
}

/// Register blocking. x64 Cranelift allocates 16 vector registers: `pixels * vectors`
/// accumulators plus `vectors` weight vectors, one broadcast and one temporary must fit, so
/// about 10 accumulators at most (measured: 5 pixels x 2 vectors is best for wide layers).
pub fn choose_blocking(
    family: ConvFamily,
    filters_per_group: usize,
    filters: usize,
) -> (usize, Vec<BlockRun>) {
    match family {
        ConvFamily::Broadcast => {
            // 5 pixels x 2 vectors measured best on 56x56x64->64 (also tried 4x2, 3x3, 8x1,
            // 6x1, 2x4, 3x2: 5-25% slower).
            let (pp, qq) = (5, 2);
            let mut runs = Vec::new();
            let full = filters_per_group / (4 * qq);
            let rest = filters_per_group % (4 * qq);
            if full > 0 {
                runs.push(BlockRun {
                    count: full,
                    lanes: 4,
                    vectors: qq,
                });
            }
            push_tail_runs(&mut runs, rest);
            let pixels = if full > 0 { pp } else { 8 };
            (pixels, runs)
        }
        // Four vectors of four pixels: with up to 9 weights held in registers that leaves
        // room for the accumulators and one loaded vector.
        ConvFamily::PixelVector => (16, Vec::new()),
        ConvFamily::Channelwise => {
            // Runs cover all channels (one group each); weights are per lane.
            let mut runs = Vec::new();
            if filters / 8 > 0 {
                runs.push(BlockRun {
                    count: filters / 8,
                    lanes: 4,
                    vectors: 2,
                });
            }
            if filters % 8 >= 4 {
                runs.push(BlockRun {
                    count: 1,
                    lanes: 4,
                    vectors: 1,
                });
            }
            if !filters.is_multiple_of(4) {
                runs.push(BlockRun {
                    count: 1,
                    lanes: 1,
                    vectors: filters % 4,
                });
            }
            (4, runs)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::{resolve_axis, AxisPadding};

    fn shape(segs: &[Segment]) -> Vec<(usize, usize)> {
        segs.iter()
            .map(|s| match s {
                Segment::Interior { start, len } => (*start, *len),
                Segment::Border { pos, .. } => (*pos, 0),
            })
            .collect()
    }

    #[test]
    fn same_3x3_has_one_border_each_side() {
        let a = resolve_axis(8, 3, 1, 1, AxisPadding::Same).unwrap();
        let s = segments(&a, PaddingMode::Zeros).unwrap();
        assert_eq!(shape(&s), [(0, 0), (1, 6), (7, 0)]);
        assert_eq!(
            s[0],
            Segment::Border {
                pos: 0,
                sources: vec![None, Some(0), Some(1)]
            }
        );
        let s = segments(&a, PaddingMode::Reflect).unwrap();
        assert_eq!(
            s[2],
            Segment::Border {
                pos: 7,
                sources: vec![Some(6), Some(7), Some(6)]
            }
        );
    }

    #[test]
    fn valid_is_all_interior_and_tiny_inputs_all_border() {
        let a = resolve_axis(8, 3, 2, 1, AxisPadding::Valid).unwrap();
        assert_eq!(shape(&segments(&a, PaddingMode::Zeros).unwrap()), [(0, 3)]);
        // Length 2, kernel 5, same: no position sees the whole window.
        let a = resolve_axis(2, 5, 1, 1, AxisPadding::Same).unwrap();
        assert_eq!(
            shape(&segments(&a, PaddingMode::Zeros).unwrap()),
            [(0, 0), (1, 0)]
        );
    }

    #[test]
    fn mirrored_borders_merge_into_one_loop() {
        // 3x3 same on 8: position 0 reads [pad 0 1], position 7 reads [6 7 pad].
        let a = resolve_axis(8, 3, 1, 1, AxisPadding::Same).unwrap();
        let m = merged_borders(&segments(&a, PaddingMode::Zeros).unwrap());
        assert_eq!(
            m,
            [MergedBorder {
                pos: 0,
                count: 2,
                pos_step: 7,
                tap_step: -1,
                cell_step: 6
            }]
        );
        // 7 taps, stride 2 on 224: 2 pads before and 3 after, so the three border
        // positions read 5, 6 and 4 cells: nothing to merge.
        let a = resolve_axis(224, 7, 2, 1, AxisPadding::Same).unwrap();
        assert_eq!(
            merged_borders(&segments(&a, PaddingMode::Zeros).unwrap()),
            []
        );
        // Reflect redirects taps: [1 0 1] and [6 7 6] are not shifted copies.
        let a = resolve_axis(8, 3, 1, 1, AxisPadding::Same).unwrap();
        assert_eq!(
            merged_borders(&segments(&a, PaddingMode::Reflect).unwrap()),
            []
        );
    }

    #[test]
    fn strided_same_with_padding_after_only() {
        // L=8, s=2, k=3: pads 0 before, 1 after; out 4; the last position reads index 8.
        let a = resolve_axis(8, 3, 2, 1, AxisPadding::Same).unwrap();
        let s = segments(&a, PaddingMode::Circular).unwrap();
        assert_eq!(shape(&s), [(0, 3), (3, 0)]);
        assert_eq!(
            s[1],
            Segment::Border {
                pos: 3,
                sources: vec![Some(6), Some(7), Some(0)]
            }
        );
    }
}
