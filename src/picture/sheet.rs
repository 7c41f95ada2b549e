//! Contact sheets: every map of a layer in one labelled grid, on one colour scale (so channels
//! compare at a glance), with a legend that shows the scale's range.

use super::canvas::{self, blank, text, CHAR};
use super::colormap::{Range, Scale};
use super::draw::{self, short};
use super::maps::Map;
use image::imageops::{resize, FilterType};
use image::RgbImage;

/// Tiles of a sheet never exceed this many pixels on their longer side...
const MAX_TILE: u32 = 256;
/// ...and all tiles together about this many pixels, so a layer with a thousand channels makes
/// a sheet of tens of megabytes, not gigabytes.
const PIXEL_BUDGET: f64 = 16_000_000.0;
/// Sheets are at most about this wide; more tiles make more rows.
const MAX_WIDTH: u32 = 2400;
const MAX_TILES: usize = 1024;
const PAD: u32 = 10;
const CAPTION: u32 = 2 * (CHAR + 3);
const MIN_TILE_WIDTH: u32 = 12 * CHAR;

/// A sheet titled `title` showing `maps` on the colours (or plot axis) of `range`.
pub fn sheet(title: &str, maps: &[Map], range: Option<Range>) -> RgbImage {
    // Beyond a thousand tiles nobody reads a sheet; the maps' own files still show them all.
    let title = if maps.len() > MAX_TILES {
        format!("{title}: first {MAX_TILES} of {} maps", maps.len())
    } else {
        title.to_string()
    };
    let title = title.as_str();
    let maps = &maps[..maps.len().min(MAX_TILES)];
    let max_side = tile_side(maps.len());
    let tiles: Vec<RgbImage> = maps
        .iter()
        .map(|m| shrink(draw::map(m, range), max_side))
        .collect();
    let tile_w = tiles
        .iter()
        .map(RgbImage::width)
        .max()
        .unwrap_or(1)
        .max(MIN_TILE_WIDTH);
    let tile_h = tiles.iter().map(RgbImage::height).max().unwrap_or(1);
    let columns = (maps.len() as f64).sqrt().ceil().max(1.0) as u32;
    let columns = columns.min((MAX_WIDTH / (tile_w + PAD)).max(1));
    let rows = (maps.len() as u32).div_ceil(columns).max(1);
    let header = 2 * CHAR + 2 * PAD;
    let legend_h = 3 * CHAR + PAD;
    let width = (columns * (tile_w + PAD) + PAD).max(legend_width() + 2 * PAD);
    let height = header + rows * (CAPTION + tile_h + PAD) + legend_h + PAD;
    let mut img = blank(width, height, canvas::WHITE);
    // Large print when the title fits, small print (then cut) when it does not.
    let title_scale = if canvas::text_width(title, 2) <= width - 2 * PAD {
        2
    } else {
        1
    };
    let title = canvas::fit(title, width - 2 * PAD, title_scale);
    text(
        &mut img,
        i64::from(PAD),
        i64::from(PAD),
        &title,
        title_scale,
        canvas::BLACK,
    );
    for (k, (map, tile)) in maps.iter().zip(&tiles).enumerate() {
        let (col, row) = (k as u32 % columns, k as u32 / columns);
        let x = i64::from(PAD + col * (tile_w + PAD));
        let y = i64::from(header + row * (CAPTION + tile_h + PAD));
        let caption = canvas::fit(&map.label.caption(), tile_w, 1);
        text(&mut img, x, y, &caption, 1, canvas::BLACK);
        let (second, colour) = if map.is_all_zero() {
            ("all zero".to_string(), canvas::ALERT)
        } else {
            (range_text(Range::of(&map.data)), canvas::DARK)
        };
        let second = canvas::fit(&second, tile_w, 1);
        text(&mut img, x, y + i64::from(CHAR + 3), &second, 1, colour);
        let tile_y = y + i64::from(CAPTION);
        canvas::paste(&mut img, tile, x, tile_y);
        canvas::frame(
            &mut img,
            x,
            tile_y,
            tile.width(),
            tile.height(),
            canvas::LIGHT_GREY,
        );
    }
    let legend_y = i64::from(height - legend_h);
    let plots = maps.iter().all(|m| m.dims.len() == 1);
    if plots {
        let axis = format!("one vertical axis for all: {}", range_text(range));
        text(
            &mut img,
            i64::from(PAD),
            legend_y + i64::from(CHAR),
            &axis,
            1,
            canvas::DARK,
        );
    } else {
        legend(&mut img, i64::from(PAD), legend_y, Scale::for_range(range));
    }
    img
}

