//! When to try again, and how long to wait first.

use std::time::Duration;

use crate::transport::Answer;

/// What to do with an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The answer is final (success or a failure that another attempt will not fix).
    Final,
    /// Try again; wait what the server asked (`Retry-After` and the like) or, when `None`,
    /// the policy's backoff.
    Retry(Option<Duration>),
}

/// Attempts, backoff and which answers are worth another attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Total attempts (at least one is always made).
    pub attempts: u32,
    /// The first backoff; it doubles per retry and is scaled by a jitter in `[0.5, 1.5)`.
    pub backoff_base: Duration,
    /// The upper bound of any wait, a server's `Retry-After` included.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    /// 3 attempts, 0.5 s backoff, 30 s longest wait.
    fn default() -> Self {
        RetryPolicy {
            attempts: 3,
            backoff_base: Duration::from_millis(500),
            max_wait: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The default verdict: a transient status ([`crate::is_transient_status`]) is
    /// retried, honouring `Retry-After`.
    #[must_use]
    pub fn classify(answer: &Answer, now_unix: u64) -> Verdict {
        if crate::is_transient_status(answer.status) {
            Verdict::Retry(
                answer
                    .header("retry-after")
                    .and_then(|v| parse_retry_after(v, now_unix)),
            )
        } else {
            Verdict::Final
        }
    }

    /// The wait before attempt `n + 1` after attempt `n` (1-based) failed: the server's
    /// wish when it gave one, else the jittered backoff; never more than `max_wait`.
    #[must_use]
    pub fn wait(&self, n: u32, server_wait: Option<Duration>) -> Duration {
        let backoff = self
            .backoff_base
            .mul_f64(2f64.powi(i32::try_from(n.saturating_sub(1)).unwrap_or(30)) * jitter(n));
        server_wait.unwrap_or(backoff).min(self.max_wait)
    }
}

fn jitter(attempt: u32) -> f64 {
    use std::hash::{BuildHasher, RandomState};
    let x = RandomState::new().hash_one(attempt);
    0.5 + (x % 1000) as f64 / 1000.0
}

/// Parses `Retry-After`: delay seconds or an HTTP date (relative to `now_unix`, Unix
/// seconds; a date in the past is no wait).
#[must_use]
pub fn parse_retry_after(value: &str, now_unix: u64) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = jiff::fmt::rfc2822::DateTimeParser::new()
        .parse_timestamp(v)
        .ok()?
        .as_second();
    let now = i64::try_from(now_unix).ok()?;
    Some(Duration::from_secs(
        u64::try_from(at.saturating_sub(now)).unwrap_or(0),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        assert_eq!(parse_retry_after("7", 0), Some(Duration::from_secs(7)));
        // 784111777 = Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784_111_770),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784_111_800),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", 0), None);
        assert_eq!(parse_retry_after("", 0), None);
    }

    #[test]
    fn waits_double_with_jitter_and_are_capped() {
        let p = RetryPolicy {
            attempts: 5,
            backoff_base: Duration::from_millis(100),
            max_wait: Duration::from_secs(1),
        };
        for n in 1..=3 {
            let w = p.wait(n, None);
            let nominal = 100.0 * 2f64.powi(n as i32 - 1);
            let ms = w.as_secs_f64() * 1000.0;
            assert!(ms >= nominal * 0.5 && ms < nominal * 1.5, "{n}: {ms}");
        }
        assert_eq!(p.wait(20, None), Duration::from_secs(1));
        assert_eq!(
            p.wait(1, Some(Duration::from_secs(60))),
            Duration::from_secs(1)
        );
        assert_eq!(
            p.wait(1, Some(Duration::from_millis(3))),
            Duration::from_millis(3)
        );
    }
}
