//! `auth login|logout|status` and the session every SaaS command uses, over real HTTP
//! against the reference receiver's token endpoints, with real files and real child
//! processes. Every run's stdout and stderr are scanned for the password and every token
//! the server issued.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers
#![allow(clippy::disallowed_methods)] // tests lay out fixture files directly

mod common;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use common::*;
use contract_server::{AuthConfig, ContractServer, Fault, ServerConfig};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery staple";

fn auth_server(config: AuthConfig) -> ContractServer {
    ContractServer::start(ServerConfig {
        auth: Some(config),
        ..ServerConfig::default()
    })
    .unwrap()
}

fn users() -> AuthConfig {
    AuthConfig {
        users: [
            ("alice".to_owned(), PASSWORD.to_owned()),
            ("bob".to_owned(), "bobs password".to_owned()),
        ]
        .into(),
        team_slug: Some("acme".to_owned()),
        ..AuthConfig::default()
    }
}

fn spec_kitty_dir(env: &Env) -> PathBuf {
    env.home().join(".spec-kitty")
}

fn credentials(env: &Env) -> String {
    std::fs::read_to_string(spec_kitty_dir(env).join("credentials")).unwrap_or_default()
}

fn login_toml(env: &Env) -> toml_edit::DocumentMut {
    credentials(env).parse().unwrap()
}

/// Every secret a test has seen: the passwords and the tokens in the credentials file.
#[derive(Default)]
struct Secrets(Vec<String>);

impl Secrets {
    fn learn(&mut self, env: &Env) {
        let doc = login_toml(env);
        for key in ["access", "refresh"] {
            if let Some(v) = doc
                .get("tokens")
                .and_then(|t| t.get(key))
                .and_then(|v| v.as_str())
            {
                self.0.push(v.to_owned());
            }
        }
    }

    fn check(&self, r: &Run) {
        for s in self
            .0
            .iter()
            .chain([PASSWORD.to_owned(), "bobs password".to_owned()].iter())
        {
            assert!(
                !r.stdout.contains(s.as_str()) && !r.stderr.contains(s.as_str()),
                "a secret leaked:\n{}",
                r.render()
            );
        }
    }
}

/// `auth login ARGS --password-stdin` with `password` on stdin.
fn login(env: &Env, url: &str, user: &str, password: &str, extra: &[&str]) -> Run {
    let c = env.cmd(
        &[
            &[
                "auth",
                "login",
                "--server-url",
                url,
                "--username",
                user,
                "--password-stdin",
            ][..],
            extra,
        ]
        .concat(),
    );
    run_with_stdin(c, format!("{password}\n").as_bytes())
}

fn status_json(env: &Env) -> (i32, Value) {
    let r = env.run(&["auth", "status", "--json"]);
    (
        r.code,
        serde_json::from_str(&r.stdout).unwrap_or(Value::Null),
    )
}

/// Events waiting in the queue of the stored login (the one `auth status` names).
fn pending_in_login_queue(env: &Env) -> u64 {
    let (_, v) = status_json(env);
    let queue = std::path::Path::new(v["queue"].as_str().unwrap());
    event_store::EventQueue::open_read_only(queue)
        .unwrap()
        .pending()
        .unwrap()
}

/// Sets `[tokens] access_expires_at` to the past (the access token has expired).
fn expire_access(env: &Env) {
    let mut doc = login_toml(env);
    doc["tokens"]["access_expires_at"] = toml_edit::value("2000-01-01T00:00:00+00:00");
    std::fs::write(spec_kitty_dir(env).join("credentials"), doc.to_string()).unwrap();
}

fn emit(env: &Env) {
    let r = env.emit(&[
        "--type",
        "WPStatusChanged",
        "--aggregate-id",
        "WP01",
        "--payload",
        WP_MOVE,
    ]);
    assert_eq!(r.code, 0, "{}", r.render());
}

/// `sync now` with the stored login (no token given).
fn sync_stored(env: &Env, url: &str) -> Run {
    env.run(&["sync", "now", "--server-url", url])
}

