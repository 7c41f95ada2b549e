//! Which files a spec may read.
//!
//! Specs are shared, so a spec must not be able to read whatever its author likes on the
//! machine of the person who runs it. A path written in a spec (`npy "..."`, `image "..."`,
//! image globs) may lead only to files inside the spec's own folder and below, unless the user
//! allowed more with `--allow-read PATH`. Absolute paths, `..` that leads out, and symbolic
//! links that lead out are refused with a diagnostic at the path. Paths the user gives on the
//! command line (`--input NAME=FILE`) are the user's own choice and are read as given.
//!
//! The check and the open are one step: the path is resolved once (`canonicalize`, which
//! follows every link), the resolved path is compared with the allowed folders, and exactly
//! that resolved path is opened, with `O_NOFOLLOW` (its last component cannot have become a
//! link since) and `O_NONBLOCK` (opening a FIFO cannot hang). The opened file must be a regular
//! file, and on Linux the kernel's own name for it (`/proc/self/fd/N`) must still be the
//! resolved path, so a folder swapped for a link between the check and the open is caught too.

use crate::ast::Spanned;
use crate::diagnostic::{Code, Diagnostic};
use std::fs::File;
use std::path::{Component, Path, PathBuf};

/// What a spec may read besides its own folder.
#[derive(Debug, Clone, Default)]
pub struct ReadAccess {
    /// `--allow-read` folders and files, resolved (see [`allow_read`]).
    pub allowed: Vec<PathBuf>,
    /// Path texts that came from the command line (`--input`), read as they are.
    pub trusted: Vec<String>,
}

/// Why a file could not be opened.
#[derive(Debug)]
pub enum OpenError {
    /// The spec may not read it: the diagnostic says why and how to allow it.
    Refused(Diagnostic),
    /// The file system said no (missing, no permission, ...); the caller words the message.
    Io(std::io::Error),
}

/// `--allow-read PATH` (clap's value parser): the path resolved, so that it compares with the
/// resolved paths of a spec's files.
pub fn allow_read(text: &str) -> Result<PathBuf, Diagnostic> {
    std::fs::canonicalize(text).map_err(|e| {
        Diagnostic::error_unlocated(
            Code::BadAllowRead,
            format!("cannot allow reading `{text}`: {e}"),
        )
        .with_hint("`--allow-read` takes a file or folder that exists")
    })
}

impl ReadAccess {
    /// Opens `file` for reading, if the spec may read it. `path` is what the spec wrote (a
    /// file, or the glob pattern `file` matched), `base_dir` the spec's folder, and `file` the
    /// path shown in messages (`base_dir` joined with the file's path).
    pub fn open(
        &self,
        base_dir: &Path,
        path: &Spanned<String>,
        file: &Path,
    ) -> Result<File, OpenError> {
        let real = self.resolve(base_dir, path, file)?;
        open_resolved(&real, file, path)
    }

    /// The refusal of a glob pattern that can match nothing the spec may read (it is absolute
    /// or climbs out of the spec's folder, and no `--allow-read` was given), found before any
    /// folder outside is listed.
    pub fn refuse_pattern(&self, base_dir: &Path, path: &Spanned<String>) -> Option<Diagnostic> {
        if self.trusted.contains(&path.value) || !self.allowed.is_empty() {
            return None;
        }
        let written = Path::new(&path.value);
        let file = base_dir.join(written);
        if written.has_root() || written.is_absolute() {
            Some(refuse_absolute(base_dir, path, &file))
        } else if leaves(written) {
            Some(refuse_escape(base_dir, path, &file))
        } else {
            None
        }
    }

    /// The resolved path of `file`, if the spec may read it.
    fn resolve(
        &self,
        base_dir: &Path,
        path: &Spanned<String>,
        file: &Path,
    ) -> Result<PathBuf, OpenError> {
        if self.trusted.contains(&path.value) {
            return std::fs::canonicalize(file).map_err(OpenError::Io);
        }
        let written = Path::new(&path.value);
        let absolute = written.has_root() || written.is_absolute();
        let escapes = absolute || leaves(written);
        let refuse = |real: Option<&Path>| {
            OpenError::Refused(if absolute {
                refuse_absolute(base_dir, path, file)
            } else if escapes {
                refuse_escape(base_dir, path, file)
            } else {
                refuse_link(base_dir, path, real.unwrap_or(file))
            })
        };
        let real = match std::fs::canonicalize(file) {
            Ok(real) => real,
            // Saying "missing" for a path outside would tell whether a file exists there.
            Err(_) if escapes => return Err(refuse(None)),
            Err(e) => return Err(OpenError::Io(e)),
        };
        if self.allowed.iter().any(|a| real.starts_with(a)) {
            return Ok(real);
        }
        if !escapes {
            let root = std::fs::canonicalize(folder(base_dir)).map_err(OpenError::Io)?;
            if real.starts_with(&root) {
                return Ok(real);
            }
        }
        Err(refuse(Some(&real)))
    }
}

