//! `spec-kitty auth login|logout|status`: the SaaS login, stored where and as the Python
//! CLI 2.1.0 stores it (`contracts/auth.md`), so either CLI uses the other's login.

use std::io::{BufRead, IsTerminal, Read};

use anyhow::{Result, anyhow};
use event_store::{EventQueue, QueueFiles};
use http_transport::{Secret, TransportError, redact_url};
use saas_session::{Auth, LoginState, Session, SessionInputs, parse_expiry};
use serde_json::json;
use spec_kitty_home::{CredentialStore, SaasLogin, SpecKittyHome};

use crate::args::{AuthStatusArgs, LoginArgs};
use crate::error::{EXIT_FAILURE, Exit, usage};
use crate::output::{diag, json as to_json, out, safe};

/// The longest password read (from stdin or the prompt).
const MAX_PASSWORD: usize = 4096;

/// `12s`, `5m`, `3h`, `6d`: how long until `at`.
fn duration_words(seconds: i64) -> String {
    match seconds {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

/// Seconds from now until an expiry (negative when past); `None` when unreadable.
fn seconds_left(at: Option<&str>) -> Option<i64> {
    let t = parse_expiry(at?)?;
    Some(t.as_second() - jiff::Timestamp::now().as_second())
}

fn expiry_words(at: Option<&str>) -> String {
    match seconds_left(at) {
        None => "unknown expiry".to_owned(),
        Some(s) if s > 0 => format!("valid ({} left)", duration_words(s)),
        Some(_) => "expired".to_owned(),
    }
}

/// Where the login goes: the flag, then `[sync] server_url` of `config.toml`, then the
/// stored login's server. https only, except a loopback address.
fn login_server(home: &SpecKittyHome, flag: Option<&str>, stored: &SaasLogin) -> Result<String> {
    let url = match flag {
        Some(u) => u.to_owned(),
        None => match home.sync_server_url()? {
            Some(u) => u,
            None => stored
                .server_url
                .clone()
                .filter(|u| !u.trim().is_empty())
                .ok_or_else(|| {
                    usage(
                        "no server to log in to: pass --server-url URL, or set [sync] server_url in ~/.spec-kitty/config.toml",
                    )
                })?,
        },
    };
    let url = url.trim().trim_end_matches('/').to_owned();
    match http_transport::check_target(&url, true, false) {
        Ok(()) => Ok(url),
        Err(TransportError::InsecureToken { host }) => Err(usage(format!(
            "refusing to send a password over plain http to {host}: use an https:// server URL (plain http is allowed only to a loopback address)"
        ))),
        Err(e) => Err(usage(format!(
            "{e}; pass a base URL like --server-url https://spec-kitty.example"
        ))),
    }
}

/// The username: the flag, else a prompt on a terminal.
fn username(args: &LoginArgs) -> Result<String> {
    let name = match &args.username {
        Some(u) => u.clone(),
        None if args.password_stdin => {
            return Err(usage(
                "--password-stdin needs --username (standard input holds the password)",
            ));
        }
        None if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() => {
            eprint!("Username: ");
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .take(1024)
                .read_line(&mut line)
                .map_err(|e| anyhow!("reading the username: {e}"))?;
            line
        }
        None => {
            return Err(usage(
                "no terminal to ask for the username: pass --username NAME",
            ));
        }
    };
    let name = name.trim().to_owned();
    if name.is_empty() || name.chars().any(char::is_control) {
        return Err(usage(
            "the username is empty or holds a control character: pass --username NAME",
        ));
    }
    Ok(name)
}

/// The password: standard input with `--password-stdin` (one trailing newline removed),
/// else a prompt with echo off on a terminal. Never from argv, never printed.
fn password(args: &LoginArgs) -> Result<Secret> {
    let text = if args.password_stdin {
        let mut buf = Vec::new();
        std::io::stdin()
            .lock()
            .take(MAX_PASSWORD as u64 + 1)
            .read_to_end(&mut buf)
            .map_err(|e| anyhow!("reading the password from standard input: {e}"))?;
        if buf.len() > MAX_PASSWORD {
            return Err(usage(
                "the password on standard input is longer than 4 KiB; pipe the password alone",
            ));
        }
        let mut s = String::from_utf8(buf)
            .map_err(|_| usage("the password on standard input is not UTF-8"))?;
        if s.ends_with('\n') {
            s.pop();
            if s.ends_with('\r') {
                s.pop();
            }
        }
        s
    } else if std::io::stdin().is_terminal() {
        rpassword::prompt_password("Password: ")
            .map_err(|e| anyhow!("reading the password from the terminal: {e}"))?
    } else {
        return Err(usage(
            "no terminal to ask for the password: pipe it with --password-stdin",
        ));
    };
    if text.is_empty() {
        return Err(usage("the password is empty"));
    }
    Ok(Secret::new(text))
}

/// Pending events in a scope's queue file (0 when it does not exist).
fn pending_in(home: &SpecKittyHome, scope: &str) -> Result<u64> {
    let path = QueueFiles::scoped_path(home, scope);
    if !path.is_file() {
        return Ok(0);
    }
    Ok(EventQueue::open_read_only(&path)?.pending()?)
}

pub(crate) fn login(home: &SpecKittyHome, args: &LoginArgs) -> Result<()> {
    let store = CredentialStore::new(home);
    let stored = store.saas_login()?;
    // The Python CLI's "authenticated": a live access token (usable or not) or a live
    // refresh token; `LoginState` decides it once for every command.
    let live = matches!(
        Auth::Stored(store.clone()).state()?,
        LoginState::Valid | LoginState::NeedsRefresh | LoginState::Unusable
    );
    if live && !args.force {
        // As the Python CLI: being logged in re-marks this login's queue as the active one.
        if let Some(scope) = stored.queue_scope() {
            home.set_active_scope(&scope)?;
        }
        out(&format!(
            "Already logged in as {} at {}; pass --force to log in again, or run `spec-kitty auth logout` first.\n",
            safe(stored.username.as_deref().unwrap_or("unknown")),
            safe(&redact_url(
                stored.server_url.as_deref().unwrap_or("an unknown server")
            )),
        ))?;
        return Ok(());
    }
    let server = login_server(home, args.server_url.as_deref(), &stored)?;
    let user = username(args)?;
    let password = password(args)?;
    let mut settings = crate::net::traced(http_transport::Settings::default());
    settings.timeout = std::time::Duration::from_secs(args.timeout_seconds);
    let new = saas_session::password_login(&settings.transport(), &server, &user, &password)?;
    drop(password);
    // An account switch must not strand the previous account's queued events (the Python
    // CLI's rule); unlike it, a refused switch stores nothing, so the old login stays.
    let new_scope = new.queue_scope();
    let previous = home.active_scope()?.or_else(|| stored.queue_scope());
    if let (Some(prev), Some(next)) = (&previous, &new_scope)
        && prev != next
    {
        let pending = pending_in(home, prev)?;
        if pending > 0 && !args.force {
            return Err(Exit {
                code: EXIT_FAILURE,
                message: format!(
                    "account switch refused: {pending} event(s) queued for the previous login ({}) are not sent yet, and this login would not send them; run `spec-kitty sync now` before switching, or pass --force to keep both queues apart; nothing was stored",
                    safe(prev)
                ),
            }
            .into());
        }
        if pending > 0 {
            diag(
                "warning",
                &format!(
                    "switching accounts with {pending} event(s) still queued for {}; they stay in that login's queue",
                    safe(prev)
                ),
            );
        }
    }
    new.store(&store)?;
    if let Some(scope) = &new_scope {
        home.set_active_scope(scope)?;
    }
    let l = new.login();
    let team = l
        .team_slug
        .as_deref()
        .map(|t| format!(" (team {})", safe(t)))
        .unwrap_or_default();
    out(&format!(
        "Logged in to {} as {}{team}.\n  access token: {}\n  refresh token: {}\n",
        safe(&redact_url(&server)),
        safe(&user),
        expiry_words(l.access_expires_at.as_deref()),
        expiry_words(l.refresh_expires_at.as_deref()),
    ))?;
    Ok(())
}

pub(crate) fn logout(home: &SpecKittyHome) -> Result<()> {
    let store = CredentialStore::new(home);
    let login = store.saas_login()?;
    if store.clear_tokens()? {
        out(&format!(
            "Logged out: removed the SaaS tokens of {} at {} from {} (other settings kept).\n",
            safe(login.username.as_deref().unwrap_or("unknown")),
            safe(&redact_url(
                login.server_url.as_deref().unwrap_or("an unknown server")
            )),
            safe(&store.path().display().to_string()),
        ))?;
    } else {
        out("Not logged in; nothing to remove.\n")?;
    }
    Ok(())
}

fn state_word(s: LoginState) -> &'static str {
    match s {
        LoginState::Valid => "valid",
        LoginState::NeedsRefresh => "needs_refresh",
        LoginState::Expired => "expired",
        LoginState::Unusable => "unusable",
        LoginState::None | LoginState::Given(_) => "none",
    }
}

pub(crate) fn status(home: &SpecKittyHome, args: &AuthStatusArgs) -> Result<()> {
    let store = CredentialStore::new(home);
    let login = store.saas_login()?;
    let state = Auth::Stored(store.clone()).state()?;
    let state = if login.access.is_none() && login.refresh.is_none() {
        LoginState::None
    } else {
        state
    };
    let files = QueueFiles::resolve(home)?;
    let active = home.active_scope()?;
    let overridden = Session::resolve(
        home,
        &SessionInputs {
            token: args.auth_token.as_deref(),
            ..SessionInputs::default()
        },
    )?
    .auth()
    .state()?;
    let token_override = matches!(overridden, LoginState::Given(_));
    let logged_in = matches!(state, LoginState::Valid | LoginState::NeedsRefresh);
    if args.json {
        out(&to_json(&json!({
            "logged_in": logged_in,
            "state": state_word(state),
            "server_url": login.server_url.as_deref().map(redact_url),
            "username": login.username,
            "team_slug": login.team_slug,
            "access_expires_at": login.access_expires_at,
            "access_expires_in_seconds": seconds_left(login.access_expires_at.as_deref()),
            "refresh_expires_at": login.refresh_expires_at,
            "refresh_expires_in_seconds": seconds_left(login.refresh_expires_at.as_deref()),
            "queue_scope": login.queue_scope(),
            "active_queue_scope": active,
            "queue": files.active().display().to_string(),
            "token_override": token_override,
        })))?;
    } else {
        let mut text = match state {
            LoginState::Valid | LoginState::NeedsRefresh => "Logged in\n".to_owned(),
            LoginState::Expired => {
                "Not logged in: the login has expired (run `spec-kitty auth login`)\n".to_owned()
            }
            LoginState::Unusable => {
                "Not logged in: the stored access token cannot be sent (run `spec-kitty auth login --force`)\n".to_owned()
            }
            LoginState::None | LoginState::Given(_) => {
                "Not logged in (run `spec-kitty auth login`)\n".to_owned()
            }
        };
        let row = |k: &str, v: Option<String>| -> String {
            format!(
                "  {k:<14} {}\n",
                v.map_or_else(|| "-".to_owned(), |v| safe(&v))
            )
        };
        text += &row("server", login.server_url.as_deref().map(redact_url));
        text += &row("username", login.username.clone());
        text += &row("team", login.team_slug.clone());
        if login.access.is_some() || login.refresh.is_some() {
            text += &row(
                "access token",
                Some(expiry_words(login.access_expires_at.as_deref())),
            );
            text += &row(
                "refresh token",
                Some(expiry_words(login.refresh_expires_at.as_deref())),
            );
        }
        text += &row("queue scope", login.queue_scope());
        text += &row("queue", Some(files.active().display().to_string()));
        if token_override {
            text += "  note           --auth-token or SAAS_AUTH_TOKEN is set: SaaS commands send it instead of this login\n";
        }
        out(&text)?;
    }
    if logged_in {
        Ok(())
    } else {
        Err(Exit {
            code: EXIT_FAILURE,
            message: match state {
                LoginState::Expired => "not logged in: the stored login has expired; run `spec-kitty auth login`".to_owned(),
                LoginState::Unusable => "not logged in: the stored access token cannot be sent; run `spec-kitty auth login --force`".to_owned(),
                _ => "not logged in; run `spec-kitty auth login`".to_owned(),
            },
        }
        .into())
    }
}
