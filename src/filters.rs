//! The built-in library of hand-crafted 2-D filters (docs/language.md, "Built-in filters").
//!
//! Filters are computed in 64-bit and rounded to f32 once, by the checker. Arguments arrive as
//! `f64` because both syntaxes read every number that way; sizes must be whole numbers.

/// A 2-D filter, row-major, in 64-bit (rounded to f32 once, by the checker).
#[derive(Debug, Clone, PartialEq)]
pub struct Filter2d {
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<f64>,
}

impl Filter2d {
    fn square(size: usize, data: Vec<f64>) -> Filter2d {
        Filter2d {
            rows: size,
            cols: size,
            data,
        }
    }

    /// A fixed 3x3 filter.
    fn fixed(data: [f64; 9]) -> Filter2d {
        Filter2d::square(3, data.to_vec())
    }

    /// The transpose: `sobel_y` is `sobel_x` transposed, and so on.
    fn transposed(&self) -> Filter2d {
        let mut data = Vec::with_capacity(self.data.len());
        for col in 0..self.cols {
            for row in 0..self.rows {
                data.push(self.data[row * self.cols + col]);
            }
        }
        Filter2d {
            rows: self.cols,
            cols: self.rows,
            data,
        }
    }
}

pub const NAMES: &[&str] = &[
    "vertical_line",
    "horizontal_line",
    "identity",
    "box",
    "gaussian",
    "sobel_x",
    "sobel_y",
    "scharr_x",
    "scharr_y",
    "prewitt_x",
    "prewitt_y",
    "laplacian",
    "laplacian8",
    "sharpen",
    "emboss",
];

/// The largest side a sized filter (`box(n)`, `gaussian(n)`, `identity(n)`) may have. A filter
/// is a literal a person asks for; this bounds the memory a typo like `box(1e9)` could take.
pub const MAX_SIZE: usize = 4096;

const SOBEL_X: [f64; 9] = [-1., 0., 1., -2., 0., 2., -1., 0., 1.];
const SCHARR_X: [f64; 9] = [-3., 0., 3., -10., 0., 10., -3., 0., 3.];
const PREWITT_X: [f64; 9] = [-1., 0., 1., -1., 0., 1., -1., 0., 1.];

/// The filter called `name` with numeric `args`, or a message saying what is wrong.
pub fn builtin(name: &str, args: &[f64]) -> Result<Filter2d, String> {
    match name {
        "identity" => identity(args),
        "box" => box_filter(args),
        "gaussian" => gaussian(args),
        _ => {
            let filter = fixed(name).ok_or_else(|| {
                format!(
                    "unknown filter `{name}`; the built-in filters are {}",
                    NAMES.join(", ")
                )
            })?;
            if !args.is_empty() {
                return Err(format!(
                    "`{name}` takes no arguments, but {} {} given; write `{name}`",
                    args.len(),
                    if args.len() == 1 { "was" } else { "were" }
                ));
            }
            Ok(filter)
        }
    }
}

/// The filters that take no arguments.
fn fixed(name: &str) -> Option<Filter2d> {
    let filter = match name {
        "vertical_line" => Filter2d::fixed([0., 1., 0., 0., 1., 0., 0., 1., 0.]),
        "horizontal_line" => Filter2d::fixed([0., 0., 0., 1., 1., 1., 0., 0., 0.]),
        "sobel_x" => Filter2d::fixed(SOBEL_X),
        "sobel_y" => Filter2d::fixed(SOBEL_X).transposed(),
        "scharr_x" => Filter2d::fixed(SCHARR_X),
        "scharr_y" => Filter2d::fixed(SCHARR_X).transposed(),
        "prewitt_x" => Filter2d::fixed(PREWITT_X),
        "prewitt_y" => Filter2d::fixed(PREWITT_X).transposed(),
        "laplacian" => Filter2d::fixed([0., 1., 0., 1., -4., 1., 0., 1., 0.]),
        "laplacian8" => Filter2d::fixed([1., 1., 1., 1., -8., 1., 1., 1., 1.]),
        "sharpen" => Filter2d::fixed([0., -1., 0., -1., 5., -1., 0., -1., 0.]),
        "emboss" => Filter2d::fixed([-2., -1., 0., -1., 1., 1., 0., 1., 2.]),
        _ => return None,
    };
    Some(filter)
}

