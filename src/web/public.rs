//! Pages anyone may read: the notice board, notices with the explained ranking, projects, the
//! catalogue with market prices, enterprises; the login form.

use super::{local_path, page, see_other, Base, Form, PageResult, State, WithBase};
use crate::error::Error;
use crate::service::accounts::{self, LoginRequest};
use crate::service::catalogue::{self, MarketPrices, MarketQuery, ProductView, SearchParams};
use crate::service::procurement::notices::{self, NoticeParams, NoticeView};
use crate::service::procurement::projects;
use crate::service::registry::{self, EnterpriseView};
use crate::service::Actor;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde_json::Value;

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
        Some(other) => Err(Error::field(
            name,
            format!("{other:?} must be true or false"),
        )),
    }
}

fn parse_date(q: &Form, name: &str) -> Result<Option<chrono::NaiveDate>, Error> {
    q.get(name)
        .map(|d| {
            d.parse()
                .map_err(|_| Error::field(name, format!("{d:?} is not a date YYYY-MM-DD")))
        })
        .transpose()
}

/// One line of an evaluation's ranking, as pages show it.
#[derive(Debug, Clone)]
pub struct RankRow {
    pub bid_id: String,
    pub rank: String,
    pub tied: bool,
    pub supplier: String,
    pub scale: String,
    pub sme: bool,
    pub minority: bool,
    pub price: String,
    pub evaluated_price: String,
    pub price_score: String,
    pub technical: String,
    pub commercial: String,
    pub bonus: String,
    pub total: String,
    pub explanation: Vec<String>,
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The ranking of an engine output (or of a result notice's lot), with supplier names where
/// `name_of` knows them.
pub fn ranking(output: &Value, name_of: &dyn Fn(&str) -> Option<String>) -> Vec<RankRow> {
    output["ranking"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let bid_id = text(&r["bid_id"]);
            RankRow {
                supplier: r["supplier"]
                    .as_str()
                    .map(str::to_string)
                    .or_else(|| name_of(&bid_id))
                    .unwrap_or_else(|| bid_id.clone()),
                bid_id,
                rank: text(&r["rank"]),
                tied: r["tied"].as_bool().unwrap_or(false),
                scale: text(&r["effective_scale"]),
                sme: r["sme"].as_bool().unwrap_or(false),
                minority: r["minority_region"].as_bool().unwrap_or(false),
                price: text(&r["price"]),
                evaluated_price: text(&r["evaluated_price"]),
                price_score: text(&r["price_score"]),
                technical: text(&r["technical_score"]),
                commercial: text(&r["commercial_score"]),
                bonus: text(&r["bonus"]),
                total: text(&r["total"]),
                explanation: r["explanation"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|e| e.as_str().map(str::to_string))
                    .collect(),
            }
        })
        .collect()
}

/// Bids the engine set aside, with the reason.
pub fn excluded(output: &Value) -> Vec<(String, String)> {
    output["excluded"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| (text(&e["bid_id"]), text(&e["reason"])))
        .collect()
}

#[derive(Template)]
#[template(path = "notices.html")]
struct NoticesPage {
    b: Base,
    items: Vec<NoticeView>,
    next: Option<String>,
    f: Form,
    problems: Vec<String>,
}

pub async fn home(state: State, b: Base, req: HttpRequest) -> PageResult {
    notices(state, b, req).await
}

pub async fn notices(state: State, b: Base, req: HttpRequest) -> PageResult {
    let q = query(&req);
    let params = (|| -> Result<NoticeParams, Error> {
        Ok(NoticeParams {
            region: q.get("region"),
            category: q.get("category"),
            category_code: q.get("category_code"),
            kind: q.get("kind"),
            from: parse_date(&q, "from")?,
            to: parse_date(&q, "to")?,
            reserved: parse_bool(&q, "reserved")?,
            cursor: q.get("cursor"),
            limit: Some(20),
            ..NoticeParams::default()
        })
    })();
    let (items, next, problems) = match params {
        Err(e) => (Vec::new(), None, super::problems_of(&e).unwrap_or_default()),
        Ok(params) => match state.db(move |conn| notices::list(conn, &params)).await {
            Ok(p) => (p.items, p.next_cursor, Vec::new()),
            Err(e @ Error::Validation(_)) => {
                (Vec::new(), None, super::problems_of(&e).unwrap_or_default())
            }
            Err(e) => return Err(e).on(&b),
        },
    };
    let next = next.map(|cursor| super::next_link("/notices", &q, &cursor));
    let status = super::form_status(&problems);
    Ok(super::html(
        status,
        &b,
        &NoticesPage {
            b: b.clone(),
            items,
            next,
            f: q,
            problems,
        },
    ))
}

/// A result notice's lot.
struct ResultLot {
    number: String,
    title: String,
    outcome: String,
    failure_reason: String,
    reserved: bool,
    winner: Vec<(String, String, String)>,
    amount: String,
    ranking: Vec<RankRow>,
    excluded: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "notice.html")]
