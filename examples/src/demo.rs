//! `amazcope demo` (being built).

use clap::Args;

/// Arguments of `amazcope demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Simulated days.
    #[arg(long, default_value_t = 30)]
    pub days: u32,
}

/// Runs the demo.
pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    anyhow::bail!("amazcope demo is not built yet ({} days)", args.days)
}
