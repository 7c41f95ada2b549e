//! Writing files so that a reader, a crash or Ctrl-C never sees half of one.
//!
//! Every file convc writes (outputs, snapshots, pictures, reports, converted specs) goes through
//! [`write`]: the bytes go to a hidden temporary file in the same folder (so the rename cannot
//! cross file systems), are flushed to disk, and then replace the target in one rename, unless
//! a stop was requested meanwhile ([`crate::cancel`]): then the temporary file is removed and
//! the old file stays.

use std::io::Write as _;
use std::path::Path;

/// Writes `bytes` to `path`, which afterwards holds either its old content or all of `bytes`.
pub fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let base = path
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    // Unique per process, so two runs writing into one folder do not share a temporary file.
    let temp = dir.join(format!(".{base}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        // Ctrl-C, SIGTERM or `--timeout` while writing: the old file stays.
        if crate::cancel::requested().is_some() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::Interrupted,
                "stopped on request before the file was replaced",
            ));
        }
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

#[cfg(test)]
mod tests {
    #[test]
    fn replaces_the_file_and_leaves_no_temporary() {
        let dir = std::env::temp_dir().join(format!("convc-atomic-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.txt");
        super::write(&path, b"old").unwrap();
        super::write(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
