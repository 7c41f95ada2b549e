//! Every input a fuzz target ever crashed on, replayed through the same target: the files under
//! `fuzz/regressions/<target>/` (see docs/fuzzing.md, "Adding a regression"). The seeds (every
//! spec under `specs/`) also go through the text targets, so each target is known to accept
//! good input.

use super::TARGETS;
use std::path::Path;

fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_crash_input_is_handled() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let root = fuzz.join("regressions");
    let mut replayed = 0;
    for (name, target) in TARGETS {
        // The committed seeds (fuzz/seeds/<target>/) must pass too.
        let mut inputs = files(&root.join(name));
        inputs.extend(files(&fuzz.join("seeds").join(name)));
        for file in inputs {
            let data = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let result = std::panic::catch_unwind(|| target(&data));
            assert!(result.is_ok(), "{name}: {} fails again", file.display());
            replayed += 1;
        }
    }
    // Every directory under fuzz/regressions/ is a target's.
    for dir in std::fs::read_dir(&root).into_iter().flatten().flatten() {
        let dir_name = dir.file_name().to_string_lossy().into_owned();
        assert!(
            TARGETS.iter().any(|(n, _)| *n == dir_name),
            "fuzz/regressions/{dir_name} is not a fuzz target's directory"
        );
    }
    eprintln!("{replayed} regression inputs replayed");
}

#[test]
fn every_spec_survives_the_text_targets_and_converts_there_and_back() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("specs");
    let dirs = ["seed", "features", "examples", "errors"].map(|d| root.join(d));
    let specs = crate::testing::collect(&dirs).expect("specs exist");
    assert!(specs.len() > 50, "only {} specs", specs.len());
    let mut converted = 0;
    for path in &specs {
        let data = std::fs::read(path).expect("spec readable");
        super::text::parse_conv(&data);
        super::text::parse_toml(&data);
        super::text::convert_roundtrip(&data);
        let Ok(source) = String::from_utf8(data) else {
            continue; // specs/errors/err_binary.conv
        };
        let syntax = crate::parse::Syntax::from_path(path);
        let fake = super::spec_dir().join(match syntax {
            crate::parse::Syntax::Conv => "x.conv",
            crate::parse::Syntax::Toml => "x.toml",
        });
        converted += usize::from(super::load(&fake, &source).is_ok());
    }
    // Most good specs load from the fuzzers' directory (those whose data lives elsewhere do not).
    assert!(
        converted > 30,
        "only {converted} specs loaded and were converted"
    );
}

/// Nesting far deeper than the fuzzer's `-max_len` allows: both front ends refuse it with a
/// message instead of overflowing the stack (a test thread's 2 MiB stack, a quarter of the
/// command's main thread).
#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    let depth = 100_000;
    let toml_arrays = format!("a = {}{}\n", "[".repeat(depth), "]".repeat(depth));
    let toml_tables = format!("a = {}1{}\n", "{b=".repeat(depth), "}".repeat(depth));
    let conv = format!(
        "input x (1, 3, 3, 1) = fill 1\nlayer y = conv2d(x) {{ p = {}{} }}\n",
        "(".repeat(depth),
        ")".repeat(depth)
    );
    for (text, syntax) in [
        (&toml_arrays, crate::parse::Syntax::Toml),
        (&toml_tables, crate::parse::Syntax::Toml),
        (&conv, crate::parse::Syntax::Conv),
    ] {
        let refused = crate::parse::parse(text, syntax);
        assert!(
            refused.is_err(),
            "{} levels of nesting were accepted",
            depth
        );
        super::text::parse_conv(text.as_bytes());
        super::text::parse_toml(text.as_bytes());
    }
}
