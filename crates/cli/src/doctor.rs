//! `spec-kitty doctor`: one line per check, `ok`, `warn` or `fail`, each with its fix.
//! The libraries answer the questions; this module asks them and says what they mean.
//! Exit 0 only when nothing failed; never a secret in the output.

use std::path::Path;
use std::time::Duration;

use anyhow::Result;
use event_store::{EventQueue, QueueFiles};
use http_transport::{RequestPlan, Settings, TransportError, join_url, redact_url};
use saas_session::{LoginState, SessionError};
use serde_json::{Value, json};
use spec_kitty_home::{Binding, CredentialStore, ProjectConfig, SpecKittyHome, find_project_root};
use tracker_store::{IssueCache, binding_cache_path, checkpoint_key};

use crate::args::DoctorArgs;
use crate::error::{EXIT_FAILURE, Exit};
use crate::events::EventContext;
use crate::output::{json as to_json, out, safe};

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Ok,
    Warn,
    Fail,
}

impl Level {
    fn word(self) -> &'static str {
        match self {
            Level::Ok => "ok",
            Level::Warn => "warn",
            Level::Fail => "fail",
        }
    }
}

/// One check's line.
struct Check {
    name: &'static str,
    level: Level,
    message: String,
    fix: Option<String>,
}

#[derive(Default)]
struct Report(Vec<Check>);

impl Report {
    fn add(
        &mut self,
        name: &'static str,
        level: Level,
        message: impl Into<String>,
        fix: Option<&str>,
    ) {
        self.0.push(Check {
            name,
            level,
            message: message.into(),
            fix: fix.map(str::to_owned),
        });
    }
    fn ok(&mut self, name: &'static str, message: impl Into<String>) {
        self.add(name, Level::Ok, message, None);
    }
    fn warn(&mut self, name: &'static str, message: impl Into<String>, fix: &str) {
        self.add(name, Level::Warn, message, Some(fix));
    }
    fn fail(&mut self, name: &'static str, message: impl Into<String>, fix: &str) {
        self.add(name, Level::Fail, message, Some(fix));
    }
    fn worst(&self) -> Level {
        self.0.iter().map(|c| c.level).max().unwrap_or(Level::Ok)
    }
}

/// An error's whole chain on one line (library errors never hold a secret).
fn said(e: &dyn std::fmt::Display) -> String {
    safe(&e.to_string())
}

