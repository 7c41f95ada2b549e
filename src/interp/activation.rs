//! Keras 3's activations, computed in f64.
//!
//! The formulas are Keras's, written as Keras writes them, with one deliberate difference in
//! form (never in value): `softplus` and `gelu` use the numerically stable equivalent.
//!
//! Non-finite inputs never panic. NaN propagates through every activation, as in JAX (one of
//! Keras 3's backends): `relu(NaN)` is NaN, not 0 — `jnp.maximum` propagates NaN, while Rust's
//! `f64::max` would silently drop it, so the clamps below test for NaN first. Infinities follow
//! the formulas as written, again like Keras: `relu(inf) = inf`, `sigmoid(-inf) = 0`, but
//! `silu(-inf) = -inf * 0` and `gelu(-inf)` are NaN, and `softsign(inf) = inf/inf` is NaN.
//! Softmax over a vector containing `+inf` (or only `-inf`) is NaN, as `x - max(x)` is.

use super::erf::erfc;
use crate::ir::Activation;
use std::f64::consts::FRAC_1_SQRT_2;

/// Keras's `selu` constants (Klambauer et al. 2017), to the precision Keras writes them.
const SELU_ALPHA: f64 = 1.673_263_242_354_377_284_817_042_991_671_7;
const SELU_SCALE: f64 = 1.050_700_987_355_480_493_419_334_985_294_6;

/// `leaky_relu`'s default `negative_slope` in Keras 3. The exact decimal 0.2 (as an f64), not
/// f32's 0.2000000030: the f32 product Keras forms differs from ours by f32 rounding only.
const LEAKY_SLOPE: f64 = 0.2;

/// Applies `act` in place to channels-last f32 data whose last axis has `channels` entries:
/// each value is widened to f64, activated, and rounded to f32 once. `channels` matters only to
/// `softmax`, which normalises over each run of `channels` consecutive values.
pub fn activate(act: Activation, data: &mut [f32], channels: usize) {
    if channels == 0 {
        // No channels means no data: nothing to do (and `chunks_mut(0)` would panic).
        return;
    }
    let mut wide = vec![0.0_f64; channels];
    for position in data.chunks_mut(channels) {
        for (w, &x) in wide.iter_mut().zip(position.iter()) {
            *w = f64::from(x);
        }
        let wide = &mut wide[..position.len()];
        activate_f64(act, wide);
        for (x, &w) in position.iter_mut().zip(wide.iter()) {
            *x = w as f32;
        }
    }
}

/// Applies `act` in place to the channel vector of one position, in f64 (a convolution
/// activates its f64 sums before rounding, so that its output is rounded once).
pub(super) fn activate_f64(act: Activation, channels: &mut [f64]) {
    if act == Activation::Softmax {
        softmax(channels);
    } else {
        for x in channels.iter_mut() {
            *x = elementwise(act, *x);
        }
    }
}

/// Every activation but softmax, at one point.
fn elementwise(act: Activation, x: f64) -> f64 {
    match act {
        Activation::Linear => x,
        Activation::Relu => relu(x),
        Activation::Relu6 => relu6(x),
        Activation::LeakyRelu => {
            if x >= 0.0 {
                x
            } else {
                LEAKY_SLOPE * x
            }
        }
        // `exp_m1` keeps the relative accuracy of exp(x) - 1 near 0.
        Activation::Elu => {
            if x > 0.0 {
                x
            } else {
                x.exp_m1()
            }
        }
        Activation::Selu => SELU_SCALE * if x > 0.0 { x } else { SELU_ALPHA * x.exp_m1() },
        Activation::Sigmoid => sigmoid(x),
        Activation::HardSigmoid => relu6(x + 3.0) / 6.0,
        Activation::Tanh => x.tanh(),
        // log(1 + exp(x)), rearranged so that exp never overflows:
        // log(1 + exp(x)) = log(1 + exp(-|x|)) + max(x, 0).
        Activation::Softplus => (-x.abs()).exp().ln_1p() + relu(x),
        Activation::Softsign => x / (1.0 + x.abs()),
        Activation::Silu => x * sigmoid(x),
        // 0.5 x (1 + erf(x/sqrt 2)) = 0.5 x erfc(-x/sqrt 2): the same number, but for negative
        // x the erfc form keeps the tiny result's relative accuracy instead of cancelling.
        Activation::Gelu => 0.5 * x * erfc(-x * FRAC_1_SQRT_2),
        Activation::Exponential => x.exp(),
        // `activate_f64` softmaxes whole channel vectors; one value alone is a vector of one.
        Activation::Softmax => {
            let mut alone = [x];
            softmax(&mut alone);
            alone[0]
        }
    }
}

