//! Use cases, one module per area: each public function is one transaction that loads, asks the
//! domain, and stores — no SQL of its own (that is db/'s).

pub mod accounts;
mod actor;
pub mod audit;
pub mod auth;
pub mod catalogue;
pub mod demo;
pub mod finance;
pub mod imports;
pub mod procurement;
pub mod registry;
pub mod sealing;
pub mod system;

pub use actor::Actor;

/// The database connection the use cases run on (the HTTP layer hands it over, never uses it).
pub type Conn = crate::db::DbConnection;
/// The pool of connections.
pub type Pool = crate::db::DbPool;