fn batch_auth(s: &ContractServer) -> Vec<Option<String>> {
    s.received()
        .iter()
        .filter(|r| r.path == contract_server::BATCH_PATH)
        .map(|r| r.header("authorization").map(str::to_owned))
        .collect()
}

#[test]
fn login_stores_the_python_layout_keeps_other_tables_and_status_never_shows_a_token() {
    let env = Env::new();
    let s = auth_server(users());
    let dir = spec_kitty_dir(&env);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("credentials"),
        "# mine\n[tracker.providers.jira]\nproject_key = \"ACME\"\n",
    )
    .unwrap();
    let mut secrets = Secrets::default();
    let r = login(&env, &s.url(), "alice", PASSWORD, &[]);
    assert_eq!(r.code, 0, "{}", r.render());
    assert!(r.stdout.contains("Logged in to"), "{}", r.render());
    secrets.learn(&env);
    secrets.check(&r);
    let doc = login_toml(&env);
    let tokens = doc["tokens"].as_table().unwrap();
    assert_eq!(
        tokens.iter().map(|(k, _)| k).collect::<Vec<_>>(),
        [
            "access",
            "refresh",
            "access_expires_at",
            "refresh_expires_at"
        ]
    );
    assert_eq!(doc["user"]["username"].as_str(), Some("alice"));
    assert_eq!(doc["user"]["team_slug"].as_str(), Some("acme"));
    assert_eq!(doc["server"]["url"].as_str(), Some(s.url().as_str()));
    assert_eq!(
        doc["tracker"]["providers"]["jira"]["project_key"].as_str(),
        Some("ACME")
    );
    assert!(credentials(&env).starts_with("# mine"), "comments kept");
    // Python's isoformat of an aware UTC datetime.
    let at = tokens["access_expires_at"].as_str().unwrap();
    assert!(at.ends_with("+00:00") && at.contains('.'), "{at}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("credentials"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert_eq!(
        std::fs::read_to_string(dir.join("active_queue_scope")).unwrap(),
        format!("{}|alice|acme", s.url())
    );
    // The request: the Python CLI's body.
    let sent = s.received();
    assert_eq!(sent[0].path, "/api/v1/token/");
    assert_eq!(
        sent[0].json().unwrap(),
        json!({"username": "alice", "password": PASSWORD})
    );

    let st = env.run(&["auth", "status"]);
    secrets.check(&st);
    assert_eq!(st.code, 0, "{}", st.render());
    assert!(
        st.stdout.contains("alice") && st.stdout.contains("acme"),
        "{}",
        st.render()
    );
    let (code, v) = status_json(&env);
    assert_eq!(code, 0);
    assert_eq!(v["state"], "valid");
    assert_eq!(v["username"], "alice");
    assert_eq!(v["queue_scope"], format!("{}|alice|acme", s.url()));
    let left = v["access_expires_in_seconds"].as_i64().unwrap();
    assert!((890..=900).contains(&left), "{left}");
    assert!(v["refresh_expires_in_seconds"].as_i64().unwrap() > 600_000);
    assert!(v["queue"].as_str().unwrap().contains("queues/queue-"));

    // Logged in: said so, nothing sent, unless --force.
    let again = login(&env, &s.url(), "alice", PASSWORD, &[]);
    secrets.check(&again);
    assert_eq!(again.code, 0, "{}", again.render());
    assert!(
        again.stdout.contains("Already logged in"),
        "{}",
        again.render()
    );
    assert_eq!(s.token_requests().0, 1);
    let forced = login(&env, &s.url(), "alice", PASSWORD, &["--force"]);
    assert_eq!(forced.code, 0, "{}", forced.render());
    assert_eq!(s.token_requests().0, 2);
    secrets.learn(&env);
    secrets.check(&forced);
}