fn age_words(seconds: i64) -> String {
    match seconds {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s if s < 172_800 => format!("{} h", s / 3600),
        s => format!("{} days", s / 86_400),
    }
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

pub(crate) fn doctor(ctx: &EventContext, args: &DoctorArgs) -> Result<()> {
    let mut r = Report::default();
    let home = &ctx.home;
    let binding = project_checks(&mut r, home, &ctx.cwd);
    files_checks(&mut r, home);
    if let Some(b) = &binding {
        cache_check(&mut r, home, b);
    }
    queue_checks(&mut r, home);
    let session = crate::net::session(home, &args.saas, None);
    login_check(&mut r, session.as_ref().ok(), home);
    let mut settings = crate::net::traced(Settings::default());
    settings.timeout = Duration::from_secs(args.timeout_seconds);
    settings.policy.attempts = 1;
    if args.offline {
        r.ok("server", "skipped (--offline)");
        if binding.is_some() {
            r.ok("tracker", "skipped (--offline)");
        }
    } else {
        match &session {
            Ok(s) => server_check(&mut r, s, &settings),
            Err(e) => r.fail(
                "server",
                said(e),
                "fix the credentials file, or pass --server-url and --auth-token",
            ),
        }
        if let Some(b) = &binding {
            tracker_check(&mut r, b, &settings);
        }
    }
    print(&r, args.json)?;
    match r.worst() {
        Level::Fail => Err(Exit {
            code: EXIT_FAILURE,
            message: format!(
                "{} check(s) failed",
                r.0.iter().filter(|c| c.level == Level::Fail).count()
            ),
        }
        .into()),
        _ => Ok(()),
    }
}

fn print(r: &Report, as_json: bool) -> Result<()> {
    if as_json {
        let checks: Vec<Value> = r
            .0
            .iter()
            .map(|c| json!({"name": c.name, "status": c.level.word(), "message": c.message, "fix": c.fix}))
            .collect();
        out(&to_json(&json!({
            "ok": r.worst() != Level::Fail,
            "status": r.worst().word(),
            "checks": checks,
        })))?;
        return Ok(());
    }
    let width = r.0.iter().map(|c| c.name.len()).max().unwrap_or(0);
    let mut text = String::new();
    for c in &r.0 {
        text += &format!("{:<4}  {:<width$}  {}", c.level.word(), c.name, c.message);
        if let Some(fix) = &c.fix {
            text += &format!(" -> {fix}");
        }
        text.push('\n');
    }
    let (fails, warns) = (
        r.0.iter().filter(|c| c.level == Level::Fail).count(),
        r.0.iter().filter(|c| c.level == Level::Warn).count(),
    );
    text += &match (fails, warns) {
        (0, 0) => "No problems found.\n".to_owned(),
        (0, w) => format!("No failures; {w} warning(s).\n"),
        (f, w) => format!("{f} failure(s), {w} warning(s).\n"),
    };
    out(&text)?;
    Ok(())
}

/// The project, its config and its binding; the binding when there is a usable one.
fn project_checks(r: &mut Report, home: &SpecKittyHome, cwd: &Path) -> Option<Binding> {
    let Ok(root) = find_project_root(cwd) else {
        r.warn(
            "project",
            format!(
                "{} is not in a spec-kitty project (no .kittify/ above it)",
                cwd.display()
            ),
            "run doctor from a project directory (or pass -C DIR) to check its binding and cache",
        );
        return None;
    };
    r.ok("project", root.display().to_string());
    let config = ProjectConfig::at_root(&root);
    if let Err(e) = config.check_readable() {
        r.fail(
            "config",
            said(&e),
            "fix .kittify/config.yaml (it must be a YAML mapping)",
        );
        return None;
    }
    r.ok("config", config.path().display().to_string());
    match Binding::load(home, &root) {
        Err(e) => {
            r.fail(
                "binding",
                said(&e),
                "fix the file it names, or run `spec-kitty tracker bind` again",
            );
            None
        }
        Ok(None) => {
            r.warn(
                "binding",
                "no tracker binding",
                "run `spec-kitty tracker bind --provider <provider> --workspace <workspace>`",
            );
            None
        }
        Ok(Some(b)) => {
            let what = format!("{} {}", b.provider, b.workspace);
            if !b.conflicts.is_empty() {
                r.warn(
                    "binding",
                    format!(
                        "{what}: credentials in more than one table ({} differ)",
                        b.conflicts.join(", ")
                    ),
                    "remove the [tracker.providers.*] tables you do not mean",
                );
            } else if b.credentials.is_empty() {
                r.fail(
                    "binding",
                    format!("{what}: no credentials stored"),
                    "run `spec-kitty tracker bind` again with its --credential key=value pairs",
                );
            } else {
                match routing_core::routing_readiness(&b.provider, &b.credentials) {
                    routing_core::Readiness::Unavailable(why) if why.credential_key().is_some() => {
                        r.warn(
                            "binding",
                            format!("{what}: {why}; snapshots publish with null routing"),
                            "add the credential with `spec-kitty tracker bind`",
                        );
                    }
                    _ => r.ok("binding", what),
                }
            }
            Some(b)
        }
    }
}

fn mode_check(r: &mut Report, name: &'static str, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            r.fail(
                name,
                format!(
                    "{} is readable by others (mode {:o})",
                    path.display(),
                    meta.permissions().mode() & 0o777
                ),
                &format!("chmod 600 {}", path.display()),
            );
            return false;
        }
    }
    let _ = (r, name, path);
    true
}

