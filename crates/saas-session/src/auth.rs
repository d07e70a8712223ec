//! The token to send now, and refreshing the stored SaaS login.

use http_transport::{RequestPlan, Secret, Transport, TransportError, join_url, redact_url};
use serde_json::{Value, json};
use spec_kitty_home::{CredentialStore, SaasLogin};

use crate::error::SessionError;
use crate::token::TokenSource;

/// The token refresh endpoint, below the SaaS base URL.
pub const REFRESH_PATH: &str = "/api/v1/token/refresh/";

/// How a session authenticates.
#[derive(Debug, Clone)]
pub enum Auth {
    /// A token given by the caller or found in the binding: sent as is, never refreshed,
    /// never written.
    Given(Secret, TokenSource),
    /// The stored login (`[tokens]` of the credentials file, shared with the Python CLI):
    /// refreshed through [`REFRESH_PATH`] when expired or answered 401, and stored back.
    Stored(CredentialStore),
    /// No token.
    None,
}

/// How the stored login stands, read without a network call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginState {
    /// A token was given; the stored login is not used.
    Given(TokenSource),
    /// The access token is valid.
    Valid,
    /// The access token expired; the refresh token is still valid.
    NeedsRefresh,
    /// Both expired (or there is no refresh token): log in again.
    Expired,
    /// The stored access token cannot be sent (a space, a control character...): log in
    /// again.
    Unusable,
    /// No token at all.
    None,
}

/// The longest token sent or stored.
pub const MAX_TOKEN: usize = 8 * 1024;

/// Why a token cannot go in an `Authorization` header; `None` when it can.
#[must_use]
pub fn token_problem(token: &str) -> Option<&'static str> {
    if token.is_empty() {
        Some("it is empty")
    } else if token.len() > MAX_TOKEN {
        Some("it is longer than 8 KiB")
    } else if !token.bytes().all(|b| b.is_ascii_graphic()) {
        Some("it holds a space, a control character or a non-ASCII character")
    } else {
        None
    }
}

fn checked(what: &'static str, token: &str) -> Result<(), SessionError> {
    match token_problem(token) {
        Some(reason) => Err(SessionError::BadToken { what, reason }),
        None => Ok(()),
    }
}

/// Whether an ISO 8601 expiry is in the past (or unreadable).
fn expired(at: Option<&str>) -> bool {
    at.and_then(|s| s.parse::<jiff::Timestamp>().ok())
        .is_none_or(|t| t <= jiff::Timestamp::now())
}

impl Auth {
    /// How the login stands (never its value).
    ///
    /// # Errors
    ///
    /// The credentials file could not be read.
    pub fn state(&self) -> Result<LoginState, SessionError> {
        Ok(match self {
            Auth::Given(_, source) => LoginState::Given(*source),
            Auth::None => LoginState::None,
            Auth::Stored(store) => match store.saas_login()? {
                l if l
                    .access
                    .as_deref()
                    .is_some_and(|a| token_problem(a).is_some())
                    && !expired(l.access_expires_at.as_deref()) =>
                {
                    LoginState::Unusable
                }
                l if l.access.is_some() && !expired(l.access_expires_at.as_deref()) => {
                    LoginState::Valid
                }
                l if l.refresh.is_some() && !expired(l.refresh_expires_at.as_deref()) => {
                    LoginState::NeedsRefresh
                }
                l if l.access.is_some() || l.refresh.is_some() => LoginState::Expired,
                _ => LoginState::None,
            },
        })
    }

    /// Whether a 401 is worth one refresh (a stored login).
    #[must_use]
    pub fn can_refresh(&self) -> bool {
        matches!(self, Auth::Stored(_))
    }

    /// The token to send now, refreshing a stored one whose access token has expired.
    ///
    /// # Errors
    ///
    /// [`SessionError::Expired`], a refused refresh, or a transport error.
    pub fn current(
        &self,
        server_url: &str,
        transport: &Transport,
    ) -> Result<Option<Secret>, SessionError> {
        match self {
            Auth::Given(s, _) => {
                checked("the given token", s.expose())?;
                Ok(Some(s.clone()))
            }
            Auth::None => Ok(None),
            Auth::Stored(store) => {
                let login = store.saas_login()?;
                match login.access {
                    Some(a) if !expired(login.access_expires_at.as_deref()) => {
                        checked("the stored access token", &a)?;
                        Ok(Some(Secret::new(a)))
                    }
                    _ => self.refresh(server_url, transport).map(Some),
                }
            }
        }
    }

    /// Refreshes the stored login once and stores the new pair. The refresh goes to the
    /// server the login was issued by (`[server] url`) when it names one, else to
    /// `server_url`; the refresh token travels only where a bearer token may.
    ///
    /// # Errors
    ///
    /// [`SessionError::Refused`] for a token that is not a stored login or a refused
    /// refresh, [`SessionError::Expired`], [`SessionError::BadRefreshAnswer`], or a
    /// transport error.
    pub fn refresh(&self, server_url: &str, transport: &Transport) -> Result<Secret, SessionError> {
        let Auth::Stored(store) = self else {
            return Err(SessionError::Refused {
                status: 401,
                detail: None,
            });
        };
        let login = store.saas_login()?;
        let Some(refresh) = login
            .refresh
            .clone()
            .filter(|_| !expired(login.refresh_expires_at.as_deref()))
        else {
            return Err(SessionError::Expired);
        };
        checked("the stored refresh token", &refresh)?;
        let base = login
            .server_url
            .as_deref()
            .filter(|s| !routing_core::is_blank(s))
            .unwrap_or(server_url);
        let url = join_url(base, REFRESH_PATH);
        let body = serde_json::to_vec(&json!({"refresh": refresh})).unwrap_or_default();
        let plan = RequestPlan::post(&url)
            .header("Content-Type", "application/json")
            .content_length_header(body.len() as u64)
            .user_agent_header()
            .secret_body();
        let answer = transport
            .execute(&plan, || Ok::<_, TransportError>(body.as_slice()))?
            .answer;
        if answer.status == 401 || answer.status == 403 {
            return Err(SessionError::Refused {
                status: answer.status,
                detail: answer.summary(),
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
            return Err(SessionError::BadRefreshAnswer {
                url: redact_url(&url),
                status: answer.status,
            });
        };
        // Checked before anything is stored: a token the next request could not send would
        // otherwise make every later command fail.
        checked("the refreshed access token", &access)?;
        checked("the refreshed refresh token", &refresh)?;
        store_pair(store, &login, &access, &refresh, access_exp, refresh_exp)?;
        Ok(Secret::new(access))
    }
}

/// Stores a refreshed pair. Without expiries in the answer: 15 minutes for access, the old
/// refresh expiry.
fn store_pair(
    store: &CredentialStore,
    login: &SaasLogin,
    access: &str,
    refresh: &str,
    access_exp: Option<String>,
    refresh_exp: Option<String>,
) -> Result<(), SessionError> {
    let access_exp = access_exp.unwrap_or_else(|| {
        jiff::Timestamp::now()
            .checked_add(jiff::SignedDuration::from_mins(15))
            .unwrap_or(jiff::Timestamp::now())
            .to_string()
    });
    let refresh_exp = refresh_exp
        .or_else(|| login.refresh_expires_at.clone())
        .unwrap_or_else(|| access_exp.clone());
    store.set_tokens(access, refresh, &access_exp, &refresh_exp)?;
    Ok(())
}
