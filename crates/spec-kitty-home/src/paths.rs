//! Where things live: the project root and the `~/.spec-kitty` directory.

use std::path::{Path, PathBuf};

use crate::error::{HomeError, Result};

/// The `~/.spec-kitty` directory (credentials, tracker caches).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecKittyHome {
    dir: PathBuf,
}

impl SpecKittyHome {
    /// A home at an explicit directory (tests, embedding).
    #[must_use]
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        SpecKittyHome { dir: dir.into() }
    }

    /// Resolves the directory from the given environment values: `SPEC_KITTY_HOME` when set
    /// and non-empty, else `$HOME/.spec-kitty`. The caller passes the values, so the library
    /// itself never reads the environment.
    ///
    /// # Errors
    ///
    /// [`HomeError::NoHome`] when neither is set.
    pub fn resolve(spec_kitty_home: Option<&str>, home: Option<&str>) -> Result<Self> {
        match (spec_kitty_home, home) {
            (Some(dir), _) if !dir.trim().is_empty() => Ok(Self::at(dir)),
            (_, Some(home)) if !home.trim().is_empty() => {
                Ok(Self::at(Path::new(home).join(".spec-kitty")))
            }
            _ => Err(HomeError::NoHome),
        }
    }

    /// The directory itself.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `credentials` (TOML).
    #[must_use]
    pub fn credentials_path(&self) -> PathBuf {
        self.dir.join("credentials")
    }

    /// `trackers/` (one SQLite cache per binding scope).
    #[must_use]
    pub fn trackers_dir(&self) -> PathBuf {
        self.dir.join("trackers")
    }
}

/// Finds the project root: `start` or the nearest parent that has a `.kittify/` directory.
///
/// # Errors
///
/// [`HomeError::NotInProject`] when there is none.
pub fn find_project_root(start: &Path) -> Result<PathBuf> {
    start
        .ancestors()
        .find(|dir| dir.join(".kittify").is_dir())
        .map(Path::to_path_buf)
        .ok_or_else(|| HomeError::NotInProject {
            start: start.to_path_buf(),
        })
}

/// Creates `dir` (and parents) with mode 0700 when it does not exist.
///
/// # Errors
///
/// [`HomeError::Io`] naming the directory.
pub fn create_private_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(crate::error::io("creating", dir))
}
