//! The checksum manifest that freezes `fixtures/`: `fixtures/MANIFEST.blake3`, one line per
//! fixture, `<blake3 hex>  <path relative to fixtures/>`, sorted by path.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use anyhow::{Context, Result, bail};

pub(crate) const MANIFEST: &str = "MANIFEST.blake3";

fn walk(dir: &Path, base: &Path, out: &mut BTreeMap<String, String>) -> Result<()> {
    for entry in fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, base, out)?;
            continue;
        }
        let rel = path
            .strip_prefix(base)
            .context("fixture outside fixtures/")?
            .to_string_lossy()
            .replace('\\', "/");
        if rel == MANIFEST {
            continue;
        }
        let bytes = fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        out.insert(rel, blake3::hash(&bytes).to_hex().to_string());
    }
    Ok(())
}

fn actual(root: &Path) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let base = root.join("fixtures");
    walk(&base, &base, &mut out)?;
    Ok(out)
}

fn render(entries: &BTreeMap<String, String>) -> String {
    entries.iter().map(|(p, h)| format!("{h}  {p}\n")).collect()
}

/// Compares the manifest with the files.
pub(crate) fn verify(root: &Path) -> Result<()> {
    let path = root.join("fixtures").join(MANIFEST);
    let text = fs::read_to_string(&path).with_context(|| {
        format!(
            "reading {} (create it with `cargo xtask freeze-fixtures`)",
            path.display()
        )
    })?;
    let mut listed = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let Some((hash, rel)) = line.split_once("  ") else {
            bail!("{MANIFEST}:{}: expected `<hash>  <path>`", i + 1);
        };
        listed.insert(rel.to_owned(), hash.to_owned());
    }
    let files = actual(root)?;
    let mut problems = Vec::new();
    for (rel, hash) in &files {
        match listed.get(rel) {
            None => problems.push(format!("{rel} is not in the manifest")),
            Some(h) if h != hash => problems.push(format!("{rel} changed (frozen fixture)")),
            Some(_) => {}
        }
    }
    for rel in listed.keys().filter(|r| !files.contains_key(*r)) {
        problems.push(format!("{rel} is listed but missing"));
    }
    if !problems.is_empty() {
        bail!(
            "{}; fixtures are frozen: restore them, or if the change is deliberate and agreed, run `cargo xtask freeze-fixtures` and commit",
            problems.join(", ")
        );
    }
    Ok(())
}

/// Rewrites the manifest from the files (a deliberate act, reviewed in the diff).
pub(crate) fn freeze(root: &Path) -> Result<usize> {
    let files = actual(root)?;
    fs::write(root.join("fixtures").join(MANIFEST), render(&files))?;
    Ok(files.len())
}
