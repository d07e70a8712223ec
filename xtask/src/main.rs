//! Developer tasks for spec-kitty-rs, run as `cargo xtask <task>`.
//!
//! - `demo`: the README's "run the main job" command.
//!
//! This crate is the workspace's tooling edge: it may print, read files and spawn processes.
//! It is never a dependency of a library crate.

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod demo;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <task>

tasks:
  demo              show tracker resource routing for a few example bindings";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("demo") => demo::run(),
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
