//! Every page's route, in the order of the access table.

use super::*;
use actix_web::web;

/// Registers every page of [`crate::http::access::PAGES`].
pub fn configure(cfg: &mut web::ServiceConfig) {
    use actix_web::web::{get, post};
    let at = |path: &str| {
        web::resource(path.to_string()).default_service(crate::http::method_not_allowed())
    };
    cfg.service(at("/").route(get().to(public::home)))
        .service(at("/static/app.css").route(get().to(public::stylesheet)))
        .service(at("/lang").route(get().to(public::language)))
        .service(at("/notices").route(get().to(public::notices)))
        .service(at("/notices/{id}").route(get().to(public::notice)))
        .service(at("/projects/{id}").route(get().to(public::project)))
        .service(at("/catalogue").route(get().to(public::catalogue)))
        .service(at("/enterprises/{id}").route(get().to(public::enterprise)))
        .service(
            at("/login")
                .route(get().to(public::login_form))
                .route(post().to(public::login)),
        )
        .service(at("/logout").route(post().to(public::logout)))
        .service(
            at("/signup")
                .route(get().to(supplier::signup_form))
                .route(post().to(supplier::signup)),
        )
        .service(at("/supplier").route(get().to(supplier::profile)))
        .service(at("/supplier/declarations").route(post().to(supplier::declare)))
        .service(
            at("/supplier/products")
                .route(get().to(supplier::products))
                .route(post().to(supplier::add_product)),
        )
        .service(at("/supplier/products/upload").route(post().to(supplier::upload)))
        .service(at("/supplier/products/{id}").route(post().to(supplier::update_product)))
        .service(
            at("/lots/{id}/bid")
                .route(get().to(supplier::bid_form))
                .route(post().to(supplier::bid)),
        )
        .service(at("/bids/{id}").route(get().to(supplier::receipt)))
        .service(at("/bids/{id}/receipt.json").route(get().to(supplier::receipt_json)))
        .service(at("/agency").route(get().to(agency::workspace)))
        .service(
            at("/agency/projects/new")
                .route(get().to(agency::new_project))
                .route(post().to(agency::create_project)),
        )
        .service(at("/agency/projects/{id}").route(get().to(agency::project)))
        .service(at("/agency/projects/{id}/publish").route(post().to(agency::publish)))
        .service(at("/agency/projects/{id}/correction").route(post().to(agency::correct)))
        .service(at("/agency/projects/{id}/result").route(post().to(agency::result)))
        .service(at("/agency/lots/{id}").route(get().to(agency::lot)))
        .service(at("/agency/lots/{id}/scores").route(post().to(agency::scores)))
        .service(at("/agency/lots/{id}/evaluate").route(post().to(agency::evaluate)))
        .service(at("/agency/lots/{id}/award").route(post().to(agency::award)))
        .service(at("/agency/lots/{id}/contract").route(post().to(agency::contract)))
        .service(at("/finance").route(get().to(finance::dashboard)))
        .service(at("/finance/ledger.csv").route(get().to(finance::ledger_csv)))
        .service(at("/finance/{id}/{year}").route(get().to(finance::department)));
}
