//! `jit_vs_interp`: the fuzzer's bytes, read with `arbitrary`, choose a small valid model of
//! 1 to 5 layers (`jit::harness::multi`: every op, padding, border mode, stride, dilation,
//! group and depthwise multiplier, merge kind and activation) and a weight-folding policy.
//! The JIT must agree with the interpreter layer by layer within `jit::harness::tolerance`,
//! and every layer, run with its buffers flush against inaccessible pages, must give the same
//! bits (`jit::harness::guard`).

use crate::jit::harness::models::LayerCase;
use crate::jit::harness::multi::{self, MultiCase, Step};
use crate::jit::harness::{agree_folded, multi::layer_alone};
use crate::jit::FoldWeights;
use arbitrary::{Result, Unstructured};

/// One layer's description, in the ranges of the proptest strategy (`jit::tests::models`).
fn layer_case(u: &mut Unstructured) -> Result<LayerCase> {
    let mut three = |low: usize, high: [usize; 3]| -> Result<[usize; 3]> {
        Ok([
            u.int_in_range(low..=high[0])?,
            u.int_in_range(low..=high[1])?,
            u.int_in_range(low..=high[2])?,
        ])
    };
    let sizes = three(1, [9, 9, 13])?;
    let kernel = three(1, [4, 4, 4])?;
    let stride = three(1, [3, 3, 3])?;
    let dilation = three(1, [2, 2, 2])?;
    Ok(LayerCase {
        op: u.int_in_range(0..=7)?,
        rank: u.int_in_range(1..=3)?,
        batch: u.int_in_range(1..=2)?,
        sizes,
        kernel,
        stride,
        dilation,
        padding: [
            u.int_in_range(0..=5)?,
            u.int_in_range(0..=5)?,
            u.int_in_range(0..=5)?,
        ],
        mode: u.int_in_range(0..=3)?,
        groups: u.int_in_range(1..=3)?,
        channels_per_group: u.int_in_range(1..=5)?,
        filters_per_group: u.int_in_range(1..=11)?,
        activation: u.int_in_range(0..=crate::ir::Activation::ALL.len() - 1)?,
        use_bias: u.arbitrary()?,
        integers: u.arbitrary()?,
        seed: u.arbitrary()?,
    })
}

/// A model description: the input, then 1 to 5 steps.
pub fn multi_case(u: &mut Unstructured) -> Result<MultiCase> {
    let input = layer_case(u)?;
    let count = u.int_in_range(1..=5)?;
    let mut steps = Vec::with_capacity(count);
    for _ in 0..count {
        steps.push(Step {
            layer: layer_case(u)?,
            source: u.arbitrary()?,
            partner: u.arbitrary()?,
        });
    }
    Ok(MultiCase { input, steps })
}

pub fn jit_vs_interp(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(case) = multi_case(&mut u) else {
        return;
    };
    let fold = match u.int_in_range(0..=2u8) {
        Ok(0) | Err(_) => FoldWeights::Auto,
        Ok(1) => FoldWeights::Always,
        Ok(_) => FoldWeights::Never,
    };
    let model = multi::build(&case);
    if let Err(why) = multi::agree_layer_by_layer(&model) {
        panic!("the JIT disagrees with the interpreter: {why}\n{case:#?}\n{model:#?}");
    }
    if fold != FoldWeights::Auto {
        // The last layer again, on the interpreter's inputs, with weights folded or not.
        let reference = crate::interp::run(&model);
        let last = model.values.len() - 1;
        if let Some(alone) = layer_alone(&model, last, &reference) {
            if let Err(why) = agree_folded(&alone, fold) {
                panic!("{fold:?}: the JIT disagrees with the interpreter: {why}\n{alone:#?}");
            }
        }
    }
}
