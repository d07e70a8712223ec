//! A request as data: what [`crate::Transport::execute`] sends and `--dry-run` prints.

use crate::secret::Secret;
use crate::target::{check_target, redact_url};
use crate::transport::{TransportError, USER_AGENT};

/// The HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`, no body.
    Get,
    /// `POST`, with a body of a known length.
    Post,
    /// `HEAD`, no body sent or read (a cheap "is it there, does it take my token").
    Head,
}

impl Method {
    /// `GET` / `POST` / `HEAD`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Head => "HEAD",
        }
    }
}

/// One request header. A secret header's value is sent but never shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    name: String,
    value: HeaderValue,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HeaderValue {
    Plain(String),
    Secret { sent: Secret, shown: String },
}

impl Header {
    /// The header name as sent.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The value as it may be printed (`Bearer <redacted>` for a secret).
    #[must_use]
    pub fn shown(&self) -> &str {
        match &self.value {
            HeaderValue::Plain(v) => v,
            HeaderValue::Secret { shown, .. } => shown,
        }
    }

    /// Whether the value is a secret.
    #[must_use]
    pub fn is_secret(&self) -> bool {
        matches!(self.value, HeaderValue::Secret { .. })
    }

    pub(crate) fn sent(&self) -> &str {
        match &self.value {
            HeaderValue::Plain(v) => v,
            HeaderValue::Secret { sent, .. } => sent.expose(),
        }
    }
}

/// Method, URL, headers and body length of one request: built once, then either sent by
/// [`crate::Transport::execute`] or printed (secrets redacted) by a dry run.
///
/// Headers are sent in the order they were added. A `POST` without
/// [`RequestPlan::content_length_header`] sends an empty body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestPlan {
    method: Method,
    url: String,
    headers: Vec<Header>,
    content_length: Option<u64>,
    secret_body: bool,
    raw_answer: bool,
}

impl RequestPlan {
    /// A `GET` of `url`.
    #[must_use]
    pub fn get(url: impl Into<String>) -> Self {
        Self::new(Method::Get, url.into())
    }

    /// A `POST` to `url`; give its body length with [`RequestPlan::content_length_header`].
    #[must_use]
    pub fn post(url: impl Into<String>) -> Self {
        Self::new(Method::Post, url.into())
    }

    /// A `HEAD` request.
    #[must_use]
    pub fn head(url: impl Into<String>) -> Self {
        Self::new(Method::Head, url.into())
    }

    fn new(method: Method, url: String) -> Self {
        RequestPlan {
            method,
            url,
            headers: Vec::new(),
            content_length: None,
            secret_body: false,
            raw_answer: false,
        }
    }

    /// Keeps the answer's body as text ([`crate::ResponseBody::Text`]) even when it is
    /// JSON, for a caller that reads it straight into its own types instead of through a
    /// JSON tree; [`crate::Answer::parsed`] makes the tree later when one is wanted (to
    /// describe a refusal, say).
    #[must_use]
    pub fn raw_answer(mut self) -> Self {
        self.raw_answer = true;
        self
    }

    /// Whether the answer's body is kept as text ([`RequestPlan::raw_answer`]).
    #[must_use]
    pub fn wants_raw_answer(&self) -> bool {
        self.raw_answer
    }

    /// Adds `Content-Length: n` (bodies are never chunked).
    #[must_use]
    pub fn content_length_header(mut self, n: u64) -> Self {
        self.content_length = Some(n);
        self.header("Content-Length", n.to_string())
    }

    /// Adds `User-Agent: spec-kitty-rs/<version>` ([`USER_AGENT`]; the transport sends it
    /// anyway, this makes it visible in the plan).
    #[must_use]
    pub fn user_agent_header(self) -> Self {
        self.header("User-Agent", USER_AGENT)
    }

    /// Adds a header.
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push(Header {
            name: name.into(),
            value: HeaderValue::Plain(value.into()),
        });
        self
    }

    /// Adds a secret header whose value is `prefix` + the secret (e.g. `Bearer ` + token);
    /// it is shown as `prefix<redacted>`.
    #[must_use]
    pub fn secret_header(mut self, name: impl Into<String>, prefix: &str, secret: &Secret) -> Self {
        self.headers.push(Header {
            name: name.into(),
            value: HeaderValue::Secret {
                sent: Secret::new(format!("{prefix}{}", secret.expose())),
                shown: format!("{prefix}<redacted>"),
            },
        });
        self
    }

    /// The method.
    #[must_use]
    pub fn method(&self) -> Method {
        self.method
    }

    /// The URL as sent (it may hold a password: print [`RequestPlan::shown_url`]).
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The URL without any `user:password@`.
    #[must_use]
    pub fn shown_url(&self) -> String {
        redact_url(&self.url)
    }

    /// The headers, in the order they are sent.
    #[must_use]
    pub fn headers(&self) -> &[Header] {
        &self.headers
    }

    /// A header's printable value, by case-insensitive name.
    #[must_use]
    pub fn shown_header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(Header::shown)
    }

    /// The body length (`None` for a `GET` or an empty body).
    #[must_use]
    pub fn content_length(&self) -> Option<u64> {
        self.content_length
    }

    /// Marks the body as holding a secret (a refresh token, a password): the plan is then
    /// held to the plain-http rule like a secret header.
    #[must_use]
    pub fn secret_body(mut self) -> Self {
        self.secret_body = true;
        self
    }

    /// Whether any header, or the body, is a secret.
    #[must_use]
    pub fn has_secret(&self) -> bool {
        self.secret_body || self.headers.iter().any(Header::is_secret)
    }

    /// Checks the URL, and that a secret goes over plain http only to loopback unless
    /// `allow_insecure_http` ([`check_target`]).
    ///
    /// # Errors
    ///
    /// [`TransportError::InvalidUrl`] or [`TransportError::InsecureToken`].
    pub fn check(&self, allow_insecure_http: bool) -> Result<(), TransportError> {
        check_target(&self.url, self.has_secret(), allow_insecure_http)
    }

    /// `METHOD url` and one `Name: value` line per header, secrets redacted.
    #[must_use]
    pub fn render_head(&self) -> String {
        let mut text = format!("{} {}\n", self.method.as_str(), self.shown_url());
        for h in &self.headers {
            text += &format!("{}: {}\n", h.name, h.shown());
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_shows_everything_but_its_secrets() {
        let plan = RequestPlan::post("https://u:pw@x.example/a/")
            .content_length_header(12)
            .user_agent_header()
            .header("Content-Type", "application/json")
            .secret_header("Authorization", "Bearer ", &Secret::new("tok-123"));
        let head = plan.render_head();
        assert_eq!(
            head,
            format!(
                "POST https://x.example/a/\nContent-Length: 12\nUser-Agent: {USER_AGENT}\nContent-Type: application/json\nAuthorization: Bearer <redacted>\n"
            )
        );
        assert!(!format!("{plan:?}").contains("tok-123"));
        assert!(plan.has_secret());
        assert_eq!(plan.headers()[3].sent(), "Bearer tok-123");
        assert_eq!(RequestPlan::get("https://x.example").content_length(), None);
    }
}
