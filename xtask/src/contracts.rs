//! `cargo xtask check-contracts`: proves that the contract documents, the JSON Schemas, the
//! fixtures and the Rust types agree, and that no frozen fixture changed.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use event_envelope::{BatchRequest, BatchResponse, Envelope, EventStatus, FIELDS, Http400Body};
use routing_core::{CredentialValue, derive_routing, normalize_provider, wire_fields};
use serde_json::Value;

use crate::manifest;
use contract_server::{SNAPSHOT_FIELDS, validate_snapshot};

/// The JSON Schemas, by the tag used in fixtures and doc examples.
struct Schemas {
    envelope: jsonschema::Validator,
    batch_request: jsonschema::Validator,
    batch_response: jsonschema::Validator,
    snapshot: jsonschema::Validator,
    envelope_doc: Value,
}

fn read_json(path: &Path) -> Result<Value> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

fn schema_errors(v: &jsonschema::Validator, instance: &Value) -> Option<String> {
    let errors: Vec<String> = v
        .iter_errors(instance)
        .take(3)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    (!errors.is_empty()).then(|| errors.join("; "))
}

impl Schemas {
    fn load(root: &Path) -> Result<Schemas> {
        let dir = root.join("contracts/schemas");
        let envelope_doc = read_json(&dir.join("event-envelope.schema.json"))?;
        let registry = jsonschema::Registry::new()
            .add("urn:spec-kitty:schema:event-envelope", envelope_doc.clone())
            .and_then(jsonschema::RegistryBuilder::prepare)
            .map_err(|e| anyhow!("event-envelope.schema.json cannot be registered: {e}"))?;
        let compile = |name: &str| -> Result<jsonschema::Validator> {
            let schema = read_json(&dir.join(name))?;
            jsonschema::options()
                .with_registry(&registry)
                .build(&schema)
                .map_err(|e| anyhow!("{name} does not compile: {e}"))
        };
        Ok(Schemas {
            envelope: compile("event-envelope.schema.json")?,
            batch_request: compile("batch-request.schema.json")?,
            batch_response: compile("batch-response.schema.json")?,
            snapshot: compile("tracker-snapshot.schema.json")?,
            envelope_doc,
        })
    }
}

/// One check's outcome.
pub(crate) struct Check {
    pub(crate) name: String,
    pub(crate) result: Result<(), String>,
}

/// Runs every check under `root` (the repository root) and returns them in order.
pub(crate) fn run_checks(root: &Path) -> Vec<Check> {
    let mut checks = Vec::new();
    let mut push = |name: String, result: Result<()>| {
        checks.push(Check {
            name,
            result: result.map_err(|e| format!("{e:#}")),
        });
    };

    push(
        "fixtures/MANIFEST.blake3 matches every fixture".into(),
        manifest::verify(root),
    );

    let schemas = match Schemas::load(root) {
        Ok(s) => {
            push("contracts/schemas/*.json compile".into(), Ok(()));
            s
        }
        Err(e) => {
            push("contracts/schemas/*.json compile".into(), Err(e));
            return checks;
        }
    };
    push(
        "event-envelope schema agrees with event_envelope::FIELDS".into(),
        envelope_schema_agrees(&schemas.envelope_doc),
    );

    for (kind, check) in [
        (
            "batch",
            check_batch_fixture as fn(&Schemas, &Value) -> Result<()>,
        ),
        ("snapshot", check_snapshot_fixture),
        ("invalid", check_invalid_fixture),
    ] {
        match json_files(&root.join("fixtures").join(kind)) {
            Ok(files) if files.is_empty() => {
                push(
                    format!("fixtures/{kind}/ has fixtures"),
                    Err(anyhow!("no fixtures found")),
                );
            }
            Ok(files) => {
                for path in files {
                    let name = format!("fixtures/{kind}/{}", file_name(&path));
                    push(name, read_json(&path).and_then(|doc| check(&schemas, &doc)));
                }
            }
            Err(e) => push(format!("fixtures/{kind}/ readable"), Err(e)),
        }
    }

    match doc_examples(root) {
        Ok(examples) => {
            for ex in examples {
                let name = format!("{}:{} ```json {}", ex.file, ex.line, ex.tag);
                push(name, check_example(&schemas, &ex));
            }
        }
        Err(e) => push("contracts/*.md readable".into(), Err(e)),
    }
    checks
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn json_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    Ok(files)
}

