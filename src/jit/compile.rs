//! `jit::compile`: every layer lowered, emitted and compiled into one module, finalized once.

use super::activation::{self, HELPER_SYMBOL};
use super::avx512::Kernels;
use super::emit::conv::{pack_weights, ConvKernel};
use super::emit::{elementwise, pool, walk, Emitter, PTR};
use super::lower::segments;
use super::runtime::{CodeMemory, Compiled, LayerCode, LayerFn};
use super::{host, JitError, LayerReport, Options};
use crate::ir::{Layer, Model, Op, PaddingMode, ValueKind};
use cranelift_codegen::ir::{types, AbiParam, InstBuilder, MemFlagsData, UserFuncName, Value};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::JITModule;
use cranelift_module::{DataDescription, FuncId, Linkage, Module};
use std::time::Instant;

fn cranelift_error(e: impl std::fmt::Display) -> JitError {
    JitError::Cranelift(e.to_string())
}

/// Compiles every layer of `model` into one JIT module.
pub fn compile(model: &Model, options: &Options) -> Result<Compiled, JitError> {
    let start = Instant::now();
    let (isa, has_fma) = host::isa(options)?;
    // From here on the module's memory is freed on every path, errors included.
    let mut memory = CodeMemory::new(host::module(isa));
    let module = memory.module_mut();
    let helper = declare_helper(module)?;
    let frontend_config = module.target_config();
    let mut ctx = module.make_context();
    let mut builder_ctx = FunctionBuilderContext::new();
    let mut functions = Vec::new();
    let mut reports = Vec::new();
    let mut code_total: u64 = 0;
    for (id, value) in model.values.iter().enumerate() {
        let ValueKind::Layer(layer) = &value.kind else {
            continue;
        };
        if crate::cancel::requested().is_some() {
            return Err(JitError::Cancelled);
        }
        let layer_start = Instant::now();
        let func_id = module
            .declare_function(
                &format!("layer{id}"),
                Linkage::Local,
                &layer_signature(module),
            )
            .map_err(cranelift_error)?;
        ctx.func.signature = layer_signature(module);
        ctx.func.name = UserFuncName::user(0, id as u32);
        let (kernel, asm_kernels) = {
            let helper_ref = module.declare_func_in_func(helper, &mut ctx.func);
            let mut fb = FunctionBuilder::new(&mut ctx.func, &mut builder_ctx);
            let entry = fb.create_block();
            fb.append_block_params_for_function_params(entry);
            fb.switch_to_block(entry);
            fb.seal_block(entry);
            let params = fb.block_params(entry).to_vec();
            let mut e = Emitter { b: fb, has_fma };
            let inputs: Vec<Value> = (0..layer.inputs.len())
                .map(|i| {
                    e.b.ins()
                        .load(PTR, MemFlagsData::trusted(), params[0], (i * 8) as i32)
                })
                .collect();
            let units = (params[2], params[3]);
            let (kernel, asm_kernels) = emit_layer(
                &mut e, module, model, id, layer, &inputs, params[1], units, helper_ref, options,
            )?;
            e.b.ins().return_(&[]);
            e.b.finalize(frontend_config);
            (kernel, asm_kernels)
        };
        // Captured before `define_function`, which optimises the function in place: this is
        // the IR as emitted, the same text on every host.
        let clif = options.clif.then(|| ctx.func.display().to_string());
        // Refused before Cranelift spends time and memory on it when even a low estimate of
        // its size is over the limit; the exact size is checked below.
        let estimate = (ctx.func.dfg.num_insts() as u64).saturating_mul(MIN_BYTES_PER_INST);
        check_code_size(&value.name, estimate, code_total, options.max_code_size)?;
        ctx.set_disasm(options.disassemble);
        module
            .define_function(func_id, &mut ctx)
            .map_err(|e| JitError::Cranelift(format!("{e:?}")))?;
        let code_bytes = ctx.compiled_code().map_or(0, |c| c.code_buffer().len());
        let disassembly = ctx
            .compiled_code()
            .and_then(|c| c.vcode.clone())
            .filter(|_| options.disassemble);
        let machine_code = ctx
            .compiled_code()
            .filter(|_| options.machine_code)
            .map(|c| c.code_buffer().to_vec());
        check_code_size(
            &value.name,
            code_bytes as u64,
            code_total,
            options.max_code_size,
        )?;
        code_total = code_total.saturating_add(code_bytes as u64);
        module.clear_context(&mut ctx);
        functions.push((id, func_id, work_units(model, id, layer)));
        reports.push(LayerReport {
            name: value.name.clone(),
            op: layer.op_name.clone(),
            compile_time: layer_start.elapsed(),
            kernel,
            code_bytes,
            disassembly,
            clif,
            machine_code,
            asm_kernels: if options.machine_code {
                asm_kernels
            } else {
                Vec::new()
            },
        });
    }
    let finalize_start = Instant::now();
    module.finalize_definitions().map_err(cranelift_error)?;
    let layers = functions
        .into_iter()
        .map(|(id, func_id, (units, work))| {
            let address = module.get_finalized_function(func_id);
            // SAFETY: the function was defined with `layer_signature`, which is this type.
            let function: LayerFn = unsafe { std::mem::transmute(address) };
            LayerCode {
                id,
                function,
                units,
                work,
            }
        })
        .collect();
    let finalize_time = finalize_start.elapsed();
    Ok(Compiled::new(
        memory,
        model,
        layers,
        reports,
        finalize_time,
        start.elapsed(),
    ))
}

