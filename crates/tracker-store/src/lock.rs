//! Exclusive locks on side files, waited for a bounded time.

use std::fs::File;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::error::{Result, StoreError, io};

/// How long a command waits for a lock another process holds.
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// Takes the exclusive lock of an open lock file, waiting at most `timeout`.
///
/// # Errors
///
/// [`StoreError::Locked`] naming the file and, where the system says (Linux
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
                return Err(StoreError::Locked {
                    path: path.to_path_buf(),
                    waited: timeout,
                    holder: holder(file),
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io("locking", path)(e)),
        }
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
