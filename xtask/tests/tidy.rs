//! Cheap conventions, checked inside `cargo test` over every crate of the workspace (found
//! on disk, not listed here): a crate doc that says what the crate owns and must not do,
//! workspace lints and pinned versions, an ARCHITECTURE.md entry, and library code (whole
//! files, minus their `#[cfg(test)]` modules) that never prints, unwraps or panics.

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

/// Every member crate directory: `crates/*`, `examples/*` and `xtask`.
fn crate_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = ["crates", "examples"]
        .iter()
        .flat_map(|d| fs::read_dir(repo().join(d)).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("Cargo.toml").is_file())
        .collect();
    dirs.sort();
    dirs.push(repo().join("xtask"));
    assert!(dirs.len() >= 7, "{dirs:?}");
    dirs
}

fn package_name(dir: &Path) -> String {
    let toml = fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    toml.lines()
        .find_map(|l| l.strip_prefix("name = \""))
        .and_then(|l| l.strip_suffix('"'))
        .unwrap()
        .to_owned()
}

/// `text` without its `#[cfg(test)]` items (a `mod tests { ... }` block is skipped by
/// matching braces) and without comment lines.
fn non_test_code(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        let Some(open) = after.find('{') else {
            rest = "";
            break;
        };
        let mut depth = 0usize;
        let mut end = after.len();
        for (i, c) in after[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn non_test_code_keeps_what_follows_a_test_module() {
    let code = non_test_code(
        "fn a() {}\n#[cfg(test)]\nmod tests {\n fn t() { x.unwrap(); }\n}\nfn b() { y.unwrap() }\n",
    );
    assert!(code.contains("fn b() { y.unwrap() }"), "{code}");
    assert!(!code.contains("x.unwrap"), "{code}");
}

#[test]
fn every_crate_has_a_crate_doc_with_its_boundaries() {
    for dir in crate_dirs() {
        let lib = dir.join("src/lib.rs");
        let main = dir.join("src/main.rs");
        let root = if lib.is_file() { lib.clone() } else { main };
        let text = fs::read_to_string(&root).unwrap();
        assert!(
            text.starts_with("//!"),
            "{} does not start with a crate doc",
            root.display()
        );
        if root == lib {
            assert!(
                text.contains("must never") || text.contains("must not"),
                "{}: say what it must never do",
                root.display()
            );
            assert!(
                text.contains("#![deny(missing_docs)]"),
                "{}",
                root.display()
            );
            assert!(
                text.contains("#![forbid(unsafe_code)]"),
                "{}",
                root.display()
            );
        }
    }
}

#[test]
fn every_crate_uses_workspace_lints_and_pinned_versions() {
    for dir in crate_dirs() {
        let toml = fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        assert!(
            toml.contains("[lints]\nworkspace = true"),
            "{}: [lints] workspace = true",
            dir.display()
        );
        let mut in_deps = false;
        for line in toml.lines() {
            if line.starts_with('[') {
                in_deps = line.contains("dependencies");
                continue;
            }
            if in_deps && line.contains('=') && !line.trim_start().starts_with('#') {
                assert!(
                    line.contains("workspace = true") || line.contains(".workspace = true"),
                    "{}: `{line}` pins a version outside [workspace.dependencies]",
                    dir.display()
                );
            }
        }
    }
}

#[test]
fn every_crate_has_a_line_in_architecture_md() {
    let arch = fs::read_to_string(repo().join("ARCHITECTURE.md")).unwrap();
    for dir in crate_dirs() {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            arch.contains(&format!("| `{name}` |")),
            "ARCHITECTURE.md has no row for `{name}` (package {})",
            package_name(&dir)
        );
    }
}

#[test]
fn libraries_never_print_or_unwrap_on_input() {
    for dir in crate_dirs() {
        if !dir.join("src/lib.rs").is_file() {
            continue;
        }
        let mut files = Vec::new();
        rust_files(&dir.join("src"), &mut files);
        for f in files {
            if f.components().any(|c| c.as_os_str() == "bin") {
                continue; // a library crate's own binary may print
            }
            let code = non_test_code(&fs::read_to_string(&f).unwrap());
            for banned in [
                "println!",
                "eprintln!",
                "print!(",
                "eprint!(",
                "dbg!(",
                ".unwrap()",
                ".expect(",
                "panic!(",
                "todo!(",
                "unimplemented!(",
            ] {
                assert!(!code.contains(banned), "{} uses {banned}", f.display());
            }
        }
    }
}

/// The sibling crates (by directory name) in one table of a Cargo.toml.
fn sibling_deps(dir: &Path, table: &str) -> std::collections::BTreeSet<String> {
    let toml = fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    let siblings: Vec<(String, String)> = crate_dirs()
        .iter()
        .map(|d| {
            (
                package_name(d),
                d.file_name().unwrap().to_string_lossy().into_owned(),
            )
        })
        .collect();
    let mut out = std::collections::BTreeSet::new();
    let mut inside = false;
    for line in toml.lines() {
        if line.starts_with('[') {
            inside = line.trim() == format!("[{table}]");
            continue;
        }
        if !inside {
            continue;
        }
        let name = line.split(['.', ' ', '=']).next().unwrap_or("").trim();
        if let Some((_, dir)) = siblings.iter().find(|(pkg, _)| pkg == name) {
            out.insert(dir.clone());
        }
    }
    out
}

/// `crate -> a, b` lines of ARCHITECTURE.md's machine-checked dependency block (the
/// fenced block after `<!-- dependency-diagram -->`).
fn diagram() -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let arch = fs::read_to_string(repo().join("ARCHITECTURE.md")).unwrap();
    let at = arch
        .find("<!-- dependency-diagram -->")
        .expect("ARCHITECTURE.md has a <!-- dependency-diagram --> block");
    let block = &arch[at..];
    let start = block.find("```").unwrap() + 3;
    let block = &block[start..];
    let block = &block[block.find('\n').unwrap() + 1..];
    let block = &block[..block.find("```").unwrap()];
    let mut out = std::collections::BTreeMap::new();
    for line in block.lines().filter(|l| !l.trim().is_empty()) {
        let (from, to) = line
            .split_once("->")
            .unwrap_or_else(|| panic!("diagram line `{line}` is not `crate -> deps`"));
        let deps = to
            .split(',')
            .map(str::trim)
            .filter(|d| !d.is_empty() && *d != "(none)")
            .map(str::to_owned)
            .collect();
        assert!(
            out.insert(from.trim().to_owned(), deps).is_none(),
            "`{}` is listed twice",
            from.trim()
        );
    }
    out
}

