//! Every API route, declared once: method, path, who may call it, handler and options. The
//! router, the access table (`ROUTES`) and the OpenAPI paths all come from this list.

use super::{
    audit, calendar, catalogue, documents, engine, enterprises, finance, openapi, opening, orgs,
    payments, procurement, remedies,
};
use super::{session, system, users};
use crate::config::Settings;
use crate::error::Error;
use crate::http::access::{
    Access, ADMIN, AGENCY, AUDITORS, BID_READERS, FINANCE, MANAGERS, PAYERS, PLANNERS, STAFF,
    SUPPLIER, SUPPLIERS,
};
use crate::http::extract::BodyLimit;
use crate::http::routes::{register, route_table};

const PUBLIC: Access = Access::Public;
const AUTHENTICATED: Access = Access::Authenticated;

/// The list, handed to a macro that turns it into something (the x-macro pattern): the order
/// is the router's (a literal path before a pattern that would match it).
macro_rules! api_routes {
    ($make:ident { $($args:tt)* }) => {
        $make! { $($args)*;
        GET "/health", PUBLIC => system::health;
        GET "/ready", PUBLIC => system::ready;
        GET "/openapi.json", PUBLIC => openapi::spec, nodoc;
        GET "/docs", PUBLIC => openapi::docs_page, nodoc;
        POST "/api/v1/auth/login", PUBLIC => session::login;
        POST "/api/v1/auth/signup", PUBLIC => enterprises::signup;
        POST "/api/v1/auth/logout", AUTHENTICATED => session::logout;
        GET "/api/v1/me", AUTHENTICATED => session::me;
        GET "/api/v1/me/key-shares", STAFF => opening::my_shares;
        GET "/api/v1/users", ADMIN => users::list;
        POST "/api/v1/users", ADMIN => users::create;
        POST "/api/v1/users/{id}/disable", ADMIN => users::disable;
        GET "/api/v1/orgs", STAFF => orgs::list;
        POST "/api/v1/orgs", ADMIN => orgs::create;
        GET "/api/v1/enterprises", PUBLIC => enterprises::list;
        POST "/api/v1/enterprises", ADMIN => enterprises::create;
        GET "/api/v1/enterprises/{id}", PUBLIC => enterprises::show;
        GET "/api/v1/enterprises/{id}/scale", PUBLIC => enterprises::scale_on;
        GET "/api/v1/enterprises/{id}/declarations", BID_READERS => enterprises::declarations;
        POST "/api/v1/enterprises/{id}/declarations", SUPPLIERS => enterprises::declare;
        POST "/api/v1/declarations/{id}/review", MANAGERS => enterprises::review;
        GET "/api/v1/products", PUBLIC => catalogue::search;
        POST "/api/v1/products", SUPPLIERS => catalogue::create;
        GET "/api/v1/products/{id}", PUBLIC => catalogue::show;
        PATCH "/api/v1/products/{id}", SUPPLIERS => catalogue::update;
        GET "/api/v1/products/{id}/prices", PUBLIC => catalogue::prices;
        GET "/api/v1/market-prices", PUBLIC => catalogue::market_prices;
        GET "/api/v1/categories", PUBLIC => catalogue::categories;
        POST "/api/v1/catalogue/import", SUPPLIERS => catalogue::import;
        GET "/api/v1/catalogue/export", SUPPLIERS => catalogue::export;
        GET "/api/v1/projects", STAFF => procurement::list_projects;
        POST "/api/v1/projects", AGENCY => procurement::create_project;
        GET "/api/v1/projects/{id}", PUBLIC => procurement::show_project;
        PUT "/api/v1/projects/{id}", AGENCY => procurement::replace_project;
        GET "/api/v1/projects/{id}/key-holders", STAFF => opening::key_plan;
        PUT "/api/v1/projects/{id}/key-holders", MANAGERS => opening::set_key_plan;
        GET "/api/v1/projects/{id}/documents", PUBLIC => documents::list;
        POST "/api/v1/projects/{id}/documents", MANAGERS => documents::attach;
        GET "/api/v1/projects/{id}/documents/{document}", AUTHENTICATED => documents::obtain;
        DELETE "/api/v1/projects/{id}/documents/{document}", MANAGERS => documents::remove;
        GET "/api/v1/projects/{id}/obtained-documents", STAFF => documents::obtained;
        POST "/api/v1/projects/{id}/publish", MANAGERS => procurement::publish_project;
        POST "/api/v1/projects/{id}/corrections", MANAGERS => procurement::correct_project;
        POST "/api/v1/projects/{id}/result", MANAGERS => procurement::publish_result;
        POST "/api/v1/projects/{id}/terminate", MANAGERS => procurement::terminate_project;
        POST "/api/v1/projects/{id}/rounds", MANAGERS => procurement::new_round;
        POST "/api/v1/projects/{id}/challenges", SUPPLIER => remedies::file_challenge;
        GET "/api/v1/projects/{id}/contracts", PUBLIC => procurement::project_contracts;
        GET "/api/v1/projects/{id}/ocds", PUBLIC => procurement::project_ocds;
        GET "/api/v1/ocds/releases", PUBLIC => procurement::ocds_releases;
        GET "/api/v1/notices", PUBLIC => procurement::list_notices;
        GET "/api/v1/notices.atom", PUBLIC => procurement::notices_atom;
        GET "/api/v1/notices/{id}", PUBLIC => procurement::show_notice;
        GET "/api/v1/lots/{id}/bids", STAFF => procurement::lot_bids;
        POST "/api/v1/lots/{id}/bids", SUPPLIER => procurement::submit_bid;
        POST "/api/v1/lots/{id}/sealed-bids", SUPPLIER => opening::submit_sealed;
        GET "/api/v1/bids/{id}", BID_READERS => procurement::show_bid;
        GET "/api/v1/bids/{id}/documents/{document}", BID_READERS => procurement::bid_document;
        PUT "/api/v1/bids/{id}", SUPPLIER => procurement::replace_bid;
        POST "/api/v1/bids/{id}/withdraw", SUPPLIER => procurement::withdraw_bid;
        POST "/api/v1/lots/{id}/key-share", STAFF => opening::collect_share;
        GET "/api/v1/lots/{id}/opening", AUTHENTICATED => opening::show;
        POST "/api/v1/lots/{id}/opening/shares", STAFF => opening::give_share;
        POST "/api/v1/lots/{id}/opening/fail", MANAGERS => opening::fail_unopened;
        POST "/api/v1/lots/{id}/qualification", MANAGERS => procurement::qualify, big;
        POST "/api/v1/lots/{id}/scores", MANAGERS => procurement::enter_scores, big;
        POST "/api/v1/lots/{id}/evaluate", MANAGERS => procurement::run_evaluation;
        GET "/api/v1/lots/{id}/evaluations", STAFF => procurement::lot_runs;
        GET "/api/v1/evaluations/{id}", STAFF => procurement::show_run;
        GET "/api/v1/evaluations/{id}/replay", STAFF => procurement::replay_run;
        POST "/api/v1/lots/{id}/award", MANAGERS => procurement::award;
        POST "/api/v1/lots/{id}/award/next", MANAGERS => procurement::award_next;
        POST "/api/v1/lots/{id}/contract", MANAGERS => procurement::record_contract;
        GET "/api/v1/contracts/verify", PUBLIC => finance::verify_contract;
        GET "/api/v1/contracts/{id}", PUBLIC => procurement::show_contract;
        GET "/api/v1/contracts/{id}/subcontracts", BID_READERS => finance::subcontracts;
        GET "/api/v1/budget-plans/{id}/{year}", STAFF => finance::get_plan;
        PUT "/api/v1/budget-plans/{id}/{year}", PLANNERS => finance::put_plan;
        GET "/api/v1/ledger", AUDITORS => finance::ledger;
        GET "/api/v1/ledger.csv", AUDITORS => finance::ledger_csv;
        GET "/api/v1/ledger/{id}/{year}/contracts", AUDITORS => finance::ledger_contracts;
        GET "/api/v1/reports/annual", PUBLIC => finance::annual_report;
        POST "/api/v1/subcontracts/{id}/payments", SUPPLIER => finance::report_payment;
        POST "/api/v1/payments/{id}/paid", SUPPLIER => finance::mark_paid;
        POST "/api/v1/payments/{id}/confirm", SUPPLIER => finance::confirm_payment;
        GET "/api/v1/payments/flagged", AUDITORS => finance::flagged;
        GET "/api/v1/payments/overdue", AUDITORS => payments::overdue;
        GET "/api/v1/payments/overdue.csv", AUDITORS => payments::overdue_csv;
        GET "/api/v1/payments/overdue/summary", AUDITORS => payments::overdue_summary;
        GET "/api/v1/payment-terms", PUBLIC => payments::terms;
        GET "/api/v1/contracts/{id}/schedule", BID_READERS => payments::contract_schedule;
        PUT "/api/v1/contracts/{id}/schedule", MANAGERS => payments::set_contract_schedule;
        GET "/api/v1/subcontracts/{id}/schedule", BID_READERS => payments::subcontract_schedule;
        PUT "/api/v1/subcontracts/{id}/schedule", SUPPLIER => payments::set_subcontract_schedule;
        GET "/api/v1/instalments/{id}", BID_READERS => payments::show_instalment;
        POST "/api/v1/instalments/{id}/delivery", PAYERS => payments::record_delivery;
        POST "/api/v1/instalments/{id}/acceptance", PAYERS => payments::record_acceptance;
        POST "/api/v1/instalments/{id}/confirm", SUPPLIER => payments::confirm_instalment;
        POST "/api/v1/instalments/{id}/dispute", SUPPLIER => payments::dispute_instalment;
        POST "/api/v1/instalments/{id}/dispute/withdraw", SUPPLIER => payments::withdraw_dispute;
        POST "/api/v1/instalments/{id}/payments", PAYERS => payments::record_payment;
        POST "/api/v1/instalments/{id}/reports", SUPPLIER => payments::file_report;
        POST "/api/v1/instalment-payments/{id}/confirm", SUPPLIER => payments::confirm_payment;
        GET "/api/v1/payment-reports", BID_READERS => payments::list_reports;
        GET "/api/v1/payment-reports/{id}", BID_READERS => payments::show_report;
        POST "/api/v1/payment-reports/{id}/close", FINANCE => payments::close_report;
        GET "/api/v1/payment-documents/{id}", BID_READERS => payments::document;
        GET "/api/v1/receivables", SUPPLIER => payments::receivables;
        GET "/api/v1/audit/verify", AUDITORS => audit::verify;
        GET "/api/v1/audit/events", AUDITORS => audit::events;
        GET "/api/v1/audit/checkpoints", PUBLIC => audit::checkpoints;
        POST "/api/v1/audit/checkpoints", ADMIN => audit::sign_checkpoint;
        GET "/api/v1/audit/checkpoints.atom", PUBLIC => audit::checkpoints_atom;
        GET "/api/v1/challenges", AUTHENTICATED => remedies::list_challenges;
        GET "/api/v1/challenges/{id}", AUTHENTICATED => remedies::show_challenge;
        POST "/api/v1/challenges/{id}/answer", MANAGERS => remedies::answer_challenge;
        POST "/api/v1/challenges/{id}/withdraw", SUPPLIER => remedies::withdraw_challenge;
        POST "/api/v1/challenges/{id}/complaint", SUPPLIER => remedies::file_complaint;
        GET "/api/v1/complaints", AUTHENTICATED => remedies::list_complaints;
        GET "/api/v1/complaints/{id}", AUTHENTICATED => remedies::show_complaint;
        POST "/api/v1/complaints/{id}/accept", FINANCE => remedies::accept_complaint;
        POST "/api/v1/complaints/{id}/reject", FINANCE => remedies::reject_complaint;
        POST "/api/v1/complaints/{id}/suspend", FINANCE => remedies::suspend_complaint;
        POST "/api/v1/complaints/{id}/resume", FINANCE => remedies::resume_complaint;
        POST "/api/v1/complaints/{id}/ruling", FINANCE => remedies::rule_complaint;
        GET "/api/v1/remedy-documents/{id}", AUTHENTICATED => remedies::remedy_document;
        GET "/api/v1/debarments", PUBLIC => remedies::list_debarments;
        POST "/api/v1/debarments", FINANCE => remedies::record_debarment;
        GET "/api/v1/debarments/{id}", PUBLIC => remedies::show_debarment;
        POST "/api/v1/debarments/{id}/lift", FINANCE => remedies::lift_debarment;
        GET "/api/v1/calendar/{year}", PUBLIC => calendar::show;
        PUT "/api/v1/calendar/{year}", ADMIN => calendar::import;
        GET "/api/v1/policies", PUBLIC => engine::list_policies;
        GET "/api/v1/policies/{id}", PUBLIC => engine::show_policy;
        POST "/api/v1/classify", PUBLIC => engine::classify;
        POST "/api/v1/evaluate", PUBLIC => engine::evaluate, big;
        }
    };
}

