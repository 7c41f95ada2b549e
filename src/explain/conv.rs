//! Explaining a convolution: the patch under the filter, the weights, the products, the sums,
//! the bias and the activation.

use super::format::{axis_names, describe_index, flat, grid, side_by_side, wide};
use super::Explained;
use crate::interp::{activate_f64, border_index};
use crate::ir::{Conv, PaddingMode, Tensor};
use crate::render::text::number;
use std::fmt::Write;

/// Past this many input channels per filter, only the first few get a full patch/filter/products
/// block; the rest are summarised by their sums.
const MAX_CHANNEL_BLOCKS: usize = 8;

/// What one filter sees at one output position.
struct Window {
    /// Per tap (row-major over the kernel): whether the tap lands on padding.
    padded: Vec<bool>,
    /// Per input channel of the group, per tap: the value read, `None` for a zero-padded cell
    /// (which the interpreter skips: it contributes nothing, even against an infinite weight).
    cells: Vec<Vec<Option<f32>>>,
    /// Per input channel of the group, per tap: the weight.
    weights: Vec<Vec<f32>>,
    /// Per input channel: the sum of its products, in f64.
    channel_sums: Vec<f64>,
    /// The sum over every tap and channel, in the interpreter's order (taps outer, channels
    /// inner) and precision, so that the final value is bit-for-bit the interpreter's.
    total: f64,
}

fn window(conv: &Conv, input: &Tensor, batch: usize, out_pos: &[usize], filter: usize) -> Window {
    let kernel_size = conv.kernel_size();
    let taps: usize = kernel_size.iter().product();
    let cpg = conv.channels_per_group();
    let first_channel = filter / conv.filters_per_group() * cpg;
    let in_cells: usize = conv.axes.iter().map(|a| a.in_len).product();
    let mut w = Window {
        padded: vec![false; taps],
        cells: vec![vec![None; taps]; cpg],
        weights: vec![vec![0.0; taps]; cpg],
        channel_sums: vec![0.0; cpg],
        total: 0.0,
    };
    for tap_index in 0..taps {
        let tap = unravel(&kernel_size, tap_index);
        // The cell this tap reads, axis by axis, as the interpreter maps it.
        let mut cell = Some(0usize);
        for ((axis, &o), &t) in conv.axes.iter().zip(out_pos).zip(&tap) {
            let index = axis.input_index(o, t);
            if index < 0 || index >= axis.in_len as isize {
                w.padded[tap_index] = true;
            }
            cell = match (cell, border_index(index, axis.in_len, conv.padding_mode)) {
                (Some(c), Some(i)) => Some(c * axis.in_len + i),
                _ => None,
            };
        }
        for ci in 0..cpg {
            let weight = conv.kernel[(tap_index * cpg + ci) * conv.filters + filter];
            w.weights[ci][tap_index] = weight;
            if let Some(cell) = cell {
                let x =
                    input.data[(batch * in_cells + cell) * conv.in_channels + first_channel + ci];
                w.cells[ci][tap_index] = Some(x);
                let product = f64::from(x) * f64::from(weight);
                w.total += product;
                w.channel_sums[ci] += product;
            }
        }
    }
    w
}

/// The index of `flat` in a row-major array of `shape`.
fn unravel(shape: &[usize], mut flat: usize) -> Vec<usize> {
    let mut index = vec![0; shape.len()];
    for a in (0..shape.len()).rev() {
        index[a] = flat % shape[a];
        flat /= shape[a];
    }
    index
}

/// Every filter's value before the activation at one position, and after it (softmax mixes
/// the filters, so all are needed to activate one).
fn activated(conv: &Conv, input: &Tensor, batch: usize, out_pos: &[usize]) -> (Vec<f64>, Vec<f64>) {
    let pre: Vec<f64> = (0..conv.filters)
        .map(|f| window(conv, input, batch, out_pos, f).total + bias(conv, f))
        .collect();
    let mut post = pre.clone();
    activate_f64(conv.activation, &mut post);
    (pre, post)
}

fn bias(conv: &Conv, filter: usize) -> f64 {
    conv.bias.as_ref().map_or(0.0, |b| f64::from(b[filter]))
}

