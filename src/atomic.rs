//! Writing files so that a reader, a crash, Ctrl-C or a full disk never sees half of one.
//!
//! Every file convc writes (`.npy` outputs, snapshots, pictures, reports, converted specs) goes
//! through [`write`] or [`write_with`]: the bytes go to a hidden temporary file in the same
//! folder (so the rename cannot cross file systems; created with a fresh random name and
//! `O_EXCL`, so no file or link planted there is followed), are flushed to disk, and then
//! replace the target in one rename. Until the rename the old file is untouched; if anything
//! fails (a full disk, say) the temporary file is removed and the error returned. Only a kill
//! that cannot be caught (SIGKILL, power loss) can leave a temporary `.NAME.XXXXXX.tmp` behind,
//! and never in place of the target. A stop requested meanwhile ([`crate::cancel`]: Ctrl-C,
//! SIGTERM, `--timeout`) also keeps the old file: the temporary file is removed, not renamed.

use std::io::{BufWriter, Write};
use std::path::Path;

/// Writes `bytes` to `path`, which afterwards holds either its old content or all of `bytes`.
pub fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_with(path, |w| w.write_all(bytes))
}

/// Writes what `fill` writes to `path`, which afterwards holds either its old content or all
/// of it (for outputs too big to build in memory first).
pub fn write_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let base = path
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    let prefix = format!(".{base}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    // A new file gets the usual `0o666 & !umask` (as `File::create` gives), not a temporary
    // file's private `0o600`.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let temp = builder.tempfile_in(dir)?;
    // A replaced file keeps its permissions.
    if let Ok(old) = std::fs::metadata(path) {
        temp.as_file().set_permissions(old.permissions())?;
    }
    let mut writer = BufWriter::new(temp.as_file());
    fill(&mut writer)?;
    writer.flush()?;
    drop(writer);
    temp.as_file().sync_all()?;
    // Ctrl-C, SIGTERM or `--timeout` while writing: the old file stays (and the temporary
    // file is removed when `temp` is dropped).
    if crate::cancel::requested().is_some() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::Interrupted,
            "stopped on request before the file was replaced",
        ));
    }
    // On failure the temporary file is removed when `persist`'s error is dropped.
    temp.persist(path).map_err(|e| e.error)?;
    // The rename itself is made durable by syncing the folder. Some file systems cannot sync
    // a folder; the file is whole either way, so that is no reason to fail the write.
    #[cfg(unix)]
    if let Ok(folder) = std::fs::File::open(dir) {
        let _ = folder.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("convc-atomic-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn replaces_the_file_and_leaves_no_temporary() {
        let dir = scratch("replace");
        let path = dir.join("a.txt");
        super::write(&path, b"old").unwrap();
        super::write(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_failed_write_keeps_the_old_file_and_leaves_no_temporary() {
        let dir = scratch("fail");
        let path = dir.join("a.txt");
        super::write(&path, b"old").unwrap();
        let result = super::write_with(&path, |w| {
            w.write_all(&[7; 100_000])?;
            Err(std::io::Error::from_raw_os_error(28)) // ENOSPC, as a full disk reports it
        });
        assert_eq!(result.unwrap_err().raw_os_error(), Some(28));
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[cfg(unix)]
    #[test]
    fn new_files_are_readable_like_any_other_and_replaced_ones_keep_their_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch("mode");
        let path = dir.join("a.txt");
        super::write(&path, b"one").unwrap();
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let plain = dir.join("plain.txt");
        std::fs::File::create(&plain).unwrap();
        assert_eq!(mode(&path), mode(&plain));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        super::write(&path, b"two").unwrap();
        assert_eq!(mode(&path), 0o640);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
