//! Safe file access, end to end: a spec reads only files inside its own folder, unless the user
//! passes `--allow-read`; `..`, absolute paths and symbolic links that lead out are refused
//! (exit 2) on every command that loads a spec. The files and links are made here, in scratch
//! folders (no link is committed). The messages of specs that can show them are snapshots of
//! `specs/errors/err_read_*`.

mod common;

use common::{convc, scratch, stderr};
use std::path::{Path, PathBuf};

fn utf8(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("specs/features/data")
        .join(name)
}

/// `root/spec/` with a spec whose input is `input` (`{outside}` replaced by the absolute path
/// of `root/outside`), and `root/outside/ramp.npy` (a copy of the features' 1x3x4x1 ramp).
/// Returns (spec file, outside folder).
fn layout(name: &str, input: &str) -> (PathBuf, PathBuf) {
    let root = scratch(name);
    let input = input.replace("{outside}", utf8(&root.join("outside")));
    let outside = root.join("outside");
    let inside = root.join("spec");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::create_dir_all(&inside).unwrap();
    std::fs::copy(data("ramp.npy"), outside.join("ramp.npy")).unwrap();
    let spec = inside.join("reads.conv");
    std::fs::write(
        &spec,
        format!("input ramp = {input}\nlayer sums = conv2d(ramp) {{ filter = [1 1 / 1 1] }}\n"),
    )
    .unwrap();
    (spec, outside)
}

/// Every command that loads a spec, as arguments before and after the spec.
fn commands(spec: &str, out: &Path) -> Vec<Vec<String>> {
    let report = out.join("report.html");
    let converted = out.join("converted.toml");
    let lists: [&[&str]; 8] = [
        &["run", spec],
        &["check", spec],
        &["test", "--no-snapshots", spec],
        &["explain", spec, "--at", "0,0"],
        &["report", spec, "-q", "-o", utf8(&report)],
        &["emit", spec, "--loops"],
        &["bench", spec, "-q"],
        &["convert", spec, "--to", "toml", "-o", utf8(&converted)],
    ];
    lists
        .iter()
        .map(|l| l.iter().map(|s| s.to_string()).collect())
        .collect()
}

fn run(args: &[String]) -> std::process::Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    convc(&args)
}

/// The spec is refused by every command (exit 2, with `why` in the message), and accepted by
/// every command once `--allow-read allow` is given.
fn refused_unless_allowed(spec: &Path, why: &str, allow: &Path) {
    let out = spec.parent().unwrap().parent().unwrap().join("out");
    std::fs::create_dir_all(&out).unwrap();
    for args in commands(utf8(spec), &out) {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        let message = stderr(&o);
        assert!(message.contains(why), "{args:?}: {message}");
        assert!(message.contains("--allow-read"), "{args:?}: {message}");
        let mut allowed = args.clone();
        allowed.extend(["--allow-read".to_string(), utf8(allow).to_string()]);
        let o = run(&allowed);
        assert_eq!(o.status.code(), Some(0), "{allowed:?}: {}", stderr(&o));
    }
}

#[test]
fn parent_paths_out_of_the_folder_are_refused_unless_allowed() {
    let (spec, outside) = layout("access_parent", "npy \"../outside/ramp.npy\"");
    refused_unless_allowed(&spec, "leads out of the spec's folder", &outside);
}

