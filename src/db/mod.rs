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

/// Runs a lookup by ids over chunks of at most 500 ids and joins the rows: one query per chunk,
/// never past SQLite's limit on bound parameters however many ids a report asks for.
pub(crate) fn in_chunks<T>(
    ids: &[&str],
    mut query: impl FnMut(&[&str]) -> diesel::QueryResult<Vec<T>>,
) -> diesel::QueryResult<Vec<T>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        out.extend(query(chunk)?);
    }
    Ok(out)
}