struct NoticePage {
    b: Base,
    n: NoticeView,
    lots: Vec<Value>,
    results: Vec<ResultLot>,
    method: String,
    budget: String,
    deadline: String,
    opening: String,
    correction: Vec<(String, String, String)>,
    correction_text: String,
}

fn body_time(v: &Value) -> String {
    v.as_str()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map_or_else(
            || "—".into(),
            |t| super::format::beijing(&t.with_timezone(&chrono::Utc)),
        )
}

pub async fn notice(state: State, b: Base, id: web::Path<String>) -> PageResult {
    let id = id.into_inner();
    let n = state
        .db(move |conn| notices::show(conn, &id))
        .await
        .on(&b)?;
    let body = &n.body;
    let lots = body["lots"].as_array().cloned().unwrap_or_default();
    let results = if matches!(n.kind.as_str(), "result" | "failure") {
        lots.iter()
            .map(|l| ResultLot {
                number: text(&l["number"]),
                title: text(&l["title"]),
                outcome: text(&l["outcome"]),
                failure_reason: text(&l["failure_reason"]),
                reserved: l["reserved_for_smes"].as_bool().unwrap_or(false),
                winner: l["winner"]["parties"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|p| {
                        (
                            text(&p["name"]),
                            text(&p["declared_scale"]),
                            text(&p["share_pct"]),
                        )
                    })
                    .collect(),
                amount: text(&l["winner"]["amount"]),
                ranking: ranking(l, &|_| None),
                excluded: excluded(l),
            })
            .collect()
    } else {
        Vec::new()
    };
    let correction = if n.kind == "correction" {
        vec![
            (
                b.t("投标截止时间", "Bid deadline").to_string(),
                body_time(&body["bid_deadline"]["before"]),
                body_time(&body["bid_deadline"]["after"]),
            ),
            (
                b.t("开标时间", "Opening").to_string(),
                body_time(&body["opening_at"]["before"]),
                body_time(&body["opening_at"]["after"]),
            ),
        ]
    } else {
        Vec::new()
    };
    let page_data = NoticePage {
        method: text(&body["procurement_method_zh"]),
        correction_text: text(&body["text"]),
        budget: text(&body["budget"]),
        deadline: body_time(&body["bid_deadline"]),
        opening: body_time(&body["opening_at"]),
        b: b.clone(),
        lots: if results.is_empty() { lots } else { Vec::new() },
        results,
        correction,
        n,
    };
    Ok(page(&b, &page_data))
}

#[derive(Template)]
#[template(path = "project.html")]
struct ProjectPage {
    b: Base,
    p: projects::ProjectView,
    notices: Vec<NoticeView>,
    bidding_open: bool,
}

