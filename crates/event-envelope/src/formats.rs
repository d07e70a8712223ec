//! Format checks for envelope and payload values. Hand-written (no regex engine): each
//! pattern is small and anchored, and matching is exact (no trailing newline slips through,
//! unlike Python's `$`).

/// `^[0-9A-HJKMNP-TV-Z]{26}$`: a ULID in Crockford base32, upper case.
#[must_use]
pub fn is_ulid(s: &str) -> bool {
    s.len() == 26
        && s.bytes().all(|b| {
            b.is_ascii_digit()
                || (b.is_ascii_uppercase() && !matches!(b, b'I' | b'L' | b'O' | b'U'))
        })
}

/// A UUID version 4 in the hyphenated 8-4-4-4-12 form, hex in either case, with the
/// version nibble `4` and the RFC 4122 variant (`8`, `9`, `a`, `b`).
#[must_use]
pub fn is_uuid_v4(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 36 {
        return false;
    }
    for (i, &c) in b.iter().enumerate() {
        let ok = match i {
            8 | 13 | 18 | 23 => c == b'-',
            14 => c == b'4',
            19 => matches!(c, b'8' | b'9' | b'a' | b'b' | b'A' | b'B'),
            _ => c.is_ascii_hexdigit(),
        };
        if !ok {
            return false;
        }
    }
    true
}

/// 40 lowercase hex characters (a full Git SHA-1).
#[must_use]
pub fn is_commit_sha(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// `owner/repo`, with GitLab-style subgroups allowed (`group/sub/repo`): two or more
/// non-empty segments of `[A-Za-z0-9._-]`, none of them `.` or `..`.
#[must_use]
pub fn is_repo_slug(s: &str) -> bool {
    let mut segments = 0;
    for seg in s.split('/') {
        if seg.is_empty()
            || seg == "."
            || seg == ".."
            || !seg
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        {
            return false;
        }
        segments += 1;
    }
    segments >= 2
}

/// `^WP\d{2}$`, exactly.
#[must_use]
pub fn is_wp_id(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 4 && b.starts_with(b"WP") && b[2].is_ascii_digit() && b[3].is_ascii_digit()
}

/// `^\d{3}-[a-z0-9-]+$`, exactly.
#[must_use]
pub fn is_feature_slug(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 5
        && b[..3].iter().all(u8::is_ascii_digit)
        && b[3] == b'-'
        && b[4..]
            .iter()
            .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
}

/// `^\d{3}$`, exactly.
#[must_use]
pub fn is_feature_number(s: &str) -> bool {
    s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit())
}

/// What [`parse_iso8601`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Iso8601 {
    /// Whether a time part was present (`T` or space separated).
    pub has_time: bool,
    /// Whether a UTC offset (`Z`, `+HH:MM`, `+HHMM`, `+HH`) was present.
    pub has_offset: bool,
}

fn digits(b: &[u8], range: std::ops::Range<usize>) -> Option<u32> {
    let part = b.get(range)?;
    if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
        return None;
    }
    part.iter().try_fold(0u32, |acc, &d| {
        acc.checked_mul(10)?.checked_add(u32::from(d - b'0'))
    })
}

/// Parses the ISO 8601 forms that Python's `datetime.fromisoformat` accepts for these
/// contracts: `YYYY-MM-DD`, optionally followed by `T` or a space and `HH:MM[:SS[.f{1,9}]]`,
/// optionally followed by `Z`, `±HH:MM`, `±HHMM` or `±HH`. Ranges are checked (month 1-12, a
/// real day of that month, hour < 24, minute and second < 60, offset < 24h). `None` otherwise.
#[must_use]
pub fn parse_iso8601(s: &str) -> Option<Iso8601> {
    let b = s.as_bytes();
    let year = digits(b, 0..4)?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let month = digits(b, 5..7)?;
    let day = digits(b, 8..10)?;
    // The Gregorian calendar, years 1 to 9999 as Python's `date` (kept here rather than a
    // date crate: a receiver's dependency tree stays small).
    let real_date = |y: u32, m: u32, d: u32| {
        let leap = y.is_multiple_of(4) && (!y.is_multiple_of(100) || y.is_multiple_of(400));
        let days = match m {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => 0,
        };
        (1..=9999).contains(&y) && (1..=days).contains(&d)
    };
    if !real_date(year, month, day) {
        return None;
    }
    if b.len() == 10 {
        return Some(Iso8601 {
            has_time: false,
            has_offset: false,
        });
    }
    if !matches!(b[10], b'T' | b' ') {
        return None;
    }
    let hour = digits(b, 11..13)?;
    if b.get(13) != Some(&b':') {
        return None;
    }
    let minute = digits(b, 14..16)?;
    let mut i = 16;
    if b.get(i) == Some(&b':') {
        let second = digits(b, i + 1..i + 3)?;
        if second > 59 {
            return None;
        }
        i += 3;
        if matches!(b.get(i), Some(b'.' | b',')) {
            let start = i + 1;
            let mut end = start;
            while end < b.len() && b[end].is_ascii_digit() {
                end += 1;
            }
            if end == start || end - start > 9 {
                return None;
            }
            i = end;
        }
    }
    if hour > 23 || minute > 59 {
        return None;
    }
    let rest = &b[i..];
    let has_offset = match rest {
        [] => false,
        [b'Z'] => true,
        [sign @ (b'+' | b'-'), tail @ ..] => {
            let _ = sign;
            let (h, m) = match tail {
                [h1, h2] => (digits(&[*h1, *h2], 0..2)?, 0),
                [h1, h2, b':', m1, m2] | [h1, h2, m1, m2] => {
                    (digits(&[*h1, *h2], 0..2)?, digits(&[*m1, *m2], 0..2)?)
                }
                _ => return None,
            };
            if h > 23 || m > 59 {
                return None;
            }
            true
        }
        _ => return None,
    };
    Some(Iso8601 {
        has_time: true,
        has_offset,
    })
}

