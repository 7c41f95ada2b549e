//! Keras's weight initializers, with convc's own deterministic generator.
//!
//! The distributions and fans are Keras's; the random numbers are not. They come from the
//! generator below, which is part of convc's definition: a spec with `init he_normal seed 7`
//! must produce the same weights on every machine and with every version of every crate, so no
//! external RNG crate is used.
//!
//! The generator: SplitMix64 seeded with the spec's seed; a uniform `u` in [0, 1) is the top 53
//! bits of one output times 2⁻⁵³; a standard normal is Box-Muller's cosine branch from two
//! uniforms, `sqrt(-2 ln(1 - u1)) * cos(2π u2)` (the sine branch is not used, so every normal
//! costs exactly two uniforms). Truncated normals redraw any value beyond two standard
//! deviations, as Keras's `TruncatedNormal` does. Everything is computed in f64 and rounded to
//! f32 once.

pub const NAMES: &[&str] = &[
    "zeros",
    "ones",
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "random_uniform",
    "random_normal",
];

/// The standard deviation of a unit normal truncated to [-2, 2]; Keras divides by it so that the
/// truncated distribution has the intended variance.
const TRUNCATED_STDDEV: f64 = 0.879_625_661_034_239_8;

/// `random_uniform`'s Keras defaults.
const UNIFORM_LIMIT: f64 = 0.05;
/// `random_normal`'s Keras default standard deviation.
const NORMAL_STDDEV: f64 = 0.05;

/// `len = product(shape)` values of initializer `name` for a tensor of `shape`.
pub fn initialize(name: &str, shape: &[usize], seed: u64) -> Result<Vec<f32>, String> {
    let len = shape
        .iter()
        .try_fold(1usize, |acc, &dim| acc.checked_mul(dim))
        .ok_or_else(|| format!("the shape {shape:?} has too many elements to initialize"))?;
    let (fan_in, fan_out) = compute_fans(shape)?;
    // Keras divides by max(1, fan), so an empty axis never divides by zero.
    let fan_in = fan_in.max(1) as f64;
    let fan_out = fan_out.max(1) as f64;
    let mut rng = SplitMix64::new(seed);
    let values: Vec<f64> = match name {
        "zeros" => vec![0.0; len],
        "ones" => vec![1.0; len],
        "glorot_uniform" => rng.uniform_values(len, (6.0 / (fan_in + fan_out)).sqrt()),
        "he_uniform" => rng.uniform_values(len, (6.0 / fan_in).sqrt()),
        "random_uniform" => rng.uniform_values(len, UNIFORM_LIMIT),
        "glorot_normal" => {
            let stddev = (2.0 / (fan_in + fan_out)).sqrt() / TRUNCATED_STDDEV;
            (0..len).map(|_| stddev * rng.truncated_normal()).collect()
        }
        "he_normal" => {
            let stddev = (2.0 / fan_in).sqrt() / TRUNCATED_STDDEV;
            (0..len).map(|_| stddev * rng.truncated_normal()).collect()
        }
        "random_normal" => (0..len).map(|_| NORMAL_STDDEV * rng.normal()).collect(),
        _ => {
            return Err(format!(
                "unknown initializer `{name}`; the initializers are {}",
                NAMES.join(", ")
            ))
        }
    };
    Ok(values.into_iter().map(|v| v as f32).collect())
}

/// `(fan_in, fan_out)` as Keras's `compute_fans`: for a kernel `kernel_size + (in, out)` the
/// receptive field (the product of the kernel size) times `in` and `out`.
fn compute_fans(shape: &[usize]) -> Result<(usize, usize), String> {
    let overflow = || format!("the shape {shape:?} is too large to initialize");
    Ok(match shape {
        [] => (1, 1),
        [n] => (*n, *n),
        [rows, cols] => (*rows, *cols),
        [spatial @ .., fan_in, fan_out] => {
            let receptive = spatial
                .iter()
                .try_fold(1usize, |acc, &dim| acc.checked_mul(dim))
                .ok_or_else(overflow)?;
            (
                fan_in.checked_mul(receptive).ok_or_else(overflow)?,
                fan_out.checked_mul(receptive).ok_or_else(overflow)?,
            )
        }
    })
}

