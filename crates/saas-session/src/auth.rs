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

/// An ISO 8601 expiry as the Python CLI reads it (`Z` or an offset; a naive time is UTC);
/// `None` when unreadable.
#[must_use]
pub fn parse_expiry(at: &str) -> Option<jiff::Timestamp> {
    let at = at.trim();
    at.parse::<jiff::Timestamp>().ok().or_else(|| {
        at.parse::<jiff::civil::DateTime>()
            .ok()
            .and_then(|dt| jiff::tz::TimeZone::UTC.to_timestamp(dt).ok())
    })
}

/// Whether an expiry is in the past (or missing, or unreadable).
pub(crate) fn expired(at: Option<&str>) -> bool {
    at.and_then(parse_expiry)
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
    pub fn current(&self, transport: &Transport) -> Result<Option<Secret>, SessionError> {
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
                    _ => self.refresh(transport, None).map(Some),
                }
            }
        }
    }

    /// Runs `call` with the token to send now; when `refused` says the server refused that
    /// token (a 401) and the login is a stored one, refreshes it once
    /// ([`Auth::refresh`]) and runs `call` once more with the new token. A given token is
    /// never refreshed: its refusal is returned as is.
    ///
    /// # Errors
    ///
    /// What `call` returns, or the session's errors converted into `E`.
    pub fn with_token<T, E>(
        &self,
        transport: &Transport,
        mut call: impl FnMut(Option<&Secret>) -> Result<T, E>,
        refused: impl Fn(&E) -> bool,
    ) -> Result<T, E>
    where
        E: From<SessionError>,
    {
        let token = self.current(transport)?;
        match call(token.as_ref()) {
            Err(e) if refused(&e) && self.can_refresh() => {
                let fresh = self.refresh(transport, token.as_ref())?;
                call(Some(&fresh))
            }
            other => other,
        }
    }

    /// Refreshes the stored login once and stores the new pair, under the credentials
    /// lock: a second process (ours or the Python CLI) waits, then finds the first one's
    /// result and uses it instead of refreshing again. `rejected` is the access token the
    /// server just refused (`None` when refreshing because it expired): a stored access
    /// token that is valid and is not that one was refreshed meanwhile and is returned
    /// without a request.
    ///
    /// The refresh goes only to the server that issued the login (`[server] url`), never
    /// to a URL the caller was given, and only where a bearer token may go (https, or
    /// loopback).
    ///
    /// # Errors
    ///
    /// [`SessionError::Refused`] for a token that is not a stored login or a refused
    /// refresh, [`SessionError::Expired`] (no usable refresh token, or no issuing server),
    /// [`SessionError::BadAnswer`], or a transport error.
    pub fn refresh(
        &self,
        transport: &Transport,
        rejected: Option<&Secret>,
    ) -> Result<Secret, SessionError> {
        let Auth::Stored(store) = self else {
            return Err(SessionError::Refused {
                status: 401,
                detail: None,
            });
        };
        let guard = store.lock_login()?;
        let login = guard.login()?;
        if let Some(access) = login.access.as_deref()
            && !expired(login.access_expires_at.as_deref())
            && rejected.is_none_or(|r| r.expose() != access)
            && token_problem(access).is_none()
        {
            return Ok(Secret::new(access));
        }
        let Some(refresh) = login
            .refresh
            .clone()
            .filter(|_| !expired(login.refresh_expires_at.as_deref()))
        else {
            return Err(SessionError::Expired);
        };
        checked("the stored refresh token", &refresh)?;
        let Some(base) = login
            .server_url
            .as_deref()
            .filter(|s| !routing_core::is_blank(s))
            .map(routing_core::trim)
        else {
            return Err(SessionError::Expired);
        };
        let url = join_url(base, REFRESH_PATH);
        let body = serde_json::to_vec(&json!({"refresh": refresh})).unwrap_or_default();
        let answer = post_json(transport, &url, &body)?;
        if answer.status == 401 || answer.status == 403 {
            return Err(SessionError::Refused {
                status: answer.status,
                detail: answer.summary(),
            });
        }
        let issued = Issued::read(&answer, &url, "the token refresh")?;
        let mut stored = login.clone();
        issued.apply(&mut stored);
        guard.store_login(&stored)?;
        Ok(issued.access)
    }
}

