//! Wire formats promised in CONTRACTS.md, shared by the CLI and the HTTP API: parsing and
//! validation into domain types (every problem named by its JSON path) and output shapes.

pub mod classify;
pub mod csv;
pub mod evaluation;
pub mod fields;
pub mod time;

pub use crate::error::json::{path_problem, strip_position, FieldProblem, JsonProblem, TextRule};

/// The domain's rule for text in every JSON string.
pub const TEXT: TextRule = TextRule {
    may_hold: crate::domain::text::may_hold_invisible,
    problem: crate::domain::text::problem_in,
};

/// Parses `bytes` as `T`, naming the path of a bad value and of any string holding a refused
/// character ([`crate::error::json::parse_json`] with the domain's text rule).
pub fn parse_json<'a, T: serde::Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, JsonProblem> {
    crate::error::json::parse_json(bytes, TEXT)
}
