//! The proptest strategy for [`LayerCase`]; the cases and the model builder live in
//! `jit::harness::models`, shared with the fuzz targets.

use crate::ir::Activation;
pub use crate::jit::harness::models::{build, LayerCase, Rng};
use proptest::prelude::*;

/// The ranges here are the fuzzer's too (`fuzzing::jit::layer_case`): keep them in step.
pub fn layer_case() -> impl Strategy<Value = LayerCase> {
    (
        (0u8..8, 1usize..=3, 1usize..=2),
        (
            [1usize..=9, 1usize..=9, 1usize..=13],
            [1usize..=4, 1usize..=4, 1usize..=4],
            [1usize..=3, 1usize..=3, 1usize..=3],
            [1usize..=2, 1usize..=2, 1usize..=2],
            [0u8..6, 0u8..6, 0u8..6],
        ),
        (0u8..4, 1usize..=3, 1usize..=5, 1usize..=11),
        (
            0usize..Activation::ALL.len(),
            any::<bool>(),
            any::<bool>(),
            any::<u64>(),
        ),
    )
        .prop_map(
            |((op, rank, batch), (sizes, kernel, stride, dilation, padding), g, a)| LayerCase {
                op,
                rank,
                batch,
                sizes,
                kernel,
                stride,
                dilation,
                padding,
                mode: g.0,
                groups: g.1,
                channels_per_group: g.2,
                filters_per_group: g.3,
                activation: a.0,
                use_bias: a.1,
                integers: a.2,
                seed: a.3,
            },
        )
}
