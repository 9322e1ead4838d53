//! `amazcope-pg` against a real PostgreSQL: one test binary (linking one binary per file
//! cost more than the tests on a 2-core machine), a database per test (`#[sqlx::test]`).

mod analytics;
mod archive;
mod cluster;
pub(crate) mod ingest;
mod keepa_export;
mod long_history;
mod migrations;
mod ops;
mod partitions;
mod pgbouncer;
mod queue;
mod replica;
pub(crate) mod repos;
mod rls;
mod rollups;
mod schema;
mod schema_inspect;
mod suggest;
mod tenancy;
mod variations;
mod writes;
