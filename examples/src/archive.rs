//! Archive targets on the command line: `--archive TARGET`, `AMAZCOPE_ARCHIVE`, and the
//! private cluster's default `AMAZCOPE_HOME/archive`.

use amazcope_pg::archive::ArchiveTarget;
use amazcope_pg::cluster;
use anyhow::Context;

/// Opens `target` (a directory or an object-store URL). Object-store settings come from
/// the `AWS_*` variables (`AWS_ENDPOINT`, `AWS_ACCESS_KEY_ID`, `AWS_ALLOW_HTTP`, ...), read
/// here and handed to the store.
pub fn open(target: &str) -> anyhow::Result<ArchiveTarget> {
    // object_store's S3 client speaks TLS through rustls with the ring provider.
    amazcope_scrape::fetch::install_tls_provider();
    let options =
        std::env::vars().filter(|(k, _)| k.starts_with("AWS_")).map(|(k, v)| (k.to_ascii_lowercase(), v));
    Ok(ArchiveTarget::open(target, options)?)
}

/// The worker's archive: `AMAZCOPE_ARCHIVE`, else `archive/` inside `AMAZCOPE_HOME` when
/// the database is the private cluster (no `DATABASE_URL`); `None` otherwise, and then
/// retention drops nothing.
pub fn worker_target() -> anyhow::Result<Option<ArchiveTarget>> {
    if let Some(t) = std::env::var("AMAZCOPE_ARCHIVE").ok().filter(|t| !t.trim().is_empty()) {
        return open(&t).map(Some);
    }
    if std::env::var("DATABASE_URL").ok().is_some_and(|u| !u.trim().is_empty()) {
        return Ok(None);
    }
    let home =
        cluster::default_home(&crate::common::cluster_settings()).context("no home for the archive")?;
    open(&home.join("archive").to_string_lossy()).map(Some)
}
