//! One map as a picture: a heat map (2-D, and a single value), a strip of depth slices (3-D),
//! or a line plot (1-D). Small maps are enlarged with nearest-neighbour cells so each value is
//! a visible square, and cells big enough to hold their value print it.

use super::canvas::{self, blank, text, CHAR};
use super::colormap::{Range, Scale};
use super::maps::Map;
use image::RgbImage;

/// Small maps are enlarged until their longer side is at least this many pixels.
pub const TARGET: u32 = 128;

/// Space between the depth slices of a 3-D map, and above them for their labels.
const GAP: u32 = 6;
const SLICE_LABEL: u32 = CHAR + 4;

/// Draws `map` with the colours (or, for a plot, the vertical axis) of `range`: the map's own
/// range for a picture of its own, the whole layer's on a contact sheet.
pub fn map(map: &Map, range: Option<Range>) -> RgbImage {
    match map.dims.as_slice() {
        [] => heat(&map.data, 1, 1, Scale::for_range(range)),
        [len] => line_plot(&map.data, *len, range),
        [rows, cols] => heat(&map.data, *rows, *cols, Scale::for_range(range)),
        [depth, rows, cols, ..] => strip(map, *depth, *rows, *cols, Scale::for_range(range)),
    }
}

/// A value in at most about four significant digits, for captions, legends and file names.
pub fn short(x: f32) -> String {
    if !x.is_finite() || (x == x.trunc() && x.abs() < 1e6) {
        return crate::render::text::number(x);
    }
    let magnitude = x.abs();
    if (1e-3..1e6).contains(&magnitude) {
        let decimals = (3 - magnitude.log10().floor() as i32).clamp(0, 6) as usize;
        let fixed = format!("{x:.decimals$}");
        let trimmed = fixed.trim_end_matches('0').trim_end_matches('.');
        trimmed.to_string()
    } else {
        format!("{x:.2e}")
    }
}

/// The size of one cell when a `rows` x `cols` grid is enlarged to about `TARGET` pixels.
fn cell_size(rows: usize, cols: usize) -> u32 {
    let longest = rows.max(cols).max(1);
    (TARGET as usize).div_ceil(longest).max(1) as u32
}

/// A picture of a map never has more cells than this (4096 x 4096, 48 MiB of RGB): bigger maps
/// are drawn from every `step`-th row and column, so `--png` cannot exhaust memory.
const MAX_CELLS: usize = 1 << 24;

/// The smallest `step` that brings `count` maps of `rows` x `cols` under `MAX_CELLS`.
fn sampling_step(count: usize, rows: usize, cols: usize) -> usize {
    let mut step = 1;
    // Sampling cannot go below one cell per map; `strip` bounds `count` for that.
    while step < rows.max(cols)
        && count
            .saturating_mul(rows.div_ceil(step))
            .saturating_mul(cols.div_ceil(step))
            > MAX_CELLS
    {
        step += 1;
    }
    step
}

/// Every `step`-th row and column of a `rows` x `cols` grid.
fn subsample(data: &[f32], rows: usize, cols: usize, step: usize) -> Vec<f32> {
    (0..rows)
        .step_by(step)
        .flat_map(|r| (0..cols).step_by(step).map(move |c| data[r * cols + c]))
        .collect()
}

fn heat(data: &[f32], rows: usize, cols: usize, scale: Scale) -> RgbImage {
    let step = sampling_step(1, rows, cols);
    if step > 1 {
        let sampled = subsample(data, rows, cols, step);
        return heat(&sampled, rows.div_ceil(step), cols.div_ceil(step), scale);
    }
    let cell = cell_size(rows, cols);
    let mut img = blank(cols as u32 * cell, rows as u32 * cell, canvas::WHITE);
    draw_heat(&mut img, 0, data, rows, cols, cell, scale);
    img
}

/// Paints the grid with its left edge at `x`, printing values in cells wide enough for them.
fn draw_heat(
    img: &mut RgbImage,
    x: i64,
    data: &[f32],
    rows: usize,
    cols: usize,
    cell: u32,
    scale: Scale,
) {
    for r in 0..rows {
        for c in 0..cols {
            let value = data[r * cols + c];
            let colour = scale.colour(value);
            let (px, py) = (x + (c as u32 * cell) as i64, i64::from(r as u32 * cell));
            canvas::fill(img, px, py, cell, cell, colour);
            // Formatting is skipped for cells too small for any number (most of a big map).
            if cell < CHAR + 6 {
                continue;
            }
            let label = short(value);
            let width = canvas::text_width(&label, 1);
            if width + 4 <= cell {
                let tx = px + i64::from((cell - width) / 2);
                let ty = py + i64::from((cell - CHAR) / 2);
                text(img, tx, ty, &label, 1, canvas::ink_on(colour));
            }
        }
    }
}