/// Machine-code bytes per emitted CLIF instruction, at least, in practice: constants fold into
/// immediates, but loads, stores, arithmetic and branches take 3 to 10 bytes each on x86-64
/// and 4 on aarch64 (measured on x86-64 over `specs/seed` and `specs/bench`: 3.0 to 5.7).
const MIN_BYTES_PER_INST: u64 = 2;

/// Refuses layer `name` when `bytes` more would bring the code over `limit`.
fn check_code_size(name: &str, bytes: u64, used: u64, limit: u64) -> Result<(), JitError> {
    match used.checked_add(bytes) {
        Some(total) if total <= limit => Ok(()),
        _ => Err(JitError::CodeTooLarge(crate::limits::code_too_large(
            format!("the machine code of layer `{name}`"),
            bytes,
            used,
            limit,
        ))),
    }
}

/// `fn(inputs: *const *const f32, output: *mut f32, first_unit: i64, end_unit: i64)`.
fn layer_signature(module: &JITModule) -> cranelift_codegen::ir::Signature {
    let mut sig = module.make_signature();
    sig.params.push(AbiParam::new(PTR));
    sig.params.push(AbiParam::new(PTR));
    sig.params.push(AbiParam::new(types::I64));
    sig.params.push(AbiParam::new(types::I64));
    sig
}

/// How a layer's work splits across threads: `(units, multiply-adds or element operations in
/// all)`. Sliding windows split by rows (see `walk::unit_count`); the rest are one unit.
fn work_units(model: &Model, id: usize, layer: &Layer) -> (usize, usize) {
    let out_len: usize = model.values[id].shape.iter().product();
    let batch = model.values[layer.inputs[0]].shape[0];
    match &layer.op {
        Op::Conv(conv) => {
            let taps: usize = conv.axes.iter().map(|a| a.kernel).product();
            let macs = out_len * taps * conv.channels_per_group();
            (walk::unit_count(&conv.axes, batch), macs)
        }
        Op::Pool(p) => {
            let taps: usize = p.axes.iter().map(|a| a.kernel).product();
            (walk::unit_count(&p.axes, batch), out_len * taps)
        }
        _ => (1, out_len),
    }
}

/// `convc_jit_activate(code: u32, data: *mut f32, len: usize, channels: usize)`.
fn declare_helper(module: &mut JITModule) -> Result<FuncId, JitError> {
    let mut sig = module.make_signature();
    sig.params.push(AbiParam::new(types::I32));
    for _ in 0..3 {
        sig.params.push(AbiParam::new(PTR));
    }
    module
        .declare_function(HELPER_SYMBOL, Linkage::Import, &sig)
        .map_err(cranelift_error)
}

/// Read-only data in the module (packed weights, biases), 16-byte aligned.
fn define_floats(
    module: &mut JITModule,
    values: &[f32],
) -> Result<cranelift_module::DataId, JitError> {
    let id = module
        .declare_anonymous_data(false, false)
        .map_err(cranelift_error)?;
    let mut data = DataDescription::new();
    let mut bytes = Vec::with_capacity(values.len() * 4);
    for x in values {
        bytes.extend_from_slice(&x.to_ne_bytes());
    }
    // An empty object would still need an address; one zero float keeps it valid.
    data.define(if bytes.is_empty() { vec![0; 4] } else { bytes }.into_boxed_slice());
    data.set_align(16);
    module.define_data(id, &data).map_err(cranelift_error)?;
    Ok(id)
}

/// Whether value `id` is model data with no infinity or NaN (what a layer computes is not
/// known when compiling).
fn is_finite_data(model: &Model, id: usize) -> bool {
    match &model.values[id].kind {
        // Chunks without an early exit inside, so that the test vectorises.
        ValueKind::Input(t) => t
            .data
            .chunks(4096)
            .all(|c| c.iter().fold(true, |ok, x| ok & x.is_finite())),
        ValueKind::Layer(_) => false,
    }
}

