//! Use cases, one module per area: each public function is one transaction that loads, asks the
//! domain, and stores — no SQL of its own (that is db/'s).

pub mod accounts;
mod actor;
pub mod audit;
pub mod auth;
pub mod calendar;
pub mod catalogue;
pub mod demo;
pub mod finance;
pub mod imports;
pub mod payments;
pub mod procurement;
pub mod registry;
pub mod remedies;
pub mod sealing;
pub mod system;

pub use actor::Actor;

/// A 409 given by its message code: the API's English `detail` is rendered from the catalogue
/// and the code kept for the pages, so both languages come from one entry.
pub fn refuse(
    cause: crate::error::Cause,
    code: &'static str,
    params: Vec<(&'static str, String)>,
) -> crate::error::Error {
    use crate::domain::messages::{said_in, Lang};
    crate::error::Error::conflict(cause, said_in(Lang::En, code, &params)).said(code, params)
}

/// The database connection the use cases run on (the HTTP layer hands it over, never uses it).
pub type Conn = crate::db::DbConnection;
/// The pool of connections.
pub type Pool = crate::db::DbPool;
