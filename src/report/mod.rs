//! `convc report`: one self-contained HTML page about a spec and its run.
//!
//! The page needs nothing but itself: pictures are inline `data:` PNGs, the style and the one
//! small script are inline, and a Content-Security-Policy forbids every other load, so the file
//! can be mailed, archived or opened offline and shows the same thing.
//!
//! Structure (tests and tools rely on it): one `<section class="value layer">` per layer and
//! `<section class="value input">` per input, each with `data-name`, an `<h2>`, a description
//! list, and `<img>`s in `<figure class="maps">` and (convolutions) `<figure class="filters">`.

mod html;

use crate::check::layers::axis_name;
use crate::check::tensor::shape_text;
use crate::geometry::AxisGeometry;
use crate::ir::{Model, Op, Tensor, ValueKind};
use crate::picture::{self, files, sheet::range_text};
use crate::pipeline::Loaded;
use crate::progress::Progress;
use crate::render::summary;
use html::{data_uri, escape};
use std::fmt::Write;

/// The whole page for `loaded`, whose computed values are `values`. The error is a sentence.
pub fn report(loaded: &Loaded, values: &[Tensor], progress: &Progress) -> Result<String, String> {
    let model = &loaded.model;
    let title = loaded.path.display().to_string();
    let mut body = String::new();
    let _ = write!(
        body,
        "<h1>convc report: <code>{}</code></h1>\n{}",
        escape(&title),
        contents(model)
    );
    let _ = writeln!(
        body,
        "<section id=\"spec\"><h2>Spec</h2><pre class=\"source\">{}</pre></section>",
        escape(&loaded.source)
    );
    let _ = writeln!(
        body,
        "<section id=\"summary\"><h2>Model summary</h2><pre>{}</pre></section>",
        escape(&summary::summary(&title, model))
    );
    for (id, tensor) in values.iter().enumerate() {
        body.push_str(&value_section(model, id, tensor)?);
        progress.step();
    }
    Ok(html::page(&format!("convc report: {title}"), &body))
}

/// Links to every value's section.
fn contents(model: &Model) -> String {
    let links: Vec<String> = model
        .values
        .iter()
        .enumerate()
        .map(|(id, v)| format!("<a href=\"#{}\">{}</a>", anchor(model, id), escape(&v.name)))
        .collect();
    format!("<nav>{}</nav>\n", links.join(" · "))
}

/// A unique fragment id: names may hold characters ids should not.
fn anchor(model: &Model, id: usize) -> String {
    format!("value-{id}-{}", files::file_safe(&model.values[id].name))
}

fn value_section(model: &Model, id: usize, tensor: &Tensor) -> Result<String, String> {
    let value = &model.values[id];
    let pictures = picture::layer_pictures(model, id, tensor);
    let (class, op) = match &value.kind {
        ValueKind::Input(_) => ("input", "input".to_string()),
        ValueKind::Layer(layer) => ("layer", layer.op_name.clone()),
    };
    let name = escape(&value.name);
    let mut out = format!(
        "<section class=\"value {class}\" id=\"{}\" data-name=\"{name}\" data-op=\"{}\">\n<h2>{name} <span class=\"op\">{}</span></h2>\n<dl>\n",
        anchor(model, id),
        escape(&op),
        escape(&op)
    );
    let mut item = |term: &str, detail: String| {
        let _ = writeln!(out, "<dt>{term}</dt><dd>{detail}</dd>");
    };
    if let ValueKind::Layer(layer) = &value.kind {
        let reads: Vec<String> = layer
            .inputs
            .iter()
            .map(|&i| {
                format!(
                    "<a href=\"#{}\">{}</a>",
                    anchor(model, i),
                    escape(&model.values[i].name)
                )
            })
            .collect();
        item("reads", reads.join(", "));
    }
    item("output shape", shape_text(&value.shape));
    item("values", escape(&range_text(pictures.range)));
    if let ValueKind::Layer(layer) = &value.kind {
        for (term, detail) in op_details(&layer.op) {
            item(term, detail);
        }
    }
    out.push_str("</dl>\n");
    if let ValueKind::Layer(layer) = &value.kind {
        match &layer.op {
            Op::Conv(conv) => out.push_str(&axes_table(&conv.axes)),
            Op::Pool(pool) => out.push_str(&axes_table(&pool.axes)),
            _ => {}
        }
    }
    for label in &pictures.zero_maps {
        let _ = writeln!(
            out,
            "<p class=\"warning\">{}</p>",
            escape(&picture::zero_note(&value.name, label))
        );
    }
    let _ = writeln!(
        out,
        "<figure class=\"maps\"><img alt=\"feature maps of {name}\" src=\"{}\"><figcaption>feature maps, one colour scale for the layer: {}</figcaption></figure>",
        data_uri(&pictures.maps_sheet)?,
        escape(&range_text(pictures.range))
    );
    if let Some(filters) = &pictures.filters_sheet {
        let _ = writeln!(
            out,
            "<figure class=\"filters\"><img alt=\"filters of {name}\" src=\"{}\"><figcaption>filters (weights): {}</figcaption></figure>",
            data_uri(filters)?,
            escape(&range_text(pictures.filters_range))
        );
    }
    out.push_str("</section>\n");
    Ok(out)
}

/// The arguments of an op that a reader wants next to its pictures.
fn op_details(op: &Op) -> Vec<(&'static str, String)> {
    match op {
        Op::Conv(conv) => {
            let mut details = vec![
                ("kernel size", shape_text(&conv.kernel_size())),
                ("filters", conv.filters.to_string()),
                ("activation", conv.activation.name().to_string()),
                ("padded cells", conv.padding_mode.name().to_string()),
                (
                    "bias",
                    if conv.bias.is_some() { "yes" } else { "no" }.to_string(),
                ),
            ];
            if conv.groups > 1 {
                details.push(("groups", conv.groups.to_string()));
            }
            details
        }
        Op::Pool(pool) => vec![("pooling", format!("{:?}", pool.kind).to_lowercase())],
        Op::GlobalPool(pool) => vec![
            ("pooling", format!("{:?}", pool.kind).to_lowercase()),
            ("keepdims", pool.keepdims.to_string()),
        ],
        Op::Activation(act) => vec![("activation", act.name().to_string())],
        Op::Merge(kind) => vec![("merge", kind.name().to_string())],
        Op::Concatenate => vec![("merge", "concatenate (channels)".to_string())],
    }
}

/// Per spatial axis: the window, the padding split and the output-size formula.
fn axes_table(axes: &[AxisGeometry]) -> String {
    let mut out = String::from(
        "<table class=\"axes\"><tr><th>axis</th><th>in</th><th>kernel</th><th>stride</th><th>dilation</th><th>padding</th><th>before</th><th>after</th><th>out</th></tr>\n",
    );
    for (a, g) in axes.iter().enumerate() {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            axis_name(axes.len(), a).trim_start_matches("the "),
            g.in_len,
            g.kernel,
            g.stride,
            g.dilation,
            escape(g.padding.name()),
            g.pad_before,
            g.pad_after,
            escape(&g.formula())
        );
    }
    out.push_str("</table>\n");
    out
}

#[cfg(test)]
mod tests;
