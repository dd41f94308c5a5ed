//! Supplier pages: sign-up and the enterprise profile with its declaration letters here; products
//! with CSV upload in `products`, bidding with the receipt in `bidding`.

use super::{fields, from_json, html, page, Base, Form, PageError, PageResult, State, WithBase};
use crate::error::Error;
use crate::service::accounts::{self, LoginRequest};
use crate::service::registry::{
    self, DeclarationRequest, DeclarationView, EnterpriseView, SignupRequest,
};
use actix_web::HttpRequest;
use askama::Template;
use serde_json::{json, Value};

mod bidding;
mod products;
pub use self::bidding::*;
pub use self::products::*;

const ENTERPRISE_FIELDS: &[&str] = &[
    "credit_code",
    "name",
    "industry",
    "employees",
    "revenue_wan",
    "assets_wan",
    "region",
    "large_firm_relation",
];

/// The 300号 industries, for the select boxes.
pub fn industries() -> Vec<(String, String)> {
    crate::domain::policy::size_standard()
        .industries
        .values()
        .map(|i| (i.code.clone(), i.name_zh.clone()))
        .collect()
}

#[derive(Template)]
#[template(path = "signup.html")]
struct SignupPage {
    b: Base,
    f: Form,
    problems: Vec<String>,
    industries: Vec<(String, String)>,
}

pub async fn signup_form(b: Base) -> PageResult {
    Ok(page(
        &b,
        &SignupPage {
            b: b.clone(),
            f: Form::default(),
            problems: Vec::new(),
            industries: industries(),
        },
    ))
}

pub async fn signup(state: State, b: Base, req: HttpRequest, f: Form) -> PageResult {
    let password =
        f.0.iter()
            .find(|(k, _)| k == "password")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
    let request = (|| -> Result<SignupRequest, Error> {
        let enterprise = fields(&f, "enterprise.", ENTERPRISE_FIELDS, &["employees"])?;
        from_json(json!({
            "username": f.text("username"),
            "password": password,
            "display_name": f.get("display_name"),
            "enterprise": enterprise,
        }))
    })();
    let clock = state.clock.clone();
    let result = match request {
        Err(e) => Err(e),
        Ok(request) => {
            let login = LoginRequest {
                username: request.username.clone(),
                password: request.password.clone(),
            };
            let st = state.clone();
            let address = crate::http::client_address(&req);
            state
                .db(move |conn| {
                    registry::signup(conn, clock.as_ref(), &request)?;
                    accounts::login(
                        conn,
                        st.clock.as_ref(),
                        &st.settings.limits,
                        st.settings.token_ttl_minutes,
                        &login,
                        &address,
                    )
                })
                .await
        }
    };
    match result {
        Ok(session) => super::signed_in(&state, &b, session.token, "/supplier"),
        Err(e) => match super::problems_of(&e, b.lang()) {
            Some(problems) => Ok(html(
                actix_web::ResponseError::status_code(&e),
                &b,
                &SignupPage {
                    b: b.clone(),
                    f: without_password(f),
                    problems,
                    industries: industries(),
                },
            )),
            None => Err(e).on(&b),
        },
    }
}

fn without_password(mut f: Form) -> Form {
    f.0.retain(|(k, _)| k != "password");
    f
}

/// The caller's enterprise id (the access table already requires the supplier role).
fn enterprise_of(b: &Base) -> Result<String, PageError> {
    b.user
        .as_ref()
        .and_then(|u| u.user.enterprise_id.clone())
        .ok_or_else(|| Error::Forbidden("this account has no enterprise".into()))
        .on(b)
}

fn user_id(b: &Base) -> String {
    b.user
        .as_ref()
        .map(|u| u.user.id.clone())
        .unwrap_or_default()
}

/// A bid in the supplier's own list: no price or content, as on the receipt.
struct OwnBid {
    id: String,
    project_id: String,
    project: String,
    state: String,
    submitted_at: chrono::DateTime<chrono::Utc>,
    sha256: String,
}

#[derive(Template)]
#[template(path = "supplier.html")]
struct ProfilePage {
    b: Base,
    e: EnterpriseView,
    letters: Vec<DeclarationView>,
    bids: Vec<OwnBid>,
    f: Form,
    problems: Vec<String>,
    saved: bool,
    industries: Vec<(String, String)>,
}

async fn profile_page(
    state: &State,
    b: &Base,
    f: Form,
    problems: Vec<String>,
    saved: bool,
) -> PageResult {
    let id = enterprise_of(b)?;
    let keys = state.keys.clone();
    let (e, letters, bids) = state
        .db(move |conn| {
            let e = registry::find(conn, &id)?;
            let letters = registry::declarations(conn, &e.id)?;
            let bids = crate::service::procurement::bids::of_supplier(conn, &keys, &e.id, 100)?
                .into_iter()
                .map(|bid| OwnBid {
                    project: bid.project_title,
                    id: bid.id,
                    project_id: bid.project_id,
                    state: bid.state.to_string(),
                    submitted_at: bid.submitted_at.and_utc(),
                    sha256: bid.receipt_sha256,
                })
                .collect();
            Ok((EnterpriseView::new(e, true), letters, bids))
        })
        .await
        .on(b)?;
    let status = super::form_status(&problems);
    Ok(html(
        status,
        b,
        &ProfilePage {
            b: b.clone(),
            e,
            letters,
            bids,
            f,
            problems,
            saved,
            industries: industries(),
        },
    ))
}

pub async fn profile(state: State, b: Base, req: HttpRequest) -> PageResult {
    let saved = super::public::query(&req).get("saved").is_some();
    profile_page(&state, &b, Form::default(), Vec::new(), saved).await
}

pub async fn declare(state: State, b: Base, f: Form) -> PageResult {
    let id = enterprise_of(&b)?;
    let request = (|| -> Result<DeclarationRequest, Error> {
        let object = fields(
            &f,
            "",
            &[
                "industry",
                "employees",
                "revenue_wan",
                "assets_wan",
                "large_firm_relation",
                "declared_scale",
                "declared_on",
                "year",
            ],
            &["employees", "year"],
        )?;
        from_json(Value::Object(object))
    })();
    let clock = state.clock.clone();
    let actor = user_id(&b);
    let result = match request {
        Err(e) => Err(e),
        Ok(request) => {
            state
                .db(move |conn| registry::declare(conn, clock.as_ref(), &actor, &id, &request))
                .await
        }
    };
    super::done_or_again(
        &b,
        result,
        |_| "/supplier?saved=1".into(),
        |problems| profile_page(&state, &b, f, problems, false),
    )
    .await
}