/// At most this many depth slices are drawn side by side; a longer strip is unreadable, and
/// the text output shows every value.
const MAX_SLICES: usize = 256;

fn strip(map: &Map, depth: usize, rows: usize, cols: usize, scale: Scale) -> RgbImage {
    let depth = depth.min(MAX_SLICES);
    let cells = rows * cols;
    let step = sampling_step(depth, rows, cols);
    let (rows_shown, cols_shown) = (rows.div_ceil(step), cols.div_ceil(step));
    // Slices are enlarged only while the whole strip stays within the cell budget.
    let cell = cell_size(rows_shown, cols_shown);
    let enlarged = (cell as usize).pow(2);
    let cell = if depth
        .saturating_mul(rows_shown * cols_shown)
        .saturating_mul(enlarged)
        > MAX_CELLS
    {
        1
    } else {
        cell
    };
    let (slice_w, slice_h) = (cols_shown as u32 * cell, rows_shown as u32 * cell);
    let width = depth as u32 * slice_w + depth.saturating_sub(1) as u32 * GAP;
    let mut img = blank(width, SLICE_LABEL + slice_h, canvas::WHITE);
    let mut slice = blank(slice_w, slice_h, canvas::WHITE);
    for d in 0..depth {
        let x = i64::from(d as u32 * (slice_w + GAP));
        let data = subsample(&map.data[d * cells..(d + 1) * cells], rows, cols, step);
        draw_heat(&mut slice, 0, &data, rows_shown, cols_shown, cell, scale);
        canvas::paste(&mut img, &slice, x, i64::from(SLICE_LABEL));
        let label = canvas::fit(&format!("d{d}"), slice_w, 1);
        text(&mut img, x, 1, &label, 1, canvas::DARK);
    }
    img
}

/// Plot area height, and the margins around it for the axis labels.
const PLOT_HEIGHT: u32 = 128;
const MARGIN_TOP: u32 = 6;
const MARGIN_BOTTOM: u32 = CHAR + 8;