fn envelope_schema_agrees(schema: &Value) -> Result<()> {
    shape_agrees(schema)?;
    let shape = &schema["$defs"]["wire_shape"];
    shape_agrees(shape).context("$defs.wire_shape")?;
    let rule_keys: Vec<&String> = schema["properties"]
        .as_object()
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    let shape_keys: Vec<&String> = shape["properties"]
        .as_object()
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    if rule_keys != shape_keys {
        bail!("envelope schema properties and $defs.wire_shape properties differ");
    }
    Ok(())
}

fn shape_agrees(schema: &Value) -> Result<()> {
    let props = schema["properties"]
        .as_object()
        .ok_or_else(|| anyhow!("envelope schema has no properties"))?;
    let names: Vec<&str> = props.keys().map(String::as_str).collect();
    let expected: Vec<&str> = FIELDS.iter().map(|f| f.name).collect();
    if names != expected {
        bail!("envelope schema properties {names:?} differ from the 15 fields {expected:?}");
    }
    let required: BTreeSet<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if required != expected.iter().copied().collect() {
        bail!("envelope schema must require all 15 fields (nullable ones are present as null)");
    }
    if schema["additionalProperties"] != Value::Bool(false) {
        bail!("envelope schema must set additionalProperties: false");
    }
    for f in FIELDS {
        let ty = &props[f.name]["type"];
        let want = if f.nullable {
            serde_json::json!([f.json_type.as_str(), "null"])
        } else {
            Value::from(f.json_type.as_str())
        };
        if *ty != want {
            bail!(
                "envelope schema type of `{}` is {ty}, expected {want}",
                f.name
            );
        }
    }
    Ok(())
}

fn check_batch_fixture(schemas: &Schemas, doc: &Value) -> Result<()> {
    require_description(doc)?;
    let request = &doc["request"];
    if let Some(e) = schema_errors(&schemas.batch_request, request) {
        bail!("request fails batch-request schema: {e}");
    }
    let parsed = BatchRequest::from_value(request).map_err(|e| anyhow!("request: {e}"))?;
    let ids: BTreeSet<&str> = parsed.events.iter().map(|e| e.event_id.as_str()).collect();
    for (i, event) in parsed.events.iter().enumerate() {
        if event.to_value() != request["events"][i] {
            bail!("events[{i}] does not round-trip through Envelope to the same JSON");
        }
    }
    let expected = &doc["expected_response"];
    if let Some(e) = schema_errors(&schemas.batch_response, expected) {
        bail!("expected_response fails batch-response schema: {e}");
    }
    let body = &expected["body"];
    match expected["status_code"].as_u64() {
        Some(200) => {
            let resp: BatchResponse = serde_json::from_value(body.clone())
                .map_err(|e| anyhow!("expected_response.body: {e}"))?;
            if serde_json::to_value(&resp)? != *body {
                bail!("expected_response.body does not round-trip through BatchResponse");
            }
            let by_id = resp.by_event_id();
            for event in &parsed.events {
                let result = by_id
                    .get(event.event_id.as_str())
                    .ok_or_else(|| anyhow!("no result for event {}", event.event_id))?;
                let verdict = event.validate();
                match (result.status, verdict) {
                    (EventStatus::Rejected, Ok(())) => bail!(
                        "event {} is expected rejected but passes validation",
                        event.event_id
                    ),
                    (EventStatus::Rejected, Err(errors)) => {
                        let ours = errors
                            .first()
                            .map(|e| e.rejection_message())
                            .unwrap_or_default();
                        if Some(ours.as_str()) != result.reason() {
                            bail!(
                                "event {}: our rejection {ours:?} differs from the expected {:?}",
                                event.event_id,
                                result.reason()
                            );
                        }
                    }
                    (_, Err(errors)) => {
                        bail!(
                            "event {} is expected accepted but fails: {errors}",
                            event.event_id
                        )
                    }
                    (_, Ok(())) => {}
                }
            }
            if by_id.keys().any(|id| !ids.contains(id)) {
                bail!("a result names an event_id that is not in the request");
            }
        }
        Some(400) => {
            let parsed400 = Http400Body::from_value(body)
                .ok_or_else(|| anyhow!("expected_response.body is not a 400 body"))?;
            if parsed400.to_value() != *body {
                bail!("expected_response.body does not round-trip through Http400Body");
            }
            let reasons = parsed400.details.reasons_by_event_id();
            if reasons.is_empty() || reasons.keys().any(|id| !ids.contains(id)) {
                bail!("400 details must name events of the request by event_id");
            }
        }
        other => bail!("unexpected status_code {other:?}"),
    }
    Ok(())
}

