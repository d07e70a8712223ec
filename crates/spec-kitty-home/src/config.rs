//! `.kittify/config.yaml`: the `tracker:` section and the project identity.
//!
//! Reading parses the whole file with `yaml_serde`. Writing never re-serializes the file:
//! it replaces (bind) or removes (unbind) the text of the top-level `tracker:` block only,
//! so every other byte, comment and key order of the file stays as the user wrote it. The
//! edited text is then parsed again and compared with what was meant (the new tracker
//! section, every other top-level key unchanged, in the same order) before it is written
//! atomically. Comments inside the old `tracker:` block are replaced along with it.

use std::fs;
use std::path::{Path, PathBuf};

use yaml_serde::{Mapping, Value};

use crate::atomic;
use crate::error::{HomeError, Result, io};

/// The doctrine mode used when the config names none.
pub const DEFAULT_DOCTRINE_MODE: &str = "external_authoritative";

/// The field owners the Python CLI and spec-kitty-tracker understand (others are ignored
/// by them, so `bind` refuses them).
pub const FIELD_OWNERS: [&str; 3] = ["external", "local", "shared"];

/// The owner of a field when the doctrine names none.
pub const DEFAULT_FIELD_OWNER: &str = "shared";

/// The doctrine modes `bind` accepts.
pub const DOCTRINE_MODES: [&str; 3] = [
    "external_authoritative",
    "spec_kitty_authoritative",
    "split_ownership",
];

/// The `tracker:` section as read: strings trimmed, blanks treated as absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackerConfig {
    /// The provider, as stored (bind stores it normalized).
    pub provider: Option<String>,
    /// The workspace.
    pub workspace: Option<String>,
    /// `doctrine.mode`, default [`DEFAULT_DOCTRINE_MODE`].
    pub doctrine_mode: String,
    /// `doctrine.field_owners` in file order, blank keys and values dropped (a later
    /// duplicate key replaces an earlier one in place).
    pub field_owners: Vec<(String, String)>,
    /// `status_map`: lane -> tracker status name, in file order (ours; the Python CLI
    /// ignores the key when it reads and drops it when it binds).
    pub status_map: Vec<(String, String)>,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        TrackerConfig {
            provider: None,
            workspace: None,
            doctrine_mode: DEFAULT_DOCTRINE_MODE.to_owned(),
            field_owners: Vec::new(),
            status_map: Vec::new(),
        }
    }
}

/// Sets `key` in an ordered owner list: replaced in place if present, else appended.
pub fn set_owner(owners: &mut Vec<(String, String)>, key: String, value: String) {
    match owners.iter_mut().find(|(k, _)| *k == key) {
        Some(entry) => entry.1 = value,
        None => owners.push((key, value)),
    }
}

impl TrackerConfig {
    /// The owner of `field` as the Python CLI reads the doctrine: the listed owner when it
    /// is one of [`FIELD_OWNERS`], else [`DEFAULT_FIELD_OWNER`].
    #[must_use]
    pub fn field_owner(&self, field: &str) -> &str {
        self.field_owners
            .iter()
            .find(|(k, _)| k == field)
            .map(|(_, v)| v.as_str())
            .filter(|v| FIELD_OWNERS.contains(v))
            .unwrap_or(DEFAULT_FIELD_OWNER)
    }

    /// Whether spec-kitty may write `field` to the tracker: `spec_kitty_authoritative`, or
    /// `split_ownership` with the field owned `local` or `shared`. Under
    /// `external_authoritative` (the default) the tracker owns everything.
    #[must_use]
    pub fn may_write(&self, field: &str) -> bool {
        match self.doctrine_mode.as_str() {
            "spec_kitty_authoritative" => true,
            "split_ownership" => matches!(self.field_owner(field), "local" | "shared"),
            _ => false,
        }
    }

    /// A binding exists only when both provider and workspace are present.
    #[must_use]
    pub fn binding(&self) -> Option<(&str, &str)> {
        Some((self.provider.as_deref()?, self.workspace.as_deref()?))
    }
}

/// `project.uuid` and `project.slug`, as strings, or `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectIdentity {
    /// `project.uuid`.
    pub uuid: Option<String>,
    /// `project.slug`.
    pub slug: Option<String>,
}

/// The project's `.kittify/config.yaml`.
#[derive(Debug, Clone)]
pub struct ProjectConfig {
    path: PathBuf,
}

fn trimmed(v: Option<&Value>) -> Option<String> {
    match v {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        _ => None,
    }
}

/// Renders a YAML scalar the way Python's `str()` renders what ruamel loaded.
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(true) => Some("True".to_owned()),
        Value::Bool(false) => Some("False".to_owned()),
        _ => None,
    }
}

