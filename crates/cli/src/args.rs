//! The command line, as clap parses it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::values::{KeyValue, doctrine_mode, key_values, map_field, server_url, token};

/// spec-kitty: bind a project to an issue tracker and publish tracker snapshots with
/// resource routing to the spec-kitty SaaS.
#[derive(Debug, Parser)]
#[command(name = "spec-kitty", version, about, propagate_version = true)]
pub(crate) struct Cli {
    /// Run as if started in this directory.
    #[arg(short = 'C', long = "directory", global = true, value_name = "DIR")]
    pub(crate) directory: Option<PathBuf>,
    /// Show each HTTP request and answer on stderr (method, URL without secrets, status,
    /// bytes, time, attempt).
    #[arg(short = 'v', long, global = true)]
    pub(crate) verbose: bool,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Issue tracker commands (need SPEC_KITTY_ENABLE_SAAS_SYNC=1).
    #[command(subcommand)]
    Tracker(Tracker),
    /// Git events: emit one into the offline queue (works without SPEC_KITTY_ENABLE_SAAS_SYNC).
    #[command(subcommand)]
    Events(Events),
    /// Upload queued events to the SaaS (need SPEC_KITTY_ENABLE_SAAS_SYNC=1).
    #[command(subcommand)]
    Sync(SyncCmd),
    /// The SaaS login, shared with the Python CLI (~/.spec-kitty/credentials).
    #[command(subcommand)]
    Auth(AuthCmd),
    /// Check the project, the files, the queue, the login, the server and the tracker;
    /// one line each, with the fix.
    Doctor(DoctorArgs),
    /// Print a shell completion script.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum Tracker {
    /// List supported tracker providers and how each routes.
    Providers {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Bind the current project to an issue tracker workspace.
    Bind(BindArgs),
    /// Remove the tracker binding and the provider's credentials.
    Unbind {
        /// Remove this provider's credentials, bound or not (and the binding if it is to
        /// this provider).
        #[arg(long)]
        provider: Option<String>,
    },
    /// Show the binding, cache and routing readiness.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Work-package mapping commands.
    #[command(subcommand)]
    Map(Map),
    /// Tracker synchronization commands.
    #[command(subcommand)]
    Sync(Sync),
}

#[derive(Debug, Args)]
pub(crate) struct BindArgs {
    /// Provider: jira, linear, azure_devops, github, gitlab, beads, fp (another name binds with a warning and null routing).
    #[arg(long)]
    pub(crate) provider: String,
    /// Tracker workspace (e.g. acme.atlassian.net, a Linear workspace, owner/repo).
    #[arg(long)]
    pub(crate) workspace: String,
    /// external_authoritative | spec_kitty_authoritative | split_ownership.
    #[arg(long, value_name = "MODE", value_parser = doctrine_mode)]
    pub(crate) doctrine_mode: Option<String>,
    /// Field ownership for split_ownership, as field=owner (repeatable).
    #[arg(long = "field-owner", value_name = "FIELD=OWNER",
          value_parser = key_values("field-owner", false))]
    pub(crate) field_owners: Vec<KeyValue>,
    /// Provider credential as key=value (repeatable), e.g. project_key=ACME.
    #[arg(long = "credential", value_name = "KEY=VALUE",
          value_parser = key_values("credential", true))]
    pub(crate) credentials: Vec<KeyValue>,
}

/// How to reach a server: the flags every networked command shares.
#[derive(Debug, Args)]
pub(crate) struct NetArgs {
    /// Per-attempt timeout in seconds (1 to 120).
    #[arg(long, default_value_t = http_transport::DEFAULT_TIMEOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(http_transport::TIMEOUT_RANGE), value_name = "S")]
    pub(crate) timeout_seconds: u64,
    /// Attempts before giving up on connection errors, timeouts, 408, 429 and 5xx (1 to
    /// 10; default 3, 5 for a pull).
    #[arg(long, value_parser = clap::value_parser!(u32).range(attempts_range()), value_name = "N")]
    pub(crate) attempts: Option<u32>,
    /// Allow sending credentials over plain http to a host that is not loopback.
    #[arg(long)]
    pub(crate) allow_insecure_http: bool,
}

/// The accepted attempts, from the transport's constant.
fn attempts_range() -> std::ops::RangeInclusive<i64> {
    let r = http_transport::ATTEMPTS_RANGE;
    i64::from(*r.start())..=i64::from(*r.end())
}