/// `credentials` (mode, parse) and `config.toml` (parse).
fn files_checks(r: &mut Report, home: &SpecKittyHome) {
    let store = CredentialStore::new(home);
    let path = store.path().to_path_buf();
    if !path.exists() {
        r.ok("credentials", format!("{} (none yet)", path.display()));
    } else if mode_check(r, "credentials", &path) {
        match store.saas_login() {
            Ok(_) => r.ok("credentials", path.display().to_string()),
            Err(e) => r.fail("credentials", said(&e), "fix the TOML at the line it names"),
        }
    }
    let config = home.sync_config_path();
    let parsed = home
        .sync_server_url()
        .map(|_| ())
        .map_err(|e| said(&e))
        .and_then(|()| {
            event_store::max_queue_size(home)
                .map(|_| ())
                .map_err(|e| said(&e))
        });
    match parsed {
        Ok(()) if config.exists() => r.ok("config.toml", config.display().to_string()),
        Ok(()) => r.ok(
            "config.toml",
            format!("{} (none; defaults)", config.display()),
        ),
        Err(e) => r.fail("config.toml", e, "fix [sync] in ~/.spec-kitty/config.toml"),
    }
}

/// The binding's cache: opens, counts, checkpoint age.
fn cache_check(r: &mut Report, home: &SpecKittyHome, b: &Binding) {
    let path = binding_cache_path(home, b);
    if !path.exists() {
        r.warn(
            "tracker cache",
            format!("{} does not exist yet", path.display()),
            "run `spec-kitty tracker sync pull`",
        );
        return;
    }
    let cache = match IssueCache::open_read_only(&path) {
        Ok(c) => c,
        Err(e) => {
            r.fail(
                "tracker cache",
                said(&e),
                "move the file aside and run `spec-kitty tracker sync pull --full`",
            );
            return;
        }
    };
    let counts = cache.count_issues(&b.provider).and_then(|n| {
        let m = cache.list_mappings()?.len();
        let key = checkpoint_key(&routing_core::normalize_provider(&b.provider), &b.workspace);
        let cp = cache.get_checkpoint(&key)?;
        let written = cache.last_written(&b.provider)?;
        Ok((n, m, cp, written))
    });
    let fix = "run `spec-kitty tracker sync pull`";
    match counts {
        Err(e) => r.fail(
            "tracker cache",
            said(&e),
            "move the file aside and run `spec-kitty tracker sync pull --full`",
        ),
        Ok((issues, mappings, None, _)) => r.warn(
            "tracker cache",
            format!("{issues} issue(s), {mappings} mapping(s); never pulled (no checkpoint)"),
            fix,
        ),
        Ok((issues, mappings, Some(_), written)) => {
            let what = format!("{issues} issue(s), {mappings} mapping(s)");
            match written.as_deref().and_then(saas_session::parse_expiry) {
                Some(t) if now() - t.as_second() > 7 * 86_400 => r.warn(
                    "tracker cache",
                    format!(
                        "{what}; last pulled {} ago",
                        age_words(now() - t.as_second())
                    ),
                    fix,
                ),
                Some(t) => r.ok(
                    "tracker cache",
                    format!(
                        "{what}; last pulled {} ago",
                        age_words(now() - t.as_second())
                    ),
                ),
                None => r.ok("tracker cache", format!("{what}; pulled, no issue yet")),
            }
        }
    }
}

