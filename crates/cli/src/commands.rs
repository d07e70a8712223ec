//! What each command does. Business rules live in the libraries; this is wiring and output.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow, bail};
use routing_core::{
    CredentialValue, Provider, ROUTING_TABLE, SUPPORTED_PROVIDERS, normalize_provider, routing_rule,
};
use serde_json::{Value, json};
use tracker_client::{
    PublishError, PublishOptions, PublishOutcome, ResponseBody, SnapshotBody, SnapshotSource,
    TokenSource, check_target, idempotency_key, publish, resolve_token,
};
use tracker_store::{
    CredentialStore, Credentials, DOCTRINE_MODES, IssueCache, IssueRef, ProjectConfig,
    SpecKittyHome, TrackerConfig, binding_scope, cache_path, find_project_root, now_isoformat,
    set_owner,
};

use crate::args::{BindArgs, PublishArgs};
use crate::output::{diag, json as to_json, out, redact_url, table};

/// Where the command runs.
pub(crate) struct Context {
    pub(crate) cwd: PathBuf,
    pub(crate) home: SpecKittyHome,
}

/// A binding read from disk.
struct Binding {
    root: PathBuf,
    config: TrackerConfig,
    provider: String,
    workspace: String,
    credentials: Credentials,
}

impl Context {
    fn root(&self) -> Result<PathBuf> {
        Ok(find_project_root(&self.cwd)?)
    }

    fn credentials(&self) -> CredentialStore {
        CredentialStore::new(&self.home)
    }

    fn binding(&self) -> Result<Option<Binding>> {
        let root = self.root()?;
        let config = ProjectConfig::at_root(&root).tracker()?;
        let Some((provider, workspace)) = config.binding() else {
            return Ok(None);
        };
        let (provider, workspace) = (normalize_provider(provider), workspace.to_owned());
        let credentials = self.credentials().get_provider(&provider)?;
        Ok(Some(Binding {
            root,
            config,
            provider,
            workspace,
            credentials,
        }))
    }

    fn require_binding(&self) -> Result<Binding> {
        self.binding()?.ok_or_else(|| {
            anyhow!("this project has no tracker binding; run `spec-kitty tracker bind --provider <provider> --workspace <workspace>` first")
        })
    }
}

impl Binding {
    fn cache_path(&self, home: &SpecKittyHome) -> PathBuf {
        let stored = self.config.provider.as_deref().unwrap_or(&self.provider);
        cache_path(
            home,
            &binding_scope(stored, &self.workspace, &self.credentials),
        )
    }
}

/// Parses `key=value`, trimming both sides. For credentials the value is never echoed.
pub(crate) fn parse_kv(flag: &str, entry: &str, secret_values: bool) -> Result<(String, String)> {
    let shown = match (secret_values, entry.split_once('=')) {
        (true, Some((k, _))) => format!("{k}=<hidden>"),
        _ => entry.to_owned(),
    };
    let Some((k, v)) = entry.split_once('=') else {
        bail!("invalid --{flag} value {shown:?}: expected key=value");
    };
    let (k, v) = (routing_core::trim(k), routing_core::trim(v));
    if k.is_empty() {
        bail!("invalid --{flag} value {shown:?}: the key before '=' is blank");
    }
    if v.is_empty() {
        bail!("invalid --{flag} value {shown:?}: the value after '=' is blank");
    }
    Ok((k.to_owned(), v.to_owned()))
}

fn key_list(creds: &Credentials) -> String {
    if creds.is_empty() {
        "none stored".to_owned()
    } else {
        format!(
            "{} (values hidden)",
            creds.keys().cloned().collect::<Vec<_>>().join(", ")
        )
    }
}

