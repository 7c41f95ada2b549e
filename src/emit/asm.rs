//! `convc emit --asm`: the machine code of a layer as text. On x86-64 the bytes are decoded
//! with `iced-x86` (Intel syntax), which shows exactly what runs; elsewhere Cranelift's own
//! VCode listing is printed and the output says so.

use crate::jit::LayerReport;

/// Whether [`text`] needs the machine code bytes (x86-64) or Cranelift's listing (others).
pub const NEEDS_BYTES: bool = cfg!(target_arch = "x86_64");

/// The disassembly of one layer's function.
#[cfg(target_arch = "x86_64")]
pub fn text(report: &LayerReport) -> String {
    let Some(code) = &report.machine_code else {
        return "; (no machine code was kept)\n".into();
    };
    let mut out = disassemble(code);
    for (i, kernel) in report.asm_kernels.iter().enumerate() {
        out.push_str(&format!(
            "; AVX-512 block kernel {i} (assembled by convc, called above), {} bytes\n",
            kernel.len()
        ));
        out.push_str(&disassemble(kernel));
    }
    out
}

/// Intel-syntax lines with offsets from the code's start (its load address differs on every
/// run).
#[cfg(target_arch = "x86_64")]
fn disassemble(code: &[u8]) -> String {
    use iced_x86::{Decoder, DecoderOptions, Formatter, IntelFormatter};
    let mut decoder = Decoder::with_ip(64, code, 0, DecoderOptions::NONE);
    let mut formatter = IntelFormatter::new();
    formatter.options_mut().set_first_operand_char_index(8);
    let mut out = String::new();
    let mut line = String::new();
    for instruction in &mut decoder {
        line.clear();
        formatter.format(&instruction, &mut line);
        out.push_str(&format!("{:6x}:  {line}\n", instruction.ip()));
    }
    out
}

#[cfg(not(target_arch = "x86_64"))]
pub fn text(report: &LayerReport) -> String {
    let listing = report
        .disassembly
        .as_deref()
        .unwrap_or("(no listing was kept)\n");
    format!(
        "; this host is not x86-64: Cranelift's VCode listing follows, not a disassembly\n{listing}"
    )
}
