//! Random models of several layers (2-5 steps, chained and branched) on the JIT, compared
//! with the interpreter layer by layer.
//!
//! The whole model is compiled into one module and run once; then each layer's JIT output is
//! checked against the interpreter run on the *JIT's own* inputs of that layer (a single-layer
//! model, as `specs.rs` does), with the per-layer tolerance of `tolerance.rs`. Errors cannot
//! compound unnoticed, and integer-valued layers must agree exactly.
//!
//! Each step takes one of the values built so far (the input, or any earlier layer: so the
//! graph branches) and applies one of the ops of the single-layer generator (`models.rs`),
//! with its options: convolutions (grouped, depthwise with a multiplier, every padding and
//! border mode, strides, dilation, bias, every activation), max/average pooling, global
//! pooling (with and without keepdims), activations, every merge (on 2-3 values of the same
//! shape) and concatenation (of 2-3 values with the same batch and spatial shape). A step whose
//! geometry is impossible becomes an activation. Merges and concatenations that find no
//! partner first branch one off (an activation of the same value).
//!
//! The proptest (`jit::tests::multi`) and the `jit_vs_interp` fuzz target generate the cases.

use super::models::{padding, LayerCase, Rng};
use super::tolerance;
use crate::geometry::{resolve_axis, AxisGeometry};
use crate::interp;
use crate::ir::{
    Activation, Conv, GlobalPool, Layer, MergeKind, Model, Op, PaddingMode, Pool, PoolKind, Tensor,
    Value, ValueKind,
};
use crate::jit::{compile, Options};

/// One step: the op and options, which value it reads, and which partners a merge takes.
#[derive(Debug, Clone)]
pub struct Step {
    pub layer: LayerCase,
    pub source: u8,
    pub partner: u8,
}

#[derive(Debug, Clone)]
pub struct MultiCase {
    /// The input's rank, batch, sizes, channels (`groups * channels_per_group`), data kind
    /// and seed.
    pub input: LayerCase,
    pub steps: Vec<Step>,
}

struct Builder {
    values: Vec<Value>,
    rng: Rng,
    integers: bool,
}

impl Builder {
    fn push(&mut self, op: Op, shape: Vec<usize>, inputs: Vec<usize>) -> usize {
        let id = self.values.len();
        self.values.push(Value {
            name: format!("l{id}"),
            shape,
            kind: ValueKind::Layer(Layer {
                op_name: "test".into(),
                inputs,
                op,
            }),
        });
        id
    }

    fn activation(&mut self, source: usize, activation: Activation) -> usize {
        let shape = self.values[source].shape.clone();
        self.push(Op::Activation(activation), shape, vec![source])
    }

    /// The window geometry of every spatial axis of `shape`, or `None` if impossible.
    fn axes(
        c: &LayerCase,
        shape: &[usize],
        pooling: bool,
        mode: PaddingMode,
    ) -> Option<Vec<AxisGeometry>> {
        let rank = shape.len() - 2;
        let mut axes = Vec::new();
        for (a, &size) in shape[1..=rank].iter().enumerate() {
            let i = 3 - rank + a;
            let dilation = if pooling { 1 } else { c.dilation[i] };
            let g = resolve_axis(
                size,
                c.kernel[i],
                c.stride[i],
                dilation,
                padding(c.padding[i], rank),
            )
            .ok()?;
            if mode == PaddingMode::Reflect
                && !pooling
                && (g.pad_before >= size || g.pad_after >= size)
            {
                return None;
            }
            axes.push(g);
        }
        Some(axes)
    }

    /// The case with `same` padding on every axis.
    fn same(c: &LayerCase) -> LayerCase {
        LayerCase {
            padding: [1; 3],
            ..c.clone()
        }
    }

    fn out_shape(shape: &[usize], axes: &[AxisGeometry], channels: usize) -> Vec<usize> {
        let mut s = vec![shape[0]];
        s.extend(axes.iter().map(|a| a.out_len));
        s.push(channels);
        s
    }

