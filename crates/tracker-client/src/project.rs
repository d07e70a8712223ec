//! Projection of a cached issue row into the snapshot's issue object, with the Python CLI's
//! normalization, so the same cache gives the same bytes.

use serde_json::{Map, Value, json};
use tracker_store::{IssueStatus, IssueType};

use spec_kitty_home::python_isoformat;

/// Python's `str(value)` for JSON scalars; arrays and objects as compact JSON (Python would
/// print its own repr; such values do not occur in canonical issues).
pub(crate) fn py_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "None".to_owned(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i.to_string(),
            (_, Some(u), _) => u.to_string(),
            (_, _, Some(f)) if f.fract() == 0.0 && f.abs() < 1e16 => format!("{f:.1}"),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

/// Python truthiness of a JSON value.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// `[str(item) for item in value]` as Python iterates it: a list's items, a string's
/// characters, an object's keys; `None` for values Python cannot iterate.
fn py_str_list(v: Option<&Value>) -> Option<Vec<Value>> {
    match v {
        None => Some(Vec::new()),
        Some(Value::Array(items)) => Some(items.iter().map(|i| Value::String(py_str(i))).collect()),
        Some(Value::String(s)) => Some(s.chars().map(|c| Value::String(c.to_string())).collect()),
        Some(Value::Object(o)) => Some(o.keys().map(|k| Value::String(k.clone())).collect()),
        Some(_) => None,
    }
}

/// Why the Python CLI would refuse a cached row; each variant names the bad value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowError {
    /// The stored issue is not a JSON object.
    #[error("the stored issue is not a JSON object")]
    NotAnObject,
    /// No `ref` object.
    #[error("missing ref")]
    MissingRef,
    /// `ref.system`, `ref.workspace` or `ref.id` is empty.
    #[error("empty ref {0}")]
    EmptyRef(&'static str),
    /// The title is blank.
    #[error("blank title")]
    BlankTitle,
    /// The priority is outside 0..4.
    #[error("priority {0} outside 0..4")]
    PriorityOutOfRange(i128),
    /// `assignees` or `labels` cannot be iterated as Python would.
    #[error("{0} is not a list")]
    NotAList(&'static str),
    /// The stored payload is not JSON.
    #[error("the stored issue is not JSON ({0})")]
    NotJson(String),
}

/// A field of a stored issue: absent, or present with any value (`null` included).
#[derive(Default)]
enum Field {
    #[default]
    Missing,
    Present(Value),
}

impl<'de> serde::Deserialize<'de> for Field {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Value::deserialize(d).map(Field::Present)
    }
}

/// The fields the projection reads; every other key (notably `raw`, the provider's whole
/// issue) is skipped by the parser without being built.
#[derive(serde::Deserialize)]
struct StoredIssue {
    #[serde(default, rename = "ref")]
    reference: Field,
    #[serde(default)]
    title: Field,
    #[serde(default)]
    body: Field,
    #[serde(default)]
    status: Field,
    #[serde(default)]
    issue_type: Field,
    #[serde(default)]
    priority: Field,
    #[serde(default)]
    assignees: Field,
    #[serde(default)]
    labels: Field,
    #[serde(default)]
    updated_at: Field,
}

/// [`project_issue`] of a stored payload's text, reading only the fields it needs.
///
/// # Errors
///
/// As [`project_issue`], or [`RowError::NotJson`].
pub fn project_issue_text(text: &str) -> Result<Value, RowError> {
    // serde would read a JSON array into the struct by position: objects only here.
    if !text.trim_start().starts_with('{') {
        return match serde_json::from_str::<Value>(text) {
            Ok(v) => project_issue(&v),
            Err(e) => Err(RowError::NotJson(e.to_string())),
        };
    }
    let stored: StoredIssue = match serde_json::from_str(text) {
        Ok(s) => s,
        Err(e) if e.is_data() => {
            // Valid JSON that is not an object.
            return match serde_json::from_str::<Value>(text) {
                Ok(v) => project_issue(&v),
                Err(e) => Err(RowError::NotJson(e.to_string())),
            };
        }
        Err(e) => return Err(RowError::NotJson(e.to_string())),
    };
    let mut obj = Map::new();
    for (k, f) in [
        ("ref", stored.reference),
        ("title", stored.title),
        ("body", stored.body),
        ("status", stored.status),
        ("issue_type", stored.issue_type),
        ("priority", stored.priority),
        ("assignees", stored.assignees),
        ("labels", stored.labels),
        ("updated_at", stored.updated_at),
    ] {
        if let Field::Present(v) = f {
            obj.insert(k.to_owned(), v);
        }
    }
    project_issue(&Value::Object(obj))
}

/// Appends the snapshot object of a stored payload's text to `out`, as compact JSON: the
/// same bytes as serializing [`project_issue_text`]'s value, which is what every path that
/// builds a body calls (through `project_page`).
///
/// Rows of the usual shape (the fields as strings, `null` or absent, a small integer
/// priority, lists of strings) are projected straight from the text into `out`, with no
/// JSON tree; any other row takes the tree path. Property tests hold the two to the same
/// bytes.
///
/// # Errors
///
/// As [`project_issue_text`]; `out` is then as it was.
pub(crate) fn project_issue_into(text: &str, out: &mut Vec<u8>) -> Result<(), RowError> {
    let start = out.len();
    if fast::project(text, out).is_some() {
        return Ok(());
    }
    out.truncate(start);
    let issue = project_issue_text(text)?;
    // Serializing a tree of strings, numbers and nulls into a Vec cannot fail.
    serde_json::to_writer(&mut *out, &issue).map_err(|e| RowError::NotJson(e.to_string()))
}

/// The tree-free projection of rows of the usual shape; `None` sends the row to the tree
/// path (an unusual value, a row the Python CLI refuses, text that is not JSON).
mod fast {
    use std::borrow::Cow;

    use serde::Deserialize;
    use serde_json::value::RawValue;
    use tracker_store::{IssueStatus, IssueType};

    use spec_kitty_home::python_isoformat;

    /// A field's raw JSON text, or absent.
    #[derive(Default, Clone, Copy)]
    enum Raw<'a> {
        #[default]
        Missing,
        Present(&'a RawValue),
    }

    impl<'de: 'a, 'a> Deserialize<'de> for Raw<'a> {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            <&'a RawValue>::deserialize(d).map(Raw::Present)
        }
    }

    /// A list field's items, read with the row; absent is an empty list. Anything but a
    /// list (`null`, a string Python would iterate by character) fails the row's read, which
    /// sends the row to the tree path.
    #[derive(Default)]
    enum Items<'a> {
        #[default]
        Missing,
        Present(Vec<Raw<'a>>),
    }

    impl<'de: 'a, 'a> Deserialize<'de> for Items<'a> {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            Vec::<Raw<'a>>::deserialize(d).map(Items::Present)
        }
    }

    #[derive(Deserialize)]
    struct Stored<'a> {
        #[serde(default, rename = "ref", borrow)]
        reference: Raw<'a>,
        #[serde(default, borrow)]
        title: Raw<'a>,
        #[serde(default, borrow)]
        body: Raw<'a>,
        #[serde(default, borrow)]
        status: Raw<'a>,
        #[serde(default, borrow)]
        issue_type: Raw<'a>,
        #[serde(default, borrow)]
        priority: Raw<'a>,
        #[serde(default, borrow)]
        assignees: Items<'a>,
        #[serde(default, borrow)]
        labels: Items<'a>,
        #[serde(default, borrow)]
        updated_at: Raw<'a>,
    }

    #[derive(Deserialize)]
    struct StoredRef<'a> {
        #[serde(default, borrow)]
        system: Raw<'a>,
        #[serde(default, borrow)]
        workspace: Raw<'a>,
        #[serde(default, borrow)]
        id: Raw<'a>,
        #[serde(default, borrow)]
        key: Raw<'a>,
        #[serde(default, borrow)]
        url: Raw<'a>,
    }

    /// A field the fast path understands: absent, `null` or a string.
    enum Text<'a> {
        Missing,
        Null,
        Str(Cow<'a, str>),
    }

    /// `None` for any other value (a number, a list...): the tree path decides.
    fn text(raw: Raw<'_>) -> Option<Text<'_>> {
        let Raw::Present(raw) = raw else {
            return Some(Text::Missing);
        };
        let t = raw.get();
        if t == "null" {
            return Some(Text::Null);
        }
        if !t.starts_with('"') {
            return None;
        }
        // Without a backslash the text between the quotes is the string itself.
        match t.get(1..t.len() - 1) {
            Some(inner) if !inner.contains('\\') => Some(Text::Str(Cow::Borrowed(inner))),
            _ => serde_json::from_str::<String>(t)
                .ok()
                .map(|s| Text::Str(Cow::Owned(s))),
        }
    }

    /// A string of [`Text::Str`] or [`ref_part`]: borrowed ones are text between a JSON
    /// string's quotes without a backslash (or a clean literal), so they need no escaping;
    /// owned ones were unescaped and are escaped again.
    fn put_cow(out: &mut Vec<u8>, s: Cow<'_, str>) {
        match s {
            Cow::Borrowed(clean) => put_plain(out, clean),
            Cow::Owned(decoded) => put_str(out, &decoded),
        }
    }

    /// A string known to need no escaping.
    fn put_plain(out: &mut Vec<u8>, s: &str) {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    }

    /// A JSON string, escaped as serde_json escapes it.
    fn put_str(out: &mut Vec<u8>, s: &str) {
        if s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
            // Writing a string into a Vec cannot fail.
            let _ = serde_json::to_writer(&mut *out, s);
        } else {
            out.push(b'"');
            out.extend_from_slice(s.as_bytes());
            out.push(b'"');
        }
    }

    fn put_key(out: &mut Vec<u8>, key: &str) {
        out.push(b'"');
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(b"\":");
    }

    /// `str(value)` of a `ref` part when truthy, else "" (a blank part is refused).
    fn ref_part(raw: Raw<'_>) -> Option<Cow<'_, str>> {
        let part = match text(raw)? {
            Text::Str(s) => s,
            Text::Missing | Text::Null => Cow::Borrowed(""),
        };
        (!routing_core::is_blank(&part)).then_some(part)
    }

    /// `None`/absent as `null`, a string as itself.
    fn put_opt(out: &mut Vec<u8>, raw: Raw<'_>) -> Option<()> {
        match text(raw)? {
            Text::Missing | Text::Null => out.extend_from_slice(b"null"),
            Text::Str(s) => put_cow(out, s),
        }
        Some(())
    }

    /// `str(value)` of a known-set field: absent is the default, `None` is the text "None".
    fn known<'a>(raw: Raw<'a>) -> Option<Option<Cow<'a, str>>> {
        Some(match text(raw)? {
            Text::Missing => None,
            Text::Null => Some(Cow::Borrowed("None")),
            Text::Str(s) => Some(s),
        })
    }

    /// A list of strings (or `None`s) as Python's `[str(item) for item in value]`.
    fn put_list(out: &mut Vec<u8>, items: Items<'_>) -> Option<()> {
        let items = match items {
            Items::Missing => Vec::new(),
            Items::Present(items) => items,
        };
        out.push(b'[');
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            match text(item)? {
                Text::Str(s) => put_cow(out, s),
                Text::Null => out.extend_from_slice(b"\"None\""),
                Text::Missing => return None,
            }
        }
        out.push(b']');
        Some(())
    }

    /// A priority in 0..=4 as a JSON integer, or `null`.
    fn put_priority(out: &mut Vec<u8>, raw: Raw<'_>) -> Option<()> {
        let Raw::Present(r) = raw else {
            out.extend_from_slice(b"null");
            return Some(());
        };
        let t = r.get();
        let digits = match t.as_bytes() {
            b"null" => {
                out.extend_from_slice(b"null");
                return Some(());
            }
            [b'"', inner @ .., b'"'] => inner,
            other => other,
        };
        // One to a few ASCII digits whose value is 0..=4 ("04" as Python's int("04")).
        if digits.is_empty() || digits.len() > 8 || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let value = digits
            .iter()
            .fold(0u32, |v, d| v * 10 + u32::from(d - b'0'));
        if value > 4 {
            return None;
        }
        out.push(b'0' + u8::try_from(value).ok()?);
        Some(())
    }

    pub(super) fn project(text_in: &str, out: &mut Vec<u8>) -> Option<()> {
        if !text_in.trim_start().starts_with('{') {
            return None;
        }
        let row: Stored<'_> = serde_json::from_str(text_in).ok()?;
        let Raw::Present(r) = row.reference else {
            return None;
        };
        if !r.get().starts_with('{') {
            return None;
        }
        let r: StoredRef<'_> = serde_json::from_str(r.get()).ok()?;
        let (system, workspace, id) =
            (ref_part(r.system)?, ref_part(r.workspace)?, ref_part(r.id)?);
        let title = match text(row.title)? {
            Text::Str(s) if !s.is_empty() => s,
            _ => Cow::Borrowed("Untitled"),
        };
        if routing_core::is_blank(&title) {
            return None;
        }
        out.extend_from_slice(b"{\"ref\":{");
        put_key(out, "system");
        put_cow(out, system);
        out.push(b',');
        put_key(out, "workspace");
        put_cow(out, workspace);
        out.push(b',');
        put_key(out, "id");
        put_cow(out, id);
        out.push(b',');
        put_key(out, "key");
        put_opt(out, r.key)?;
        out.push(b',');
        put_key(out, "url");
        put_opt(out, r.url)?;
        out.extend_from_slice(b"},");
        put_key(out, "title");
        put_cow(out, title);
        out.push(b',');
        put_key(out, "body");
        put_opt(out, row.body)?;
        out.push(b',');
        put_key(out, "status");
        let status = known(row.status)?.map_or(IssueStatus::Todo.published(), |s| {
            IssueStatus::parse(&s).published()
        });
        put_plain(out, status);
        out.push(b',');
        put_key(out, "issue_type");
        let issue_type = known(row.issue_type)?.map_or(IssueType::Task.published(), |s| {
            IssueType::parse(&s).published()
        });
        put_plain(out, issue_type);
        out.push(b',');
        put_key(out, "priority");
        put_priority(out, row.priority)?;
        out.push(b',');
        put_key(out, "assignees");
        put_list(out, row.assignees)?;
        out.push(b',');
        put_key(out, "labels");
        put_list(out, row.labels)?;
        out.push(b',');
        put_key(out, "updated_at");
        let updated = match text(row.updated_at)? {
            Text::Str(s) if !s.trim().is_empty() => python_isoformat(&s),
            _ => None,
        };
        match updated {
            Some(u) => put_str(out, &u),
            None => out.extend_from_slice(b"null"),
        }
        out.push(b'}');
        Some(())
    }
}

