//! The features of a project: `kitty-specs/<feature>/` with its `meta.json`, its
//! `tasks/WP*.md` front matter and its lane log.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::log::{BadLine, LaneRow, LogReader};
use crate::reduce::reduce;

/// The directory of a project that holds its features.
pub const FEATURES_DIR: &str = "kitty-specs";
/// A feature's lane log.
pub const LANE_LOG: &str = "status.events.jsonl";
/// The largest `meta.json` or WP file read.
pub const MAX_FILE: u64 = 1024 * 1024;

/// Why a project's history cannot be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LaneLogError {
    /// A file or directory could not be read.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> LaneLogError {
    let path = path.to_path_buf();
    move |source| LaneLogError::Io {
        action,
        path,
        source,
    }
}

/// `meta.json` of a feature: the fields the history import reads (each as written, `None`
/// when absent or not a string).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeatureMeta {
    /// `feature_slug`.
    pub feature_slug: Option<String>,
    /// `feature_number` (`"001"`).
    pub feature_number: Option<String>,
    /// `target_branch`.
    pub target_branch: Option<String>,
    /// `created_at` (ISO 8601).
    pub created_at: Option<String>,
    /// `friendly_name`.
    pub friendly_name: Option<String>,
}

/// A work package from the front matter of its `tasks/WP*.md`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkPackage {
    /// `work_package_id` (else the `WPnn` the file name starts with).
    pub wp_id: String,
    /// `title`.
    pub title: Option<String>,
    /// `lane` (the Python CLI keeps it in step with the lane log).
    pub lane: Option<String>,
    /// `dependencies`: the WP ids listed.
    pub dependencies: Vec<String>,
    /// The first `history` entry's `timestamp`: when the WP was generated.
    pub created_at: Option<String>,
    /// The file.
    pub path: PathBuf,
}

/// One feature of a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feature {
    /// The directory name (`001-history-import`).
    pub slug: String,
    /// The directory.
    pub dir: PathBuf,
    /// `meta.json`, when present and readable.
    pub meta: Option<FeatureMeta>,
    /// Why `meta.json` could not be read, when it exists but is unreadable.
    pub meta_problem: Option<String>,
    /// The work packages, by id.
    pub work_packages: Vec<WorkPackage>,
    /// WP files whose front matter could not be read, with why.
    pub wp_problems: Vec<(PathBuf, String)>,
}

/// Reads a small file, refusing one larger than [`MAX_FILE`] or not a regular file.
fn read_small(path: &Path) -> Result<Option<String>, String> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    if !meta.is_file() {
        return Err("not a regular file".to_owned());
    }
    if meta.len() > MAX_FILE {
        return Err(format!("larger than {MAX_FILE} bytes"));
    }
    let mut text = String::new();
    File::open(path)
        .and_then(|f| f.take(MAX_FILE + 1).read_to_string(&mut text))
        .map_err(|e| e.to_string())?;
    Ok(Some(text))
}

fn text_of(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(str::to_owned)
}

fn parse_meta(text: &str) -> Result<FeatureMeta, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON ({e})"))?;
    let Value::Object(o) = v else {
        return Err("not a JSON object".to_owned());
    };
    Ok(FeatureMeta {
        feature_slug: text_of(o.get("feature_slug")).or_else(|| text_of(o.get("slug"))),
        feature_number: text_of(o.get("feature_number")),
        target_branch: text_of(o.get("target_branch")),
        created_at: text_of(o.get("created_at")),
        friendly_name: text_of(o.get("friendly_name")),
    })
}

/// The YAML between the leading `---` line and the next `---` line.
fn front_matter(text: &str) -> Option<&str> {
    let rest = text
        .strip_prefix("\u{feff}")
        .unwrap_or(text)
        .strip_prefix("---")?;
    let rest = rest
        .strip_prefix("\r\n")
        .or_else(|| rest.strip_prefix('\n'))?;
    let mut at = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "---" {
            return Some(&rest[..at]);
        }
        at += line.len();
    }
    None
}