impl ProjectConfig {
    /// The config of the project rooted at `root`.
    #[must_use]
    pub fn at_root(root: &Path) -> Self {
        ProjectConfig {
            path: root.join(".kittify").join("config.yaml"),
        }
    }

    /// The file's path.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file's text without a UTF-8 byte-order mark (editors on Windows add one).
    fn read_text(&self) -> Result<Option<String>> {
        Ok(atomic::read_user_file(&self.path)?
            .map(|t| t.strip_prefix('\u{feff}').map(str::to_owned).unwrap_or(t)))
    }

    /// Whether the file on disk starts with a byte-order mark (kept when it is rewritten).
    fn has_bom(&self) -> bool {
        use std::io::Read;
        let mut head = [0u8; 3];
        fs::File::open(&self.path)
            .and_then(|mut f| f.read_exact(&mut head))
            .is_ok_and(|()| head == [0xEF, 0xBB, 0xBF])
    }

    fn parse(&self, text: &str) -> Result<Mapping> {
        let value: Value = yaml_serde::from_str(text).map_err(|e| HomeError::Yaml {
            path: self.path.clone(),
            line: e.location().map(|l| l.line()),
            message: e.to_string(),
        })?;
        match value {
            Value::Mapping(m) => Ok(m),
            Value::Null => Ok(Mapping::new()),
            _ => Err(HomeError::Shape {
                path: self.path.clone(),
                message: "the top level is not a mapping of sections".to_owned(),
            }),
        }
    }

    /// Reads the `tracker:` section (defaults when the file or section is absent).
    ///
    /// # Errors
    ///
    /// A read error, or [`HomeError::Yaml`] naming the line of malformed YAML.
    pub fn tracker(&self) -> Result<TrackerConfig> {
        let Some(text) = self.read_text()? else {
            return Ok(TrackerConfig::default());
        };
        let root = self.parse(&text)?;
        let Some(Value::Mapping(t)) = root.get("tracker") else {
            return Ok(TrackerConfig::default());
        };
        let mut config = TrackerConfig {
            provider: trimmed(t.get("provider")),
            workspace: trimmed(t.get("workspace")),
            ..TrackerConfig::default()
        };
        if let Some(Value::Mapping(d)) = t.get("doctrine") {
            if let Some(mode) = trimmed(d.get("mode")) {
                config.doctrine_mode = mode;
            }
            if let Some(Value::Mapping(owners)) = d.get("field_owners") {
                for (k, v) in owners {
                    if let (Some(k), Some(v)) = (scalar_text(k), scalar_text(v))
                        && !k.trim().is_empty()
                        && !v.trim().is_empty()
                    {
                        set_owner(&mut config.field_owners, k, v);
                    }
                }
            }
        }
        if let Some(Value::Mapping(map)) = t.get("status_map") {
            for (k, v) in map {
                if let (Some(k), Some(v)) = (scalar_text(k), scalar_text(v))
                    && !k.trim().is_empty()
                    && !v.trim().is_empty()
                {
                    set_owner(
                        &mut config.status_map,
                        k.trim().to_owned(),
                        v.trim().to_owned(),
                    );
                }
            }
        }
        Ok(config)
    }

    /// Checks that the file, when it exists, can be read: a regular file of at most 1 MiB
    /// whose YAML parses to a mapping.
    ///
    /// # Errors
    ///
    /// A read error (a FIFO, too large...), or [`HomeError::Yaml`] / [`HomeError::Shape`].
    pub fn check_readable(&self) -> Result<()> {
        match self.read_text()? {
            Some(text) => self.parse(&text).map(|_| ()),
            None => Ok(()),
        }
    }

    /// Reads `project.uuid` and `project.slug`. A missing or unreadable file gives both
    /// `None`, as the Python CLI does for identity purposes.
    #[must_use]
    pub fn identity(&self) -> ProjectIdentity {
        let Ok(Some(text)) = self.read_text() else {
            return ProjectIdentity::default();
        };
        let Ok(root) = self.parse(&text) else {
            return ProjectIdentity::default();
        };
        let Some(Value::Mapping(p)) = root.get("project") else {
            return ProjectIdentity::default();
        };
        ProjectIdentity {
            uuid: p.get("uuid").and_then(scalar_text),
            slug: p.get("slug").and_then(scalar_text),
        }
    }

    /// `project.repo_slug`, when set (as text). Unreadable files give `None`.
    #[must_use]
    pub fn repo_slug(&self) -> Option<String> {
        let text = self.read_text().ok()??;
        let root = self.parse(&text).ok()?;
        match root.get("project") {
            Some(Value::Mapping(p)) => p.get("repo_slug").and_then(scalar_text),
            _ => None,
        }
    }

    /// Writes the `tracker:` section (bind), keeping the rest of the file byte for byte.
    ///
    /// # Errors
    ///
    /// A read/write error, malformed YAML (file untouched), or a failed verification.
    pub fn set_tracker(&self, config: &TrackerConfig) -> Result<()> {
        let edited = self.planned_set_tracker(config)?;
        self.write_text(&edited)
    }

