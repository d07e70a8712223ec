//! The git context of a working tree, read from the repository's files (no `git` process:
//! a few small reads, well under a millisecond).
//!
//! `.git` may be a directory, or a file `gitdir: <path>` (linked worktrees, submodules);
//! a worktree's refs and config live in its `commondir`. `HEAD` is `ref: refs/heads/x`
//! (a branch: its commit from the loose ref or `packed-refs`) or a commit id (detached).

use std::fs;
use std::path::{Path, PathBuf};

/// The branch, HEAD commit and repository slug of a working tree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GitContext {
    /// The current branch; `None` when HEAD is detached or there is no repository.
    pub branch: Option<String>,
    /// The HEAD commit (40 lowercase hex); `None` before the first commit.
    pub head_commit_sha: Option<String>,
    /// `owner/name` (or `group/sub/name`) parsed from the `origin` remote.
    pub origin_slug: Option<String>,
    /// The `.git` directory found (the worktree's own, for a linked worktree).
    pub git_dir: Option<PathBuf>,
}

const MAX_FILE: u64 = 1024 * 1024;

fn read_small(path: &Path) -> Option<String> {
    let meta = fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_FILE * 64 {
        return None;
    }
    fs::read_to_string(path).ok()
}

/// The `.git` directory of the working tree containing `start`.
fn find_git_dir(start: &Path) -> Option<PathBuf> {
    for dir in start.ancestors() {
        let dot = dir.join(".git");
        let Ok(meta) = fs::symlink_metadata(&dot) else {
            continue;
        };
        if meta.is_dir() {
            return Some(dot);
        }
        if meta.is_file() {
            let text = read_small(&dot)?;
            let target = text.lines().next()?.strip_prefix("gitdir:")?.trim();
            let p = Path::new(target);
            return Some(if p.is_absolute() {
                p.to_path_buf()
            } else {
                dir.join(p)
            });
        }
    }
    None
}

/// Where refs, `packed-refs` and `config` live: `commondir` for a linked worktree.
fn common_dir(git_dir: &Path) -> PathBuf {
    match read_small(&git_dir.join("commondir")) {
        Some(text) => {
            let p = Path::new(text.trim());
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                git_dir.join(p)
            }
        }
        None => git_dir.to_path_buf(),
    }
}