/// SplitMix64 (Steele, Lea and Flood, 2014), as in Vigna's reference `splitmix64.c`.
struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    fn new(seed: u64) -> SplitMix64 {
        SplitMix64 { state: seed }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1), from the top 53 bits.
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// `len` values uniform in [-limit, limit).
    fn uniform_values(&mut self, len: usize, limit: f64) -> Vec<f64> {
        (0..len)
            .map(|_| -limit + 2.0 * limit * self.uniform())
            .collect()
    }

    /// A standard normal, Box-Muller's cosine branch. `1 - u1` is in (0, 1], so the logarithm
    /// is finite.
    fn normal(&mut self) -> f64 {
        let u1 = self.uniform();
        let u2 = self.uniform();
        (-2.0 * (1.0 - u1).ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    /// A standard normal redrawn until it lies within two standard deviations (about 95% of
    /// draws do, so this ends quickly).
    fn truncated_normal(&mut self) -> f64 {
        loop {
            let value = self.normal();
            if value.abs() <= 2.0 {
                return value;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mean_and_std(values: &[f32]) -> (f64, f64) {
        let n = values.len() as f64;
        let mean = values.iter().map(|&v| v as f64).sum::<f64>() / n;
        let var = values
            .iter()
            .map(|&v| (v as f64 - mean).powi(2))
            .sum::<f64>()
            / n;
        (mean, var.sqrt())
    }

    #[test]
    fn splitmix64_matches_the_reference() {
        // The first outputs of Vigna's splitmix64.c seeded with 0.
        let mut rng = SplitMix64::new(0);
        assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(rng.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn same_seed_same_values_different_seed_different_values() {
        for name in NAMES {
            let a = initialize(name, &[3, 3, 2, 4], 7).unwrap();
            assert_eq!(a, initialize(name, &[3, 3, 2, 4], 7).unwrap(), "{name}");
            assert_eq!(a.len(), 72);
            if !matches!(*name, "zeros" | "ones") {
                assert_ne!(a, initialize(name, &[3, 3, 2, 4], 8).unwrap(), "{name}");
            }
        }
    }

    #[test]
    fn constants() {
        assert_eq!(initialize("zeros", &[2, 3], 0).unwrap(), vec![0.0; 6]);
        assert_eq!(initialize("ones", &[4], 0).unwrap(), vec![1.0; 4]);
    }

    #[test]
    fn fans_follow_keras() {
        assert_eq!(compute_fans(&[5]).unwrap(), (5, 5));
        assert_eq!(compute_fans(&[2, 3]).unwrap(), (2, 3));
        assert_eq!(compute_fans(&[3, 3, 2, 4]).unwrap(), (18, 36));
        assert_eq!(compute_fans(&[3, 2, 4]).unwrap(), (6, 12));
        assert!(compute_fans(&[usize::MAX, 2, 1, 1]).is_err());
    }

    #[test]
    fn uniform_values_stay_within_their_limits() {
        // glorot_uniform for (3, 3, 2, 4): limit sqrt(6 / (18 + 36)) = 1/3.
        let glorot = initialize("glorot_uniform", &[3, 3, 2, 4], 1).unwrap();
        assert!(glorot.iter().all(|v| v.abs() <= 1.0 / 3.0 + 1e-7));
        // he_uniform: sqrt(6 / 18).
        let he = initialize("he_uniform", &[3, 3, 2, 4], 1).unwrap();
        let limit = (6.0f64 / 18.0).sqrt() as f32;
        assert!(he.iter().all(|v| v.abs() <= limit));
        assert!(he.iter().any(|v| v.abs() > limit * 0.9));
        let random = initialize("random_uniform", &[1000], 1).unwrap();
        assert!(random.iter().all(|v| v.abs() <= 0.05));
    }

    #[test]
    fn truncated_normals_stay_within_two_deviations() {
        // he_normal for (3, 3, 2, 4): stddev sqrt(2 / 18) / 0.8796...
        let stddev = (2.0f64 / 18.0).sqrt() / TRUNCATED_STDDEV;
        let values = initialize("he_normal", &[3, 3, 2, 400], 3).unwrap();
        assert!(values
            .iter()
            .all(|&v| (v as f64).abs() <= 2.0 * stddev + 1e-6));
    }

    #[test]
    fn statistics_are_roughly_right_on_a_big_tensor() {
        let shape = [3, 3, 64, 128];
        let n = 100_000;
        let uniform = initialize("random_uniform", &[n], 5).unwrap();
        let (mean, std) = mean_and_std(&uniform);
        assert!(mean.abs() < 0.001, "{mean}");
        assert!((std - 0.1 / 12f64.sqrt()).abs() < 0.001, "{std}");

        let normal = initialize("random_normal", &[n], 5).unwrap();
        let (mean, std) = mean_and_std(&normal);
        assert!(mean.abs() < 0.001, "{mean}");
        assert!((std - 0.05).abs() < 0.001, "{std}");

        // The truncated normals are scaled so that their variance is Keras's target, 2/fan_in.
        let he = initialize("he_normal", &shape, 5).unwrap();
        let (mean, std) = mean_and_std(&he);
        let target = (2.0f64 / (9.0 * 64.0)).sqrt();
        assert!(mean.abs() < 0.001, "{mean}");
        assert!((std / target - 1.0).abs() < 0.02, "{std} vs {target}");

        let glorot = initialize("glorot_normal", &shape, 5).unwrap();
        let (_, std) = mean_and_std(&glorot);
        let target = (2.0f64 / (9.0 * 64.0 + 9.0 * 128.0)).sqrt();
        assert!((std / target - 1.0).abs() < 0.02, "{std} vs {target}");
    }

    #[test]
    fn empty_fans_and_huge_shapes_do_not_fail_badly() {
        assert_eq!(
            initialize("he_normal", &[3, 0, 4], 0).unwrap(),
            Vec::<f32>::new()
        );
        assert_eq!(
            initialize("glorot_uniform", &[0], 0).unwrap(),
            Vec::<f32>::new()
        );
        assert!(initialize("glorot_uniform", &[usize::MAX, 3], 0).is_err());
        assert!(initialize("banana", &[1], 0)
            .unwrap_err()
            .contains("glorot_uniform"));
    }
}
