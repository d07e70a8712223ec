//! `~/.spec-kitty/credentials` (TOML): provider credentials in `[tracker.providers.<name>]`.
//!
//! Edits go through `toml_edit`, so every other table (`[tokens]`, `[user]`, `[server]` of
//! SaaS login) and every comment is kept. A write holds an exclusive lock on the side file
//! `credentials.lock` across read-modify-write, writes a temp file created 0600 in the same
//! directory, fsyncs it and renames it over the target: the file is never readable by others,
//! truncated or half-written, and concurrent writers from several processes all land.
//!
//! Values are never put in error messages.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use routing_core::{CredentialValue, is_blank};
use toml_edit::{DocumentMut, Item, Table, value};

use crate::atomic;
use crate::error::{HomeError, Result, io};
use crate::paths::{SpecKittyHome, create_private_dir};

/// A provider's credentials: strings and integers as stored; other TOML types as
/// [`CredentialValue::Other`].
pub type Credentials = BTreeMap<String, CredentialValue>;

/// The credentials a binding found ([`CredentialStore::find_provider`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FoundCredentials {
    /// The `[tracker.providers.<table>]` used, when one matched.
    pub table: Option<String>,
    /// Its credentials (empty when none matched).
    pub credentials: Credentials,
    /// Other matching tables whose contents differ from the one used.
    pub conflicts: Vec<String>,
}

/// The Python CLI's SaaS login stored in the credentials file. `Debug` hides the tokens.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SaasLogin {
    /// `[user] username`.
    pub username: Option<String>,
    /// `[user] team_slug`.
    pub team_slug: Option<String>,
    /// `[server] url`.
    pub server_url: Option<String>,
    /// `[tokens] access`.
    pub access: Option<String>,
    /// `[tokens] refresh`.
    pub refresh: Option<String>,
    /// `[tokens] access_expires_at` (ISO 8601).
    pub access_expires_at: Option<String>,
    /// `[tokens] refresh_expires_at` (ISO 8601).
    pub refresh_expires_at: Option<String>,
}

impl SaasLogin {
    /// The Python CLI's queue scope of this login, `server|username|team` (each trimmed
    /// and lower-cased, the server without trailing slashes, the team `no-team` when
    /// unset), or `None` without a server URL and a username.
    #[must_use]
    pub fn queue_scope(&self) -> Option<String> {
        match (&self.server_url, &self.username) {
            (Some(server), Some(user)) if !server.is_empty() && !user.is_empty() => {
                Some(queue_scope(server, user, self.team_slug.as_deref()))
            }
            _ => None,
        }
    }
}

/// The Python CLI's queue scope of a SaaS login: `server|username|team`, each trimmed and
/// lower-cased, the server without trailing slashes, the team `no-team` when unset or empty.
#[must_use]
pub fn queue_scope(server_url: &str, username: &str, team_slug: Option<&str>) -> String {
    let norm = |s: &str| s.trim().to_lowercase();
    let team = team_slug.filter(|t| !t.is_empty()).unwrap_or("no-team");
    format!(
        "{}|{}|{}",
        norm(server_url).trim_end_matches('/'),
        norm(username),
        norm(team)
    )
}

impl std::fmt::Debug for SaasLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SaasLogin")
            .field("username", &self.username)
            .field("team_slug", &self.team_slug)
            .field("server_url", &self.server_url)
            .field("access", &self.access.as_ref().map(|_| "<redacted>"))
            .field("refresh", &self.refresh.as_ref().map(|_| "<redacted>"))
            .field("access_expires_at", &self.access_expires_at)
            .field("refresh_expires_at", &self.refresh_expires_at)
            .finish()
    }
}

/// The credentials file of a spec-kitty home: tracker providers and the Python CLI's SaaS
/// login.
#[derive(Debug, Clone)]
pub struct CredentialStore {
    path: PathBuf,
    lock_path: PathBuf,
    lock_timeout: std::time::Duration,
}

