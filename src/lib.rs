#![recursion_limit = "256"]
//! smeproc: SME-preference government procurement. See `docs/architecture.md` for the layers.

pub mod api;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod http;
pub mod service;
pub mod startup;
pub mod telemetry;
pub mod web;
pub mod wire;
