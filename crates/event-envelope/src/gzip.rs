//! `Content-Encoding: gzip` batch bodies (feature `gzip`, pure Rust): decoded with a cap
//! the caller gives, so a small body that inflates to gigabytes (a "gzip bomb") is refused
//! after `cap` bytes instead of filling memory.

use std::fmt;
use std::io::Read;

/// Why a gzip body was not decoded.
#[derive(Debug)]
#[non_exhaustive]
pub enum GzipError {
    /// It inflates to more than the cap (HTTP 413).
    TooLarge {
        /// The cap, in decoded bytes.
        cap: usize,
    },
    /// It is not gzip, or it is cut short (HTTP 400).
    Corrupt(std::io::Error),
}

impl GzipError {
    /// `body_too_large` or `not_gzip`.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            GzipError::TooLarge { .. } => "body_too_large",
            GzipError::Corrupt(_) => "not_gzip",
        }
    }
}

impl fmt::Display for GzipError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GzipError::TooLarge { cap } => {
                write!(f, "the body inflates to more than {cap} bytes")
            }
            GzipError::Corrupt(e) => write!(f, "the body is not valid gzip: {e}"),
        }
    }
}

impl std::error::Error for GzipError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            GzipError::Corrupt(e) => Some(e),
            GzipError::TooLarge { .. } => None,
        }
    }
}

/// Whether a `Content-Encoding` header value says gzip.
#[must_use]
pub fn is_gzip(content_encoding: Option<&str>) -> bool {
    content_encoding.is_some_and(|v| v.trim().eq_ignore_ascii_case("gzip"))
}

/// Decodes a gzip body, refusing more than `cap` decoded bytes. The trailer's size is only
/// a hint for the first allocation (bounded by `cap` and 64 MiB): the sender controls it.
///
/// # Errors
///
/// [`GzipError::TooLarge`] past `cap`, [`GzipError::Corrupt`] for anything not gzip.
pub fn gunzip(body: &[u8], cap: usize) -> Result<Vec<u8>, GzipError> {
    let hint = body
        .len()
        .checked_sub(4)
        .and_then(|at| body.get(at..))
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map_or(0, |b| u32::from_le_bytes(b) as usize);
    let mut out = Vec::with_capacity(hint.min(cap).min(64 << 20));
    flate2::read::GzDecoder::new(body)
        .take(u64::try_from(cap).unwrap_or(u64::MAX).saturating_add(1))
        .read_to_end(&mut out)
        .map_err(GzipError::Corrupt)?;
    if out.len() > cap {
        return Err(GzipError::TooLarge { cap });
    }
    Ok(out)
}
