//! Atlassian Document Format (Jira's rich text) to plain text.

use serde_json::Value;

/// The text of an ADF document: text nodes in document order, mentions and emoji by their
/// text, a hard break as a newline, and a newline between block nodes (paragraphs,
/// headings, list items, code blocks, quotes, table cells). Marks (bold, links) are
/// dropped. Surrounding whitespace is trimmed; an empty result is `None`.
///
/// `spec-kitty-tracker` keeps only the text of second-level nodes and glues paragraphs
/// together without a separator; this keeps every level and the paragraph breaks.
#[must_use]
pub fn adf_to_text(doc: &Value) -> Option<String> {
    let mut out = String::new();
    walk(doc, &mut out, 0);
    let text = out.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

const MAX_DEPTH: usize = 64;

fn walk(node: &Value, out: &mut String, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    let Some(obj) = node.as_object() else {
        return;
    };
    let kind = obj.get("type").and_then(Value::as_str).unwrap_or("");
    match kind {
        "text" => {
            if let Some(t) = obj.get("text").and_then(Value::as_str) {
                out.push_str(t);
            }
            return;
        }
        "hardBreak" => {
            out.push('\n');
            return;
        }
        "mention" | "emoji" | "status" | "date" | "inlineCard" => {
            let attrs = obj.get("attrs");
            let shown = attrs
                .and_then(|a| {
                    a.get("text")
                        .or_else(|| a.get("shortName"))
                        .or_else(|| a.get("url"))
                })
                .and_then(Value::as_str);
            if let Some(t) = shown {
                out.push_str(t);
            }
            return;
        }
        _ => {}
    }
    let block = matches!(
        kind,
        "paragraph"
            | "heading"
            | "listItem"
            | "codeBlock"
            | "blockquote"
            | "tableCell"
            | "tableHeader"
            | "panel"
            | "rule"
    );
    if block && !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    if let Some(children) = obj.get("content").and_then(Value::as_array) {
        for child in children {
            walk(child, out, depth + 1);
        }
    }
    if block && !out.ends_with('\n') {
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::adf_to_text;

    #[test]
    fn paragraphs_lists_and_marks_become_lines_of_text() {
        let doc = json!({"type": "doc", "version": 1, "content": [
            {"type": "heading", "attrs": {"level": 2}, "content": [{"type": "text", "text": "Plan"}]},
            {"type": "paragraph", "content": [
                {"type": "text", "text": "Route "},
                {"type": "text", "text": "snapshots", "marks": [{"type": "strong"}]},
                {"type": "hardBreak"},
                {"type": "mention", "attrs": {"id": "x", "text": "@Ada"}}
            ]},
            {"type": "bulletList", "content": [
                {"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "one ☃"}]}]},
                {"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "two"}]}]}
            ]}
        ]});
        assert_eq!(
            adf_to_text(&doc).unwrap(),
            "Plan\nRoute snapshots\n@Ada\none ☃\ntwo"
        );
        assert_eq!(adf_to_text(&json!({"type": "doc", "content": []})), None);
        assert_eq!(adf_to_text(&json!("not adf")), None);
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let mut v = json!({"type": "text", "text": "deep"});
        for _ in 0..200 {
            v = json!({"type": "blockquote", "content": [v]});
        }
        assert_eq!(adf_to_text(&v), None);
    }
}
