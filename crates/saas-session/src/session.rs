//! Which server and which token.

use routing_core::{is_blank, trim};
use spec_kitty_home::{CredentialStore, Credentials, SpecKittyHome};

use crate::auth::Auth;
use crate::error::SessionError;
use crate::token::resolve_token;

/// What the caller was given: a server URL and a token from its flags or the environment
/// (the caller decides which wins), and the binding whose credentials may hold a SaaS
/// token (the snapshot publish passes it; the event upload does not).
#[derive(Debug, Clone, Copy, Default)]
pub struct SessionInputs<'a> {
    /// The server URL given (flag or environment).
    pub server_url: Option<&'a str>,
    /// The token given (flag or environment).
    pub token: Option<&'a str>,
    /// The binding's provider and credentials.
    pub binding: Option<(&'a str, &'a Credentials)>,
}

/// Where the server URL came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerSource {
    /// The caller gave it (a flag or the environment).
    Given,
    /// The stored login's `[server] url`.
    StoredLogin,
}

/// The SaaS session of one command: the server and how to authenticate.
#[derive(Debug, Clone)]
pub struct Session {
    server: Option<(String, ServerSource)>,
    auth: Auth,
}

impl Session {
    /// Resolves the session.
    ///
    /// The server: the given URL (trimmed, when not blank), else the stored login's. The
    /// token: the given one (trimmed, when not blank), else the binding's `access_token`,
    /// else its `token` (not for providers whose `token` is their own PAT), else the stored
    /// login (when it has an access or a refresh token), else none.
    ///
    /// # Errors
    ///
    /// The credentials file could not be read.
    pub fn resolve(
        home: &SpecKittyHome,
        inputs: &SessionInputs<'_>,
    ) -> Result<Session, SessionError> {
        let store = CredentialStore::new(home);
        let login = store.saas_login()?;
        let server = match inputs.server_url.map(trim).filter(|s| !s.is_empty()) {
            Some(s) => Some((s.to_owned(), ServerSource::Given)),
            None => login
                .server_url
                .as_deref()
                .filter(|s| !is_blank(s))
                .map(|s| (trim(s).to_owned(), ServerSource::StoredLogin)),
        };
        let no_binding = Credentials::new();
        let (provider, credentials) = inputs.binding.unwrap_or(("", &no_binding));
        let auth = match resolve_token(inputs.token, provider, credentials) {
            Some((secret, source)) => Auth::Given(secret, source),
            _ if login.access.is_some() || login.refresh.is_some() => Auth::Stored(store),
            _ => Auth::None,
        };
        Ok(Session { server, auth })
    }

    /// The server URL, when one was given or stored.
    #[must_use]
    pub fn server_url(&self) -> Option<&str> {
        self.server.as_ref().map(|(s, _)| s.as_str())
    }

    /// Where the server URL came from.
    #[must_use]
    pub fn server_source(&self) -> Option<ServerSource> {
        self.server.as_ref().map(|(_, s)| *s)
    }

    /// How to authenticate.
    #[must_use]
    pub fn auth(&self) -> &Auth {
        &self.auth
    }

    /// Whether a token will be sent (a stored login counts, even if it must refresh).
    #[must_use]
    pub fn has_token(&self) -> bool {
        !matches!(self.auth, Auth::None)
    }
}
