//! Domain entities, one file per concern. Each entity mirrors a table of
//! `shared/spec/SCHEMA.md`; `New*` types are what a caller supplies to create one.

pub mod alert;
pub mod category;
pub mod enums;
pub mod history;
pub mod notification;
pub mod page;
pub mod product;
pub mod review;
pub mod snapshot;
pub mod suggestion;
pub mod token;
pub mod tracking;
pub mod user;