/// Which SaaS server, with which token: the flags every SaaS command shares.
#[derive(Debug, Args)]
pub(crate) struct SaasArgs {
    /// The spec-kitty SaaS base URL (default: SAAS_API_URL, else the stored login's server).
    #[arg(long, env = "SAAS_API_URL", hide_env_values = true, value_name = "URL",
          value_parser = server_url())]
    pub(crate) server_url: Option<String>,
    /// Bearer token for the SaaS API (default: SAAS_AUTH_TOKEN; for publish the binding's
    /// access_token, then token; else the stored login, refreshed when expired).
    #[arg(
        long,
        env = "SAAS_AUTH_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN",
        value_parser = token()
    )]
    pub(crate) auth_token: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Map {
    /// Map a work package to an external issue.
    Add {
        /// Work package id, e.g. WP01.
        #[arg(long, value_parser = map_field)]
        wp_id: String,
        /// The tracker's issue id.
        #[arg(long, value_parser = map_field)]
        external_id: String,
        /// The issue key, e.g. ACME-1.
        #[arg(long, value_parser = map_field)]
        external_key: Option<String>,
        /// The issue URL.
        #[arg(long, value_parser = map_field)]
        external_url: Option<String>,
    },
    /// List mappings.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum Sync {
    /// Pull issues from Jira or Linear into the local cache (incremental; resumes).
    Pull(PullArgs),
    /// Move each mapped issue to the status that matches its work package's lane (and
    /// nothing else); needs a doctrine that lets spec-kitty write the status.
    Push(PushArgs),
    /// Publish a snapshot of the cached issues, mappings and checkpoint to the SaaS.
    Publish(PublishArgs),
}

#[derive(Debug, Args)]
pub(crate) struct PullArgs {
    /// Ignore the checkpoint and fetch every issue (nothing cached is deleted).
    #[arg(long)]
    pub(crate) full: bool,
    /// Issues asked for per page (the service may send fewer; Jira sends at most 100).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=10000), value_name = "N")]
    pub(crate) limit: u32,
    #[command(flatten)]
    pub(crate) net: NetArgs,
    /// Print JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct PushArgs {
    /// Only this feature's work packages (directory name or slug; repeatable).
    #[arg(long = "feature", value_name = "SLUG")]
    pub(crate) features: Vec<String>,
    /// Only this work package (repeatable).
    #[arg(long = "wp", value_name = "WP_ID")]
    pub(crate) wps: Vec<String>,
    /// Move issues changed remotely since the last pull too (a conflict otherwise).
    #[arg(long)]
    pub(crate) force: bool,
    /// Print the plan (issue, work package, lane, current -> target status, or why
    /// skipped) and change nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    #[command(flatten)]
    pub(crate) net: NetArgs,
    /// Print JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct PublishArgs {
    #[command(flatten)]
    pub(crate) saas: SaasArgs,
    #[command(flatten)]
    pub(crate) net: NetArgs,
    /// Print the exact request (token redacted) and send nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Print JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Events {
    /// Build, validate and queue one event; prints its id (with --json, the envelope).
    Emit(EmitArgs),
}

