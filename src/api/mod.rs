//! The HTTP API: handlers per resource, the access table, the JSON extractor, OpenAPI.
//! Handlers are thin: parse, call the shared service or domain code (diesel inside
//! `web::block` via [`AppState::db`]), map to a response.

pub mod audit;
pub mod catalogue;
pub mod engine;
pub mod enterprises;
pub mod finance;
pub mod openapi;
pub mod orgs;
pub mod procurement;
pub mod session;
pub mod system;
pub mod users;

use crate::config::Settings;
use crate::error::Error;
use crate::http::extract;
pub use crate::http::{base_url, client_address, AppState};
use actix_web::web;

pub use crate::http::method_not_allowed;

/// A resource that answers 405 problem+json for methods it does not route.
fn at(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(method_not_allowed())
}

/// Registers every route of [`access::ROUTES`] (the access test fails if one is missing).
pub fn configure(cfg: &mut web::ServiceConfig, settings: &Settings) {
    use actix_web::web::{get, patch, post, put};
    let limit = extract::BodyLimit(settings.max_body_bytes);
    cfg.app_data(limit)
        .app_data(
            web::PathConfig::default()
                .error_handler(|e, _| Error::BadRequest(e.to_string()).into()),
        )
        .service(at("/health").route(get().to(system::health)))
        .service(at("/ready").route(get().to(system::ready)))
        .service(at("/openapi.json").route(get().to(openapi::spec)))
        .service(at("/docs").route(get().to(openapi::docs_page)))
        .service(
            web::scope("/api/v1")
                .service(at("/auth/login").route(post().to(session::login)))
                .service(at("/auth/signup").route(post().to(enterprises::signup)))
                .service(at("/auth/logout").route(post().to(session::logout)))
                .service(at("/me").route(get().to(session::me)))
                .service(
                    at("/users")
                        .route(get().to(users::list))
                        .route(post().to(users::create)),
                )
                .service(at("/users/{id}/disable").route(post().to(users::disable)))
                .service(
                    at("/orgs")
                        .route(get().to(orgs::list))
                        .route(post().to(orgs::create)),
                )
                .service(
                    at("/enterprises")
                        .route(get().to(enterprises::list))
                        .route(post().to(enterprises::create)),
                )
                .service(at("/enterprises/{id}").route(get().to(enterprises::show)))
                .service(at("/enterprises/{id}/scale").route(get().to(enterprises::scale_on)))
                .service(
                    at("/enterprises/{id}/declarations")
                        .route(get().to(enterprises::declarations))
                        .route(post().to(enterprises::declare)),
                )
                .service(at("/declarations/{id}/review").route(post().to(enterprises::review)))
                .service(
                    at("/products")
                        .route(get().to(catalogue::search))
                        .route(post().to(catalogue::create)),
                )
                .service(
                    at("/products/{id}")
                        .route(get().to(catalogue::show))
                        .route(patch().to(catalogue::update)),
                )
                .service(at("/products/{id}/prices").route(get().to(catalogue::prices)))
                .service(at("/market-prices").route(get().to(catalogue::market_prices)))
                .service(at("/categories").route(get().to(catalogue::categories)))
                .service(at("/catalogue/import").route(post().to(catalogue::import)))
                .service(at("/catalogue/export").route(get().to(catalogue::export)))
                .service(
                    at("/projects")
                        .route(get().to(procurement::list_projects))
                        .route(post().to(procurement::create_project)),
                )
                .service(
                    at("/projects/{id}")
                        .route(get().to(procurement::show_project))
                        .route(put().to(procurement::replace_project)),
                )
                .service(
                    at("/projects/{id}/publish").route(post().to(procurement::publish_project)),
                )
                .service(
                    at("/projects/{id}/corrections").route(post().to(procurement::correct_project)),
                )
                .service(at("/projects/{id}/result").route(post().to(procurement::publish_result)))
                .service(
                    at("/projects/{id}/contracts").route(get().to(procurement::project_contracts)),
                )
                .service(at("/projects/{id}/ocds").route(get().to(procurement::project_ocds)))
                .service(at("/ocds/releases").route(get().to(procurement::ocds_releases)))
                .service(at("/notices").route(get().to(procurement::list_notices)))
                .service(at("/notices.atom").route(get().to(procurement::notices_atom)))
                .service(at("/notices/{id}").route(get().to(procurement::show_notice)))
                .service(
                    at("/lots/{id}/bids")
                        .route(get().to(procurement::lot_bids))
                        .route(post().to(procurement::submit_bid)),
                )
                .service(
                    at("/bids/{id}")
                        .route(get().to(procurement::show_bid))
                        .route(put().to(procurement::replace_bid)),
                )
                .service(at("/bids/{id}/withdraw").route(post().to(procurement::withdraw_bid)))
                // A large lot's review comes in one body: the evaluation cap applies.
                .service(
                    at("/lots/{id}/qualification")
                        .app_data(extract::BodyLimit(settings.evaluate_max_bytes))
                        .route(post().to(procurement::qualify)),
                )
                .service(
                    at("/lots/{id}/scores")
                        .app_data(extract::BodyLimit(settings.evaluate_max_bytes))
                        .route(post().to(procurement::enter_scores)),
                )
                .service(at("/lots/{id}/evaluate").route(post().to(procurement::run_evaluation)))
                .service(at("/lots/{id}/evaluations").route(get().to(procurement::lot_runs)))
                .service(at("/evaluations/{id}").route(get().to(procurement::show_run)))
                .service(at("/evaluations/{id}/replay").route(get().to(procurement::replay_run)))
                .service(at("/lots/{id}/award").route(post().to(procurement::award)))
                .service(at("/lots/{id}/contract").route(post().to(procurement::record_contract)))
                .service(at("/contracts/verify").route(get().to(finance::verify_contract)))
                .service(at("/contracts/{id}").route(get().to(procurement::show_contract)))
                .service(at("/contracts/{id}/subcontracts").route(get().to(finance::subcontracts)))
                .service(
                    at("/budget-plans/{id}/{year}")
                        .route(get().to(finance::get_plan))
                        .route(put().to(finance::put_plan)),
                )
                .service(at("/ledger").route(get().to(finance::ledger)))
                .service(at("/ledger.csv").route(get().to(finance::ledger_csv)))
                .service(
                    at("/ledger/{id}/{year}/contracts").route(get().to(finance::ledger_contracts)),
                )
                .service(at("/reports/annual").route(get().to(finance::annual_report)))
                .service(
                    at("/subcontracts/{id}/payments").route(post().to(finance::report_payment)),
                )
                .service(at("/payments/{id}/paid").route(post().to(finance::mark_paid)))
                .service(at("/payments/{id}/confirm").route(post().to(finance::confirm_payment)))
                .service(at("/payments/flagged").route(get().to(finance::flagged)))
                .service(at("/audit/verify").route(get().to(audit::verify)))
                .service(at("/audit/events").route(get().to(audit::events)))
                .service(
                    at("/audit/checkpoints")
                        .route(get().to(audit::checkpoints))
                        .route(post().to(audit::sign_checkpoint)),
                )
                .service(at("/audit/checkpoints.atom").route(get().to(audit::checkpoints_atom)))
                .service(at("/policies").route(get().to(engine::list_policies)))
                .service(at("/policies/{id}").route(get().to(engine::show_policy)))
                .service(at("/classify").route(post().to(engine::classify)))
                .service(
                    at("/evaluate")
                        .app_data(extract::BodyLimit(settings.evaluate_max_bytes))
                        .route(post().to(engine::evaluate)),
                ),
        );
}
