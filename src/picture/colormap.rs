//! Colour maps: values to colours, and the value range a picture shows.
//!
//! Signed data uses a diverging map centred on zero over the symmetric range `±max|v|`, so
//! white always means zero and equal magnitudes get equally strong colours on either side.
//! Non-negative data uses a sequential map (viridis) over its own `min..max`, which keeps the
//! contrast of, say, a ReLU output that never gets near zero.

/// Colour for NaN: a mid grey that neither map uses.
pub const NAN_COLOUR: [u8; 3] = [128, 128, 128];

/// ColorBrewer's RdBu, reversed so that negative is blue and positive red, with a pure white
/// centre (zero must read as "nothing here").
const DIVERGING: [[u8; 3]; 9] = [
    [5, 48, 97],
    [33, 102, 172],
    [67, 147, 195],
    [146, 197, 222],
    [255, 255, 255],
    [244, 165, 130],
    [214, 96, 77],
    [178, 24, 43],
    [103, 0, 31],
];

/// Matplotlib's viridis at nine evenly spaced points: perceptually uniform and readable in
/// grey scale and by colour-blind readers.
const SEQUENTIAL: [[u8; 3]; 9] = [
    [68, 1, 84],
    [71, 44, 122],
    [59, 81, 139],
    [44, 113, 142],
    [33, 144, 141],
    [39, 173, 129],
    [92, 200, 99],
    [170, 220, 50],
    [253, 231, 37],
];

/// The smallest and largest finite values of some data.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    pub min: f32,
    pub max: f32,
}

impl Range {
    /// `None` when no value is finite (empty, or all NaN/inf).
    pub fn of(data: &[f32]) -> Option<Range> {
        let mut finite = data.iter().copied().filter(|v| v.is_finite());
        let first = finite.next()?;
        Some(finite.fold(
            Range {
                min: first,
                max: first,
            },
            |r, v| Range {
                min: r.min.min(v),
                max: r.max.max(v),
            },
        ))
    }

    /// The range covering both.
    pub fn union(a: Option<Range>, b: Option<Range>) -> Option<Range> {
        match (a, b) {
            (Some(a), Some(b)) => Some(Range {
                min: a.min.min(b.min),
                max: a.max.max(b.max),
            }),
            (a, None) => a,
            (None, b) => b,
        }
    }
}

/// How values become colours.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scale {
    /// Zero is white; `-limit` darkest blue, `+limit` darkest red.
    Diverging { limit: f32 },
    /// `min` is dark purple, `max` yellow.
    Sequential { min: f32, max: f32 },
}

impl Scale {
    /// Diverging when any value is negative, sequential otherwise.
    pub fn for_range(range: Option<Range>) -> Scale {
        match range {
            Some(r) if r.min < 0.0 => Scale::Diverging {
                limit: r.min.abs().max(r.max.abs()),
            },
            Some(r) => Scale::Sequential {
                min: r.min,
                max: r.max,
            },
            None => Scale::Sequential { min: 0.0, max: 0.0 },
        }
    }

    /// The colour of one value. Infinities take the colour of the nearest end.
    pub fn colour(self, value: f32) -> [u8; 3] {
        if value.is_nan() {
            return NAN_COLOUR;
        }
        match self {
            Scale::Diverging { limit } => {
                let t = if limit > 0.0 { value / limit } else { 0.0 };
                interpolate(&DIVERGING, (t.clamp(-1.0, 1.0) + 1.0) / 2.0)
            }
            Scale::Sequential { min, max } => {
                let t = if max > min {
                    (value - min) / (max - min)
                } else if value > 0.0 {
                    // A constant positive map: bright, so it does not look like an all-zero one.
                    1.0
                } else {
                    0.0
                };
                interpolate(&SEQUENTIAL, t.clamp(0.0, 1.0))
            }
        }
    }

    /// The value at position `t` (0 = left or bottom end, 1 = right or top) of a legend bar.
    pub fn value_at(self, t: f32) -> f32 {
        match self {
            Scale::Diverging { limit } => (2.0 * t - 1.0) * limit,
            Scale::Sequential { min, max } => min + t * (max - min),
        }
    }

    /// The two ends of a legend bar.
    pub fn ends(self) -> (f32, f32) {
        (self.value_at(0.0), self.value_at(1.0))
    }
}

/// Linear interpolation between evenly spaced control colours, `t` in `0..=1`.
fn interpolate(stops: &[[u8; 3]], t: f32) -> [u8; 3] {
    let last = stops.len() - 1;
    let position = t * last as f32;
    let i = (position.floor() as usize).min(last - 1);
    let frac = position - i as f32;
    let mut out = [0u8; 3];
    for (k, channel) in out.iter_mut().enumerate() {
        let a = f32::from(stops[i][k]);
        let b = f32::from(stops[i + 1][k]);
        *channel = (a + (b - a) * frac).round() as u8;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diverging_is_white_at_zero_and_darkest_at_the_ends() {
        let scale = Scale::for_range(Range::of(&[-3.0, 1.0, 2.0]));
        assert_eq!(scale, Scale::Diverging { limit: 3.0 });
        assert_eq!(scale.colour(0.0), [255, 255, 255]);
        assert_eq!(scale.colour(-3.0), DIVERGING[0]);
        assert_eq!(scale.colour(3.0), DIVERGING[8]);
        // Symmetric: +1 and -1 are equally far from white.
        let (plus, minus) = (scale.colour(1.0), scale.colour(-1.0));
        assert!(plus[0] > plus[2], "positive is red: {plus:?}");
        assert!(minus[2] > minus[0], "negative is blue: {minus:?}");
        // Beyond the range (and infinities) clamp to the ends.
        assert_eq!(scale.colour(f32::INFINITY), DIVERGING[8]);
        assert_eq!(scale.colour(f32::NEG_INFINITY), DIVERGING[0]);
    }

    #[test]
    fn sequential_spans_min_to_max() {
        let scale = Scale::for_range(Range::of(&[2.0, 4.0, 6.0]));
        assert_eq!(scale, Scale::Sequential { min: 2.0, max: 6.0 });
        assert_eq!(scale.colour(2.0), SEQUENTIAL[0]);
        assert_eq!(scale.colour(6.0), SEQUENTIAL[8]);
        assert_eq!(scale.colour(4.0), SEQUENTIAL[4]);
        assert_eq!(scale.value_at(0.5), 4.0);
    }

    #[test]
    fn degenerate_ranges_have_colours() {
        // All zero: the dark end; a constant positive map: the bright end.
        let zero = Scale::for_range(Range::of(&[0.0, 0.0]));
        assert_eq!(zero.colour(0.0), SEQUENTIAL[0]);
        let five = Scale::for_range(Range::of(&[5.0]));
        assert_eq!(five.colour(5.0), SEQUENTIAL[8]);
        let none = Scale::for_range(Range::of(&[f32::NAN]));
        assert_eq!(none.colour(f32::NAN), NAN_COLOUR);
    }

    #[test]
    fn range_ignores_non_finite_values() {
        let r = Range::of(&[f32::NAN, -1.0, f32::INFINITY, 2.0]);
        assert_eq!(
            r,
            Some(Range {
                min: -1.0,
                max: 2.0
            })
        );
        assert_eq!(Range::of(&[]), None);
        assert_eq!(
            Range::union(r, Range::of(&[5.0])),
            Some(Range {
                min: -1.0,
                max: 5.0
            })
        );
    }
}