/// A cell as written in a patch: `(x)` marks a padded cell, `x` being what it reads.
fn cell_text(cell: Option<f32>, padded: bool) -> String {
    match (cell, padded) {
        (Some(x), false) => number(x),
        (Some(x), true) => format!("({})", number(x)),
        (None, _) => "(0)".into(),
    }
}

fn filter_label(conv: &Conv, filter: usize) -> String {
    match conv.filter_names.get(filter).and_then(Option::as_ref) {
        Some(name) => format!("filter {filter} `{name}`"),
        None => format!("filter {filter}"),
    }
}

/// The value at the full output index `(batch, spatial..., filter)`.
pub(super) fn at(
    head: &str,
    conv: &Conv,
    input: &Tensor,
    input_name: &str,
    index: &[usize],
) -> Explained {
    let (batch, filter) = (index[0], index[index.len() - 1]);
    let out_pos = &index[1..index.len() - 1];
    let w = window(conv, input, batch, out_pos, filter);
    let (pre, post) = activated(conv, input, batch, out_pos);
    let value = post[filter] as f32;
    let mut out = format!(
        "{head}, output {}\n  = {}\n\n",
        describe_index(index, &filter_label(conv, filter)),
        number(value)
    );
    out.push_str(&where_text(conv, out_pos, filter));
    let cpg = conv.channels_per_group();
    let first_channel = filter / conv.filters_per_group() * cpg;
    let kernel_size = conv.kernel_size();
    for ci in 0..cpg {
        let channel = first_channel + ci;
        if ci >= MAX_CHANNEL_BLOCKS && cpg > MAX_CHANNEL_BLOCKS {
            let _ = writeln!(
                out,
                "input channel {channel}: sum {}",
                wide(w.channel_sums[ci])
            );
            continue;
        }
        let patch: Vec<String> = w.cells[ci]
            .iter()
            .zip(&w.padded)
            .map(|(&c, &p)| cell_text(c, p))
            .collect();
        let weights: Vec<String> = w.weights[ci].iter().map(|&x| number(x)).collect();
        let products: Vec<String> = w.cells[ci]
            .iter()
            .zip(&w.weights[ci])
            .map(|(c, &x)| c.map_or("0".into(), |c| wide(f64::from(c) * f64::from(x))))
            .collect();
        let _ = writeln!(out, "input channel {channel} of {input_name}:");
        out.push_str(&side_by_side(&[
            ("patch", grid(&kernel_size, &patch)),
            ("filter", grid(&kernel_size, &weights)),
            ("products", grid(&kernel_size, &products)),
        ]));
        let _ = writeln!(out, "  sum of products: {}\n", wide(w.channel_sums[ci]));
    }
    if w.padded.iter().any(|&p| p) {
        out.push_str(&padding_legend(conv.padding_mode));
    }
    let plural = if cpg == 1 { "" } else { "s" };
    let _ = writeln!(
        out,
        "total over {cpg} input channel{plural}: {}",
        wide(w.total)
    );
    match &conv.bias {
        Some(_) => {
            let _ = writeln!(out, "bias: {}", wide(bias(conv, filter)));
            let _ = writeln!(out, "total + bias: {}", wide(pre[filter]));
        }
        None => out.push_str("bias: none (use_bias = false)\n"),
    }
    let act = conv.activation.name();
    if conv.activation == crate::ir::Activation::Softmax {
        let logits: Vec<String> = pre.iter().map(|&z| wide(z)).collect();
        let _ = writeln!(
            out,
            "activation: softmax over the {} filters at this position, of {}: {}",
            conv.filters,
            flat(&logits),
            wide(post[filter])
        );
    } else {
        let _ = writeln!(
            out,
            "activation: {act}({}) = {}",
            wide(pre[filter]),
            wide(post[filter])
        );
    }
    let _ = writeln!(out, "value (rounded to float32 once): {}", number(value));
    Explained { text: out, value }
}