/// The queues: pending, oldest, failed, other logins', a running upload.
fn queue_checks(r: &mut Report, home: &SpecKittyHome) {
    let files = match QueueFiles::resolve(home) {
        Ok(f) => f,
        Err(e) => {
            r.fail("queue", said(&e), "fix the credentials file");
            return;
        }
    };
    let (mut pending, mut failed, mut oldest) = (0u64, 0usize, None::<i64>);
    for path in files.to_drain() {
        match EventQueue::open_read_only(&path)
            .and_then(|q| Ok((q.pending()?, q.failed()?.len(), q.oldest()?)))
        {
            Ok((p, f, o)) => {
                pending += p;
                failed += f;
                oldest = match (oldest, o) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            }
            Err(e) => {
                r.fail(
                    "queue",
                    said(&e),
                    "move the file aside (its events are kept there) and emit again",
                );
                return;
            }
        }
        // A second CLI (ours or another) uploading this queue right now.
        let lock = path.with_extension("db.sync.lock");
        if let Ok(f) = std::fs::OpenOptions::new().write(true).open(&lock)
            && let Err(spec_kitty_home::HomeError::Busy { holder, .. }) =
                spec_kitty_home::try_lock(&f, &lock)
        {
            r.warn(
                "upload lock",
                format!(
                    "{} is being uploaded by {}",
                    path.display(),
                    holder.unwrap_or_else(|| "another process".to_owned())
                ),
                "wait for it to finish",
            );
        }
    }
    let oldest = oldest.map(|t| age_words(now() - t));
    let what = match (&oldest, pending) {
        (_, 0) => "empty".to_owned(),
        (Some(o), p) => format!("{p} event(s) pending, oldest {o} old"),
        (None, p) => format!("{p} event(s) pending"),
    };
    r.ok("queue", format!("{} ({what})", files.active().display()));
    if failed > 0 {
        r.warn(
            "failed events",
            format!("{failed} event(s) the server rejected for good"),
            "see `spec-kitty sync failed list`; requeue or drop them",
        );
    }
    let others: Vec<String> = files
        .others()
        .into_iter()
        .filter_map(|p| {
            let n = EventQueue::open_read_only(&p)
                .and_then(|q| q.pending())
                .ok()?;
            (n > 0).then(|| format!("{} ({n})", p.display()))
        })
        .collect();
    if !others.is_empty() {
        r.warn(
            "other logins",
            format!("events queued for other logins: {}", others.join(", ")),
            "log in as that account and run `spec-kitty sync now` to send them",
        );
    }
}

fn login_check(r: &mut Report, session: Option<&saas_session::Session>, home: &SpecKittyHome) {
    let Some(session) = session else {
        r.fail(
            "login",
            "the credentials file cannot be read",
            "fix it, or log in again with `spec-kitty auth login --force`",
        );
        return;
    };
    let login = CredentialStore::new(home).saas_login().unwrap_or_default();
    let who = format!(
        "{} at {}",
        login.username.as_deref().unwrap_or("unknown"),
        redact_url(login.server_url.as_deref().unwrap_or("an unknown server"))
    );
    let left = |at: Option<&str>| {
        at.and_then(saas_session::parse_expiry)
            .map(|t| age_words(t.as_second() - now()))
            .unwrap_or_else(|| "?".to_owned())
    };
    match session.auth().state() {
        Err(e) => r.fail("login", said(&e), "fix the credentials file"),
        Ok(LoginState::Given(_)) => r.ok(
            "login",
            "a token is given (--auth-token or SAAS_AUTH_TOKEN); the stored login is not used",
        ),
        Ok(LoginState::Valid) => r.ok(
            "login",
            safe(&format!(
                "{who}; access valid for {}, refresh for {}",
                left(login.access_expires_at.as_deref()),
                left(login.refresh_expires_at.as_deref())
            )),
        ),
        Ok(LoginState::NeedsRefresh) => r.ok(
            "login",
            safe(&format!(
                "{who}; access expired, refreshed on next use (refresh valid for {})",
                left(login.refresh_expires_at.as_deref())
            )),
        ),
        Ok(LoginState::Expired) => r.fail(
            "login",
            safe(&format!("{who}; the login has expired (refresh token too)")),
            "run `spec-kitty auth login`",
        ),
        Ok(LoginState::Unusable) => r.fail(
            "login",
            safe(&format!("{who}; the stored access token cannot be sent")),
            "run `spec-kitty auth login --force`",
        ),
        Ok(LoginState::None) => r.warn(
            "login",
            "not logged in; sync now and publish need a login or a token",
            "run `spec-kitty auth login`",
        ),
    }
}

