//! `.kittify/config.yaml`: reading, comment-preserving bind/unbind, malformed input.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers
#![allow(clippy::disallowed_methods)] // tests lay out fixture files directly

use std::fs;

use spec_kitty_home::HomeError;
use spec_kitty_home::{ProjectConfig, TrackerConfig, find_project_root};

const BEFORE: &str = "\
# spec-kitty project settings
# (hand-edited: keep my comments)
project:
  uuid: 550e8400-e29b-41d4-a716-446655440000  # identity
  slug: spec-kitty

agents:
    - claude     # odd indentation, kept as is
    - codex

# the tracker section follows
tracker:
  provider: linear   # old binding
  workspace: old
  doctrine:
    mode: split_ownership

# trailing section
vcs: {type: git}
";

const AFTER_BIND: &str = "\
# spec-kitty project settings
# (hand-edited: keep my comments)
project:
  uuid: 550e8400-e29b-41d4-a716-446655440000  # identity
  slug: spec-kitty

agents:
    - claude     # odd indentation, kept as is
    - codex

# the tracker section follows
tracker:
  provider: jira
  workspace: acme.atlassian.net
  doctrine:
    mode: external_authoritative
    field_owners:
      status: external
      title: \"yes\"

# trailing section
vcs: {type: git}
";

const AFTER_UNBIND: &str = "\
# spec-kitty project settings
# (hand-edited: keep my comments)
project:
  uuid: 550e8400-e29b-41d4-a716-446655440000  # identity
  slug: spec-kitty

agents:
    - claude     # odd indentation, kept as is
    - codex

# the tracker section follows

# trailing section
vcs: {type: git}
";

fn project(text: Option<&str>) -> (tempfile::TempDir, ProjectConfig) {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join(".kittify")).unwrap();
    if let Some(t) = text {
        fs::write(dir.path().join(".kittify/config.yaml"), t).unwrap();
    }
    let cfg = ProjectConfig::at_root(dir.path());
    (dir, cfg)
}

fn jira() -> TrackerConfig {
    TrackerConfig {
        provider: Some("jira".into()),
        workspace: Some("acme.atlassian.net".into()),
        doctrine_mode: "external_authoritative".into(),
        field_owners: vec![
            ("status".into(), "external".into()),
            ("title".into(), "yes".into()),
        ],
        status_map: Vec::new(),
    }
}

fn jira_with_status_map() -> TrackerConfig {
    TrackerConfig {
        status_map: vec![
            ("done".into(), "Shipped".into()),
            ("for_review".into(), "Needs: review".into()),
        ],
        ..jira()
    }
}

#[test]
fn bind_replaces_only_the_tracker_block_golden() {
    let (_d, cfg) = project(Some(BEFORE));
    cfg.set_tracker(&jira()).unwrap();
    assert_eq!(fs::read_to_string(cfg.path()).unwrap(), AFTER_BIND);
    assert_eq!(cfg.tracker().unwrap(), jira());
    // Idempotent.
    cfg.set_tracker(&jira()).unwrap();
    assert_eq!(fs::read_to_string(cfg.path()).unwrap(), AFTER_BIND);
}

#[test]
fn unbind_removes_only_the_tracker_block_golden() {
    let (_d, cfg) = project(Some(AFTER_BIND));
    cfg.clear_tracker().unwrap();
    assert_eq!(fs::read_to_string(cfg.path()).unwrap(), AFTER_UNBIND);
    assert_eq!(cfg.tracker().unwrap(), TrackerConfig::default());
    cfg.clear_tracker().unwrap();
    assert_eq!(fs::read_to_string(cfg.path()).unwrap(), AFTER_UNBIND);
}

#[test]
fn bind_appends_when_there_is_no_section_or_no_file() {
    let (_d, cfg) = project(Some("project:\n  slug: x"));
    cfg.set_tracker(&jira()).unwrap();
    let text = fs::read_to_string(cfg.path()).unwrap();
    assert!(
        text.starts_with("project:\n  slug: x\ntracker:\n  provider: jira\n"),
        "{text}"
    );
    let (_d, cfg) = project(None);
    cfg.set_tracker(&jira()).unwrap();
    assert_eq!(cfg.tracker().unwrap(), jira());
}

#[test]
fn crlf_files_stay_crlf() {
    let (_d, cfg) = project(Some("project:\r\n  slug: x\r\n"));
    cfg.set_tracker(&jira()).unwrap();
    let text = fs::read_to_string(cfg.path()).unwrap();
    assert!(!text.replace("\r\n", "").contains('\n'), "{text:?}");
}

#[test]
fn values_that_need_quotes_read_back_exactly() {
    let (_d, cfg) = project(Some(""));
    let mut c = jira();
    c.workspace = Some("team: #1 'x' \"y\" null".into());
    c.field_owners = vec![
        ("zeta".into(), "true".into()),
        ("123".into(), "x".into()),
        ("a b".into(), "~".into()),
    ];
    cfg.set_tracker(&c).unwrap();
    assert_eq!(cfg.tracker().unwrap(), c);
}

