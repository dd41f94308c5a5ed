//! Every page, declared once: method, path, who may call it, handler. The router and the
//! access table (`PAGES`) both come from this list.

use super::{agency, finance, payments, public, remedies, shares, supplier};
use crate::config::Settings;
use crate::http::access::{Access, AGENCY, AUDITORS, FINANCE, MANAGERS, PAYERS, STAFF, SUPPLIER};
use crate::http::routes::{register, route_table};

const PUBLIC: Access = Access::Public;
const AUTHENTICATED: Access = Access::Authenticated;

route_table! { PAGES, TABLE;
        GET "/", PUBLIC => public::home;
        GET "/static/app.css", PUBLIC => public::stylesheet;
        GET "/lang", PUBLIC => public::language;
        GET "/notices", PUBLIC => public::notices;
        GET "/notices/{id}", PUBLIC => public::notice;
        GET "/projects/{id}", PUBLIC => public::project;
        GET "/projects/{id}/documents/{document}", AUTHENTICATED => public::obtain_document;
        GET "/projects/{id}/challenge", SUPPLIER => remedies::challenge_form;
        POST "/projects/{id}/challenge", SUPPLIER => remedies::file_challenge;
        GET "/challenges", AUTHENTICATED => remedies::list;
        GET "/challenges/{id}", AUTHENTICATED => remedies::challenge;
        POST "/challenges/{id}/answer", MANAGERS => remedies::answer;
        POST "/challenges/{id}/withdraw", SUPPLIER => remedies::withdraw;
        POST "/challenges/{id}/complaint", SUPPLIER => remedies::complain;
        GET "/complaints/{id}", AUTHENTICATED => remedies::complaint;
        POST "/complaints/{id}/accept", FINANCE => remedies::accept;
        POST "/complaints/{id}/reject", FINANCE => remedies::reject;
        POST "/complaints/{id}/suspend", FINANCE => remedies::suspend;
        POST "/complaints/{id}/resume", FINANCE => remedies::resume;
        POST "/complaints/{id}/ruling", FINANCE => remedies::rule;
        GET "/remedy-documents/{id}", AUTHENTICATED => remedies::document;
        GET "/debarments", PUBLIC => remedies::debarment_list;
        POST "/debarments", FINANCE => remedies::record_debarment;
        POST "/debarments/{id}/lift", FINANCE => remedies::lift_debarment;
        GET "/catalogue", PUBLIC => public::catalogue;
        GET "/enterprises/{id}", PUBLIC => public::enterprise;
        GET "/login", PUBLIC => public::login_form;
        POST "/login", PUBLIC => public::login;
        POST "/logout", AUTHENTICATED => public::logout;
        GET "/signup", PUBLIC => supplier::signup_form;
        POST "/signup", PUBLIC => supplier::signup;
        GET "/supplier", SUPPLIER => supplier::profile;
        POST "/supplier/declarations", SUPPLIER => supplier::declare;
        GET "/supplier/products", SUPPLIER => supplier::products;
        POST "/supplier/products", SUPPLIER => supplier::add_product;
        POST "/supplier/products/upload", SUPPLIER => supplier::upload;
        POST "/supplier/products/{id}", SUPPLIER => supplier::update_product;
        GET "/lots/{id}/bid", SUPPLIER => supplier::bid_form;
        POST "/lots/{id}/bid", SUPPLIER => supplier::bid;
        GET "/bids/{id}", SUPPLIER => supplier::receipt;
        GET "/bids/{id}/receipt.json", SUPPLIER => supplier::receipt_json;
        GET "/agency", MANAGERS => agency::workspace;
        GET "/agency/projects/new", AGENCY => agency::new_project;
        POST "/agency/projects/new", AGENCY => agency::create_project;
        GET "/agency/projects/{id}", MANAGERS => agency::project;
        POST "/agency/projects/{id}/key-holders", MANAGERS => agency::key_holders;
        POST "/agency/projects/{id}/documents", MANAGERS => agency::attach_documents;
        POST "/agency/projects/{id}/documents/{document}/remove", MANAGERS => agency::remove_document;
        POST "/agency/projects/{id}/publish", MANAGERS => agency::publish;
        POST "/agency/projects/{id}/correction", MANAGERS => agency::correct;
        POST "/agency/projects/{id}/result", MANAGERS => agency::result;
        POST "/agency/projects/{id}/terminate", MANAGERS => agency::terminate;
        POST "/agency/projects/{id}/rounds", MANAGERS => agency::new_round;
        GET "/agency/lots/{id}", MANAGERS => agency::lot;
        POST "/agency/lots/{id}/key-share", MANAGERS => agency::collect_share;
        POST "/agency/lots/{id}/opening", MANAGERS => agency::give_share;
        POST "/agency/lots/{id}/opening/fail", MANAGERS => agency::fail_unopened;
        POST "/agency/lots/{id}/scores", MANAGERS => agency::scores;
        POST "/agency/lots/{id}/evaluate", MANAGERS => agency::evaluate;
        POST "/agency/lots/{id}/award", MANAGERS => agency::award;
        POST "/agency/lots/{id}/award/next", MANAGERS => agency::award_next;
        POST "/agency/lots/{id}/contract", MANAGERS => agency::contract;
        GET "/key-shares", STAFF => shares::list;
        POST "/key-shares/{id}/collect", STAFF => shares::collect;
        POST "/key-shares/{id}/give", STAFF => shares::give;
        GET "/finance", AUDITORS => finance::dashboard;
        GET "/finance/ledger.csv", AUDITORS => finance::ledger_csv;
        GET "/finance/{id}/{year}", AUDITORS => finance::department;
        GET "/contracts/{id}/payments", AUTHENTICATED => payments::contract;
        POST "/contracts/{id}/payments", MANAGERS => payments::set_contract_schedule;
        GET "/subcontracts/{id}/payments", AUTHENTICATED => payments::subcontract;
        POST "/subcontracts/{id}/payments", SUPPLIER => payments::set_subcontract_schedule;
        GET "/payment-schedules/{id}", AUTHENTICATED => payments::schedule;
        POST "/instalments/{id}/delivery", PAYERS => payments::delivery;
        POST "/instalments/{id}/acceptance", PAYERS => payments::acceptance;
        POST "/instalments/{id}/confirm", SUPPLIER => payments::confirm;
        POST "/instalments/{id}/dispute", SUPPLIER => payments::dispute;
        POST "/instalments/{id}/dispute/withdraw", SUPPLIER => payments::withdraw_dispute;
        POST "/instalments/{id}/payments", PAYERS => payments::pay;
        POST "/instalments/{id}/reports", SUPPLIER => payments::report;
        POST "/instalment-payments/{id}/confirm", SUPPLIER => payments::confirm_payment;
        GET "/payment-documents/{id}", AUTHENTICATED => payments::document;
        POST "/payment-reports/{id}/close", FINANCE => payments::close_report;
        GET "/supplier/receivables", SUPPLIER => payments::receivables;
        GET "/finance/overdue.csv", AUDITORS => finance::overdue_csv;
}

/// Registers every page of the table.
pub fn configure(cfg: &mut actix_web::web::ServiceConfig, settings: &Settings) {
    register(cfg, TABLE, settings);
}