/// The SaaS: `HEAD` of the batch endpoint with the token (a refreshed one when the
/// access token expired). Any answer but 401/403, 404 and 5xx proves it is there and
/// takes the token (a POST-only endpoint answers 405).
fn server_check(r: &mut Report, session: &saas_session::Session, settings: &Settings) {
    let Some(server) = session.server_url() else {
        r.warn(
            "server",
            "no server configured",
            "log in with `spec-kitty auth login`, or pass --server-url / set SAAS_API_URL",
        );
        return;
    };
    let url = join_url(server, event_envelope::BATCH_PATH);
    let shown = redact_url(&url);
    let transport = settings.transport();
    let token = match session.auth().current(&transport) {
        Ok(t) => t,
        Err(
            e @ (SessionError::Expired
            | SessionError::Refused { .. }
            | SessionError::BadToken { .. }),
        ) => {
            r.fail(
                "server",
                format!("the login cannot be used: {}", said(&e)),
                "run `spec-kitty auth login`",
            );
            return;
        }
        Err(e) => {
            r.fail(
                "server",
                format!("the token refresh failed: {}", said(&e)),
                "check the server, or log in again",
            );
            return;
        }
    };
    let mut plan = RequestPlan::head(&url).user_agent_header();
    if let Some(t) = &token {
        plan = plan.secret_header("Authorization", "Bearer ", t);
    }
    match transport.execute(&plan, || Ok::<_, TransportError>(std::io::empty())) {
        Err(TransportError::InsecureToken { host }) => r.fail(
            "server",
            format!("{shown}: a token would travel over plain http to {host}"),
            "use an https:// server URL",
        ),
        Err(e) => r.fail(
            "server",
            said(&e),
            "check the URL and the network, then try again",
        ),
        Ok(x) => {
            let status = x.answer.status;
            match status {
                401 | 403 => r.fail(
                    "server",
                    format!("{shown} refused the token (HTTP {status})"),
                    if token.is_some() {
                        "run `spec-kitty auth login --force`"
                    } else {
                        "run `spec-kitty auth login`"
                    },
                ),
                404 => r.fail(
                    "server",
                    format!("{shown} answered 404: no batch endpoint there"),
                    "check --server-url / SAAS_API_URL / the login's server",
                ),
                s if s >= 500 => r.fail(
                    "server",
                    format!("{shown} answered HTTP {s}"),
                    "the server is failing; try again later",
                ),
                s => r.ok(
                    "server",
                    format!(
                        "{shown} answers (HTTP {s}){}",
                        if token.is_some() {
                            "; the token is accepted"
                        } else {
                            "; no token sent"
                        }
                    ),
                ),
            }
        }
    }
}

/// The tracker: reachable, credentials accepted (Jira `/myself`, Linear `viewer`).
fn tracker_check(r: &mut Report, b: &Binding, settings: &Settings) {
    let mut s = tracker_connectors::connector_settings();
    s.timeout = settings.timeout;
    s.policy.attempts = 1;
    s.trace.clone_from(&settings.trace);
    let mut connector =
        match tracker_connectors::connector_for(&b.provider, &b.workspace, &b.credentials, &s) {
            Ok(c) => c,
            Err(tracker_connectors::ConnectorError::Unsupported { provider }) => {
                r.ok("tracker", format!("{provider} has no connector to check"));
                return;
            }
            Err(e) => {
                r.fail(
                    "tracker",
                    said(&e),
                    "run `spec-kitty tracker bind` again with the missing credentials",
                );
                return;
            }
        };
    match connector.whoami() {
        Ok(who) => r.ok(
            "tracker",
            safe(&format!("{} accepts the credentials ({who})", b.provider)),
        ),
        Err(e) if e.kind() == http_transport::ErrorKind::Refused => r.fail(
            "tracker",
            said(&e),
            "fix the credentials with `spec-kitty tracker bind`",
        ),
        Err(e) => r.fail("tracker", said(&e), "check the tracker URL and the network"),
    }
}