fn is_sha(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The commit a full ref name points at (a loose ref, a symbolic ref, or `packed-refs`).
fn resolve_ref(git_dir: &Path, common: &Path, name: &str, depth: u8) -> Option<String> {
    if depth > 5 || name.contains("..") {
        return None;
    }
    for base in [git_dir, common] {
        if let Some(text) = read_small(&base.join(name)) {
            let t = text.trim();
            if let Some(target) = t.strip_prefix("ref:") {
                return resolve_ref(git_dir, common, target.trim(), depth + 1);
            }
            if is_sha(t) {
                return Some(t.to_ascii_lowercase());
            }
        }
    }
    let packed = read_small(&common.join("packed-refs"))?;
    packed.lines().find_map(|line| {
        let (sha, r) = line.split_once(' ')?;
        (r.trim() == name && is_sha(sha)).then(|| sha.to_ascii_lowercase())
    })
}

/// The `url` of `[remote "origin"]` in a git config file.
fn origin_url(config: &str) -> Option<String> {
    let mut in_origin = false;
    for line in config.lines() {
        let l = line.trim();
        if l.starts_with('[') {
            let header = l.trim_start_matches('[').trim_end_matches(']').trim();
            in_origin = header == "remote \"origin\"";
            continue;
        }
        if in_origin
            && let Some((k, v)) = l.split_once('=')
            && k.trim().eq_ignore_ascii_case("url")
        {
            let v = v.trim().trim_matches('"');
            return (!v.is_empty()).then(|| v.to_owned());
        }
    }
    None
}

/// The git context of the working tree containing `start` (all `None` outside a
/// repository).
#[must_use]
pub fn git_context(start: &Path) -> GitContext {
    let Some(git_dir) = find_git_dir(start) else {
        return GitContext::default();
    };
    let common = common_dir(&git_dir);
    let head = read_small(&git_dir.join("HEAD")).unwrap_or_default();
    let head = head.trim();
    let (branch, head_commit_sha) = match head.strip_prefix("ref:") {
        Some(r) => {
            let r = r.trim();
            let branch = r.strip_prefix("refs/heads/").map(str::to_owned);
            (branch, resolve_ref(&git_dir, &common, r, 0))
        }
        None if is_sha(head) => (None, Some(head.to_ascii_lowercase())),
        None => (None, None),
    };
    let origin_slug = read_small(&common.join("config"))
        .and_then(|c| origin_url(&c))
        .and_then(|u| repo_slug_from_remote(&u));
    GitContext {
        branch,
        head_commit_sha,
        origin_slug,
        git_dir: Some(git_dir),
    }
}

/// `owner/name` from a remote URL: `git@host:o/r.git`, `host:o/r`,
/// `https://[user[:pass]@]host[:port]/o/r[.git][/]`, `ssh://git@host:port/o/r.git`,
/// `git://host/o/r`, GitLab subgroups (`a/b/c`), Azure (`org/proj/_git/repo` ->
/// `org/proj/repo`). Case is kept. Local paths and single-segment paths give `None`; a
/// credential in the URL never reaches the result.
#[must_use]
pub fn repo_slug_from_remote(url: &str) -> Option<String> {
    let url = url.trim();
    let path = if let Some((scheme, rest)) = url.split_once("://") {
        if !matches!(
            scheme.to_ascii_lowercase().as_str(),
            "https" | "http" | "ssh" | "git" | "git+ssh" | "ssh+git"
        ) {
            return None;
        }
        let (_, path) = rest.split_once('/')?;
        path
    } else {
        // scp-like `[user@]host:path`; a local path has no colon before its first slash.
        let colon = url.find(':')?;
        if url[..colon].contains('/') || url[..colon].is_empty() {
            return None;
        }
        &url[colon + 1..]
    };
    let path = path.split(['?', '#']).next().unwrap_or("");
    let path = path.trim_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    let mut parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    // Azure DevOps: org/project/_git/repo (an optional leading `v3` for ssh.dev.azure.com).
    if let Some(i) = parts.iter().position(|p| *p == "_git") {
        parts.remove(i);
    }
    if parts.first() == Some(&"v3") && parts.len() == 4 {
        parts.remove(0);
    }
    if parts.len() < 2 || parts.iter().any(|p| *p == "." || *p == "..") {
        return None;
    }
    Some(parts.join("/"))
}

/// Whether `s` is a `repo_slug` the envelope accepts (`owner/name`, subgroups allowed,
/// `[A-Za-z0-9._-]` segments): the one rule, for the config's slug and the remote's.
#[must_use]
pub fn is_repo_slug(s: &str) -> bool {
    event_envelope::formats::is_repo_slug(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_remote_form_gives_its_slug() {
        for (url, want) in [
            (
                "git@github.com:Priivacy-ai/spec-kitty.git",
                Some("Priivacy-ai/spec-kitty"),
            ),
            ("github.com:owner/repo", Some("owner/repo")),
            ("https://github.com/Owner/Repo.git", Some("Owner/Repo")),
            ("https://github.com/owner/repo/", Some("owner/repo")),
            (
                "https://user:hunter2@gitlab.example:8443/a/b/c.git",
                Some("a/b/c"),
            ),
            (
                "ssh://git@host.example:2222/owner/repo.git",
                Some("owner/repo"),
            ),
            ("git://host.example/owner/repo", Some("owner/repo")),
            (
                "https://dev.azure.com/org/proj/_git/repo",
                Some("org/proj/repo"),
            ),
            (
                "git@ssh.dev.azure.com:v3/org/proj/repo",
                Some("org/proj/repo"),
            ),
            ("/srv/git/repo.git", None),
            ("../relative/repo", None),
            ("file:///srv/git/owner/repo.git", None),
            ("https://host.example/single", None),
            ("git@host:single.git", None),
            ("", None),
        ] {
            assert_eq!(repo_slug_from_remote(url).as_deref(), want, "{url}");
        }
    }

    #[test]
    fn slugs_are_checked() {
        assert!(is_repo_slug("owner/name"));
        assert!(is_repo_slug("group/sub/name"));
        assert!(!is_repo_slug("single"));
        assert!(!is_repo_slug("a//b"));
        assert!(!is_repo_slug("a/b c"));
    }
}
