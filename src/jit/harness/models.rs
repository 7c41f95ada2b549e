//! Random single-layer models for the differential tests, built from a plain description
//! ([`LayerCase`]) that proptest (`jit::tests`) or the fuzzer (`crate::fuzzing`) generates.

use crate::geometry::{resolve_axis, AxisGeometry, AxisPadding};
use crate::ir::{
    Activation, Conv, GlobalPool, Layer, MergeKind, Model, Op, PaddingMode, Pool, PoolKind, Tensor,
    Value, ValueKind,
};

/// What one test layer is; every number is small so that every border piece and tail shows up.
#[derive(Debug, Clone)]
pub struct LayerCase {
    pub op: u8,
    pub rank: usize,
    pub batch: usize,
    pub sizes: [usize; 3],
    pub kernel: [usize; 3],
    pub stride: [usize; 3],
    pub dilation: [usize; 3],
    pub padding: [u8; 3],
    pub mode: u8,
    pub groups: usize,
    pub channels_per_group: usize,
    pub filters_per_group: usize,
    pub activation: usize,
    pub use_bias: bool,
    pub integers: bool,
    pub seed: u64,
}

/// SplitMix64: deterministic data from the case's seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    // Not an `Iterator`: the stream never ends and callers draw from it by hand.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Integers in -3..=3, or floats in [-2, 2).
    pub fn values(&mut self, n: usize, integers: bool) -> Vec<f32> {
        (0..n)
            .map(|_| {
                let r = self.next();
                if integers {
                    (r % 7) as f32 - 3.0
                } else {
                    (r >> 40) as f32 / (1u64 << 24) as f32 * 4.0 - 2.0
                }
            })
            .collect()
    }
}

/// The padding a case's code stands for (shared by the single- and multi-layer generators).
pub fn padding(code: u8, rank: usize) -> AxisPadding {
    match code {
        0 => AxisPadding::Valid,
        1 => AxisPadding::Same,
        2 => AxisPadding::SameLower,
        3 if rank == 1 => AxisPadding::Causal,
        3 => AxisPadding::Same,
        4 => AxisPadding::Explicit {
            before: 2,
            after: 1,
        },
        _ => AxisPadding::Explicit {
            before: 0,
            after: 3,
        },
    }
}

fn input(name: &str, tensor: Tensor) -> Value {
    Value {
        name: name.into(),
        shape: tensor.shape.clone(),
        kind: ValueKind::Input(tensor),
    }
}

/// Builds the model, or `None` if the geometry is impossible (an empty output, reflect
/// padding not smaller than its axis): such cases are skipped, as the checker rejects them.
pub fn build(case: &LayerCase) -> Option<Model> {
    let mut rng = Rng::new(case.seed);
    let rank = case.rank;
    let sizes = &case.sizes[3 - rank..];
    let mode = PaddingMode::ALL[case.mode as usize];
    let mut axes: Vec<AxisGeometry> = Vec::new();
    let pooling = matches!(case.op, 1 | 2);
    for (a, &size) in sizes.iter().enumerate() {
        let i = 3 - rank + a;
        let (stride, dilation) = if pooling {
            (case.stride[i], 1)
        } else {
            (case.stride[i], case.dilation[i])
        };
        let geometry = resolve_axis(
            size,
            case.kernel[i],
            stride,
            dilation,
            padding(case.padding[i], rank),
        )
        .ok()?;
        if mode == PaddingMode::Reflect
            && !pooling
            && (geometry.pad_before >= size || geometry.pad_after >= size)
        {
            return None;
        }
        axes.push(geometry);
    }
    let in_channels = case.groups * case.channels_per_group;
    let mut in_shape = vec![case.batch];
    in_shape.extend_from_slice(sizes);
    in_shape.push(in_channels);
    let len: usize = in_shape.iter().product();
    let x = Tensor {
        shape: in_shape.clone(),
        data: rng.values(len, case.integers),
    };
    let out_spatial = |channels: usize| {
        let mut s = vec![case.batch];
        s.extend(axes.iter().map(|a| a.out_len));
        s.push(channels);
        s
    };
    let activation = Activation::ALL[case.activation];
    let mut values = vec![input("x", x)];
    let (op, shape, inputs) = match case.op {
        // Convolutions, twice as often as the rest.
        0 | 7 => {
            let filters = case.groups * case.filters_per_group;
            let taps: usize = axes.iter().map(|a| a.kernel).product();
            let conv = Conv {
                axes: axes.clone(),
                in_channels,
                filters,
                groups: case.groups,
                kernel: rng.values(taps * case.channels_per_group * filters, case.integers),
                bias: case.use_bias.then(|| rng.values(filters, case.integers)),
                activation,
                padding_mode: mode,
                depth_multiplier: None,
                filter_names: vec![None; filters],
            };
            (Op::Conv(conv), out_spatial(filters), vec![0])
        }
        1 | 2 => {
            let kind = if case.op == 1 {
                PoolKind::Max
            } else {
                PoolKind::Average
            };
            (
                Op::Pool(Pool {
                    kind,
                    axes: axes.clone(),
                }),
                out_spatial(in_channels),
                vec![0],
            )
        }
        3 => {
            let kind = if case.use_bias {
                PoolKind::Max
            } else {
                PoolKind::Average
            };
            let keepdims = case.mode.is_multiple_of(2);
            let mut shape = vec![case.batch];
            if keepdims {
                shape.extend(std::iter::repeat_n(1, rank));
            }
            shape.push(in_channels);
            (
                Op::GlobalPool(GlobalPool { kind, keepdims }),
                shape,
                vec![0],
            )
        }
        4 => (Op::Activation(activation), in_shape.clone(), vec![0]),
        5 => {
            let kinds = [
                MergeKind::Add,
                MergeKind::Subtract,
                MergeKind::Multiply,
                MergeKind::Maximum,
                MergeKind::Minimum,
                MergeKind::Average,
            ];
            let kind = kinds[case.activation % kinds.len()];
            let count = if kind == MergeKind::Subtract {
                2
            } else {
                case.groups.max(2)
            };
            for i in 1..count {
                let t = Tensor {
                    shape: in_shape.clone(),
                    data: rng.values(len, case.integers),
                };
                values.push(input(&format!("x{i}"), t));
            }
            (Op::Merge(kind), in_shape.clone(), (0..count).collect())
        }
        _ => {
            // Concatenate with a second input of another channel count.
            let other = case.filters_per_group;
            let mut shape2 = in_shape.clone();
            shape2[rank + 1] = other;
            let t = Tensor {
                shape: shape2.clone(),
                data: rng.values(shape2.iter().product(), case.integers),
            };
            values.push(input("y", t));
            let mut shape = in_shape.clone();
            shape[rank + 1] += other;
            (Op::Concatenate, shape, vec![0, 1])
        }
    };
    let id = values.len();
    values.push(Value {
        name: "out".into(),
        shape,
        kind: ValueKind::Layer(Layer {
            op_name: "test".into(),
            inputs,
            op,
        }),
    });
    Some(Model {
        values,
        outputs: vec![id],
        expects: vec![],
    })
}
