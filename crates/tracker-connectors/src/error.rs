//! Why a connector or a pull failed: typed, one line each, never a secret.

use http_transport::{ErrorKind, TransportError};

/// Why a connector could not be built or a request failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectorError {
    /// No connector for this provider.
    #[error("pull supports jira and linear; {provider} has no connector")]
    Unsupported {
        /// The provider, normalized.
        provider: String,
    },
    /// Required credentials are missing or blank.
    #[error("the {provider} binding lacks the credential(s) {}", keys.join(", "))]
    MissingCredentials {
        /// The provider.
        provider: String,
        /// The binding's workspace.
        workspace: String,
        /// The missing keys (`api_key|access_token` when either would do).
        keys: Vec<String>,
    },
    /// A credential is present but unusable.
    #[error("credential {key} {reason}")]
    InvalidCredential {
        /// The key.
        key: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The network failed, or a URL or the plain-http rule refused the request.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The service answered with an error status.
    #[error("{service} answered HTTP {status} at {url}{}", detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Http {
        /// `Jira` or `Linear`.
        service: &'static str,
        /// The status.
        status: u16,
        /// The URL, without any password.
        url: String,
        /// What the service said, on one line.
        detail: Option<String>,
    },
    /// A GraphQL answer carried errors.
    #[error("Linear answered with errors: {detail}")]
    GraphQl {
        /// The error messages, on one line.
        detail: String,
    },
    /// The answer is not what the API documents.
    #[error("{service} sent an answer this client cannot read ({what}) at {url}")]
    BadAnswer {
        /// `Jira` or `Linear`.
        service: &'static str,
        /// What was missing or malformed.
        what: String,
        /// The URL, without any password.
        url: String,
    },
}

impl ConnectorError {
    /// What kind of failure this is: the service or the network failing (unreachable,
    /// 5xx, 408, 429, a rate limit that outlasted the retries) is [`ErrorKind::Transient`];
    /// a bad URL or a credential over plain http [`ErrorKind::Usage`]; everything else (a
    /// refusal, missing credentials, an unreadable answer) [`ErrorKind::Refused`].
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        match self {
            ConnectorError::Transport(e) => e.kind(),
            ConnectorError::Http { status, .. } => http_transport::status_kind(*status),
            ConnectorError::GraphQl { detail } if detail.contains("RATELIMITED") => {
                ErrorKind::Transient
            }
            _ => ErrorKind::Refused,
        }
    }

    /// Whether trying again later may succeed ([`ErrorKind::Transient`]).
    #[must_use]
    pub fn is_transient(&self) -> bool {
        self.kind() == ErrorKind::Transient
    }
}

pub(crate) use http_transport::one_line;
