//! `tracker sync push` against the fake Jira over real HTTP: every lane to its status, a
//! custom status map, unchanged, conflict with and without --force, no transition, not
//! found (never re-created), the doctrine's refusal, a rate limit mid-run, --dry-run
//! (no write), and pull -> push -> publish carrying the new statuses.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers
#![allow(clippy::disallowed_methods)] // tests lay out fixture files directly

mod common;

use common::*;
use contract_server::{ContractServer, Fault, ServerConfig};
use serde_json::{Value, json};

const LANES: [(&str, &str); 8] = [
    ("planned", "To Do"),
    ("claimed", "In Progress"),
    ("in_progress", "In Progress"),
    ("for_review", "In Review"),
    ("approved", "In Review"),
    ("done", "Done"),
    ("blocked", "Blocked"),
    ("canceled", "Won't Do"),
];

fn issue(n: u32, status: &str, category: &str) -> Value {
    json!({"id": format!("{}", 10000 + n), "key": format!("ACME-{n}"), "fields": {
        "summary": format!("Issue {n}"), "description": null,
        "status": {"name": status, "statusCategory": {"key": category}},
        "priority": {"name": "Medium"}, "labels": [], "issuetype": {"name": "Story"},
        "updated": format!("2026-01-17T12:{n:02}:00.000+0000"), "created": "2026-01-17T12:00:00.000+0000"}})
}

fn jira(n: u32) -> ContractServer {
    common::fake_jira_with((1..=n).map(|i| issue(i, "To Do", "new")).collect(), "UTC")
}

/// A project bound to the fake Jira (status owned locally), pulled, with one work package
/// per lane of `lanes` mapped to ACME-1, ACME-2...
fn scene(j: &ContractServer, lanes: &[&str], doctrine: &[&str]) -> Env {
    let env = Env::new();
    env.bind_to_jira(j, doctrine);
    let r = env.run(&["tracker", "sync", "pull"]);
    assert_eq!(r.code, 0, "{}", r.render());
    lanes_and_mappings(&env, lanes, |i| {
        (format!("{}", 10001 + i), format!("ACME-{}", i + 1))
    });
    env
}

/// A lane log putting work package `i + 1` in `lanes[i]`, each mapped to the issue
/// `issue(i)` gives (`(id, key)`).
fn lanes_and_mappings(env: &Env, lanes: &[&str], issue: impl Fn(usize) -> (String, String)) {
    let feature = env.project().join("kitty-specs/001-push");
    std::fs::create_dir_all(&feature).unwrap();
    let mut log = String::new();
    for (i, lane) in lanes.iter().enumerate() {
        let wp = format!("WP{:02}", i + 1);
        log += &json!({"event_id": format!("01JMBY7K8N3QRVX2DPFG5HWT{:02}", i),
            "feature_slug": "001-push", "wp_id": wp, "from_lane": "planned", "to_lane": lane,
            "at": format!("2026-01-18T10:00:{:02}+00:00", i), "actor": "dev", "force": true})
        .to_string();
        log.push('\n');
        let (id, key) = issue(i);
        let r = env.run(&[
            "tracker",
            "map",
            "add",
            "--wp-id",
            &wp,
            "--external-id",
            &id,
            "--external-key",
            &key,
        ]);
        assert_eq!(r.code, 0, "{}", r.render());
    }
    std::fs::write(feature.join("status.events.jsonl"), log).unwrap();
}

const LOCAL: [&str; 4] = [
    "--doctrine-mode",
    "split_ownership",
    "--field-owner",
    "status=local",
];

fn push(env: &Env, extra: &[&str]) -> (Run, Value) {
    let r = env.run(
        &[
            &["tracker", "sync", "push", "--json", "--attempts", "2"][..],
            extra,
        ]
        .concat(),
    );
    let v = serde_json::from_str(&r.stdout).unwrap_or(Value::Null);
    (r, v)
}

fn writes(j: &ContractServer) -> usize {
    j.received().iter().filter(|r| r.method == "POST").count()
}