#[derive(Debug)]
pub(crate) struct Lock(#[allow(dead_code)] File);

impl CredentialStore {
    /// The store of `home`.
    #[must_use]
    pub fn new(home: &SpecKittyHome) -> Self {
        CredentialStore {
            path: home.credentials_path(),
            lock_path: home.dir().join("credentials.lock"),
            lock_timeout: crate::lock::LOCK_TIMEOUT,
        }
    }

    /// Waits at most `timeout` for the lock another process holds (default
    /// [`crate::LOCK_TIMEOUT`]).
    #[must_use]
    pub fn with_lock_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// The credentials file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn lock(&self) -> Result<Lock> {
        if let Some(dir) = self.lock_path.parent() {
            create_private_dir(dir)?;
        }
        let mut opts = OpenOptions::new();
        opts.create(true).truncate(false).write(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let file = opts
            .open(&self.lock_path)
            .map_err(io("opening", &self.lock_path))?;
        crate::lock::lock_within(&file, &self.lock_path, self.lock_timeout)?;
        Ok(Lock(file))
    }

    fn read_doc(&self) -> Result<DocumentMut> {
        let text = crate::atomic::read_user_file(&self.path)?.unwrap_or_default();
        text.parse::<DocumentMut>().map_err(|e| HomeError::Toml {
            path: self.path.clone(),
            line: e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1),
            message: e.message().to_owned(),
        })
    }

    /// `[tracker.providers]`, as a table or an inline table. Every provider entry in it must
    /// be a table: an array of tables (`[[tracker.providers.jira]]`) is refused by name,
    /// never read as empty and overwritten.
    fn providers_table<'d>(
        &self,
        doc: &'d DocumentMut,
    ) -> Result<Option<&'d dyn toml_edit::TableLike>> {
        let Some(tracker) = doc.get("tracker") else {
            return Ok(None);
        };
        let shape = |message: String| HomeError::Shape {
            path: self.path.clone(),
            message,
        };
        let tracker = tracker
            .as_table_like()
            .ok_or_else(|| shape("`tracker` is not a table".to_owned()))?;
        let Some(providers) = tracker.get("providers") else {
            return Ok(None);
        };
        let providers = providers
            .as_table_like()
            .ok_or_else(|| shape("`tracker.providers` is not a table".to_owned()))?;
        if let Some((name, _)) = providers.iter().find(|(_, v)| v.as_table_like().is_none()) {
            return Err(shape(format!(
                "`tracker.providers.{name}` is not a table (an array of tables, [[...]]?); write it as [tracker.providers.{name}]"
            )));
        }
        Ok(Some(providers))
    }

    /// Turns inline `tracker = {...}` / `providers = {...}` into ordinary tables so they
    /// can be edited (the same keys and values).
    fn expand_inline(doc: &mut DocumentMut) {
        fn expand(item: &mut Item) {
            if let Some(inline) = item.as_inline_table() {
                *item = Item::Table(inline.clone().into_table());
            }
        }
        if let Some(tracker) = doc.get_mut("tracker") {
            expand(tracker);
            if let Some(p) = tracker.as_table_mut().and_then(|t| t.get_mut("providers")) {
                expand(p);
                if let Some(providers) = p.as_table_mut() {
                    for (_, entry) in providers.iter_mut() {
                        expand(entry);
                    }
                }
            }
        }
    }

    /// The credentials of `provider` (empty when none are stored).
    ///
    /// # Errors
    ///
    /// A read error, or malformed TOML (naming file and line, never a value).
    pub fn get_provider(&self, provider: &str) -> Result<Credentials> {
        let doc = self.read_doc()?;
        let mut out = Credentials::new();
        let Some(providers) = self.providers_table(&doc)? else {
            return Ok(out);
        };
        let Some(table) = providers.get(provider).and_then(Item::as_table_like) else {
            return Ok(out);
        };
        for (k, item) in table.iter() {
            let v = match item.as_value() {
                Some(toml_edit::Value::String(s)) => CredentialValue::String(s.value().clone()),
                Some(toml_edit::Value::Integer(i)) => CredentialValue::Integer(*i.value()),
                _ => CredentialValue::Other,
            };
            out.insert(k.to_owned(), v);
        }
        Ok(out)
    }

    /// The credentials of a binding whose config names the provider `configured` (as
    /// written): the table under the normalized name first, then under the name as written
    /// (trimmed), then the first table whose normalized name matches. Reports which table
    /// was used and the other matching tables whose contents differ.
    ///
    /// # Errors
    ///
    /// A read error, or malformed TOML.
    pub fn find_provider(&self, configured: &str) -> Result<FoundCredentials> {
        let doc = self.read_doc()?;
        let normalized = routing_core::normalize_provider(configured);
        let Some(providers) = self.providers_table(&doc)? else {
            return Ok(FoundCredentials::default());
        };
        let names: Vec<String> = providers.iter().map(|(k, _)| k.to_owned()).collect();
        let written = routing_core::trim(configured);
        let table = [normalized.as_str(), written]
            .into_iter()
            .find(|n| names.iter().any(|k| k == n))
            .map(str::to_owned)
            .or_else(|| {
                names
                    .iter()
                    .find(|k| routing_core::normalize_provider(k) == normalized)
                    .cloned()
            });
        let Some(table) = table else {
            return Ok(FoundCredentials::default());
        };
        let credentials = self.get_provider(&table)?;
        let mut conflicts = Vec::new();
        for other in names
            .iter()
            .filter(|k| **k != table && routing_core::normalize_provider(k) == normalized)
        {
            if self.get_provider(other)? != credentials {
                conflicts.push(other.clone());
            }
        }
        Ok(FoundCredentials {
            table: Some(table),
            credentials,
            conflicts,
        })
    }

    /// Replaces the credentials of `provider`, keeping only non-blank keys and values
    /// (strings trimmed of nothing: values are stored as given; blank ones are dropped).
    ///
    /// # Errors
    ///
    /// A lock, read or write error, or malformed TOML (the file is left as it was).
    pub fn set_provider(&self, provider: &str, values: &Credentials) -> Result<()> {
        let _lock = self.lock()?;
        let text = self.planned_set(provider, values)?;
        self.write_text(&text)
    }

    /// The file's text after replacing the table `provider` (nothing is written).
    pub(crate) fn planned_set(&self, provider: &str, values: &Credentials) -> Result<String> {
        let mut doc = self.read_doc()?;
        self.providers_table(&doc)?;
        Self::expand_inline(&mut doc);
        let mut table = Table::new();
        for (k, v) in values {
            if is_blank(k) {
                continue;
            }
            match v {
                CredentialValue::String(s) if !is_blank(s) => {
                    table.insert(k, value(s.as_str()));
                }
                CredentialValue::Integer(i) => {
                    table.insert(k, value(*i));
                }
                _ => {}
            }
        }
        let tracker = doc
            .entry("tracker")
            .or_insert_with(|| implicit_table().into());
        let providers = tracker.as_table_mut().map(|t| {
            t.entry("providers")
                .or_insert_with(|| implicit_table().into())
        });
        match providers.and_then(Item::as_table_mut) {
            Some(p) => {
                p.insert(provider, Item::Table(table));
            }
            None => {
                return Err(HomeError::Shape {
                    path: self.path.clone(),
                    message: "`tracker.providers` is not a table".to_owned(),
                });
            }
        }
        Ok(doc.to_string())
    }

    /// Removes the credentials of `provider`; other providers and tables are kept.
    ///
    /// # Errors
    ///
    /// As [`CredentialStore::set_provider`].
    pub fn clear_provider(&self, provider: &str) -> Result<bool> {
        let _lock = self.lock()?;
        match self.planned_clear(provider)? {
            Some(text) => self.write_text(&text).map(|()| true),
            None => Ok(false),
        }
    }

    /// The file's text without the table `provider`; `None` when there is no such table
    /// (nothing is written).
    pub(crate) fn planned_clear(&self, provider: &str) -> Result<Option<String>> {
        let mut doc = self.read_doc()?;
        if self
            .providers_table(&doc)?
            .is_none_or(|p| !p.contains_key(provider))
        {
            return Ok(None);
        }
        Self::expand_inline(&mut doc);
        let removed = doc
            .get_mut("tracker")
            .and_then(|t| t.get_mut("providers"))
            .and_then(Item::as_table_mut)
            .and_then(|p| p.remove(provider))
            .is_some();
        Ok(removed.then(|| doc.to_string()))
    }

    /// The file's text as it is now (`None`: no file).
    pub(crate) fn current_text(&self) -> Result<Option<String>> {
        crate::atomic::read_user_file(&self.path)
    }

    /// The Python CLI's SaaS login (`[user]`, `[server]`, `[tokens]`), as stored; every
    /// part may be missing.
    ///
    /// # Errors
    ///
    /// A read error, or malformed TOML.
    pub fn saas_login(&self) -> Result<SaasLogin> {
        let doc = self.read_doc()?;
        let text = |table: &str, key: &str| -> Option<String> {
            doc.get(table)
                .and_then(Item::as_table_like)
                .and_then(|t| t.get(key))
                .and_then(Item::as_str)
                .map(str::to_owned)
        };
        Ok(SaasLogin {
            username: text("user", "username"),
            team_slug: text("user", "team_slug"),
            server_url: text("server", "url"),
            access: text("tokens", "access"),
            refresh: text("tokens", "refresh"),
            access_expires_at: text("tokens", "access_expires_at"),
            refresh_expires_at: text("tokens", "refresh_expires_at"),
        })
    }

    /// Takes the credentials lock for a read-modify-write of the SaaS login (a login, a
    /// refresh): another process (ours or the Python CLI, which locks the same
    /// `credentials.lock`) waits until the guard is dropped, then reads the result.
    ///
    /// # Errors
    ///
    /// [`HomeError::Locked`] after the lock timeout, or an IO error.
    pub fn lock_login(&self) -> Result<LoginGuard<'_>> {
        Ok(LoginGuard {
            store: self,
            _lock: self.lock()?,
        })
    }

    /// Stores a SaaS login (under the lock): see [`LoginGuard::store_login`].
    ///
    /// # Errors
    ///
    /// As [`LoginGuard::store_login`], or the lock.
    pub fn store_login(&self, login: &SaasLogin) -> Result<()> {
        self.lock_login()?.store_login(login)
    }

    /// Removes the stored SaaS tokens (`[tokens]`) and nothing else: the `[user]` and
    /// `[server]` of the login stay, so events queued meanwhile keep going to that
    /// account's queue, and the provider tables stay. `false` when there were none.
    ///
    /// # Errors
    ///
    /// A lock, read or write error, or malformed TOML (the file is left as it was).
    pub fn clear_tokens(&self) -> Result<bool> {
        let _lock = self.lock()?;
        let mut doc = self.read_doc()?;
        if doc.remove("tokens").is_none() {
            return Ok(false);
        }
        self.write(&doc)?;
        Ok(true)
    }

    fn write(&self, doc: &DocumentMut) -> Result<()> {
        self.write_text(&doc.to_string())
    }

    /// Replaces the file with `text` (0600, atomically, through a symlink).
    pub(crate) fn write_text(&self, text: &str) -> Result<()> {
        if let Some(dir) = self.path.parent() {
            create_private_dir(dir)?;
        }
        // Every writer of the credentials file holds its lock.
        atomic::replace_locked(&self.path, text.as_bytes(), 0o600)
    }

    /// Restores the file to `text`, or removes it when it did not exist.
    pub(crate) fn restore(&self, text: Option<&str>) -> Result<()> {
        match text {
            Some(t) => self.write_text(t),
            None => match std::fs::remove_file(&self.path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    Err(io("removing", &self.path)(e))
                }
                _ => Ok(()),
            },
        }
    }
}

