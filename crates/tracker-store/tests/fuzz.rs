//! Fuzz-style property tests of the parsers that read files a user (or another tool)
//! writes: whatever the bytes, no panic, bounded time, and an error that is one line.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers
#![allow(clippy::disallowed_methods)] // tests lay out fixture files directly

use std::time::{Duration, Instant};

use proptest::prelude::*;
use spec_kitty_home::{CredentialStore, ProjectConfig, SpecKittyHome, TrackerConfig};
use tracker_store::IssueCache;

/// Text built from the pieces these formats are made of, plus arbitrary characters.
fn texty(pieces: &'static [&'static str]) -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            4 => proptest::sample::select(pieces).prop_map(str::to_owned),
            1 => any::<char>().prop_map(|c| c.to_string()),
        ],
        0..60,
    )
    .prop_map(|v| v.concat())
}

const YAML: &[&str] = &[
    "tracker:",
    "project:",
    "  provider: ",
    "  workspace: ",
    "  doctrine:",
    "    mode: ",
    "    field_owners:",
    "      title: ",
    "jira",
    "Jira",
    "\n",
    "\r\n",
    "  ",
    "- ",
    "[",
    "]",
    "{",
    "}",
    ",",
    ": ",
    "'",
    "\"",
    "|",
    ">",
    "&a ",
    "*a",
    "!!str ",
    "#",
    "\u{feff}",
    "~",
    "null",
    "yes",
    "1.5",
    "uuid: ",
    "slug: ",
    "---\n",
    "...\n",
    "\t",
];
const TOML: &[&str] = &[
    "[tracker.providers.jira]",
    "[[tracker.providers.jira]]",
    "[tracker]",
    "[user]",
    "[server]",
    "[tokens]",
    "tracker = {providers = {jira = {",
    "}}}",
    "\n",
    "project_key = ",
    "team_id = ",
    "\"ACME\"",
    "'x'",
    "123",
    "1.5",
    "true",
    "[1, 2]",
    "{a = 1}",
    "=",
    ".",
    "\"\"\"",
    "#",
    " ",
    "url = ",
    "username = ",
    "access = ",
];

fn one_line(e: &impl std::fmt::Display) -> bool {
    !e.to_string().contains(['\n', '\r'])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn any_config_text_is_read_or_refused_on_one_line(text in texty(YAML)) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join(".kittify")).unwrap();
        std::fs::write(root.join(".kittify/config.yaml"), &text).unwrap();
        let config = ProjectConfig::at_root(root);
        let start = Instant::now();
        let _ = config.identity();
        if let Err(e) = config.tracker() {
            prop_assert!(one_line(&e), "{e}");
        }
        let t = TrackerConfig {
            provider: Some("jira".into()),
            workspace: Some("w".into()),
            ..TrackerConfig::default()
        };
        match config.set_tracker(&t) {
            Ok(()) => {
                let read = config.tracker().unwrap();
                prop_assert_eq!(read.binding(), Some(("jira", "w")));
            }
            Err(e) => {
                prop_assert!(one_line(&e), "{e}");
                let now = std::fs::read_to_string(root.join(".kittify/config.yaml")).unwrap();
                prop_assert_eq!(now, text, "a refused edit changes nothing");
            }
        }
        prop_assert!(start.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn any_credentials_text_is_read_or_refused_on_one_line(text in texty(TOML)) {
        let dir = tempfile::tempdir().unwrap();
        let home = SpecKittyHome::at(dir.path());
        std::fs::write(home.credentials_path(), &text).unwrap();
        let store = CredentialStore::new(&home);
        let start = Instant::now();
        for r in [store.get_provider("jira").map(|_| ()), store.find_provider("Jira").map(|_| ()), store.saas_login().map(|_| ())] {
            if let Err(e) = r {
                prop_assert!(one_line(&e), "{e}");
            }
        }
        let creds = [("project_key".to_owned(), routing_core::CredentialValue::String("A".into()))].into();
        if let Err(e) = store.set_provider("jira", &creds) {
            prop_assert!(one_line(&e), "{e}");
            prop_assert_eq!(std::fs::read_to_string(home.credentials_path()).unwrap(), text);
        }
        prop_assert!(start.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn any_bytes_as_a_cache_file_are_refused_on_one_line_and_left_alone(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        std::fs::write(&path, &bytes).unwrap();
        if let Err(e) = IssueCache::open_read_only(&path) {
            prop_assert!(one_line(&e), "{e}");
        }
        prop_assert_eq!(std::fs::read(&path).unwrap(), bytes);
    }
}