#[test]
fn a_wrong_password_exits_1_and_stores_nothing() {
    let env = Env::new();
    let s = auth_server(users());
    let r = login(&env, &s.url(), "alice", "wrong", &[]);
    assert_eq!(r.code, 1, "{}", r.render());
    assert!(
        r.stderr.contains("refused the username or password"),
        "{}",
        r.render()
    );
    assert!(!r.stderr.contains("wrong"), "{}", r.render());
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.render());
    assert!(!spec_kitty_dir(&env).join("credentials").exists());
    assert!(!spec_kitty_dir(&env).join("active_queue_scope").exists());
    let (code, v) = status_json(&env);
    assert_eq!((code, v["logged_in"].as_bool()), (1, Some(false)));
}

#[test]
fn a_server_that_is_down_exits_3_and_stores_nothing() {
    let env = Env::new();
    let url = {
        let s = auth_server(users());
        s.url()
    };
    let r = login(&env, &url, "alice", PASSWORD, &[]);
    assert_eq!(r.code, 3, "{}", r.render());
    assert!(!spec_kitty_dir(&env).join("credentials").exists());
}

#[test]
fn an_answer_without_refresh_is_refused_and_nothing_is_stored() {
    let env = Env::new();
    let s = auth_server(users());
    s.push_faults([Fault::Answer(200, vec![], json!({"access": "only-access"}))]);
    let r = login(&env, &s.url(), "alice", PASSWORD, &[]);
    assert_eq!(r.code, 1, "{}", r.render());
    assert!(r.stderr.contains("without a token pair"), "{}", r.render());
    assert!(!r.stderr.contains("only-access"));
    assert!(!spec_kitty_dir(&env).join("credentials").exists());
}

#[test]
fn lifetimes_as_strings_and_under_other_names_are_read_like_the_python_cli() {
    let env = Env::new();
    let s = auth_server(AuthConfig {
        access_lifetime: Duration::from_secs(120),
        refresh_lifetime: Duration::from_secs(3600),
        lifetimes_as_strings: true,
        ..users()
    });
    let r = login(&env, &s.url(), "alice", PASSWORD, &[]);
    assert_eq!(r.code, 0, "{}", r.render());
    let (_, v) = status_json(&env);
    let a = v["access_expires_in_seconds"].as_i64().unwrap();
    let f = v["refresh_expires_in_seconds"].as_i64().unwrap();
    assert!(
        (110..=120).contains(&a) && (3590..=3600).contains(&f),
        "{v}"
    );
    // `expires_in` / `refresh_expires_in` as strings; an unreadable one falls back to the
    // defaults (900 s, 7 days).
    s.push_faults([Fault::Answer(
        200,
        vec![],
        json!({"access": "a1", "refresh": "r1", "expires_in": "300", "refresh_expires_in": "soon"}),
    )]);
    let r = login(&env, &s.url(), "alice", PASSWORD, &["--force"]);
    assert_eq!(r.code, 0, "{}", r.render());
    let (_, v) = status_json(&env);
    let a = v["access_expires_in_seconds"].as_i64().unwrap();
    let f = v["refresh_expires_in_seconds"].as_i64().unwrap();
    assert!(
        (290..=300).contains(&a) && (604_790..=604_800).contains(&f),
        "{v}"
    );
    assert_eq!(
        v["team_slug"],
        Value::Null,
        "a login without a team has none"
    );
}

#[test]
fn plain_http_to_a_remote_host_and_a_missing_server_are_usage_errors_before_any_prompt() {
    let env = Env::new();
    let r = login(&env, "http://spec-kitty.example", "alice", PASSWORD, &[]);
    assert_eq!(r.code, 2, "{}", r.render());
    assert!(
        r.stderr.contains("plain http") && r.stderr.contains("https://"),
        "{}",
        r.render()
    );
    let mut c = env.cmd(&["auth", "login", "--username", "alice", "--password-stdin"]);
    c.stdin(Stdio::null());
    let r = run(c);
    assert_eq!(r.code, 2, "{}", r.render());
    assert!(r.stderr.contains("[sync] server_url"), "{}", r.render());
    // Not a terminal and no --password-stdin: refused, never read from argv.
    let s = auth_server(users());
    let mut c = env.cmd(&[
        "auth",
        "login",
        "--server-url",
        &s.url(),
        "--username",
        "alice",
    ]);
    c.stdin(Stdio::null());
    let r = run(c);
    assert_eq!(r.code, 2, "{}", r.render());
    assert!(r.stderr.contains("--password-stdin"), "{}", r.render());
    assert!(s.received().is_empty());
    // The server from config.toml's [sync] server_url.
    std::fs::create_dir_all(spec_kitty_dir(&env)).unwrap();
    std::fs::write(
        spec_kitty_dir(&env).join("config.toml"),
        format!("[sync]\nserver_url = \"{}\"\n", s.url()),
    )
    .unwrap();
    let c = env.cmd(&["auth", "login", "-u", "alice", "--password-stdin"]);
    let r = run_with_stdin(c, PASSWORD.as_bytes());
    assert_eq!(r.code, 0, "{}", r.render());
    assert_eq!(
        login_toml(&env)["server"]["url"].as_str(),
        Some(s.url().as_str())
    );
}