/// The credentials lock, held for a read-modify-write of the SaaS login
/// ([`CredentialStore::lock_login`]).
#[derive(Debug)]
pub struct LoginGuard<'a> {
    store: &'a CredentialStore,
    _lock: Lock,
}

impl LoginGuard<'_> {
    /// The stored login, read under the lock.
    ///
    /// # Errors
    ///
    /// A read error, or malformed TOML.
    pub fn login(&self) -> Result<SaasLogin> {
        self.store.saas_login()
    }

    /// Stores a login as the Python CLI 2.1.0 does (`[tokens]` `access`, `refresh`,
    /// `access_expires_at`, `refresh_expires_at`; `[user]` `username` and `team_slug`;
    /// `[server]` `url`), written 0600 atomically. Unlike the Python CLI, which rewrites the
    /// whole file, every other table, key and comment is kept; a `team_slug` the login does
    /// not have is removed (it would name another queue).
    ///
    /// # Errors
    ///
    /// A read or write error, or malformed TOML (the file is left as it was).
    pub fn store_login(&self, login: &SaasLogin) -> Result<()> {
        let mut doc = self.store.read_doc()?;
        let mut tokens = Table::new();
        for (key, v) in [
            ("access", &login.access),
            ("refresh", &login.refresh),
            ("access_expires_at", &login.access_expires_at),
            ("refresh_expires_at", &login.refresh_expires_at),
        ] {
            if let Some(v) = v {
                tokens.insert(key, value(v.as_str()));
            }
        }
        doc.insert("tokens", Item::Table(tokens));
        let shape = |name: &str| HomeError::Shape {
            path: self.store.path.clone(),
            message: format!("`{name}` is not a table"),
        };
        for (name, entries) in [
            (
                "user",
                [
                    ("username", &login.username),
                    ("team_slug", &login.team_slug),
                ],
            ),
            ("server", [("url", &login.server_url), ("", &None)]),
        ] {
            let table = doc.entry(name).or_insert_with(|| Item::Table(Table::new()));
            if let Some(inline) = table.as_inline_table() {
                *table = Item::Table(inline.clone().into_table());
            }
            let table = table.as_table_mut().ok_or_else(|| shape(name))?;
            for (key, v) in entries {
                match v {
                    _ if key.is_empty() => {}
                    Some(v) => {
                        table.insert(key, value(v.as_str()));
                    }
                    None => {
                        table.remove(key);
                    }
                }
            }
        }
        self.store.write(&doc)
    }
}

fn implicit_table() -> Table {
    let mut t = Table::new();
    t.set_implicit(true);
    t
}
