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
    // A symlink is written through: its target gets the new content, the link stays.
    let resolved;
    let path = match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            resolved = fs::canonicalize(path).map_err(io("following the symlink", path))?;
            resolved.as_path()
        }
        _ => path,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    remove_stale_temp_files(dir);
    let prefix = temp_prefix(path);
    let mut tmp = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(".tmp")
        .tempfile_in(dir)
        // tempfile adds the temporary copy's name to the message: the file meant is `path`.
        .map_err(|e| {
            let text = e.to_string();
            let cause = text.split(" at path ").next().unwrap_or(&text).to_owned();
            io("writing", path)(std::io::Error::new(e.kind(), cause))
        })?;
    // Errors name the file being written, not its temporary copy (removed when `tmp` drops).
    set_mode(tmp.as_file(), mode).map_err(io("writing", path))?;
    // Through the file itself: `NamedTempFile`'s own `Write` adds the temporary name.
    tmp.as_file_mut()
        .write_all(bytes)
        .map_err(io("writing", path))?;
    tmp.as_file().sync_all().map_err(io("writing", path))?;
    tmp.persist(path).map_err(|e| crate::error::HomeError::Io {
        action: "replacing",
        path: path.to_path_buf(),
        source: e.error,
    })?;
    sync_dir(dir);
    Ok(())
}

/// The largest config or credentials file read.
pub(crate) const MAX_FILE: u64 = 1024 * 1024;
/// The deepest `[`/`{` nesting a config may have (a YAML parser is slow on deep flow
/// collections).
const MAX_NESTING: usize = 64;

/// Reads a small text file a user edits: `None` when it does not exist; an error naming
/// the file when it is not a regular file (a FIFO, `/dev/zero`, a directory: never opened
/// or read), larger than [`MAX_FILE`], or nested deeper than 64 brackets. Symlinks are
/// followed.
pub(crate) fn read_user_file(path: &Path) -> Result<Option<String>> {
    use std::io::Read;
    let shape = |message: String| crate::error::HomeError::Shape {
        path: path.to_path_buf(),
        message,
    };
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io("reading", path)(e)),
    };
    if !meta.is_file() {
        return Err(shape("it is not a regular file".to_owned()));
    }
    if meta.len() > MAX_FILE {
        return Err(shape(format!("it is larger than {} KiB", MAX_FILE / 1024)));
    }
    let mut text = String::new();
    File::open(path)
        .and_then(|f| f.take(MAX_FILE + 1).read_to_string(&mut text))
        .map_err(io("reading", path))?;
    if text.len() as u64 > MAX_FILE {
        return Err(shape(format!("it is larger than {} KiB", MAX_FILE / 1024)));
    }
    let mut depth = 0usize;
    for c in text.bytes() {
        match c {
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(shape(format!(
                        "it nests brackets deeper than {MAX_NESTING} levels"
                    )));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(Some(text))
}

/// The mode a new file created in `dir` gets from the process's umask (0666 minus the
/// umask), found by creating and removing a probe file; `fallback` when that fails.
pub(crate) fn umask_mode(dir: &Path, fallback: u32) -> u32 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let probe = dir.join(format!(".spec-kitty-umask-{}", std::process::id()));
        let created = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&probe)
            .and_then(|f| f.metadata())
            .map(|m| m.permissions().mode() & 0o777);
        let _ = fs::remove_file(&probe);
        created.unwrap_or(fallback)
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        fallback
    }
}

/// The temp files of a write of `path` are `.spec-kitty-<file name>-<random>.tmp`: named
/// after their target, so a writer holding the target's lock knows every one of them is
/// the leftover of a killed write.
fn temp_prefix(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!(".spec-kitty-{name}-")
}

/// Removes every temp file of a write of `path` ([`temp_prefix`]), whatever its age: the
/// caller holds the lock every writer of `path` takes, so none is in progress. Best effort.
pub(crate) fn remove_temps_of(path: &Path) {
    let dir = path.parent().unwrap_or(Path::new("."));
    let prefix = temp_prefix(path);
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(&prefix) && name.ends_with(".tmp") {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// [`replace`] by a writer holding the lock of `path`: the leftovers of killed writes of
/// the same file (which may hold secrets) are removed first.
pub(crate) fn replace_locked(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    remove_temps_of(path);
    replace(path, bytes, mode)
}

/// Temp files older than this are leftovers of a killed write.
const STALE_TEMP: std::time::Duration = std::time::Duration::from_secs(60);

/// Removes `.spec-kitty-*.tmp` files a killed write left in `dir` (older than a minute, so
/// a write in progress elsewhere is never touched). Best effort.
fn remove_stale_temp_files(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(".spec-kitty-") && name.ends_with(".tmp")) {
            continue;
        }
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > STALE_TEMP);
        if old {
            let _ = fs::remove_file(entry.path());
        }
    }
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
