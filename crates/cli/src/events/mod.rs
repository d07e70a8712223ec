//! `spec-kitty events ...` and `spec-kitty sync ...`: the Git event pipeline.

pub(crate) mod emit;
pub(crate) mod import;
pub(crate) mod sync;

use std::path::PathBuf;

use spec_kitty_home::SpecKittyHome;

/// Where an event command runs.
pub(crate) struct EventContext {
    pub(crate) cwd: PathBuf,
    pub(crate) home: SpecKittyHome,
}
