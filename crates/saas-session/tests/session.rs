//! The session over real files: which server and token win, nothing printed, and the
//! refresh held to the same rules as a bearer token.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers
#![allow(clippy::disallowed_methods)] // tests lay out fixture files directly

use std::collections::BTreeMap;

use contract_server::{ContractServer, Fault, ServerConfig};
use routing_core::CredentialValue;
use saas_session::{
    Auth, LoginState, ServerSource, Session, SessionError, SessionInputs, TokenSource,
    resolve_token,
};
use serde_json::json;
use spec_kitty_home::{CredentialStore, Credentials, SpecKittyHome};

fn creds(pairs: &[(&str, &str)]) -> Credentials {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), CredentialValue::String((*v).to_owned())))
        .collect::<BTreeMap<_, _>>()
}

fn home_with(credentials: &str) -> (tempfile::TempDir, SpecKittyHome) {
    let dir = tempfile::tempdir().unwrap();
    let home = SpecKittyHome::at(dir.path().join(".spec-kitty"));
    std::fs::create_dir_all(home.dir()).unwrap();
    std::fs::write(home.credentials_path(), credentials).unwrap();
    (dir, home)
}

const LOGIN: &str = "[tokens]\naccess = \"stored-access\"\nrefresh = \"stored-refresh\"\naccess_expires_at = \"2999-01-01T00:00:00+00:00\"\nrefresh_expires_at = \"2999-01-01T00:00:00+00:00\"\n\n[server]\nurl = \"https://stored.example\"\n";

#[test]
fn token_order_blank_tokens_and_provider_pats() {
    let c = creds(&[("access_token", " acc "), ("token", "tok")]);
    let t = |explicit: Option<&str>, provider: &str, c: &Credentials| {
        resolve_token(explicit, provider, c).map(|(s, _)| s.expose().to_owned())
    };
    assert_eq!(t(Some(" flag "), "jira", &c).as_deref(), Some("flag"));
    assert_eq!(t(Some("  "), "jira", &c).as_deref(), Some("acc"));
    assert_eq!(
        t(
            None,
            "jira",
            &creds(&[("access_token", " "), ("token", "tok")])
        )
        .as_deref(),
        Some("tok")
    );
    assert_eq!(t(None, "jira", &creds(&[("token", "  ")])), None);
    assert_eq!(
        t(None, "github", &creds(&[("token", "ghp_pat")])),
        None,
        "a github PAT is never a SaaS token"
    );
    assert_eq!(t(None, "GitLab", &creds(&[("token", "glpat")])), None);
    assert_eq!(
        t(None, "github", &creds(&[("access_token", "acc")])).as_deref(),
        Some("acc")
    );
    assert_eq!(
        format!("{:?}", resolve_token(Some("s3cret"), "jira", &c)),
        "Some((<redacted>, Given))"
    );
}

#[test]
fn given_beats_binding_beats_stored_login_and_the_server_falls_back_to_the_login() {
    let (_d, home) = home_with(LOGIN);
    let binding = creds(&[("access_token", "binding-access")]);
    let resolve = |server: Option<&str>, token: Option<&str>, with_binding: bool| {
        Session::resolve(
            &home,
            &SessionInputs {
                server_url: server,
                token,
                binding: with_binding.then_some(("jira", &binding)),
            },
        )
        .unwrap()
    };
    let s = resolve(Some(" https://given.example "), Some("given"), true);
    assert_eq!(s.server_url(), Some("https://given.example"));
    assert_eq!(s.server_source(), Some(ServerSource::Given));
    assert!(matches!(s.auth(), Auth::Given(t, TokenSource::Given) if t.expose() == "given"));
    let s = resolve(None, None, true);
    assert_eq!(s.server_url(), Some("https://stored.example"));
    assert_eq!(s.server_source(), Some(ServerSource::StoredLogin));
    assert!(
        matches!(s.auth(), Auth::Given(t, TokenSource::BindingAccessToken) if t.expose() == "binding-access")
    );
    let s = resolve(Some("  "), Some(" "), false);
    assert_eq!(s.server_source(), Some(ServerSource::StoredLogin));
    assert!(matches!(s.auth(), Auth::Stored(_)));
    assert_eq!(s.auth().state().unwrap(), LoginState::Valid);
    let debug = format!("{s:?}");
    for secret in ["stored-access", "stored-refresh", "binding-access"] {
        assert!(!debug.contains(secret), "{debug}");
    }
    let (_d2, empty) = home_with("");
    let s = Session::resolve(&empty, &SessionInputs::default()).unwrap();
    assert_eq!(s.server_url(), None);
    assert!(!s.has_token());
    assert_eq!(s.auth().state().unwrap(), LoginState::None);
}

