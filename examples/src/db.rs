//! `amazcope db ...` (being built: migrations, inspection, partitions, embedded cluster).

use clap::Subcommand;

/// Database commands.
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Apply every pending migration.
    Upgrade,
}

/// Runs a database command.
pub async fn run(cmd: DbCommand) -> anyhow::Result<()> {
    match cmd {
        DbCommand::Upgrade => anyhow::bail!("amazcope db upgrade is not built yet"),
    }
}
