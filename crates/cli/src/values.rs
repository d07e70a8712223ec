//! Flag values parsed once, into typed values, before any work: a bad one is a usage error
//! (exit 2) that names the flag and never echoes a secret.

use std::ffi::OsStr;
use std::fmt;
use std::sync::Arc;

use clap::error::ErrorKind;
use clap::{Arg, Command};

/// A usage error with our own text (clap's own text would echo the raw value).
fn invalid(cmd: &Command, message: String) -> clap::Error {
    clap::Error::raw(ErrorKind::ValueValidation, format!("{message}\n")).with_cmd(cmd)
}

/// `key=value`, both sides trimmed and non-blank.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct KeyValue {
    pub(crate) key: String,
    pub(crate) value: String,
}

impl fmt::Debug for KeyValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}=<hidden>", self.key)
    }
}

/// A flag value checked by a function before any work; its message becomes a usage error
/// (clap's own text would echo the raw value, which may be a secret).
#[derive(Clone)]
pub(crate) struct Checked<T>(Arc<CheckFn<T>>);

/// A flag value check: the value, or the message of the usage error.
type CheckFn<T> = dyn Fn(&OsStr) -> Result<T, String> + Send + Sync;

impl<T: Clone + Send + Sync + 'static> clap::builder::TypedValueParser for Checked<T> {
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &Command,
        _arg: Option<&Arg>,
        value: &OsStr,
    ) -> Result<T, clap::Error> {
        (self.0)(value).map_err(|message| invalid(cmd, message))
    }
}

/// Parses `--flag key=value`; with `secret`, the value is never shown in an error, and
/// neither is an argument without `=` (it may be a bare secret).
pub(crate) fn key_values(flag: &'static str, secret: bool) -> Checked<KeyValue> {
    Checked(Arc::new(move |value| key_value(flag, secret, value)))
}

fn key_value(flag: &str, secret: bool, value: &OsStr) -> Result<KeyValue, String> {
    let Some(entry) = value.to_str() else {
        return Err(format!("invalid --{flag} value: it is not valid UTF-8"));
    };
    let Some((k, v)) = entry.split_once('=') else {
        let shown = if secret {
            "(hidden)".to_owned()
        } else {
            format!("{entry:?}")
        };
        return Err(format!(
            "invalid --{flag} value {shown}: expected key=value"
        ));
    };
    let shown = if secret {
        format!("{:?}", format!("{k}=<hidden>"))
    } else {
        format!("{entry:?}")
    };
    let (k, v) = (routing_core::trim(k), routing_core::trim(v));
    if k.is_empty() {
        return Err(format!(
            "invalid --{flag} value {shown}: the key before '=' is blank"
        ));
    }
    if v.is_empty() {
        return Err(format!(
            "invalid --{flag} value {shown}: the value after '=' is blank"
        ));
    }
    Ok(KeyValue {
        key: k.to_owned(),
        value: v.to_owned(),
    })
}

/// `--doctrine-mode`: trimmed, any case, one of the tracker-store modes.
pub(crate) fn doctrine_mode(s: &str) -> Result<String, String> {
    let m = routing_core::trim(s).to_lowercase();
    if spec_kitty_home::DOCTRINE_MODES.contains(&m.as_str()) {
        Ok(m)
    } else {
        Err(format!(
            "use one of: {}",
            spec_kitty_home::DOCTRINE_MODES.join(", ")
        ))
    }
}

/// `--type`: one of the 12 event types (exact spelling).
pub(crate) fn event_type(s: &str) -> Result<event_envelope::EventType, String> {
    s.trim()
        .parse()
        .map_err(|e: event_envelope::UnknownEventType| e.to_string())
}

/// `--server-url` / `SAAS_API_URL`: an http(s) URL with a host; a password in it is never
/// shown in the error.
pub(crate) fn server_url() -> Checked<String> {
    Checked(Arc::new(|value| {
        let text = value.to_string_lossy();
        let url = routing_core::trim(&text);
        if url.is_empty() {
            return Err(
                "--server-url (or SAAS_API_URL) is blank; pass the spec-kitty SaaS base URL"
                    .to_owned(),
            );
        }
        tracker_client::check_target(url, false, true).map_err(|e| {
            format!("{e}; pass a base URL like --server-url https://spec-kitty.example")
        })?;
        Ok(url.to_owned())
    }))
}