#[test]
fn a_refresh_goes_to_the_issuing_server_and_is_skipped_when_another_process_already_did_it() {
    let issuer = ContractServer::start(ServerConfig::default()).unwrap();
    let (_d, home) = home_with(&LOGIN.replace("https://stored.example", &issuer.url()));
    let auth = Auth::Stored(CredentialStore::new(&home));
    let transport = http_transport::Settings::default().transport();
    // The stored access token is valid and is not the one the server refused: another
    // process refreshed meanwhile; it is used without a request.
    let token = auth
        .refresh(&transport, Some(&saas_session::Secret::new("refused-one")))
        .unwrap();
    assert_eq!(token.expose(), "stored-access");
    assert!(issuer.received().is_empty());
    // Refused itself: refreshed at `[server] url`, the pair stored with Python-style
    // expiries (default lifetimes: 900 s and 7 days).
    issuer.push_faults([Fault::Answer(
        200,
        vec![],
        json!({"access": "new-access", "refresh": "new-refresh", "team_slug": "acme"}),
    )]);
    let token = auth
        .refresh(
            &transport,
            Some(&saas_session::Secret::new("stored-access")),
        )
        .unwrap();
    assert_eq!(token.expose(), "new-access");
    let got = issuer.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].path, "/api/v1/token/refresh/");
    assert_eq!(got[0].json().unwrap(), json!({"refresh": "stored-refresh"}));
    let login = CredentialStore::new(&home).saas_login().unwrap();
    assert_eq!(login.refresh.as_deref(), Some("new-refresh"));
    assert_eq!(login.team_slug.as_deref(), Some("acme"));
    let left = |at: Option<&str>| {
        saas_session::parse_expiry(at.unwrap()).unwrap().as_second()
            - jiff::Timestamp::now().as_second()
    };
    assert!((890..=900).contains(&left(login.access_expires_at.as_deref())));
    assert!((604_790..=604_800).contains(&left(login.refresh_expires_at.as_deref())));
}

#[test]
fn a_login_without_an_issuing_server_is_never_refreshed_anywhere() {
    let (_d, home) = home_with(
        &LOGIN
            .replace("[server]\nurl = \"https://stored.example\"\n", "")
            .replace("access_expires_at = \"2999", "access_expires_at = \"2000"),
    );
    assert!(
        !std::fs::read_to_string(home.credentials_path())
            .unwrap()
            .contains("[server]")
    );
    let err = Auth::Stored(CredentialStore::new(&home))
        .current(&http_transport::Settings::default().transport())
        .unwrap_err();
    assert!(matches!(err, SessionError::Expired), "{err}");
    assert!(err.needs_login());
}

#[test]
fn expiries_are_read_as_the_python_cli_reads_them() {
    let at = |s: &str| saas_session::parse_expiry(s).map(|t| t.as_second());
    assert_eq!(at("2026-01-01T00:00:00+00:00"), Some(1_767_225_600));
    assert_eq!(at("2026-01-01T00:00:00Z"), Some(1_767_225_600));
    assert_eq!(at("2026-01-01T01:00:00.5+01:00"), Some(1_767_225_600));
    assert_eq!(
        at("2026-01-01T00:00:00"),
        Some(1_767_225_600),
        "naive is UTC"
    );
    assert_eq!(at("soon"), None);
}

