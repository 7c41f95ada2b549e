//! Resource limits end to end: `--max-memory`, `--max-code-size`, `--timeout`, Ctrl-C and
//! SIGTERM. Each refusal names its limit and the flag that raises it; peak memory is measured
//! from the child's own accounting (`wait4`'s `ru_maxrss`), so "nothing a test feeds convc
//! makes it allocate more than the limit" is a measurement, not a promise.

mod common;

use common::scratch;
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How a child ended and what it took.
struct Finished {
    /// The exit code; `None` when a signal killed it.
    code: Option<i32>,
    stderr: String,
    /// The most resident memory it ever had, in bytes.
    peak_rss: u64,
    /// From spawning (or from the signal, see [`interrupt`]) to its exit.
    elapsed: Duration,
}

fn spawn(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_convc"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the convc binary runs")
}

/// Waits for `child` with `wait4`, which also reports its peak memory.
fn finish(mut child: Child, since: Instant) -> Finished {
    let mut out = child.stdout.take().expect("piped stdout");
    let mut err = child.stderr.take().expect("piped stderr");
    // Drained on threads so a full pipe never blocks the child.
    let out = std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = err.read_to_string(&mut text);
        text
    });
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: `rusage` is plain data; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4");
    let elapsed = since.elapsed();
    let _ = out.join();
    Finished {
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        stderr: err.join().expect("stderr thread"),
        // Linux reports kilobytes.
        peak_rss: usage.ru_maxrss as u64 * 1024,
        elapsed,
    }
}

fn run(args: &[&str]) -> Finished {
    finish(spawn(args), Instant::now())
}

const MIB: u64 = 1 << 20;

/// A convolution whose input and output are 16 MiB each: 48 MiB charged in all (the input,
/// the run's copy of it, the output).
fn sixteen_mib_spec(dir: &Path) -> String {
    let path = dir.join("big.conv");
    std::fs::write(
        &path,
        "input photo (1, 1024, 1024, 4) = fill 1\n\
         layer blur = conv2d(photo) {\n filters = 4\n kernel_size = 3\n padding = same\n kernel = fill 0.1\n}\n",
    )
    .expect("write spec");
    path.to_str().expect("utf-8 path").to_string()
}

/// An interpreter run of several seconds: 256 x 256 x 16 values through a 3x3 convolution
/// with 16 filters, twice (about 300 million multiply-adds in f64).
fn long_spec(dir: &Path) -> String {
    let path = dir.join("long.conv");
    std::fs::write(
        &path,
        "input x (1, 256, 256, 16) = fill 1\n\
         layer a = conv2d(x) {\n filters = 16\n kernel_size = 3\n padding = same\n kernel = fill 0.01\n}\n\
         layer b = conv2d(a) {\n filters = 16\n kernel_size = 3\n padding = same\n kernel = fill 0.01\n}\n",
    )
    .expect("write spec");
    path.to_str().expect("utf-8 path").to_string()
}

#[test]
fn tensors_of_149_gib_are_refused_without_being_allocated() {
    let o = run(&[
        "check",
        "specs/errors/err_memory_limit.conv",
        "--max-memory",
        "64MiB",
    ]);
    assert_eq!(o.code, Some(2), "{}", o.stderr);
    assert!(
        o.stderr.contains("exceed the memory limit of 64.0 MiB"),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("`--max-memory 256GiB`"), "{}", o.stderr);
    assert!(o.peak_rss < 64 * MIB, "peak {} MiB", o.peak_rss / MIB);
}

#[test]
fn a_run_stays_within_its_memory_limit_and_is_refused_below_it() {
    let dir = scratch("limits_memory");
    let spec = sixteen_mib_spec(&dir);
    // What convc takes with nothing to hold: the binary, its libraries, Cranelift.
    let baseline = run(&["run", "specs/seed/bump.conv"]);
    assert_eq!(baseline.code, Some(0), "{}", baseline.stderr);
    // The JIT only: the interpreter holds the same tensors (the values of the model and the
    // run's copy of the inputs) but needs a minute for this layer in a debug build.
    let fits = run(&["run", &spec, "--max-memory", "56MiB"]);
    assert_eq!(fits.code, Some(0), "{}", fits.stderr);
    assert!(
        fits.peak_rss <= baseline.peak_rss + 56 * MIB,
        "peak {} MiB, baseline {} MiB, limit 56 MiB",
        fits.peak_rss / MIB,
        baseline.peak_rss / MIB
    );
    let refused = run(&["run", &spec, "--max-memory", "40MiB"]);
    assert_eq!(refused.code, Some(2), "{}", refused.stderr);
    assert!(
        refused.stderr.contains("the output of `blur`")
            && refused.stderr.contains("`--max-memory 64MiB`"),
        "{}",
        refused.stderr
    );
    assert!(refused.peak_rss <= baseline.peak_rss + 40 * MIB);
}