/// `max(x, 0)`, with NaN propagated and `relu(-0) = +0`.
fn relu(x: f64) -> f64 {
    if x > 0.0 || x.is_nan() {
        x
    } else {
        0.0
    }
}

/// `min(max(x, 0), 6)`, with NaN propagated.
fn relu6(x: f64) -> f64 {
    if x > 6.0 {
        6.0
    } else {
        relu(x)
    }
}

/// `1 / (1 + exp(-x))`: for large negative `x`, `exp(-x)` overflows to inf and the result is
/// the correct limit 0.
fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// `exp(x - max) / sum(exp(x - max))`: subtracting the maximum (as Keras does) keeps every
/// exponent at most 0, so nothing overflows.
fn softmax(values: &mut [f64]) {
    let max = values.iter().copied().fold(f64::NEG_INFINITY, |m, x| {
        if m.is_nan() || x.is_nan() {
            f64::NAN
        } else {
            m.max(x)
        }
    });
    let mut sum = 0.0;
    for x in values.iter_mut() {
        *x = (*x - max).exp();
        sum += *x;
    }
    for x in values.iter_mut() {
        *x /= sum;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(act: Activation, x: f64) -> f64 {
        let mut v = [x];
        activate_f64(act, &mut v);
        v[0]
    }

    /// Expected values are the closed forms evaluated to 30 digits (mpmath), not this code.
    fn assert_close(act: Activation, x: f64, want: f64) {
        assert_within(act, x, want, 1e-15);
    }

    fn assert_within(act: Activation, x: f64, want: f64, relative: f64) {
        let got = at(act, x);
        let tolerance = relative * want.abs().max(f64::MIN_POSITIVE);
        assert!(
            (got - want).abs() <= tolerance,
            "{}({x}) = {got}, want {want}",
            act.name()
        );
    }

    #[test]
    fn piecewise_linear_activations() {
        use Activation::*;
        for (act, x, want) in [
            (Linear, -2.5, -2.5),
            (Relu, -1.0, 0.0),
            (Relu, 2.5, 2.5),
            (Relu6, 7.0, 6.0),
            (Relu6, 3.0, 3.0),
            (Relu6, -1.0, 0.0),
            // slope 0.2 below zero: 0.2 * -1.
            (LeakyRelu, -1.0, -0.2),
            (LeakyRelu, 3.0, 3.0),
            // relu6(x + 3) / 6: relu6(3)/6, relu6(4)/6, relu6(-1)/6, relu6(7)/6.
            (HardSigmoid, 0.0, 0.5),
            (HardSigmoid, 1.0, 4.0 / 6.0),
            (HardSigmoid, -4.0, 0.0),
            (HardSigmoid, 4.0, 1.0),
            // x / (1 + |x|): 1/2, -3/4.
            (Softsign, 1.0, 0.5),
            (Softsign, -3.0, -0.75),
        ] {
            assert_eq!(at(act, x), want, "{}({x})", act.name());
        }
        assert_eq!(at(Relu, -0.0).to_bits(), 0.0_f64.to_bits());
    }

    #[test]
    fn exponential_family() {
        use Activation::*;
        // elu(-1) = e^-1 - 1; selu(-1) = scale * alpha * (e^-1 - 1); selu(1) = scale.
        assert_close(Elu, -1.0, -0.632_120_558_828_557_7);
        assert_close(Elu, 2.0, 2.0);
        assert_close(Selu, -1.0, -1.111_330_737_812_562_8);
        assert_close(Selu, 1.0, 1.050_700_987_355_480_5);
        // 1/(1+e^-1), 1/(1+e).
        assert_close(Sigmoid, 1.0, 0.731_058_578_630_004_9);
        assert_close(Sigmoid, -1.0, 0.268_941_421_369_995_1);
        assert_close(Sigmoid, 0.0, 0.5);
        assert_close(Tanh, 1.0, 0.761_594_155_955_764_9);
        // ln 2, ln(1+e), ln(1+1/e); and 1000 without overflow.
        assert_close(Softplus, 0.0, std::f64::consts::LN_2);
        assert_close(Softplus, 1.0, 1.313_261_687_518_222_8);
        assert_close(Softplus, -1.0, 0.313_261_687_518_222_8);
        assert_close(Softplus, 1000.0, 1000.0);
        // x * sigmoid(x).
        assert_close(Silu, 1.0, 0.731_058_578_630_004_9);
        assert_close(Silu, -1.0, -0.268_941_421_369_995_1);
        assert_close(Exponential, 1.0, std::f64::consts::E);
    }

    #[test]
    fn gelu_is_exact() {
        use Activation::Gelu;
        // 0.5 x (1 + erf(x / sqrt 2)) = x * Phi(x): Phi(1) = 0.8413447460685429,
        // -1 * Phi(-1) = -0.15865525393145705, 2 * Phi(2) = 2 * 0.9772498680518208.
        assert_close(Gelu, 1.0, 0.841_344_746_068_542_9);
        assert_close(Gelu, -1.0, -0.158_655_253_931_457_05);
        assert_close(Gelu, 2.0, 1.954_499_736_103_641_6);
        assert_eq!(at(Gelu, 0.0), 0.0);
        // -10 * Phi(-10) = -7.619853024160526e-23: tiny, but an f32 can hold it; the naive
        // 1 + erf(-7.07) would give exactly 0. Rounding the argument -x/sqrt(2) = 7.07 costs a
        // relative error of ~1e-16, which erfc amplifies by 2*7.07^2 = 100: allow 1e-13.
        assert_within(Gelu, -10.0, -7.619_853_024_160_526e-23, 1e-13);
    }

    #[test]
    fn softmax_normalises_over_channels() {
        // e^k / (e + e^2 + e^3) for k = 1, 2, 3.
        let mut v = [1.0, 2.0, 3.0];
        activate_f64(Activation::Softmax, &mut v);
        let want = [
            0.090_030_573_170_380_46,
            0.244_728_471_054_797_65,
            0.665_240_955_774_821_9,
        ];
        for (got, want) in v.iter().zip(want) {
            assert!((got - want).abs() <= 3e-16, "{got} vs {want}");
        }
        assert!((v.iter().sum::<f64>() - 1.0).abs() <= 2e-16);
        // Without the max subtraction e^1000 would overflow.
        let mut big = [1000.0, 1000.0];
        activate_f64(Activation::Softmax, &mut big);
        assert_eq!(big, [0.5, 0.5]);
    }

    #[test]
    fn activate_softmaxes_each_position_and_rounds_once() {
        // Two positions of two channels: softmax(0, 0) = (0.5, 0.5); softmax(0, ln 3) would be
        // (0.25, 0.75) but ln 3 is not an f32, so use (0, 0) and (5, 5) -> all 0.5.
        let mut data = [0.0_f32, 0.0, 5.0, 5.0];
        activate(Activation::Softmax, &mut data, 2);
        assert_eq!(data, [0.5; 4]);
        // sigmoid(1) = 0.7310585786300049 rounds to the f32 0.7310586.
        let mut data = [1.0_f32];
        activate(Activation::Sigmoid, &mut data, 1);
        assert_eq!(data, [0.731_058_6_f32]);
        let mut empty: [f32; 0] = [];
        activate(Activation::Softmax, &mut empty, 0);
    }

    #[test]
    fn non_finite_inputs_do_not_panic() {
        for act in Activation::ALL {
            assert!(at(act, f64::NAN).is_nan(), "{}(NaN)", act.name());
            for x in [f64::INFINITY, f64::NEG_INFINITY] {
                let _ = at(act, x);
            }
        }
        assert_eq!(at(Activation::Relu, f64::INFINITY), f64::INFINITY);
        assert_eq!(at(Activation::Sigmoid, f64::NEG_INFINITY), 0.0);
        assert_eq!(at(Activation::Softplus, f64::NEG_INFINITY), 0.0);
        assert_eq!(at(Activation::Gelu, f64::INFINITY), f64::INFINITY);
        let mut v = [1.0, f64::NAN];
        activate_f64(Activation::Softmax, &mut v);
        assert!(v.iter().all(|x| x.is_nan()));
    }
}
