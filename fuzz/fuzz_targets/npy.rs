#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| convc::fuzzing::binary::npy(data));
