//! The archive of expired snapshot partitions: one Parquet file per month (zstd, every
//! column of `product_snapshots` with its type) and a manifest beside it (rows, first and
//! last `scraped_at`, SHA-256 of the file), in a directory or an object store
//! (`object_store`: local files, S3-compatible stores). [`archive_month`] writes both and
//! reads the file back before anything may be dropped; [`restore`] loads months back.
//!
//! Layout under the target: `product_snapshots_YYYY_MM.parquet` and
//! `product_snapshots_YYYY_MM.manifest.json`.

pub(crate) mod table;

use crate::partitions::Month;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::{AssertSqlSafe, PgPool};
use std::sync::Arc;
use table::{Batcher, ParquetSink, SNAPSHOT_COLUMNS, TableError};

/// Why archiving or restoring failed.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The target is neither a directory nor an object-store URL we can open.
    #[error("cannot use archive target {target}: {reason}")]
    Target {
        /// The target as given.
        target: String,
        /// Why.
        reason: String,
    },
    /// Reading or writing an object failed.
    #[error("archive {what} failed")]
    Store {
        /// What was being done (`writing product_snapshots_2025_03.parquet to /srv/archive`).
        what: String,
        /// The store's error.
        #[source]
        source: object_store::Error,
    },
    /// The rows could not be encoded or decoded.
    #[error("archive file {file}: {source}")]
    File {
        /// The file.
        file: String,
        /// What failed.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// What was read back is not what was written (or the manifest does not match its file).
    #[error("archive file {file} does not match: {reason}; nothing was dropped")]
    Mismatch {
        /// The file.
        file: String,
        /// What differs.
        reason: String,
    },
    /// A statement failed.
    #[error("archive failed while {step}")]
    Database {
        /// What was being done.
        step: String,
        /// The driver error.
        #[source]
        source: sqlx::Error,
    },
    /// The partition of a month to restore could not be made.
    #[error("cannot make the partition of {month}")]
    Partition {
        /// The month.
        month: String,
        /// Why.
        #[source]
        source: Box<crate::partitions::PartitionError>,
    },
    /// Storing restored rows failed.
    #[error("restoring {month} failed")]
    Restore {
        /// The month.
        month: String,
        /// The store's error.
        #[source]
        source: amazcope_core::StoreError,
    },
}

fn db(step: impl Into<String>) -> impl FnOnce(sqlx::Error) -> ArchiveError {
    let step = step.into();
    move |source| ArchiveError::Database { step, source }
}

/// Where archives go: a directory or an object-store URL (`file:///srv/archive`,
/// `s3://bucket/prefix`).
#[derive(Debug, Clone)]
pub struct ArchiveTarget {
    store: Arc<dyn ObjectStore>,
    prefix: Path,
    display: String,
}

impl ArchiveTarget {
    /// Opens `target`: a URL with a scheme (`file://`, `s3://`, ...) through
    /// `object_store::parse_url_opts` with `options` (for S3: `aws_endpoint`,
    /// `aws_access_key_id`, `aws_allow_http`, ... as the caller read them), else a local
    /// directory, created when missing.
    pub fn open<I, K, V>(target: &str, options: I) -> Result<ArchiveTarget, ArchiveError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: Into<String>,
    {
        let fail = |reason: String| ArchiveError::Target { target: target.to_string(), reason };
        if target.trim().is_empty() {
            return Err(fail("it is empty".into()));
        }
        if target.contains("://") {
            let url = url::Url::parse(target).map_err(|e| fail(format!("not a URL ({e})")))?;
            if url.scheme() == "file" {
                let dir = url.to_file_path().map_err(|()| fail("not a local path".into()))?;
                std::fs::create_dir_all(&dir).map_err(|e| fail(e.to_string()))?;
            }
            let (store, prefix) =
                object_store::parse_url_opts(&url, options).map_err(|e| fail(e.to_string()))?;
            return Ok(ArchiveTarget { store: Arc::from(store), prefix, display: target.to_string() });
        }
        std::fs::create_dir_all(target).map_err(|e| fail(e.to_string()))?;
        let store =
            object_store::local::LocalFileSystem::new_with_prefix(target).map_err(|e| fail(e.to_string()))?;
        Ok(ArchiveTarget { store: Arc::new(store), prefix: Path::default(), display: target.to_string() })
    }

    fn path(&self, name: &str) -> Path {
        self.prefix.clone().join(name)
    }

    async fn put(&self, name: &str, bytes: Bytes) -> Result<(), ArchiveError> {
        self.store.put(&self.path(name), PutPayload::from(bytes)).await.map_err(|source| {
            ArchiveError::Store { what: format!("writing {name} to {}", self.display), source }
        })?;
        Ok(())
    }

