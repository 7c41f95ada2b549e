//! Small text helpers for `explain`: numbers, grids, and grids side by side.

use crate::render::text::number;

/// An intermediate value computed in f64 (a product, a partial sum). Products of two f32s are
/// exact in f64 but rarely f32s themselves, and `0.10000000149011612` helps nobody: a value
/// that is an f32 is shown as `run` shows it, any other is shown rounded to f32 with `≈`. Only
/// the final value is rounded for real, once, as the interpreter does.
pub fn wide(x: f64) -> String {
    let rounded = x as f32;
    if f64::from(rounded) == x || x.is_nan() {
        number(rounded)
    } else {
        format!("≈{}", number(rounded))
    }
}

/// Lays out `cells` (row-major over `dims`, the window's shape) as text lines: one line for a
/// 1-D window, rows for 2-D, and for 3-D one block of rows per depth tap with a label line.
/// Columns are right-aligned so that patches, filters and products line up.
pub fn grid(dims: &[usize], cells: &[String]) -> Vec<String> {
    let width = cells.iter().map(|c| c.chars().count()).max().unwrap_or(1);
    let cols = dims.last().copied().unwrap_or(1).max(1);
    let rows: Vec<String> = cells
        .chunks(cols)
        .map(|row| {
            row.iter()
                .map(|c| format!("{c:>width$}"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    if dims.len() < 3 {
        return rows;
    }
    // 3-D: dims = (depth, rows, cols); label each depth slice.
    let per_slice = dims[1].max(1);
    let mut out = Vec::new();
    for (d, slice) in rows.chunks(per_slice).enumerate() {
        out.push(format!("depth tap {d}:"));
        out.extend(slice.iter().cloned());
    }
    out
}

/// Blocks of lines side by side under their titles, two spaces of indent, three between blocks.
pub fn side_by_side(blocks: &[(&str, Vec<String>)]) -> String {
    let widths: Vec<usize> = blocks
        .iter()
        .map(|(title, lines)| {
            lines
                .iter()
                .map(|l| l.chars().count())
                .chain([title.chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let height = blocks.iter().map(|(_, l)| l.len()).max().unwrap_or(0);
    let mut out = String::new();
    for row in 0..=height {
        let parts: Vec<String> = blocks
            .iter()
            .zip(&widths)
            .map(|((title, lines), &w)| {
                let text = if row == 0 {
                    *title
                } else {
                    lines.get(row - 1).map_or("", String::as_str)
                };
                format!("{text:<w$}")
            })
            .collect();
        out.push_str(&format!("  {}\n", parts.join("   ").trim_end()));
    }
    out
}

/// `[0 1 0]`: a window written flat, as the tutorial writes dot products.
pub fn flat(cells: &[String]) -> String {
    format!("[{}]", cells.join(" "))
}

/// The names of the spatial axes of a tensor with `n` of them, outermost first.
pub fn axis_names(n: usize) -> &'static [&'static str] {
    match n {
        1 => &["position"],
        2 => &["row", "col"],
        3 => &["depth", "row", "col"],
        _ => &[],
    }
}

/// `(0, 0, 2, 0): batch 0, row 0, col 2, filter 0` for a full index `(batch, spatial...,
/// channel)`; `last` names the channel axis's entry (`filter 0 \`middle\``, `channel 1`).
pub fn describe_index(index: &[usize], last: &str) -> String {
    let n = index.len().saturating_sub(2);
    let mut parts = vec![format!("batch {}", index.first().copied().unwrap_or(0))];
    for (name, i) in axis_names(n).iter().zip(&index[1..1 + n]) {
        parts.push(format!("{name} {i}"));
    }
    parts.push(last.to_string());
    format!("{}: {}", tuple(index), parts.join(", "))
}

/// `(0, 0, 2, 0)`.
pub fn tuple(index: &[usize]) -> String {
    let parts: Vec<String> = index.iter().map(usize::to_string).collect();
    format!("({})", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_values_show_f32_text() {
        assert_eq!(wide(3.0), "3");
        assert_eq!(wide(f64::from(0.1_f32)), "0.1");
        // 0.1f32 + 0.2f32 in f64 is no f32: shown rounded, and marked.
        assert_eq!(wide(f64::from(0.1_f32) + f64::from(0.2_f32)), "≈0.3");
    }

    #[test]
    fn grids_align_and_label_depth() {
        let cells: Vec<String> = ["0", "10", "2", "3"].map(String::from).to_vec();
        assert_eq!(grid(&[2, 2], &cells), [" 0 10", " 2  3"]);
        assert_eq!(grid(&[4], &cells), [" 0 10  2  3"]);
        let lines = grid(&[2, 1, 2], &cells);
        assert_eq!(lines, ["depth tap 0:", " 0 10", "depth tap 1:", " 2  3"]);
    }

    #[test]
    fn blocks_sit_side_by_side() {
        let a = ("patch", vec!["0 1".to_string(), "1 1".to_string()]);
        let b = ("filter", vec!["1 0".to_string()]);
        assert_eq!(
            side_by_side(&[a, b]),
            "  patch   filter\n  0 1     1 0\n  1 1\n"
        );
    }
}
