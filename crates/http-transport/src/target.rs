//! Where a request goes: joining a base URL and a path, the plain-http rule, printable URLs.

use std::net::IpAddr;

use crate::transport::TransportError;

/// The base URL and `path` joined by exactly one slash (surrounding whitespace and trailing
/// slashes of the base are dropped; a base path is kept).
#[must_use]
pub fn join_url(base: &str, path: &str) -> String {
    format!(
        "{}/{}",
        base.trim().trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

/// `s` percent-encoded (everything but RFC 3986 unreserved characters), for a path
/// segment or a query part.
#[must_use]
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `k1=v1&k2=v2`, each part [`percent_encode`]d, for a URL's query.
#[must_use]
pub fn query_string(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Whether `host` is `localhost` or a loopback address (`127.0.0.0/8`, `::1`), where plain
/// http cannot be sniffed. Other `*.localhost` names are not trusted: a resolver may send
/// them anywhere.
#[must_use]
pub fn is_loopback_host(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost") || h.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Checks that `url` is an http(s) URL with a host, and that a secret (`has_secret`) goes
/// over plain http only to loopback unless `allow_insecure_http`.
///
/// # Errors
///
/// [`TransportError::InvalidUrl`] or [`TransportError::InsecureToken`].
pub fn check_target(
    url: &str,
    has_secret: bool,
    allow_insecure_http: bool,
) -> Result<(), TransportError> {
    let bad = || TransportError::InvalidUrl {
        url: shown_bad_url(url),
    };

    let uri: ureq::http::Uri = url.trim().parse().map_err(|_| bad())?;
    let host = uri.host().filter(|h| !h.is_empty()).ok_or_else(bad)?;
    match uri.scheme_str() {
        Some("https") => Ok(()),
        Some("http") => {
            if has_secret && !allow_insecure_http && !is_loopback_host(host) {
                return Err(TransportError::InsecureToken {
                    host: host.to_owned(),
                });
            }
            Ok(())
        }
        _ => Err(bad()),
    }
}

/// A URL refused for its shape, as an error shows it: no password, no query or fragment
/// (either may carry a token), at most 200 characters.
pub(crate) fn shown_bad_url(url: &str) -> String {
    let mut shown = redact_url(url);
    if let Some(at) = shown.find(['?', '#']) {
        shown.truncate(at);
        shown.push_str("?…");
    }
    if let Some((at, _)) = shown.char_indices().nth(200) {
        shown.truncate(at);
        shown.push('…');
    }
    shown
}

/// Whether a character from outside (a server, a file) must be escaped before it reaches a
/// terminal: control characters (escape sequences, newlines) and the invisible Unicode
/// format characters that reorder or hide text (bidi overrides and isolates U+202A-U+202E,
/// U+2066-U+2069, U+061C; zero-width U+200B-U+200F, U+2060-U+2064, U+FEFF; the line and
/// paragraph separators U+2028, U+2029).
#[must_use]
pub fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{061C}'
                | '\u{180E}'
                | '\u{FEFF}'
        )
}

/// Outside text with every [`needs_escape`] character written as `\u{...}` (or `\n`...),
/// nothing else changed.
#[must_use]
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if needs_escape(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Text a server sent (or any outside text) made safe for one terminal line: control
/// characters escaped (no escape sequence reaches the terminal), whitespace runs folded to
/// one space, at most 300 characters (then `…`).
#[must_use]
pub fn one_line(text: &str) -> String {
    let mut out = String::new();
    let mut count = 0usize;
    let mut last_space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            if !last_space && !out.is_empty() {
                out.push(' ');
                count += 1;
            }
            last_space = true;
            continue;
        }
        last_space = false;
        if needs_escape(c) {
            for e in c.escape_default() {
                out.push(e);
                count += 1;
            }
        } else {
            out.push(c);
            count += 1;
        }
        if count >= 300 {
            out.push('…');
            break;
        }
    }
    out.trim_end().to_owned()
}

/// Checks a base URL that paths are joined to ([`join_url`]): an http(s) URL with a host,
/// and no query or fragment (a joined path would land inside them).
///
/// # Errors
///
/// [`TransportError::UrlHasQuery`] or [`TransportError::InvalidUrl`].
pub fn check_base_url(url: &str) -> Result<(), TransportError> {
    if url.contains(['?', '#']) {
        // Shown without the query or fragment: it may carry a token.
        return Err(TransportError::UrlHasQuery {
            url: shown_bad_url(url),
        });
    }
    check_target(url, false, true)
}

/// A URL with any `user:password@` removed, for printing.
#[must_use]
pub fn redact_url(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            format!("{scheme}://{host}{path}")
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_url_uses_one_slash_and_keeps_a_base_path() {
        for base in [
            "https://x.example",
            "https://x.example/",
            "https://x.example///",
            " https://x.example/ ",
        ] {
            assert_eq!(join_url(base, "/api/v1/x/"), "https://x.example/api/v1/x/");
        }
        assert_eq!(
            join_url("https://x.example/saas/", "/api/v1/x/"),
            "https://x.example/saas/api/v1/x/"
        );
    }

    #[test]
    fn plain_http_secrets_only_to_loopback() {
        for ok in [
            "http://127.0.0.1:8000",
            "http://localhost:1",
            "http://[::1]:9",
            "http://127.9.9.9",
            "https://x.example",
        ] {
            assert!(check_target(ok, true, false).is_ok(), "{ok}");
        }
        let err = check_target("http://saas.example", true, false).unwrap_err();
        assert!(
            !err.to_string().contains("--"),
            "no flag named in a library error: {err}"
        );
        assert!(check_target("http://saas.example", true, true).is_ok());
        // regression (#13.19): only localhost and loopback addresses are trusted.
        assert!(check_target("http://evil.localhost:8000", true, false).is_err());
        assert!(check_target("http://saas.example", false, false).is_ok());
        for bad in ["saas.example", "ftp://x", "", "http://"] {
            assert!(
                matches!(
                    check_target(bad, false, false),
                    Err(TransportError::InvalidUrl { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn query_strings_encode_everything_but_unreserved() {
        assert_eq!(
            query_string(&[("jql", "project = \"A&B\" ORDER BY updated"), ("n", "ü~")]),
            "jql=project%20%3D%20%22A%26B%22%20ORDER%20BY%20updated&n=%C3%BC~"
        );
        assert_eq!(query_string(&[]), "");
    }

    #[test]
    fn a_query_or_fragment_is_refused_instead_of_joined_into() {
        // regression (#13.6): `/base?x=1` + a path used to go to `/base?x=1/api/v1/...`.
        for bad in ["https://x.example/base?x=1", "https://x.example/#frag"] {
            assert!(
                matches!(check_base_url(bad), Err(TransportError::UrlHasQuery { .. })),
                "{bad}"
            );
        }
        assert!(check_base_url("https://x.example/base/").is_ok());
        // A full request URL may carry a query.
        assert!(check_target("https://x.example/api?a=1", false, false).is_ok());
        let err = check_base_url("https://u:pw@x.example/?a").unwrap_err();
        assert!(!err.to_string().contains("pw"), "{err}");
    }

    #[test]
    fn bidi_and_invisible_characters_are_escaped() {
        assert_eq!(
            one_line("evil\u{202E}txt.exe \u{2066}x\u{2069} a\u{200B}b"),
            "evil\\u{202e}txt.exe \\u{2066}x\\u{2069} a\\u{200b}b"
        );
        assert_eq!(escape_text("a\u{FEFF}\nb"), "a\\u{feff}\\nb");
        assert_eq!(escape_text("Résumé ✓"), "Résumé ✓", "ordinary text is kept");
    }

    #[test]
    fn server_text_is_one_safe_line() {
        assert_eq!(one_line("a\n\n b\x1b[2J c\u{7}"), "a b\\u{1b}[2J c\\u{7}");
        assert_eq!(one_line(&"x".repeat(500)).chars().count(), 301);
        assert_eq!(one_line("  "), "");
    }

    #[test]
    fn a_bad_url_error_never_shows_its_password() {
        let err = check_target("ftp://user:hunter2@x.example/", false, false).unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        assert_eq!(
            redact_url("https://u:p@h.example:8/a?b"),
            "https://h.example:8/a?b"
        );
    }
}