fn yaml_text(v: Option<&yaml_serde::Value>) -> Option<String> {
    match v? {
        yaml_serde::Value::String(s) => Some(s.clone()),
        yaml_serde::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn parse_wp(path: &Path, text: &str) -> Result<WorkPackage, String> {
    let yaml = front_matter(text).ok_or("no front matter between --- lines")?;
    let doc: yaml_serde::Value =
        yaml_serde::from_str(yaml).map_err(|e| format!("front matter is not YAML ({e})"))?;
    let map = doc.as_mapping().ok_or("front matter is not a mapping")?;
    let get = |k: &str| map.get(yaml_serde::Value::String(k.to_owned()));
    let from_name = path
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.get(..4))
        .filter(|p| p.starts_with("WP") && p[2..].bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_owned);
    let wp_id = yaml_text(get("work_package_id"))
        .or(from_name)
        .ok_or("no work_package_id")?;
    let dependencies = match get("dependencies") {
        Some(yaml_serde::Value::Sequence(items)) => {
            items.iter().filter_map(|i| yaml_text(Some(i))).collect()
        }
        _ => Vec::new(),
    };
    let created_at = match get("history") {
        Some(yaml_serde::Value::Sequence(items)) => items.first().and_then(|first| {
            yaml_text(
                first
                    .as_mapping()?
                    .get(yaml_serde::Value::String("timestamp".to_owned())),
            )
        }),
        _ => None,
    };
    Ok(WorkPackage {
        wp_id,
        title: yaml_text(get("title")),
        lane: yaml_text(get("lane")),
        dependencies,
        created_at,
        path: path.to_path_buf(),
    })
}

impl Feature {
    /// Reads the feature in `dir`: `meta.json` and the `tasks/WP*.md` front matter (the
    /// lane log is read by [`Feature::rows`] when wanted). A missing or unreadable file is
    /// noted, never an error.
    ///
    /// # Errors
    ///
    /// The `tasks/` directory exists but cannot be listed.
    pub fn load(dir: &Path) -> Result<Feature, LaneLogError> {
        let slug = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (meta, meta_problem) = match read_small(&dir.join("meta.json")) {
            Ok(None) => (None, None),
            Ok(Some(text)) => match parse_meta(&text) {
                Ok(m) => (Some(m), None),
                Err(e) => (None, Some(e)),
            },
            Err(e) => (None, Some(e)),
        };
        let mut work_packages = Vec::new();
        let mut wp_problems = Vec::new();
        let tasks = dir.join("tasks");
        if tasks.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(&tasks)
                .map_err(io("listing", &tasks))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.extension().is_some_and(|x| x == "md")
                        && p.file_name()
                            .and_then(|n| n.to_str())
                            .is_some_and(|n| n.starts_with("WP"))
                })
                .collect();
            files.sort();
            for path in files {
                match read_small(&path)
                    .and_then(|t| parse_wp(&path, t.as_deref().unwrap_or_default()))
                {
                    Ok(wp) => work_packages.push(wp),
                    Err(e) => wp_problems.push((path, e)),
                }
            }
        }
        work_packages.sort_by(|a, b| a.wp_id.cmp(&b.wp_id));
        Ok(Feature {
            slug,
            dir: dir.to_path_buf(),
            meta,
            meta_problem,
            work_packages,
            wp_problems,
        })
    }

    /// The feature slug: `meta.json`'s, else the directory name.
    #[must_use]
    pub fn feature_slug(&self) -> &str {
        self.meta
            .as_ref()
            .and_then(|m| m.feature_slug.as_deref())
            .unwrap_or(&self.slug)
    }

    /// The lane log's path.
    #[must_use]
    pub fn lane_log_path(&self) -> PathBuf {
        self.dir.join(LANE_LOG)
    }

    /// The lane log, streamed; `None` when the feature has none.
    ///
    /// # Errors
    ///
    /// The file exists but cannot be opened.
    pub fn rows(&self) -> Result<Option<LogReader<BufReader<File>>>, LaneLogError> {
        let path = self.lane_log_path();
        match File::open(&path) {
            Ok(f) => Ok(Some(LogReader::new(BufReader::with_capacity(
                256 * 1024,
                f,
            )))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io("opening", &path)(e)),
        }
    }

    /// The whole lane log: its rows and its bad lines (empty when there is none).
    ///
    /// # Errors
    ///
    /// The file cannot be read.
    pub fn read_log(&self) -> Result<(Vec<LaneRow>, Vec<BadLine>), LaneLogError> {
        let mut rows = Vec::new();
        let mut bad = Vec::new();
        if let Some(reader) = self.rows()? {
            for item in reader {
                match item.map_err(io("reading", &self.lane_log_path()))? {
                    Ok(r) => rows.push(r),
                    Err(b) => bad.push(b),
                }
            }
        }
        Ok((rows, bad))
    }

    /// Each work package's current lane: from the lane log when the feature has one (the
    /// reducer's answer), else from the `lane:` front matter of its WP files.
    ///
    /// # Errors
    ///
    /// The lane log cannot be read.
    pub fn current_lanes(&self) -> Result<BTreeMap<String, String>, LaneLogError> {
        if self.lane_log_path().exists() {
            let (rows, _) = self.read_log()?;
            return Ok(reduce(&rows)
                .into_iter()
                .map(|(wp, s)| (wp, s.lane))
                .collect());
        }
        Ok(self
            .work_packages
            .iter()
            .filter_map(|wp| Some((wp.wp_id.clone(), wp.lane.clone()?)))
            .collect())
    }
}

/// The features of the project at `root` (`kitty-specs/*/`), by directory name; none when
/// there is no `kitty-specs/`.
///
/// # Errors
///
/// `kitty-specs/` or a feature's `tasks/` cannot be listed.
pub fn scan_features(root: &Path) -> Result<Vec<Feature>, LaneLogError> {
    let dir = root.join(FEATURES_DIR);
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(io("listing", &dir))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs.iter().map(|d| Feature::load(d)).collect()
}
