//! The `spec-kitty` binary, for developers at a terminal and for scripts (`--json`):
//! `tracker` (bind, status, map, pull, publish with resource routing), `events emit`, `sync`
//! (now, status, failed), `completions`.
//!
//! This crate is the edge: it reads the environment and the command line, wires the
//! libraries together ([`net`]: flags to transport settings and the SaaS session), prints,
//! and maps error kinds to exit codes and hints ([`error`]: 0 success, 1 refused, 2 usage,
//! 3 the server or the network failed). Business rules live in the libraries; it must never
//! hold one, nor print a secret.

#![allow(clippy::print_stdout, clippy::print_stderr)]

/// mimalloc: many small allocations per event or issue; glibc's malloc spent a third of an
/// import in allocation and consolidation. Built without transparent huge pages
/// (`no_thp`): a short run that touches fresh memory paid for zeroing whole 2 MiB pages
/// (6% of an upload's CPU) and twice the resident memory.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod args;
mod auth;
mod doctor;
mod error;
mod events;
mod net;
mod output;
mod tracker;
mod values;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{CommandFactory, Parser};

use args::{AuthCmd, Cli, Command, Events, Map, Sync, SyncCmd, Tracker};
use tracker::Context;

const FLAG: &str = "SPEC_KITTY_ENABLE_SAAS_SYNC";

/// Whether the SaaS sync flag is on: 1, true, yes, on (any case).
fn sync_enabled(value: Option<&str>) -> bool {
    value.is_some_and(|v| {
        matches!(
            routing_core::trim(v).to_ascii_lowercase().as_str(),
            "1" | "true" | "yes" | "on"
        )
    })
}

/// `directory` relative to the process's working directory.
fn resolve_dir(directory: Option<&Path>) -> anyhow::Result<PathBuf> {
    let cwd = std::env::current_dir().context("reading the current directory")?;
    let Some(d) = directory else {
        return Ok(cwd);
    };
    let dir = cwd.join(d);
    // As `git -C`: a missing directory or a file is an error, never the enclosing project.
    if !dir.is_dir() {
        return Err(error::usage(format!(
            "cannot change to {}: {}",
            d.display(),
            if dir.exists() {
                "not a directory"
            } else {
                "no such directory"
            }
        )));
    }
    Ok(dir)
}

fn home() -> anyhow::Result<spec_kitty_home::SpecKittyHome> {
    Ok(spec_kitty_home::SpecKittyHome::resolve(
        std::env::var("SPEC_KITTY_HOME").ok().as_deref(),
        std::env::var("HOME").ok().as_deref(),
    )?)
}

fn event_context(directory: Option<&Path>) -> anyhow::Result<events::EventContext> {
    Ok(events::EventContext {
        cwd: resolve_dir(directory)?,
        home: home()?,
    })
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "spec-kitty", &mut out);
            output::out(&String::from_utf8_lossy(&out))?;
            Ok(())
        }
        Command::Auth(cmd) => {
            let home = home()?;
            match cmd {
                AuthCmd::Login(a) => {
                    if !sync_enabled(std::env::var(FLAG).ok().as_deref()) {
                        anyhow::bail!("auth login is disabled; set {FLAG}=1 to enable it");
                    }
                    auth::login(&home, &a)
                }
                AuthCmd::Logout => auth::logout(&home),
                AuthCmd::Status(a) => auth::status(&home, &a),
            }
        }
        Command::Doctor(a) => {
            let ctx = event_context(cli.directory.as_deref())?;
            doctor::doctor(&ctx, &a)
        }
        Command::Events(Events::Emit(a)) => {
            let ctx = event_context(cli.directory.as_deref())?;
            events::emit::emit(&ctx, &a)
        }
        Command::Sync(cmd) => {
            if !sync_enabled(std::env::var(FLAG).ok().as_deref()) {
                anyhow::bail!("sync commands are disabled; set {FLAG}=1 to enable them");
            }
            let ctx = event_context(cli.directory.as_deref())?;
            match cmd {
                SyncCmd::Now(a) => events::sync::now(&ctx, &a),
                SyncCmd::Status(a) => events::sync::status(&ctx, &a),
                SyncCmd::Failed(f) => events::sync::failed(&ctx, &f),
                SyncCmd::ImportHistory(a) => events::import::import_history(&ctx, &a),
            }
        }
        Command::Tracker(cmd) => {
            if !sync_enabled(std::env::var(FLAG).ok().as_deref()) {
                anyhow::bail!("tracker commands are disabled; set {FLAG}=1 to enable them");
            }
            let ctx = Context {
                cwd: resolve_dir(cli.directory.as_deref())?,
                home: home()?,
            };
            if let Some(done) = spec_kitty_home::recover_binding(&ctx.home)? {
                output::diag("note", &done);
            }
            match cmd {
                Tracker::Providers { json } => tracker::status::providers(json),
                Tracker::Bind(a) => tracker::bind::bind(&ctx, &a),
                Tracker::Unbind { provider } => tracker::bind::unbind(&ctx, provider.as_deref()),
                Tracker::Status { json } => tracker::status::status(&ctx, json),
                Tracker::Map(Map::Add {
                    wp_id,
                    external_id,
                    external_key,
                    external_url,
                }) => tracker::map::add(
                    &ctx,
                    &wp_id,
                    &external_id,
                    external_key.as_deref(),
                    external_url.as_deref(),
                ),
                Tracker::Map(Map::List { json }) => tracker::map::list(&ctx, json),
                Tracker::Sync(Sync::Pull(a)) => tracker::pull::pull(&ctx, &a),
                Tracker::Sync(Sync::Publish(a)) => tracker::publish::publish(&ctx, &a),
                Tracker::Sync(Sync::Push(a)) => tracker::push::push(&ctx, &a),
            }
        }
    }
}