/// Whether publish would send routing for this binding, and if not, why.
fn readiness(provider: &str, creds: &Credentials) -> (Value, String) {
    let Some(rule) = routing_rule(provider) else {
        return (
            json!({"ready": false, "external_resource_type": null, "external_resource_id": null,
                   "reason": format!("{provider} has no routing rule; snapshots publish with null routing")}),
            format!("none ({provider} has no routing rule; snapshots publish with null routing)"),
        );
    };
    let key = rule.credential_key;
    if let Some(r) = routing_core::derive_routing(provider, creds) {
        return (
            json!({"ready": true, "external_resource_type": r.resource_type().as_str(),
                   "external_resource_id": r.resource_id(), "reason": null}),
            format!("ready: {} {}", r.resource_type(), r.resource_id()),
        );
    }
    let why = match creds.get(key) {
        None => format!("credential {key} missing"),
        Some(CredentialValue::Other) => format!("credential {key} is neither text nor a number"),
        Some(_) => format!("credential {key} is blank"),
    };
    let fix = format!("add --credential {key}=... with `spec-kitty tracker bind`");
    (
        json!({"ready": false, "external_resource_type": null, "external_resource_id": null,
               "reason": format!("{why}; {fix}")}),
        format!("unavailable: {why}; {fix}"),
    )
}

pub(crate) fn providers(as_json: bool) -> Result<()> {
    let routing = |p: &str| ROUTING_TABLE.iter().find(|r| r.provider.as_str() == p);
    if as_json {
        let routes: serde_json::Map<String, Value> = ROUTING_TABLE
            .iter()
            .map(|r| {
                (
                    r.provider.as_str().to_owned(),
                    json!({"external_resource_type": r.resource_type.as_str(), "credential_key": r.credential_key}),
                )
            })
            .collect();
        return Ok(out(&to_json(
            &json!({"providers": SUPPORTED_PROVIDERS, "routing": routes}),
        ))?);
    }
    let width = SUPPORTED_PROVIDERS
        .iter()
        .map(|p| p.len())
        .max()
        .unwrap_or(0);
    let mut text = format!("{:<width$}  routing\n", "provider");
    for p in SUPPORTED_PROVIDERS {
        let how = routing(p).map_or_else(
            || "none (publishes with null routing)".to_owned(),
            |r| format!("{} from credential {}", r.resource_type, r.credential_key),
        );
        text += &format!("{p:<width$}  {how}\n");
    }
    Ok(out(&text)?)
}

