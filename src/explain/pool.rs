//! Explaining pooling: the window, the padded cells that take no part, and the max or the mean.

use super::format::{axis_names, describe_index, flat, grid, side_by_side, wide};
use super::Explained;
use crate::ir::{GlobalPool, Pool, PoolKind, Tensor};
use crate::render::text::number;
use std::fmt::Write;

/// A global pooling window bigger than this is summarised instead of drawn.
const MAX_DRAWN_CELLS: usize = 256;

/// The cells of one window: `None` for a padded cell (pooling never reads padding).
fn window(
    pool: &Pool,
    input: &Tensor,
    batch: usize,
    out_pos: &[usize],
    channel: usize,
) -> Vec<Option<f32>> {
    let sizes: Vec<usize> = pool.axes.iter().map(|a| a.kernel).collect();
    let taps: usize = sizes.iter().product();
    let in_cells: usize = pool.axes.iter().map(|a| a.in_len).product();
    let channels = input.shape.last().copied().unwrap_or(1);
    (0..taps)
        .map(|tap_index| {
            let mut rest = tap_index;
            let mut tap = vec![0; sizes.len()];
            for a in (0..sizes.len()).rev() {
                tap[a] = rest % sizes[a];
                rest /= sizes[a];
            }
            let mut cell = 0usize;
            for ((axis, &o), &t) in pool.axes.iter().zip(out_pos).zip(&tap) {
                let index = axis.input_index(o, t);
                if index < 0 || index >= axis.in_len as isize {
                    return None;
                }
                cell = cell * axis.in_len + index as usize;
            }
            Some(input.data[(batch * in_cells + cell) * channels + channel])
        })
        .collect()
}

/// The max (NaN wins, as in the interpreter) or the mean of the real cells; a window of padding
/// only gives 0, the interpreter's placeholder.
fn reduce(kind: PoolKind, cells: &[f32]) -> (f32, String) {
    if cells.is_empty() {
        return (
            0.0,
            "no real cell: 0 (the interpreter's placeholder)".into(),
        );
    }
    match kind {
        PoolKind::Max => {
            let max = cells.iter().fold(f32::NEG_INFINITY, |m, &x| {
                if m.is_nan() || x.is_nan() {
                    f32::NAN
                } else {
                    m.max(x)
                }
            });
            let n = cells.len();
            (
                max,
                format!(
                    "the largest of {n} real cell{}: {}",
                    if n == 1 { "" } else { "s" },
                    number(max)
                ),
            )
        }
        PoolKind::Average => {
            let sum: f64 = cells.iter().map(|&x| f64::from(x)).sum();
            let mean = (sum / cells.len() as f64) as f32;
            (
                mean,
                format!(
                    "{} / {} real cells = {}",
                    wide(sum),
                    cells.len(),
                    number(mean)
                ),
            )
        }
    }
}

fn kind_name(kind: PoolKind) -> &'static str {
    match kind {
        PoolKind::Max => "max",
        PoolKind::Average => "mean",
    }
}

pub(super) fn at(
    head: &str,
    pool: &Pool,
    input: &Tensor,
    input_name: &str,
    index: &[usize],
) -> Explained {
    let (batch, channel) = (index[0], index[index.len() - 1]);
    let out_pos = &index[1..index.len() - 1];
    let cells = window(pool, input, batch, out_pos, channel);
    let real: Vec<f32> = cells.iter().flatten().copied().collect();
    let (value, how) = reduce(pool.kind, &real);
    let mut out = format!(
        "{head}, output {}\n  = {}\n\nthe window:\n",
        describe_index(index, &format!("channel {}", index[index.len() - 1])),
        number(value)
    );
    for ((axis, &o), name) in pool
        .axes
        .iter()
        .zip(out_pos)
        .zip(axis_names(pool.axes.len()))
    {
        let read: Vec<String> = (0..axis.kernel)
            .map(|t| axis.input_index(o, t).to_string())
            .collect();
        let _ = writeln!(
            out,
            "  {name}s {} (pool size {}, stride {}, {} padding {}+{}; input {name}s 0..{})",
            read.join(" "),
            axis.kernel,
            axis.stride,
            axis.padding.name(),
            axis.pad_before,
            axis.pad_after,
            axis.in_len - 1
        );
    }
    let sizes: Vec<usize> = pool.axes.iter().map(|a| a.kernel).collect();
    let shown: Vec<String> = cells
        .iter()
        .map(|c| c.map_or("pad".into(), number))
        .collect();
    let _ = writeln!(out, "\nchannel {channel} of {input_name}:");
    out.push_str(&side_by_side(&[("window", grid(&sizes, &shown))]));
    if cells.iter().any(Option::is_none) {
        out.push_str("  (pad marks a padded cell: pooling leaves it out, so a mean divides by the real cells only)\n");
    }
    let _ = writeln!(out, "\n{}: {how}", kind_name(pool.kind));
    let _ = writeln!(out, "value: {}", number(value));
    Explained { text: out, value }
}