#[test]
fn absolute_paths_are_refused_unless_allowed() {
    let (spec, outside) = layout("access_absolute", "npy \"{outside}/ramp.npy\"");
    refused_unless_allowed(&spec, "is an absolute path", &outside);
    // Allowing the file itself is enough too.
    let o = convc(&[
        "check",
        utf8(&spec),
        "--allow-read",
        utf8(&outside.join("ramp.npy")),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[cfg(unix)]
#[test]
fn symbolic_links_out_of_the_folder_are_refused_unless_allowed() {
    let (spec, outside) = layout("access_link", "npy \"link.npy\"");
    let inside = spec.parent().unwrap();
    std::os::unix::fs::symlink(outside.join("ramp.npy"), inside.join("link.npy")).unwrap();
    refused_unless_allowed(&spec, "a symbolic link leads it out", &outside);
    let o = convc(&["check", utf8(&spec)]);
    let message = stderr(&o);
    assert!(message.contains("reads.conv:1:18"), "{message}");
    assert!(
        message.contains(&format!(
            "--allow-read {}",
            utf8(&outside.canonicalize().unwrap().join("ramp.npy"))
        )),
        "{message}"
    );
}

#[cfg(unix)]
#[test]
fn a_linked_folder_out_of_the_tree_is_refused_for_files_and_globs() {
    let root = scratch("access_linked_folder");
    let outside = root.join("outside");
    let inside = root.join("spec");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::create_dir_all(&inside).unwrap();
    std::fs::copy(data("bar.png"), outside.join("bar.png")).unwrap();
    std::os::unix::fs::symlink(&outside, inside.join("pictures")).unwrap();
    for path in [
        "pictures/bar.png",
        "pictures/*.png",
        "pictures/../spec/pictures/bar.png",
    ] {
        let spec = inside.join("photo.conv");
        std::fs::write(
            &spec,
            format!("input photo = image \"{path}\" gray\nlayer edges = conv2d(photo) {{ filter = sobel_x }}\n"),
        )
        .unwrap();
        let o = convc(&["check", utf8(&spec)]);
        assert_eq!(o.status.code(), Some(2), "{path}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("symbolic link"),
            "{path}: {}",
            stderr(&o)
        );
        let o = convc(&["check", utf8(&spec), "--allow-read", utf8(&outside)]);
        assert_eq!(o.status.code(), Some(0), "{path}: {}", stderr(&o));
    }
}

#[cfg(unix)]
#[test]
fn links_and_parents_that_stay_inside_are_fine() {
    let (spec, _) = layout("access_inside", "npy \"data/../again/ramp.npy\"");
    let inside = spec.parent().unwrap();
    std::fs::create_dir_all(inside.join("data")).unwrap();
    std::fs::create_dir_all(inside.join("real")).unwrap();
    std::fs::copy(data("ramp.npy"), inside.join("real/ramp.npy")).unwrap();
    std::os::unix::fs::symlink("real", inside.join("again")).unwrap();
    let o = convc(&["check", utf8(&spec)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn files_named_on_the_command_line_are_the_users_choice() {
    let (spec, outside) = layout("access_input", "npy \"../outside/ramp.npy\"");
    let input = format!("ramp={}", utf8(&outside.join("ramp.npy")));
    let o = convc(&["check", utf8(&spec), "--input", &input]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn an_allowed_path_must_exist() {
    let o = convc(&[
        "check",
        "specs/seed/bump.conv",
        "--allow-read",
        "no/such/folder",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("cannot allow reading `no/such/folder`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn the_refusals_of_the_error_specs_exit_2_and_are_allowed_when_asked() {
    let o = convc(&["check", "specs/errors/err_read_absolute.conv"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    // Allowed, the refusal is gone and the file is read (`/etc/passwd` is no `.npy` file).
    if Path::new("/etc/passwd").exists() {
        let o = convc(&[
            "check",
            "specs/errors/err_read_absolute.conv",
            "--allow-read",
            "/etc/passwd",
        ]);
        assert_eq!(o.status.code(), Some(2));
        assert!(
            stderr(&o).contains("is not a usable .npy file"),
            "{}",
            stderr(&o)
        );
        assert!(
            !stderr(&o).contains("is an absolute path"),
            "{}",
            stderr(&o)
        );
    }
    let o = convc(&["check", "specs/errors/err_read_glob_parent.conv"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = convc(&[
        "check",
        "specs/errors/err_read_glob_parent.conv",
        "--allow-read",
        "specs/features/data",
    ]);
    // `bar.png` and `colours.png` differ in size: the batch is refused, for that reason.
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("must all have the same size"),
        "{}",
        stderr(&o)
    );
}

#[cfg(unix)]
#[test]
fn a_snapshot_that_links_out_of_the_folder_is_not_read() {
    let (spec, outside) = layout("access_snapshot", "npy \"ramp.npy\"");
    let inside = spec.parent().unwrap();
    std::fs::copy(data("ramp.npy"), inside.join("ramp.npy")).unwrap();
    std::fs::write(outside.join("secret.txt"), "output hunter2 (1)\n").unwrap();
    std::fs::create_dir_all(inside.join("convc-snapshots")).unwrap();
    let snapshot = inside.join("convc-snapshots/reads.conv.snapshot");
    std::os::unix::fs::symlink(outside.join("secret.txt"), &snapshot).unwrap();
    let o = convc(&["test", utf8(&spec)]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("symbolic link"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("hunter2"), "{}", stderr(&o));
    assert!(!common::stdout(&o).contains("hunter2"));
    // Allowed, it is read (and found to be no snapshot).
    let o = convc(&["test", utf8(&spec), "--allow-read", utf8(&outside)]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("is broken"), "{}", stderr(&o));
    // A snapshot of its own is read as always (recorded with --accept, which CI=true needs).
    std::fs::remove_file(&snapshot).unwrap();
    let o = convc(&["test", utf8(&spec), "--accept"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = convc(&["test", utf8(&spec)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        common::stdout(&o).contains("snapshot matches"),
        "{}",
        common::stdout(&o)
    );
}