#[derive(Debug, Args)]
pub(crate) struct EmitArgs {
    /// The event type, e.g. WPStatusChanged.
    #[arg(long = "type", value_name = "EVENT_TYPE", value_parser = crate::values::event_type)]
    pub(crate) event_type: event_envelope::EventType,
    /// The aggregate id: a WP id (WP01) or a feature slug (048-tracker-routing).
    #[arg(long, value_name = "ID")]
    pub(crate) aggregate_id: String,
    /// The payload: JSON, @FILE, or - for standard input.
    #[arg(long, value_name = "JSON|@FILE|-")]
    pub(crate) payload: String,
    /// The event that caused this one (a ULID).
    #[arg(long, value_name = "ULID")]
    pub(crate) causation_id: Option<String>,
    /// Print the whole envelope as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum SyncCmd {
    /// Upload every queued event, in batches; prints sent / duplicate / rejected / left.
    Now(SyncNowArgs),
    /// The queue, failed events, the server and whether a token resolves.
    Status(SyncStatusArgs),
    /// Events the server rejected for good.
    #[command(subcommand)]
    Failed(FailedCmd),
    /// Queue the project's lane history (kitty-specs/*/status.events.jsonl, meta.json,
    /// tasks/WP*.md) as events, exactly once; upload them with `sync now`.
    ImportHistory(ImportHistoryArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ImportHistoryArgs {
    /// Only this feature (directory name or slug; repeatable).
    #[arg(long = "feature", value_name = "SLUG")]
    pub(crate) features: Vec<String>,
    /// Only events at or after this time (ISO 8601 with an offset, or a date: UTC midnight).
    #[arg(long, value_name = "TIME", value_parser = crate::values::since)]
    pub(crate) since: Option<jiff::Timestamp>,
    /// Print what would be queued (counts; with --json the envelopes) and write nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Print JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct SyncStatusArgs {
    #[command(flatten)]
    pub(crate) saas: SaasArgs,
    /// Print JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct SyncNowArgs {
    #[command(flatten)]
    pub(crate) saas: SaasArgs,
    #[command(flatten)]
    pub(crate) net: NetArgs,
    /// Uncompressed bytes per batch (1 KiB to 64 MiB; one larger event goes alone).
    #[arg(long, default_value_t = 1024 * 1024, value_parser = clap::value_parser!(u64).range(1024..=64 * 1024 * 1024), value_name = "BYTES")]
    pub(crate) batch_bytes: u64,
    /// Print JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum FailedCmd {
    /// List them with their reasons.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Put them back in the queue, at their original place.
    Requeue(FailedSelect),
    /// Delete them for good.
    Drop(FailedSelect),
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub(crate) struct FailedSelect {
    /// Event ids.
    #[arg(value_name = "EVENT_ID")]
    pub(crate) ids: Vec<String>,
    /// Every failed event.
    #[arg(long)]
    pub(crate) all: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum AuthCmd {
    /// Log in to the spec-kitty SaaS with a username and a password (needs
    /// SPEC_KITTY_ENABLE_SAAS_SYNC=1).
    Login(LoginArgs),
    /// Remove the stored SaaS tokens (nothing else); works offline.
    Logout,
    /// The stored login: server, user, team, token expiries, queue scope (never a token).
    /// Exits 1 when not logged in or the login has expired.
    Status(AuthStatusArgs),
}

#[derive(Debug, Args)]
pub(crate) struct LoginArgs {
    /// The SaaS base URL (default: `[sync] server_url` of ~/.spec-kitty/config.toml, else
    /// the stored login's server). https, or http to a loopback address only.
    #[arg(long, value_name = "URL", value_parser = server_url())]
    pub(crate) server_url: Option<String>,
    /// The username or email (prompted for on a terminal when missing).
    #[arg(short = 'u', long, value_name = "NAME")]
    pub(crate) username: Option<String>,
    /// Read the password from standard input (for scripts); otherwise it is prompted for
    /// with echo off. It is never taken from the command line.
    #[arg(long)]
    pub(crate) password_stdin: bool,
    /// Log in even when already logged in, and switch accounts even when the previous
    /// login still has queued events (they stay in its own queue).
    #[arg(short = 'f', long)]
    pub(crate) force: bool,
    /// Per-attempt timeout in seconds (1 to 120).
    #[arg(long, default_value_t = http_transport::DEFAULT_TIMEOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(http_transport::TIMEOUT_RANGE), value_name = "S")]
    pub(crate) timeout_seconds: u64,
}

#[derive(Debug, Args)]
pub(crate) struct AuthStatusArgs {
    /// Only to say that an overriding token is set (SAAS_AUTH_TOKEN); never printed.
    #[arg(long, env = "SAAS_AUTH_TOKEN", hide_env_values = true, hide = true,
          value_name = "TOKEN", value_parser = token())]
    pub(crate) auth_token: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct DoctorArgs {
    #[command(flatten)]
    pub(crate) saas: SaasArgs,
    /// Skip the checks that use the network (the server and the tracker).
    #[arg(long)]
    pub(crate) offline: bool,
    /// Per-attempt timeout in seconds for the network checks (1 to 120).
    #[arg(long, default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(http_transport::TIMEOUT_RANGE), value_name = "S")]
    pub(crate) timeout_seconds: u64,
    /// Print JSON.
    #[arg(long)]
    pub(crate) json: bool,
}