/// Which input cells the window covers on each axis, and which input channels it reads.
fn where_text(conv: &Conv, out_pos: &[usize], filter: usize) -> String {
    let names = axis_names(conv.axes.len());
    let mut out = String::from("the window:\n");
    for ((axis, &o), name) in conv.axes.iter().zip(out_pos).zip(names) {
        let read: Vec<String> = (0..axis.kernel)
            .map(|t| axis.input_index(o, t).to_string())
            .collect();
        let _ = writeln!(
            out,
            "  {name}s {}  (= {o}*{} + tap*{} - {}: stride {}, dilation {}, {} padding {} before and \
             {} after; the input's {name}s are 0..{})",
            read.join(" "),
            axis.stride,
            axis.dilation,
            axis.pad_before,
            axis.stride,
            axis.dilation,
            axis.padding.name(),
            axis.pad_before,
            axis.pad_after,
            axis.in_len - 1
        );
    }
    let cpg = conv.channels_per_group();
    let group = filter / conv.filters_per_group();
    let first = group * cpg;
    if let Some(m) = conv.depth_multiplier {
        let _ = writeln!(
            out,
            "  depthwise, depth_multiplier {m}: output channel {filter} = {first}*{m} + {} is filter {} of input channel {first}",
            filter % m,
            filter % m
        );
    } else if conv.groups > 1 {
        let _ = writeln!(
            out,
            "  groups {}: filter {filter} is in group {group} and reads input channels {first}..{}",
            conv.groups,
            first + cpg - 1
        );
    }
    out.push('\n');
    out
}

fn padding_legend(mode: PaddingMode) -> String {
    let what = match mode {
        PaddingMode::Zeros => "reads 0 and adds nothing to the sum",
        PaddingMode::Reflect => {
            "reads the input mirrored at the border (the edge cell is not repeated)"
        }
        PaddingMode::Replicate => "reads the nearest edge cell",
        PaddingMode::Circular => "reads the input wrapped around",
    };
    format!(
        "(x) marks a padded cell: with padding_mode {} it {what}; x is the value it reads\n\n",
        mode.name()
    )
}

/// The whole sliding sequence of a 1-D convolution, one dot product per line, as SEED.md writes
/// it: `[0 1 0]·[0 1 1] = 1`. `None` when a filter reads several input channels (a dot product
/// per line would no longer be one row).
pub(super) fn sequence(
    head: &str,
    conv: &Conv,
    input: &Tensor,
    input_name: &str,
) -> Option<String> {
    if conv.channels_per_group() != 1 {
        return None;
    }
    let axis = conv.axes.first()?;
    let batch = input.shape.first().copied().unwrap_or(1);
    let mut out = format!(
        "{head}: each filter slides over {input_name} from left to right ({} padding, stride {}, dilation {}); each output is one dot product\n",
        axis.padding.name(),
        axis.stride,
        axis.dilation
    );
    let mut padded_seen = false;
    for b in 0..batch {
        for f in 0..conv.filters {
            if batch > 1 || conv.filters > 1 {
                let _ = writeln!(out, "\nbatch {b}, {}:", filter_label(conv, f));
            }
            let mut map = Vec::new();
            for o in 0..axis.out_len {
                let w = window(conv, input, b, &[o], f);
                let (pre, post) = activated(conv, input, b, &[o]);
                let value = post[f] as f32;
                map.push(number(value));
                padded_seen |= w.padded.iter().any(|&p| p);
                let weights: Vec<String> = w.weights[0].iter().map(|&x| number(x)).collect();
                let cells: Vec<String> = w.cells[0]
                    .iter()
                    .zip(&w.padded)
                    .map(|(&c, &p)| cell_text(c, p))
                    .collect();
                let mut expr = format!("{}·{}", flat(&weights), flat(&cells));
                let bias = bias(conv, f);
                if bias != 0.0 {
                    let sign = if bias < 0.0 { "-" } else { "+" };
                    expr = format!("{expr} {sign} {}", wide(bias.abs()));
                }
                let line = match conv.activation {
                    crate::ir::Activation::Linear => format!("{expr} = {}", number(value)),
                    crate::ir::Activation::Softmax => format!(
                        "{expr} = {}, softmax over the filters: {}",
                        wide(pre[f]),
                        number(value)
                    ),
                    act => format!(
                        "{}({expr}) = {}({}) = {}",
                        act.name(),
                        act.name(),
                        wide(pre[f]),
                        number(value)
                    ),
                };
                let _ = writeln!(out, "  {line}");
            }
            let _ = writeln!(out, "  feature map: {}", map.join(" "));
        }
    }
    if padded_seen {
        out.push('\n');
        out.push_str(padding_legend(conv.padding_mode).trim_end());
        out.push('\n');
    }
    Some(out)
}