    async fn get(&self, name: &str) -> Result<Bytes, ArchiveError> {
        let store_err =
            |source| ArchiveError::Store { what: format!("reading {name} from {}", self.display), source };
        self.store.get(&self.path(name)).await.map_err(store_err)?.bytes().await.map_err(store_err)
    }

    /// The months archived here, oldest first (from the manifests).
    pub async fn months(&self) -> Result<Vec<Month>, ArchiveError> {
        let listed: Vec<object_store::ObjectMeta> =
            self.store.list(Some(&self.prefix)).try_collect().await.map_err(|source| {
                ArchiveError::Store { what: format!("listing {}", self.display), source }
            })?;
        let mut months: Vec<Month> = listed
            .iter()
            .filter_map(|m| m.location.filename())
            .filter_map(|f| f.strip_suffix(".manifest.json"))
            .filter_map(Month::from_partition_name)
            .collect();
        months.sort();
        months.dedup();
        Ok(months)
    }
}

impl std::fmt::Display for ArchiveTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display)
    }
}

/// What the manifest beside an archived month says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveManifest {
    /// The partition archived (`product_snapshots_2025_03`).
    pub partition: String,
    /// The month (`2025-03`).
    pub month: String,
    /// The Parquet file's name, beside the manifest.
    pub file: String,
    /// Rows in the file (the partition's rows when it was archived).
    pub rows: u64,
    /// Size of the file in bytes.
    pub bytes: u64,
    /// The oldest `scraped_at` (none for an empty month).
    pub min_scraped_at: Option<DateTime<Utc>>,
    /// The newest `scraped_at`.
    pub max_scraped_at: Option<DateTime<Utc>>,
    /// SHA-256 of the file, hex.
    pub sha256: String,
    /// Compression of the file's pages.
    pub compression: String,
    /// The columns, in order.
    pub columns: Vec<String>,
    /// When it was written.
    pub archived_at: DateTime<Utc>,
}

fn file_name(month: Month) -> String {
    format!("{}.parquet", month.partition_name())
}

fn manifest_name(month: Month) -> String {
    format!("{}.manifest.json", month.partition_name())
}

fn file_error(file: &str) -> impl FnOnce(TableError) -> ArchiveError + '_ {
    move |e| ArchiveError::File { file: file.to_string(), source: Box::new(e) }
}

/// Reads back an archived file: checks its checksum against the manifest and decodes every
/// batch; returns the batches.
fn decode(
    file: &str,
    bytes: Bytes,
    manifest: &ArchiveManifest,
) -> Result<Vec<arrow_array::RecordBatch>, ArchiveError> {
    let sum = hex(&Sha256::digest(&bytes));
    if sum != manifest.sha256 {
        return Err(ArchiveError::Mismatch {
            file: file.to_string(),
            reason: format!("its SHA-256 is {sum}, the manifest says {}", manifest.sha256),
        });
    }
    let parquet_err =
        |e: parquet::errors::ParquetError| ArchiveError::File { file: file.to_string(), source: Box::new(e) };
    let reader =
        ParquetRecordBatchReaderBuilder::try_new(bytes).map_err(parquet_err)?.build().map_err(parquet_err)?;
    let batches: Vec<arrow_array::RecordBatch> = reader
        .collect::<Result<_, _>>()
        .map_err(|e| ArchiveError::File { file: file.to_string(), source: Box::new(e) })?;
    let rows: u64 = batches.iter().map(|b| b.num_rows() as u64).sum();
    if rows != manifest.rows {
        return Err(ArchiveError::Mismatch {
            file: file.to_string(),
            reason: format!("it holds {rows} rows, the manifest says {}", manifest.rows),
        });
    }
    Ok(batches)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes every row of `month`'s partition to `target` as Parquet with its manifest, reads
/// the file back (checksum, every batch decoded, rows counted) and returns the manifest.
/// The rows are read in one snapshot of the database, in (product, time) order. Nothing is
/// dropped here: [`crate::partitions::drop_expired_partitions`] drops the partition after
/// this succeeded and only if it still holds as many rows.
pub async fn archive_month(
    pool: &PgPool,
    target: &ArchiveTarget,
    month: Month,
) -> Result<ArchiveManifest, ArchiveError> {
    let partition = month.partition_name();
    let file = file_name(month);
    let mut tx = pool.begin().await.map_err(db("starting a transaction"))?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await
        .map_err(db("starting a consistent read"))?;
    // The name comes from a checked Month (digits and underscores only).
    let sql = format!(
        "SELECT {} FROM {partition} ORDER BY product_id, scraped_at",
        table::select_list(&SNAPSHOT_COLUMNS, None)
    );
    let mut batcher = Batcher::new(&SNAPSHOT_COLUMNS);
    let mut sink = ParquetSink::new(Vec::new(), batcher.schema()).map_err(file_error(&file))?;
    let (mut rows, mut first, mut last) = (0u64, None::<DateTime<Utc>>, None::<DateTime<Utc>>);
    {
        let mut stream = sqlx::query(AssertSqlSafe(sql)).fetch(&mut *tx);
        while let Some(row) = stream.try_next().await.map_err(db(format!("reading {partition}")))? {
            let at: DateTime<Utc> =
                sqlx::Row::try_get(&row, "scraped_at").map_err(db(format!("reading {partition}")))?;
            first = Some(first.map_or(at, |f| f.min(at)));
            last = Some(last.map_or(at, |l| l.max(at)));
            batcher.push(&row).map_err(file_error(&file))?;
            rows += 1;
            if batcher.len() >= table::BATCH_ROWS {
                let batch = batcher.finish().map_err(file_error(&file))?;
                sink.write(&batch).map_err(file_error(&file))?;
            }
        }
    }
    if batcher.len() > 0 || rows == 0 {
        let batch = batcher.finish().map_err(file_error(&file))?;
        sink.write(&batch).map_err(file_error(&file))?;
    }
    tx.commit().await.map_err(db("ending the read"))?;
    let bytes = Bytes::from(sink.finish().map_err(file_error(&file))?);
    let manifest = ArchiveManifest {
        partition,
        month: month.to_string(),
        file: file.clone(),
        rows,
        bytes: bytes.len() as u64,
        min_scraped_at: first,
        max_scraped_at: last,
        sha256: hex(&Sha256::digest(&bytes)),
        compression: "zstd".into(),
        columns: SNAPSHOT_COLUMNS.iter().map(|c| c.name.to_string()).collect(),
        archived_at: Utc::now(),
    };
    target.put(&file, bytes).await?;
    let text = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| ArchiveError::File { file: manifest_name(month), source: Box::new(e) })?;
    target.put(&manifest_name(month), Bytes::from(text)).await?;
    // Read back what the target holds now, not what we meant to write.
    let stored = read_manifest(target, month).await?;
    if stored != manifest {
        return Err(ArchiveError::Mismatch {
            file: manifest_name(month),
            reason: "the stored manifest differs".into(),
        });
    }
    decode(&file, target.get(&file).await?, &manifest)?;
    Ok(manifest)
}

