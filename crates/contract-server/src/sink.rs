//! Benchmark support: a minimal batch receiver that reads each request, answers `success`
//! for every `event_id` it carries, and checks nothing else (timing an uploader against
//! it measures the uploader, not the receiver); and the sample event benchmarks queue.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// The sink; it stops when dropped.
#[derive(Debug)]
pub struct BatchSink {
    url: String,
    answered: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

/// Reads one request (headers, then `Content-Length` bytes); `None` at the end of the
/// connection.
fn read_request(reader: &mut BufReader<TcpStream>) -> io::Result<Option<(bool, Vec<u8>)>> {
    let (mut len, mut gzip, mut line) = (0usize, false, String::new());
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        if line == "\r\n" {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            len = v.trim().parse().unwrap_or(0);
        }
        if let Some(v) = lower.strip_prefix("content-encoding:") {
            gzip = v.trim() == "gzip";
        }
    }
    let mut body = vec![0; len];
    reader.read_exact(&mut body)?;
    Ok(Some((gzip, body)))
}

/// The answer to one batch body: `success` for every `event_id`. Kept lean (ids borrowed,
/// the answer written as text, the inflate buffer reused) so that the sink's own CPU takes
/// as little as it can from the uploader it times.
fn answer(body: &[u8], gzip: bool, plain: &mut Vec<u8>) -> io::Result<(Vec<u8>, u64)> {
    #[derive(serde::Deserialize)]
    struct Ev<'a> {
        #[serde(borrow)]
        event_id: std::borrow::Cow<'a, str>,
    }
    #[derive(serde::Deserialize)]
    struct Batch<'a> {
        #[serde(borrow)]
        events: Vec<Ev<'a>>,
    }
    plain.clear();
    if gzip {
        flate2::read::GzDecoder::new(body).read_to_end(plain)?;
    } else {
        plain.extend_from_slice(body);
    }
    let batch: Batch<'_> = serde_json::from_slice(plain).map_err(io::Error::other)?;
    let mut out = String::with_capacity(16 + batch.events.len() * 64);
    out.push_str("{\"results\":[");
    for (i, e) in batch.events.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"event_id\":");
        out.push_str(&serde_json::to_string(&e.event_id).map_err(io::Error::other)?);
        out.push_str(",\"status\":\"success\"}");
    }
    out.push_str("]}");
    let mut bytes = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        out.len()
    )
    .into_bytes();
    bytes.extend_from_slice(out.as_bytes());
    Ok((bytes, batch.events.len() as u64))
}

fn serve(stream: TcpStream, answered: &AtomicU64) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut plain = Vec::new();
    while let Some((gzip, body)) = read_request(&mut reader)? {
        let (bytes, n) = match answer(&body, gzip, &mut plain) {
            Ok(a) => a,
            Err(_) => (
                b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".to_vec(),
                0,
            ),
        };
        (&stream).write_all(&bytes)?;
        answered.fetch_add(n, Ordering::Relaxed);
    }
    Ok(())
}

impl BatchSink {
    /// Listens on an ephemeral loopback port, one thread per connection.
    ///
    /// # Errors
    ///
    /// The port cannot be bound.
    pub fn start() -> io::Result<BatchSink> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let url = format!("http://{}", listener.local_addr()?);
        let answered = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (a, s) = (Arc::clone(&answered), Arc::clone(&stop));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if s.load(Ordering::Relaxed) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                let a = Arc::clone(&a);
                std::thread::spawn(move || {
                    let _ = serve(stream, &a);
                });
            }
        });
        Ok(BatchSink {
            url,
            answered,
            stop,
        })
    }

    /// `http://127.0.0.1:<port>`.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Events answered `success` so far.
    #[must_use]
    pub fn answered(&self) -> u64 {
        self.answered.load(Ordering::Relaxed)
    }
}

impl Drop for BatchSink {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
    }
}

/// The `i`-th sample event of the upload benchmarks, as `(event_id, envelope JSON)`: a
/// valid work package lane change with full project and git context (~600 bytes).
#[must_use]
pub fn sample_event(i: u64) -> (String, String) {
    let id = format!("01KQ{i:022}");
    let env = serde_json::json!({"event_id": id, "event_type": "WPStatusChanged",
        "aggregate_id": "WP01", "aggregate_type": "WorkPackage",
        "payload": {"wp_id": "WP01", "from_lane": "planned", "to_lane": "in_progress",
                    "actor": "bench-agent", "feature_slug": "048-tracker-routing"},
        "timestamp": "2026-11-25T10:00:00.123456+00:00", "node_id": "a1b2c3d4e5f6",
        "lamport_clock": i + 1, "causation_id": null, "team_slug": "acme",
        "project_uuid": "550e8400-e29b-41d4-a716-446655440000", "project_slug": "spec-kitty",
        "git_branch": "main", "head_commit_sha": "0cf3f906f4f979a000cf04c78688a397d69b6a37",
        "repo_slug": "acme/spec-kitty"});
    (id, env.to_string())
}

/// This process's peak resident set size in MiB (`VmHWM` of `/proc/self/status`), for
/// benchmarks to report; NaN where that file is not there.
#[must_use]
pub fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}