pub async fn project(state: State, b: Base, id: web::Path<String>) -> PageResult {
    let id = id.into_inner();
    let clock = state.clock.clone();
    let pid = id.clone();
    let (p, notices) = state
        .db(move |conn| {
            let p = projects::show(conn, clock.as_ref(), &Actor::Public, &pid)?;
            let n = notices::list(
                conn,
                &NoticeParams {
                    project_id: Some(pid.clone()),
                    limit: Some(100),
                    ..NoticeParams::default()
                },
            )?;
            Ok((p, n.items))
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
            super::problems_of(&e).unwrap_or_default(),
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
        .body(include_str!("../../templates/app.css"))
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

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    b: Base,
    username: String,
    next: String,
    problem: Option<String>,
}

pub async fn login_form(b: Base, req: HttpRequest) -> PageResult {
    let next = local_path(query(&req).get("next").as_deref()).unwrap_or_default();
    Ok(page(
        &b,
        &LoginPage {
            b: b.clone(),
            username: String::new(),
            next,
            problem: None,
        },
    ))
}

/// Where each role starts.
fn home_of(role: &str) -> &'static str {
    match role {
        "supplier" => "/supplier",
        "agency" => "/agency",
        "auditor" => "/finance",
        _ => "/",
    }
}

pub async fn login(state: State, b: Base, req: HttpRequest, form: Form) -> PageResult {
    let address = crate::http::client_address(&req);
    let request = LoginRequest {
        username: form.text("username"),
        password: form
            .0
            .iter()
            .find(|(k, _)| k == "password")
            .map(|(_, v)| v.clone())
            .unwrap_or_default(),
    };
    let next = local_path(form.get("next").as_deref());
    let st = state.clone();
    let username = request.username.clone();
    let result = state
        .db(move |conn| {
            accounts::login(
                conn,
                st.clock.as_ref(),
                &st.settings.limits,
                st.settings.token_ttl_minutes,
                &request,
                &address,
            )
        })
        .await;
    match result {
        Ok(session) => {
            let target = next.unwrap_or_else(|| home_of(&session.user.role).to_string());
            super::signed_in(&state, &b, session.token, &target)
        }
        Err(e @ (Error::Unauthorized(_) | Error::TooManyRequests { .. })) => {
            let status = actix_web::ResponseError::status_code(&e);
            let retry = match &e {
                Error::TooManyRequests {
                    retry_after_seconds,
                } => Some(*retry_after_seconds),
                _ => None,
            };
            let problem = match e {
                Error::TooManyRequests {
                    retry_after_seconds,
                } => format!(
                    "{} ({retry_after_seconds} s)",
                    b.t(
                        "尝试次数过多，请稍后再试",
                        "Too many attempts; try again later"
                    )
                ),
                _ => b
                    .t("用户名或密码不正确", "Wrong username or password")
                    .to_string(),
            };
            // 401 for a wrong password; 429 with Retry-After over a limit, as the API answers.
            let mut response = super::html(
                status,
                &b,
                &LoginPage {
                    b: b.clone(),
                    username,
                    next: next.unwrap_or_default(),
                    problem: Some(problem),
                },
            );
            if let Some(seconds) = retry
                .and_then(|s| actix_web::http::header::HeaderValue::from_str(&s.to_string()).ok())
            {
                response
                    .headers_mut()
                    .insert(actix_web::http::header::RETRY_AFTER, seconds);
            }
            Ok(response)
        }
        Err(e) => Err(e).on(&b),
    }
}

pub async fn logout(state: State, b: Base, _form: Form) -> PageResult {
    if let Some(user) = b.user.clone() {
        let clock = state.clock.clone();
        state
            .db(move |conn| accounts::logout(conn, clock.as_ref(), &user.user.id, &user.session_id))
            .await
            .on(&b)?;
    }
    let mut response = see_other("/");
    let mut gone = Cookie::build(super::SESSION_COOKIE, "").path("/").finish();
    gone.make_removal();
    if response.add_cookie(&gone).is_err() {
        tracing::warn!("session cookie not cleared");
    }
    Ok(response)
}
