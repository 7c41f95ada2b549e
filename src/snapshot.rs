//! Regression snapshots for users: `convc test` keeps every spec's outputs in a text file and
//! reports any value that changes.
//!
//! **Where.** The snapshot of `dir/bump.conv` is `dir/convc-snapshots/bump.conv.snapshot`. A
//! folder beside the specs keeps the spec folder readable; the full file name keeps `bump.conv`
//! and `bump.toml` apart; and neither the folder name nor the extension can be mistaken for
//! insta's `snapshots/*.snap` (which `cargo insta` may review or delete as unreferenced), for a
//! spec (`convc test` only reads `.conv` and `.toml`), or for anything hidden that a user would
//! forget to commit.
//!
//! **Format.** Readable text that diffs well line by line:
//!
//! ```text
//! # convc snapshot of bump.conv ...
//! output bump (1, 6, 1)
//! 0 0 1 1 0 0
//! ```
//!
//! One `output NAME SHAPE` line per output, then its values in row-major order, written in the
//! shortest text that reads back as the same float32 (`nan`, `inf`, `-inf` for non-finite ones).
//! Lines are a visual aid (one per row of the last two axes); only the order counts.

use crate::ir::Tensor;
use crate::render::text::number;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// The folder, beside the specs, that holds their snapshots.
pub const DIR: &str = "convc-snapshots";
/// Appended to the spec's file name.
pub const EXTENSION: &str = "snapshot";

/// One output as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub name: String,
    pub tensor: Tensor,
}

/// Where the snapshot of `spec` lives.
pub fn path_for(spec: &Path) -> PathBuf {
    let file = spec
        .file_name()
        .map_or_else(|| "spec".to_string(), |f| f.to_string_lossy().into_owned());
    spec.parent()
        .unwrap_or(Path::new(""))
        .join(DIR)
        .join(format!("{file}.{EXTENSION}"))
}

/// A value exactly: integers without a fraction, others in the shortest form that parses back
/// to the same float32 (`{:?}` switches to exponents for very large and small magnitudes).
pub fn value_text(x: f32) -> String {
    if !x.is_finite() {
        number(x)
    } else if x == x.trunc() && x.abs() < 1e16 {
        // Keeps the sign of -0: the snapshot is exact, even where the reader would not care.
        format!("{}", f64::from(x))
    } else {
        format!("{x:?}")
    }
}

fn shape_text(shape: &[usize]) -> String {
    let parts: Vec<String> = shape.iter().map(usize::to_string).collect();
    format!("({})", parts.join(", "))
}

/// The snapshot file's text.
pub fn to_text(spec_name: &str, outputs: &[Output]) -> String {
    let mut out = format!(
        "# convc snapshot of {spec_name}: its outputs, as `convc test` recorded them.\n\
         # `convc test` compares the outputs with these values; `convc test --accept` records new ones.\n"
    );
    for output in outputs {
        let shape = &output.tensor.shape;
        let _ = writeln!(out, "output {} {}", output.name, shape_text(shape));
        // One line per row of the last two axes (a grid row with its channels), or per batch
        // item for `(batch, channels)`.
        let per_line = match shape.len() {
            0 => 1,
            1 | 2 => shape[shape.len() - 1],
            n => shape[n - 2] * shape[n - 1],
        }
        .max(1);
        for line in output.tensor.data.chunks(per_line) {
            let texts: Vec<String> = line.iter().map(|&x| value_text(x)).collect();
            let _ = writeln!(out, "{}", texts.join(" "));
        }
    }
    out
}

/// Reads a snapshot file's text; the error names the line and says what is wrong.
pub fn parse(text: &str) -> Result<Vec<Output>, String> {
    let mut outputs: Vec<(Output, usize)> = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line_no = n + 1;
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("output ") {
            let (name, shape) = rest
                .trim()
                .split_once(' ')
                .ok_or_else(|| format!("line {line_no}: expected `output NAME (SHAPE)`"))?;
            let shape = parse_shape(shape).ok_or_else(|| {
                format!("line {line_no}: `{shape}` is not a shape like (1, 6, 1)")
            })?;
            finish(&outputs)?;
            outputs.push((
                Output {
                    name: name.to_string(),
                    tensor: Tensor {
                        shape,
                        data: Vec::new(),
                    },
                },
                line_no,
            ));
            continue;
        }
        let Some((current, _)) = outputs.last_mut() else {
            return Err(format!(
                "line {line_no}: values before any `output NAME (SHAPE)` line"
            ));
        };
        for word in line.split_whitespace() {
            let x: f32 = word
                .parse()
                .map_err(|_| format!("line {line_no}: `{word}` is not a number"))?;
            current.tensor.data.push(x);
        }
    }
    finish(&outputs)?;
    Ok(outputs.into_iter().map(|(o, _)| o).collect())
}

/// Checks that the last output read has as many values as its shape says.
fn finish(outputs: &[(Output, usize)]) -> Result<(), String> {
    if let Some((output, line_no)) = outputs.last() {
        let want = output
            .tensor
            .shape
            .iter()
            .try_fold(1usize, |n, &d| n.checked_mul(d));
        if want != Some(output.tensor.data.len()) {
            return Err(format!(
                "line {line_no}: output {} has shape {} but {} values follow",
                output.name,
                shape_text(&output.tensor.shape),
                output.tensor.data.len()
            ));
        }
    }
    Ok(())
}

fn parse_shape(text: &str) -> Option<Vec<usize>> {
    let inner = text.trim().strip_prefix('(')?.strip_suffix(')')?;
    inner
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| p.parse().ok())
        .collect()
}

