//! The one shape of an error as JSON: `{"code", "field", "message"}`, plus `"value"` when
//! the error carries the offending value.

/// Serializes an error body.
#[cfg(feature = "serde")]
pub(crate) fn serialize<S: serde::Serializer>(
    s: S,
    code: &str,
    field: Option<&str>,
    value: Option<&str>,
    message: &dyn std::fmt::Display,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeStruct;
    let mut st = s.serialize_struct("ErrorBody", if value.is_some() { 4 } else { 3 })?;
    st.serialize_field("code", code)?;
    st.serialize_field("field", &field)?;
    st.serialize_field("message", &message.to_string())?;
    if let Some(v) = value {
        st.serialize_field("value", v)?;
    }
    st.end()
}