pub(super) fn global_at(
    head: &str,
    pool: &GlobalPool,
    input: &Tensor,
    input_name: &str,
    index: &[usize],
) -> Explained {
    let (batch, channel) = (index[0], index[index.len() - 1]);
    let spatial = &input.shape[1..input.shape.len() - 1];
    let cells_per_item: usize = spatial.iter().product();
    let channels = input.shape.last().copied().unwrap_or(1);
    let cells: Vec<f32> = (0..cells_per_item)
        .map(|cell| input.data[(batch * cells_per_item + cell) * channels + channel])
        .collect();
    let (value, how) = reduce(pool.kind, &cells);
    let mut out = format!(
        "{head}, output {}\n  = {}\n\nthe window is all of channel {channel} of {input_name} (batch {batch}), {} cells\n",
        describe_index(index, &format!("channel {}", index[index.len() - 1])),
        number(value),
        cells.len()
    );
    if cells.len() <= MAX_DRAWN_CELLS {
        let shown: Vec<String> = cells.iter().map(|&x| number(x)).collect();
        // The slices of a global window are the input's own depths, not taps of a kernel.
        let lines = grid(spatial, &shown)
            .into_iter()
            .map(|l| l.replace("depth tap", "depth"))
            .collect();
        out.push_str(&side_by_side(&[("window", lines)]));
    }
    let _ = writeln!(out, "\n{}: {how}", kind_name(pool.kind));
    let _ = writeln!(out, "value: {}", number(value));
    Explained { text: out, value }
}

/// A small 1-D pooling, window by window: `max[1 3] = 3`, `mean[5 pad] = 5 / 1 = 5`.
pub(super) fn sequence(head: &str, pool: &Pool, input: &Tensor, input_name: &str) -> String {
    let (batch, channels) = (input.shape[0], input.shape.last().copied().unwrap_or(1));
    let out_len = pool.axes.first().map_or(0, |a| a.out_len);
    let mut out = format!(
        "{head}: the window slides over {input_name} from left to right; padded cells (pad) take no part\n"
    );
    for b in 0..batch {
        for c in 0..channels {
            if batch > 1 || channels > 1 {
                let _ = writeln!(out, "\nbatch {b}, channel {c}:");
            }
            let mut map = Vec::new();
            for o in 0..out_len {
                let cells = window(pool, input, b, &[o], c);
                let real: Vec<f32> = cells.iter().flatten().copied().collect();
                let (value, _) = reduce(pool.kind, &real);
                let shown: Vec<String> = cells
                    .iter()
                    .map(|c| c.map_or("pad".into(), number))
                    .collect();
                let detail = match pool.kind {
                    PoolKind::Average if !real.is_empty() => {
                        let sum: f64 = real.iter().map(|&x| f64::from(x)).sum();
                        format!(" = {} / {}", wide(sum), real.len())
                    }
                    _ => String::new(),
                };
                let _ = writeln!(
                    out,
                    "  {}{}{detail} = {}",
                    kind_name(pool.kind),
                    flat(&shown),
                    number(value)
                );
                map.push(number(value));
            }
            let _ = writeln!(out, "  feature map: {}", map.join(" "));
        }
    }
    out
}