/// Whether `new` is close enough to `old`: `|new - old| <= tolerance * max(1, |old|)` (the
/// rule of `expect`'s default tolerance, 1e-6); NaN matches NaN, infinities must be equal.
pub fn close(old: f32, new: f32, tolerance: f64) -> bool {
    if old.is_nan() || new.is_nan() {
        return old.is_nan() && new.is_nan();
    }
    if old.is_infinite() || new.is_infinite() {
        return old == new;
    }
    let diff = (f64::from(new) - f64::from(old)).abs();
    diff <= tolerance * f64::from(old).abs().max(1.0)
}

/// At most this many differing positions are listed per output.
const MAX_LISTED: usize = 10;

/// A readable diff of `new` against the recorded `old`; empty when they agree.
pub fn diff(old: &[Output], new: &[Output], tolerance: f64) -> String {
    let mut out = String::new();
    for output in new {
        let Some(before) = old.iter().find(|o| o.name == output.name) else {
            let _ = writeln!(out, "    output {}: new, not in the snapshot", output.name);
            continue;
        };
        let (was, now) = (&before.tensor, &output.tensor);
        if was.shape != now.shape {
            let _ = writeln!(
                out,
                "    output {}: shape was {}, now {}",
                output.name,
                shape_text(&was.shape),
                shape_text(&now.shape)
            );
            continue;
        }
        let differing: Vec<usize> = (0..now.data.len())
            .filter(|&i| !close(was.data[i], now.data[i], tolerance))
            .collect();
        if differing.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "    output {}: {} of {} values differ",
            output.name,
            differing.len(),
            now.data.len()
        );
        for &i in differing.iter().take(MAX_LISTED) {
            let _ = writeln!(
                out,
                "      at {}: was {}, now {}",
                crate::testing::position(&now.shape, i),
                value_text(was.data[i]),
                value_text(now.data[i])
            );
        }
        if differing.len() > MAX_LISTED {
            let _ = writeln!(out, "      ... and {} more", differing.len() - MAX_LISTED);
        }
    }
    for before in old {
        if !new.iter().any(|o| o.name == before.name) {
            let _ = writeln!(
                out,
                "    output {}: in the snapshot, but no longer an output",
                before.name
            );
        }
    }
    out
}

/// Writes `text` to `path` atomically (see [`crate::atomic`]), creating its folder.
pub fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    crate::atomic::write(path, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(name: &str, shape: &[usize], data: &[f32]) -> Output {
        Output {
            name: name.into(),
            tensor: Tensor {
                shape: shape.to_vec(),
                data: data.to_vec(),
            },
        }
    }

    #[test]
    fn text_round_trips_every_float() {
        let values = [
            0.0,
            -0.0,
            1.0,
            0.1,
            1.0 / 3.0,
            -2.5e-30,
            3.4e38,
            1e20,
            f32::MIN_POSITIVE / 4.0,
            f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
        ];
        let outputs = vec![
            output("a", &[1, 3, 4], &values),
            output("pooled", &[2, 1], &[7.0, -8.0]),
        ];
        let text = to_text("x.conv", &outputs);
        let back = parse(&text).unwrap();
        assert_eq!(back.len(), 2);
        for (a, b) in back[0].tensor.data.iter().zip(&values) {
            assert!(
                a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                "{a} {b}"
            );
        }
        assert_eq!(back[1], outputs[1]);
        assert!(text.contains("output pooled (2, 1)\n7\n-8\n"), "{text}");
    }

    #[test]
    fn rows_follow_the_last_two_axes() {
        let text = to_text(
            "v.conv",
            &[output("v", &[1, 2, 3, 1], &[0., 0., 3., 0., 0., 3.])],
        );
        assert!(
            text.ends_with("output v (1, 2, 3, 1)\n0 0 3\n0 0 3\n"),
            "{text}"
        );
    }

    #[test]
    fn broken_files_name_the_line() {
        assert!(parse("output a (1, 2)\n1 x\n")
            .unwrap_err()
            .contains("line 2: `x`"));
        assert!(parse("1 2\n").unwrap_err().contains("line 1"));
        let e = parse("output a (1, 3)\n1 2\noutput b (1,)\n1\n").unwrap_err();
        assert!(
            e.contains("line 1: output a has shape (1, 3) but 2 values"),
            "{e}"
        );
        assert!(parse("output a [1]\n").unwrap_err().contains("not a shape"));
    }

    #[test]
    fn diff_lists_positions_and_counts() {
        let old = vec![
            output("bump", &[1, 3, 1], &[0., 1., 1.]),
            output("gone", &[1], &[1.]),
        ];
        let new = vec![
            output("bump", &[1, 3, 1], &[0., 2., 1.0000001]),
            output("fresh", &[1], &[1.]),
        ];
        let d = diff(&old, &new, 1e-6);
        assert!(d.contains("output bump: 1 of 3 values differ"), "{d}");
        assert!(d.contains("at (0, 1, 0): was 1, now 2"), "{d}");
        assert!(d.contains("output fresh: new"), "{d}");
        assert!(
            d.contains("output gone: in the snapshot, but no longer"),
            "{d}"
        );
        assert!(diff(&new, &new, 1e-6).is_empty());
        assert!(diff(&old[..1], &new[..1], 2.0).is_empty());
    }

    #[test]
    fn snapshots_live_beside_the_spec() {
        assert_eq!(
            path_for(Path::new("specs/seed/bump.conv")),
            Path::new("specs/seed/convc-snapshots/bump.conv.snapshot")
        );
    }
}
