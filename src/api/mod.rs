//! The HTTP API: handlers per resource, the access table, the JSON extractor, OpenAPI.
//! Handlers are thin: parse, call the shared service or domain code (diesel inside
//! `web::block` via [`AppState::db`]), map to a response.

pub mod audit;
pub mod calendar;
pub mod catalogue;
pub mod documents;
pub mod engine;
pub mod enterprises;
pub mod finance;
pub mod openapi;
pub mod opening;
pub mod orgs;
pub mod payments;
pub mod procurement;
pub mod remedies;
pub mod routes;
pub mod session;
pub mod system;
pub mod users;

pub use crate::http::{base_url, client_address, AppState};

pub use crate::http::method_not_allowed;

pub use routes::{configure, ROUTES};
