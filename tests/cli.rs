//! The `convc` binary end to end: outputs, exit codes and messages as a user sees them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn convc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_convc"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the convc binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A scratch directory for one test, removed first so runs do not interfere.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

#[test]
fn bump_json_is_exactly_the_tutorials_numbers() {
    for spec in ["specs/seed/bump.conv", "specs/seed/bump.toml"] {
        let o = convc(&["run", spec, "--format", "json"]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert_eq!(
            stdout(&o),
            "{\"outputs\":[{\"name\":\"bump\",\"shape\":[1,6,1],\"data\":[0.0,0.0,1.0,1.0,0.0,0.0]}]}\n",
            "{spec}"
        );
    }
}

#[test]
fn vertical_line_text_prints_the_map_as_the_tutorial_does() {
    for spec in [
        "specs/seed/vertical_line.conv",
        "specs/seed/vertical_line.toml",
    ] {
        let o = convc(&["run", spec]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let out = stdout(&o);
        assert!(out.contains("(1, 6, 6, 1)"), "{out}");
        assert_eq!(out.matches("    0 0 3 3 0 0\n").count(), 6, "{out}");
    }
}

#[test]
fn missing_garbage_and_empty_files_exit_2_with_a_message() {
    let dir = scratch("bad_files");
    std::fs::write(dir.join("garbage.conv"), "%%%% not a spec @@@").unwrap();
    std::fs::write(dir.join("empty.conv"), "").unwrap();
    std::fs::write(dir.join("binary.conv"), [0u8, 0xff, 0xfe, 0x80]).unwrap();
    std::fs::write(dir.join("garbage.toml"), "[[[[ = ").unwrap();
    let missing = dir.join("missing.conv");
    for path in ["garbage.conv", "empty.conv", "binary.conv", "garbage.toml"]
        .map(|f| dir.join(f))
        .iter()
        .chain([&missing])
    {
        let o = convc(&["run", path.to_str().unwrap()]);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{}: {}",
            path.display(),
            stderr(&o)
        );
        assert!(
            stderr(&o).contains("error"),
            "{}: {}",
            path.display(),
            stderr(&o)
        );
        assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    }
}

#[test]
fn command_line_mistakes_exit_2() {
    assert_eq!(convc(&["run"]).status.code(), Some(2));
    assert_eq!(convc(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(
        convc(&["run", "specs/seed/bump.conv", "--format", "xml"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        convc(&["run", "specs/seed/bump.conv", "--max-memory", "lots"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(convc(&["--help"]).status.code(), Some(0));
}

#[test]
fn test_command_passes_fails_and_reports_positions() {
    let o = convc(&["test", "specs/seed"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains(" passed, 0 failed"), "{}", stdout(&o));

    let dir = scratch("failing_expect");
    let spec = dir.join("bump.conv");
    let source = std::fs::read_to_string("specs/seed/bump.conv").unwrap();
    // Change the expectation: position 2 should now be reported as expected 5, got 1.
    let changed = source.replace("= [0 0 1 1 0 0]", "= [0 0 5 1 0 0]");
    assert_ne!(
        changed, source,
        "the seed spec's expect line changed; update this test"
    );
    std::fs::write(&spec, changed).unwrap();
    let o = convc(&["test", spec.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("at (0, 2, 0): expected 5, got 1"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("0 passed, 1 failed"), "{}", stdout(&o));
}

#[test]
fn memory_limit_refuses_before_allocating() {
    let dir = scratch("memory");
    let spec = dir.join("big.conv");
    std::fs::write(&spec, "input x (1, 100000, 100000, 4) = fill 0\n").unwrap();
    let o = convc(&["run", spec.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("memory limit"), "{}", stderr(&o));
    let o = convc(&["run", spec.to_str().unwrap(), "--max-memory", "1MiB"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("1.0 MiB"), "{}", stderr(&o));
}
