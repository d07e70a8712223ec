//! Bind and unbind as one operation across `.kittify/config.yaml` and
//! `~/.spec-kitty/credentials`.
//!
//! Both new contents are prepared (and verified) before either file is written, under the
//! credentials lock, which every bind and unbind holds for the whole operation. An intent
//! journal (`~/.spec-kitty/binding.journal`, 0600: it holds the credentials) records the
//! old and new contents of both files before the first write and is removed after the
//! last. So a crash leaves the old pair (no journal), the new pair (journal gone), or a
//! journal that the next tracker command finishes ([`recover`]); a failure halfway (a
//! read-only `.kittify/`) restores what was written and reports it.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::config::{ProjectConfig, TrackerConfig};
use crate::credentials::{CredentialStore, Credentials};
use crate::error::{HomeError, Result};
use crate::paths::SpecKittyHome;

const JOURNAL: &str = "binding.journal";

/// The two files' old and new contents (`None` old: the file did not exist; `None` new:
/// the file does not change).
struct Change {
    config_path: PathBuf,
    config_old: Option<String>,
    config_new: Option<String>,
    credentials_old: Option<String>,
    credentials_new: Option<String>,
}

fn journal_path(home: &SpecKittyHome) -> PathBuf {
    home.dir().join(JOURNAL)
}

fn config_at(path: &Path) -> ProjectConfig {
    let root = path
        .parent()
        .and_then(Path::parent)
        .unwrap_or_else(|| Path::new("."));
    ProjectConfig::at_root(root)
}

fn write_journal(home: &SpecKittyHome, c: &Change) -> Result<()> {
    let text = json!({
        "config_path": c.config_path,
        "config_old": c.config_old,
        "config_new": c.config_new,
        "credentials_old": c.credentials_old,
        "credentials_new": c.credentials_new,
    })
    .to_string();
    crate::paths::create_private_dir(home.dir())?;
    crate::atomic::replace_locked(&journal_path(home), text.as_bytes(), 0o600)
}

fn remove_journal(home: &SpecKittyHome) -> Result<()> {
    let path = journal_path(home);
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(crate::error::io("removing", &path)(e))
        }
        _ => Ok(()),
    }
}

/// Writes both files (config first), restoring the first on a failure of the second.
fn apply(home: &SpecKittyHome, store: &CredentialStore, c: &Change) -> Result<()> {
    if c.config_new.is_none() && c.credentials_new.is_none() {
        return Ok(());
    }
    write_journal(home, c)?;
    let config = config_at(&c.config_path);
    if let Some(text) = &c.config_new
        && let Err(e) = config.write_text(text)
    {
        remove_journal(home)?;
        return Err(e);
    }
    if let Some(text) = &c.credentials_new
        && let Err(e) = store.write_text(text)
    {
        if c.config_new.is_some() {
            config.restore(c.config_old.as_deref())?;
        }
        remove_journal(home)?;
        return Err(e);
    }
    remove_journal(home)
}

/// Finishes an operation a crash interrupted (the journal is there): both new contents are
/// written; if that cannot be done, both old ones are restored. Called under the lock.
fn recover_locked(home: &SpecKittyHome, store: &CredentialStore) -> Result<Option<String>> {
    let path = journal_path(home);
    // The journal holds two files of up to 1 MiB each, JSON-escaped: a larger cap than
    // the files' own.
    let text = match std::fs::metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(crate::error::io("reading", &path)(e)),
        Ok(m) if !m.is_file() || m.len() > 16 * 1024 * 1024 => {
            return Err(HomeError::Shape {
                path: path.clone(),
                message: "the binding journal is not a regular file of at most 16 MiB; remove it, then bind again".to_owned(),
            });
        }
        Ok(_) => std::fs::read_to_string(&path).map_err(crate::error::io("reading", &path))?,
    };
    let v: Value = serde_json::from_str(&text).map_err(|_| HomeError::Shape {
        path: path.clone(),
        message: "the binding journal is not JSON; remove it, then bind again".to_owned(),
    })?;
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let change = Change {
        config_path: PathBuf::from(s("config_path").unwrap_or_default()),
        config_old: s("config_old"),
        config_new: s("config_new"),
        credentials_old: s("credentials_old"),
        credentials_new: s("credentials_new"),
    };
    let config = config_at(&change.config_path);
    // A killed bind may have left temp copies of either file (the credentials' hold
    // secrets): under the lock, none is in progress.
    crate::atomic::remove_temps_of(config.path());
    crate::atomic::remove_temps_of(store.path());
    let forward = (|| -> Result<()> {
        if let Some(t) = &change.config_new {
            config.write_text(t)?;
        }
        if let Some(t) = &change.credentials_new {
            store.write_text(t)?;
        }
        Ok(())
    })();
    let done = match forward {
        Ok(()) => "finished an interrupted bind or unbind",
        Err(_) => {
            if change.config_new.is_some() {
                config.restore(change.config_old.as_deref())?;
            }
            if change.credentials_new.is_some() {
                store.restore(change.credentials_old.as_deref())?;
            }
            "rolled back an interrupted bind or unbind"
        }
    };
    remove_journal(home)?;
    Ok(Some(done.to_owned()))
}