    fn step(&mut self, step: &Step) {
        let c = &step.layer;
        let source = step.source as usize % self.values.len();
        let shape = self.values[source].shape.clone();
        let rank = shape.len() - 2;
        let channels = shape[rank + 1];
        let activation = Activation::ALL[c.activation];
        match c.op {
            0 | 7 if rank > 0 => {
                let mut mode = PaddingMode::ALL[c.mode as usize];
                let mut axes = Self::axes(c, &shape, false, mode);
                if axes.is_none() {
                    // Too small for this geometry (often after pooling): `same`, zeros.
                    mode = PaddingMode::Zeros;
                    axes = Self::axes(&Self::same(c), &shape, false, mode);
                }
                let Some(axes) = axes else {
                    self.activation(source, activation);
                    return;
                };
                // Depthwise with a multiplier (half of op 7), else grouped where the channels allow.
                let (groups, filters, multiplier) = if c.op == 7 && c.seed.is_multiple_of(2) {
                    let m = c.filters_per_group % 3 + 1;
                    (channels, channels * m, Some(m))
                } else {
                    let groups = if channels.is_multiple_of(c.groups) {
                        c.groups
                    } else {
                        1
                    };
                    (groups, groups * c.filters_per_group, None)
                };
                let taps: usize = axes.iter().map(|a| a.kernel).product();
                let conv = Conv {
                    axes: axes.clone(),
                    in_channels: channels,
                    filters,
                    groups,
                    kernel: self
                        .rng
                        .values(taps * (channels / groups) * filters, self.integers),
                    bias: c.use_bias.then(|| self.rng.values(filters, self.integers)),
                    activation,
                    padding_mode: mode,
                    depth_multiplier: multiplier,
                    filter_names: vec![None; filters],
                };
                let out = Self::out_shape(&shape, &axes, filters);
                self.push(Op::Conv(conv), out, vec![source]);
            }
            1 | 2 if rank > 0 => {
                let axes = Self::axes(c, &shape, true, PaddingMode::Zeros)
                    .or_else(|| Self::axes(&Self::same(c), &shape, true, PaddingMode::Zeros));
                let Some(axes) = axes else {
                    self.activation(source, activation);
                    return;
                };
                let kind = if c.op == 1 {
                    PoolKind::Max
                } else {
                    PoolKind::Average
                };
                let out = Self::out_shape(&shape, &axes, channels);
                self.push(Op::Pool(Pool { kind, axes }), out, vec![source]);
            }
            3 if rank > 0 => {
                let kind = if c.use_bias {
                    PoolKind::Max
                } else {
                    PoolKind::Average
                };
                let keepdims = c.mode.is_multiple_of(2);
                let mut out = vec![shape[0]];
                if keepdims {
                    out.extend(std::iter::repeat_n(1, rank));
                }
                out.push(channels);
                self.push(
                    Op::GlobalPool(GlobalPool { kind, keepdims }),
                    out,
                    vec![source],
                );
            }
            5 => {
                let kinds = [
                    MergeKind::Add,
                    MergeKind::Subtract,
                    MergeKind::Multiply,
                    MergeKind::Maximum,
                    MergeKind::Minimum,
                    MergeKind::Average,
                ];
                let kind = kinds[c.activation % kinds.len()];
                let count = if kind == MergeKind::Subtract {
                    2
                } else {
                    c.groups.max(2)
                };
                let mut partners: Vec<usize> = (0..self.values.len())
                    .filter(|&v| v != source && self.values[v].shape == shape)
                    .collect();
                if partners.is_empty() {
                    partners
                        .push(self.activation(source, Activation::ALL[c.mode as usize * 3 % 15]));
                }
                let mut inputs = vec![source];
                for i in 1..count {
                    inputs.push(partners[(step.partner as usize + i) % partners.len()]);
                }
                if c.use_bias {
                    inputs.reverse();
                }
                self.push(Op::Merge(kind), shape, inputs);
            }
            6 => {
                let count = c.groups.max(2);
                let same_space =
                    |s: &[usize]| s.len() == shape.len() && s[..=rank] == shape[..=rank];
                let mut partners: Vec<usize> = (0..self.values.len())
                    .filter(|&v| v != source && same_space(&self.values[v].shape))
                    .collect();
                if partners.is_empty() {
                    partners
                        .push(self.activation(source, Activation::ALL[c.mode as usize * 3 % 15]));
                }
                let mut inputs = vec![source];
                for i in 1..count {
                    inputs.push(partners[(step.partner as usize + i) % partners.len()]);
                }
                if c.use_bias {
                    inputs.rotate_left(1);
                }
                let mut out = shape.clone();
                out[rank + 1] = inputs.iter().map(|&v| self.values[v].shape[rank + 1]).sum();
                self.push(Op::Concatenate, out, inputs);
            }
            _ => {
                self.activation(source, activation);
            }
        }
    }
}

/// Builds the model; integer data whose sums could reach 2^24 (where f32 stops being exact)
/// is built again as floats.
pub fn build(case: &MultiCase) -> Model {
    let model = build_with(case, case.input.integers);
    if case.input.integers && magnitude(&model) >= f64::from(1u32 << 23) {
        return build_with(case, false);
    }
    model
}

