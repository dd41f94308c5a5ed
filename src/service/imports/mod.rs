//! CSV imports and exports, one module per file kind of CONTRACTS.md: each reads with true line
//! numbers, checks every row with the area's own rules and writes in batches in one transaction.

pub mod enterprises;
pub mod products;
