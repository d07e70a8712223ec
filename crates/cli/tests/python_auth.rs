//! One login, two CLIs: a login made by our `auth login` is used by the Python CLI 2.1.0's
//! `sync now`, and a login made by its `auth login` by our `sync now` and `auth status`,
//! against the reference receiver with bearer checks on. Needs `SPEC_KITTY_PYTHON_CLI`
//! (its `spec-kitty` in a venv) and `openssl` (the Python CLI logs in over https only, so
//! its login goes through a TLS front, `tests/python/tls_proxy.py`); skipped with a
//! message without them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers
#![allow(clippy::disallowed_methods)] // tests lay out fixture files directly
#![allow(clippy::print_stderr)] // a skipped comparison says why

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use common::*;
use contract_server::{AuthConfig, ContractServer, ServerConfig};

const PASSWORD: &str = "shared password";

fn python_cli() -> Option<PathBuf> {
    let Some(cli) = std::env::var_os("SPEC_KITTY_PYTHON_CLI").map(PathBuf::from) else {
        eprintln!("skipped: set SPEC_KITTY_PYTHON_CLI to the Python CLI 2.1.0's spec-kitty");
        return None;
    };
    Some(cli)
}

fn server() -> ContractServer {
    ContractServer::start(ServerConfig {
        auth: Some(AuthConfig {
            users: [("alice".to_owned(), PASSWORD.to_owned())].into(),
            team_slug: Some("acme".to_owned()),
            require_token: true,
            ..AuthConfig::default()
        }),
        ..ServerConfig::default()
    })
    .unwrap()
}

fn python(env: &Env, cli: &PathBuf, args: &[&str]) -> Command {
    let mut c = Command::new(cli);
    c.env_clear()
        .env("HOME", env.home())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("SPEC_KITTY_ENABLE_SAAS_SYNC", "1")
        .env("NO_COLOR", "1")
        .current_dir(env.project())
        .args(args);
    c
}

fn git_init(env: &Env) {
    let ok = Command::new("git")
        .args(["init", "-q"])
        .current_dir(env.project())
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

fn config_toml(env: &Env, url: &str) {
    let dir = env.home().join(".spec-kitty");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        format!("[sync]\nserver_url = \"{url}\"\n"),
    )
    .unwrap();
}

#[test]
fn our_login_is_used_by_the_python_sync_now() {
    let Some(cli) = python_cli() else { return };
    let env = Env::new();
    git_init(&env);
    let s = server();
    config_toml(&env, &s.url());
    let c = env.cmd(&["auth", "login", "-u", "alice", "--password-stdin"]);
    let r = run_with_stdin(c, PASSWORD.as_bytes());
    assert_eq!(r.code, 0, "{}", r.render());
    let id = env.emit(&[
        "--type",
        "WPStatusChanged",
        "--aggregate-id",
        "WP01",
        "--payload",
        WP_MOVE,
    ]);
    assert_eq!(id.code, 0, "{}", id.render());
    let r = run(python(&env, &cli, &["sync", "now"]));
    assert_eq!(r.code, 0, "{}", r.render());
    assert!(
        s.accepted_event_ids().contains(id.stdout.trim()),
        "the Python CLI sent our event with our token:\n{}",
        r.render()
    );
    // Its `auth status` reads our login.
    let st = run(python(&env, &cli, &["auth", "status"]));
    assert!(st.stdout.contains("alice"), "{}", st.render());
}

struct Proxy(Child);

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_python_login_is_used_by_our_sync_now_and_status() {
    let Some(cli) = python_cli() else { return };
    let py = cli.parent().unwrap().join("python");
    let env = Env::new();
    git_init(&env);
    let tls = env.dir.path().join("tls");
    std::fs::create_dir_all(&tls).unwrap();
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
        ])
        .current_dir(&tls)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: openssl could not make a test certificate");
        return;
    }
    let s = server();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/tls_proxy.py");
    let mut child = Command::new(&py)
        .arg(script)
        .arg(tls.join("cert.pem"))
        .arg(tls.join("key.pem"))
        .arg(s.addr().port().to_string())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut port = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut port)
        .unwrap();
    let _proxy = Proxy(child);
    let https = format!("https://127.0.0.1:{}", port.trim());
    config_toml(&env, &https);
    let mut login = python(
        &env,
        &cli,
        &["auth", "login", "-u", "alice", "-p", PASSWORD],
    );
    login.env("SSL_CERT_FILE", tls.join("cert.pem"));
    let r = run(login);
    assert_eq!(r.code, 0, "{}", r.render());
    assert!(r.stdout.contains("Login successful"), "{}", r.render());
    // Our status reads its login, and our sync now sends with its token (straight to the
    // server, whose token it is).
    let st = env.run(&["auth", "status", "--json"]);
    assert_eq!(st.code, 0, "{}", st.render());
    let v: serde_json::Value = serde_json::from_str(&st.stdout).unwrap();
    assert_eq!(v["username"], "alice");
    assert_eq!(v["team_slug"], "acme");
    assert_eq!(v["server_url"], https);
    assert!(v["access_expires_in_seconds"].as_i64().unwrap() > 800);
    let id = env.emit(&[
        "--type",
        "WPStatusChanged",
        "--aggregate-id",
        "WP01",
        "--payload",
        WP_MOVE,
    ]);
    assert_eq!(id.code, 0, "{}", id.render());
    let r = env.run(&["sync", "now", "--server-url", &s.url()]);
    assert_eq!(r.code, 0, "{}", r.render());
    assert!(s.accepted_event_ids().contains(id.stdout.trim()));
}
