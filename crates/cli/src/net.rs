//! From flags to the libraries' network settings and SaaS session: one place for every
//! command, so the same flag means the same thing everywhere.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use http_transport::{Settings, Trace};
use saas_session::{Session, SessionInputs};
use spec_kitty_home::{Binding, SpecKittyHome};

use crate::args::{NetArgs, SaasArgs};

static VERBOSE: AtomicBool = AtomicBool::new(false);

/// Turns on `--verbose` for the whole run.
pub(crate) fn set_verbose(on: bool) {
    VERBOSE.store(on, Ordering::Relaxed);
}

/// `base` (the client's defaults) with the flags' timeout, attempts and plain-http choice,
/// and, with `--verbose`, every exchange traced on stderr.
pub(crate) fn settings(net: &NetArgs, base: Settings) -> Settings {
    let mut s = base;
    s.timeout = Duration::from_secs(net.timeout_seconds);
    if let Some(n) = net.attempts {
        s.policy.attempts = n;
    }
    s.allow_insecure_http = net.allow_insecure_http;
    traced(s)
}

/// `s`, traced on stderr when `--verbose` is on.
pub(crate) fn traced(mut s: Settings) -> Settings {
    if VERBOSE.load(Ordering::Relaxed) {
        s.trace = Some(Arc::new(|t: &Trace| {
            crate::output::diag("http", &t.to_string());
        }));
    }
    s
}

/// The SaaS session of a command: the flags (clap already fell back to the environment),
/// the binding's token for publish, the stored login.
pub(crate) fn session(
    home: &SpecKittyHome,
    saas: &SaasArgs,
    binding: Option<&Binding>,
) -> anyhow::Result<Session> {
    Ok(Session::resolve(
        home,
        &SessionInputs {
            server_url: saas.server_url.as_deref(),
            token: saas.auth_token.as_deref(),
            binding: binding.map(|b| (b.provider.as_str(), &b.credentials)),
        },
    )?)
}
