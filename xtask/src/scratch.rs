//! Throwaway homes and projects for the demo and the benchmarks.

use std::path::PathBuf;

use anyhow::Result;

/// A temp dir holding `home/` and `project/.kittify/config.yaml` (with `config_yaml`);
/// removed when the first value is dropped.
pub(crate) fn scratch_project(config_yaml: &str) -> Result<(tempfile::TempDir, PathBuf, PathBuf)> {
    let tmp = tempfile::tempdir()?;
    let (home, project) = (tmp.path().join("home"), tmp.path().join("project"));
    std::fs::create_dir_all(project.join(".kittify"))?;
    std::fs::create_dir_all(&home)?;
    std::fs::write(project.join(".kittify/config.yaml"), config_yaml)?;
    Ok((tmp, home, project))
}
