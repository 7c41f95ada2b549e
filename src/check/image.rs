//! Pictures as inputs: `image "cat.png" gray`, or a batch `image "frames/*.png" rgb`.
//!
//! The shape comes from the files' headers, `(batch, rows, cols, channels)`, and the memory is
//! reserved from those header dimensions before a single pixel is decoded; the decoder itself
//! is also held to what is left of the memory limit, so a file that lies in its header cannot
//! make it allocate without bound.
//!
//! Values follow Keras's `load_img` + `img_to_array`: 8 bits per channel, 0..255, times `scale`
//! (default 1). Gray is PIL's `convert("L")`, the ITU-R 601-2 luma in PIL's integer arithmetic,
//! so that a gray input holds the numbers Keras would see.

use super::tensor::shape_text;
use super::{Budget, Options};
use crate::access::OpenError;
use crate::ast::{Image, ImageMode, InputDecl, Spanned};
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{Tensor, Value, ValueKind};
use image::{DynamicImage, ImageFormat, ImageReader, Limits};
use std::path::{Path, PathBuf};

/// The formats the `image` crate is built with (Cargo.toml's features).
const FORMATS: &str = "PNG, JPEG, GIF and BMP";

/// The files of an image input and the size they share.
struct Files {
    paths: Vec<PathBuf>,
    rows: usize,
    cols: usize,
}

/// Reads the input `decl`, whose value is `image`.
pub fn input(
    decl: &InputDecl,
    image: &Image,
    options: &Options,
    budget: &mut Budget,
    diags: &mut Vec<Diagnostic>,
) -> Option<Value> {
    let what = format!("input `{}`", decl.name.value);
    let mode = image.mode.as_ref().map_or(ImageMode::DEFAULT, |m| m.value);
    let scale = match &image.scale {
        None => 1.0,
        Some(s) if s.value.is_finite() => s.value,
        Some(s) => {
            diags.push(
                Diagnostic::error(
                    Code::ImageScale,
                    s.span,
                    "an image's scale must be a finite number",
                )
                .with_hint("e.g. `scale 0.00392156862745098` (1/255) for values in 0..1"),
            );
            return None;
        }
    };
    let files = find(options, &image.path).map_err(|d| diags.push(d)).ok()?;
    let shape = vec![files.paths.len(), files.rows, files.cols, mode.channels()];
    if let Some(declared) = &decl.tensor.shape {
        let actual: Vec<u64> = shape.iter().map(|&d| d as u64).collect();
        if declared.value != actual {
            diags.push(
                Diagnostic::error(
                    Code::ImageShape,
                    declared.span,
                    format!(
                        "{what} is declared with shape {}, but `{}` gives {} in {} mode",
                        shape_text_u64(&declared.value),
                        image.path.value,
                        shape_text(&shape),
                        mode.keyword()
                    ),
                )
                .with_label(format!("should be {}", shape_text(&shape)))
                .with_hint("(batch, rows, cols, channels): one batch element per file, channels from the mode; or leave the shape out"),
            );
            return None;
        }
    }
    let Some(len) = super::values::element_count(&shape) else {
        diags.push(Diagnostic::error(
            Code::TooLarge,
            image.path.span,
            format!("{what} has more elements than can be counted"),
        ));
        return None;
    };
    // Reserved from the headers, before any decoding.
    if let Err(d) = budget.reserve(len, 4, image.path.span, &what) {
        diags.push(d);
        return None;
    }
    let mut limits = Limits::default();
    limits.max_alloc = Some(budget.remaining());
    let mut data = Vec::with_capacity(len);
    for path in &files.paths {
        let decoded = decode(options, path, &image.path, limits.clone())
            .map_err(|d| diags.push(d))
            .ok()?;
        // A file can change between reading its header and decoding it.
        if (decoded.height() as usize, decoded.width() as usize) != (files.rows, files.cols) {
            diags.push(bad(&image.path, path, "its size changed while it was read"));
            return None;
        }
        data.extend(
            pixels(&decoded, mode)
                .into_iter()
                .map(|v| (f64::from(v) * scale) as f32),
        );
    }
    Some(Value {
        name: decl.name.value.clone(),
        shape: shape.clone(),
        kind: ValueKind::Input(Tensor { shape, data }),
    })
}

fn shape_text_u64(shape: &[u64]) -> String {
    let sizes: Vec<String> = shape.iter().map(u64::to_string).collect();
    format!("({})", sizes.join(", "))
}

/// The files `path` names (one, or every file a glob matches, sorted by name) and their common
/// size, read from the headers only.
fn find(options: &Options, path: &Spanned<String>) -> Result<Files, Diagnostic> {
    let paths = if path.value.contains(['*', '?', '[']) {
        glob_files(options, path)?
    } else {
        vec![options.base_dir.join(&path.value)]
    };
    let mut sizes = Vec::with_capacity(paths.len());
    for file in &paths {
        sizes.push(dimensions(options, file, path)?);
    }
    let Some(&(rows, cols)) = sizes.first() else {
        return Err(Diagnostic::error(
            Code::NoFiles,
            path.span,
            "no image files",
        ));
    };
    if let Some((odd, &(r, c))) = paths.iter().zip(&sizes).find(|(_, &s)| s != (rows, cols)) {
        return Err(Diagnostic::error(
            Code::ImageSizes,
            path.span,
            format!(
                "`{}` is {r}x{c} (rows x cols), but `{}` is {rows}x{cols}: the images of one batch must all have the same size",
                odd.display(),
                paths[0].display()
            ),
        )
        .with_label(format!("{} files", paths.len()))
        .with_hint("resize the odd one out, or give it an input of its own"));
    }
    Ok(Files { paths, rows, cols })
}

