//! `~/.spec-kitty/credentials`: kept tables and comments, privacy, locking across processes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers
#![allow(clippy::disallowed_methods)] // tests lay out fixture files directly

use std::fs;
use std::path::Path;
use std::process::Command;

use routing_core::CredentialValue;
use spec_kitty_home::HomeError;
use spec_kitty_home::{CredentialStore, Credentials, SpecKittyHome};

const BEFORE: &str = "\
# written by spec-kitty auth login
[tokens]
access = \"tok-access\"   # SaaS token
refresh = \"tok-refresh\"

[user]
email = \"dev@example.com\"

[tracker.providers.linear]
api_key = \"lin-key\"
team_id = 123

[server]
url = \"https://spec-kitty.example\"
";

const AFTER: &str = "\
# written by spec-kitty auth login
[tokens]
access = \"tok-access\"   # SaaS token
refresh = \"tok-refresh\"

[user]
email = \"dev@example.com\"

[tracker.providers.linear]
api_key = \"lin-key\"
team_id = 123

[tracker.providers.jira]
api_token = \"secret-token\"
project_key = \"ACME\"

[server]
url = \"https://spec-kitty.example\"
";

fn store(text: Option<&str>) -> (tempfile::TempDir, CredentialStore) {
    let dir = tempfile::tempdir().unwrap();
    let home = SpecKittyHome::at(dir.path().join(".spec-kitty"));
    if let Some(t) = text {
        fs::create_dir_all(home.dir()).unwrap();
        fs::write(home.credentials_path(), t).unwrap();
    }
    (dir, CredentialStore::new(&home))
}

fn creds(pairs: &[(&str, &str)]) -> Credentials {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), CredentialValue::String((*v).to_owned())))
        .collect()
}

#[test]
fn set_keeps_other_tables_and_comments_golden() {
    let (_d, s) = store(Some(BEFORE));
    s.set_provider(
        "jira",
        &creds(&[
            ("project_key", "ACME"),
            ("api_token", "secret-token"),
            ("blank", "  "),
            (" ", "x"),
        ]),
    )
    .unwrap();
    assert_eq!(fs::read_to_string(s.path()).unwrap(), AFTER);
    s.clear_provider("jira").unwrap();
    assert_eq!(fs::read_to_string(s.path()).unwrap(), BEFORE);
}

#[test]
fn get_returns_strings_and_integers_as_stored() {
    let (_d, s) = store(Some(BEFORE));
    let linear = s.get_provider("linear").unwrap();
    assert_eq!(linear["api_key"], CredentialValue::String("lin-key".into()));
    assert_eq!(linear["team_id"], CredentialValue::Integer(123));
    assert!(s.get_provider("jira").unwrap().is_empty());
    let (_d, empty) = store(None);
    assert!(empty.get_provider("jira").unwrap().is_empty());
}

#[test]
fn set_replaces_the_whole_provider_table() {
    let (_d, s) = store(None);
    s.set_provider("jira", &creds(&[("project_key", "ACME"), ("email", "a@b")]))
        .unwrap();
    s.set_provider("jira", &creds(&[("project_key", "OTHER")]))
        .unwrap();
    let got = s.get_provider("jira").unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got["project_key"], CredentialValue::String("OTHER".into()));
    assert!(!s.clear_provider("linear").unwrap());
    assert!(s.clear_provider("jira").unwrap());
}

#[test]
fn output_is_toml_1_0_that_python_reads() {
    let (_d, s) = store(None);
    s.set_provider(
        "jira",
        &creds(&[
            ("quote", "a\"b'c\\d"),
            ("unicode", "Résumé ✓"),
            ("nl", "a\nb"),
        ]),
    )
    .unwrap();
    let text = fs::read_to_string(s.path()).unwrap();
    assert!(text.starts_with("[tracker.providers.jira]\n"), "{text}");
    let got = s.get_provider("jira").unwrap();
    assert_eq!(got["quote"], CredentialValue::String("a\"b'c\\d".into()));
    assert_eq!(got["nl"], CredentialValue::String("a\nb".into()));
}

