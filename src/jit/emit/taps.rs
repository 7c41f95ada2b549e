//! The taps of one register block, regrouped so that kernel axes can become loops.
//!
//! The walk hands a kernel each pixel's taps as a flat list. Along one kernel axis, the taps
//! of neighbouring kernel indices often differ only by a shift: the same pattern of taps one
//! input row further on (and one weight slice further on). [`runs`] finds such stretches, so
//! that the kernel can emit them as one loop with a constant trip count and constant pointer
//! steps instead of unrolling every tap. Border pieces use this to stay small: a 7x7 window
//! unrolled in every border piece would multiply the code (and Cranelift's compile time,
//! which is linear in instructions) by the number of pieces.

use super::walk::Pixel;

/// One tap of a block: its flat kernel index and, per pixel of the block, the input offset
/// (floats from the block's input pointer) it reads, or `None` where that pixel does not read
/// it (padding).
#[derive(Debug, Clone, PartialEq)]
pub struct Tap {
    pub flat: usize,
    pub offsets: Vec<Option<i64>>,
}

/// Every tap any pixel of the block reads, in ascending flat order.
pub fn block_taps(pixels: &[Pixel]) -> Vec<Tap> {
    let mut flats: Vec<usize> = pixels
        .iter()
        .flat_map(|p| p.taps.iter().map(|&(t, _)| t))
        .collect();
    flats.sort_unstable();
    flats.dedup();
    flats
        .into_iter()
        .map(|flat| Tap {
            flat,
            offsets: pixels
                .iter()
                .map(|p| p.taps.iter().find(|(t, _)| *t == flat).map(|&(_, o)| o))
                .collect(),
        })
        .collect()
}

/// `count` consecutive indices along one kernel axis whose taps are `taps` (those of the
/// first index) shifted: iteration `i` reads flat indices `+ i * flat_step` at input offsets
/// `+ i * offset_step`.
#[derive(Debug, Clone, PartialEq)]
pub struct TapRun {
    pub taps: Vec<Tap>,
    pub count: usize,
    pub offset_step: i64,
    pub flat_step: usize,
}

/// The taps of one kernel index relative to its own first read cell: `(flat - index *
/// flat_step, offsets - base)`, and `base`.
fn relative(taps: &[Tap], index: usize, flat_step: usize) -> (Vec<Tap>, i64) {
    let base = taps
        .iter()
        .flat_map(|t| t.offsets.iter().flatten())
        .next()
        .copied()
        .unwrap_or(0);
    let rel = taps
        .iter()
        .map(|t| Tap {
            flat: t.flat - index * flat_step,
            offsets: t.offsets.iter().map(|o| o.map(|o| o - base)).collect(),
        })
        .collect();
    (rel, base)
}

/// Splits `taps` (ascending, all with the same indices on the axes outside this one) by
/// their index along the kernel axis whose indices are `flat_step` flat indices apart and
/// which has `len` taps, into maximal runs of shifted copies (a run of one where nothing
/// repeats: a border mode that redirects taps, or a lone tap).
pub fn runs(taps: &[Tap], flat_step: usize, len: usize) -> Vec<TapRun> {
    let index = |t: &Tap| (t.flat / flat_step) % len;
    // Groups of equal index, in order (the flat order makes them contiguous).
    let mut groups: Vec<(usize, &[Tap])> = Vec::new();
    let mut start = 0;
    for i in 1..=taps.len() {
        if i == taps.len() || index(&taps[i]) != index(&taps[start]) {
            groups.push((index(&taps[start]), &taps[start..i]));
            start = i;
        }
    }
    let mut out: Vec<TapRun> = Vec::new();
    // The previous group: its relative pattern, base and index.
    let mut previous: Option<(Vec<Tap>, i64, usize)> = None;
    for (idx, group) in groups {
        let (rel, base) = relative(group, idx, flat_step);
        if let (Some(run), Some((pattern, previous_base, previous_idx))) =
            (out.last_mut(), &previous)
        {
            let step = base - previous_base;
            if idx == previous_idx + 1
                && rel == *pattern
                && (run.count == 1 || step == run.offset_step)
            {
                run.offset_step = step;
                run.count += 1;
                previous = Some((rel, base, idx));
                continue;
            }
        }
        out.push(TapRun {
            taps: group.to_vec(),
            count: 1,
            offset_step: 0,
            flat_step,
        });
        previous = Some((rel, base, idx));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tap(flat: usize, offsets: &[i64]) -> Tap {
        Tap {
            flat,
            offsets: offsets.iter().map(|&o| Some(o)).collect(),
        }
    }

    #[test]
    fn rows_of_a_window_become_one_run() {
        // 3x3 window, 2 pixels 1 float apart, rows 100 floats apart, first row padded away.
        let taps: Vec<Tap> = (3..9)
            .map(|f| {
                let o = (f / 3 - 1) as i64 * 100 + (f % 3) as i64;
                tap(f, &[o, o + 1])
            })
            .collect();
        let r = runs(&taps, 3, 3);
        assert_eq!(r.len(), 1);
        assert_eq!((r[0].count, r[0].offset_step, r[0].flat_step), (2, 100, 3));
        assert_eq!(r[0].taps, taps[..3].to_vec());
        // Within a row, the columns are a run too.
        let cols = runs(&r[0].taps, 1, 3);
        assert_eq!((cols.len(), cols[0].count, cols[0].offset_step), (1, 3, 1));
    }

    #[test]
    fn redirected_taps_break_runs() {
        // Reflect at position 0 of a 3-tap axis: taps read cells 1, 0, 1.
        let taps = vec![tap(0, &[1]), tap(1, &[0]), tap(2, &[1])];
        let r = runs(&taps, 1, 3);
        assert_eq!(r.iter().map(|r| r.count).collect::<Vec<_>>(), [2, 1]);
        assert_eq!(r[0].offset_step, -1);
        // Unequal steps: cells 0, 1, 3.
        let taps = vec![tap(0, &[0]), tap(1, &[1]), tap(2, &[3])];
        assert_eq!(
            runs(&taps, 1, 3)
                .iter()
                .map(|r| r.count)
                .collect::<Vec<_>>(),
            [2, 1]
        );
    }

    #[test]
    fn block_taps_mark_what_each_pixel_reads() {
        let pixels = [
            Pixel {
                out_offset: 0,
                taps: vec![(1, 10), (2, 11)],
            },
            Pixel {
                out_offset: 1,
                taps: vec![(0, 9), (1, 10)],
            },
        ];
        assert_eq!(
            block_taps(&pixels),
            [
                Tap {
                    flat: 0,
                    offsets: vec![None, Some(9)]
                },
                Tap {
                    flat: 1,
                    offsets: vec![Some(10), Some(10)]
                },
                Tap {
                    flat: 2,
                    offsets: vec![Some(11), None]
                },
            ]
        );
    }
}
