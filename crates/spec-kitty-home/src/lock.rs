//! Exclusive locks on side files, waited for a bounded time.

use std::fs::File;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::error::{HomeError, Result, io};

/// How long a command waits for a lock another process holds.
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// Takes the exclusive lock of an open lock file, waiting at most `timeout`.
///
/// # Errors
///
/// [`HomeError::Locked`] naming the file and, where the system says (Linux
/// `/proc/locks`), the process that holds it; or an IO error.
pub fn lock_within(file: &File, path: &Path, timeout: Duration) -> Result<()> {
    let start = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(()),
            Err(std::fs::TryLockError::WouldBlock) if start.elapsed() < timeout => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(HomeError::Locked {
                    path: path.to_path_buf(),
                    waited: timeout,
                    holder: holder(file),
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io("locking", path)(e)),
        }
    }
}

/// Takes the exclusive lock of an open lock file now, or fails at once.
///
/// # Errors
///
/// [`HomeError::Busy`] when another process holds it (named where the system says), or an
/// IO error.
pub fn try_lock(file: &File, path: &Path) -> Result<()> {
    match file.try_lock() {
        Ok(()) => Ok(()),
        Err(std::fs::TryLockError::WouldBlock) => Err(HomeError::Busy {
            path: path.to_path_buf(),
            holder: holder(file),
        }),
        Err(std::fs::TryLockError::Error(e)) => Err(io("locking", path)(e)),
    }
}

/// `pid (command)` of the process holding a lock on `file`, from `/proc/locks`.
fn holder(file: &File) -> Option<String> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::MetadataExt;
        let inode = file.metadata().ok()?.ino();
        let locks = std::fs::read_to_string("/proc/locks").ok()?;
        let pid = locks.lines().find_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            // `1: FLOCK ADVISORY WRITE <pid> <maj:min:inode> 0 EOF`
            let (pid, dev) = (f.get(4)?, f.get(5)?);
            (dev.rsplit(':').next()? == inode.to_string()).then(|| (*pid).to_owned())
        })?;
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        Some(format!("process {pid} ({})", comm.trim()))
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = file;
        None
    }
}
