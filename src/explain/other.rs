//! Explaining the layers without windows: activations and merges, one position each.

use super::format::{describe_index, flat, wide};
use super::Explained;
use crate::interp::activate_f64;
use crate::ir::{Activation, MergeKind, Tensor};
use crate::render::text::number;

/// The flat offset of a full index in a row-major tensor.
fn offset(shape: &[usize], index: &[usize]) -> usize {
    shape.iter().zip(index).fold(0, |o, (&n, &i)| o * n + i)
}

pub(super) fn activation_at(
    head: &str,
    act: Activation,
    input: &Tensor,
    input_name: &str,
    index: &[usize],
) -> Explained {
    let channels = input.shape.last().copied().unwrap_or(1);
    let channel = index[index.len() - 1];
    let start = offset(&input.shape, index) - channel;
    let x: Vec<f64> = input.data[start..start + channels]
        .iter()
        .map(|&v| f64::from(v))
        .collect();
    let mut y = x.clone();
    activate_f64(act, &mut y);
    let value = y[channel] as f32;
    let step = if act == Activation::Softmax {
        let xs: Vec<String> = x.iter().map(|&v| wide(v)).collect();
        format!(
            "softmax over the {channels} channels of {input_name} at this position, {}: exp(x[{channel}] - max) / sum(exp(x - max)) = {}",
            flat(&xs),
            number(value)
        )
    } else {
        format!(
            "{input_name} here is {}; {}({}) = {}",
            wide(x[channel]),
            act.name(),
            wide(x[channel]),
            number(value)
        )
    };
    let text = format!(
        "{head}, output {}\n  = {}\n\n{step}\nvalue: {}\n",
        describe_index(index, &format!("channel {}", index[index.len() - 1])),
        number(value),
        number(value)
    );
    Explained { text, value }
}

pub(super) fn merge_at(
    head: &str,
    kind: MergeKind,
    inputs: &[&Tensor],
    names: &[&str],
    index: &[usize],
) -> Explained {
    let xs: Vec<f32> = inputs
        .iter()
        .map(|t| t.data[offset(&t.shape, index)])
        .collect();
    let wide_xs = xs.iter().map(|&x| f64::from(x));
    let texts: Vec<String> = xs.iter().map(|&x| number(x)).collect();
    // The interpreter's formulas: sums and products in f64, rounded once; max/min NaN-aware.
    let (value, formula) = match kind {
        MergeKind::Add => (wide_xs.sum::<f64>() as f32, texts.join(" + ")),
        MergeKind::Subtract => (xs[0] - xs[1], texts.join(" - ")),
        MergeKind::Multiply => (wide_xs.product::<f64>() as f32, texts.join(" × ")),
        MergeKind::Maximum => (
            xs.iter().fold(f32::NEG_INFINITY, |m, &x| {
                if m.is_nan() || x.is_nan() {
                    f32::NAN
                } else {
                    m.max(x)
                }
            }),
            format!("max({})", texts.join(", ")),
        ),
        MergeKind::Minimum => (
            xs.iter().fold(f32::INFINITY, |m, &x| {
                if m.is_nan() || x.is_nan() {
                    f32::NAN
                } else {
                    m.min(x)
                }
            }),
            format!("min({})", texts.join(", ")),
        ),
        MergeKind::Average => (
            (wide_xs.sum::<f64>() / xs.len() as f64) as f32,
            format!("({}) / {}", texts.join(" + "), xs.len()),
        ),
    };
    let mut text = format!(
        "{head}, output {}\n  = {}\n\n",
        describe_index(index, &format!("channel {}", index[index.len() - 1])),
        number(value)
    );
    for (name, x) in names.iter().zip(&texts) {
        text.push_str(&format!("{name} here is {x}\n"));
    }
    text.push_str(&format!(
        "{}: {formula} = {}\nvalue: {}\n",
        kind.name(),
        number(value),
        number(value)
    ));
    Explained { text, value }
}

pub(super) fn concatenate_at(
    head: &str,
    inputs: &[&Tensor],
    names: &[&str],
    index: &[usize],
) -> Explained {
    let channel = index[index.len() - 1];
    let mut first = 0;
    for (input, name) in inputs.iter().zip(names) {
        let channels = input.shape.last().copied().unwrap_or(1);
        if channel < first + channels {
            let mut source = index.to_vec();
            let last = source.len() - 1;
            source[last] = channel - first;
            let value = input.data[offset(&input.shape, &source)];
            let span = if channels == 1 {
                format!("channel {first} of the output is the one channel of {name}")
            } else {
                format!(
                    "channels {first}..{} of the output are",
                    first + channels - 1
                )
            };
            let text = format!(
                "{head}, output {}\n  = {}\n\n{span}, so channel {channel} \
                 is channel {} of {name}: {}\nvalue: {}\n",
                describe_index(index, &format!("channel {channel}")),
                number(value),
                channel - first,
                number(value),
                number(value)
            );
            return Explained { text, value };
        }
        first += channels;
    }
    Explained {
        text: format!("{head}: channel {channel} is beyond every input\n"),
        value: 0.0,
    }
}
