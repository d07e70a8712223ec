//! The `spec-kitty` binary: tracker binding, mappings and snapshot publish with resource
//! routing, for developers at a terminal and for scripts (`--json`).
//!
//! This crate is the edge: it reads the environment and the command line, prints, and maps
//! errors to exit codes (0 success, 1 failure, 2 usage). Business rules live in
//! `routing-core`, `tracker-store` and `tracker-client`.

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod args;
mod commands;
mod output;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use args::{Cli, Command, Map, Sync, Tracker};
use commands::Context;

const FLAG: &str = "SPEC_KITTY_ENABLE_SAAS_SYNC";

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "spec-kitty", &mut out);
            output::out(&String::from_utf8_lossy(&out))?;
            Ok(())
        }
        Command::Tracker(cmd) => {
            if !commands::sync_enabled(std::env::var(FLAG).ok().as_deref()) {
                anyhow::bail!("tracker commands are disabled; set {FLAG}=1 to enable them");
            }
            let home = tracker_store::SpecKittyHome::resolve(
                std::env::var("SPEC_KITTY_HOME").ok().as_deref(),
                std::env::var("HOME").ok().as_deref(),
            )?;
            let ctx = Context {
                cwd: commands::resolve_dir(cli.directory.as_deref())?,
                home,
            };
            match cmd {
                Tracker::Providers { json } => commands::providers(json),
                Tracker::Bind(a) => commands::bind(&ctx, &a),
                Tracker::Unbind => commands::unbind(&ctx),
                Tracker::Status { json } => commands::status(&ctx, json),
                Tracker::Map(Map::Add {
                    wp_id,
                    external_id,
                    external_key,
                    external_url,
                }) => commands::map_add(
                    &ctx,
                    &wp_id,
                    &external_id,
                    external_key.as_deref(),
                    external_url.as_deref(),
                ),
                Tracker::Map(Map::List { json }) => commands::map_list(&ctx, json),
                Tracker::Sync(Sync::Publish(a)) => commands::publish_cmd(&ctx, &a),
            }
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let message = e.chain().map(ToString::to_string).collect::<Vec<_>>();
            // Library errors already say what to do; context layers are joined on one line.
            output::diag("error", &message.join(": "));
            ExitCode::FAILURE
        }
    }
}
