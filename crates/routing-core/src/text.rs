//! Whitespace handling shared by every function that trims user-provided text.

/// Whether `c` is whitespace for the purposes of trimming credential values and provider names.
///
/// This is Unicode `White_Space` (what [`char::is_whitespace`] tests) plus the four ASCII
/// information separators U+001C..U+001F, which is exactly the set Python's `str.strip()`
/// removes. The Python CLI trims with `str.strip()`, so using the same set keeps both CLIs
/// deriving the same routing from the same credentials file.
const fn is_strip_whitespace(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{1c}'..='\u{1f}')
}

/// Trims leading and trailing whitespace (Unicode whitespace, as Python's `str.strip()`).
///
/// ```
/// assert_eq!(routing_core::trim("\u{3000} ACME\t\n"), "ACME");
/// assert_eq!(routing_core::trim("\u{1f}x\u{1c}"), "x");
/// ```
#[must_use]
pub fn trim(s: &str) -> &str {
    s.trim_matches(is_strip_whitespace)
}

/// Whether `s` is empty or only whitespace (see [`trim`]).
#[must_use]
pub fn is_blank(s: &str) -> bool {
    trim(s).is_empty()
}