#[test]
fn reading_trims_defaults_and_drops_blanks() {
    let (_d, cfg) = project(Some(
        "tracker:\n  provider: '  Jira  '\n  workspace: '   '\n  doctrine:\n    mode: ''\n    field_owners: {title: '  ', ' ': x, status: external}\n",
    ));
    let t = cfg.tracker().unwrap();
    assert_eq!(t.provider.as_deref(), Some("Jira"));
    assert_eq!(t.workspace, None);
    assert_eq!(t.doctrine_mode, "external_authoritative");
    assert_eq!(
        t.field_owners,
        vec![("status".to_owned(), "external".to_owned())]
    );
    assert!(
        t.binding().is_none(),
        "a binding needs provider and workspace"
    );
}

#[test]
fn identity_is_read_as_strings_or_none() {
    let (_d, cfg) = project(Some(
        "project:\n  uuid: 550e8400-e29b-41d4-a716-446655440000\n  slug: 42\n",
    ));
    let id = cfg.identity();
    assert_eq!(
        id.uuid.as_deref(),
        Some("550e8400-e29b-41d4-a716-446655440000")
    );
    assert_eq!(id.slug.as_deref(), Some("42"));
    let (_d, cfg) = project(None);
    assert_eq!(cfg.identity(), Default::default());
    let (_d, cfg) = project(Some("project: [\n"));
    assert_eq!(
        cfg.identity(),
        Default::default(),
        "unreadable means unknown identity"
    );
}

#[test]
fn malformed_yaml_is_an_error_naming_file_and_line_and_is_never_overwritten() {
    let bad = "project:\n  slug: x\ntracker:\n  provider: [jira\n  workspace: w\n";
    let (_d, cfg) = project(Some(bad));
    for result in [cfg.set_tracker(&jira()), cfg.clear_tracker()] {
        let err = result.unwrap_err();
        let msg = err.to_string();
        assert!(
            matches!(err, HomeError::Yaml { line: Some(_), .. }),
            "{msg}"
        );
        assert!(
            msg.contains("config.yaml") && msg.contains("at line"),
            "{msg}"
        );
        assert_eq!(fs::read_to_string(cfg.path()).unwrap(), bad);
    }
    assert!(cfg.tracker().is_err());
}

#[test]
fn a_tracker_section_of_the_wrong_shape_is_refused() {
    let text = "tracker:\n  - jira\n";
    let (_d, cfg) = project(Some(text));
    let err = cfg.set_tracker(&jira()).unwrap_err();
    assert!(
        err.to_string().contains("`tracker:` is not a mapping"),
        "{err}"
    );
    assert_eq!(fs::read_to_string(cfg.path()).unwrap(), text);
    let text = "- just\n- a list\n";
    let (_d, cfg) = project(Some(text));
    assert!(cfg.set_tracker(&jira()).is_err());
    assert_eq!(fs::read_to_string(cfg.path()).unwrap(), text);
}

#[test]
fn a_flow_style_tracker_section_is_replaced_cleanly() {
    let (_d, cfg) = project(Some("a: 1\ntracker: {provider: x, workspace: y}\nb: 2\n"));
    cfg.set_tracker(&jira()).unwrap();
    let text = fs::read_to_string(cfg.path()).unwrap();
    assert!(
        text.starts_with("a: 1\ntracker:\n") && text.ends_with("b: 2\n"),
        "{text}"
    );
    assert_eq!(cfg.tracker().unwrap(), jira());
}