/// `-3 .. 3`, or `no finite values`.
pub fn range_text(range: Option<Range>) -> String {
    match range {
        Some(r) => format!("{} .. {}", short(r.min), short(r.max)),
        None => "no finite values".to_string(),
    }
}

const LEGEND_BAR: u32 = 256;

fn legend_width() -> u32 {
    LEGEND_BAR + 2 * 10 * CHAR
}

/// A colour bar with its two ends (and zero, for a diverging scale) labelled underneath.
pub fn legend(img: &mut RgbImage, x: i64, y: i64, scale: Scale) {
    let bar_h = CHAR + 4;
    for i in 0..LEGEND_BAR {
        let t = i as f32 / (LEGEND_BAR - 1) as f32;
        let colour = scale.colour(scale.value_at(t));
        canvas::fill(img, x + i64::from(i), y, 1, bar_h, colour);
    }
    canvas::frame(img, x, y, LEGEND_BAR, bar_h, canvas::GREY);
    let (lo, hi) = scale.ends();
    let label_y = y + i64::from(bar_h + 3);
    text(img, x, label_y, &short(lo), 1, canvas::DARK);
    let hi_text = short(hi);
    let hi_x = x + i64::from(LEGEND_BAR) - i64::from(canvas::text_width(&hi_text, 1));
    text(img, hi_x, label_y, &hi_text, 1, canvas::DARK);
    if matches!(scale, Scale::Diverging { .. }) {
        text(
            img,
            x + i64::from(LEGEND_BAR / 2 - CHAR / 2),
            label_y,
            "0",
            1,
            canvas::DARK,
        );
    }
}

/// The longest side a tile may have on a sheet of `n` tiles.
fn tile_side(n: usize) -> u32 {
    let side = (PIXEL_BUDGET / n.max(1) as f64).sqrt() as u32;
    side.clamp(16, MAX_TILE)
}

/// Nearest-neighbour shrinking of a tile whose longer side exceeds `max_side`.
fn shrink(tile: RgbImage, max_side: u32) -> RgbImage {
    let longest = tile.width().max(tile.height());
    if longest <= max_side {
        return tile;
    }
    let ratio = f64::from(max_side) / f64::from(longest);
    let w = ((f64::from(tile.width()) * ratio) as u32).max(1);
    let h = ((f64::from(tile.height()) * ratio) as u32).max(1);
    resize(&tile, w, h, FilterType::Nearest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::Tensor;
    use crate::picture::maps::feature_maps;

    #[test]
    fn a_sheet_holds_every_channel_in_a_grid() {
        let t = Tensor {
            shape: vec![1, 4, 4, 5],
            data: (0..80).map(|v| v as f32 - 40.0).collect(),
        };
        let maps = feature_maps(&t, &[]);
        let img = sheet("layer", &maps, Range::of(&t.data));
        // Five tiles of 128 pixels in three columns and two rows.
        assert!(img.width() >= 3 * 128 && img.width() < 4 * 128 + 4 * PAD);
        assert!(img.height() >= 2 * 128);
    }

    #[test]
    fn many_big_maps_are_shrunk_to_a_budget() {
        assert_eq!(tile_side(1), MAX_TILE);
        assert_eq!(tile_side(4000), 63);
        assert_eq!(tile_side(10_000_000), 16);
        let t = Tensor::zeros(vec![1, 300, 300, 2]);
        let img = sheet("big", &feature_maps(&t, &[]), Range::of(&t.data));
        assert!(img.width() <= 2 * (MAX_TILE + PAD) + PAD);
    }
}
