//! Developer tasks for spec-kitty-rs, run as `cargo xtask <task>`.
//!
//! - `demo`: the README's "run the main job" command.
//! - `check-contracts [--root DIR]`: fixtures, schemas, docs and Rust types agree.
//! - `freeze-fixtures`: rewrite `fixtures/MANIFEST.blake3` after a deliberate fixture change.
//! - `bench-publish`: a whole publish of N issues, ours beside the Python CLI's.
//! - `bench-upload`: a whole `sync now` of N queued events, ours beside the Python CLI's.
//! - `bench-import`: a whole `sync import-history` of a lane log of N rows.
//! - `bench-push`: a plan and a push of N mapped issues to the local fake Jira.
//!
//! This crate is the workspace's tooling edge: it may print, read files and spawn processes.
//! It is never a dependency of a library crate.

#![allow(clippy::print_stdout, clippy::print_stderr)]
#![allow(clippy::disallowed_methods)] // tooling lays out demo and benchmark files directly

mod bench;
mod bench_import;
mod bench_publish;
mod bench_push;
mod bench_upload;
mod contracts;
mod demo;
mod manifest;
mod scratch;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <task>

tasks:
  demo              bind, seed, publish and resolve three bindings against a local receiver
  check-contracts   check fixtures, JSON Schemas, contract docs and Rust types agree
  freeze-fixtures   rewrite fixtures/MANIFEST.blake3 after a deliberate fixture change
  bench-publish [N] [--python PATH]
                    time a whole publish of N cached issues (default 100000), ours and
                    the Python CLI's on the same files, and print the ratio
  bench-upload [N] [--python PATH] [--runs K]
                    time a whole `sync now` of N queued events (default 100000) to the
                    reference receiver and to a minimal sink, ours and the Python CLI's
  bench-import [N] [--runs K]
                    time a whole `sync import-history` of a lane log of N rows (default
                    100000): events/s and peak RSS
  bench-push [N]    time a plan and a push of N mapped issues (default 1000) to the local
                    fake Jira: wall time and requests per issue

check-contracts and freeze-fixtures take [--root DIR] to work on another checkout (default:
this repository)";

/// The repository root: the parent of this crate's directory.
pub(crate) fn repo_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent().unwrap_or(here).to_path_buf()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("demo") => demo::run(),
        Some("bench-publish") => bench_publish::run(&args[1..]),
        Some("bench-upload") => bench_upload::run(&args[1..]),
        Some("bench-import") => bench_import::run(&args[1..]),
        Some("bench-push") => bench_push::run(&args[1..]),
        Some(task @ ("check-contracts" | "freeze-fixtures")) => {
            let root = match &args[1..] {
                [] => repo_root(),
                [flag, dir] if flag == "--root" => PathBuf::from(dir),
                _ => {
                    eprintln!("error: usage: cargo xtask {task} [--root DIR]");
                    return ExitCode::from(2);
                }
            };
            if task == "check-contracts" {
                contracts::main(&root)
            } else {
                manifest::freeze(&root).map(|n| {
                    println!(
                        "fixtures/{} lists {n} fixtures; review and commit it",
                        manifest::MANIFEST
                    );
                })
            }
        }
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
