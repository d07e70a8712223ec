//! The one map from an error to an exit code, documented in the README:
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | a user or data error: not in a project, not bound, a malformed file, rows the Python CLI refuses, the server refused the request (4xx) |
//! | 2 | a usage error: an unknown flag or a bad flag value, whichever layer finds it |
//! | 3 | the server or the network failed: unreachable, timed out, 5xx, 408 or 429 after every retry; trying again later may succeed |

use http_transport::{ErrorKind, TransportError};
use tracker_client::PublishError;

/// A user or data error.
pub(crate) const EXIT_FAILURE: u8 = 1;
/// A usage error (clap uses 2 for its own).
pub(crate) const EXIT_USAGE: u8 = 2;
/// The server or the network failed.
pub(crate) const EXIT_UNAVAILABLE: u8 = 3;

/// A bad flag value found after parsing (a blank `--workspace`, a missing `--server-url`).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct UsageError(pub(crate) String);

/// An error whose exit code the command decided (a report already printed says what).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub(crate) struct Exit {
    pub(crate) code: u8,
    pub(crate) message: String,
}

/// Shorthand: `return Err(usage(format!(...)))`.
pub(crate) fn usage(message: impl Into<String>) -> anyhow::Error {
    UsageError(message.into()).into()
}

/// The kind of one cause, for the library errors that carry one.
fn kind_of(cause: &(dyn std::error::Error + 'static)) -> Option<ErrorKind> {
    if let Some(e) = cause.downcast_ref::<event_client::SyncError>() {
        return Some(e.kind());
    }
    if let Some(e) = cause.downcast_ref::<tracker_connectors::PullError>() {
        return Some(e.kind());
    }
    if let Some(e) = cause.downcast_ref::<tracker_connectors::ConnectorError>() {
        return Some(e.kind());
    }
    if let Some(e) = cause.downcast_ref::<PublishError>() {
        return Some(e.kind());
    }
    if let Some(e) = cause.downcast_ref::<saas_session::SessionError>() {
        return Some(e.kind());
    }
    if let Some(e) = cause.downcast_ref::<TransportError>() {
        return Some(e.kind());
    }
    None
}

/// The exit code of an error: the first cause that decides wins; each kind maps to one
/// code.
pub(crate) fn exit_code(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if cause.is::<UsageError>() {
            return EXIT_USAGE;
        }
        if let Some(e) = cause.downcast_ref::<Exit>() {
            return e.code;
        }
        match kind_of(cause) {
            Some(ErrorKind::Usage) => return EXIT_USAGE,
            Some(ErrorKind::Transient) => return EXIT_UNAVAILABLE,
            Some(ErrorKind::Refused) => return EXIT_FAILURE,
            Some(_) | None => {}
        }
    }
    EXIT_FAILURE
}

