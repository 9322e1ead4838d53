//! The fixtures folder shared by the test binaries: one env var with a default, and a
//! missing folder is a loud failure, never a skip.

use std::path::PathBuf;

/// `$AMAZCOPE_FIXTURES`, else `../shared/fixtures/pages` beside the workspace.
pub fn fixtures_dir() -> PathBuf {
    let dir = std::env::var("AMAZCOPE_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/pages"));
    assert!(dir.is_dir(), "fixtures folder {} is missing (set AMAZCOPE_FIXTURES)", dir.display());
    dir
}