/// Emits one layer's body; returns a description of the kernel.
#[allow(clippy::too_many_arguments)]
fn emit_layer(
    e: &mut Emitter,
    module: &mut JITModule,
    model: &Model,
    id: usize,
    layer: &Layer,
    inputs: &[Value],
    output: Value,
    units: (Value, Value),
    helper: cranelift_codegen::ir::FuncRef,
    options: &Options,
) -> Result<(String, Vec<Vec<u8>>), JitError> {
    let out_shape = &model.values[id].shape;
    let in_shape = &model.values[layer.inputs[0]].shape;
    let out_len: usize = out_shape.iter().product();
    let out_channels = out_shape.last().copied().unwrap_or(1);
    let batch = in_shape[0];
    // The activations done by a call run over the thread's units only: a unit's outputs are
    // contiguous (units are numbered in memory order).
    let unit_len = (out_len / work_units(model, id, layer).0.max(1)) as i64;
    let call_helper = |e: &mut Emitter, act| {
        let code =
            e.b.ins()
                .iconst(types::I32, i64::from(activation::code(act)));
        let skip = e.b.ins().imul_imm_s(units.0, unit_len * 4);
        let data = e.b.ins().iadd(output, skip);
        let count = e.b.ins().isub(units.1, units.0);
        let len = e.b.ins().imul_imm_s(count, unit_len);
        let channels = e.b.ins().iconst(PTR, out_channels as i64);
        e.b.ins().call(helper, &[code, data, len, channels]);
    };
    let mut data_address = |e: &mut Emitter, values: &[f32]| -> Result<Value, JitError> {
        let data = define_floats(module, values)?;
        let gv = module.declare_data_in_func(data, e.b.func);
        Ok(e.b.ins().symbol_value(PTR, gv))
    };
    let mut asm_kernels = Vec::new();
    let kernel = match &layer.op {
        Op::Conv(conv) => {
            let nest = super::conv_nest(conv, batch, options)?;
            let weights = data_address(e, &pack_weights(conv, &nest))?;
            let bias = match &conv.bias {
                Some(b) => Some(data_address(e, b)?),
                None => None,
            };
            let wide = Kernels::new(module);
            ConvKernel {
                conv,
                nest: &nest,
                weights,
                bias,
                units,
                // Only a folded kernel asks; the scan reads the whole input.
                finite_input: nest.folded && is_finite_data(model, layer.inputs[0]),
                wide: &wide,
            }
            .emit(e, inputs[0], output);
            asm_kernels = wide.finish()?;
            if !activation::is_inline(conv.activation) {
                call_helper(e, conv.activation);
            }
            let asm = if !asm_kernels.is_empty() {
                let bytes: usize = asm_kernels.iter().map(Vec::len).sum();
                let count = asm_kernels.len();
                format!(", AVX-512 ({count} assembled block kernels, {bytes} bytes)")
            } else {
                String::new()
            };
            format!(
                "{:?} conv, {} pixels x {:?}, weights {}{asm}",
                nest.family,
                nest.pixels,
                nest.runs,
                if nest.folded { "folded" } else { "loaded" }
            )
        }
        Op::Pool(p) => {
            let segs = p
                .axes
                .iter()
                .map(|a| segments(a, PaddingMode::Zeros))
                .collect::<Result<Vec<_>, _>>()?;
            pool::pool(e, p, &segs, batch, out_channels, inputs[0], output, units);
            format!("{:?} pool", p.kind)
        }
        Op::GlobalPool(g) => {
            let cells: usize = in_shape[1..in_shape.len() - 1].iter().product();
            pool::global_pool(e, g.kind, batch, cells, out_channels, inputs[0], output);
            format!("global {:?} pool", g.kind)
        }
        Op::Activation(act) => {
            elementwise::activation(e, *act, out_len, inputs[0], output);
            if !activation::is_inline(*act) {
                call_helper(e, *act);
            }
            format!("activation {}", act.name())
        }
        Op::Merge(kind) => {
            elementwise::merge(e, *kind, out_len, inputs, output);
            format!("merge {}", kind.name())
        }
        Op::Concatenate => {
            let channels: Vec<usize> = layer
                .inputs
                .iter()
                .map(|&i| model.values[i].shape.last().copied().unwrap_or(1))
                .collect();
            let positions = out_len / out_channels.max(1);
            elementwise::concatenate(e, positions, &channels, inputs, output);
            "concatenate".into()
        }
    };
    Ok((kernel, asm_kernels))
}
