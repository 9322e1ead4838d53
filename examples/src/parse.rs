//! `amazcope parse FILE... [--marketplace M] [--json]` (being built).

use clap::Args;
use std::path::PathBuf;

/// Arguments of `amazcope parse`.
#[derive(Debug, Args)]
pub struct ParseArgs {
    /// Saved pages to parse.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

/// Parses the files.
pub fn run(args: ParseArgs) -> anyhow::Result<()> {
    anyhow::bail!("amazcope parse is not built yet ({} files)", args.files.len())
}
