//! Cheap conventions, checked inside `cargo test`: every crate starts with a crate doc that
//! says what it owns and must not do, and library code never prints.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers

use std::fs;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn every_crate_has_a_crate_doc_with_its_boundaries() {
    let mut roots = vec![
        repo().join("xtask/src/main.rs"),
        repo().join("crates/cli/src/main.rs"),
    ];
    for lib in [
        "routing-core",
        "event-envelope",
        "tracker-store",
        "tracker-client",
        "contract-server",
    ] {
        roots.push(repo().join("crates").join(lib).join("src/lib.rs"));
    }
    for path in roots {
        let text = fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("//!"),
            "{} does not start with a crate doc",
            path.display()
        );
        if path.ends_with("lib.rs") {
            assert!(
                text.contains("What it must never do") || text.contains("must never"),
                "{}: say what it must never do",
                path.display()
            );
            assert!(
                text.contains("#![deny(missing_docs)]"),
                "{}",
                path.display()
            );
        }
    }
}

#[test]
fn libraries_never_print_or_unwrap_on_input() {
    for lib in [
        "routing-core",
        "event-envelope",
        "tracker-store",
        "tracker-client",
    ] {
        let mut files = Vec::new();
        rust_files(&repo().join("crates").join(lib).join("src"), &mut files);
        for f in files {
            let text = fs::read_to_string(&f).unwrap();
            // Only non-test code: cut at the unit-test module.
            let code: String = text
                .split("#[cfg(test)]")
                .next()
                .unwrap()
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n");
            for banned in [
                "println!",
                "eprintln!",
                "print!(",
                "eprint!(",
                "dbg!(",
                ".unwrap()",
                ".expect(",
            ] {
                assert!(!code.contains(banned), "{} uses {banned}", f.display());
            }
        }
    }
}
