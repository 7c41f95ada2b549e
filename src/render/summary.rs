//! `convc check`: a model summary in the spirit of Keras's `model.summary()`, then, for every
//! windowed layer and axis, the padding split and the output-size formula with its numbers.

use crate::check::layers::axis_name;
use crate::check::tensor::shape_text;
use crate::geometry::AxisGeometry;
use crate::ir::{Model, Op, PaddingMode, ValueKind};
use std::fmt::Write;

pub fn summary(title: &str, model: &Model) -> String {
    let mut rows: Vec<[String; 4]> = vec![[
        "Layer (op)".into(),
        "Output shape".into(),
        "Params".into(),
        "Reads".into(),
    ]];
    for value in &model.values {
        let (op, reads) = match &value.kind {
            ValueKind::Input(_) => ("input".to_string(), String::new()),
            ValueKind::Layer(layer) => {
                let names: Vec<&str> = layer
                    .inputs
                    .iter()
                    .map(|&i| model.values[i].name.as_str())
                    .collect();
                (layer.op_name.clone(), names.join(", "))
            }
        };
        rows.push([
            format!("{} ({op})", value.name),
            shape_text(&value.shape),
            value.parameter_count().to_string(),
            reads,
        ]);
    }
    let widths: Vec<usize> = (0..4)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let total_width = widths.iter().sum::<usize>() + 6;
    let mut out = format!("Model: {title}\n{}\n", "━".repeat(total_width));
    for (i, row) in rows.iter().enumerate() {
        let line = format!(
            "{:<w0$}  {:<w1$}  {:>w2$}  {}",
            row[0],
            row[1],
            row[2],
            row[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        );
        let _ = writeln!(out, "{}", line.trim_end());
        if i == 0 {
            let _ = writeln!(out, "{}", "─".repeat(total_width));
        }
    }
    let _ = writeln!(out, "{}", "━".repeat(total_width));
    let total = model.parameter_count();
    let _ = writeln!(
        out,
        "Total params: {total} ({})",
        crate::check::human_bytes(total as u64 * 4)
    );
    let outputs: Vec<&str> = model
        .outputs
        .iter()
        .map(|&i| model.values[i].name.as_str())
        .collect();
    let _ = writeln!(out, "Outputs: {}", outputs.join(", "));
    let geometry = geometry(model);
    if !geometry.is_empty() {
        let _ = write!(out, "\nPadding and output sizes (out = floor((L + before + after - k_eff) / stride) + 1, k_eff = dilation*(k-1)+1):\n{geometry}");
    }
    out
}

fn geometry(model: &Model) -> String {
    let mut out = String::new();
    for value in &model.values {
        let ValueKind::Layer(layer) = &value.kind else {
            continue;
        };
        let (axes, mode): (&[AxisGeometry], Option<PaddingMode>) = match &layer.op {
            Op::Conv(c) => (&c.axes, Some(c.padding_mode)),
            Op::Pool(p) => (&p.axes, None),
            _ => continue,
        };
        let mut header = format!("{} ({})", value.name, layer.op_name);
        if let Some(mode) = mode.filter(|m| *m != PaddingMode::Zeros) {
            let _ = write!(header, ", padded cells read by `{}`", mode.name());
        }
        let _ = writeln!(out, "  {header}");
        let n = axes.len();
        for (a, g) in axes.iter().enumerate() {
            let _ = writeln!(
                out,
                "    {:<12} L={} k={} stride={} dilation={} padding={}: {} before, {} after; out = {}",
                axis_name(n, a).trim_start_matches("the "),
                g.in_len,
                g.kernel,
                g.stride,
                g.dilation,
                g.padding.name(),
                g.pad_before,
                g.pad_after,
                g.formula()
            );
        }
    }
    out
}