#[test]
fn project_root_is_found_from_a_nested_directory() {
    let (dir, _cfg) = project(Some(""));
    let nested = dir.path().join("src/deep/er");
    fs::create_dir_all(&nested).unwrap();
    assert_eq!(find_project_root(&nested).unwrap(), dir.path());
    let outside = tempfile::tempdir().unwrap();
    let err = find_project_root(outside.path()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("not inside a spec-kitty project"),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn permissions_of_the_config_are_kept() {
    use std::os::unix::fs::PermissionsExt;
    let (_d, cfg) = project(Some("a: 1\n"));
    fs::set_permissions(cfg.path(), fs::Permissions::from_mode(0o640)).unwrap();
    cfg.set_tracker(&jira()).unwrap();
    assert_eq!(
        fs::metadata(cfg.path()).unwrap().permissions().mode() & 0o777,
        0o640
    );
}

#[test]
fn regression_13_5_only_small_regular_shallow_files_are_read() {
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("proj");
    fs::create_dir_all(root.join(".kittify")).unwrap();
    let cfg = root.join(".kittify/config.yaml");
    let config = spec_kitty_home::ProjectConfig::at_root(&root);
    // Deeply nested flow collections: refused at once, not parsed for half a minute.
    fs::write(
        &cfg,
        format!("a: {}{}\n", "[".repeat(100_000), "]".repeat(100_000)),
    )
    .unwrap();
    let start = Instant::now();
    let err = config.tracker().unwrap_err().to_string();
    assert!(start.elapsed() < Duration::from_secs(2), "bounded time");
    assert!(err.contains("nests brackets deeper than 64"), "{err}");
    // Too large.
    fs::write(&cfg, "# x\n".repeat(400_000)).unwrap();
    assert!(
        config
            .tracker()
            .unwrap_err()
            .to_string()
            .contains("larger than 1024 KiB")
    );
    // A FIFO: refused without blocking on it.
    fs::remove_file(&cfg).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(&cfg)
        .status()
        .unwrap();
    assert!(made.success());
    let err = config.tracker().unwrap_err().to_string();
    assert!(err.contains("not a regular file"), "{err}");
    // /dev/zero as the credentials file: refused, never read.
    let home = spec_kitty_home::SpecKittyHome::at(dir.path().join("home"));
    fs::create_dir_all(home.dir()).unwrap();
    std::os::unix::fs::symlink("/dev/zero", home.credentials_path()).unwrap();
    let err = spec_kitty_home::CredentialStore::new(&home)
        .get_provider("jira")
        .unwrap_err()
        .to_string();
    assert!(err.contains("not a regular file"), "{err}");
}

#[test]
fn regression_13_12_a_config_with_a_byte_order_mark_binds_and_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("proj");
    fs::create_dir_all(root.join(".kittify")).unwrap();
    let cfg = root.join(".kittify/config.yaml");
    fs::write(&cfg, "\u{feff}project:\n  slug: spec-kitty\n").unwrap();
    let config = spec_kitty_home::ProjectConfig::at_root(&root);
    assert_eq!(config.identity().slug.as_deref(), Some("spec-kitty"));
    let t = spec_kitty_home::TrackerConfig {
        provider: Some("jira".into()),
        workspace: Some("w".into()),
        ..spec_kitty_home::TrackerConfig::default()
    };
    config.set_tracker(&t).unwrap();
    let text = fs::read_to_string(&cfg).unwrap();
    assert!(
        text.starts_with("\u{feff}project:\n  slug: spec-kitty\n"),
        "{text:?}"
    );
    assert_eq!(text.matches('\u{feff}').count(), 1);
    assert_eq!(config.tracker().unwrap().binding(), Some(("jira", "w")));
    config.clear_tracker().unwrap();
    assert_eq!(
        fs::read_to_string(&cfg).unwrap(),
        "\u{feff}project:\n  slug: spec-kitty\n"
    );
}

#[test]
fn an_interrupted_bind_is_finished_by_recovery_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("proj");
    fs::create_dir_all(root.join(".kittify")).unwrap();
    let cfg = root.join(".kittify/config.yaml");
    fs::write(&cfg, "project:\n  slug: s\n").unwrap();
    let home = spec_kitty_home::SpecKittyHome::at(dir.path().join("home"));
    fs::create_dir_all(home.dir()).unwrap();
    // What a bind killed after writing its journal (and the config) leaves behind.
    let journal = serde_json::json!({
        "config_path": cfg,
        "config_old": "project:\n  slug: s\n",
        "config_new": "project:\n  slug: s\ntracker:\n  provider: jira\n  workspace: w\n",
        "credentials_old": null,
        "credentials_new": "[tracker.providers.jira]\nproject_key = \"A\"\n",
    });
    fs::write(home.dir().join("binding.journal"), journal.to_string()).unwrap();
    let done = spec_kitty_home::recover_binding(&home).unwrap();
    assert_eq!(
        done.as_deref(),
        Some("finished an interrupted bind or unbind")
    );
    assert!(fs::read_to_string(&cfg).unwrap().contains("workspace: w"));
    assert!(
        fs::read_to_string(home.credentials_path())
            .unwrap()
            .contains("project_key = \"A\"")
    );
    assert!(!home.dir().join("binding.journal").exists());
    assert_eq!(
        spec_kitty_home::recover_binding(&home).unwrap(),
        None,
        "nothing left to do"
    );
}

#[test]
fn the_status_map_round_trips_and_the_doctrine_says_who_may_write_the_status() {
    let (_dir, cfg) = project(Some("project:\n  slug: s\n"));
    cfg.set_tracker(&jira_with_status_map()).unwrap();
    let read = cfg.tracker().unwrap();
    assert_eq!(
        read.status_map,
        jira_with_status_map().status_map,
        "quoted where YAML needs it"
    );
    let text = fs::read_to_string(cfg.path()).unwrap();
    assert!(
        text.contains("  status_map:\n    done: Shipped\n    for_review: \"Needs: review\"\n"),
        "{text}"
    );
    let mut t = jira();
    assert!(
        !t.may_write("status"),
        "external_authoritative: the tracker owns it"
    );
    t.doctrine_mode = "split_ownership".into();
    assert!(!t.may_write("status"), "owned external");
    assert!(
        t.may_write("title"),
        "an owner the Python CLI ignores counts as shared"
    );
    assert_eq!(t.field_owner("title"), "shared");
    assert_eq!(t.field_owner("body"), "shared");
    t.field_owners = vec![("status".into(), "local".into())];
    assert!(t.may_write("status"));
    t.doctrine_mode = "spec_kitty_authoritative".into();
    t.field_owners = vec![("status".into(), "external".into())];
    assert!(t.may_write("status"));
}
