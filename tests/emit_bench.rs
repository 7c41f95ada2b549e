//! `convc emit` and `convc bench` end to end: the loop nests and Cranelift IR of the tutorial's
//! specs are snapshots (both are deterministic); the machine code depends on the host, so only
//! its shape is checked; bench's JSON keys are fixed.

mod common;

use common::convc;

fn ok(args: &[&str]) -> String {
    let o = convc(args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "convc {args:?}: {err}");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings
}

#[test]
fn loops_and_clif_snapshots() {
    let specs = [
        ("bump", "specs/seed/bump.conv"),
        ("vertical_line", "specs/seed/vertical_line.conv"),
        ("padding_same", "specs/features/padding_same.conv"),
        ("pooling2d", "specs/features/pooling2d.conv"),
    ];
    for (name, spec) in specs {
        let loops = ok(&["emit", spec, "--loops"]);
        settings().bind(|| insta::assert_snapshot!(format!("emit_loops@{name}"), loops));
    }
    for (name, spec) in &specs[..2] {
        let clif = ok(&["emit", spec, "--clif"]);
        settings().bind(|| insta::assert_snapshot!(format!("emit_clif@{name}"), clif));
    }
}

#[test]
fn asm_is_a_disassembly() {
    let asm = ok(&["emit", "specs/seed/vertical_line.conv", "--asm"]);
    assert!(asm.starts_with("; layer vertical = conv2d(image)"), "{asm}");
    if cfg!(target_arch = "x86_64") {
        for mnemonic in ["push", "mov", "ret"] {
            assert!(asm.contains(mnemonic), "no `{mnemonic}` in:\n{asm}");
        }
        // The filter's arithmetic in some form: fma where the host has it, mul + add
        // otherwise, or only additions when its 0/1 weights are folded into the code.
        assert!(
            asm.contains("vfmadd") || asm.contains("mulps") || asm.contains("addps"),
            "no multiply-add in:\n{asm}"
        );
    } else {
        assert!(asm.contains("not x86-64"), "{asm}");
    }
}

#[test]
fn emit_one_layer_and_mistakes() {
    let one = ok(&[
        "emit",
        "specs/seed/lines.conv",
        "--layer",
        "vertical",
        "--loops",
    ]);
    assert_eq!(one.matches("; layer ").count(), 1, "{one}");
    let o = convc(&["emit", "specs/seed/bump.conv", "--layer", "bmp", "--clif"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("did you mean `bump`?"), "{err}");
    let o = convc(&[
        "emit",
        "specs/seed/bump.conv",
        "--layer",
        "signal",
        "--loops",
    ]);
    assert_eq!(o.status.code(), Some(2));
    // One of --clif, --asm, --loops is required.
    assert_eq!(
        convc(&["emit", "specs/seed/bump.conv"]).status.code(),
        Some(2)
    );
}

#[test]
fn bench_json_has_the_fixed_keys() {
    for backend in ["jit", "interp"] {
        let out = ok(&[
            "bench",
            "specs/bench/seed_1d.conv",
            "--backend",
            backend,
            "--format",
            "json",
        ]);
        let v: serde_json::Value = serde_json::from_str(&out).expect("bench prints JSON");
        let keys: Vec<&str> = v
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(keys.len(), 4, "{out}");
        assert_eq!(v["backend"], backend);
        assert_eq!(v["threads"], 1);
        let layer = &v["layers"][0];
        assert_eq!(layer["name"], "bump");
        assert_eq!(layer["op"], "conv1d");
        assert_eq!(layer.as_object().map(|o| o.len()), Some(5), "{out}");
        for key in ["compile_ms", "run_ms", "gflops"] {
            assert!(
                layer[key].as_f64().is_some_and(|x| x >= 0.0),
                "{key}: {out}"
            );
        }
        assert!(v["total_run_ms"].as_f64().is_some(), "{out}");
        if backend == "interp" {
            assert_eq!(layer["compile_ms"], 0.0);
        }
    }
}

#[test]
fn bench_text_and_threads() {
    let text = ok(&["bench", "specs/bench/seed_2d.conv"]);
    assert!(text.starts_with("layer"), "{text}");
    assert!(text.contains("vertical  conv2d"), "{text}");
    let two = ok(&["bench", "specs/bench/seed_2d.conv", "--threads", "2"]);
    assert!(two.contains("2 threads"), "{two}");
    let o = convc(&[
        "bench",
        "specs/bench/seed_2d.conv",
        "--backend",
        "interp",
        "--threads",
        "2",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("one thread"), "{err}");
}
