//! File names that say what a picture shows, PNG encoding, and atomic writes.

use super::colormap::Range;
use super::draw::short;
use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, ImageEncoder, RgbImage};
use std::io;
use std::path::{Path, PathBuf};

/// Longest piece of a user's name kept in a file name (file systems allow 255 bytes in all).
const MAX_NAME: usize = 80;

/// A name made safe for a file name: letters, digits, `_`, `-` and `.` are kept, anything
/// else (a `/` in a TOML layer name, say) becomes `_`, and a leading `.` would hide the file.
pub fn file_safe(name: &str) -> String {
    let safe: String = name
        .chars()
        .take(MAX_NAME)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    match safe.strip_prefix('.') {
        Some(rest) => format!("_{rest}"),
        None if safe.is_empty() => "_".to_string(),
        None => safe,
    }
}

/// `edges_c0_vertical_min-3_max3.png`: the layer, the map, and its value range.
pub fn map_file_name(layer: &str, map_part: &str, range: Option<Range>) -> String {
    let range = match range {
        Some(r) => format!("min{}_max{}", short(r.min), short(r.max)),
        None => "no-finite-values".to_string(),
    };
    format!("{}_{}_{range}.png", file_safe(layer), file_safe(map_part))
}

/// `edges_sheet.png` (feature maps) or `edges_filters.png`.
pub fn sheet_file_name(layer: &str, what: &str) -> String {
    format!("{}_{what}.png", file_safe(layer))
}

/// The PNG encoding of `img`.
pub fn png_bytes(img: &RgbImage) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    PngEncoder::new(&mut bytes)
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            ExtendedColorType::Rgb8,
        )
        .map_err(|e| format!("cannot encode a PNG: {e}"))?;
    Ok(bytes)
}

/// Writes `bytes` to `dir/name` atomically (see [`crate::atomic`]).
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<PathBuf> {
    let target = dir.join(name);
    crate::atomic::write(&target, bytes).map(|()| target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_carry_the_range() {
        let range = Range::of(&[-3.0, 3.0]);
        assert_eq!(
            map_file_name("edges", "c0", range),
            "edges_c0_min-3_max3.png"
        );
        let range = Range::of(&[0.0, 0.25]);
        assert_eq!(
            map_file_name("blur", "b1_c2_soft", range),
            "blur_b1_c2_soft_min0_max0.25.png"
        );
        assert_eq!(map_file_name("x", "c0", None), "x_c0_no-finite-values.png");
        assert_eq!(sheet_file_name("edges", "filters"), "edges_filters.png");
    }

    #[test]
    fn names_cannot_escape_the_folder() {
        assert_eq!(file_safe("../etc/passwd"), "_._etc_passwd");
        assert_eq!(file_safe(".hidden"), "_hidden");
        assert_eq!(file_safe(""), "_");
        assert_eq!(file_safe("a b/c"), "a_b_c");
    }

    #[test]
    fn writes_replace_whole_files_and_leave_no_temporaries() {
        let dir = std::env::temp_dir().join(format!("convc-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let img = RgbImage::from_pixel(3, 2, image::Rgb([1, 2, 3]));
        let bytes = png_bytes(&img).unwrap();
        let path = write_atomic(&dir, "x.png", &bytes).unwrap();
        write_atomic(&dir, "x.png", &bytes).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
        let names: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
        assert_eq!(names.len(), 1);
        let missing = dir.join("no/such/folder");
        assert!(write_atomic(&missing, "x.png", &bytes).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
