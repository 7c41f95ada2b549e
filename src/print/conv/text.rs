//! The text of a `.conv` file: indentation, numbers, and tensors as rows and grids.

use super::layout::{Layout, PlacedGrid, Role};
use crate::ast::*;

/// A number that reads back as the identical `f64`.
///
/// Rust's `{}` and `{:e}` both print the shortest digits that round-trip, so `0.1` stays `0.1`
/// and integers have no `.0`. Very large and very small magnitudes use an exponent, so that
/// `1e300` is not written out as 301 digits.
pub(super) fn number(x: f64) -> String {
    if x.is_nan() {
        "nan".to_string()
    } else if x.is_infinite() {
        if x > 0.0 { "inf" } else { "-inf" }.to_string()
    } else if x != 0.0 && !(1e-5..1e16).contains(&x.abs()) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// Whether `word` reads back as the same word when written without quotes.
pub(super) fn is_plain_word(word: &str) -> bool {
    let mut chars = word.chars();
    let starts_well = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    starts_well
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !matches!(word, "true" | "false" | "inf" | "nan")
}

/// Builds the text line by line, with 4-space indents.
#[derive(Default)]
pub(super) struct Writer {
    out: String,
    depth: usize,
}

impl Writer {
    pub(super) fn finish(self) -> String {
        self.out
    }

    pub(super) fn indent(&mut self) {
        self.depth += 1;
    }

    pub(super) fn dedent(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// Starts a line at the current indent; `push` continues it, `end_line` ends it.
    pub(super) fn start(&mut self, text: &str) {
        for _ in 0..self.depth {
            self.out.push_str("    ");
        }
        self.out.push_str(text);
    }

    pub(super) fn push(&mut self, text: &str) {
        self.out.push_str(text);
    }

    pub(super) fn end_line(&mut self) {
        self.out.push('\n');
    }

    pub(super) fn line(&mut self, text: &str) {
        self.start(text);
        self.end_line();
    }

    /// Separates groups of statements, never at the start or twice.
    pub(super) fn blank_line(&mut self) {
        if !self.out.is_empty() && !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
    }

    /// Continues the current line with ` SHAPE? = TENSOR`; a tensor of several rows ends on
    /// its closing bracket's line, so that the caller can still add ` within ...`.
    /// `shape` is the tensor's shape from the model, if known.
    pub(super) fn tensor(&mut self, tensor: &TensorLit, role: Role, shape: Option<&[usize]>) {
        if let Some(written) = &tensor.shape {
            let sizes: Vec<String> = written.value.iter().map(u64::to_string).collect();
            match sizes.as_slice() {
                [one] => self.push(&format!(" ({one},)")),
                _ => self.push(&format!(" ({})", sizes.join(", "))),
            }
        }
        self.push(" = ");
        match &tensor.value.value {
            TensorValue::Numbers(grid) => {
                let written: Option<Vec<usize>> = tensor
                    .shape
                    .as_ref()
                    .and_then(|s| s.value.iter().map(|&n| usize::try_from(n).ok()).collect());
                let shape = match role {
                    Role::Flat => Some(vec![grid.len()]),
                    _ => shape.map(<[usize]>::to_vec).or(written),
                };
                self.numbers(grid, role, shape.as_deref());
            }
            TensorValue::Grids(grids) => self.labelled_grids(grids),
            TensorValue::Builtin(builtin) => self.push(&builtin_text(builtin)),
            TensorValue::Fill(x) => self.push(&number(x.value)),
            TensorValue::Npy(path) => self.push(&format!("npy \"{}\"", path.value)),
            TensorValue::Init(init) => {
                self.push(&format!("init {}", init.name.value));
                if let Some(seed) = &init.seed {
                    self.push(&format!(" seed {}", seed.value));
                }
            }
        }
    }

    /// Numbers laid out by shape; as written when the shape is unknown or does not fit.
    fn numbers(&mut self, grid: &Grid, role: Role, shape: Option<&[usize]>) {
        let values: Vec<f64> = grid.values().collect();
        let placed = shape.and_then(|shape| Layout::new(role, shape)?.split(shape, &values));
        match placed {
            Some(grids) if grids.len() == 1 && grids[0].labels.is_empty() => {
                let widths = column_widths(grids.iter().flat_map(|g| &g.rows));
                self.matrix(&grids[0].rows, &widths);
            }
            Some(grids) => self.placed_grids(&grids),
            None => {
                let rows: Vec<Vec<f64>> = grid.rows.iter().map(|r| r.value.clone()).collect();
                self.matrix(&rows, &column_widths(&rows));
            }
        }
    }

    fn placed_grids(&mut self, grids: &[PlacedGrid]) {
        let widths = column_widths(grids.iter().flat_map(|g| &g.rows));
        self.push("{");
        self.end_line();
        self.indent();
        for grid in grids {
            let labels: Vec<String> = grid
                .labels
                .iter()
                .map(|(axis, index)| format!("{} {index}", axis.keyword()))
                .collect();
            self.start(&format!("{}: ", labels.join(", ")));
            self.matrix(&grid.rows, &widths);
            self.end_line();
        }
        self.dedent();
        self.start("}");
    }

    fn labelled_grids(&mut self, grids: &[LabelledGrid]) {
        self.push("{");
        self.end_line();
        self.indent();
        for grid in grids {
            let labels: Vec<String> = grid
                .labels
                .iter()
                .map(|l| format!("{} {}", l.axis.value.keyword(), l.index.value))
                .collect();
            self.start(&format!("{}: ", labels.join(", ")));
            match &grid.value {
                GridValue::Numbers(numbers) => {
                    let rows: Vec<Vec<f64>> =
                        numbers.rows.iter().map(|r| r.value.clone()).collect();
                    self.matrix(&rows, &column_widths(&rows));
                }
                GridValue::Builtin(builtin) => self.push(&builtin_text(builtin)),
            }
            self.end_line();
        }
        self.dedent();
        self.start("}");
    }

    /// `[a b c]` for one row; otherwise one row per line, columns right-aligned to `widths`.
    fn matrix(&mut self, rows: &[Vec<f64>], widths: &[usize]) {
        if let [row] = rows {
            let numbers: Vec<String> = row.iter().map(|&x| number(x)).collect();
            self.push(&format!("[{}]", numbers.join(" ")));
            return;
        }
        if rows.is_empty() {
            self.push("[]");
            return;
        }
        self.push("[");
        self.end_line();
        self.indent();
        for row in rows {
            let cells = row.iter().enumerate().map(|(column, &x)| {
                let width = widths.get(column).copied().unwrap_or(0);
                format!("{:>width$}", number(x))
            });
            self.line(&cells.collect::<Vec<_>>().join(" "));
        }
        self.dedent();
        self.start("]");
    }
}

/// The widest number in each column.
fn column_widths<'a>(rows: impl IntoIterator<Item = &'a Vec<f64>>) -> Vec<usize> {
    let mut widths: Vec<usize> = Vec::new();
    for row in rows {
        if widths.len() < row.len() {
            widths.resize(row.len(), 0);
        }
        for (width, &x) in widths.iter_mut().zip(row) {
            *width = (*width).max(number(x).len());
        }
    }
    widths
}

fn builtin_text(builtin: &Builtin) -> String {
    if builtin.args.is_empty() {
        return builtin.name.value.clone();
    }
    let args: Vec<String> = builtin.args.iter().map(|a| number(a.value)).collect();
    format!("{}({})", builtin.name.value, args.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_back_identically() {
        let cases = [
            (0.1, "0.1"),
            (3.0, "3"),
            (-0.0, "-0"),
            (-2.5e4, "-25000"),
            (1e-7, "1e-7"),
            (1.5e300, "1.5e300"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
        ];
        for (x, text) in cases {
            assert_eq!(number(x), text);
        }
        // Every bit pattern of a spread of finite values survives printing and reading.
        let mut bits: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..10_000 {
            bits = bits
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let x = f64::from_bits(bits);
            if x.is_finite() {
                let back: f64 = number(x).parse().expect("a number");
                assert_eq!(back.to_bits(), x.to_bits(), "{x:e}");
            }
        }
    }

    #[test]
    fn plain_words_are_identifiers_that_are_not_literals() {
        assert!(is_plain_word("same_lower"));
        assert!(!is_plain_word("true"));
        assert!(!is_plain_word("nan"));
        assert!(!is_plain_word("3x3"));
        assert!(!is_plain_word("my layer"));
        assert!(!is_plain_word(""));
    }
}
