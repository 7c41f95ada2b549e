//! No half-written files: convc killed (SIGKILL, which it cannot catch) while it writes a large
//! `.npy` output or a snapshot, or stopped by a write that fails part way (a full disk; here the
//! file-size limit, which fails a write the same way without root), leaves the previous file
//! byte for byte as it was.

mod common;

use common::{scratch, stderr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A spec whose one output, `y`, has `rows * rows * 16` values, all `value`.
fn big_spec(path: &Path, rows: usize, value: f32) {
    std::fs::write(
        path,
        format!(
            "input x (1, {rows}, {rows}, 1) = fill 1\n\
             layer y = conv2d(x) {{ filters = 16\n kernel_size = 1\n kernel = fill {value} }}\n"
        ),
    )
    .unwrap();
}

fn spawn(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_convc"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("convc starts")
}

/// convc's temporary files for `name` in `dir` (`.NAME.XXXXXX.tmp`).
fn temporaries(dir: &Path, name: &str) -> Vec<PathBuf> {
    let prefix = format!(".{name}.");
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".tmp"))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Runs `args` and SIGKILLs convc as soon as its temporary file for `dir/name` holds data.
/// Returns false when convc finished before that could be seen (the caller tries again).
fn kill_while_writing(args: &[&str], dir: &Path, name: &str) -> bool {
    let mut child = spawn(args);
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let writing = temporaries(dir, name)
            .iter()
            .any(|t| std::fs::metadata(t).is_ok_and(|m| m.len() > 0));
        if writing {
            child.kill().expect("SIGKILL");
            child.wait().expect("reaped");
            return true;
        }
        if child.try_wait().expect("status").is_some() || Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return false;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// Kills the command until one kill lands mid-write (a few tries: on a busy machine convc may
/// finish between two looks), then checks `target` still holds `old`.
fn killed_mid_write_keeps(args: &[&str], target: &Path, old: &[u8]) {
    let dir = target.parent().unwrap();
    let name = target.file_name().unwrap().to_str().unwrap();
    let mut landed = false;
    for _ in 0..5 {
        landed = kill_while_writing(args, dir, name);
        assert_eq!(
            std::fs::read(target).unwrap(),
            old,
            "{} changed",
            target.display()
        );
        if landed {
            break;
        }
        // convc finished: it replaced the file whole. Put the old one back and try again.
        std::fs::write(target, old).unwrap();
    }
    assert!(
        landed,
        "convc always finished before its temporary file could be seen"
    );
}

#[cfg(unix)]
#[test]
fn a_kill_while_writing_a_large_output_keeps_the_old_file() {
    let dir = scratch("atomic_kill_npy");
    let spec = dir.join("big.conv");
    // 1024 x 1024 x 16 float32 values: a 64 MiB file.
    big_spec(&spec, 1024, 0.5);
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let target = out.join("y.npy");
    let old = b"the previous y.npy, which must survive".to_vec();
    std::fs::write(&target, &old).unwrap();
    let args = [
        "run",
        spec.to_str().unwrap(),
        "--format",
        "npy",
        "--out",
        out.to_str().unwrap(),
        "-q",
    ];
    killed_mid_write_keeps(&args, &target, &old);
    // A later run is not disturbed by the temporary file the kill left behind.
    let o = common::convc(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(std::fs::metadata(&target).unwrap().len(), 128 + (1 << 26));
}

#[cfg(unix)]
#[test]
fn a_kill_while_accepting_a_snapshot_keeps_the_old_snapshot() {
    let dir = scratch("atomic_kill_snapshot");
    let spec = dir.join("big.conv");
    big_spec(&spec, 4, 0.5);
    let o = common::convc(&["test", spec.to_str().unwrap(), "--accept"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let target = dir.join("convc-snapshots/big.conv.snapshot");
    let old = std::fs::read(&target).unwrap();
    // Now 512 x 512 x 16 values of another value: a 16 MiB snapshot to write.
    big_spec(&spec, 512, 0.25);
    let args = ["test", "--accept", spec.to_str().unwrap()];
    killed_mid_write_keeps(&args, &target, &old);
}

/// The shell line that runs convc with writes limited to `blocks` blocks (`ulimit -f`), the
/// signal a too-large write raises ignored, so the write fails with an error as on a full disk.
#[cfg(unix)]
fn limited(blocks: u32, args: &[&str]) -> std::process::Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -f {blocks} && trap '' XFSZ && exec \"$0\" \"$@\""
        ))
        .arg(env!("CARGO_BIN_EXE_convc"))
        .args(args)
        .output()
        .expect("sh runs")
}

#[cfg(unix)]
#[test]
fn a_write_that_fails_part_way_keeps_the_old_file_and_says_why() {
    let dir = scratch("atomic_full");
    let spec = dir.join("big.conv");
    // 128 x 128 x 16 values: a 1 MiB .npy file and a 1 MiB snapshot.
    big_spec(&spec, 4, 0.5);
    let o = common::convc(&["test", spec.to_str().unwrap(), "--accept"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    big_spec(&spec, 128, 0.25);
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let target = out.join("y.npy");
    std::fs::write(&target, b"old").unwrap();
    let snapshot = dir.join("convc-snapshots/big.conv.snapshot");
    let old_snapshot = std::fs::read(&snapshot).unwrap();
    let spec = spec.to_str().unwrap();

    let o = limited(
        64,
        &[
            "run",
            spec,
            "--format",
            "npy",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("error[E0503]: cannot write `"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("File too large"), "{}", stderr(&o));
    assert_eq!(std::fs::read(&target).unwrap(), b"old");
    assert!(temporaries(&out, "y.npy").is_empty());

    let o = limited(64, &["test", "--accept", spec]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("cannot write the snapshot"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read(&snapshot).unwrap(), old_snapshot);
    assert!(temporaries(snapshot.parent().unwrap(), "big.conv.snapshot").is_empty());
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_behind_standard_output_is_an_error() {
    let full = std::fs::File::create("/dev/full").expect("/dev/full");
    let o = Command::new(env!("CARGO_BIN_EXE_convc"))
        .args(["run", "specs/seed/bump.conv"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(full)
        .output()
        .expect("convc runs");
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o)
            .contains("error[E0518]: cannot write to standard output: No space left on device"),
        "{}",
        stderr(&o)
    );
}
