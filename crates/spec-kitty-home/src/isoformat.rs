//! ISO 8601 timestamps re-rendered as Python's `datetime.fromisoformat(s).isoformat()`, so
//! the same cache gives the same snapshot bytes as the Python CLI.
//!
//! Accepted (as Python 3.11's C parser): `YYYY-MM-DD` or `YYYYMMDD`; then optionally any one
//! separator character and a time `HH[:MM[:SS]]` or `HHMM[SS]`, with a fraction (`.` or
//! `,`, digits past 6 truncated) after any of its parts, or right after basic-format
//! seconds; then optionally an offset `Z` or
//! `±HH[:MM[:SS[.ffffff]]]` / `±HHMM[SS]`, which may follow a space. ISO week dates are not
//! accepted (they give `None`).
//!
//! Rendered: `YYYY-MM-DDTHH:MM:SS`, `.ffffff` only when the microseconds are non-zero, and
//! the offset as `+HH:MM` (`Z` and `-00:00` become `+00:00`; seconds only when non-zero).

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn digits(&mut self, n: usize) -> Option<u32> {
        let part = self.b.get(self.i..self.i + n)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.i += n;
        Some(part.iter().fold(0, |acc, d| acc * 10 + u32::from(d - b'0')))
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn done(&self) -> bool {
        self.i >= self.b.len()
    }

    /// The rest of a time after its hour: `:MM`, `:MM:SS` (extended, when `extended`) or
    /// `MM`, `MMSS` (basic), as CPython 3.11's C parser reads them: a fraction (`.` or
    /// `,`, then digits, past 6 truncated) may follow the hour, the minutes or the seconds,
    /// and in the basic format digits right after the seconds are a fraction too
    /// (`2026-02-12.123456789` is 12:34:56.789).
    fn clock_tail(
        &mut self,
        extended: bool,
        max_fraction: Option<usize>,
    ) -> Option<(u32, u32, u32)> {
        let mut comps = [0u32; 2];
        for k in 0..2 {
            match self.peek() {
                Some(b'.' | b',') => {
                    self.i += 1;
                    let micros = self.fraction(max_fraction)?;
                    return Some((comps[0], comps[1], micros));
                }
                Some(b':') if extended => {
                    self.i += 1;
                    comps[k] = self.digits(2)?;
                }
                Some(c) if !extended && c.is_ascii_digit() => comps[k] = self.digits(2)?,
                _ => return Some((comps[0], comps[1], 0)),
            }
        }
        let micros = match self.peek() {
            Some(b'.' | b',') => {
                self.i += 1;
                self.fraction(max_fraction)?
            }
            Some(c) if !extended && c.is_ascii_digit() => self.fraction(max_fraction)?,
            _ => 0,
        };
        Some((comps[0], comps[1], micros))
    }

    /// Fraction digits (at least one; at most `max` when given), as microseconds.
    fn fraction(&mut self, max: Option<usize>) -> Option<u32> {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        let frac = &self.b[start..self.i];
        if frac.is_empty() || max.is_some_and(|m| frac.len() > m) {
            return None;
        }
        Some(
            frac.iter()
                .chain(std::iter::repeat(&b'0'))
                .take(6)
                .fold(0, |acc, d| acc * 10 + u32::from(d - b'0')),
        )
    }
}

