//! The rules engine as a library: worked examples, invariants (proptest), classification tables.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;

mod classify;
mod examples;
mod messages;
mod properties;