/// The snapshot object of one cached issue, or why the Python CLI would refuse the row.
///
/// # Errors
///
/// A [`RowError`] (`blank title`, `empty ref id`, `priority 7 outside 0..4`...).
pub fn project_issue(payload: &Value) -> Result<Value, RowError> {
    let Some(obj) = payload.as_object() else {
        return Err(RowError::NotAnObject);
    };
    let Some(Value::Object(r)) = obj.get("ref") else {
        return Err(RowError::MissingRef);
    };
    let part = |k: &str| {
        r.get(k)
            .filter(|v| truthy(v))
            .map(py_str)
            .unwrap_or_default()
    };
    let (system, workspace, id) = (part("system"), part("workspace"), part("id"));
    for (name, v) in [("system", &system), ("workspace", &workspace), ("id", &id)] {
        if routing_core::is_blank(v) {
            return Err(RowError::EmptyRef(name));
        }
    }
    let opt = |m: &Map<String, Value>, k: &str| match m.get(k) {
        None | Some(Value::Null) => Value::Null,
        Some(v) => Value::String(py_str(v)),
    };
    let title = obj
        .get("title")
        .filter(|v| truthy(v))
        .map_or_else(|| "Untitled".to_owned(), py_str);
    if routing_core::is_blank(&title) {
        return Err(RowError::BlankTitle);
    }
    let priority = match obj.get("priority") {
        None | Some(Value::Null) => Value::Null,
        Some(Value::Bool(b)) => json!(i64::from(*b)),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Value::Number(n.clone()),
        Some(Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s
            .parse::<u64>()
            .map_or_else(|_| json!(u64::MAX), |p| json!(p)),
        Some(_) => Value::Null,
    };
    if let Some(p) = priority
        .as_i64()
        .map(i128::from)
        .or(priority.as_u64().map(i128::from))
        && !(0..=4).contains(&p)
    {
        return Err(RowError::PriorityOutOfRange(p));
    }
    let assignees = py_str_list(obj.get("assignees")).ok_or(RowError::NotAList("assignees"))?;
    let labels = py_str_list(obj.get("labels")).ok_or(RowError::NotAList("labels"))?;
    let updated_at = obj
        .get("updated_at")
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .and_then(python_isoformat)
        .map_or(Value::Null, Value::String);
    Ok(json!({
        "ref": {
            "system": system,
            "workspace": workspace,
            "id": id,
            "key": opt(r, "key"),
            "url": opt(r, "url"),
        },
        "title": title,
        "body": opt(obj, "body"),
        // Python compares `str(value)` with the known values, case-sensitively.
        "status": obj.get("status").map_or(IssueStatus::Todo.published(), |v| IssueStatus::parse(&py_str(v)).published()),
        "issue_type": obj.get("issue_type").map_or(IssueType::Task.published(), |v| IssueType::parse(&py_str(v)).published()),
        "priority": priority,
        "assignees": assignees,
        "labels": labels,
        "updated_at": updated_at,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Value {
        json!({"ref": {"system": "jira", "workspace": "acme", "id": "1", "key": "A-1", "url": null},
               "title": "T", "body": "b", "status": "done", "issue_type": "bug", "priority": 3,
               "assignees": ["a"], "labels": ["l"], "updated_at": "2026-02-12T10:00:00Z"})
    }

    fn with(k: &str, v: Value) -> Result<Value, String> {
        let mut b = base();
        b[k] = v;
        project_issue(&b).map_err(|e| e.to_string())
    }

    #[test]
    fn normalizes_like_the_python_cli() {
        let p = project_issue(&base()).unwrap();
        assert_eq!(p["updated_at"], "2026-02-12T10:00:00+00:00");
        assert_eq!(with("title", Value::Null).unwrap()["title"], "Untitled");
        assert_eq!(with("title", json!("")).unwrap()["title"], "Untitled");
        assert_eq!(with("title", json!(12)).unwrap()["title"], "12");
        assert_eq!(with("body", json!(5)).unwrap()["body"], "5");
        assert_eq!(with("body", json!(true)).unwrap()["body"], "True");
        assert_eq!(with("status", json!("DONE")).unwrap()["status"], "todo");
        assert_eq!(with("status", Value::Null).unwrap()["status"], "todo");
        assert_eq!(
            with("issue_type", json!("initiative")).unwrap()["issue_type"],
            "task"
        );
        assert_eq!(with("priority", json!("4")).unwrap()["priority"], 4);
        assert_eq!(with("priority", json!(true)).unwrap()["priority"], 1);
        assert_eq!(
            with("priority", json!(2.0)).unwrap()["priority"],
            Value::Null
        );
        assert_eq!(
            with("priority", json!("high")).unwrap()["priority"],
            Value::Null
        );
        assert_eq!(
            with("assignees", json!("ab")).unwrap()["assignees"],
            json!(["a", "b"])
        );
        assert_eq!(
            with("labels", json!([1, null])).unwrap()["labels"],
            json!(["1", "None"])
        );
        assert_eq!(
            with("updated_at", json!("garbage")).unwrap()["updated_at"],
            Value::Null
        );
        assert_eq!(
            with("updated_at", json!(5)).unwrap()["updated_at"],
            Value::Null
        );
        let mut b = base();
        b.as_object_mut().unwrap().retain(|k, _| k == "ref");
        let p = project_issue(&b).unwrap();
        assert_eq!(p["title"], "Untitled");
        assert_eq!(p["assignees"], json!([]));
        assert_eq!(p["priority"], Value::Null);
        let keys: Vec<&str> = p.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "ref",
                "title",
                "body",
                "status",
                "issue_type",
                "priority",
                "assignees",
                "labels",
                "updated_at"
            ]
        );
    }

    #[test]
    fn the_text_projection_equals_the_tree_projection() {
        let mut with_raw = base();
        with_raw["raw"] = json!({"fields": {"summary": "huge", "nested": [1, {"a": null}]}});
        with_raw["parent"] = Value::Null;
        for v in [
            base(),
            with_raw,
            json!({"ref": {"system": "jira", "workspace": "w", "id": "1"}}),
            json!({"ref": {"system": "jira", "workspace": "w", "id": "1"}, "assignees": null}),
            json!({"ref": {"system": "jira", "workspace": "w", "id": "1"}, "title": null, "priority": "3"}),
            json!([1, 2]),
            json!("text"),
        ] {
            assert_eq!(project_issue_text(&v.to_string()), project_issue(&v), "{v}");
        }
        assert!(matches!(
            project_issue_text("{not json"),
            Err(RowError::NotJson(_))
        ));
    }

    /// The text of `v` as another writer might store it: compact, pretty, or with every
    /// non-ASCII character escaped (Python's `ensure_ascii`).
    fn renderings(v: &Value) -> Vec<String> {
        let compact = v.to_string();
        let mut ascii = String::new();
        for c in compact.chars() {
            if c.is_ascii() {
                ascii.push(c);
            } else {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    ascii.push_str(&format!("\\u{u:04x}"));
                }
            }
        }
        vec![compact, serde_json::to_string_pretty(v).unwrap(), ascii]
    }

    fn any_text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        prop_oneof![
            Just(String::new()),
            Just(" ".to_owned()),
            Just("todo".to_owned()),
            Just("in_progress".to_owned()),
            Just("story".to_owned()),
            Just("2026-02-12T10:00:00.123456+00:00".to_owned()),
            Just("2026-02-12T10:00:00Z".to_owned()),
            Just("4".to_owned()),
            Just("04".to_owned()),
            Just("12".to_owned()),
            Just("a \"quoted\" \\ back\u{1}slash\ttab\u{7f}".to_owned()),
            Just("\u{202e}é✓😀".to_owned()),
            Just("new\nline\u{1f}".to_owned()),
            any::<String>(),
        ]
    }

    /// The value of field `i` of the names below: mostly one of the usual shape for that
    /// field (so most rows take the fast path), sometimes anything.
    fn field_value(i: usize) -> proptest::strategy::BoxedStrategy<Option<Value>> {
        use proptest::prelude::*;
        let wild = prop_oneof![
            Just(None),
            Just(Some(Value::Null)),
            any_text().prop_map(|s| Some(Value::String(s))),
            (-2i64..7).prop_map(|n| Some(json!(n))),
            Just(Some(json!(4.0))),
            Just(Some(json!(true))),
            proptest::collection::vec(
                prop_oneof![
                    any_text().prop_map(Value::String),
                    Just(Value::Null),
                    Just(json!(3))
                ],
                0..4
            )
            .prop_map(|v| Some(Value::Array(v))),
            Just(Some(json!({"nested": [1, {"a": null}]}))),
        ];
        let usual = match i {
            9 => prop_oneof![
                Just(None),
                Just(Some(Value::Null)),
                (0i64..7).prop_map(|n| Some(json!(n))),
                (0u8..7).prop_map(|n| Some(json!(n.to_string()))),
            ]
            .boxed(),
            10 | 11 => proptest::collection::vec(
                prop_oneof![4 => any_text().prop_map(Value::String), 1 => Just(Value::Null)],
                0..4,
            )
            .prop_map(|v| Some(Value::Array(v)))
            .boxed(),
            _ => prop_oneof![
                1 => Just(None),
                1 => Just(Some(Value::Null)),
                6 => any_text().prop_map(|s| Some(Value::String(s))),
            ]
            .boxed(),
        };
        prop_oneof![12 => usual, 1 => wild].boxed()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        /// The tree-free projection writes exactly the bytes of the tree projection, for
        /// rows of the usual shape and for any other row, however the row's text is laid out.
        #[test]
        fn the_byte_projection_writes_the_tree_projections_bytes(
            fields in (0..14).map(field_value).collect::<Vec<_>>(),
            order in proptest::strategy::Strategy::prop_shuffle(proptest::strategy::Just((0..14).collect::<Vec<usize>>())),
            loose_ref in proptest::prelude::any::<bool>(),
        ) {
            let names = ["system", "workspace", "id", "key", "url", "title", "body", "status",
                         "issue_type", "priority", "assignees", "labels", "updated_at", "raw"];
            let mut reference = Map::new();
            let mut row = Map::new();
            for &i in &order {
                let (name, value) = (names[i], fields[i].clone());
                let Some(value) = value else { continue };
                if i < 5 { reference.insert(name.to_owned(), value); } else { row.insert(name.to_owned(), value); }
            }
            // Mostly a usable ref, so most rows take the fast path.
            for (k, v) in [("system", "jira"), ("workspace", "acme"), ("id", "1")] {
                if !loose_ref { reference.entry(k).or_insert_with(|| json!(v)); }
            }
            row.insert("ref".to_owned(), Value::Object(reference));
            let row = Value::Object(row);
            for text in renderings(&row) {
                let tree = project_issue_text(&text).map(|v| serde_json::to_vec(&v).unwrap());
                let mut out = b"prefix".to_vec();
                let bytes = project_issue_into(&text, &mut out).map(|()| out[6..].to_vec());
                proptest::prop_assert_eq!(&bytes, &tree, "{}", text);
                if bytes.is_err() {
                    proptest::prop_assert_eq!(&out, b"prefix");
                }
            }
        }
    }

    #[test]
    fn rows_of_the_usual_shape_take_the_tree_free_path() {
        let mut with_nulls = base();
        with_nulls["labels"] = json!(["a", null]);
        with_nulls["status"] = Value::Null;
        with_nulls["body"] = json!("line\nbreak \"quoted\" é");
        with_nulls["raw"] = json!({"fields": {"anything": [1, 2.5, {"x": null}]}});
        for row in [
            base(),
            with_nulls,
            json!({"ref": {"system": "jira", "workspace": "w", "id": "1"}}),
        ] {
            for text in renderings(&row) {
                let mut out = Vec::new();
                assert!(fast::project(&text, &mut out).is_some(), "{text}");
                let tree = serde_json::to_vec(&project_issue_text(&text).unwrap()).unwrap();
                assert_eq!(out, tree, "{text}");
            }
        }
    }

    #[test]
    fn the_byte_projection_handles_duplicate_keys_and_junk_as_the_tree_does() {
        for text in [
            r#"{"ref":{"system":"jira","workspace":"w","id":"1"},"title":"a","title":"b"}"#,
            r#"{"ref":{"system":"jira","workspace":"w","id":"1","id":"2"}}"#,
            r#"{"ref":{"system":"jira","workspace":"w","id":"1"}} trailing"#,
            r#"{"ref":{"system":"jira","workspace":"w","id":"1"},"raw":{"a":[1,}}"#,
            r#"{"ref":{"system":"jira","workspace":"w","id":"1"},"priority":04}"#,
            r#"{"ref":{"system":"jira","workspace":"w","id":"1"},"priority":"04"}"#,
            r#"{"ref":{"system":"jira","workspace":"w","id":"1"},"priority":1e0}"#,
            r#"{"ref":{"system":"jira","workspace":"w","id":"1"},"labels":"ab"}"#,
            r#"{"ref":{"system":"jira","workspace":"w","id":"1"},"t\u0069tle":"esc"}"#,
            r#"{"ref":[]}"#,
            "[1]",
            "",
        ] {
            let tree = project_issue_text(text).map(|v| serde_json::to_vec(&v).unwrap());
            let mut out = Vec::new();
            let bytes = project_issue_into(text, &mut out).map(|()| out.clone());
            assert_eq!(bytes, tree, "{text}");
        }
    }

    #[test]
    fn refuses_what_the_python_cli_refuses() {
        assert_eq!(with("title", json!("   ")).unwrap_err(), "blank title");
        assert_eq!(
            with("priority", json!(7)).unwrap_err(),
            "priority 7 outside 0..4"
        );
        assert_eq!(
            with("priority", json!(-1)).unwrap_err(),
            "priority -1 outside 0..4"
        );
        assert_eq!(
            with("priority", json!("12")).unwrap_err(),
            "priority 12 outside 0..4"
        );
        assert_eq!(
            with("assignees", Value::Null).unwrap_err(),
            "assignees is not a list"
        );
        let mut b = base();
        b["ref"]["id"] = json!("");
        assert_eq!(project_issue(&b).unwrap_err(), RowError::EmptyRef("id"));
        b["ref"]["id"] = json!(" ");
        assert_eq!(project_issue(&b).unwrap_err().to_string(), "empty ref id");
        assert_eq!(
            project_issue(&json!({"title": "x"})).unwrap_err(),
            RowError::MissingRef
        );
    }
}