api_routes!(route_table { ROUTES, TABLE });

/// The OpenAPI paths: every route's handler but those marked `nodoc`.
macro_rules! doc_paths {
    (@ [$($done:tt)*]) => {
        /// The paths of the OpenAPI document, one per documented route of the table.
        #[derive(utoipa::OpenApi)]
        #[openapi(paths($($done)*))]
        pub struct ApiPaths;
    };
    (@ [$($done:tt)*] [nodoc] $($h:ident)::+ ; $($rest:tt)*) => {
        doc_paths!(@ [$($done)*] $($rest)*);
    };
    (@ [$($done:tt)*] [$($o:ident)*] $($h:ident)::+ ; $($rest:tt)*) => {
        doc_paths!(@ [$($done)* $($h)::+,] $($rest)*);
    };
    (; $( $method:ident $path:literal, $access:expr => $($h:ident)::+ $(, $opt:ident)* ; )+) => {
        doc_paths!(@ [] $( [$($opt)*] $($h)::+ ; )+);
    };
}

api_routes!(doc_paths {});

/// Registers every route of the table.
pub fn configure(cfg: &mut actix_web::web::ServiceConfig, settings: &Settings) {
    cfg.app_data(BodyLimit(settings.max_body_bytes)).app_data(
        actix_web::web::PathConfig::default()
            .error_handler(|e, _| Error::BadRequest(e.to_string()).into()),
    );
    register(cfg, TABLE, settings);
}
