//! Pages anyone may read: the catalogue with market prices, projects, enterprises here; the notice
//! board and notices with the explained ranking in `board`; logging in and out in `login`.

use super::{local_path, page, see_other, Base, Form, PageResult, State, WithBase};
use crate::error::Error;
use crate::service::catalogue::{self, MarketPrices, MarketQuery, ProductView, SearchParams};
use crate::service::procurement::notices::{self, NoticeParams, NoticeView};
use crate::service::procurement::projects;
use crate::service::registry::{self, EnterpriseView};
use crate::service::Actor;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

mod board;
mod login;
pub use self::board::*;
pub use self::login::*;

/// The query string as a form (no CSRF: GETs change nothing).
pub fn query(req: &HttpRequest) -> Form {
    Form(
        form_urlencoded::parse(req.query_string().as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
    )
}

fn parse_bool(q: &Form, name: &str) -> Result<Option<bool>, Error> {
    match q.get(name).as_deref() {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(other) => Err(crate::wire::fields::invalid(
            name,
            "problem.not_bool",
            vec![("given", format!("{other:?}"))],
        )),
    }
}

pub(crate) fn parse_date(q: &Form, name: &str) -> Result<Option<chrono::NaiveDate>, Error> {
    q.get(name)
        .map(|d| {
            d.parse().map_err(|_| {
                crate::wire::fields::invalid(
                    name,
                    "problem.not_a_date",
                    vec![("given", format!("{d:?}"))],
                )
            })
        })
        .transpose()
}

#[derive(Template)]
#[template(path = "project.html")]
struct ProjectPage {
    b: Base,
    p: projects::ProjectView,
    notices: Vec<NoticeView>,
    bidding_open: bool,
    documents: Vec<crate::service::procurement::project_documents::ProjectDocumentView>,
}

pub async fn project(state: State, b: Base, id: web::Path<String>) -> PageResult {
    let id = id.into_inner();
    let clock = state.clock.clone();
    let pid = id.clone();
    let (p, notices, documents) = state
        .db(move |conn| {
            let p = projects::show(conn, clock.as_ref(), &Actor::Public, &pid)?;
            let documents =
                crate::service::procurement::project_documents::list(conn, &Actor::Public, &pid)?;
            let n = notices::list(
                conn,
                &NoticeParams {
                    project_id: Some(pid.clone()),
                    limit: Some(100),
                    ..NoticeParams::default()
                },
            )?;
            Ok((p, n.items, documents))
        })
        .await
        .on(&b)?;
    let bidding_open = p.state == "published";
    Ok(page(
        &b,
        &ProjectPage {
            b: b.clone(),
            p,
            notices,
            bidding_open,
            documents,
        },
    ))
}

#[derive(Template)]
#[template(path = "catalogue.html")]
struct CataloguePage {
    b: Base,
    f: Form,
    items: Vec<ProductView>,
    next: Option<String>,
    /// (label, figures): current prices, then the window's price records.
    market: Vec<(String, catalogue::PriceStats)>,
    problems: Vec<String>,
}

pub async fn catalogue(state: State, b: Base, req: HttpRequest) -> PageResult {
    let q = query(&req);
    let clock = state.clock.clone();
    let params = SearchParams {
        q: q.get("q"),
        category: q.get("category"),
        region: q.get("region"),
        supplier_scale: q.get("supplier_scale"),
        min_price: q.get("min_price"),
        max_price: q.get("max_price"),
        sort: q.get("sort"),
        cursor: q.get("cursor"),
        sme_made: q.checked("sme_made").then_some(true),
        limit: Some(20),
        ..SearchParams::default()
    };
    let market_query = MarketQuery {
        category: q.get("category"),
        region: q.get("region"),
        q: q.get("q"),
        unit: q.get("unit"),
        days: Some(90),
    };
    let wants_market = market_query.q.is_some() || market_query.category.is_some();
    let result = state
        .db(move |conn| {
            let page = catalogue::search(conn, &params)?;
            let market = if wants_market {
                Some(catalogue::market_prices(
                    conn,
                    clock.as_ref(),
                    &market_query,
                )?)
            } else {
                None
            };
            Ok((page, market))
        })
        .await;
    let (items, next, market, problems) = match result {
        Ok((p, m)) => (p.items, p.next_cursor, m, Vec::new()),
        Err(e @ Error::Validation(_)) => (
            Vec::new(),
            None,
            None,
            super::problems_of(&e, b.lang()).unwrap_or_default(),
        ),
        Err(e) => return Err(e).on(&b),
    };
    let next = next.map(|cursor| super::next_link("/catalogue", &q, &cursor));
    let status = super::form_status(&problems);
    Ok(super::html(
        status,
        &b,
        &CataloguePage {
            b: b.clone(),
            f: q,
            items,
            next,
            market: market
                .map(|m: MarketPrices| {
                    vec![
                        (b.t("在售现价", "Current prices").to_string(), m.current),
                        (
                            b.t("近90天价格记录", "Price records, last 90 days")
                                .to_string(),
                            m.history,
                        ),
                    ]
                })
                .unwrap_or_default(),
            problems,
        },
    ))
}

#[derive(Template)]
#[template(path = "enterprise.html")]
struct EnterprisePage {
    b: Base,
    e: EnterpriseView,
    products: Vec<ProductView>,
}

pub async fn enterprise(state: State, b: Base, id: web::Path<String>) -> PageResult {
    let id = id.into_inner();
    let (e, products) = state
        .db(move |conn| {
            let e = EnterpriseView::new(registry::find(conn, &id)?, false);
            let products = catalogue::search(
                conn,
                &SearchParams {
                    supplier: Some(e.credit_code.clone()),
                    limit: Some(50),
                    ..SearchParams::default()
                },
            )?;
            Ok((e, products.items))
        })
        .await
        .on(&b)?;
    Ok(page(
        &b,
        &EnterprisePage {
            b: b.clone(),
            e,
            products,
        },
    ))
}

pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("cache-control", "public, max-age=3600"))
        .body(include_str!("../../../templates/app.css"))
}

/// Sets the language cookie and goes back.
pub async fn language(req: HttpRequest) -> HttpResponse {
    let q = query(&req);
    let to = if q.get("to").as_deref() == Some("en") {
        "en"
    } else {
        "zh"
    };
    let back = local_path(q.get("back").as_deref()).unwrap_or_else(|| "/".into());
    let mut response = see_other(&back);
    let cookie = Cookie::build(super::LANG_COOKIE, to)
        .path("/")
        .same_site(SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::days(365))
        .finish();
    if response.add_cookie(&cookie).is_err() {
        tracing::warn!("language cookie not set");
    }
    response
}

/// A procurement document from the notice or project page: a supplier's download is recorded
/// (disclosed after the opening), the project's staff download without a record.
pub async fn obtain_document(
    state: State,
    b: Base,
    path: web::Path<(String, String)>,
) -> Result<actix_web::HttpResponse, crate::web::PageError> {
    let (project, doc) = path.into_inner();
    let (clock, keys, caller) = (state.clock.clone(), state.keys.clone(), b.caller());
    let row = state
        .db(move |conn| {
            crate::service::procurement::project_documents::obtain(
                conn,
                clock.as_ref(),
                &keys,
                &crate::http::actor::actor(&caller),
                &project,
                &doc,
            )
        })
        .await
        .on(&b)?;
    crate::http::documents::send_verified(
        &state,
        &row.location,
        &row.sha256,
        &row.media_type,
        row.size_bytes,
        &row.filename,
    )
    .await
    .on(&b)
}