fn line_plot(data: &[f32], len: usize, range: Option<Range>) -> RgbImage {
    // The vertical axis always includes zero, so the sign of each value reads at a glance.
    let (lo, hi) = match range {
        Some(r) if r.min < r.max || r.min != 0.0 => (r.min.min(0.0), r.max.max(0.0)),
        _ => (-1.0, 1.0),
    };
    let labels = [short(hi), short(lo)];
    let margin_left = labels
        .iter()
        .map(|l| canvas::text_width(l, 1))
        .max()
        .unwrap_or(0)
        + 8;
    // Up to 1024 pixels wide: long signals are drawn as one min..max bar per pixel column.
    let plot_w = (len as u32).saturating_mul(16).clamp(256, 1024);
    let (width, height) = (
        margin_left + plot_w + 8,
        MARGIN_TOP + PLOT_HEIGHT + MARGIN_BOTTOM,
    );
    let mut img = blank(width, height, canvas::WHITE);
    let (x0, y0) = (i64::from(margin_left), i64::from(MARGIN_TOP));
    canvas::frame(&mut img, x0, y0, plot_w, PLOT_HEIGHT, canvas::GREY);
    let to_y = |v: f32| -> i64 {
        let t = if hi > lo {
            (v.clamp(lo, hi) - lo) / (hi - lo)
        } else {
            0.5
        };
        y0 + ((1.0 - t) * (PLOT_HEIGHT - 1) as f32).round() as i64
    };
    let zero = to_y(0.0);
    canvas::line(
        &mut img,
        (x0, zero),
        (x0 + i64::from(plot_w) - 1, zero),
        canvas::GREY,
    );
    // Zero gets a label of its own when it lies clear of the two ends' labels.
    if zero - y0 > i64::from(CHAR + 2) && y0 + i64::from(PLOT_HEIGHT) - zero > i64::from(CHAR + 2) {
        text(
            &mut img,
            2,
            zero - i64::from(CHAR / 2),
            "0",
            1,
            canvas::DARK,
        );
    }
    text(&mut img, 2, y0, &labels[0], 1, canvas::DARK);
    text(
        &mut img,
        2,
        y0 + i64::from(PLOT_HEIGHT - CHAR),
        &labels[1],
        1,
        canvas::DARK,
    );
    let axis_y = y0 + i64::from(PLOT_HEIGHT + 4);
    text(&mut img, x0, axis_y, "0", 1, canvas::DARK);
    let last = (len.saturating_sub(1)).to_string();
    let last_x = x0 + i64::from(plot_w) - i64::from(canvas::text_width(&last, 1));
    text(&mut img, last_x, axis_y, &last, 1, canvas::DARK);
    let ink = [33, 102, 172];
    if len as u32 <= plot_w {
        let step = if len > 1 {
            (plot_w - 1) as f32 / (len - 1) as f32
        } else {
            0.0
        };
        let point = |i: usize| (x0 + (i as f32 * step).round() as i64, data[i]);
        for i in 0..len {
            let (x, v) = point(i);
            if v.is_nan() {
                continue;
            }
            if i + 1 < len && !data[i + 1].is_nan() {
                let (nx, nv) = point(i + 1);
                canvas::line(&mut img, (x, to_y(v)), (nx, to_y(nv)), ink);
            }
            if len <= 64 {
                canvas::fill(&mut img, x - 2, to_y(v) - 2, 5, 5, ink);
            }
        }
    } else {
        let plot_w = plot_w as usize;
        for column in 0..plot_w {
            let (start, end) = (column * len / plot_w, ((column + 1) * len / plot_w).max(1));
            // Include the previous value so consecutive bars join into a line.
            let from = start.saturating_sub(1);
            if let Some(r) = Range::of(&data[from..end.min(len)]) {
                let x = x0 + column as i64;
                canvas::line(&mut img, (x, to_y(r.min)), (x, to_y(r.max)), ink);
            }
        }
    }
    img
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::picture::maps::{Kind, Label};

    fn map_of(dims: Vec<usize>, data: Vec<f32>) -> Map {
        let label = Label {
            kind: Kind::Feature,
            batch: None,
            index: 0,
            name: None,
            in_channel: None,
        };
        Map { label, dims, data }
    }

    #[test]
    fn short_numbers() {
        assert_eq!(short(3.0), "3");
        assert_eq!(short(-3.0), "-3");
        assert_eq!(short(0.123456), "0.1235");
        assert_eq!(short(12.5), "12.5");
        assert_eq!(short(1.0 / 3.0), "0.3333");
        assert_eq!(short(1.5e-7), "1.50e-7");
        assert_eq!(short(f32::NAN), "nan");
    }

    #[test]
    fn small_maps_are_enlarged_with_square_cells() {
        let m = map_of(vec![2, 3], vec![0., 1., 2., 3., 4., 5.]);
        let img = map(&m, Range::of(&m.data));
        // 128 / 3 rounded up: 43-pixel cells.
        assert_eq!((img.width(), img.height()), (3 * 43, 2 * 43));
        // The last cell holds the largest value: viridis's yellow at a corner pixel.
        assert_eq!(img.get_pixel(3 * 43 - 1, 2 * 43 - 1).0, [253, 231, 37]);
    }

    #[test]
    fn three_d_maps_are_a_strip_and_one_d_maps_a_plot() {
        let volume = map_of(vec![3, 2, 2], (0..12).map(|v| v as f32).collect());
        let img = map(&volume, Range::of(&volume.data));
        assert_eq!(img.width(), 3 * 128 + 2 * GAP);
        let signal = map_of(vec![5], vec![0., -1., 2., 0., 1.]);
        let plot = map(&signal, Range::of(&signal.data));
        assert_eq!(plot.height(), MARGIN_TOP + PLOT_HEIGHT + MARGIN_BOTTOM);
        let long = map_of(
            vec![100_000],
            (0..100_000).map(|v| (v as f32).sin()).collect(),
        );
        assert!(map(&long, Range::of(&long.data)).width() <= 1024 + 64);
    }

    #[test]
    fn huge_maps_are_sampled_to_a_bounded_picture() {
        assert_eq!(sampling_step(1, 4096, 4096), 1);
        assert_eq!(sampling_step(1, 4097, 4096), 2);
        assert_eq!(sampling_step(4, 4096, 4096), 2);
        assert_eq!(subsample(&[0., 1., 2., 3., 4., 5.], 2, 3, 2), [0., 2.]);
        assert_eq!(sampling_step(100_000_000, 1, 1), 1, "terminates");
        // 20000 depth slices of 1x1: the first 256, at one pixel per cell, not 128.
        let deep = map_of(vec![20_000, 1, 1], vec![1.0; 20_000]);
        let img = map(&deep, Range::of(&deep.data));
        assert!(u64::from(img.width()) * u64::from(img.height()) < 1 << 24);
        // 200 slices of 300x300: sampled, so the strip stays within budget.
        let slices = map_of(vec![200, 300, 300], vec![0.5; 200 * 300 * 300]);
        let img = map(&slices, Range::of(&slices.data));
        assert!(u64::from(img.width()) * u64::from(img.height()) < 2 << 24);
    }
}
