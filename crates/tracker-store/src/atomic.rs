//! Atomic file replacement: a temp file in the same directory, fsynced, renamed over the
//! target, then the directory fsynced. Readers see the old file or the new one, never a
//! truncated or half-written one.

use std::fs::{self, File, Permissions};
use std::io::Write;
use std::path::Path;

use crate::error::{Result, io};

/// Replaces `path` with `bytes`. The new file gets `mode` (Unix permission bits) from the
/// instant it is created: the temp file is created 0600 and only then widened to `mode`.
pub(crate) fn replace(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".spec-kitty-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(io("creating a temporary file in", dir))?;
    set_mode(tmp.as_file(), mode).map_err(io("setting permissions of", tmp.path()))?;
    tmp.write_all(bytes).map_err(io("writing", tmp.path()))?;
    tmp.as_file()
        .sync_all()
        .map_err(io("syncing", tmp.path()))?;
    tmp.persist(path)
        .map_err(|e| crate::error::StoreError::Io {
            action: "replacing",
            path: path.to_path_buf(),
            source: e.error,
        })?;
    sync_dir(dir);
    Ok(())
}

/// The permission bits of an existing file, or `default`.
pub(crate) fn existing_mode(path: &Path, default: u32) -> u32 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path).map_or(default, |m| m.permissions().mode() & 0o7777)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        default
    }
}

fn set_mode(file: &File, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(Permissions::from_mode(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = (file, mode);
        Ok(())
    }
}

/// Best effort: makes the rename durable. Not all platforms can open a directory.
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}
