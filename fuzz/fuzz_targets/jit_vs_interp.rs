#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| convc::fuzzing::jit::jit_vs_interp(data));