/// A clap error with every value it echoes made safe to print: a URL's query (which may
/// carry a token) is dropped and a value longer than 120 characters is cut.
fn sanitize_usage_error(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(4096));
    for (i, part) in text.split('\'').enumerate() {
        if i > 0 {
            out.push('\'');
        }
        if i % 2 == 0 {
            out.push_str(part);
            continue;
        }
        let mut value = part.to_owned();
        if value.contains("://")
            && let Some(at) = value.find(['?', '#'])
        {
            value.truncate(at);
            value.push_str("?…");
        }
        if let Some((at, _)) = value.char_indices().nth(120) {
            value.truncate(at);
            value.push('…');
        }
        out.push_str(&output::safe(&value));
    }
    out
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            use std::io::Write as _;
            let text = sanitize_usage_error(&e.render().to_string());
            let _ = std::io::stderr().write_all(text.as_bytes());
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(error::EXIT_USAGE));
        }
        Err(e) => e.exit(),
    };
    net::set_verbose(cli.verbose);
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS, // 0
        Err(e) => {
            output::diag("error", &one_message(&e));
            ExitCode::from(error::exit_code(&e))
        }
    }
}

/// The error and its causes on one line, each said once: a cause whose text the message
/// already holds (a library error that prints its source) is not repeated.
fn one_message(e: &anyhow::Error) -> String {
    let mut message = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if message.contains(&text) {
            continue;
        }
        if !message.is_empty() {
            message.push_str(": ");
        }
        message.push_str(&text);
    }
    if let Some(hint) = error::hint(e) {
        message.push_str(&hint);
    }
    // One line, and no control character reaches the terminal (`diag` escapes the rest;
    // library and server text is already cut to length where it enters).
    message.replace(['\n', '\r', '\t'], " ")
}

#[cfg(test)]
mod tests {
    use super::sanitize_usage_error;

    #[test]
    fn regression_13_13_each_cause_is_said_once() {
        #[derive(Debug, thiserror::Error)]
        #[error("tracker cache /x.db: {source}")]
        struct Outer {
            source: std::io::Error,
        }
        let e = anyhow::Error::new(Outer {
            source: std::io::Error::other("database is locked"),
        })
        .context("reading the cache");
        assert_eq!(
            super::one_message(&e),
            "reading the cache: tracker cache /x.db: database is locked"
        );
    }

    #[test]
    fn regression_22_17_usage_errors_never_echo_a_query_or_a_huge_value() {
        let long = "x".repeat(65_536);
        let text = format!(
            "error: invalid value 'https://h.example/p?token=s3cret' for '--server-url <URL>'\n  value '{long}'\n"
        );
        let safe = sanitize_usage_error(&text);
        assert!(!safe.contains("s3cret"), "{safe}");
        assert!(safe.contains("'https://h.example/p?…'"), "{safe}");
        assert!(safe.len() < 400, "{}", safe.len());
        assert!(safe.contains("'--server-url <URL>'"));
    }

    #[test]
    fn the_sync_flag_takes_the_python_spellings() {
        for on in ["1", "true", "YES", " on "] {
            assert!(super::sync_enabled(Some(on)), "{on}");
        }
        for off in ["0", "", "no", "enabled"] {
            assert!(!super::sync_enabled(Some(off)), "{off}");
        }
        assert!(!super::sync_enabled(None));
    }
}