/// `identity` (3x3) or `identity(n)` for odd `n`: 1 in the centre, 0 elsewhere.
fn identity(args: &[f64]) -> Result<Filter2d, String> {
    let size = match args {
        [] => 3,
        [n] => odd_size("identity", *n)?,
        _ => {
            return Err(arity(
                "identity",
                args.len(),
                "`identity` or `identity(n)` with odd n",
            ))
        }
    };
    let mut data = vec![0.0; size * size];
    data[size * size / 2] = 1.0;
    Ok(Filter2d::square(size, data))
}

/// `box(n)`: an n x n mean filter.
fn box_filter(args: &[f64]) -> Result<Filter2d, String> {
    let size = match args {
        [n] => size_arg("box", *n)?,
        _ => return Err(arity("box", args.len(), "`box(n)`, for example `box(3)`")),
    };
    let value = 1.0 / (size * size) as f64;
    Ok(Filter2d::square(size, vec![value; size * size]))
}

/// `gaussian(n, sigma)`, computed as OpenCV's `getGaussianKernel` with a positive sigma: the
/// 1-D kernel `exp(-(i - (n-1)/2)² / (2σ²))` normalised to sum 1, and the 2-D filter its outer
/// product with itself (so it sums to 1 too).
fn gaussian(args: &[f64]) -> Result<Filter2d, String> {
    let usage = "`gaussian(n)` or `gaussian(n, sigma)` with odd n and sigma > 0";
    let (size, sigma) = match args {
        [n] => {
            let size = odd_size("gaussian", *n)?;
            (size, default_sigma(size))
        }
        [n, sigma] => {
            let size = odd_size("gaussian", *n)?;
            if !(sigma.is_finite() && *sigma > 0.0) {
                return Err(format!(
                    "the sigma of `gaussian` must be a positive number, not {sigma}; write {usage}"
                ));
            }
            (size, *sigma)
        }
        _ => return Err(arity("gaussian", args.len(), usage)),
    };
    let centre = (size as f64 - 1.0) / 2.0;
    let mut kernel: Vec<f64> = (0..size)
        .map(|i| {
            let offset = i as f64 - centre;
            (-(offset * offset) / (2.0 * sigma * sigma)).exp()
        })
        .collect();
    let sum: f64 = kernel.iter().sum();
    // The centre tap is exp(0) = 1, so the sum is at least 1 and never zero.
    for value in &mut kernel {
        *value /= sum;
    }
    let data = kernel
        .iter()
        .flat_map(|row| kernel.iter().map(move |col| row * col))
        .collect();
    Ok(Filter2d::square(size, data))
}

/// OpenCV's default sigma for a Gaussian of size `n`.
fn default_sigma(size: usize) -> f64 {
    0.3 * ((size as f64 - 1.0) * 0.5 - 1.0) + 0.8
}

/// A filter side length: a whole number in `1..=MAX_SIZE`.
fn size_arg(name: &str, value: f64) -> Result<usize, String> {
    if value.fract() != 0.0 || !(1.0..=MAX_SIZE as f64).contains(&value) {
        return Err(format!(
            "the size of `{name}` must be a whole number from 1 to {MAX_SIZE}, not {value}"
        ));
    }
    Ok(value as usize)
}

/// A side length that must also be odd, so that the filter has a centre.
fn odd_size(name: &str, value: f64) -> Result<usize, String> {
    let size = size_arg(name, value)?;
    if size % 2 == 0 {
        return Err(format!(
            "the size of `{name}` must be odd so that the filter has a centre, not {size}; \
             try {} or {}",
            size - 1,
            size + 1
        ));
    }
    Ok(size)
}

