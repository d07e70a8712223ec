//! The spec-kitty SaaS session: the one answer to "which server, with which bearer
//! token" for every command that talks to the SaaS (the snapshot publish, the event upload,
//! `sync status`, and the commands to come), and the stored login's refresh.
//!
//! # What this crate owns
//!
//! - [`Session::resolve`]: the server URL (given by the caller from a flag or the
//!   environment, else the stored login's `[server] url`) and the token (given, else the
//!   binding's `access_token`/`token` when the caller passes a binding, else the stored
//!   login's `[tokens]`), each with where it came from.
//! - [`Auth`]: the token to send now ([`Auth::current`], refreshing an expired stored
//!   login) and the one refresh after a 401 ([`Auth::refresh`]); [`LoginState`] says how
//!   the stored login stands without a network call; [`Auth::with_token`]: a request with
//!   the token, refreshed and retried once after a 401. The refresh runs under the
//!   credentials lock, so two processes never refresh at once.
//! - [`password_login`]: the Python CLI's password login, returning a [`NewLogin`] the
//!   caller stores.
//! - [`SessionError`]: typed, with an [`http_transport::ErrorKind`].
//!
//! # What it must never do
//!
//! Print; put a token in an error, a `Debug` output or a log; read the environment (the
//! caller passes what it read); send a refresh token anywhere the transport would not send
//! a bearer token; name a command or a flag in an error (the CLI adds hints).

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod auth;
mod error;
mod login;
mod session;
mod token;

pub use auth::{
    Auth, DEFAULT_ACCESS_LIFETIME, DEFAULT_REFRESH_LIFETIME, LoginState, MAX_TOKEN, REFRESH_PATH,
    parse_expiry, token_problem,
};
pub use error::SessionError;
pub use http_transport::Secret;
pub use login::{NewLogin, TOKEN_PATH, password_login};
pub use session::{ServerSource, Session, SessionInputs};
pub use token::{TokenSource, resolve_token};