fn require_description(doc: &Value) -> Result<()> {
    match doc["description"].as_str() {
        Some(d) if !d.trim().is_empty() => Ok(()),
        _ => bail!("fixture has no description"),
    }
}

fn credentials(binding: &Value) -> Vec<(String, CredentialValue)> {
    binding["credentials"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(s) => CredentialValue::String(s.clone()),
                        Value::Number(n) if n.is_i64() => n
                            .as_i64()
                            .map_or(CredentialValue::Other, CredentialValue::Integer),
                        _ => CredentialValue::Other,
                    };
                    (k.clone(), v)
                })
                .collect()
        })
        .unwrap_or_default()
}

fn check_snapshot_fixture(schemas: &Schemas, doc: &Value) -> Result<()> {
    require_description(doc)?;
    let payload = &doc["payload"];
    if let Some(e) = schema_errors(&schemas.snapshot, payload) {
        bail!("payload fails tracker-snapshot schema: {e}");
    }
    validate_snapshot(payload).map_err(|e| anyhow!("payload: {e}"))?;
    let keys: Vec<&str> = payload
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    if keys != SNAPSHOT_FIELDS {
        bail!("payload keys are not in contract order: {keys:?}");
    }
    let binding = &doc["binding"];
    let raw_provider = binding["provider"].as_str().unwrap_or_default();
    let provider = normalize_provider(raw_provider);
    if payload["provider"] != provider.as_str() {
        bail!("payload.provider is not the normalized binding provider {provider:?}");
    }
    let routing = derive_routing(&provider, &credentials(binding));
    let (ty, id) = wire_fields(routing.as_ref());
    if payload["external_resource_type"] != Value::from(ty)
        || payload["external_resource_id"] != Value::from(id)
    {
        bail!("routing fields differ from derive_routing: expected ({ty:?}, {id:?})");
    }
    let body = serde_json::to_vec(payload)?;
    let key = tracker_client::idempotency_key(&body);
    if doc["idempotency_key"] != key.as_str() {
        bail!("idempotency_key differs from blake3 of the compact body: expected {key}");
    }
    Ok(())
}

/// Runs the Rust-side check for a document of `kind`; `Err` carries the error message.
fn rust_check(kind: &str, document: &Value) -> Result<(), String> {
    match kind {
        "envelope" => {
            let envelope = Envelope::from_value(document).map_err(|e| e.to_string())?;
            envelope.validate().map_err(|e| e.to_string())
        }
        "batch_request" => {
            let request = BatchRequest::from_value(document).map_err(|e| e.to_string())?;
            for e in &request.events {
                e.validate().map_err(|e| e.to_string())?;
            }
            Ok(())
        }
        "snapshot" => validate_snapshot(document)
            .map(|_| ())
            .map_err(|e| e.to_string()),
        other => Err(format!("unknown kind {other:?}")),
    }
}

