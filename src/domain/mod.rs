//! Pure rules: no I/O, no database, no HTTP. Everything here is deterministic.

pub mod beijing;
pub mod bidding;
pub mod calendar;
pub mod category;
pub mod classify;
pub mod credit_code;
pub mod decimal;
pub mod digest;
pub mod documents;
pub mod enterprise;
pub mod evaluation;
pub mod ledger;
pub mod lifecycle;
pub mod messages;
pub mod payments;
pub mod policy;
pub mod region;
pub mod remedies;
pub mod reservation;
pub mod role;
pub mod scale;
pub mod text;

pub use credit_code::CreditCode;
pub use decimal::{Fen, Hundredths};
pub use region::RegionCode;
pub use scale::Scale;
