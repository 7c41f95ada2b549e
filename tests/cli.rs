//! The `convc` binary end to end: outputs, exit codes and messages as a user sees them.

mod common;

use common::{convc, scratch, stderr, stdout};
use std::path::Path;
use std::process::{Command, Output};

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
    // `--no-snapshots`: the repository's specs are covered by insta's snapshots, and a test
    // must not write user snapshots into the source tree.
    let written = Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/seed/convc-snapshots");
    let existed = written.exists();
    let o = convc(&["test", "specs/seed", "--no-snapshots"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(!stdout(&o).contains("snapshot"), "{}", stdout(&o));
    assert_eq!(
        written.exists(),
        existed,
        "convc test --no-snapshots wrote a snapshot"
    );
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
    let o = convc(&["test", spec.to_str().unwrap(), "--no-snapshots"]);
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

/// `convc test` in `dir`, outside CI (the snapshot tests decide for themselves whether CI is
/// set; the suite itself may run under CI=true).
fn convc_test(dir: &Path, args: &[&str], ci: bool) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_convc"));
    command
        .arg("test")
        .args(args)
        .current_dir(dir)
        .env_remove("CI");
    if ci {
        command.env("CI", "true");
    }
    command.output().expect("the convc binary runs")
}

/// The tutorial's bump detector without its `expect`, so that only the snapshot can notice a
/// change.
fn bump_without_expect() -> String {
    let source = std::fs::read_to_string("specs/seed/bump.conv").unwrap();
    let kept: Vec<&str> = source
        .lines()
        .filter(|l| !l.starts_with("expect"))
        .collect();
    kept.join("\n")
}

#[test]
fn snapshots_record_detect_a_changed_weight_and_accept() {
    let dir = scratch("user_snapshots");
    std::fs::write(dir.join("bump.conv"), bump_without_expect()).unwrap();
    std::fs::write(dir.join("err_broken.conv"), "layer x = nothing(y)\n").unwrap();
    let snap = dir.join("convc-snapshots/bump.conv.snapshot");

    // First run: records, and says so; err_ specs get no snapshot.
    let o = convc_test(&dir, &[], false);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("snapshot recorded"), "{}", stdout(&o));
    let recorded = std::fs::read_to_string(&snap).unwrap();
    assert!(
        recorded.contains("output bump (1, 6, 1)\n0 0 1 1 0 0\n"),
        "{recorded}"
    );
    assert!(!dir
        .join("convc-snapshots/err_broken.conv.snapshot")
        .exists());

    // Unchanged: matches.
    let o = convc_test(&dir, &[], false);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("snapshot matches"), "{}", stdout(&o));

    // A changed weight: the middle tap 1 -> 2 doubles positions 2 and 3.
    let changed = bump_without_expect().replace("[0 1 0]", "[0 2 0]");
    std::fs::write(dir.join("bump.conv"), changed).unwrap();
    let o = convc_test(&dir, &[], false);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(out.contains("output bump: 2 of 6 values differ"), "{out}");
    assert!(out.contains("at (0, 2, 0): was 1, now 2"), "{out}");
    assert!(out.contains("at (0, 3, 0): was 1, now 2"), "{out}");
    assert_eq!(std::fs::read_to_string(&snap).unwrap(), recorded);

    // A tolerance wide enough lets it pass; --accept records it; then it matches.
    let o = convc_test(&dir, &["--tolerance", "2"], false);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let o = convc_test(&dir, &["--accept"], false);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("snapshot updated"), "{}", stdout(&o));
    assert!(std::fs::read_to_string(&snap)
        .unwrap()
        .contains("0 0 2 2 0 0\n"));
    let o = convc_test(&dir, &[], false);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    // No temporary file is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(dir.join("convc-snapshots"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn snapshots_under_ci_are_not_recorded_and_broken_ones_exit_2() {
    let dir = scratch("user_snapshots_ci");
    std::fs::write(dir.join("bump.conv"), bump_without_expect()).unwrap();
    let snap = dir.join("convc-snapshots/bump.conv.snapshot");
    let o = convc_test(&dir, &[], true);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("CI is set"), "{}", stdout(&o));
    assert!(!snap.exists());

    std::fs::create_dir_all(snap.parent().unwrap()).unwrap();
    std::fs::write(&snap, "output bump (1, 6, 1)\n0 0 1 x 0 0\n").unwrap();
    let o = convc_test(&dir, &[], false);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("line 2: `x` is not a number"),
        "{}",
        stderr(&o)
    );
    let o = convc_test(&dir, &["--accept"], true);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("re-recorded"), "{}", stdout(&o));

    for bad in [["--tolerance", "lots"], ["--accept", "--no-snapshots"]] {
        let o = convc_test(&dir, &bad, false);
        assert_eq!(o.status.code(), Some(2), "{bad:?}: {}", stderr(&o));
    }
}

#[test]
fn explain_prints_the_tutorials_steps_and_rejects_bad_positions() {
    let o = convc(&["explain", "specs/seed/bump.conv"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("  [0 1 0]·[0 1 1] = 1\n"),
        "{}",
        stdout(&o)
    );
    let o = convc(&[
        "explain",
        "specs/seed/vertical_line.conv",
        "--layer",
        "vertical",
        "--at",
        "0,2",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("sum of products: 3"), "{}", stdout(&o));
    for (args, message) in [
        (&["--at", "9"][..], "position 9 is out of range"),
        (&["--at", "1,2"][..], "channel 2 is out of range"),
        (&["--at", "0,1,2,3"][..], "has 4 numbers"),
        (&["--layer", "bumb"][..], "did you mean `bump`"),
        (&["--at", "x"][..], "not an index"),
    ] {
        let mut all = vec!["explain", "specs/seed/bump.conv"];
        all.extend_from_slice(args);
        let o = convc(&all);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains(message), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    }
    let o = convc(&["explain", "specs/seed/vertical_line.conv"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--at 3,3"), "{}", stderr(&o));
}