fn schema_for<'a>(schemas: &'a Schemas, kind: &str) -> Result<&'a jsonschema::Validator> {
    Ok(match kind {
        "envelope" => &schemas.envelope,
        "batch_request" | "batch-request" => &schemas.batch_request,
        "batch_response" | "batch-response" => &schemas.batch_response,
        "snapshot" => &schemas.snapshot,
        other => bail!("unknown kind {other:?}"),
    })
}

fn check_invalid_fixture(schemas: &Schemas, doc: &Value) -> Result<()> {
    require_description(doc)?;
    let kind = doc["kind"].as_str().unwrap_or_default();
    let document = &doc["document"];
    let expected = doc["expected_error"].as_str().unwrap_or_default();
    match rust_check(kind, document) {
        Ok(()) => bail!("accepted by the Rust validators; expected {expected:?}"),
        Err(actual) if actual != expected => {
            bail!("Rust error {actual:?} differs from expected {expected:?}")
        }
        Err(_) => {}
    }
    if schema_for(schemas, kind)?.is_valid(document) {
        bail!("accepted by the {kind} JSON Schema");
    }
    Ok(())
}

struct Example {
    file: String,
    line: usize,
    tag: String,
    text: String,
}

fn doc_examples(root: &Path) -> Result<Vec<Example>> {
    let dir = root.join("contracts");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let text = fs::read_to_string(&path)?;
        let file = format!("contracts/{}", file_name(&path));
        let mut current: Option<Example> = None;
        for (i, line) in text.lines().enumerate() {
            match &mut current {
                None => {
                    if let Some(info) = line.trim_start().strip_prefix("```json") {
                        current = Some(Example {
                            file: file.clone(),
                            line: i + 1,
                            tag: info.trim().to_owned(),
                            text: String::new(),
                        });
                    }
                }
                Some(ex) => {
                    if line.trim_start().starts_with("```") {
                        out.extend(current.take());
                    } else {
                        let _ = writeln!(ex.text, "{line}");
                    }
                }
            }
        }
        if let Some(ex) = current {
            bail!("{}:{}: unterminated ```json block", ex.file, ex.line);
        }
    }
    Ok(out)
}

fn check_example(schemas: &Schemas, ex: &Example) -> Result<()> {
    let value: Value =
        serde_json::from_str(&ex.text).map_err(|e| anyhow!("not valid JSON: {e}"))?;
    if ex.tag.is_empty() {
        return Ok(());
    }
    let kind = ex.tag.replace('-', "_");
    let validator = schema_for(schemas, &ex.tag)?;
    if let Some(e) = schema_errors(validator, &value) {
        bail!("fails the {} schema: {e}", ex.tag);
    }
    match kind.as_str() {
        "batch_response" => {
            let body = &value["body"];
            if value["status_code"] == 200 {
                serde_json::from_value::<BatchResponse>(body.clone())
                    .map_err(|e| anyhow!("body: {e}"))?;
            } else if Http400Body::from_value(body).is_none() {
                bail!("body is not a 400 body");
            }
            Ok(())
        }
        _ => rust_check(&kind, &value).map_err(|e| anyhow!("{e}")),
    }
}

/// Prints one line per check and a summary; `Err` if any check failed.
pub(crate) fn main(root: &Path) -> Result<()> {
    let checks = run_checks(root);
    let failed = checks.iter().filter(|c| c.result.is_err()).count();
    for c in &checks {
        match &c.result {
            Ok(()) => println!("ok    {}", c.name),
            Err(e) => println!("FAIL  {}: {e}", c.name),
        }
    }
    println!(
        "\ncheck-contracts: {} checks, {} passed, {failed} failed",
        checks.len(),
        checks.len() - failed
    );
    if failed > 0 {
        bail!("{failed} contract check(s) failed");
    }
    Ok(())
}
