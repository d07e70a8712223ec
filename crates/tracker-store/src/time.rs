//! The current time rendered as Python's `datetime.now(UTC).isoformat()` does.

use std::time::{SystemTime, UNIX_EPOCH};

/// Renders seconds + microseconds since the Unix epoch as `YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00`
/// (microseconds only when non-zero, as Python's `isoformat()`).
#[must_use]
pub fn isoformat_utc(secs: i64, micros: u32) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    let frac = if micros == 0 {
        String::new()
    } else {
        format!(".{micros:06}")
    };
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}{frac}+00:00")
}

/// The current time, `datetime.now(UTC).isoformat()` style.
#[must_use]
pub fn now_isoformat() -> String {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    isoformat_utc(
        i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        d.subsec_micros(),
    )
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