fn arity(name: &str, given: usize, usage: &str) -> String {
    format!("`{name}` was given {given} arguments; write {usage}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(actual: &[f64], expected: &[f64]) {
        assert_eq!(actual.len(), expected.len());
        for (a, e) in actual.iter().zip(expected) {
            assert!((a - e).abs() < 1e-15, "{actual:?} != {expected:?}");
        }
    }

    #[test]
    fn every_name_is_buildable_with_its_simplest_arguments() {
        for name in NAMES {
            let args: &[f64] = if matches!(*name, "box" | "gaussian") {
                &[3.0]
            } else {
                &[]
            };
            let filter = builtin(name, args).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(filter.data.len(), filter.rows * filter.cols, "{name}");
        }
    }

    #[test]
    fn derivative_filters_are_transposes() {
        let sobel_y = builtin("sobel_y", &[]).unwrap();
        assert_eq!(sobel_y.data, vec![-1., -2., -1., 0., 0., 0., 1., 2., 1.]);
        let scharr_y = builtin("scharr_y", &[]).unwrap();
        assert_eq!(scharr_y.data, vec![-3., -10., -3., 0., 0., 0., 3., 10., 3.]);
        let prewitt_y = builtin("prewitt_y", &[]).unwrap();
        assert_eq!(prewitt_y.data, vec![-1., -1., -1., 0., 0., 0., 1., 1., 1.]);
    }

    #[test]
    fn identity_has_one_in_the_centre() {
        let three = builtin("identity", &[]).unwrap();
        assert_eq!(three.data, vec![0., 0., 0., 0., 1., 0., 0., 0., 0.]);
        let five = builtin("identity", &[5.0]).unwrap();
        assert_eq!((five.rows, five.cols), (5, 5));
        assert_eq!(five.data[12], 1.0);
        assert_eq!(five.data.iter().sum::<f64>(), 1.0);
    }

    #[test]
    fn box_is_a_mean() {
        let filter = builtin("box", &[2.0]).unwrap();
        assert_eq!(filter.data, vec![0.25; 4]);
    }

    #[test]
    fn gaussian_3_uses_opencv_default_sigma() {
        // sigma = 0.3 * ((3 - 1) * 0.5 - 1) + 0.8 = 0.8; the 1-D taps are exp(-1 / 1.28) and 1,
        // normalised: [0.2389942656229905, 0.5220114687540189, 0.2389942656229905] (Python).
        let filter = builtin("gaussian", &[3.0]).unwrap();
        let (corner, edge, centre) = (0.05711825900067254, 0.1247577476216454, 0.2724959735107281);
        close(
            &filter.data,
            &[
                corner, edge, corner, edge, centre, edge, corner, edge, corner,
            ],
        );
    }

    #[test]
    fn gaussian_with_sigma_sums_to_one() {
        let filter = builtin("gaussian", &[5.0, 1.5]).unwrap();
        // The outer product of [0.12007838424321347, 0.2338807565853503, 0.29208171834287244,
        // ...] (Python): corner = 0.1200...², centre = 0.2920...².
        assert!((filter.data[0] - 0.014418818362460818).abs() < 1e-15);
        assert!((filter.data[12] - 0.29208171834287244f64.powi(2)).abs() < 1e-15);
        assert!((filter.data.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(builtin("gaussian", &[1.0]).unwrap().data == vec![1.0]);
    }

    #[test]
    fn bad_arguments_say_what_is_valid() {
        let message = |name: &str, args: &[f64]| builtin(name, args).unwrap_err();
        assert!(message("box", &[0.0]).contains("from 1 to 4096"));
        assert!(message("box", &[2.5]).contains("whole number"));
        assert!(message("box", &[]).contains("box(n)"));
        assert!(message("box", &[1e9]).contains("from 1 to 4096"));
        assert!(message("box", &[f64::NAN]).contains("whole number"));
        assert!(message("gaussian", &[4.0]).contains("try 3 or 5"));
        assert!(message("gaussian", &[3.0, 0.0]).contains("positive"));
        assert!(message("gaussian", &[3.0, f64::INFINITY]).contains("positive"));
        assert!(message("gaussian", &[3.0, 1.0, 1.0]).contains("gaussian(n, sigma)"));
        assert!(message("identity", &[2.0]).contains("odd"));
        assert!(message("sobel_x", &[3.0]).contains("takes no arguments"));
        assert!(message("sobel", &[]).contains("sobel_x"));
    }
}