async fn read_manifest(target: &ArchiveTarget, month: Month) -> Result<ArchiveManifest, ArchiveError> {
    let name = manifest_name(month);
    let bytes = target.get(&name).await?;
    serde_json::from_slice(&bytes).map_err(|e| ArchiveError::File { file: name, source: Box::new(e) })
}

/// One month put back by [`restore`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RestoredMonth {
    /// The month.
    pub month: String,
    /// Rows in the archive.
    pub rows: u64,
    /// Rows inserted now (0 when the month was restored before).
    pub inserted: u64,
    /// Days whose rollups were recomputed from the restored rows.
    pub days_rebuilt: u64,
}

/// Loads archived months back into `product_snapshots` (`month`, or every month in the
/// target): the file is checked against its manifest first, the month's partition is made
/// when missing, and per month, in one transaction, the rows not present are inserted (the
/// same (product, time) is never stored twice, so restoring again inserts nothing) and the
/// daily rollups of the month are recomputed from the raw rows, which are complete again,
/// so `product_daily` neither double-counts nor loses what was merged since.
pub async fn restore(
    pool: &PgPool,
    target: &ArchiveTarget,
    month: Option<Month>,
) -> Result<Vec<RestoredMonth>, ArchiveError> {
    let months = match month {
        Some(m) => vec![m],
        None => target.months().await?,
    };
    let mut out = Vec::with_capacity(months.len());
    for m in months {
        let manifest = read_manifest(target, m).await?;
        let file = file_name(m);
        let batches = decode(&file, target.get(&file).await?, &manifest)?;
        crate::partitions::ensure_months(pool, &[m])
            .await
            .map_err(|e| ArchiveError::Partition { month: m.to_string(), source: Box::new(e) })?;
        let restore_err = |source| ArchiveError::Restore { month: m.to_string(), source };
        let mut tx = pool.begin().await.map_err(db("starting a transaction"))?;
        let mut inserted = 0;
        for batch in &batches {
            inserted +=
                crate::write::snapshots::restore_archived(&mut tx, batch).await.map_err(restore_err)?;
        }
        let days_rebuilt = if inserted > 0 {
            let from = m.start().date_naive();
            let to = m.end().date_naive().pred_opt().unwrap_or(from);
            crate::write::rollups::rebuild(&mut tx, Some(from), Some(to)).await.map_err(restore_err)?
        } else {
            0
        };
        tx.commit().await.map_err(db("committing the restore"))?;
        out.push(RestoredMonth { month: m.to_string(), rows: manifest.rows, inserted, days_rebuilt });
    }
    Ok(out)
}