#[test]
fn regression_22_1_a_refresh_over_plain_http_to_a_remote_host_is_refused_before_sending() {
    let text = LOGIN
        .replace("https://stored.example", "http://saas.invalid")
        .replace("access_expires_at = \"2999", "access_expires_at = \"2000");
    let (_d, home) = home_with(&text);
    let before = std::fs::read_to_string(home.credentials_path()).unwrap();
    let auth = Auth::Stored(CredentialStore::new(&home));
    assert_eq!(auth.state().unwrap(), LoginState::NeedsRefresh);
    let err = auth
        .current(&http_transport::Settings::default().transport())
        .unwrap_err();
    assert!(
        matches!(
            err,
            SessionError::Transport(http_transport::TransportError::InsecureToken { .. })
        ),
        "{err}"
    );
    assert_eq!(err.kind(), http_transport::ErrorKind::Usage);
    assert!(!err.to_string().contains("stored-refresh"));
    assert_eq!(
        std::fs::read_to_string(home.credentials_path()).unwrap(),
        before,
        "[tokens] untouched"
    );
}

#[test]
fn an_expired_login_needs_a_new_one_and_sends_nothing() {
    let text = LOGIN.replace("2999", "2000");
    let (_d, home) = home_with(&text);
    let auth = Auth::Stored(CredentialStore::new(&home));
    assert_eq!(auth.state().unwrap(), LoginState::Expired);
    let err = auth
        .current(&http_transport::Settings::default().transport())
        .unwrap_err();
    assert!(matches!(err, SessionError::Expired), "{err}");
    assert!(err.needs_login());
}

#[test]
fn regression_22_15_tokens_that_cannot_go_in_a_header_are_refused_locally_and_never_stored() {
    // A stored access token with a space: a local error that says "log in again", not a
    // network failure, and sync status does not call it valid.
    let (_d, home) = home_with(&LOGIN.replace("stored-access", "sekrit value"));
    let auth = Auth::Stored(CredentialStore::new(&home));
    assert_eq!(auth.state().unwrap(), LoginState::Unusable);
    let err = auth
        .current(&http_transport::Settings::default().transport())
        .unwrap_err();
    assert!(matches!(err, SessionError::BadToken { .. }), "{err}");
    assert_eq!(err.kind(), http_transport::ErrorKind::Refused);
    assert!(err.needs_login());
    assert!(
        !err.to_string().contains("sekrit"),
        "never the value: {err}"
    );
    // A refresh answer with a 1 MB token (or CR/LF) is not stored.
    for bad in ["x".repeat(1024 * 1024), "a\r\nInjected: yes".to_owned()] {
        let issuer = ContractServer::start(ServerConfig::default()).unwrap();
        let (_d, home) = home_with(
            &LOGIN
                .replace("https://stored.example", &issuer.url())
                .replace("access_expires_at = \"2999", "access_expires_at = \"2000"),
        );
        let before = std::fs::read_to_string(home.credentials_path()).unwrap();
        issuer.push_faults([Fault::Answer(
            200,
            vec![],
            json!({"access": bad, "refresh": "new-refresh"}),
        )]);
        let settings = http_transport::Settings {
            max_answer: 4 * 1024 * 1024,
            ..http_transport::Settings::default()
        };
        let err = Auth::Stored(CredentialStore::new(&home))
            .current(&settings.transport())
            .unwrap_err();
        assert!(matches!(err, SessionError::BadToken { .. }), "{err}");
        assert_eq!(
            std::fs::read_to_string(home.credentials_path()).unwrap(),
            before,
            "[tokens] untouched"
        );
    }
}