/// Parses `s` as Python 3.11's `datetime.fromisoformat` and renders it as `isoformat()`;
/// `None` when Python would raise.
#[must_use]
pub fn python_isoformat(s: &str) -> Option<String> {
    let mut c = Cursor {
        b: s.as_bytes(),
        i: 0,
    };
    let year = c.digits(4)?;
    let extended_date = c.eat(b'-');
    let month = c.digits(2)?;
    if extended_date && !c.eat(b'-') {
        return None;
    }
    let day = c.digits(2)?;
    // The calendar (month lengths, leap years) is jiff's.
    let real_date = |y: u32, m: u32, d: u32| {
        matches!((i16::try_from(y), i8::try_from(m), i8::try_from(d)),
            (Ok(y), Ok(m), Ok(d)) if y > 0 && jiff::civil::Date::new(y, m, d).is_ok())
    };
    if !real_date(year, month, day) {
        return None;
    }
    let (mut hour, mut minute, mut second, mut micros) = (0, 0, 0, 0);
    let mut offset: Option<(bool, u32, u32, u32, u32)> = None;
    if !c.done() {
        // Any single separator character (Python 3.11), possibly multi-byte.
        let sep_len = s[c.i..].chars().next().map_or(1, char::len_utf8);
        c.i += sep_len;
        hour = c.digits(2)?;
        let extended = c.peek() == Some(b':');
        (minute, second, micros) = c.clock_tail(extended, None)?;
        if c.peek() == Some(b' ') {
            c.i += 1;
            // A space must be followed by an offset: Python refuses a trailing space.
            if c.done() {
                return None;
            }
        }
        match c.peek() {
            None => {}
            Some(b'Z') => {
                c.i += 1;
                offset = Some((false, 0, 0, 0, 0));
            }
            Some(sign @ (b'+' | b'-')) => {
                c.i += 1;
                let oh = c.digits(2)?;
                let extended = c.peek() == Some(b':');
                let (om, os, ous) = c.clock_tail(extended, Some(6))?;
                if oh > 23 || om > 59 || os > 59 {
                    return None;
                }
                offset = Some((sign == b'-', oh, om, os, ous));
            }
            Some(_) => return None,
        }
        if !c.done() {
            return None;
        }
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut out = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}");
    if micros != 0 {
        out += &format!(".{micros:06}");
    }
    if let Some((negative, oh, om, os, ous)) = offset {
        let zero = oh == 0 && om == 0 && os == 0 && ous == 0;
        out.push(if negative && !zero { '-' } else { '+' });
        out += &format!("{oh:02}:{om:02}");
        if os != 0 || ous != 0 {
            out += &format!(":{os:02}");
            if ous != 0 {
                out += &format!(".{ous:06}");
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::python_isoformat;

    #[test]
    fn matches_python_3_11() {
        // (input, what Python 3.11 prints for fromisoformat(input).isoformat())
        let cases = [
            ("2026-02-12", Some("2026-02-12T00:00:00")),
            ("2026-02-12T10", Some("2026-02-12T10:00:00")),
            ("2026-02-12T10:00", Some("2026-02-12T10:00:00")),
            ("2026-02-12T10:00:00Z", Some("2026-02-12T10:00:00+00:00")),
            ("2026-02-12T10:00:00.5", Some("2026-02-12T10:00:00.500000")),
            (
                "2026-02-12T10:00:00.1234567+01:00",
                Some("2026-02-12T10:00:00.123456+01:00"),
            ),
            (
                "2026-02-12 10:00:00-00:00",
                Some("2026-02-12T10:00:00+00:00"),
            ),
            ("2026-02-12x10:00:00", Some("2026-02-12T10:00:00")),
            ("20260212T100000", Some("2026-02-12T10:00:00")),
            (
                "2026-02-12T10:00:00+0530",
                Some("2026-02-12T10:00:00+05:30"),
            ),
            ("2026-02-12T10:00:00+05", Some("2026-02-12T10:00:00+05:00")),
            (
                "2026-02-12T10:00:00+05:30:15",
                Some("2026-02-12T10:00:00+05:30:15"),
            ),
            ("2026-02-12T10:00:00,5", Some("2026-02-12T10:00:00.500000")),
            (
                "2026-02-12T10:00:00.000000+00:00",
                Some("2026-02-12T10:00:00+00:00"),
            ),
            (
                "2026-02-12T10:00:00 +00:00",
                Some("2026-02-12T10:00:00+00:00"),
            ),
            (
                "2026-02-12T10:00:00.1234",
                Some("2026-02-12T10:00:00.123400"),
            ),
            (
                "2026-02-12T10:00:00-08:00",
                Some("2026-02-12T10:00:00-08:00"),
            ),
            ("2026-02-12T24:00:00", None),
            ("2026-02-30", None),
            ("2026-02-12T10:00:00+24:00", None),
            ("not a date", None),
            ("", None),
            ("2026-02-12T", None),
            ("2026-02-12T10:00:00Zjunk", None),
        ];
        for (input, want) in cases {
            assert_eq!(python_isoformat(input).as_deref(), want, "{input:?}");
        }
    }

    #[test]
    fn regression_13_20_fractions_after_any_time_part_as_python_3_11_reads_them() {
        // Each pair was printed by CPython 3.11.7: datetime.fromisoformat(s).isoformat().
        for (input, want) in [
            ("2026-02-12.123456789", Some("2026-02-12T12:34:56.789000")),
            ("2026-02-12T12.5", Some("2026-02-12T12:00:00.500000")),
            ("2026-02-12 1234.5", Some("2026-02-12T12:34:00.500000")),
            ("2026-02-12T12:34.5", Some("2026-02-12T12:34:00.500000")),
            ("2026-02-12T12,5", Some("2026-02-12T12:00:00.500000")),
            ("2026-02-12T1234,5", Some("2026-02-12T12:34:00.500000")),
            ("20260212.1234", Some("2026-02-12T12:34:00")),
            ("2026-02-12x12", Some("2026-02-12T12:00:00")),
            ("2026-02-1212", None),
            ("2026-02-12x12 ", None),
        ] {
            assert_eq!(python_isoformat(input).as_deref(), want, "{input:?}");
        }
    }
}
