//! `~/.spec-kitty/active_queue_scope` (the queue scope of the last login, which the Python
//! CLI 2.1.0 writes on login and reads to refuse an account switch that would strand queued
//! events) and `[sync] server_url` of `~/.spec-kitty/config.toml`.

use crate::error::Result;
use crate::paths::{SpecKittyHome, create_private_dir};

impl SpecKittyHome {
    /// `active_queue_scope` (one line: `server|username|team`).
    #[must_use]
    pub fn active_scope_path(&self) -> std::path::PathBuf {
        self.dir().join("active_queue_scope")
    }

    /// The active queue scope, trimmed; `None` when the file is missing or blank.
    ///
    /// # Errors
    ///
    /// The file exists but cannot be read (not a regular file, too large, unreadable).
    pub fn active_scope(&self) -> Result<Option<String>> {
        let text = crate::atomic::read_user_file(&self.active_scope_path())?;
        Ok(text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()))
    }

    /// Records the active queue scope (atomically; the Python CLI writes it without a
    /// newline, and so do we).
    ///
    /// # Errors
    ///
    /// The directory or the file cannot be written.
    pub fn set_active_scope(&self, scope: &str) -> Result<()> {
        create_private_dir(self.dir())?;
        crate::atomic::replace(&self.active_scope_path(), scope.as_bytes(), 0o600)
    }
}

impl SpecKittyHome {
    /// `config.toml` (the Python CLI's `[sync]` settings).
    #[must_use]
    pub fn sync_config_path(&self) -> std::path::PathBuf {
        self.dir().join("config.toml")
    }

    /// `[sync] server_url` of `config.toml`, trimmed; `None` when the file, the table or
    /// the key is missing or blank.
    ///
    /// # Errors
    ///
    /// The file cannot be read, is not TOML, or the value is not text.
    pub fn sync_server_url(&self) -> Result<Option<String>> {
        let path = self.sync_config_path();
        let Some(text) = crate::atomic::read_user_file(&path)? else {
            return Ok(None);
        };
        let doc = text
            .parse::<toml_edit::DocumentMut>()
            .map_err(|e| crate::HomeError::Toml {
                path: path.clone(),
                line: e
                    .span()
                    .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1),
                message: e.message().to_owned(),
            })?;
        match doc.get("sync").and_then(|s| s.get("server_url")) {
            None => Ok(None),
            Some(v) => match v.as_str() {
                Some(s) => Ok(Some(s.trim().to_owned()).filter(|s| !s.is_empty())),
                None => Err(crate::HomeError::Shape {
                    path,
                    message: "`sync.server_url` is not text".to_owned(),
                }),
            },
        }
    }
}