fn glob_files(options: &Options, path: &Spanned<String>) -> Result<Vec<PathBuf>, Diagnostic> {
    let base_dir = &options.base_dir;
    if let Some(refused) = options.reads.refuse_pattern(base_dir, path) {
        return Err(refused);
    }
    // The spec's directory is taken literally; only what the user wrote is a pattern.
    let pattern = if Path::new(&path.value).is_absolute() {
        path.value.clone()
    } else {
        let base = glob::Pattern::escape(&base_dir.to_string_lossy());
        if base.is_empty() {
            path.value.clone()
        } else {
            format!("{base}/{}", path.value)
        }
    };
    let matches = glob::glob(&pattern).map_err(|e| {
        Diagnostic::error(
            Code::BadGlob,
            path.span,
            format!("`{}` is not a valid glob pattern: {}", path.value, e.msg),
        )
        .with_label("this pattern")
    })?;
    let mut files = Vec::new();
    for entry in matches {
        let entry = entry.map_err(|e| {
            Diagnostic::error(
                Code::CannotOpen,
                path.span,
                format!("cannot read `{}`: {}", e.path().display(), e.error()),
            )
        })?;
        if entry.is_file() {
            files.push(entry);
        }
    }
    if files.is_empty() {
        return Err(Diagnostic::error(
            Code::NoFiles,
            path.span,
            format!("`{}` matches no files", pattern),
        )
        .with_label("no files")
        .with_hint("image paths and patterns are relative to the spec's directory"));
    }
    files.sort();
    Ok(files)
}

fn bad(path: &Spanned<String>, file: &Path, message: impl std::fmt::Display) -> Diagnostic {
    Diagnostic::error(
        Code::BadImage,
        path.span,
        format!("`{}` is not a readable image: {message}", file.display()),
    )
    .with_label("this file")
    .with_hint(format!("convc reads {FORMATS} files"))
}

/// Opens `file`, one of the files `path` names, if the spec may read it. The format comes from
/// the contents, else from the extension (as `ImageReader::open` does).
fn open(
    options: &Options,
    file: &Path,
    path: &Spanned<String>,
) -> Result<ImageReader<std::io::BufReader<std::fs::File>>, Diagnostic> {
    let opened = options
        .reads
        .open(&options.base_dir, path, file)
        .map_err(|e| match e {
            OpenError::Refused(d) => d,
            OpenError::Io(e) => Diagnostic::error(
                Code::CannotOpen,
                path.span,
                format!("cannot open `{}`: {e}", file.display()),
            )
            .with_label("this file")
            .with_hint("image paths are relative to the spec's directory"),
        })?;
    let mut reader = ImageReader::new(std::io::BufReader::new(opened));
    if let Ok(format) = ImageFormat::from_path(file) {
        reader.set_format(format);
    }
    reader.with_guessed_format().map_err(|e| bad(path, file, e))
}

/// `(rows, cols)` from the header, without decoding.
fn dimensions(
    options: &Options,
    file: &Path,
    path: &Spanned<String>,
) -> Result<(usize, usize), Diagnostic> {
    let (width, height) = open(options, file, path)?
        .into_dimensions()
        .map_err(|e| bad(path, file, e))?;
    if width == 0 || height == 0 {
        return Err(bad(path, file, "it has no pixels"));
    }
    Ok((height as usize, width as usize))
}

fn decode(
    options: &Options,
    file: &Path,
    path: &Spanned<String>,
    limits: Limits,
) -> Result<DynamicImage, Diagnostic> {
    let mut reader = open(options, file, path)?;
    reader.limits(limits);
    reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => {
            bad(path, file, "decoding it would exceed the memory limit")
                .with_hint("raise the limit with `--max-memory`")
        }
        e => bad(path, file, e),
    })
}

/// The pixels in row-major order, channels interleaved, 8 bits each.
fn pixels(image: &DynamicImage, mode: ImageMode) -> Vec<u8> {
    match mode {
        ImageMode::Rgb => image.to_rgb8().into_raw(),
        ImageMode::Rgba => image.to_rgba8().into_raw(),
        ImageMode::Gray => match image {
            // Already one channel (alpha, if any, dropped), as PIL keeps it.
            DynamicImage::ImageLuma8(_)
            | DynamicImage::ImageLumaA8(_)
            | DynamicImage::ImageLuma16(_)
            | DynamicImage::ImageLumaA16(_) => image.to_luma8().into_raw(),
            _ => image.to_rgb8().pixels().map(|p| luma(p.0)).collect(),
        },
    }
}

/// PIL's `L = R*299/1000 + G*587/1000 + B*114/1000`, computed as PIL does it (16-bit fixed
/// point, rounded), so gray values match Keras's `load_img(color_mode="grayscale")` exactly.
fn luma([r, g, b]: [u8; 3]) -> u8 {
    let sum = u32::from(r) * 19595 + u32::from(g) * 38470 + u32::from(b) * 7471 + 0x8000;
    // At most (255 * 65536 + 0x8000) >> 16 = 255.
    u8::try_from(sum >> 16).unwrap_or(u8::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luma_matches_pil() {
        // Values from PIL: Image.new("RGB", (1, 1), c).convert("L").getpixel((0, 0)).
        assert_eq!(luma([255, 255, 255]), 255);
        assert_eq!(luma([0, 0, 0]), 0);
        assert_eq!(luma([255, 0, 0]), 76);
        assert_eq!(luma([0, 255, 0]), 150);
        assert_eq!(luma([0, 0, 255]), 29);
        assert_eq!(luma([10, 200, 30]), 124);
    }
}
