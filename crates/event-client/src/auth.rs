//! Which bearer token an upload sends, and refreshing the stored SaaS login.

use http_transport::{RequestPlan, Secret, Transport, TransportError, join_url, redact_url};
use serde_json::{Value, json};
use tracker_store::CredentialStore;

use crate::error::SyncError;

/// The token refresh endpoint, below the SaaS base URL.
pub const REFRESH_PATH: &str = "/api/v1/token/refresh/";

/// Where the bearer token comes from.
#[derive(Debug, Clone)]
pub enum Auth {
    /// `--auth-token` or `SAAS_AUTH_TOKEN`: sent as is, never refreshed.
    Explicit(Secret),
    /// The Python CLI's stored login (`[tokens]` of the credentials file): refreshed once
    /// through [`REFRESH_PATH`] when expired or answered 401, and stored back.
    Stored(CredentialStore),
    /// No token.
    None,
}

/// Whether an ISO 8601 expiry is in the past (or unreadable).
fn expired(at: Option<&str>) -> bool {
    at.and_then(|s| s.parse::<jiff::Timestamp>().ok())
        .is_none_or(|t| t <= jiff::Timestamp::now())
}

impl Auth {
    /// A short description for `sync status` (never the value).
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Auth::Explicit(_) => "from --auth-token or SAAS_AUTH_TOKEN".into(),
            Auth::Stored(store) => match store.saas_login() {
                Ok(l) if l.access.is_some() && !expired(l.access_expires_at.as_deref()) => {
                    "the stored login (valid)".into()
                }
                Ok(l) if l.refresh.is_some() && !expired(l.refresh_expires_at.as_deref()) => {
                    "the stored login (access expired; will refresh)".into()
                }
                Ok(l) if l.access.is_some() => {
                    "the stored login (expired; log in again with the Python CLI: spec-kitty auth login)".into()
                }
                _ => "none (pass --auth-token, set SAAS_AUTH_TOKEN, or log in)".into(),
            },
            Auth::None => "none (pass --auth-token, set SAAS_AUTH_TOKEN, or log in)".into(),
        }
    }

    /// The token to send now, refreshing a stored one whose access token has expired.
    ///
    /// # Errors
    ///
    /// [`SyncError::Auth`] when the stored login is unusable or the refresh is refused.
    pub(crate) fn current(
        &self,
        server_url: &str,
        transport: &Transport<'_>,
    ) -> Result<Option<Secret>, SyncError> {
        match self {
            Auth::Explicit(s) => Ok(Some(s.clone())),
            Auth::None => Ok(None),
            Auth::Stored(store) => {
                let login = store.saas_login()?;
                match login.access {
                    Some(a) if !expired(login.access_expires_at.as_deref()) => {
                        Ok(Some(Secret::new(a)))
                    }
                    _ => self.refresh(server_url, transport).map(Some),
                }
            }
        }
    }

    /// Refreshes the stored login once and stores the new pair.
    ///
    /// # Errors
    ///
    /// [`SyncError::Auth`] (no refresh token, expired, refused), or a transport error.
    pub(crate) fn refresh(
        &self,
        server_url: &str,
        transport: &Transport<'_>,
    ) -> Result<Secret, SyncError> {
        let Auth::Stored(store) = self else {
            return Err(SyncError::Auth {
                status: 401,
                message:
                    "the server refused the token; pass a valid --auth-token or SAAS_AUTH_TOKEN"
                        .into(),
            });
        };
        let login = store.saas_login()?;
        let Some(refresh) = login
            .refresh
            .filter(|_| !expired(login.refresh_expires_at.as_deref()))
        else {
            return Err(SyncError::Auth {
                status: 401,
                message: "the stored login has expired; log in again (spec-kitty auth login) or pass --auth-token".into(),
            });
        };
        let url = join_url(server_url, REFRESH_PATH);
        let body = serde_json::to_vec(&json!({"refresh": refresh})).unwrap_or_default();
        let plan = RequestPlan::post(&url)
            .header("Content-Type", "application/json")
            .content_length_header(body.len() as u64)
            .user_agent_header();
        let answer = transport
            .execute(&plan, || Ok::<_, TransportError>(body.as_slice()))?
            .answer;
        if answer.status == 401 || answer.status == 403 {
            return Err(SyncError::Auth {
                status: answer.status,
                message: format!(
                    "the server refused to refresh the stored login at {}; log in again (spec-kitty auth login) or pass --auth-token",
                    redact_url(&url)
                ),
            });
        }
        let pair = answer.json().and_then(|v| {
            Some((
                v.get("access")?.as_str()?.to_owned(),
                v.get("refresh")?.as_str()?.to_owned(),
                v.get("access_expires_at")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                v.get("refresh_expires_at")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            ))
        });
        let Some((access, refresh, access_exp, refresh_exp)) = pair.filter(|_| answer.is_success())
        else {
            return Err(SyncError::Auth {
                status: answer.status,
                message: format!(
                    "the token refresh at {} answered HTTP {} without a new token pair",
                    redact_url(&url),
                    answer.status
                ),
            });
        };
        // Without expiries in the answer: 15 minutes for access, the old refresh expiry.
        let access_exp = access_exp.unwrap_or_else(|| {
            jiff::Timestamp::now()
                .checked_add(jiff::SignedDuration::from_mins(15))
                .unwrap_or(jiff::Timestamp::now())
                .to_string()
        });
        let refresh_exp = refresh_exp
            .or(login.refresh_expires_at)
            .unwrap_or_else(|| access_exp.clone());
        store.set_tokens(&access, &refresh, &access_exp, &refresh_exp)?;
        Ok(Secret::new(access))
    }
}
