//! Code generation: CLIF for one layer's function, from its loop nest and constants.
//!
//! [`Emitter`] wraps cranelift-frontend's builder with the few shapes every kernel needs
//! (loads at constant float offsets, counted loops over pointer variables, f32x4 helpers).
//! The op families live in their own files; [`walk`] emits the batch and spatial loops shared
//! by convolution and pooling, with border positions as straight-line pieces.

pub mod conv;
mod conv_pixels;
pub mod elementwise;
pub mod pool;
mod taps;
pub mod walk;

use cranelift_codegen::ir::{types, InstBuilder, MemFlagsData, Type, Value};
use cranelift_frontend::{FunctionBuilder, Variable};

/// The f32x4 vector type: the widest Cranelift's x64 backend lowers.
pub const F32X4: Type = types::F32X4;
pub const PTR: Type = types::I64;

/// Loads and stores never trap (shapes are proven before code is emitted) and never touch the
/// same memory as each other within a kernel except through the output. Vector accesses are
/// not marked aligned: channel offsets are multiples of 4 bytes only.
fn flags() -> MemFlagsData {
    MemFlagsData::new().with_notrap()
}

pub struct Emitter<'a> {
    pub b: FunctionBuilder<'a>,
    /// Whether `fma` lowers to an instruction (x64 with FMA3, aarch64); otherwise a multiply
    /// and an add, never the `fmaf` libcall.
    pub has_fma: bool,
}

impl<'a> Emitter<'a> {
    /// `base + offset` floats, as a constant displacement when it fits (it folds into the
    /// addressing mode) and as an add otherwise.
    fn address(&mut self, base: Value, offset_floats: i64) -> (Value, i32) {
        let bytes = offset_floats * 4;
        match i32::try_from(bytes) {
            Ok(disp) => (base, disp),
            Err(_) => (self.b.ins().iadd_imm_s(base, bytes), 0),
        }
    }

    pub fn load(&mut self, ty: Type, base: Value, offset_floats: i64) -> Value {
        let (base, disp) = self.address(base, offset_floats);
        self.b.ins().load(ty, flags(), base, disp)
    }

    pub fn store(&mut self, value: Value, base: Value, offset_floats: i64) {
        let (base, disp) = self.address(base, offset_floats);
        self.b.ins().store(flags(), value, base, disp);
    }

    /// The f32 (lanes 1) or f32x4 (lanes 4) type.
    pub fn vector_type(lanes: usize) -> Type {
        if lanes == 4 {
            F32X4
        } else {
            types::F32
        }
    }

    /// A constant of `lanes` copies of `x`.
    pub fn constant(&mut self, lanes: usize, x: f32) -> Value {
        let scalar = self.b.ins().f32const(x);
        if lanes == 4 {
            self.b.ins().splat(F32X4, scalar)
        } else {
            scalar
        }
    }

    /// `a * b + c`.
    pub fn mul_add(&mut self, a: Value, b: Value, c: Value) -> Value {
        if self.has_fma {
            self.b.ins().fma(a, b, c)
        } else {
            let product = self.b.ins().fmul(a, b);
            self.b.ins().fadd(product, c)
        }
    }

    pub fn pointer_var(&mut self, initial: Value) -> Variable {
        let var = self.b.declare_var(PTR);
        self.b.def_var(var, initial);
        var
    }

    /// Emits `body` `count` times: straight-line once for a count of 1, otherwise a
    /// loop with a constant trip count. After each iteration every pointer variable advances
    /// by its step (in floats); after the loop they hold their values past the last iteration.
    pub fn counted_loop(
        &mut self,
        count: usize,
        pointers: &[(Variable, i64)],
        mut body: impl FnMut(&mut Self),
    ) {
        if count == 0 {
            return;
        }
        let step_all = |e: &mut Self| {
            for &(var, step) in pointers {
                let current = e.b.use_var(var);
                let next = e.b.ins().iadd_imm_s(current, step * 4);
                e.b.def_var(var, next);
            }
        };
        if count == 1 {
            body(self);
            step_all(self);
            return;
        }
        self.top_tested_loop(None, count as i64, pointers, body);
    }

    /// [`Self::counted_loop`] with a trip count known only at run time (a thread's share of
    /// rows), which may be zero.
    pub fn runtime_loop(
        &mut self,
        count: Value,
        pointers: &[(Variable, i64)],
        body: impl FnMut(&mut Self),
    ) {
        self.top_tested_loop(Some(count), 0, pointers, body);
    }

    /// The loop of `count` (a value) or else `fixed` iterations: a constant trip count stays
    /// an immediate of the compare.
    fn top_tested_loop(
        &mut self,
        count: Option<Value>,
        fixed: i64,
        pointers: &[(Variable, i64)],
        mut body: impl FnMut(&mut Self),
    ) {
        let step_all = |e: &mut Self| {
            for &(var, step) in pointers {
                let current = e.b.use_var(var);
                let next = e.b.ins().iadd_imm_s(current, step * 4);
                e.b.def_var(var, next);
            }
        };
        // Tested at the top: the values leaving the loop are then the header's block
        // parameters, and each value computed in the body has exactly one use (the jump
        // back). A do-while loop would also hand its last values to the exit edge, and x64
        // lowering treats a value with two uses as shared all the way up its dependency
        // chain, which stops it folding `splat(load)` into one `vbroadcastss` from memory.
        let counter = self.b.declare_var(types::I64);
        let zero = self.b.ins().iconst(types::I64, 0);
        self.b.def_var(counter, zero);
        let header = self.b.create_block();
        let body_block = self.b.create_block();
        let exit = self.b.create_block();
        self.b.ins().jump(header, &[]);
        self.b.switch_to_block(header);
        let current = self.b.use_var(counter);
        let less = cranelift_codegen::ir::condcodes::IntCC::SignedLessThan;
        let more = match count {
            Some(count) => self.b.ins().icmp(less, current, count),
            None => self.b.ins().icmp_imm_s(less, current, fixed),
        };
        self.b.ins().brif(more, body_block, &[], exit, &[]);
        self.b.switch_to_block(body_block);
        self.b.seal_block(body_block);
        body(self);
        step_all(self);
        let current = self.b.use_var(counter);
        let next = self.b.ins().iadd_imm_s(current, 1);
        self.b.def_var(counter, next);
        self.b.ins().jump(header, &[]);
        self.b.seal_block(header);
        self.b.switch_to_block(exit);
        self.b.seal_block(exit);
    }

    /// Emits `body` only when `condition` (an integer) is non-zero at run time.
    pub fn when(&mut self, condition: Value, mut body: impl FnMut(&mut Self)) {
        let then = self.b.create_block();
        let merge = self.b.create_block();
        self.b.ins().brif(condition, then, &[], merge, &[]);
        self.b.switch_to_block(then);
        self.b.seal_block(then);
        body(self);
        self.b.ins().jump(merge, &[]);
        self.b.switch_to_block(merge);
        self.b.seal_block(merge);
    }
}
