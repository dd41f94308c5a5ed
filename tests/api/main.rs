//! Integration tests over HTTP: one binary, the real app on a random port per test, a fresh
//! database each (SQLite by default; PostgreSQL with SMEPROC_TEST_POSTGRES_URL).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;
mod helpers;

mod access;
mod audit;
mod auth;
mod calendar;
mod catalogue;
mod concurrency;
mod documents;
mod engine;
mod errors;
mod finance;
mod fixtures;
mod hardening;
mod logs;
mod ocds;
mod payments;
mod procurement;
mod registry;
mod remedies;
mod sealing;
mod system;
mod web;