#[test]
fn malformed_toml_is_an_error_with_a_line_and_no_values_and_is_never_overwritten() {
    let bad = "[tokens]\naccess = \"very-secret-value\"\n[tracker.providers.jira\nproject_key = \"ACME\"\n";
    let (_d, s) = store(Some(bad));
    for err in [
        s.set_provider("jira", &creds(&[("project_key", "X")]))
            .unwrap_err(),
        s.clear_provider("jira").unwrap_err(),
        s.get_provider("jira").unwrap_err(),
    ] {
        let msg = err.to_string();
        assert!(
            matches!(err, HomeError::Toml { line: Some(3), .. }),
            "{msg}"
        );
        assert!(
            msg.contains("credentials") && msg.contains("at line 3"),
            "{msg}"
        );
        assert!(!msg.contains("very-secret-value"), "{msg}");
    }
    assert_eq!(fs::read_to_string(s.path()).unwrap(), bad);
}

#[test]
fn a_providers_key_of_the_wrong_type_is_refused() {
    let text = "[tracker]\nproviders = \"nope\"\n";
    let (_d, s) = store(Some(text));
    assert!(s.set_provider("jira", &creds(&[("k", "v")])).is_err());
    assert_eq!(fs::read_to_string(s.path()).unwrap(), text);
}

#[cfg(unix)]
#[test]
fn the_file_is_0600_and_the_directory_0700_from_creation() {
    use std::os::unix::fs::PermissionsExt;
    let (_d, s) = store(None);
    s.set_provider("jira", &creds(&[("api_token", "t")]))
        .unwrap();
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(s.path()), 0o600);
    assert_eq!(mode(s.path().parent().unwrap()), 0o700);
    // A pre-existing world-readable file becomes private on the next write.
    fs::set_permissions(s.path(), fs::Permissions::from_mode(0o644)).unwrap();
    s.set_provider("jira", &creds(&[("api_token", "t2")]))
        .unwrap();
    assert_eq!(mode(s.path()), 0o600);
    // No temp files are left behind.
    let names: Vec<String> = fs::read_dir(s.path().parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names
            .iter()
            .all(|n| n == "credentials" || n == "credentials.lock"),
        "{names:?}"
    );
}

const CHILD_ENV: &str = "TRACKER_STORE_TEST_CHILD_HOME";

/// Not a test on its own: the body of each writer process of the concurrency test.
#[test]
#[ignore = "helper: run as a child process by concurrent_writers_in_separate_processes_lose_nothing"]
fn child_writer() {
    let (Ok(home), Ok(provider)) = (
        std::env::var(CHILD_ENV),
        std::env::var("TRACKER_STORE_TEST_PROVIDER"),
    ) else {
        return;
    };
    let s = CredentialStore::new(&SpecKittyHome::at(home));
    for round in 0..25 {
        s.set_provider(
            &provider,
            &creds(&[("round", &round.to_string()), ("api_token", "t")]),
        )
        .unwrap();
    }
}

