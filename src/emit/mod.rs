//! `convc emit`: what the JIT makes of each layer, as text: the Cranelift IR (`--clif`), the
//! machine code (`--asm`) or the schedule (`--loops`).

mod asm;
pub mod loops;

use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{Layer, Model, Op, PaddingMode, ValueId, ValueKind};
use crate::jit::{self, lower};
use std::fmt::Write;

/// What to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum What {
    Clif,
    Asm,
    Loops,
}

/// The layers to show: all of them in model order, or the one named.
pub fn select(model: &Model, name: Option<&str>) -> Result<Vec<ValueId>, Diagnostic> {
    let layers: Vec<ValueId> = (0..model.values.len())
        .filter(|&i| matches!(model.values[i].kind, ValueKind::Layer(_)))
        .collect();
    let Some(name) = name else {
        return Ok(layers);
    };
    let names: Vec<&str> = layers
        .iter()
        .map(|&i| model.values[i].name.as_str())
        .collect();
    match model.find(name) {
        Some(id) if layers.contains(&id) => Ok(vec![id]),
        Some(_) => Err(Diagnostic::error_unlocated(
            Code::UnknownLayerOption,
            format!(
                "`{name}` is an input, not a layer: no code is generated for it; layers are {}",
                names.join(", ")
            ),
        )),
        None => Err(Diagnostic::error_unlocated(
            Code::UnknownLayerOption,
            crate::diagnostic::no_such_layer(name, &names),
        )),
    }
}

/// The text of `what` for the layers `ids` (from [`select`]).
pub fn emit(
    model: &Model,
    ids: &[ValueId],
    what: What,
    max_code_size: u64,
    simd: jit::Simd,
) -> Result<String, Diagnostic> {
    let mut out = String::new();
    if what == What::Loops {
        for &id in ids {
            header(&mut out, model, id);
            out.push_str(&loop_nest(model, id, simd).map_err(|e| e.diagnostic())?);
            out.push('\n');
        }
        return Ok(out);
    }
    let options = jit::Options {
        clif: what == What::Clif,
        machine_code: what == What::Asm && asm::NEEDS_BYTES,
        disassemble: what == What::Asm && !asm::NEEDS_BYTES,
        max_code_size,
        simd,
        ..jit::Options::default()
    };
    let compiled = jit::compile(model, &options).map_err(|e| e.diagnostic())?;
    // Reports are in model order, one per layer.
    let layer_ids =
        (0..model.values.len()).filter(|&i| matches!(model.values[i].kind, ValueKind::Layer(_)));
    for (id, report) in layer_ids.zip(&compiled.reports) {
        if !ids.contains(&id) {
            continue;
        }
        header(&mut out, model, id);
        let _ = writeln!(
            out,
            "; kernel: {}; {} bytes of code",
            report.kernel, report.code_bytes
        );
        match what {
            What::Clif => out.push_str(report.clif.as_deref().unwrap_or("")),
            _ => out.push_str(&asm::text(report)),
        }
        out.push('\n');
    }
    Ok(out)
}

/// `; layer vertical = conv2d(image) -> (1, 6, 6, 1)`.
fn header(out: &mut String, model: &Model, id: ValueId) {
    let value = &model.values[id];
    let ValueKind::Layer(layer) = &value.kind else {
        return;
    };
    let inputs: Vec<&str> = layer
        .inputs
        .iter()
        .map(|&i| model.values[i].name.as_str())
        .collect();
    let shape: Vec<String> = value.shape.iter().map(usize::to_string).collect();
    let _ = writeln!(
        out,
        "; layer {} = {}({}) -> ({})",
        value.name,
        layer.op_name,
        inputs.join(", "),
        shape.join(", ")
    );
}

/// Output pixels per block of a pooling layer (as `jit::emit::pool` walks them).
const POOL_PIXELS: usize = 2;

/// The schedule of one layer: the conv's [`lower::LoopNest`], a pooling layer's segments, or
/// the flat loop of an elementwise layer.
fn loop_nest(model: &Model, id: ValueId, simd: jit::Simd) -> Result<String, jit::JitError> {
    let ValueKind::Layer(layer) = &model.values[id].kind else {
        return Ok(String::new());
    };
    let Layer { op, inputs, .. } = layer;
    let in_shape = &model.values[inputs[0]].shape;
    let out_shape = &model.values[id].shape;
    let batch = in_shape[0];
    let channels = out_shape.last().copied().unwrap_or(1);
    let len: usize = out_shape.iter().product();
    let mut out = String::new();
    match op {
        // What `run` compiles by default: weights folded where `auto` folds them.
        Op::Conv(conv) => {
            let options = jit::Options {
                simd,
                ..jit::Options::default()
            };
            out = jit::conv_nest(conv, batch, &options)?.to_string()
        }
        Op::Pool(p) => {
            let segments = p
                .axes
                .iter()
                .map(|a| lower::segments(a, PaddingMode::Zeros))
                .collect::<Result<Vec<_>, _>>()?;
            let _ = writeln!(
                out,
                "{:?} pool: batch {batch}, blocks of {POOL_PIXELS} pixel(s)\nfor n in 0..{batch}:",
                p.kind
            );
            let block = |n: usize| {
                format!(
                    "block: {n} pixel(s) x {channels} channel(s) (f32x4, then scalars), \
                     padded cells left out"
                )
            };
            loops::axes(&mut out, &segments, POOL_PIXELS, false, 1, &block);
        }
        Op::GlobalPool(g) => {
            let cells: usize = in_shape[1..in_shape.len().saturating_sub(1)]
                .iter()
                .product();
            let _ = writeln!(
                out,
                "global {:?} pool\nfor n in 0..{batch}:\n  for cell in 0..{cells}:\n    \
                 {channels} channel(s) accumulated",
                g.kind
            );
        }
        Op::Activation(_) | Op::Merge(_) => {
            let _ = writeln!(
                out,
                "elementwise\nfor i in 0..{len} step 16:  # 4 x f32x4 per iteration, then vector and scalar tails"
            );
        }
        Op::Concatenate => {
            let _ = writeln!(
                out,
                "concatenate\nfor position in 0..{}:\n  copy each input's channels in turn",
                len / channels.max(1)
            );
        }
    }
    Ok(out)
}