fn status_of(j: &ContractServer, key: &str) -> String {
    j.jira_issue(key).unwrap()["fields"]["status"]["name"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn every_lane_reaches_its_default_status_and_a_second_push_changes_nothing() {
    let j = jira(8);
    let lanes: Vec<&str> = LANES.iter().map(|(l, _)| *l).collect();
    let env = scene(&j, &lanes, &LOCAL);
    let (r, v) = push(&env, &[]);
    assert_eq!(r.code, 0, "{}", r.render());
    for (i, (lane, status)) in LANES.iter().enumerate() {
        let key = format!("ACME-{}", i + 1);
        assert_eq!(status_of(&j, &key), *status, "{lane}");
        let want = if *status == "To Do" {
            "unchanged"
        } else {
            "changed"
        };
        assert_eq!(v["items"][i]["outcome"], want, "{lane}: {v}");
    }
    assert_eq!(v["summary"]["changed"], 7);
    assert_eq!(writes(&j), 7, "one transition per change");
    // Again: nothing to do, one request per issue, no write.
    let before = j.received().len();
    let (r, v) = push(&env, &[]);
    assert_eq!(r.code, 0, "{}", r.render());
    assert_eq!(v["summary"]["unchanged"], 8, "{v}");
    assert_eq!(
        j.received().len() - before,
        8,
        "one GET per unchanged issue"
    );
    assert_eq!(writes(&j), 7);
}

#[test]
fn pull_push_publish_carries_the_new_statuses() {
    let j = jira(2);
    let env = scene(&j, &["done", "for_review"], &LOCAL);
    assert_eq!(push(&env, &[]).0.code, 0);
    let s = server();
    let r = env.run(&["tracker", "sync", "publish", "--server-url", &s.url()]);
    assert_eq!(r.code, 0, "{}", r.render());
    let body = s.received()[0].json().unwrap();
    let statuses: Vec<&str> = body["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["done", "in_review"], "{body}");
}

#[test]
fn a_custom_status_map_wins_over_the_default() {
    let j = jira(1);
    let env = scene(&j, &["done"], &LOCAL);
    let path = env.project().join(".kittify/config.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace(
            "tracker:\n",
            "tracker:\n  status_map:\n    done: Won't Do\n",
        ),
    )
    .unwrap();
    assert_eq!(push(&env, &[]).0.code, 0);
    assert_eq!(status_of(&j, "ACME-1"), "Won't Do");
}

#[test]
fn the_doctrine_refuses_and_nothing_is_sent() {
    let j = jira(1);
    let env = scene(&j, &["done"], &[]);
    let before = j.received().len();
    let (r, v) = push(&env, &[]);
    assert_eq!(r.code, 1, "{}", r.render());
    assert_eq!(v["items"][0]["outcome"], "refused");
    assert!(
        v["items"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("--doctrine-mode split_ownership --field-owner status=local"),
        "{v}"
    );
    assert_eq!(j.received().len(), before, "nothing sent");
}

#[test]
fn a_remote_edit_after_the_pull_is_a_conflict_unless_forced() {
    let j = jira(1);
    let env = scene(&j, &["done"], &LOCAL);
    let mut edited = issue(1, "In Review", "indeterminate");
    edited["fields"]["updated"] = json!("2026-03-01T00:00:00.000+0000");
    j.jira_put(edited);
    let (r, v) = push(&env, &[]);
    assert_eq!(r.code, 1, "{}", r.render());
    assert_eq!(v["items"][0]["outcome"], "conflict", "{v}");
    assert_eq!(writes(&j), 0);
    assert_eq!(status_of(&j, "ACME-1"), "In Review");
    let (r, v) = push(&env, &["--force"]);
    assert_eq!(r.code, 0, "{}", r.render());
    assert_eq!(v["items"][0]["outcome"], "changed");
    assert_eq!(status_of(&j, "ACME-1"), "Done");
}

#[test]
fn no_transition_and_not_found_need_the_user_and_nothing_is_created() {
    let j = jira(2);
    let env = scene(&j, &["for_review", "done"], &LOCAL);
    j.jira_forbid_transition("To Do", "In Review");
    j.jira_delete("ACME-2");
    let (r, v) = push(&env, &[]);
    assert_eq!(r.code, 1, "{}", r.render());
    assert_eq!(v["items"][0]["outcome"], "no_transition", "{v}");
    assert!(
        v["items"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("In Progress"),
        "{v}"
    );
    assert_eq!(v["items"][1]["outcome"], "not_found", "{v}");
    assert_eq!(writes(&j), 0, "no transition attempted, nothing re-created");
    assert!(j.jira_issue("ACME-2").is_none());
    let r = env.run(&["tracker", "map", "list", "--json"]);
    assert!(
        r.stdout.contains("ACME-2"),
        "the mapping is kept: {}",
        r.render()
    );
}

#[test]
fn dry_run_sends_no_write_and_a_rate_limit_mid_run_is_waited_out() {
    let j = jira(2);
    let env = scene(&j, &["done", "blocked"], &LOCAL);
    let (r, v) = push(&env, &["--dry-run"]);
    assert_eq!(r.code, 0, "{}", r.render());
    assert_eq!(v["items"][0]["outcome"], "changed");
    assert_eq!(v["items"][0]["to"], "Done");
    assert_eq!(writes(&j), 0, "a dry run writes nothing");
    assert_eq!(status_of(&j, "ACME-1"), "To Do");
    j.push_faults([Fault::Status(429, Some("0".into()))]);
    let (r, v) = push(&env, &[]);
    assert_eq!(r.code, 0, "{}", r.render());
    assert_eq!(v["summary"]["changed"], 2, "{v}");
}

#[test]
fn a_service_that_keeps_failing_exits_3() {
    let j = jira(1);
    let env = scene(&j, &["done"], &LOCAL);
    j.push_faults(vec![Fault::Status(503, Some("0".into())); 2]);
    let (r, v) = push(&env, &[]);
    assert_eq!(r.code, 3, "{}", r.render());
    assert_eq!(v["items"][0]["outcome"], "failed");
}

// ---- Linear ----

const LINEAR_LANES: [(&str, &str); 8] = [
    ("planned", "Todo"),
    ("claimed", "In Progress"),
    ("in_progress", "In Progress"),
    ("for_review", "In Review"),
    ("approved", "In Review"),
    ("done", "Done"),
    ("blocked", "In Progress"),
    ("canceled", "Canceled"),
];

fn linear_node(n: u32) -> Value {
    json!({"id": format!("lin-{n}"), "identifier": format!("ENG-{n}"), "title": format!("Issue {n}"),
        "description": null, "priority": 2, "url": format!("https://linear.app/acme/issue/ENG-{n}"),
        "createdAt": "2026-01-17T12:00:00.000Z", "updatedAt": format!("2026-01-17T12:{n:02}:00.000Z"),
        "state": {"id": "state-todo", "name": "Todo", "type": "unstarted"},
        "labels": {"nodes": []}, "assignee": null, "parent": null, "team": {"id": "team-1"}})
}

fn linear(n: u32) -> ContractServer {
    ContractServer::start(ServerConfig {
        linear: Some(contract_server::FakeLinear {
            api_key: SECRET.into(),
            oauth_token: "unused".into(),
            team_id: "team-1".into(),
            issues: (1..=n).map(linear_node).collect(),
        }),
        ..ServerConfig::default()
    })
    .unwrap()
}

fn linear_scene(l: &ContractServer, lanes: &[&str]) -> Env {
    let env = Env::new();
    let url = format!("graphql_url={}/graphql", l.url());
    let key = format!("api_key={SECRET}");
    let r = env.run(&[
        "tracker",
        "bind",
        "--provider",
        "linear",
        "--workspace",
        "acme",
        "--credential",
        "team_id=team-1",
        "--credential",
        &key,
        "--credential",
        &url,
        "--doctrine-mode",
        "spec_kitty_authoritative",
    ]);
    assert_eq!(r.code, 0, "{}", r.render());
    let r = env.run(&["tracker", "sync", "pull"]);
    assert_eq!(r.code, 0, "{}", r.render());
    lanes_and_mappings(&env, lanes, |i| {
        (format!("lin-{}", i + 1), format!("ENG-{}", i + 1))
    });
    env
}

fn linear_state(l: &ContractServer, id: &str) -> String {
    l.linear_issue(id).unwrap()["state"]["name"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn updates(l: &ContractServer) -> usize {
    l.received()
        .iter()
        .filter(|r| String::from_utf8_lossy(&r.body).contains("issueUpdate"))
        .count()
}

#[test]
fn linear_every_lane_reaches_its_state_type_and_a_second_push_changes_nothing() {
    let l = linear(8);
    let lanes: Vec<&str> = LINEAR_LANES.iter().map(|(l, _)| *l).collect();
    let env = linear_scene(&l, &lanes);
    let before = l.received().len();
    let (r, v) = push(&env, &[]);
    assert_eq!(r.code, 0, "{}", r.render());
    for (i, (lane, state)) in LINEAR_LANES.iter().enumerate() {
        assert_eq!(
            linear_state(&l, &format!("lin-{}", i + 1)),
            *state,
            "{lane}: {v}"
        );
    }
    assert_eq!(v["summary"]["changed"], 7, "{v}");
    assert_eq!(updates(&l), 7);
    // One states query per run, one read per issue, one update per change.
    assert_eq!(l.received().len() - before, 1 + 8 + 7);
    let before = l.received().len();
    let (r, v) = push(&env, &[]);
    assert_eq!(r.code, 0, "{}", r.render());
    assert_eq!(v["summary"]["unchanged"], 8, "{v}");
    assert_eq!(
        l.received().len() - before,
        1 + 8,
        "one read per unchanged issue"
    );
}

#[test]
fn linear_conflict_not_found_and_a_rate_limit_mid_run() {
    let l = linear(3);
    let env = linear_scene(&l, &["done", "done", "for_review"]);
    let mut edited = linear_node(1);
    edited["state"] = json!({"id": "state-review", "name": "In Review", "type": "started"});
    edited["updatedAt"] = json!("2026-03-01T00:00:00.000Z");
    l.linear_put(edited);
    l.linear_delete("lin-2");
    l.push_faults([Fault::Answer(
        400,
        vec![],
        json!({"errors": [{"message": "Rate limit exceeded", "extensions": {"code": "RATELIMITED"}}]}),
    )]);
    let (r, v) = push(&env, &[]);
    assert_eq!(r.code, 1, "{}", r.render());
    assert_eq!(v["items"][0]["outcome"], "conflict", "{v}");
    assert_eq!(
        v["items"][2]["outcome"], "changed",
        "the rate limit was waited out: {v}"
    );
    assert_eq!(linear_state(&l, "lin-3"), "In Review");
    let (r, v) = push(&env, &["--force", "--wp", "WP01"]);
    assert_eq!(r.code, 0, "{}", r.render());
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
    assert_eq!(linear_state(&l, "lin-1"), "Done");
}

#[test]
fn kill_9_mid_push_then_a_rerun_converges_without_a_duplicate_transition() {
    let j = jira(3);
    let env = scene(&j, &["done", "done", "done"], &LOCAL);
    let base = j.received().len();
    // The first issue: GET, GET transitions, POST; then the next request hangs for a while.
    j.push_faults([
        Fault::Delay(std::time::Duration::ZERO),
        Fault::Delay(std::time::Duration::ZERO),
        Fault::Delay(std::time::Duration::ZERO),
        Fault::Delay(std::time::Duration::from_secs(20)),
    ]);
    let mut child = env
        .cmd(&["tracker", "sync", "push", "--timeout-seconds", "60"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    // A request is recorded when it is answered: the third (the transition) is done, the
    // fourth (the second issue's read) hangs.
    while j.received().len() < base + 3 {
        assert!(
            std::time::Instant::now() < deadline,
            "the push did not get going"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert_eq!(writes(&j), 1, "killed after one transition");
    assert_eq!(status_of(&j, "ACME-1"), "Done");
    let (r, v) = push(&env, &[]);
    assert_eq!(r.code, 0, "{}", r.render());
    assert_eq!(
        v["items"][0]["outcome"], "unchanged",
        "no second transition: {v}"
    );
    assert_eq!(v["summary"]["changed"], 2, "{v}");
    assert_eq!(writes(&j), 3, "one transition per issue in all");
    for key in ["ACME-1", "ACME-2", "ACME-3"] {
        assert_eq!(status_of(&j, key), "Done");
    }
}

#[test]
fn regression_22_12_a_rebind_to_another_project_pulls_it_in_full_not_from_the_old_checkpoint() {
    let issues_of = |key: &str, minutes: std::ops::RangeInclusive<u32>| -> Vec<Value> {
        minutes
            .map(|m| {
                let mut i = issue(m, "To Do", "new");
                i["key"] = json!(format!("{key}-{m}"));
                i["id"] = json!(format!("{key}{m}"));
                i
            })
            .collect()
    };
    // One site; project AAA's issues are all newer than every issue of BBB.
    let site = jira(0);
    site.jira_switch_project("AAA", issues_of("AAA", 40..=45));
    let env = Env::new();
    let bind = |key: &str| {
        let (k, base, token) = (
            format!("project_key={key}"),
            format!("base_url={}", site.url()),
            format!("api_token={SECRET}"),
        );
        env.bind_jira(&[
            "--credential",
            &k,
            "--credential",
            &base,
            "--credential",
            "email=dev@example.com",
            "--credential",
            &token,
        ]);
    };
    bind("AAA");
    let r = env.run(&["tracker", "sync", "pull", "--json"]);
    assert_eq!(r.code, 0, "{}", r.render());
    site.jira_switch_project("BBB", issues_of("BBB", 1..=5));
    bind("BBB");
    let r = env.run(&["tracker", "sync", "pull", "--json"]);
    assert_eq!(r.code, 0, "{}", r.render());
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["rescoped"], true, "{v}");
    assert_eq!(
        v["created"], 5,
        "every BBB issue, older than AAA's newest: {v}"
    );
    // The same binding again: incremental.
    let r = env.run(&["tracker", "sync", "pull", "--json"]);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        (v["rescoped"].as_bool(), v["created"].as_u64()),
        (Some(false), Some(0)),
        "{v}"
    );
    let text = env.run(&["tracker", "sync", "pull"]);
    assert!(text.stdout.contains("incremental"), "{}", text.render());
}
