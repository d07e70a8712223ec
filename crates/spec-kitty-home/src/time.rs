//! The current time rendered as Python's `datetime.now(UTC).isoformat()` does.

use jiff::Timestamp;
use jiff::tz::TimeZone;

/// Renders seconds + microseconds since the Unix epoch as `YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00`
/// (microseconds only when non-zero, as Python's `isoformat()`). Out of jiff's range
/// (years -9999..=9999) it clamps to the nearest representable instant.
#[must_use]
pub fn isoformat_utc(secs: i64, micros: u32) -> String {
    let nanos = i32::try_from(micros.min(999_999) * 1000).unwrap_or(0);
    let ts = Timestamp::new(secs, nanos).unwrap_or(if secs < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    });
    render(ts)
}

fn render(ts: Timestamp) -> String {
    let dt = TimeZone::UTC.to_datetime(ts);
    let micros = dt.subsec_nanosecond() / 1000;
    let frac = if micros == 0 {
        String::new()
    } else {
        format!(".{micros:06}")
    };
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{frac}+00:00",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}

/// The current time, `datetime.now(UTC).isoformat()` style.
#[must_use]
pub fn now_isoformat() -> String {
    render(Timestamp::now())
}

#[cfg(test)]
mod tests {
    use super::isoformat_utc;

    #[test]
    fn renders_like_python_isoformat() {
        assert_eq!(isoformat_utc(0, 0), "1970-01-01T00:00:00+00:00");
        assert_eq!(isoformat_utc(1_770_890_400, 0), "2026-02-12T10:00:00+00:00");
        assert_eq!(
            isoformat_utc(1_770_890_400, 1),
            "2026-02-12T10:00:00.000001+00:00"
        );
        assert_eq!(isoformat_utc(951_782_400, 0), "2000-02-29T00:00:00+00:00");
        assert_eq!(isoformat_utc(-1, 0), "1969-12-31T23:59:59+00:00");
    }
}