    /// The file's text with the `tracker:` section `config`, verified (nothing is written).
    pub(crate) fn planned_set_tracker(&self, config: &TrackerConfig) -> Result<String> {
        let text = self.read_text()?.unwrap_or_default();
        let before = self.parse(&text)?;
        if let Some(t) = before.get("tracker")
            && !matches!(t, Value::Mapping(_) | Value::Null)
        {
            return Err(HomeError::Shape {
                path: self.path.clone(),
                message: "`tracker:` is not a mapping".to_owned(),
            });
        }
        let block = render_tracker_block(config, line_ending(&text));
        let edited = match find_top_level_block(&text, "tracker") {
            Some(range) => format!("{}{}{}", &text[..range.start], block, &text[range.end..]),
            None => {
                let mut out = text.clone();
                if !out.is_empty() && !out.ends_with('\n') {
                    out.push_str(line_ending(&text));
                }
                out.push_str(&block);
                out
            }
        };
        let mut expected = before.clone();
        expected.insert(Value::from("tracker"), tracker_value(config));
        self.verify(&edited, &before, &expected)?;
        Ok(edited)
    }

    /// Removes the `tracker:` section (unbind), keeping the rest of the file byte for byte.
    /// Does nothing when there is no file or no section.
    ///
    /// # Errors
    ///
    /// As [`ProjectConfig::set_tracker`].
    pub fn clear_tracker(&self) -> Result<()> {
        match self.planned_clear_tracker()? {
            Some(edited) => self.write_text(&edited),
            None => Ok(()),
        }
    }

    /// The file's text without its `tracker:` section, verified; `None` when there is no
    /// file or no section (nothing is written).
    pub(crate) fn planned_clear_tracker(&self) -> Result<Option<String>> {
        let Some(text) = self.read_text()? else {
            return Ok(None);
        };
        let before = self.parse(&text)?;
        if !before.contains_key("tracker") {
            return Ok(None);
        }
        let Some(range) = find_top_level_block(&text, "tracker") else {
            return Err(HomeError::EditVerification {
                path: self.path.clone(),
                detail: "the tracker section is not a top-level block this editor can remove"
                    .to_owned(),
            });
        };
        let edited = format!("{}{}", &text[..range.start], &text[range.end..]);
        let mut expected = before.clone();
        expected.remove("tracker");
        self.verify(&edited, &before, &expected)?;
        Ok(Some(edited))
    }

    /// The file's text as it is now (`None`: no file).
    pub(crate) fn current_text(&self) -> Result<Option<String>> {
        self.read_text()
    }

    fn verify(&self, edited: &str, before: &Mapping, expected: &Mapping) -> Result<()> {
        let after = self
            .parse(edited)
            .map_err(|e| HomeError::EditVerification {
                path: self.path.clone(),
                detail: e.to_string(),
            })?;
        let order = |m: &Mapping| m.keys().cloned().collect::<Vec<_>>();
        if after != *expected {
            return Err(HomeError::EditVerification {
                path: self.path.clone(),
                detail: "the sections read back differ".to_owned(),
            });
        }
        // Keys other than tracker keep their order.
        let others = |m: &Mapping| {
            order(m)
                .into_iter()
                .filter(|k| k.as_str() != Some("tracker"))
                .collect::<Vec<_>>()
        };
        if others(&after) != others(before) {
            return Err(HomeError::EditVerification {
                path: self.path.clone(),
                detail: "the order of the other sections changed".to_owned(),
            });
        }
        Ok(())
    }

    /// Replaces the file with `text` (its mode kept; a new file gets the umask's).
    pub(crate) fn write_text(&self, edited: &str) -> Result<()> {
        if let Some(dir) = self.path.parent() {
            fs::create_dir_all(dir).map_err(io("creating", dir))?;
        }
        // An existing file keeps its mode; a new one gets what the umask gives.
        let new_mode = || {
            self.path
                .parent()
                .map_or(0o644, |dir| atomic::umask_mode(dir, 0o644))
        };
        let mode = if self.path.exists() {
            atomic::existing_mode(&self.path, 0o644)
        } else {
            new_mode()
        };
        if self.has_bom() {
            let with_bom = format!("\u{feff}{edited}");
            return atomic::replace(&self.path, with_bom.as_bytes(), mode);
        }
        atomic::replace(&self.path, edited.as_bytes(), mode)
    }

    /// Restores the file to `text`, or removes it when it did not exist.
    pub(crate) fn restore(&self, text: Option<&str>) -> Result<()> {
        match text {
            Some(t) => self.write_text(t),
            None => match fs::remove_file(&self.path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    Err(io("removing", &self.path)(e))
                }
                _ => Ok(()),
            },
        }
    }
}