#[test]
fn logout_removes_only_the_tokens_and_works_with_the_server_down() {
    let env = Env::new();
    let s = auth_server(users());
    assert_eq!(login(&env, &s.url(), "alice", PASSWORD, &[]).code, 0);
    let mut doc = login_toml(&env);
    doc["tracker"]["providers"]["linear"]["team_id"] = toml_edit::value("T1");
    std::fs::write(spec_kitty_dir(&env).join("credentials"), doc.to_string()).unwrap();
    let mut secrets = Secrets::default();
    secrets.learn(&env);
    s.shutdown();
    let r = env.run(&["auth", "logout"]);
    secrets.check(&r);
    assert_eq!(r.code, 0, "{}", r.render());
    let doc = login_toml(&env);
    assert!(doc.get("tokens").is_none());
    assert_eq!(doc["user"]["username"].as_str(), Some("alice"));
    assert_eq!(
        doc["tracker"]["providers"]["linear"]["team_id"].as_str(),
        Some("T1")
    );
    let st = env.run(&["auth", "status"]);
    assert_eq!(st.code, 1, "{}", st.render());
    assert!(st.stdout.contains("Not logged in"), "{}", st.render());
    let again = env.run(&["auth", "logout"]);
    assert_eq!(again.code, 0);
    assert!(again.stdout.contains("Not logged in"));
}

#[test]
fn status_exits_1_when_the_refresh_token_has_expired() {
    let env = Env::new();
    let s = auth_server(users());
    assert_eq!(login(&env, &s.url(), "alice", PASSWORD, &[]).code, 0);
    let mut doc = login_toml(&env);
    doc["tokens"]["access_expires_at"] = toml_edit::value("2000-01-01T00:00:00+00:00");
    doc["tokens"]["refresh_expires_at"] = toml_edit::value("2000-01-02T00:00:00+00:00");
    std::fs::write(spec_kitty_dir(&env).join("credentials"), doc.to_string()).unwrap();
    let (code, v) = status_json(&env);
    assert_eq!((code, v["state"].as_str()), (1, Some("expired")));
    let r = env.run(&["auth", "status"]);
    assert!(r.stderr.contains("auth login"), "{}", r.render());
}

#[test]
fn an_account_switch_with_queued_events_is_refused_unless_forced_and_the_queues_stay_apart() {
    let env = Env::new();
    let s = auth_server(users());
    assert_eq!(login(&env, &s.url(), "alice", PASSWORD, &[]).code, 0);
    emit(&env);
    let alice_queue = status_json(&env).1["queue"].as_str().unwrap().to_owned();
    assert_eq!(env.run(&["auth", "logout"]).code, 0);
    let before = credentials(&env);
    let r = login(&env, &s.url(), "bob", "bobs password", &[]);
    assert_eq!(r.code, 1, "{}", r.render());
    assert!(
        r.stderr.contains("account switch refused") && r.stderr.contains("1 event"),
        "{}",
        r.render()
    );
    assert_eq!(credentials(&env), before, "nothing stored");
    let r = login(&env, &s.url(), "bob", "bobs password", &["--force"]);
    assert_eq!(r.code, 0, "{}", r.render());
    assert!(
        r.stderr
            .contains("warning: switching accounts with 1 event"),
        "{}",
        r.render()
    );
    let (_, v) = status_json(&env);
    assert_eq!(v["username"], "bob");
    assert_ne!(v["queue"].as_str().unwrap(), alice_queue);
    let q = event_store::EventQueue::open_read_only(std::path::Path::new(&alice_queue)).unwrap();
    assert_eq!(
        q.pending().unwrap(),
        1,
        "alice's event stays in alice's queue"
    );
    assert_eq!(
        std::fs::read_to_string(spec_kitty_dir(&env).join("active_queue_scope")).unwrap(),
        format!("{}|bob|acme", s.url())
    );
}