#[test]
fn the_architecture_diagram_matches_the_cargo_files() {
    let diagram = diagram();
    for dir in crate_dirs() {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let listed = diagram
            .get(&name)
            .unwrap_or_else(|| panic!("ARCHITECTURE.md's diagram has no line for `{name}`"));
        let actual = sibling_deps(&dir, "dependencies");
        assert_eq!(
            listed, &actual,
            "ARCHITECTURE.md's diagram line for `{name}` differs from its Cargo.toml [dependencies]"
        );
    }
    assert_eq!(
        diagram.len(),
        crate_dirs().len(),
        "a diagram line names no crate"
    );
}

#[test]
fn dependencies_point_down_with_no_cycle_and_only_tools_depend_on_the_test_receiver() {
    let diagram = diagram();
    // A depth-first walk finds any cycle.
    fn visit<'a>(
        n: &'a str,
        d: &'a std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
        path: &mut Vec<&'a str>,
    ) {
        assert!(!path.contains(&n), "dependency cycle: {path:?} -> {n}");
        path.push(n);
        for dep in d.get(n).into_iter().flatten() {
            visit(dep, d, path);
        }
        path.pop();
    }
    for n in diagram.keys() {
        visit(n, &diagram, &mut Vec::new());
    }
    for (from, deps) in &diagram {
        if from != "xtask" {
            assert!(
                !deps.contains("contract-server"),
                "`{from}` depends on contract-server (a dev-dependency only)"
            );
        }
    }
    for core in ["routing-core", "event-envelope"] {
        assert!(
            diagram[core].is_empty(),
            "`{core}` is a core without siblings"
        );
    }
    for events in ["event-envelope", "event-store", "event-client"] {
        assert!(
            !diagram[events].iter().any(|d| d.starts_with("tracker")),
            "`{events}` depends on a tracker crate"
        );
    }
}

#[test]
fn every_rust_file_starts_with_a_module_doc() {
    for dir in crate_dirs() {
        let mut files = Vec::new();
        for sub in ["src", "tests", "examples", "benches"] {
            if dir.join(sub).is_dir() {
                rust_files(&dir.join(sub), &mut files);
            }
        }
        for f in files {
            let text = fs::read_to_string(&f).unwrap();
            assert!(
                text.starts_with("//!"),
                "{} does not start with `//!`",
                f.display()
            );
        }
    }
}

#[test]
fn no_library_string_names_a_command_or_a_flag() {
    // Hints live in the CLI: a library error names the bad thing; the CLI adds "run X".
    for dir in crate_dirs() {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        if !dir.join("src/lib.rs").is_file() || name == "cli" || name == "contract-server" {
            continue;
        }
        let mut files = Vec::new();
        rust_files(&dir.join("src"), &mut files);
        for f in files {
            let code = non_test_code(&fs::read_to_string(&f).unwrap());
            for line in code.lines().filter(|l| l.contains('"')) {
                for word in [
                    "`spec-kitty ",
                    "spec-kitty tracker bind",
                    "spec-kitty tracker sync",
                    "spec-kitty sync now",
                    "spec-kitty auth login",
                    "spec-kitty events emit",
                ] {
                    assert!(
                        !line.contains(word),
                        "{}: a library string names a command or a flag: {}",
                        f.display(),
                        line.trim()
                    );
                }
                // A flag: ` --` and a letter (` ---` is YAML, not a flag).
                let flag = line
                    .match_indices(" --")
                    .any(|(i, _)| line[i + 3..].starts_with(|c: char| c.is_ascii_lowercase()));
                assert!(
                    !flag,
                    "{}: a library string names a flag: {}",
                    f.display(),
                    line.trim()
                );
            }
        }
    }
}
