//! `spec-kitty-contract-server`: runs the reference receiver on loopback until stdin closes
//! or it is killed; then prints how many events the batch endpoint accepted.
//!
//! ```text
//! spec-kitty-contract-server [--port N] [--mappings FILE] [--listen ADDR --allow-non-loopback]
//!     [--users FILE] [--user NAME:PASSWORD]... [--team SLUG] [--access-lifetime SECS]
//!     [--require-token]
//! spec-kitty-contract-server --sink    (a minimal batch receiver for benchmarks)
//! ```

use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use anyhow::{Context, bail};

/// Prints a line; a reader that went away (a closed pipe) is not a reason to stop serving.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, $($arg)*);
        let _ = out.flush();
    }};
}
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use contract_server::{ContractServer, ServerConfig, parse_mappings};

/// The token endpoints' settings, created on first use.
fn auth(config: &mut ServerConfig) -> &mut contract_server::AuthConfig {
    config.auth.get_or_insert_with(Default::default)
}

fn main() -> anyhow::Result<()> {
    // Nobody can read kept bodies out of this process.
    let mut config = ServerConfig {
        keep_bodies: false,
        ..ServerConfig::default()
    };
    let mut port = 0u16;
    let mut ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--port" => {
                port = args
                    .next()
                    .context("--port needs a number")?
                    .parse()
                    .context("--port needs a number")?
            }
            "--listen" => {
                ip = args
                    .next()
                    .context("--listen needs an IP")?
                    .parse()
                    .context("--listen needs an IP")?
            }
            "--allow-non-loopback" => config.allow_non_loopback = true,
            "--users" => {
                let path = args.next().context("--users needs a file")?;
                let text =
                    std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
                let users = contract_server::AuthConfig::parse_users(&text)
                    .map_err(anyhow::Error::msg)
                    .with_context(|| path.clone())?;
                auth(&mut config).users.extend(users);
            }
            "--user" => {
                let pair = args.next().context("--user needs NAME:PASSWORD")?;
                let users = contract_server::AuthConfig::parse_users(&pair)
                    .map_err(|_| anyhow::anyhow!("--user needs NAME:PASSWORD"))?;
                auth(&mut config).users.extend(users);
            }
            "--team" => {
                auth(&mut config).team_slug = Some(args.next().context("--team needs a slug")?);
            }
            "--access-lifetime" => {
                let secs: u64 = args
                    .next()
                    .context("--access-lifetime needs seconds")?
                    .parse()
                    .context("--access-lifetime needs seconds")?;
                auth(&mut config).access_lifetime = std::time::Duration::from_secs(secs);
            }
            "--require-token" => auth(&mut config).require_token = true,
            #[cfg(feature = "bench")]
            "--sink" => {
                let sink = contract_server::BatchSink::start().context("starting the sink")?;
                say!("listening on {}", sink.url());
                let _ = std::io::stdin().read_to_end(&mut Vec::new());
                say!("accepted {} events", sink.answered());
                return Ok(());
            }
            "--mappings" => {
                let path = args.next().context("--mappings needs a file")?;
                let text =
                    std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
                config.mappings = parse_mappings(&text)
                    .map_err(anyhow::Error::msg)
                    .with_context(|| path.clone())?;
            }
            "-h" | "--help" => {
                say!(
                    "usage: spec-kitty-contract-server [--port N] [--mappings FILE] [--listen IP --allow-non-loopback] [--users FILE] [--user NAME:PASSWORD]... [--team SLUG] [--access-lifetime SECS] [--require-token] | --sink"
                );
                return Ok(());
            }
            other => bail!("unknown argument {other:?}; see --help"),
        }
    }
    config.addr = SocketAddr::new(ip, port);
    let server = ContractServer::start(config).context("starting the server")?;
    say!("listening on {}", server.url());
    say!(
        "snapshot endpoint: {}{}",
        server.url(),
        contract_server::SNAPSHOT_PATH
    );
    say!("close stdin (Ctrl-D) to stop");
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    say!("accepted {} events", server.accepted_event_ids().len());
    server.shutdown();
    Ok(())
}
