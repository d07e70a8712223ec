//! The one map from an error to an exit code, documented in the README:
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | a user or data error: not in a project, not bound, a malformed file, rows the Python CLI refuses, the server refused the request (4xx) |
//! | 2 | a usage error: an unknown flag or a bad flag value, whichever layer finds it |
//! | 3 | the server or the network failed: unreachable, timed out, 5xx, 408 or 429 after every retry; trying again later may succeed |

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

/// Shorthand: `return Err(usage(format!(...)))`.
pub(crate) fn usage(message: impl Into<String>) -> anyhow::Error {
    UsageError(message.into()).into()
}

/// The exit code of an error: the first cause that decides wins.
pub(crate) fn exit_code(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if cause.is::<UsageError>() {
            return EXIT_USAGE;
        }
        if let Some(e) = cause.downcast_ref::<event_client::SyncError>() {
            return if e.is_transient() {
                EXIT_UNAVAILABLE
            } else {
                EXIT_FAILURE
            };
        }
        if let Some(e) = cause.downcast_ref::<tracker_connectors::PullError>() {
            return if e.is_transient() {
                EXIT_UNAVAILABLE
            } else {
                EXIT_FAILURE
            };
        }
        if let Some(e) = cause.downcast_ref::<tracker_connectors::ConnectorError>() {
            return if e.is_transient() {
                EXIT_UNAVAILABLE
            } else {
                EXIT_FAILURE
            };
        }
        if let Some(e) = cause.downcast_ref::<PublishError>() {
            return match e {
                PublishError::InvalidServerUrl { .. }
                | PublishError::ServerUrlHasQuery { .. }
                | PublishError::InsecureToken { .. } => EXIT_USAGE,
                e if e.is_transient() => EXIT_UNAVAILABLE,
                _ => EXIT_FAILURE,
            };
        }
    }
    EXIT_FAILURE
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
        let unreachable: anyhow::Error = PublishError::Unreachable {
            endpoint: String::new(),
            attempts: 3,
            reason: String::new(),
        }
        .into();
        assert_eq!(exit_code(&unreachable), EXIT_UNAVAILABLE);
        let insecure: anyhow::Error = PublishError::InsecureToken { host: "h".into() }.into();
        assert_eq!(exit_code(&insecure), EXIT_USAGE);
    }
}
