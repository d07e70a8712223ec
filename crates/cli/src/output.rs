//! Writing to the terminal: stable JSON, aligned text, colour only where wanted, and
//! quiet success on a closed pipe.

use std::io::{IsTerminal, Write};

use serde_json::{Map, Value};

/// Whether stderr gets colour: a terminal, and `NO_COLOR` unset or empty.
pub(crate) fn stderr_color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
pub(crate) fn out(text: &str) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), sorted(&m[k])))
                    .collect::<Map<_, _>>(),
            )
        }
        Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// Pretty JSON with sorted keys and a trailing newline.
pub(crate) fn json(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(&sorted(v)).unwrap_or_else(|_| "null".to_owned());
    s.push('\n');
    s
}

/// `label  value` lines with the labels padded to one width.
pub(crate) fn table(rows: &[(&str, String)]) -> String {
    let width = rows.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
    rows.iter()
        .map(|(l, v)| format!("  {l:<width$}  {}\n", safe(v)))
        .collect()
}

/// Text from files or servers made safe for one terminal line: control characters
/// (escape sequences, newlines) escaped, so a name cannot clear the screen, retitle the
/// terminal or break a line.
pub(crate) fn safe(text: &str) -> String {
    http_transport::escape_text(text)
}

/// A message to stderr with a coloured prefix.
pub(crate) fn diag(kind: &str, message: &str) {
    let (color, reset) = if stderr_color() {
        (
            if kind == "error" {
                "\x1b[1;31m"
            } else {
                "\x1b[1;33m"
            },
            "\x1b[0m",
        )
    } else {
        ("", "")
    };
    let _ = writeln!(std::io::stderr(), "{color}{kind}:{reset} {}", safe(message));
}

pub(crate) use http_transport::redact_url;

/// The one progress line: drawn on stderr only when it is a terminal, redrawn in place,
/// cleared when dropped (success or error), so no escape code reaches a pipe or a log.
pub(crate) struct ProgressLine {
    on: bool,
    drawn: std::sync::atomic::AtomicBool,
}

impl ProgressLine {
    /// A progress line, shown only on a terminal.
    pub(crate) fn new() -> Self {
        ProgressLine {
            on: std::io::stderr().is_terminal(),
            drawn: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Replaces the line with `text` (escaped like every outside text).
    pub(crate) fn show(&self, text: &str) {
        if self.on {
            let _ = write!(std::io::stderr(), "\r\x1b[K{}", safe(text));
            self.drawn.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

impl Drop for ProgressLine {
    fn drop(&mut self) {
        if self.on && self.drawn.load(std::sync::atomic::Ordering::Relaxed) {
            let _ = write!(std::io::stderr(), "\r\x1b[K");
        }
    }
}