fn tracker_value(c: &TrackerConfig) -> Value {
    let mut owners = Mapping::new();
    for (k, v) in &c.field_owners {
        owners.insert(Value::from(k.as_str()), Value::from(v.as_str()));
    }
    let mut doctrine = Mapping::new();
    doctrine.insert("mode".into(), Value::from(c.doctrine_mode.as_str()));
    doctrine.insert("field_owners".into(), Value::Mapping(owners));
    let mut t = Mapping::new();
    let opt = |s: &Option<String>| s.as_deref().map_or(Value::Null, Value::from);
    t.insert("provider".into(), opt(&c.provider));
    t.insert("workspace".into(), opt(&c.workspace));
    t.insert("doctrine".into(), Value::Mapping(doctrine));
    if !c.status_map.is_empty() {
        let mut map = Mapping::new();
        for (k, v) in &c.status_map {
            map.insert(Value::from(k.as_str()), Value::from(v.as_str()));
        }
        t.insert("status_map".into(), Value::Mapping(map));
    }
    Value::Mapping(t)
}

fn line_ending(text: &str) -> &'static str {
    if text.contains("\r\n") { "\r\n" } else { "\n" }
}

/// Words a YAML 1.1 reader (PyYAML, older tools) takes for booleans: always quoted.
const YAML11_BOOLEANS: [&str; 8] = ["y", "n", "yes", "no", "on", "off", "true", "false"];

/// A YAML scalar for `s`: plain when that reads back as the same string, else double-quoted
/// (JSON string syntax is valid YAML double-quoted syntax).
pub(crate) fn yaml_scalar(s: &str) -> String {
    let plain_ok = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | '@' | '+'))
        && !s.starts_with(['-', '.', '+', '@'])
        && !YAML11_BOOLEANS.contains(&s.to_ascii_lowercase().as_str())
        && matches!(yaml_serde::from_str::<Value>(s), Ok(Value::String(ref v)) if v == s);
    if plain_ok {
        s.to_owned()
    } else {
        serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
    }
}

fn render_tracker_block(c: &TrackerConfig, nl: &str) -> String {
    let opt = |s: &Option<String>| s.as_deref().map_or_else(|| "null".to_owned(), yaml_scalar);
    let mut out = format!("tracker:{nl}");
    out += &format!("  provider: {}{nl}", opt(&c.provider));
    out += &format!("  workspace: {}{nl}", opt(&c.workspace));
    out += &format!("  doctrine:{nl}");
    out += &format!("    mode: {}{nl}", yaml_scalar(&c.doctrine_mode));
    if c.field_owners.is_empty() {
        out += &format!("    field_owners: {{}}{nl}");
    } else {
        out += &format!("    field_owners:{nl}");
        for (k, v) in &c.field_owners {
            out += &format!("      {}: {}{nl}", yaml_scalar(k), yaml_scalar(v));
        }
    }
    if !c.status_map.is_empty() {
        out += &format!("  status_map:{nl}");
        for (k, v) in &c.status_map {
            out += &format!("    {}: {}{nl}", yaml_scalar(k), yaml_scalar(v));
        }
    }
    out
}

/// The byte range of a top-level key's block: from its key line to just before the next
/// top-level line (a key, `---` or `...`), leaving out trailing blank and column-0 comment
/// lines (those belong to what follows).
fn find_top_level_block(text: &str, key: &str) -> Option<std::ops::Range<usize>> {
    let mut lines = Vec::new();
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        lines.push((pos, line));
        pos += line.len();
    }
    let is_key_line = |line: &str| {
        let l = line.trim_end_matches(['\r', '\n']);
        [
            format!("{key}:"),
            format!("\"{key}\":"),
            format!("'{key}':"),
        ]
        .iter()
        .any(|k| {
            l.starts_with(k.as_str()) && l[k.len()..].chars().next().is_none_or(char::is_whitespace)
        })
    };
    let start_idx = lines.iter().position(|(_, l)| is_key_line(l))?;
    let mut end_idx = lines.len();
    for (i, (_, l)) in lines.iter().enumerate().skip(start_idx + 1) {
        let first = l.chars().next();
        let top_level = match first {
            None | Some(' ' | '\t' | '\r' | '\n' | '#') => false,
            Some(_) => true,
        };
        if top_level {
            end_idx = i;
            break;
        }
    }
    // Give trailing blank lines and column-0 comments back to what follows.
    while end_idx > start_idx + 1 {
        let l = lines[end_idx - 1].1;
        if l.trim().is_empty() || l.starts_with('#') {
            end_idx -= 1;
        } else {
            break;
        }
    }
    let start = lines[start_idx].0;
    let end = lines.get(end_idx).map_or(text.len(), |(p, _)| *p);
    Some(start..end)
}