#[test]
fn concurrent_writers_in_separate_processes_lose_nothing() {
    let (dir, s) = store(Some(BEFORE));
    let home = s.path().parent().unwrap().to_path_buf();
    let children: Vec<_> = (0..6)
        .map(|i| {
            Command::new(std::env::current_exe().unwrap())
                .args(["--exact", "child_writer", "--ignored", "--test-threads=1"])
                .stdout(std::process::Stdio::null())
                .env(CHILD_ENV, &home)
                .env("TRACKER_STORE_TEST_PROVIDER", format!("p{i}"))
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    for i in 0..6 {
        let got = s.get_provider(&format!("p{i}")).unwrap();
        assert_eq!(got["round"], CredentialValue::String("24".into()), "p{i}");
    }
    let text = fs::read_to_string(s.path()).unwrap();
    assert!(
        text.starts_with("# written by spec-kitty auth login\n[tokens]"),
        "{text}"
    );
    assert_eq!(
        s.get_provider("linear").unwrap()["team_id"],
        CredentialValue::Integer(123)
    );
    drop(dir);
}

#[test]
fn regression_13_7_a_held_lock_is_waited_for_a_bounded_time_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let home = SpecKittyHome::at(dir.path());
    fs::create_dir_all(home.dir()).unwrap();
    let held = fs::File::create(home.dir().join("credentials.lock")).unwrap();
    held.lock().unwrap();
    let store =
        CredentialStore::new(&home).with_lock_timeout(std::time::Duration::from_millis(200));
    let start = std::time::Instant::now();
    let err = store
        .set_provider("jira", &creds(&[("project_key", "A")]))
        .unwrap_err();
    assert!(
        start.elapsed() < std::time::Duration::from_secs(5),
        "bounded"
    );
    let text = err.to_string();
    assert!(
        text.contains("credentials.lock is locked by process"),
        "{text}"
    );
    assert!(
        text.contains(&std::process::id().to_string()),
        "names the holder: {text}"
    );
    assert!(text.contains("delete the lock file"), "{text}");
    assert!(!home.credentials_path().exists(), "nothing was written");
    held.unlock().unwrap();
    store
        .set_provider("jira", &creds(&[("project_key", "A")]))
        .unwrap();
}

#[test]
fn regression_13_8_a_symlinked_credentials_file_is_written_through() {
    let dir = tempfile::tempdir().unwrap();
    let home = SpecKittyHome::at(dir.path().join("home"));
    fs::create_dir_all(home.dir()).unwrap();
    let target = dir.path().join("dotfiles-credentials");
    fs::write(
        &target,
        "[tracker.providers.jira]\napi_token = \"old-secret\"\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(&target, home.credentials_path()).unwrap();
    let store = CredentialStore::new(&home);
    store
        .set_provider("jira", &creds(&[("api_token", "new")]))
        .unwrap();
    assert!(
        fs::symlink_metadata(home.credentials_path())
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link stays a link"
    );
    let text = fs::read_to_string(&target).unwrap();
    assert!(
        text.contains("\"new\"") && !text.contains("old-secret"),
        "the target has no stale secret: {text}"
    );
}

#[test]
fn regression_13_15_temp_files_a_killed_write_left_are_cleaned_on_the_next_write() {
    let dir = tempfile::tempdir().unwrap();
    let home = SpecKittyHome::at(dir.path());
    fs::create_dir_all(home.dir()).unwrap();
    let stale = home.dir().join(".spec-kitty-AbC123.tmp");
    let fresh = home.dir().join(".spec-kitty-XyZ789.tmp");
    for p in [&stale, &fresh] {
        fs::write(p, "secret copy").unwrap();
    }
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(600);
    fs::File::options()
        .write(true)
        .open(&stale)
        .unwrap()
        .set_modified(old)
        .unwrap();
    CredentialStore::new(&home)
        .set_provider("jira", &creds(&[("project_key", "A")]))
        .unwrap();
    assert!(!stale.exists(), "a leftover from a killed write is removed");
    assert!(
        fresh.exists(),
        "a temp file that may be in use is left alone"
    );
}

#[test]
fn regression_13_11_inline_tables_are_read_and_arrays_of_tables_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let home = SpecKittyHome::at(dir.path());
    fs::create_dir_all(home.dir()).unwrap();
    fs::write(
        home.credentials_path(),
        "tracker = {providers = {jira = {project_key = \"ACME\"}, linear = {team_id = \"T\"}}}\n",
    )
    .unwrap();
    let store = CredentialStore::new(&home);
    assert_eq!(
        store.get_provider("jira").unwrap()["project_key"],
        CredentialValue::String("ACME".into())
    );
    store
        .set_provider("jira", &creds(&[("project_key", "NEW")]))
        .unwrap();
    assert_eq!(
        store.get_provider("jira").unwrap()["project_key"],
        CredentialValue::String("NEW".into())
    );
    assert_eq!(
        store.get_provider("linear").unwrap()["team_id"],
        CredentialValue::String("T".into()),
        "the other inline entry is kept"
    );
    // An array of tables is not understood: refused, never overwritten.
    let odd = "[[tracker.providers.jira]]\nproject_key = \"A\"\n";
    fs::write(home.credentials_path(), odd).unwrap();
    let err = store.get_provider("jira").unwrap_err().to_string();
    assert!(
        err.contains("`tracker.providers.jira` is not a table"),
        "{err}"
    );
    assert!(
        store
            .set_provider("jira", &creds(&[("project_key", "B")]))
            .is_err()
    );
    assert_eq!(
        fs::read_to_string(home.credentials_path()).unwrap(),
        odd,
        "left as it was"
    );
}

#[test]
fn regression_22_17_a_failed_write_names_the_file_not_its_temporary_copy() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("missing-dir").join("clock.json");
    let err = spec_kitty_home::write_atomic(&target, b"{}", 0o644).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("clock.json"), "{text}");
    assert!(
        !text.contains(".spec-kitty-") && !text.contains("temporary"),
        "{text}"
    );
}