/// ISO 8601 with a time and an explicit UTC offset (the envelope `timestamp` rule).
#[must_use]
pub fn is_iso8601_with_offset(s: &str) -> bool {
    parse_iso8601(s).is_some_and(|p| p.has_time && p.has_offset)
}

/// Any ISO 8601 date or date-time that [`parse_iso8601`] accepts (payload `*_at` rules).
#[must_use]
pub fn is_iso8601(s: &str) -> bool {
    parse_iso8601(s).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulid() {
        assert!(is_ulid("01JMBY7K8N3QRVX2DPFG5HWT4E"));
        assert!(!is_ulid("01JMBY7K8N3QRVX2DPFG5HWT4"));
        assert!(!is_ulid("01JMBY7K8N3QRVX2DPFG5HWT4EX"));
        assert!(!is_ulid("01jmby7k8n3qrvx2dpfg5hwt4e"));
        for bad in ['I', 'L', 'O', 'U'] {
            let s = format!("01JMBY7K8N3QRVX2DPFG5HWT4{bad}");
            assert!(!is_ulid(&s), "{s}");
        }
        assert!(!is_ulid("01JMBY7K8N3QRVX2DPFG5HWT4\n"));
    }

    #[test]
    fn uuid_v4() {
        assert!(is_uuid_v4("550e8400-e29b-41d4-a716-446655440000"));
        assert!(is_uuid_v4("550E8400-E29B-41D4-A716-446655440000"));
        assert!(!is_uuid_v4("550e8400-e29b-11d4-a716-446655440000"), "v1");
        assert!(
            !is_uuid_v4("550e8400-e29b-41d4-c716-446655440000"),
            "variant"
        );
        assert!(!is_uuid_v4("550e8400e29b41d4a716446655440000"));
        assert!(!is_uuid_v4("550e8400-e29b-41d4-a716-44665544000g"));
    }

    #[test]
    fn sha_and_slugs() {
        assert!(is_commit_sha("0cf3f906f4f979a000cf04c78688a397d69b6a37"));
        assert!(!is_commit_sha("0CF3F906F4F979A000CF04C78688A397D69B6A37"));
        assert!(!is_commit_sha("0cf3f906"));
        assert!(is_repo_slug("priivacy/spec-kitty"));
        assert!(is_repo_slug("group/sub.group/my_repo"));
        for bad in ["spec-kitty", "/a", "a/", "a//b", "a/b c", "a/..", ""] {
            assert!(!is_repo_slug(bad), "{bad:?}");
        }
        assert!(is_wp_id("WP01"));
        for bad in ["WP1", "WP001", "wp01", "WP01\n", " WP01", "WPab"] {
            assert!(!is_wp_id(bad), "{bad:?}");
        }
        assert!(is_feature_slug("039-cli-2x-readiness"));
        for bad in ["39-x", "039-", "039_x", "039-X", "039-x\n"] {
            assert!(!is_feature_slug(bad), "{bad:?}");
        }
        assert!(is_feature_number("040"));
        assert!(!is_feature_number("40") && !is_feature_number("0400"));
    }

    #[test]
    fn iso8601() {
        for ok in [
            "2026-02-12T10:00:00+00:00",
            "2026-02-12T10:00:00Z",
            "2026-02-12T10:00:00.123456-05:30",
            "2026-02-12 10:00+0200",
            "2024-02-29T00:00:00+01",
        ] {
            assert!(is_iso8601_with_offset(ok), "{ok}");
        }
        assert!(is_iso8601("2026-02-12"));
        assert!(is_iso8601("2026-02-12T10:00:00"));
        assert!(!is_iso8601_with_offset("2026-02-12T10:00:00"));
        assert!(!is_iso8601_with_offset("2026-02-12"));
        for bad in [
            "2026-02-30T10:00:00Z",
            "2023-02-29",
            "2026-13-01",
            "2026-02-12T24:00:00Z",
            "2026-02-12T10:60:00Z",
            "2026-02-12T10:00:60Z",
            "2026-02-12T10:00:00+24:00",
            "2026-02-12T10:00:00Zjunk",
            "2026-02-12T10:00:00.Z",
            "12/02/2026",
            "",
            "2026-02-12T10:00:00+00:00\n",
        ] {
            assert!(!is_iso8601(bad), "{bad:?}");
        }
    }
}
