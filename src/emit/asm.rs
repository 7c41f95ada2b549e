//! `convc emit --asm`: the machine code of a layer as text. On x86-64 the bytes are decoded
//! with `iced-x86` (Intel syntax), which shows exactly what runs; elsewhere Cranelift's own
//! VCode listing is printed and the output says so.

use crate::jit::LayerReport;

/// Whether [`text`] needs the machine code bytes (x86-64) or Cranelift's listing (others).
pub const NEEDS_BYTES: bool = cfg!(target_arch = "x86_64");

/// The disassembly of one layer's function.
#[cfg(target_arch = "x86_64")]
pub fn text(report: &LayerReport) -> String {
    use iced_x86::{Decoder, DecoderOptions, Formatter, IntelFormatter};
    let Some(code) = &report.machine_code else {
        return "; (no machine code was kept)\n".into();
    };
    let mut decoder = Decoder::with_ip(64, code, 0, DecoderOptions::NONE);
    let mut formatter = IntelFormatter::new();
    // Offsets from the function's start: the code's load address differs on every run.
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
