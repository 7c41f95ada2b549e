#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| convc::fuzzing::text::parse_toml(data));
