//! The machine code of one AVX-512 block kernel, assembled with `iced-x86`'s `code_asm`.
//!
//! `fn(x: *const f32, w: *const f32, out: *mut f32, bias: *const f32)`, System V. For a block
//! of pixels and `vectors` zmm vectors of 16 output channels: accumulators start at the bias
//! (or zero), then for each input channel (a loop) and each tap (unrolled) the tap's weight
//! vectors are loaded into registers and every pixel reading that tap does one
//! `vfmadd231ps acc, w, dword bcst [x + offset]` per vector. The sums are stored unactivated.
//!
//! Each output is therefore `bias`, then channel by channel and tap by tap, one fused
//! multiply-add at a time: the order of the f32x4 kernel. Every access stays inside its
//! buffer: the broadcasts read exactly the one input float, weight loads and output stores
//! cover exactly the block's 16-channel vectors.

use super::KernelShape;
use iced_x86::code_asm::*;

/// The 32 vector registers.
const ZMM: [AsmRegisterZmm; 32] = [
    zmm0, zmm1, zmm2, zmm3, zmm4, zmm5, zmm6, zmm7, zmm8, zmm9, zmm10, zmm11, zmm12, zmm13, zmm14,
    zmm15, zmm16, zmm17, zmm18, zmm19, zmm20, zmm21, zmm22, zmm23, zmm24, zmm25, zmm26, zmm27,
    zmm28, zmm29, zmm30, zmm31,
];

/// Byte displacement of `floats`, refused when it does not fit an instruction's 32 bits (the
/// blocking is only chosen where it fits: see `super::fits`).
fn disp(floats: i64) -> Result<i32, String> {
    floats
        .checked_mul(4)
        .and_then(|b| i32::try_from(b).ok())
        .ok_or_else(|| format!("offset of {floats} floats does not fit a displacement"))
}

/// Assembles the kernel for `shape`.
pub fn assemble(shape: &KernelShape) -> Result<Vec<u8>, String> {
    assemble_inner(shape).map_err(|e| e.to_string())
}

fn assemble_inner(shape: &KernelShape) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let vectors = shape.vectors;
    let pixels = shape.pixels.len();
    let width = 16 * vectors as i64;
    if vectors == 0 || (pixels + 1) * vectors > ZMM.len() {
        return Err(format!("{pixels} pixels x {vectors} vectors exceed 32 registers").into());
    }
    let acc = |p: usize, q: usize| ZMM[p * vectors + q];
    let weight = |q: usize| ZMM[pixels * vectors + q];
    let mut a = CodeAssembler::new(64)?;
    // rdi = x, rsi = w, rdx = out, rcx = bias.
    for q in 0..vectors {
        if shape.bias {
            a.vmovups(acc(0, q), zmmword_ptr(rcx + disp(16 * q as i64)?))?;
        } else {
            a.vpxord(acc(0, q), acc(0, q), acc(0, q))?;
        }
        for p in 1..pixels {
            a.vmovaps(acc(p, q), acc(0, q))?;
        }
    }
    let channels = u32::try_from(shape.channels)?;
    a.mov(eax, channels)?;
    let mut top = a.create_label();
    a.set_label(&mut top)?;
    for t in 0..shape.taps {
        let users: Vec<(usize, i64)> = shape
            .pixels
            .iter()
            .enumerate()
            .flat_map(|(p, taps)| {
                taps.iter()
                    .filter(|(ft, _)| *ft == t)
                    .map(move |&(_, off)| (p, off))
            })
            .collect();
        if users.is_empty() {
            continue;
        }
        let row = (t * shape.channels) as i64 * width;
        for q in 0..vectors {
            a.vmovups(weight(q), zmmword_ptr(rsi + disp(row + 16 * q as i64)?))?;
        }
        for (p, off) in users {
            let at = disp(off)?;
            for q in 0..vectors {
                a.vfmadd231ps(acc(p, q), weight(q), dword_bcst(rdi + at))?;
            }
        }
    }
    a.add(rdi, 4)?;
    a.add(rsi, disp(width)?)?;
    a.sub(eax, 1)?;
    a.jne(top)?;
    for (p, &out) in shape.out_offsets.iter().enumerate() {
        for q in 0..vectors {
            a.vmovups(zmmword_ptr(rdx + disp(out + 16 * q as i64)?), acc(p, q))?;
        }
    }
    // Cranelift's code after the call uses VEX-encoded SSE: clean upper halves keep it fast.
    a.vzeroupper()?;
    a.ret()?;
    Ok(a.assemble(0)?)
}