/// Finishes (or rolls back) a bind or unbind that a crash interrupted; `Some` says which.
///
/// # Errors
///
/// The lock, a file, or an unreadable journal.
pub fn recover(home: &SpecKittyHome) -> Result<Option<String>> {
    if !journal_path(home).exists() {
        return Ok(None);
    }
    let store = CredentialStore::new(home);
    let _lock = store.lock()?;
    recover_locked(home, &store)
}

/// Binds the project at `root` to `config` and, with `credentials`, replaces the table
/// `table` of the credentials file, as one operation (see the module doc).
///
/// # Errors
///
/// A malformed or unwritable file (both files are then as they were), or the lock.
pub fn bind(
    home: &SpecKittyHome,
    root: &Path,
    config: &TrackerConfig,
    credentials: Option<(&str, &Credentials)>,
) -> Result<()> {
    let store = CredentialStore::new(home);
    let _lock = store.lock()?;
    recover_locked(home, &store)?;
    let project = ProjectConfig::at_root(root);
    // Bind and unbind write the project's config under this lock: leftovers of a killed
    // one are stale.
    crate::atomic::remove_temps_of(project.path());
    let change = Change {
        config_path: project.path().to_path_buf(),
        config_old: project.current_text()?,
        config_new: Some(project.planned_set_tracker(config)?),
        credentials_old: store.current_text()?,
        credentials_new: credentials
            .map(|(table, values)| store.planned_set(table, values))
            .transpose()?,
    };
    apply(home, &store, &change)
}

/// Removes the binding of the project at `root` (when `root` is given) and the credentials
/// table `table` (when given), as one operation. Whether a credentials table was removed.
///
/// # Errors
///
/// As [`bind`].
pub fn unbind(home: &SpecKittyHome, root: Option<&Path>, table: Option<&str>) -> Result<bool> {
    let store = CredentialStore::new(home);
    let _lock = store.lock()?;
    recover_locked(home, &store)?;
    let project = root.map(ProjectConfig::at_root);
    if let Some(p) = &project {
        crate::atomic::remove_temps_of(p.path());
    }
    let config_new = match &project {
        Some(p) => p.planned_clear_tracker()?,
        None => None,
    };
    let credentials_new = match table {
        Some(t) => store.planned_clear(t)?,
        None => None,
    };
    let removed = credentials_new.is_some();
    let change = Change {
        config_path: project
            .as_ref()
            .map_or_else(PathBuf::new, |p| p.path().to_path_buf()),
        config_old: match &project {
            Some(p) => p.current_text()?,
            None => None,
        },
        config_new,
        credentials_old: store.current_text()?,
        credentials_new,
    };
    apply(home, &store, &change)?;
    Ok(removed)
}

/// A project's tracker binding as every command reads it: the `tracker:` section and the
/// credentials that go with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The project root.
    pub root: PathBuf,
    /// The `tracker:` section as read.
    pub config: TrackerConfig,
    /// The provider, normalized (`routing_core::normalize_provider`).
    pub provider: String,
    /// The workspace.
    pub workspace: String,
    /// The provider's credentials (empty when no table matched).
    pub credentials: Credentials,
    /// The `[tracker.providers.<table>]` the credentials came from.
    pub credentials_table: Option<String>,
    /// Other tables for the same provider whose contents differ from the one used: the
    /// caller decides whether to warn.
    pub conflicts: Vec<String>,
}

impl Binding {
    /// The binding of the project at `root`; `None` when its config names no provider and
    /// workspace.
    ///
    /// # Errors
    ///
    /// A malformed or unreadable config or credentials file.
    pub fn load(home: &SpecKittyHome, root: &Path) -> Result<Option<Binding>> {
        let config = ProjectConfig::at_root(root).tracker()?;
        let Some((provider, workspace)) = config.binding() else {
            return Ok(None);
        };
        let found = CredentialStore::new(home).find_provider(provider)?;
        let (provider, workspace) = (
            routing_core::normalize_provider(provider),
            workspace.to_owned(),
        );
        Ok(Some(Binding {
            root: root.to_path_buf(),
            config,
            provider,
            workspace,
            credentials: found.credentials,
            credentials_table: found.table,
            conflicts: found.conflicts,
        }))
    }

    /// The provider as stored in the config (the spelling that names the cache file: the
    /// Python CLI keys its cache by the stored text).
    #[must_use]
    pub fn stored_provider(&self) -> &str {
        self.config.provider.as_deref().unwrap_or(&self.provider)
    }
}
