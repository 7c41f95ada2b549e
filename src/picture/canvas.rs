//! A few drawing primitives on an RGB image: rectangles, lines and text in an 8x8 bitmap font.
//!
//! The font is `font8x8`'s public-domain ASCII set: no font files, no system fonts, and crisp
//! at the integer scales pictures of feature maps use.

use image::{Rgb, RgbImage};

pub const WHITE: [u8; 3] = [255, 255, 255];
pub const BLACK: [u8; 3] = [0, 0, 0];
pub const GREY: [u8; 3] = [160, 160, 160];
pub const LIGHT_GREY: [u8; 3] = [225, 225, 225];
pub const DARK: [u8; 3] = [40, 40, 40];
pub const ALERT: [u8; 3] = [200, 0, 0];

/// Width of one character at text scale 1.
pub const CHAR: u32 = 8;

pub fn blank(width: u32, height: u32, colour: [u8; 3]) -> RgbImage {
    RgbImage::from_pixel(width.max(1), height.max(1), Rgb(colour))
}

/// Fills a rectangle, clipped to the image.
pub fn fill(img: &mut RgbImage, x: i64, y: i64, w: u32, h: u32, colour: [u8; 3]) {
    let (iw, ih) = (i64::from(img.width()), i64::from(img.height()));
    let (x0, y0) = (x.max(0), y.max(0));
    let (x1, y1) = ((x + i64::from(w)).min(iw), (y + i64::from(h)).min(ih));
    for py in y0..y1 {
        for px in x0..x1 {
            img.put_pixel(px as u32, py as u32, Rgb(colour));
        }
    }
}

/// A one-pixel rectangle outline around `(x, y, w, h)`, drawn just outside it.
pub fn frame(img: &mut RgbImage, x: i64, y: i64, w: u32, h: u32, colour: [u8; 3]) {
    fill(img, x - 1, y - 1, w + 2, 1, colour);
    fill(img, x - 1, y + i64::from(h), w + 2, 1, colour);
    fill(img, x - 1, y - 1, 1, h + 2, colour);
    fill(img, x + i64::from(w), y - 1, 1, h + 2, colour);
}

fn plot(img: &mut RgbImage, x: i64, y: i64, colour: [u8; 3]) {
    if x >= 0 && y >= 0 && x < i64::from(img.width()) && y < i64::from(img.height()) {
        img.put_pixel(x as u32, y as u32, Rgb(colour));
    }
}

/// A straight line (Bresenham), clipped to the image.
pub fn line(img: &mut RgbImage, from: (i64, i64), to: (i64, i64), colour: [u8; 3]) {
    let (mut x, mut y) = from;
    let (dx, dy) = ((to.0 - x).abs(), -(to.1 - y).abs());
    let (sx, sy) = (if x < to.0 { 1 } else { -1 }, if y < to.1 { 1 } else { -1 });
    let mut err = dx + dy;
    loop {
        plot(img, x, y, colour);
        if (x, y) == to {
            break;
        }
        let e2 = 2 * err;
        if e2 >= dy {
            err += dy;
            x += sx;
        }
        if e2 <= dx {
            err += dx;
            y += sy;
        }
    }
}

/// The width in pixels of `text` at `scale`.
pub fn text_width(text: &str, scale: u32) -> u32 {
    text.chars().count() as u32 * CHAR * scale
}

/// Draws `text` with its top-left corner at `(x, y)`. Characters outside ASCII show as `?`.
pub fn text(img: &mut RgbImage, x: i64, y: i64, text: &str, scale: u32, colour: [u8; 3]) {
    let step = i64::from(CHAR * scale);
    for (i, c) in text.chars().enumerate() {
        let code = if c.is_ascii() {
            c as usize
        } else {
            '?' as usize
        };
        let glyph = font8x8::legacy::BASIC_LEGACY[code];
        let left = x + i as i64 * step;
        for (row, bits) in glyph.iter().enumerate() {
            for col in 0..8 {
                // Bit 0 is the leftmost pixel of the row.
                if bits & (1 << col) != 0 {
                    let px = left + col * i64::from(scale);
                    let py = y + row as i64 * i64::from(scale);
                    fill(img, px, py, scale, scale, colour);
                }
            }
        }
    }
}

/// `text` cut to at most `width` pixels at `scale`, ending in `~` when cut.
pub fn fit(text: &str, width: u32, scale: u32) -> String {
    let max_chars = (width / (CHAR * scale)) as usize;
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let kept: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    format!("{kept}~")
}

/// Black or white, whichever reads better on `background`.
pub fn ink_on(background: [u8; 3]) -> [u8; 3] {
    let [r, g, b] = background.map(f32::from);
    if 0.299 * r + 0.587 * g + 0.114 * b > 140.0 {
        BLACK
    } else {
        WHITE
    }
}

/// Pastes `src` with its top-left corner at `(x, y)`, clipped.
pub fn paste(dst: &mut RgbImage, src: &RgbImage, x: i64, y: i64) {
    for (sx, sy, pixel) in src.enumerate_pixels() {
        plot(dst, x + i64::from(sx), y + i64::from(sy), pixel.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_draws_inside_its_box() {
        let mut img = blank(40, 20, WHITE);
        text(&mut img, 2, 2, "A1", 1, BLACK);
        let inked = img.pixels().filter(|p| p.0 == BLACK).count();
        assert!(inked > 10, "glyphs were drawn");
        assert!(img.enumerate_pixels().all(|(x, y, p)| p.0 != BLACK
            || (2..2 + text_width("A1", 1)).contains(&x) && (2..10).contains(&y)));
    }

    #[test]
    fn fit_cuts_long_labels() {
        assert_eq!(fit("vertical", 64, 1), "vertical");
        assert_eq!(fit("vertical", 40, 1), "vert~");
    }

    #[test]
    fn drawing_outside_is_clipped_not_a_panic() {
        let mut img = blank(4, 4, WHITE);
        line(&mut img, (-10, -10), (20, 20), BLACK);
        fill(&mut img, 2, 2, 100, 100, BLACK);
        text(&mut img, 3, 3, "xyz", 2, BLACK);
        assert_eq!(img.get_pixel(0, 0).0, BLACK);
    }
}
