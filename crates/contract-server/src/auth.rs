//! The SaaS token endpoints, as the Python CLI 2.1.0 uses them: `POST /api/v1/token/`
//! (`{"username", "password"}` -> `{"access", "refresh", "access_lifetime",
//! "refresh_lifetime", "team_slug"?}`) and `POST /api/v1/token/refresh/` (`{"refresh"}` ->
//! a new pair; the old refresh token stops working), and the bearer check of the two
//! contract endpoints when asked for.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::{Value, json};

use crate::server::{BATCH_PATH, SNAPSHOT_PATH, Shared, json_answer};

/// The login endpoint.
pub const TOKEN_PATH: &str = "/api/v1/token/";
/// The refresh endpoint.
pub const REFRESH_PATH: &str = "/api/v1/token/refresh/";

/// Who may log in, and how the tokens behave.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// Usernames and their passwords.
    pub users: BTreeMap<String, String>,
    /// The team named in the answers (`team_slug`), if any.
    pub team_slug: Option<String>,
    /// How long an access token lives.
    pub access_lifetime: Duration,
    /// How long a refresh token lives.
    pub refresh_lifetime: Duration,
    /// Send the lifetimes as strings (`"900"`), as some servers do.
    pub lifetimes_as_strings: bool,
    /// Answer 401 on the snapshot and batch endpoints (any method) without a valid access
    /// token.
    pub require_token: bool,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            users: BTreeMap::new(),
            team_slug: None,
            access_lifetime: Duration::from_secs(900),
            refresh_lifetime: Duration::from_secs(7 * 24 * 3600),
            lifetimes_as_strings: false,
            require_token: false,
        }
    }
}

impl AuthConfig {
    /// Reads users from a file: one `username:password` per line; blank lines and lines
    /// starting with `#` are skipped.
    ///
    /// # Errors
    ///
    /// The line number of a line without a `:` or with an empty username.
    pub fn parse_users(text: &str) -> Result<BTreeMap<String, String>, String> {
        let mut users = BTreeMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            match line.split_once(':') {
                Some((user, password)) if !user.trim().is_empty() => {
                    users.insert(user.trim().to_owned(), password.to_owned());
                }
                _ => return Err(format!("line {}: expected username:password", n + 1)),
            }
        }
        Ok(users)
    }
}

/// The tokens issued so far, and the switches tests turn.
#[derive(Default)]
pub(crate) struct AuthBooks {
    pub(crate) config: Option<AuthConfig>,
    access: HashMap<String, Instant>,
    refresh: HashMap<String, (String, Instant)>,
    pub(crate) fail_refresh: bool,
    pub(crate) refresh_delay: Duration,
    pub(crate) logins: u64,
    pub(crate) refreshes: u64,
    issued: u64,
}

impl AuthBooks {
    pub(crate) fn new(config: Option<AuthConfig>) -> Self {
        AuthBooks {
            config,
            ..AuthBooks::default()
        }
    }

    fn token(&mut self, kind: &str) -> String {
        self.issued += 1;
        let seed = format!("{kind}|{}|{:?}", self.issued, std::time::SystemTime::now());
        format!(
            "{kind}-{}",
            &blake3::hash(seed.as_bytes()).to_hex().as_str()[..32]
        )
    }

    /// A new pair for `user`, as the answer body.
    fn issue(&mut self, user: &str) -> Value {
        let Some(config) = self.config.clone() else {
            return json!({});
        };
        let access = self.token("access");
        let refresh = self.token("refresh");
        let now = Instant::now();
        self.access
            .insert(access.clone(), now + config.access_lifetime);
        self.refresh.insert(
            refresh.clone(),
            (user.to_owned(), now + config.refresh_lifetime),
        );
        let (a, r) = (
            config.access_lifetime.as_secs(),
            config.refresh_lifetime.as_secs(),
        );
        let mut body = if config.lifetimes_as_strings {
            json!({"access": access, "refresh": refresh,
                   "access_lifetime": a.to_string(), "refresh_lifetime": r.to_string()})
        } else {
            json!({"access": access, "refresh": refresh,
                   "access_lifetime": a, "refresh_lifetime": r})
        };
        if let Some(team) = &config.team_slug {
            body["team_slug"] = json!(team);
        }
        body
    }

    /// Whether `token` is a live access token.
    pub(crate) fn access_valid(&self, token: &str) -> bool {
        self.access.get(token).is_some_and(|t| *t > Instant::now())
    }

    /// Forgets every access token issued so far (the next request with one is a 401).
    pub(crate) fn revoke_access(&mut self) {
        self.access.clear();
    }
}

fn unauthorized(detail: &str) -> Response {
    json_answer(
        StatusCode::UNAUTHORIZED,
        &json!({"detail": detail, "code": "token_not_valid"}),
    )
}

/// `POST /api/v1/token/`.
pub(crate) async fn login(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let (Some(user), Some(password)) = (
        v.get("username").and_then(Value::as_str),
        v.get("password").and_then(Value::as_str),
    ) else {
        return json_answer(
            StatusCode::BAD_REQUEST,
            &json!({"detail": "username and password are required"}),
        );
    };
    let mut books = shared.auth();
    books.logins += 1;
    let known = books
        .config
        .as_ref()
        .is_some_and(|c| c.users.get(user).is_some_and(|p| p == password));
    if !known {
        return json_answer(
            StatusCode::UNAUTHORIZED,
            &json!({"detail": "No active account found with the given credentials"}),
        );
    }
    let body = books.issue(user);
    json_answer(StatusCode::OK, &body)
}

/// `POST /api/v1/token/refresh/`.
pub(crate) async fn refresh(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let delay = {
        let mut books = shared.auth();
        books.refreshes += 1;
        books.refresh_delay
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let Some(token) = v.get("refresh").and_then(Value::as_str) else {
        return json_answer(
            StatusCode::BAD_REQUEST,
            &json!({"detail": "refresh is required"}),
        );
    };
    let mut books = shared.auth();
    if books.fail_refresh {
        return unauthorized("Token is invalid or expired");
    }
    match books.refresh.remove(token) {
        Some((user, until)) if until > Instant::now() => {
            let body = books.issue(&user);
            json_answer(StatusCode::OK, &body)
        }
        _ => unauthorized("Token is invalid or expired"),
    }
}

/// With `require_token`, the contract endpoints answer 401 (whatever the method) to a
/// request without a live access token.
pub(crate) async fn require_bearer(
    State(shared): State<Arc<Shared>>,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path();
    if path == SNAPSHOT_PATH || path == BATCH_PATH {
        let books = shared.auth();
        if books.config.as_ref().is_some_and(|c| c.require_token) {
            let token = req
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "));
            if !token.is_some_and(|t| books.access_valid(t)) {
                return unauthorized("Given token not valid for any token type");
            }
        }
    }
    next.run(req).await
}
