//! Developer tasks for spec-kitty-rs, run as `cargo xtask <task>`.
//!
//! - `demo`: the README's "run the main job" command.
//! - `check-contracts [--root DIR]`: fixtures, schemas, docs and Rust types agree.
//! - `freeze-fixtures`: rewrite `fixtures/MANIFEST.blake3` after a deliberate fixture change.
//!
//! This crate is the workspace's tooling edge: it may print, read files and spawn processes.
//! It is never a dependency of a library crate.

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod contracts;
mod demo;
mod manifest;
mod snapshot;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <task>

tasks:
  demo              show tracker resource routing for a few example bindings
  check-contracts   check fixtures, JSON Schemas, contract docs and Rust types agree
                    [--root DIR: check another checkout, default: this repository]
  freeze-fixtures   rewrite fixtures/MANIFEST.blake3 after a deliberate fixture change";

/// The repository root: the parent of this crate's directory.
fn repo_root() -> std::path::PathBuf {
    let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent().unwrap_or(here).to_path_buf()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("demo") => demo::run(),
        Some("check-contracts") => match args.get(1).map(String::as_str) {
            None => contracts::main(&repo_root()),
            Some("--root") if args.len() == 3 => contracts::main(std::path::Path::new(&args[2])),
            Some(_) => {
                eprintln!("error: usage: cargo xtask check-contracts [--root DIR]");
                return ExitCode::from(2);
            }
        },
        Some("freeze-fixtures") => manifest::freeze(&repo_root()).map(|n| {
            println!(
                "fixtures/{} lists {n} fixtures; review and commit it",
                manifest::MANIFEST
            );
        }),
        Some("-h" | "--help") | None => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => {
            eprintln!("error: unknown task {other:?}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
