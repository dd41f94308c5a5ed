//! Persistence: diesel schema, the connection over both backends, one module per aggregate.
//! Everything here is synchronous; HTTP handlers call it inside `web::block`.

pub mod audit;
pub mod calendar;
pub mod connection;
pub mod enterprises;
pub mod files;
pub mod finance;
pub mod limits;
pub mod orgs;
pub mod payments;
pub mod procurement;
pub mod products;
pub mod remedies;
pub mod schema;
pub mod sessions;
pub mod users;

pub use connection::{write, DbConnection, DbPool};
/// The error of a query (for callers that map it before it becomes an `Error`).
pub type QueryError = diesel::result::Error;

/// A new time-ordered id (UUID v7), as stored (text).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
