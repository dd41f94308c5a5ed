//! smeproc: SME-preference government procurement. See `docs/architecture.md` for the layers.

pub mod accounts;
pub mod api;
pub mod audit;
pub mod auth;
pub mod catalogue;
pub mod cli;
pub mod clock;
pub mod config;
pub mod csv_import;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod finance;
pub mod policy;
pub mod procurement;
pub mod registry;
pub mod startup;
pub mod telemetry;
pub mod web;
pub mod wire;