/// `--auth-token` / `SAAS_AUTH_TOKEN`: visible ASCII only (a newline or a non-ASCII byte
/// cannot go in a header, and retrying will not fix it); the value is never shown.
pub(crate) fn token() -> Checked<String> {
    Checked(Arc::new(|value| {
        let Some(text) = value.to_str() else {
            return Err("--auth-token (or SAAS_AUTH_TOKEN) is not valid UTF-8".to_owned());
        };
        let token = routing_core::trim(text);
        if !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("--auth-token (or SAAS_AUTH_TOKEN) holds a space, a control character or a non-ASCII character; check how it was copied".to_owned());
        }
        Ok(token.to_owned())
    }))
}

/// `--since`: an ISO 8601 date-time with an offset, or a date (midnight UTC).
pub(crate) fn since(s: &str) -> Result<jiff::Timestamp, String> {
    let t = s.trim();
    if let Ok(ts) = t.parse::<jiff::Timestamp>() {
        return Ok(ts);
    }
    t.parse::<jiff::civil::Date>()
        .ok()
        .and_then(|d| {
            jiff::tz::TimeZone::UTC
                .to_timestamp(d.to_datetime(jiff::civil::Time::midnight()))
                .ok()
        })
        .ok_or_else(|| {
            "use an ISO 8601 time with an offset (2026-02-12T10:00:00Z) or a date (2026-02-12)"
                .to_owned()
        })
}

/// The longest value `map add` stores per field.
pub(crate) const MAX_MAP_FIELD: usize = 2048;

/// `--wp-id`, `--external-id`, `--external-key`, `--external-url`: at most
/// [`MAX_MAP_FIELD`] characters, no control characters.
pub(crate) fn map_field(s: &str) -> Result<String, String> {
    if s.chars().count() > MAX_MAP_FIELD {
        return Err(format!("at most {MAX_MAP_FIELD} characters"));
    }
    if s.chars().any(char::is_control) {
        return Err("control characters are not allowed".to_owned());
    }
    Ok(s.to_owned())
}

#[cfg(test)]
mod tests {
    use clap::builder::TypedValueParser;

    use super::*;

    fn kv(secret: bool, s: &str) -> Result<KeyValue, String> {
        key_values("credential", secret)
            .parse_ref(&Command::new("t"), None, OsStr::new(s))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn key_values_are_trimmed_and_secrets_never_echoed() {
        assert_eq!(
            kv(true, " project_key = ACME ").unwrap(),
            KeyValue {
                key: "project_key".into(),
                value: "ACME".into()
            }
        );
        for bad in ["hunter2", " =hunter2", "k=  ", "api_token hunter2"] {
            let err = kv(true, bad).unwrap_err();
            assert!(!err.contains("hunter2"), "{bad}: {err}");
            assert!(err.contains("--credential"), "{err}");
        }
        assert!(kv(false, "title").unwrap_err().contains("\"title\""));
        assert!(!format!("{:?}", kv(true, "a=hunter2").unwrap()).contains("hunter2"));
    }

    #[test]
    fn doctrine_modes_are_checked() {
        assert_eq!(
            doctrine_mode(" Split_Ownership ").unwrap(),
            "split_ownership"
        );
        assert!(
            doctrine_mode("anarchy")
                .unwrap_err()
                .contains("split_ownership")
        );
    }

    #[test]
    fn server_urls_are_checked_without_echoing_a_password() {
        let p = |s: &str| {
            server_url()
                .parse_ref(&Command::new("t"), None, OsStr::new(s))
                .map_err(|e| e.to_string())
        };
        assert_eq!(p(" https://x.example/ ").unwrap(), "https://x.example/");
        let err = p("ftp://user:hunter2@x.example").unwrap_err();
        assert!(!err.contains("hunter2"), "{err}");
        assert!(p("   ").is_err());
    }
}
