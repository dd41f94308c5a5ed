//! HTTP plumbing shared by the API and the pages: app state, the access tables and middlewares
//! (deny by default, limits, ownership first), extractors, the upload spool, the client's
//! address, the caller as an actor.

pub mod access;
pub mod actor;
pub mod documents;
pub mod extract;
pub mod limits;
pub mod ownership;
pub mod respond;
pub mod routes;
pub mod spool;
pub mod state;

pub use access::method_not_allowed;
pub use respond::{
    csv_download, ledger_csv_download, page_refusal, see_other, PageRenderer, SESSION_COOKIE,
};
pub use state::{base_url, client_address, AppState};
