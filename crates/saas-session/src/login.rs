//! The password login of the Python CLI 2.1.0: `POST {server}/api/v1/token/` with
//! `{"username", "password"}`.

use http_transport::{Secret, Transport, join_url};
use serde_json::json;
use spec_kitty_home::{CredentialStore, SaasLogin};

use crate::auth::{Issued, post_json};
use crate::error::SessionError;

/// The login endpoint, below the SaaS base URL.
pub const TOKEN_PATH: &str = "/api/v1/token/";

/// A login the server issued, not stored yet: the caller decides (an account switch with
/// queued events may be refused first). `Debug` hides the tokens.
#[derive(Debug, Clone)]
pub struct NewLogin {
    login: SaasLogin,
}

impl NewLogin {
    /// The login as it will be stored.
    #[must_use]
    pub fn login(&self) -> &SaasLogin {
        &self.login
    }

    /// Its queue scope (`server|username|team`).
    #[must_use]
    pub fn queue_scope(&self) -> Option<String> {
        self.login.queue_scope()
    }

    /// Stores it in the credentials file (under the lock, every other table kept).
    ///
    /// # Errors
    ///
    /// The credentials file cannot be locked, read or written.
    pub fn store(&self, store: &CredentialStore) -> Result<(), SessionError> {
        store.store_login(&self.login)?;
        Ok(())
    }
}

/// Logs in with a username and a password: one POST (retried like any request on a
/// transient answer), nothing stored. The password travels only where the transport sends
/// a secret body: https, or plain http to a loopback address.
///
/// # Errors
///
/// [`SessionError::WrongPassword`] (HTTP 400, 401 or 403), [`SessionError::BadAnswer`]
/// (another status, or no `access`/`refresh`), [`SessionError::BadToken`] (an issued
/// token that cannot be sent), or a transport error (refused before sending, or no
/// answer).
pub fn password_login(
    transport: &Transport,
    server_url: &str,
    username: &str,
    password: &Secret,
) -> Result<NewLogin, SessionError> {
    let server_url = routing_core::trim(server_url).trim_end_matches('/');
    let url = join_url(server_url, TOKEN_PATH);
    let body = serde_json::to_vec(&json!({"username": username, "password": password.expose()}))
        .unwrap_or_default();
    let answer = post_json(transport, &url, &body)?;
    if matches!(answer.status, 400 | 401 | 403) {
        return Err(SessionError::WrongPassword {
            status: answer.status,
            detail: answer.summary(),
        });
    }
    let issued = Issued::read(&answer, &url, "the login")?;
    let mut login = SaasLogin {
        username: Some(username.to_owned()),
        team_slug: issued.team_slug().map(str::to_owned),
        server_url: Some(server_url.to_owned()),
        ..SaasLogin::default()
    };
    issued.apply(&mut login);
    Ok(NewLogin { login })
}