/// `base_dir`, or `.` for a spec in the current folder.
fn folder(base_dir: &Path) -> &Path {
    if base_dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        base_dir
    }
}

/// Whether the relative path `p` climbs above its starting folder at some point.
fn leaves(p: &Path) -> bool {
    let mut depth: i64 = 0;
    for c in p.components() {
        match c {
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => return true,
        }
        if depth < 0 {
            return true;
        }
    }
    false
}

/// `p` with `.` and `name/..` removed, without touching the file system: what a user would
/// type on the command line (`specs/x/../../etc/passwd` is `../etc/passwd`... from `specs/x`).
fn normalize(p: &Path) -> PathBuf {
    let mut out: Vec<Component> = Vec::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(c),
            },
            _ => out.push(c),
        }
    }
    let p: PathBuf = out.iter().collect();
    if p.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        p
    }
}

fn refuse_absolute(base_dir: &Path, path: &Spanned<String>, file: &Path) -> Diagnostic {
    Diagnostic::error(
        Code::ReadOutside,
        path.span,
        format!(
            "`{}` is an absolute path, but a spec may only read files inside its own folder",
            path.value
        ),
    )
    .with_label("absolute path")
    .with_hint(format!(
        "write the path relative to the spec's folder `{}`, or let the spec read it with `--allow-read {}`",
        folder(base_dir).display(),
        to_allow(file).display()
    ))
}

/// What to pass to `--allow-read` for `file`: the file itself, or for a glob pattern the
/// folder before its first wildcard.
fn to_allow(file: &Path) -> PathBuf {
    let literal: PathBuf = file
        .components()
        .take_while(|c| !c.as_os_str().to_string_lossy().contains(['*', '?', '[']))
        .collect();
    normalize(&literal)
}

fn refuse_escape(base_dir: &Path, path: &Spanned<String>, file: &Path) -> Diagnostic {
    Diagnostic::error(
        Code::ReadOutside,
        path.span,
        format!(
            "`{}` leads out of the spec's folder `{}`",
            path.value,
            folder(base_dir).display()
        ),
    )
    .with_label("outside the spec's folder")
    .with_hint(format!(
        "a spec may only read files in its own folder and below: move the file there, or let the spec read it with `--allow-read {}`",
        to_allow(file).display()
    ))
}

fn refuse_link(base_dir: &Path, path: &Spanned<String>, real: &Path) -> Diagnostic {
    Diagnostic::error(
        Code::ReadOutside,
        path.span,
        format!(
            "`{}` is in the spec's folder `{}`, but a symbolic link leads it out, to `{}`",
            path.value,
            folder(base_dir).display(),
            real.display()
        ),
    )
    .with_label("a link out of the spec's folder")
    .with_hint(format!(
        "copy the file into the spec's folder instead of linking to it, or let the spec read it with `--allow-read {}`",
        real.display()
    ))
}

/// Opens exactly the checked path `real` (`shown` is the name the user knows it by).
fn open_resolved(real: &Path, shown: &Path, path: &Spanned<String>) -> Result<File, OpenError> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = options.open(real).map_err(OpenError::Io)?;
    let is_file = file.metadata().map_err(OpenError::Io)?.is_file();
    if !is_file {
        return Err(OpenError::Refused(
            Diagnostic::error(
                Code::NotRegularFile,
                path.span,
                format!("`{}` is not a regular file", shown.display()),
            )
            .with_label("not a file")
            .with_hint("a spec reads arrays and pictures from ordinary files"),
        ));
    }
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        // Without /proc (some sandboxes) the open of the resolved path above is the guarantee.
        if let Ok(now) = std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd())) {
            if now != real {
                return Err(OpenError::Refused(
                    Diagnostic::error(
                        Code::FileReplaced,
                        path.span,
                        format!(
                            "`{}` was replaced while convc opened it (it now leads to `{}`)",
                            shown.display(),
                            now.display()
                        ),
                    )
                    .with_label("changed while opened")
                    .with_hint("something is changing the spec's files; run again once it stops"),
                ));
            }
        }
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn climbing_out_is_seen_without_the_file_system() {
        assert!(leaves(Path::new("../x.npy")));
        assert!(leaves(Path::new("data/../../x.npy")));
        assert!(leaves(Path::new("/etc/passwd")));
        assert!(!leaves(Path::new("data/../x.npy")));
        assert!(!leaves(Path::new("./data/x.npy")));
    }

    #[test]
    fn normalized_paths_are_what_a_user_types() {
        assert_eq!(
            normalize(Path::new("specs/x/../../../etc/passwd")),
            Path::new("../etc/passwd")
        );
        assert_eq!(normalize(Path::new("/a/./b/../c")), Path::new("/a/c"));
        assert_eq!(normalize(Path::new("a/..")), Path::new("."));
        assert_eq!(
            to_allow(Path::new("specs/x/../y/*.png")),
            Path::new("specs/y")
        );
    }
}