/// The library error under `cause`, where a transport error sits inside a client's.
fn transport_of<'a>(cause: &'a (dyn std::error::Error + 'static)) -> Option<&'a TransportError> {
    cause
        .downcast_ref::<TransportError>()
        .or_else(|| match cause.downcast_ref::<PublishError>() {
            Some(PublishError::Transport(e)) => Some(e),
            _ => None,
        })
        .or_else(|| match cause.downcast_ref::<event_client::SyncError>() {
            Some(event_client::SyncError::Transport(e)) => Some(e),
            _ => None,
        })
        .or_else(
            || match cause.downcast_ref::<tracker_connectors::ConnectorError>() {
                Some(tracker_connectors::ConnectorError::Transport(e)) => Some(e),
                _ => None,
            },
        )
        .or_else(
            || match cause.downcast_ref::<tracker_connectors::PullError>() {
                Some(tracker_connectors::PullError::Connector {
                    error: tracker_connectors::ConnectorError::Transport(e),
                    ..
                }) => Some(e),
                _ => None,
            },
        )
}

/// What to run or pass to fix an error: libraries name the bad thing, the CLI says which
/// command or flag fixes it (the first cause with a hint wins). The text is appended to
/// the message as is.
pub(crate) fn hint(err: &anyhow::Error) -> Option<String> {
    for cause in err.chain() {
        match transport_of(cause) {
            Some(TransportError::InsecureToken { .. }) => {
                return Some(
                    ", or pass --allow-insecure-http if this network is trusted".to_owned(),
                );
            }
            Some(TransportError::InvalidUrl { .. } | TransportError::UrlHasQuery { .. }) => {
                return Some(
                    "; pass a base URL like --server-url https://spec-kitty.example".to_owned(),
                );
            }
            _ => {}
        }
        if let Some(e) = cause.downcast_ref::<saas_session::SessionError>() {
            return login_hint(e);
        }
        if let Some(e) = cause.downcast_ref::<event_client::SyncError>() {
            return match e {
                event_client::SyncError::Session(s) => login_hint(s),
                event_client::SyncError::Store(event_store::Error::Queue { .. }) => Some(
                    "; move the file aside (its events stay in it), then emit and upload again"
                        .to_owned(),
                ),
                e if e.is_transient() => Some(": run `spec-kitty sync now` again later".to_owned()),
                _ => None,
            };
        }
        if let Some(tracker_connectors::PullError::Connector { error, done }) =
            cause.downcast_ref::<tracker_connectors::PullError>()
            && done.resumed
            && done.pages == 0
            && error.kind() == ErrorKind::Refused
        {
            return Some(
                ". The saved page cursor of the interrupted pull may have expired: `spec-kitty tracker sync pull --full` starts over (nothing cached is deleted)"
                    .to_owned(),
            );
        }
        let connector = cause
            .downcast_ref::<tracker_connectors::ConnectorError>()
            .or_else(
                || match cause.downcast_ref::<tracker_connectors::PullError>() {
                    Some(tracker_connectors::PullError::Connector { error, .. }) => Some(error),
                    _ => None,
                },
            );
        match connector {
            Some(tracker_connectors::ConnectorError::MissingCredentials {
                provider,
                workspace,
                keys,
            }) => {
                return Some(format!(
                    "; add them with `spec-kitty tracker bind --provider {provider} --workspace {workspace} {}` (with the other credentials: bind replaces them)",
                    keys.iter()
                        .map(|k| format!("--credential {k}=..."))
                        .collect::<Vec<_>>()
                        .join(" ")
                ));
            }
            Some(tracker_connectors::ConnectorError::InvalidCredential { .. }) => {
                return Some("; fix it with `spec-kitty tracker bind`".to_owned());
            }
            Some(tracker_connectors::ConnectorError::BadAnswer { what, .. })
                if what.contains("smaller pages") =>
            {
                return Some(
                    "; pull again with a smaller page, e.g. `spec-kitty tracker sync pull --limit 20`"
                        .to_owned(),
                );
            }
            _ => {}
        }
        if let Some(event_store::Error::QueueFull { .. }) =
            cause.downcast_ref::<event_store::Error>()
        {
            return Some(
                ". Upload with `spec-kitty sync now`, or raise [sync] max_queue_size in ~/.spec-kitty/config.toml"
                    .to_owned(),
            );
        }
        if let Some(spec_kitty_home::HomeError::NotInProject { .. }) = cause
            .downcast_ref::<spec_kitty_home::HomeError>()
            .or_else(|| match cause.downcast_ref::<tracker_store::StoreError>() {
                Some(tracker_store::StoreError::Home(h)) => Some(h),
                _ => None,
            })
        {
            return Some("; run this from a project directory (or pass -C DIR)".to_owned());
        }
    }
    None
}

fn login_hint(e: &saas_session::SessionError) -> Option<String> {
    e.needs_login()
        .then(|| "; log in again with `spec-kitty auth login` (or pass --auth-token)".to_owned())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tracker_client::{PublishOutcome, ResponseBody};

    use super::*;

    fn rejected(status: u16) -> anyhow::Error {
        PublishError::Rejected(Box::new(PublishOutcome {
            endpoint: "https://x.example/".into(),
            status,
            ok: false,
            body: ResponseBody::Text(String::new()),
            body_incomplete: false,
            idempotency_key: String::new(),
            attempts: 1,
            routing: None,
            issues: 0,
            content_length: 0,
            waits: vec![Duration::ZERO],
        }))
        .into()
    }

    #[test]
    fn each_error_kind_has_its_code() {
        assert_eq!(exit_code(&usage("blank --workspace")), EXIT_USAGE);
        assert_eq!(
            exit_code(&usage("x").context("while binding")),
            EXIT_USAGE,
            "context layers do not hide the kind"
        );
        assert_eq!(exit_code(&anyhow::anyhow!("not bound")), EXIT_FAILURE);
        for status in [500, 502, 503, 504, 408, 429] {
            assert_eq!(exit_code(&rejected(status)), EXIT_UNAVAILABLE, "{status}");
        }
        for status in [400, 401, 403, 404, 409, 422] {
            assert_eq!(exit_code(&rejected(status)), EXIT_FAILURE, "{status}");
        }
        let unreachable: anyhow::Error = PublishError::Transport(TransportError::Unreachable {
            endpoint: String::new(),
            attempts: 3,
            reason: String::new(),
        })
        .into();
        assert_eq!(exit_code(&unreachable), EXIT_UNAVAILABLE);
        let insecure: anyhow::Error =
            PublishError::Transport(TransportError::InsecureToken { host: "h".into() }).into();
        assert_eq!(exit_code(&insecure), EXIT_USAGE);
        assert_eq!(
            hint(&insecure).as_deref(),
            Some(", or pass --allow-insecure-http if this network is trusted")
        );
        let bare: anyhow::Error = TransportError::InsecureToken { host: "h".into() }.into();
        assert_eq!(
            exit_code(&bare),
            EXIT_USAGE,
            "the same cause, the same code"
        );
    }
}
