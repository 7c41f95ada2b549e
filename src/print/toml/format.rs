//! TOML spellings of numbers, strings, keys and lists.

use crate::ast::ArgValue;

/// Data arrays longer than this are wrapped, this many numbers per line.
const NUMBERS_PER_LINE: usize = 16;

/// Integers up to this magnitude are exact in `f64` (and well inside TOML's 64-bit integers).
const MAX_EXACT_INTEGER: f64 = 9_007_199_254_740_992.0;

/// A tensor value: whole numbers without a fraction (`1`, as in PRODUCT.md's example),
/// everything else as a float that reads back to the same `f64`.
pub(super) fn number(x: f64) -> String {
    let negative_zero = x == 0.0 && x.is_sign_negative();
    if x.fract() == 0.0 && x.abs() < MAX_EXACT_INTEGER && !negative_zero {
        format!("{x}")
    } else {
        float(x)
    }
}

/// Always a TOML float, never an integer: an argument written `2.0` must stay a float.
pub(super) fn float(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.into();
    }
    if x.fract() == 0.0 && x.abs() < MAX_EXACT_INTEGER {
        return format!("{x:.1}");
    }
    // Both are Rust's shortest round-trip digits; `{}` never uses an exponent, so 1e-30 would
    // be 32 characters long.
    let plain = format!("{x}");
    let scientific = format!("{x:e}");
    if plain.contains('.') && plain.len() <= scientific.len() {
        plain
    } else {
        scientific
    }
}

/// `[0, 1, 0]`, or for long data one row of the tensor per line (see [`per_line`]).
pub(super) fn numbers(values: &[f64], shape: Option<&[usize]>) -> String {
    let texts: Vec<String> = values.iter().map(|&x| number(x)).collect();
    if texts.len() <= NUMBERS_PER_LINE {
        return format!("[{}]", texts.join(", "));
    }
    let mut out = String::from("[\n");
    for chunk in texts.chunks(per_line(shape)) {
        out.push_str("    ");
        out.push_str(&chunk.join(", "));
        out.push_str(",\n");
    }
    out.push(']');
    out
}

/// Values per line of a long data array. Rows of the tensor (the trailing axes, for an image
/// `cols x channels`) are kept whole so that the text looks like the picture, as long as a row
/// has at least 4 and at most [`NUMBERS_PER_LINE`] values; shorter rows (a few channels) are
/// packed several to a line, and longer ones are cut at [`NUMBERS_PER_LINE`].
fn per_line(shape: Option<&[usize]>) -> usize {
    let mut row = 1usize;
    for &dim in shape.unwrap_or_default().iter().rev() {
        match row.checked_mul(dim) {
            Some(longer) if longer <= NUMBERS_PER_LINE => row = longer,
            _ => break,
        }
    }
    match row {
        0 => NUMBERS_PER_LINE,
        1..4 => row * (NUMBERS_PER_LINE / row),
        _ => row,
    }
}

/// `[1, 8, 1]`.
pub(super) fn size_list(sizes: &[u64]) -> String {
    let texts: Vec<String> = sizes.iter().map(u64::to_string).collect();
    format!("[{}]", texts.join(", "))
}

/// A TOML basic string, with the escapes TOML requires.
pub(super) fn string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A key: bare when TOML allows it (`signal`), quoted otherwise (`"my signal"`).
pub(super) fn key(name: &str) -> String {
    let bare = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        name.to_string()
    } else {
        string(name)
    }
}

/// A layer argument as written: ints stay ints and floats stay floats.
pub(super) fn arg_value(value: &ArgValue) -> String {
    match value {
        ArgValue::Int(i) => i.to_string(),
        ArgValue::Float(x) => float(*x),
        ArgValue::Bool(b) => b.to_string(),
        ArgValue::Word(word) => string(word),
        ArgValue::Tuple(items) => {
            let texts: Vec<String> = items.iter().map(|item| arg_value(&item.value)).collect();
            format!("[{}]", texts.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short_and_exact() {
        assert_eq!(number(1.0), "1");
        assert_eq!(number(-4.0), "-4");
        assert_eq!(number(0.1), "0.1");
        assert_eq!(number(-0.0), "-0.0");
        assert_eq!(number(1e-7), "1e-7");
        assert_eq!(number(6.02e23), "6.02e23");
        assert_eq!(number(2.5e-38), "2.5e-38");
        assert_eq!(number(f64::NAN), "nan");
        assert_eq!(number(f64::NEG_INFINITY), "-inf");
        assert_eq!(number(1.0 / 3.0), "0.3333333333333333");
        assert_eq!(number(9007199254740992.0), "9.007199254740992e15");
        assert_eq!(float(2.0), "2.0");
        assert_eq!(float(1e300), "1e300");
        for x in [
            0.1,
            1.0 / 3.0,
            1e-7,
            6.02e23,
            2.5e-38,
            0.30000000000000004,
            1e300,
            5e-324,
        ] {
            assert_eq!(number(x).parse::<f64>(), Ok(x));
            assert_eq!(float(x).parse::<f64>(), Ok(x));
        }
    }

    #[test]
    fn long_lists_wrap() {
        assert_eq!(numbers(&[0.0, 1.0, 0.5], None), "[0, 1, 0.5]");
        let wrapped = numbers(&[1.0; 17], None);
        assert_eq!(wrapped.lines().count(), 4, "{wrapped}");
        assert!(wrapped.ends_with("    1,\n]"));
    }

    #[test]
    fn long_data_keeps_rows_on_lines() {
        assert_eq!(per_line(Some(&[1, 8, 8, 1])), 8);
        assert_eq!(per_line(Some(&[3, 3, 2, 4])), 8);
        assert_eq!(per_line(Some(&[5, 5, 3])), 15);
        assert_eq!(per_line(Some(&[1, 100, 3])), 15);
        assert_eq!(per_line(Some(&[1, 28, 28, 1])), 16);
        assert_eq!(per_line(Some(&[1, 0, 4])), 16);
        assert_eq!(per_line(Some(&[usize::MAX, usize::MAX])), 16);
        assert_eq!(per_line(None), 16);
    }

    #[test]
    fn strings_and_keys_are_escaped() {
        assert_eq!(string("a\"b\\c\n\u{1}"), "\"a\\\"b\\\\c\\n\\u0001\"");
        assert_eq!(key("signal_2"), "signal_2");
        assert_eq!(key("my signal"), "\"my signal\"");
        assert_eq!(key(""), "\"\"");
    }
}