#[test]
fn an_expired_access_token_is_refreshed_then_the_upload_goes_with_the_new_one() {
    let env = Env::new();
    let s = auth_server(AuthConfig {
        require_token: true,
        ..users()
    });
    assert_eq!(login(&env, &s.url(), "alice", PASSWORD, &[]).code, 0);
    let old = login_toml(&env)["tokens"]["access"]
        .as_str()
        .unwrap()
        .to_owned();
    expire_access(&env);
    emit(&env);
    let r = sync_stored(&env, &s.url());
    let mut secrets = Secrets::default();
    secrets.0.push(old.clone());
    secrets.learn(&env);
    secrets.check(&r);
    assert_eq!(r.code, 0, "{}", r.render());
    assert_eq!(s.token_requests(), (1, 1));
    let new = login_toml(&env)["tokens"]["access"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new, old);
    assert_eq!(batch_auth(&s), [Some(format!("Bearer {new}"))]);
    let (_, v) = status_json(&env);
    assert_eq!(v["state"], "valid");
}

#[test]
fn a_401_refreshes_once_and_retries_and_a_second_401_says_log_in_again() {
    let env = Env::new();
    let s = auth_server(AuthConfig {
        require_token: true,
        ..users()
    });
    assert_eq!(login(&env, &s.url(), "alice", PASSWORD, &[]).code, 0);
    emit(&env);
    s.revoke_access_tokens();
    let r = sync_stored(&env, &s.url());
    assert_eq!(r.code, 0, "{}", r.render());
    assert_eq!(s.token_requests().1, 1, "one refresh");
    let auths = batch_auth(&s);
    assert_eq!(
        auths.len(),
        2,
        "the refused batch, then the same batch again"
    );
    assert_ne!(auths[0], auths[1]);
    // Refused after the refresh too: one refresh, then stop with the events kept.
    emit(&env);
    s.push_faults([Fault::Status(401, None), Fault::Status(401, None)]);
    let r = sync_stored(&env, &s.url());
    assert_eq!(r.code, 1, "{}", r.render());
    assert!(r.stderr.contains("auth login"), "{}", r.render());
    assert_eq!(pending_in_login_queue(&env), 1);
}

#[test]
fn a_refused_refresh_says_log_in_again_and_keeps_the_queue_and_the_login_file() {
    let env = Env::new();
    let s = auth_server(users());
    assert_eq!(login(&env, &s.url(), "alice", PASSWORD, &[]).code, 0);
    expire_access(&env);
    emit(&env);
    let before = credentials(&env);
    s.fail_refresh(true);
    let r = sync_stored(&env, &s.url());
    assert_eq!(r.code, 1, "{}", r.render());
    assert!(
        r.stderr
            .contains("log in again with `spec-kitty auth login`"),
        "{}",
        r.render()
    );
    assert_eq!(
        credentials(&env),
        before,
        "the Python CLI deletes the file; we keep it"
    );
    assert!(batch_auth(&s).is_empty());
    assert_eq!(pending_in_login_queue(&env), 1);
}

