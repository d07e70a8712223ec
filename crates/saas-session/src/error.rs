//! Why a session could not give a token.

use http_transport::{ErrorKind, TransportError};

/// Why the session has no usable token, or its refresh failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The credentials file could not be read or written.
    #[error(transparent)]
    Home(#[from] spec_kitty_home::HomeError),
    /// The stored login has no usable refresh token (none, or expired), or names no
    /// server to refresh it at.
    #[error("the stored login has expired")]
    Expired,
    /// The server refused the token, or refused to refresh the stored login.
    #[error("the server refused the login (HTTP {status}){}", detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Refused {
        /// The status (401 or 403).
        status: u16,
        /// What the server said, on one line.
        detail: Option<String>,
    },
    /// A stored or refreshed token that cannot go in a header (a space, a control
    /// character, CR/LF, non-ASCII, empty or over 8 KiB): nothing is sent or stored.
    #[error("{what} cannot be used as a bearer token ({reason})")]
    BadToken {
        /// Which token.
        what: &'static str,
        /// What is wrong with it (never the value).
        reason: &'static str,
    },
    /// A login or a refresh answered without a new token pair.
    #[error("{what} at {url} answered HTTP {status} without a token pair")]
    BadAnswer {
        /// `the login` or `the token refresh`.
        what: &'static str,
        /// The URL, without any password.
        url: String,
        /// The status.
        status: u16,
    },
    /// The server refused the username or the password of a login.
    #[error("the server refused the username or password (HTTP {status}){}", detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    WrongPassword {
        /// The status (400, 401 or 403).
        status: u16,
        /// What the server said, on one line.
        detail: Option<String>,
    },
    /// The refresh could not be sent or got no answer.
    #[error(transparent)]
    Transport(#[from] TransportError),
}

impl SessionError {
    /// What kind of failure this is: transport errors keep theirs; a refused or expired
    /// login is [`ErrorKind::Refused`].
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        match self {
            SessionError::Transport(e) => e.kind(),
            SessionError::BadAnswer { status, .. }
                if http_transport::is_transient_status(*status) =>
            {
                ErrorKind::Transient
            }
            _ => ErrorKind::Refused,
        }
    }

    /// Whether the user must log in again (or give a valid token).
    #[must_use]
    pub fn needs_login(&self) -> bool {
        matches!(
            self,
            SessionError::Expired | SessionError::Refused { .. } | SessionError::BadToken { .. }
        )
    }
}
