//! `cargo xtask demo`: shows how bindings route, with nothing outside the repo.

use routing_core::{CredentialValue, derive_routing, wire_fields};

fn show(label: &str, provider: &str, credentials: &[(&str, CredentialValue)]) {
    let routing = derive_routing(provider, credentials);
    let (ty, id) = wire_fields(routing.as_ref());
    let keys: Vec<&str> = credentials.iter().map(|(k, _)| *k).collect();
    println!(
        "{label:<34} provider={:<10} credential keys=[{}]",
        format!("{provider:?}"),
        keys.join(", ")
    );
    println!(
        "{:<34} -> external_resource_type={}  external_resource_id={}",
        "",
        json(ty),
        json(id)
    );
}

fn json(v: Option<&str>) -> String {
    v.map_or_else(|| "null".to_owned(), |s| format!("{s:?}"))
}

pub(crate) fn run() -> anyhow::Result<()> {
    use CredentialValue::{Integer, String as S};
    let s = |v: &str| S(v.to_owned());
    println!("spec-kitty tracker resource routing (routing-core)\n");
    show(
        "jira with project_key",
        "jira",
        &[("project_key", s("ACME")), ("api_token", s("<secret>"))],
    );
    show(
        "jira without project_key",
        "jira",
        &[("api_token", s("<secret>"))],
    );
    show(
        "jira with blank project_key",
        "Jira ",
        &[("project_key", s("  "))],
    );
    show(
        "linear with team_id",
        "linear",
        &[("team_id", s("abc-123-def"))],
    );
    show(
        "linear with integer team_id",
        "LINEAR",
        &[("team_id", Integer(123))],
    );
    show(
        "github (no routing rule)",
        "github",
        &[("token", s("<secret>"))],
    );
    show("unknown provider", "trello", &[("project_key", s("ACME"))]);
    Ok(())
}