pub(crate) fn bind(ctx: &Context, args: &BindArgs) -> Result<()> {
    let root = ctx.root()?;
    let provider = Provider::parse(&args.provider).ok_or_else(|| {
        anyhow!(
            "unsupported provider {:?}; use one of: {}",
            args.provider,
            SUPPORTED_PROVIDERS.join(", ")
        )
    })?;
    let workspace = routing_core::trim(&args.workspace);
    if workspace.is_empty() {
        bail!(
            "--workspace is blank; pass the tracker workspace, e.g. --workspace acme.atlassian.net"
        );
    }
    let mode = match &args.doctrine_mode {
        None => tracker_store::DEFAULT_DOCTRINE_MODE.to_owned(),
        Some(m) => {
            let m = routing_core::trim(m).to_lowercase();
            if !DOCTRINE_MODES.contains(&m.as_str()) {
                bail!(
                    "invalid --doctrine-mode {:?}; use one of: {}",
                    args.doctrine_mode.as_deref().unwrap_or_default(),
                    DOCTRINE_MODES.join(", ")
                );
            }
            m
        }
    };
    let mut owners = Vec::new();
    for entry in &args.field_owners {
        let (k, v) = parse_kv("field-owner", entry, false)?;
        set_owner(&mut owners, k, v);
    }
    let mut creds = Credentials::new();
    for entry in &args.credentials {
        let (k, v) = parse_kv("credential", entry, true)?;
        creds.insert(k, CredentialValue::String(v));
    }
    // Read both files first: a malformed one stops the bind before anything is written.
    let project = ProjectConfig::at_root(&root);
    project.tracker()?;
    let store = ctx.credentials();
    let existing = store.get_provider(provider.as_str())?;
    let config = TrackerConfig {
        provider: Some(provider.as_str().to_owned()),
        workspace: Some(workspace.to_owned()),
        doctrine_mode: mode,
        field_owners: owners,
    };
    if !creds.is_empty() {
        store.set_provider(provider.as_str(), &creds)?;
    }
    project.set_tracker(&config)?;
    let stored = if creds.is_empty() { existing } else { creds };
    let (_, routing) = readiness(provider.as_str(), &stored);
    let owners_text = if config.field_owners.is_empty() {
        "none".to_owned()
    } else {
        config
            .field_owners
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let text = format!("Bound {} workspace {workspace}\n", provider.as_str())
        + &table(&[
            ("doctrine mode", config.doctrine_mode.clone()),
            ("field owners", owners_text),
            ("credentials", key_list(&stored)),
            ("routing", routing),
        ]);
    Ok(out(&text)?)
}

pub(crate) fn unbind(ctx: &Context) -> Result<()> {
    let Some(b) = ctx.binding()? else {
        bail!("this project has no tracker binding; nothing to unbind");
    };
    ProjectConfig::at_root(&b.root).clear_tracker()?;
    let removed = ctx.credentials().clear_provider(&b.provider)?;
    let creds = if removed {
        "credentials removed"
    } else {
        "no credentials were stored"
    };
    Ok(out(&format!(
        "Unbound {} workspace {} ({creds})\n",
        b.provider, b.workspace
    ))?)
}

pub(crate) fn status(ctx: &Context, as_json: bool) -> Result<()> {
    let Some(b) = ctx.binding()? else {
        if as_json {
            return Ok(out(&to_json(&json!({"configured": false})))?);
        }
        return Ok(out(
            "No tracker binding in this project.\nBind one with: spec-kitty tracker bind --provider <provider> --workspace <workspace>\n",
        )?);
    };
    let path = b.cache_path(&ctx.home);
    let (issues, mappings) = if path.exists() {
        let cache = IssueCache::open(&path)?;
        (
            cache.count_issues(&b.provider)?,
            cache.list_mappings()?.len() as u64,
        )
    } else {
        (0, 0)
    };
    let (routing_json, routing_text) = readiness(&b.provider, &b.credentials);
    if as_json {
        let owners: serde_json::Map<String, Value> = b
            .config
            .field_owners
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        return Ok(out(&to_json(&json!({
            "configured": true,
            "provider": b.provider,
            "workspace": b.workspace,
            "doctrine_mode": b.config.doctrine_mode,
            "field_owners": owners,
            "credentials_present": !b.credentials.is_empty(),
            "credential_keys": b.credentials.keys().collect::<Vec<_>>(),
            "db_path": path,
            "issue_count": issues,
            "mapping_count": mappings,
            "routing": routing_json,
        })))?);
    }
    let owners = if b.config.field_owners.is_empty() {
        "none".to_owned()
    } else {
        b.config
            .field_owners
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let text = "Tracker binding\n".to_owned()
        + &table(&[
            ("provider", b.provider.clone()),
            ("workspace", b.workspace.clone()),
            ("doctrine mode", b.config.doctrine_mode.clone()),
            ("field owners", owners),
            ("credentials", key_list(&b.credentials)),
            ("routing", routing_text),
            ("cache", path.display().to_string()),
            ("issues", issues.to_string()),
            ("mappings", mappings.to_string()),
        ]);
    Ok(out(&text)?)
}

pub(crate) fn map_add(
    ctx: &Context,
    wp_id: &str,
    id: &str,
    key: Option<&str>,
    url: Option<&str>,
) -> Result<()> {
    let b = ctx.require_binding()?;
    let wp = routing_core::trim(wp_id);
    let id = routing_core::trim(id);
    if wp.is_empty() || id.is_empty() {
        bail!("--wp-id and --external-id must not be blank");
    }
    let clean = |v: Option<&str>| {
        v.map(routing_core::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let reference = IssueRef {
        system: b.provider.clone(),
        workspace: b.workspace.clone(),
        id: id.to_owned(),
        key: clean(key),
        url: clean(url),
    };
    let mut cache = IssueCache::open(&b.cache_path(&ctx.home))?;
    cache.upsert_mapping(wp, &reference, &now_isoformat())?;
    let shown = reference
        .key
        .as_deref()
        .map_or_else(|| id.to_owned(), |k| format!("{k} ({id})"));
    Ok(out(&format!(
        "Mapped {wp} to {} issue {shown}\n",
        b.provider
    ))?)
}

pub(crate) fn map_list(ctx: &Context, as_json: bool) -> Result<()> {
    let b = ctx.require_binding()?;
    let path = b.cache_path(&ctx.home);
    let mappings = if path.exists() {
        IssueCache::open(&path)?.list_mappings()?
    } else {
        Vec::new()
    };
    if as_json {
        return Ok(out(&to_json(&json!({"mappings": mappings})))?);
    }
    if mappings.is_empty() {
        return Ok(out(
            "No mappings yet. Add one with: spec-kitty tracker map add --wp-id WP01 --external-id <id>\n",
        )?);
    }
    let rows: Vec<[String; 5]> =
        std::iter::once(["WP", "SYSTEM", "EXTERNAL ID", "KEY", "URL"].map(str::to_owned))
            .chain(mappings.iter().map(|m| {
                [
                    m.wp_id.clone(),
                    m.system.clone(),
                    m.external_id.clone(),
                    m.external_key.clone().unwrap_or_else(|| "-".into()),
                    m.external_url.clone().unwrap_or_else(|| "-".into()),
                ]
            }))
            .collect();
    let widths: Vec<usize> = (0..5)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let text: String = rows
        .iter()
        .map(|r| {
            let line: Vec<String> = r
                .iter()
                .zip(&widths)
                .map(|(v, w)| format!("{v:<w$}"))
                .collect();
            format!("{}\n", line.join("  ").trim_end())
        })
        .collect();
    Ok(out(&text)?)
}

fn routing_pair(o: Option<&routing_core::Routing>) -> Value {
    let (t, i) = routing_core::wire_fields(o);
    json!({"external_resource_type": t, "external_resource_id": i})
}

fn outcome_json(o: &PublishOutcome) -> Value {
    json!({
        "endpoint": redact_url(&o.endpoint),
        "status_code": o.status,
        "ok": o.ok,
        "body": match &o.body { ResponseBody::Json(v) => v.clone(), ResponseBody::Text(t) => json!(t) },
        "body_incomplete": o.body_incomplete,
        "idempotency_key": o.idempotency_key,
        "attempts": o.attempts,
        "routing": routing_pair(o.routing.as_ref()),
        "issues": o.issues,
        "content_length": o.content_length,
    })
}

fn outcome_text(o: &PublishOutcome, title: &str) -> String {
    let routing = o.routing.as_ref().map_or_else(
        || "null (no routing fields)".to_owned(),
        |r| format!("{} {}", r.resource_type(), r.resource_id()),
    );
    format!("{title} {}\n", redact_url(&o.endpoint))
        + &table(&[
            ("status", o.status.to_string()),
            ("issues", o.issues.to_string()),
            ("routing", routing),
            ("idempotency key", o.idempotency_key.clone()),
            ("attempts", o.attempts.to_string()),
        ])
}

pub(crate) fn publish_cmd(ctx: &Context, args: &PublishArgs) -> Result<()> {
    let server_url = args
        .server_url
        .as_deref()
        .map(routing_core::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            anyhow!("missing --server-url (or SAAS_API_URL): pass the spec-kitty SaaS base URL")
        })?
        .to_owned();
    let b = ctx.require_binding()?;
    let identity = ProjectConfig::at_root(&b.root).identity();
    let source = SnapshotSource::new(&b.config, identity, &b.credentials).ok_or_else(|| {
        anyhow!("the tracker binding is incomplete; run `spec-kitty tracker bind` again")
    })?;
    let token = resolve_token(args.auth_token.as_deref(), &b.provider, &b.credentials);
    let endpoint = check_target(&server_url, token.is_some(), args.allow_insecure_http)?;
    if let Some(rule) = routing_rule(&b.provider)
        && source.routing.is_none()
    {
        diag(
            "warning",
            &format!(
                "{} binding has no usable {} credential; publishing with null routing (add --credential {}=... with `spec-kitty tracker bind`)",
                b.provider, rule.credential_key, rule.credential_key
            ),
        );
    }
    let cache = IssueCache::open(&b.cache_path(&ctx.home))?;
    if args.dry_run {
        return dry_run(
            &cache,
            &source,
            &endpoint,
            token.as_ref().map(|(_, s)| *s),
            args.json,
        );
    }
    let mut opts = PublishOptions::new(server_url);
    opts.token = token.map(|(t, _)| t);
    opts.timeout = Duration::from_secs(args.timeout_seconds);
    opts.attempts = args.attempts;
    opts.allow_insecure_http = args.allow_insecure_http;
    if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        opts.progress = Box::new(|n| {
            if n > 0 && n % 2048 == 0 {
                eprint!("\rpreparing snapshot: {n} issues");
            }
        });
    }
    let result = publish(&cache, &source, &opts);
    if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        eprint!("\r\x1b[K");
    }
    match result {
        Ok(o) => {
            if args.json {
                out(&to_json(&outcome_json(&o)))?;
            } else {
                out(&outcome_text(&o, "Published snapshot to"))?;
            }
            Ok(())
        }
        Err(PublishError::Rejected(o)) => {
            if args.json {
                out(&to_json(&outcome_json(&o)))?;
            }
            Err(anyhow!(PublishError::Rejected(o)))
        }
        Err(e) => Err(e.into()),
    }
}

fn dry_run(
    cache: &IssueCache,
    source: &SnapshotSource,
    endpoint: &str,
    token: Option<TokenSource>,
    as_json: bool,
) -> Result<()> {
    // One pass: the body, its rows the Python CLI would refuse, then length and key from it.
    let body = cache.read_consistent(|cache| -> Result<_> {
        let mut reader = SnapshotBody::new(cache, source)?;
        let mut body = Vec::new();
        reader
            .read_to_end(&mut body)
            .context("reading the snapshot")?;
        if !reader.bad_rows().is_empty() {
            return Err(PublishError::InvalidRows {
                rows: reader.bad_rows().to_vec(),
            }
            .into());
        }
        Ok(body)
    })??;
    let mut headers = vec![
        ("Content-Type", "application/json".to_owned()),
        ("Content-Length", body.len().to_string()),
        ("Idempotency-Key", idempotency_key(&body)),
        (
            "User-Agent",
            concat!("spec-kitty-rs/", env!("CARGO_PKG_VERSION")).to_owned(),
        ),
    ];
    if token.is_some() {
        headers.push(("Authorization", "Bearer <redacted>".to_owned()));
    }
    if as_json {
        let h: serde_json::Map<String, Value> = headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), json!(v)))
            .collect();
        let parsed: Value =
            serde_json::from_slice(&body).context("the snapshot body is not JSON")?;
        return Ok(out(&to_json(&json!({
            "dry_run": true, "method": "POST", "endpoint": redact_url(endpoint), "headers": h, "body": parsed,
        })))?);
    }
    let mut text = format!("POST {}\n", redact_url(endpoint));
    for (k, v) in headers {
        text += &format!("{k}: {v}\n");
    }
    text.push('\n');
    text += &String::from_utf8_lossy(&body);
    text.push('\n');
    out(&text)?;
    Ok(())
}

/// Whether the SaaS sync flag is on: 1, true, yes, on (any case).
pub(crate) fn sync_enabled(value: Option<&str>) -> bool {
    value.is_some_and(|v| {
        matches!(
            routing_core::trim(v).to_ascii_lowercase().as_str(),
            "1" | "true" | "yes" | "on"
        )
    })
}

/// `directory` relative to the process's working directory.
pub(crate) fn resolve_dir(directory: Option<&Path>) -> Result<PathBuf> {
    let cwd = std::env::current_dir().context("reading the current directory")?;
    Ok(directory.map_or_else(|| cwd.clone(), |d| cwd.join(d)))
}
