//! Read-only access to a binding's credentials, whatever map type the caller keeps them in.

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;

/// A borrowed credential value as routing sees it.
///
/// Credentials come from a TOML table, so a value may be a string, an integer
/// (`team_id = 123`), or something else (a float, a boolean, a table...). Only strings and
/// integers can route; anything else counts as a missing key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialRef<'a> {
    /// A string value.
    Str(&'a str),
    /// An integer value; it routes as its decimal text (`123` -> `"123"`).
    Int(i64),
    /// Any other type: never routes.
    Other,
}

/// An owned credential value, for callers that build credential maps themselves
/// (e.g. from a TOML table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialValue {
    /// A string value.
    String(String),
    /// An integer value.
    Integer(i64),
    /// Any other type (float, boolean, date, array, table). Kept so that a lookup can tell
    /// "present but unusable" from "absent"; it never routes.
    Other,
}

/// A value type that can be viewed as a [`CredentialRef`].
pub trait IntoCredentialRef {
    /// The borrowed view.
    fn as_credential(&self) -> CredentialRef<'_>;
}

impl IntoCredentialRef for String {
    fn as_credential(&self) -> CredentialRef<'_> {
        CredentialRef::Str(self)
    }
}

impl IntoCredentialRef for &str {
    fn as_credential(&self) -> CredentialRef<'_> {
        CredentialRef::Str(self)
    }
}

impl IntoCredentialRef for i64 {
    fn as_credential(&self) -> CredentialRef<'_> {
        CredentialRef::Int(*self)
    }
}

impl IntoCredentialRef for CredentialValue {
    fn as_credential(&self) -> CredentialRef<'_> {
        match self {
            CredentialValue::String(s) => CredentialRef::Str(s),
            CredentialValue::Integer(i) => CredentialRef::Int(*i),
            CredentialValue::Other => CredentialRef::Other,
        }
    }
}

impl IntoCredentialRef for CredentialRef<'_> {
    fn as_credential(&self) -> CredentialRef<'_> {
        *self
    }
}

impl<V: IntoCredentialRef> IntoCredentialRef for Option<V> {
    fn as_credential(&self) -> CredentialRef<'_> {
        match self {
            Some(v) => v.as_credential(),
            None => CredentialRef::Other,
        }
    }
}

/// A set of credentials that can be looked up by key.
///
/// Implemented for `HashMap` and `BTreeMap` keyed by `String`, and for slices, arrays and
/// vectors of `(key, value)` pairs (first match wins), with any [`IntoCredentialRef`] value.
pub trait CredentialLookup {
    /// The value stored under `key`, if any.
    fn credential(&self, key: &str) -> Option<CredentialRef<'_>>;
}

impl<T: CredentialLookup + ?Sized> CredentialLookup for &T {
    fn credential(&self, key: &str) -> Option<CredentialRef<'_>> {
        (**self).credential(key)
    }
}

impl<V: IntoCredentialRef, S: BuildHasher> CredentialLookup for HashMap<String, V, S> {
    fn credential(&self, key: &str) -> Option<CredentialRef<'_>> {
        self.get(key).map(IntoCredentialRef::as_credential)
    }
}

impl<V: IntoCredentialRef> CredentialLookup for BTreeMap<String, V> {
    fn credential(&self, key: &str) -> Option<CredentialRef<'_>> {
        self.get(key).map(IntoCredentialRef::as_credential)
    }
}

impl<K: AsRef<str>, V: IntoCredentialRef> CredentialLookup for [(K, V)] {
    fn credential(&self, key: &str) -> Option<CredentialRef<'_>> {
        self.iter()
            .find(|(k, _)| k.as_ref() == key)
            .map(|(_, v)| v.as_credential())
    }
}

impl<K: AsRef<str>, V: IntoCredentialRef, const N: usize> CredentialLookup for [(K, V); N] {
    fn credential(&self, key: &str) -> Option<CredentialRef<'_>> {
        self.as_slice().credential(key)
    }
}

impl<K: AsRef<str>, V: IntoCredentialRef> CredentialLookup for Vec<(K, V)> {
    fn credential(&self, key: &str) -> Option<CredentialRef<'_>> {
        self.as_slice().credential(key)
    }
}

/// A credential as text, the one way every consumer reads one: a string trimmed (ASCII
/// and Unicode whitespace, as [`crate::trim`]), an integer as its decimal text; `None`
/// when the key is absent, the string is blank, or the value is of another type.
///
/// ```
/// use std::collections::BTreeMap;
/// use routing_core::{CredentialValue, credential_text};
/// let mut c = BTreeMap::new();
/// c.insert("team_id".to_string(), CredentialValue::Integer(42));
/// c.insert("api_key".to_string(), CredentialValue::String("  k  ".into()));
/// c.insert("blank".to_string(), CredentialValue::String(" ".into()));
/// assert_eq!(credential_text(&c, "team_id").as_deref(), Some("42"));
/// assert_eq!(credential_text(&c, "api_key").as_deref(), Some("k"));
/// assert_eq!(credential_text(&c, "blank"), None);
/// assert_eq!(credential_text(&c, "missing"), None);
/// ```
#[must_use]
pub fn credential_text<C: CredentialLookup + ?Sized>(credentials: &C, key: &str) -> Option<String> {
    match credentials.credential(key)? {
        CredentialRef::Str(s) => {
            let t = crate::trim(s);
            (!t.is_empty()).then(|| t.to_owned())
        }
        CredentialRef::Int(i) => Some(i.to_string()),
        CredentialRef::Other => None,
    }
}
