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