fn build_with(case: &MultiCase, integers: bool) -> Model {
    let c = &case.input;
    let mut rng = Rng::new(c.seed);
    let mut shape = vec![c.batch];
    shape.extend_from_slice(&c.sizes[3 - c.rank..]);
    shape.push(c.groups * c.channels_per_group);
    let len = shape.iter().product();
    let x = Tensor {
        shape: shape.clone(),
        data: rng.values(len, integers),
    };
    let mut b = Builder {
        values: vec![Value {
            name: "x".into(),
            shape,
            kind: ValueKind::Input(x),
        }],
        rng,
        integers,
    };
    for step in &case.steps {
        b.step(step);
    }
    let last = b.values.len() - 1;
    Model {
        values: b.values,
        outputs: vec![last],
        expects: vec![],
    }
}

/// The largest sum of |terms| anywhere in the model: every value's magnitude with inputs,
/// weights and biases made positive, subtraction made addition and activations linear.
fn magnitude(model: &Model) -> f64 {
    let mut m = model.clone();
    for v in &mut m.values {
        match &mut v.kind {
            ValueKind::Input(t) => t.data.iter_mut().for_each(|x| *x = x.abs()),
            ValueKind::Layer(l) => match &mut l.op {
                Op::Conv(c) => {
                    c.activation = Activation::Linear;
                    c.kernel.iter_mut().for_each(|x| *x = x.abs());
                    c.bias.iter_mut().flatten().for_each(|x| *x = x.abs());
                }
                Op::Activation(a) => *a = Activation::Linear,
                Op::Merge(k @ MergeKind::Subtract) => *k = MergeKind::Add,
                _ => {}
            },
        }
    }
    interp::run(&m)
        .iter()
        .flat_map(|t| t.data.iter())
        .map(|&x| f64::from(x))
        .fold(0.0, f64::max)
}

/// The single-layer model that computes `model.values[id]` from `values`, the other values of
/// a run: each layer can then be compared with the interpreter on the same inputs.
pub fn layer_alone(model: &Model, id: usize, values: &[Tensor]) -> Option<Model> {
    let ValueKind::Layer(layer) = &model.values[id].kind else {
        return None;
    };
    let mut alone = Vec::new();
    let mut layer = layer.clone();
    for (k, input) in layer.inputs.iter_mut().enumerate() {
        alone.push(Value {
            name: format!("in{k}"),
            shape: values[*input].shape.clone(),
            kind: ValueKind::Input(values[*input].clone()),
        });
        *input = k;
    }
    alone.push(Value {
        name: model.values[id].name.clone(),
        shape: model.values[id].shape.clone(),
        kind: ValueKind::Layer(layer),
    });
    let last = alone.len() - 1;
    Some(Model {
        values: alone,
        outputs: vec![last],
        expects: Vec::new(),
    })
}

/// Compiles the whole model once, runs it, and checks every layer against the interpreter on
/// the JIT's own inputs. Returns the number of layers compared.
pub fn agree_layer_by_layer(model: &Model) -> Result<usize, String> {
    let compiled = compile(
        model,
        &Options {
            verify: true,
            ..Options::default()
        },
    )
    .map_err(|e| e.to_string())?;
    let jit = compiled.run(model, 1).map_err(|e| e.to_string())?;
    let mut layers = 0;
    for id in 0..model.values.len() {
        let Some(alone) = layer_alone(model, id, &jit) else {
            continue;
        };
        let reference = interp::run(&alone);
        let r = &reference[alone.values.len() - 1];
        if r.shape != jit[id].shape {
            return Err(format!("layer {id}: shapes differ"));
        }
        let tol = tolerance::tolerances(&alone);
        for (i, (&j, &r)) in jit[id].data.iter().zip(&r.data).enumerate() {
            let ok = if j.is_nan() || r.is_nan() {
                j.is_nan() && r.is_nan()
            } else if j.is_infinite() || r.is_infinite() {
                j == r
            } else {
                (f64::from(j) - f64::from(r)).abs() <= tol[i]
            };
            if !ok {
                return Err(format!(
                    "layer `{}` value {i}: jit {j}, interp {r}, tolerance {}",
                    model.values[id].name, tol[i]
                ));
            }
        }
        layers += 1;
    }
    #[cfg(unix)]
    super::guard::check_guarded(model, &compiled, "multi-layer model");
    Ok(layers)
}