#[test]
fn printing_every_value_is_charged_before_the_run() {
    let dir = scratch("limits_full_text");
    let spec = sixteen_mib_spec(&dir);
    // 4 Mi values of text do not fit in what 56 MiB leaves after the tensors.
    let o = run(&["run", &spec, "--full", "--max-memory", "56MiB"]);
    assert_eq!(o.code, Some(2), "{}", o.stderr);
    assert!(
        o.stderr.contains("the text of every value (`--full`)")
            && o.stderr.contains("--max-memory"),
        "{}",
        o.stderr
    );
}

#[test]
fn generated_code_over_the_limit_is_refused_with_the_flag_to_raise_it() {
    let o = run(&[
        "run",
        "specs/seed/vertical_line.conv",
        "--max-code-size",
        "100",
    ]);
    assert_eq!(o.code, Some(2), "{}", o.stderr);
    assert!(
        o.stderr.contains("the machine code of layer `")
            && o.stderr
                .contains("exceed the generated-code limit of 100 bytes")
            && o.stderr.contains("`--max-code-size 1MiB`"),
        "{}",
        o.stderr
    );
    let fits = run(&[
        "run",
        "specs/seed/vertical_line.conv",
        "--max-code-size",
        "1MiB",
    ]);
    assert_eq!(fits.code, Some(0), "{}", fits.stderr);
}

#[test]
fn a_timeout_stops_a_long_run_promptly_with_a_message() {
    let dir = scratch("limits_timeout");
    let spec = long_spec(&dir);
    let o = run(&["run", &spec, "--backend", "interp", "--timeout", "300ms"]);
    assert_eq!(o.code, Some(2), "{}", o.stderr);
    assert!(
        o.stderr.contains("time limit of 300ms") && o.stderr.contains("`--timeout 2s`"),
        "{}",
        o.stderr
    );
    assert!(o.elapsed < Duration::from_secs(3), "took {:?}", o.elapsed);
    let bad = run(&["run", &spec, "--timeout", "soon"]);
    assert_eq!(bad.code, Some(2), "{}", bad.stderr);
    assert!(bad.stderr.contains("not a duration"), "{}", bad.stderr);
}

#[test]
fn ctrl_c_and_sigterm_stop_a_run_and_leave_the_old_output_intact() {
    for (signal, name) in [(libc::SIGINT, "SIGINT"), (libc::SIGTERM, "SIGTERM")] {
        let dir = scratch(&format!("limits_{name}"));
        let spec = long_spec(&dir);
        let out = dir.join("out");
        std::fs::create_dir_all(&out).expect("out folder");
        std::fs::write(out.join("b.npy"), b"old").expect("old output");
        let child = spawn(&[
            "run",
            &spec,
            "--backend",
            "interp",
            "--format",
            "npy",
            "--out",
            out.to_str().expect("utf-8"),
        ]);
        // Well after the handler is installed (the first thing convc does), well before the
        // several seconds the run needs.
        std::thread::sleep(Duration::from_millis(500));
        // SAFETY: a signal to our own child, which has not been waited for yet.
        assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, signal) }, 0);
        let o = finish(child, Instant::now());
        assert_eq!(o.code, Some(2), "{name}: {}", o.stderr);
        assert!(o.stderr.contains("interrupted"), "{name}: {}", o.stderr);
        assert!(
            o.elapsed < Duration::from_secs(2),
            "{name}: took {:?}",
            o.elapsed
        );
        assert_eq!(std::fs::read(out.join("b.npy")).expect("old file"), b"old");
        let files: Vec<_> = std::fs::read_dir(&out).expect("out folder").collect();
        assert_eq!(files.len(), 1, "{name}: {files:?}");
    }
}

#[test]
fn an_npy_header_that_claims_10_gib_is_refused_before_reading() {
    let dir = scratch("limits_npy");
    // A valid header for (1, 50000, 50000) float32 (10 GB), followed by 8 bytes of data.
    let mut header =
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 50000, 50000), }".to_string();
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend((header.len() as u16).to_le_bytes());
    bytes.extend(header.as_bytes());
    bytes.extend([0u8; 8]);
    std::fs::write(dir.join("huge.npy"), bytes).expect("write npy");
    let spec = dir.join("huge.conv");
    std::fs::write(&spec, "input x = npy \"huge.npy\"\n").expect("write spec");
    let o = run(&[
        "check",
        spec.to_str().expect("utf-8"),
        "--max-memory",
        "64MiB",
    ]);
    assert_eq!(o.code, Some(2), "{}", o.stderr);
    assert!(o.stderr.contains("--max-memory"), "{}", o.stderr);
    assert!(o.peak_rss < 64 * MIB, "peak {} MiB", o.peak_rss / MIB);
}
