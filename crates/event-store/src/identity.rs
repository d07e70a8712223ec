//! Who emits: the node id (as the Python CLI computes it), the team, the project.

use std::path::Path;

use sha2::{Digest, Sha256};

/// The first 12 hex digits of sha256 of `"<hostname>:<username>"`, as the Python CLI's
/// `generate_node_id`, so one machine has one node id under both CLIs.
#[must_use]
pub fn node_id(hostname: &str, username: &str) -> String {
    let digest = Sha256::digest(format!("{hostname}:{username}").as_bytes());
    digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

/// This machine's host name as `socket.gethostname()` gives it on Linux (the kernel's
/// node name), when it can be read.
#[must_use]
pub fn hostname() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// The user name as Python's `getpass.getuser()` finds it: the first non-empty of
/// `LOGNAME`, `USER`, `LNAME`, `USERNAME` (the caller passes the environment's values, in
/// that order), else the password-database name of this process's user.
#[must_use]
pub fn username(env_values: &[Option<String>]) -> Option<String> {
    if let Some(v) = env_values.iter().flatten().find(|v| !v.is_empty()) {
        return Some(v.clone());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let uid = std::fs::metadata("/proc/self").ok()?.uid();
        let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
        passwd.lines().find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.len() > 2 && f[2] == uid.to_string()).then(|| f[0].to_owned())
        })
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// The project config's identity for events: `project.uuid`, `project.slug`,
/// `project.repo_slug`; all `None` outside a project.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectContext {
    /// `project.uuid`.
    pub uuid: Option<String>,
    /// `project.slug`.
    pub slug: Option<String>,
    /// `project.repo_slug`.
    pub repo_slug: Option<String>,
    /// Whether a project was found.
    pub found: bool,
}

/// The project containing `start`, if any.
///
/// # Errors
///
/// Inside a project whose `.kittify/config.yaml` exists but cannot be read (malformed
/// YAML, too large, not a regular file): its identity would silently be lost, so nothing
/// may be stamped from it.
pub fn project_context(start: &Path) -> Result<ProjectContext, spec_kitty_home::HomeError> {
    let Ok(root) = spec_kitty_home::find_project_root(start) else {
        return Ok(ProjectContext::default());
    };
    let config = spec_kitty_home::ProjectConfig::at_root(&root);
    config.check_readable()?;
    let id = config.identity();
    Ok(ProjectContext {
        uuid: id.uuid,
        slug: id.slug,
        repo_slug: config.repo_slug(),
        found: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_id_matches_the_python_cli() {
        // hashlib.sha256(b"build-host:dev").hexdigest()[:12]
        assert_eq!(node_id("build-host", "dev"), "309267824543");
        assert_eq!(node_id("a", "b").len(), 12);
    }

    #[test]
    fn username_takes_the_first_non_empty_variable() {
        assert_eq!(
            username(&[None, Some(String::new()), Some("ada".into())]).as_deref(),
            Some("ada")
        );
    }
}