/// POSTs a JSON body holding a secret (a password, a refresh token).
pub(crate) fn post_json(
    transport: &Transport,
    url: &str,
    body: &[u8],
) -> Result<http_transport::Answer, SessionError> {
    let plan = RequestPlan::post(url)
        .header("Content-Type", "application/json")
        .content_length_header(body.len() as u64)
        .user_agent_header()
        .secret_body();
    Ok(transport
        .execute(&plan, || Ok::<_, TransportError>(body))?
        .answer)
}

/// The seconds of a lifetime as the Python CLI 2.1.0 reads them: the first of `keys` whose
/// value is not null, zero, false or empty; an integer, a float (truncated) or a string
/// holding an integer; anything else gives `default`.
fn lifetime(v: &Value, keys: [&str; 2], default: i64) -> i64 {
    let truthy = |x: &&Value| match x {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        _ => true,
    };
    let Some(x) = keys.iter().filter_map(|k| v.get(*k)).find(truthy) else {
        return default;
    };
    match x {
        Value::Bool(_) => 1,
        Value::Number(n) => n
            .as_i64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.is_finite())
                    .map(|f| f.trunc() as i64)
            })
            .unwrap_or(default),
        Value::String(s) => s.trim().parse::<i64>().unwrap_or(default),
        _ => default,
    }
}

/// The ISO 8601 instant `seconds` from now, rendered as Python's `isoformat()`.
fn after(seconds: i64) -> String {
    let now = jiff::Timestamp::now();
    let at = now
        .checked_add(jiff::SignedDuration::from_secs(seconds))
        .unwrap_or(if seconds < 0 {
            jiff::Timestamp::MIN
        } else {
            jiff::Timestamp::MAX
        });
    spec_kitty_home::isoformat_utc(
        at.as_second(),
        u32::try_from(at.subsec_microsecond()).unwrap_or(0),
    )
}

/// The access lifetime the Python CLI assumes when the answer gives none: 15 minutes.
pub const DEFAULT_ACCESS_LIFETIME: i64 = 900;
/// The refresh lifetime the Python CLI assumes when the answer gives none: 7 days.
pub const DEFAULT_REFRESH_LIFETIME: i64 = 604_800;

/// A token pair the server issued (a login or a refresh), checked before it is stored.
pub(crate) struct Issued {
    pub(crate) access: Secret,
    refresh: String,
    access_expires_at: String,
    refresh_expires_at: String,
    team_slug: Option<String>,
}

impl Issued {
    /// Reads `access`, `refresh`, the lifetimes (`access_lifetime` or `expires_in`,
    /// default 900 s; `refresh_lifetime` or `refresh_expires_in`, default 7 days) and
    /// `team_slug` from a 200 answer.
    pub(crate) fn read(
        answer: &http_transport::Answer,
        url: &str,
        what: &'static str,
    ) -> Result<Issued, SessionError> {
        let bad = || SessionError::BadAnswer {
            what,
            url: redact_url(url),
            status: answer.status,
        };
        if answer.status != 200 {
            return Err(bad());
        }
        let v = answer.json().ok_or_else(bad)?;
        let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        let (Some(access), Some(refresh)) = (text("access"), text("refresh")) else {
            return Err(bad());
        };
        // Checked before anything is stored: a token the next request could not send would
        // otherwise make every later command fail.
        checked("the issued access token", &access)?;
        checked("the issued refresh token", &refresh)?;
        Ok(Issued {
            access: Secret::new(access),
            refresh,
            access_expires_at: after(lifetime(
                v,
                ["access_lifetime", "expires_in"],
                DEFAULT_ACCESS_LIFETIME,
            )),
            refresh_expires_at: after(lifetime(
                v,
                ["refresh_lifetime", "refresh_expires_in"],
                DEFAULT_REFRESH_LIFETIME,
            )),
            team_slug: text("team_slug").filter(|t| !t.trim().is_empty()),
        })
    }

    /// Puts the pair (and a team the answer named) into a login.
    pub(crate) fn apply(&self, login: &mut SaasLogin) {
        login.access = Some(self.access.expose().to_owned());
        login.refresh = Some(self.refresh.clone());
        login.access_expires_at = Some(self.access_expires_at.clone());
        login.refresh_expires_at = Some(self.refresh_expires_at.clone());
        if self.team_slug.is_some() {
            login.team_slug.clone_from(&self.team_slug);
        }
    }

    /// The team the answer named.
    pub(crate) fn team_slug(&self) -> Option<&str> {
        self.team_slug.as_deref()
    }
}