#[test]
fn the_refresh_goes_to_the_issuing_server_never_to_an_overriding_url() {
    let env = Env::new();
    let issuer = auth_server(users());
    let hostile = auth_server(users());
    assert_eq!(login(&env, &issuer.url(), "alice", PASSWORD, &[]).code, 0);
    let refresh = login_toml(&env)["tokens"]["refresh"]
        .as_str()
        .unwrap()
        .to_owned();
    expire_access(&env);
    emit(&env);
    // From the flag, then from the environment.
    let r = sync_stored(&env, &hostile.url());
    assert_eq!(r.code, 0, "{}", r.render());
    emit(&env);
    expire_access(&env);
    let mut c = env.cmd(&["sync", "now"]);
    c.env("SAAS_API_URL", hostile.url());
    let r = run(c);
    assert_eq!(r.code, 0, "{}", r.render());
    assert_eq!(issuer.token_requests().1, 2);
    for got in hostile.received() {
        assert_ne!(got.path, contract_server::REFRESH_PATH);
        assert!(!String::from_utf8_lossy(&got.body).contains(&refresh));
    }
    assert_eq!(batch_auth(&hostile).len(), 2);
}

#[test]
fn two_processes_refreshing_at_once_send_one_refresh() {
    let env = Env::new();
    let s = auth_server(AuthConfig {
        require_token: true,
        ..users()
    });
    assert_eq!(login(&env, &s.url(), "alice", PASSWORD, &[]).code, 0);
    expire_access(&env);
    s.delay_refresh(Duration::from_millis(700));
    let spawn = || {
        env.cmd(&["doctor", "--json"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let outs = [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()];
    assert_eq!(
        s.token_requests().1,
        1,
        "the second process read the first one's result"
    );
    for o in outs {
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        let server = v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "server")
            .unwrap();
        assert_eq!(server["status"], "ok", "{v}");
    }
}

#[test]
fn a_given_token_overrides_the_login_and_is_never_written() {
    let env = Env::new();
    let s = auth_server(users());
    assert_eq!(login(&env, &s.url(), "alice", PASSWORD, &[]).code, 0);
    let before = credentials(&env);
    emit(&env);
    let r = env.sync_now(&s.url(), &[]);
    assert_eq!(r.code, 0, "{}", r.render());
    assert_eq!(batch_auth(&s), [Some(format!("Bearer {SECRET}"))]);
    assert_eq!(credentials(&env), before);
    assert!(!credentials(&env).contains(SECRET));
    let mut c = env.cmd(&["auth", "status", "--json"]);
    c.env("SAAS_AUTH_TOKEN", SECRET);
    let r = run(c);
    assert!(!r.stdout.contains(SECRET));
    assert_eq!(
        serde_json::from_str::<Value>(&r.stdout).unwrap()["token_override"],
        true
    );
}

#[test]
fn no_command_prints_the_password_or_a_token_even_with_verbose_traces() {
    let env = Env::new();
    let s = auth_server(AuthConfig {
        require_token: true,
        ..users()
    });
    let mut secrets = Secrets::default();
    let mut runs = vec![login(&env, &s.url(), "alice", PASSWORD, &["-v"])];
    secrets.learn(&env);
    emit(&env);
    for args in [
        &["auth", "status"][..],
        &["auth", "status", "--json"],
        &["-v", "sync", "status"],
        &["sync", "status", "--json"],
        &["-v", "doctor"],
        &["doctor", "--json"],
    ] {
        runs.push(env.run(args));
    }
    expire_access(&env);
    runs.push(env.run(&["-v", "sync", "now"]));
    secrets.learn(&env);
    s.revoke_access_tokens();
    emit(&env);
    runs.push(env.run(&["-v", "sync", "now", "--json"]));
    secrets.learn(&env);
    s.fail_refresh(true);
    s.revoke_access_tokens();
    emit(&env);
    runs.push(env.run(&["-v", "sync", "now"]));
    runs.push(env.run(&["-v", "doctor"]));
    runs.push(login(&env, &s.url(), "alice", "wrong", &["-v", "--force"]));
    runs.push(login(&env, &s.url(), "alice", PASSWORD, &["-v", "--force"]));
    secrets.learn(&env);
    runs.push(env.run(&["auth", "logout"]));
    assert!(secrets.0.len() >= 6, "tokens seen: {}", secrets.0.len());
    for r in &runs {
        secrets.check(r);
    }
    assert!(
        runs.iter().any(|r| r.stderr.contains("http: > POST")),
        "the traces ran"
    );
}
