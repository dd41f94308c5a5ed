//! Supplier pages: sign-up, the enterprise profile with its declaration letters, products with
//! CSV upload, bidding with the receipt.

use super::{fields, from_json, html, page, Base, Form, PageError, PageResult, State, WithBase};
use crate::domain::Hundredths;
use crate::error::Error;
use crate::service::accounts::{self, LoginRequest};
use crate::service::catalogue::{self, ProductInput, ProductView, SearchParams};
use crate::service::procurement::bids::{self, BidInput, BidOrReceipt, Receipt};
use crate::service::procurement::projects;
use crate::service::registry::{
    self, DeclarationRequest, DeclarationView, EnterpriseView, SignupRequest,
};
use crate::service::Actor;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use futures_util::StreamExt;
use serde_json::{json, Map, Value};

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
        Err(e) => match super::problems_of(&e) {
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
    let (e, letters, bids) = state
        .db(move |conn| {
            let e = registry::find(conn, &id)?;
            let letters = registry::declarations(conn, &e.id)?;
            let bids = crate::service::procurement::bids::of_supplier(conn, &e.id, 100)?
                .into_iter()
                .map(|(bid, project)| OwnBid {
                    project,
                    id: bid.id,
                    project_id: bid.project_id,
                    state: bid.state,
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

#[derive(Template)]
#[template(path = "products.html")]
struct ProductsPage {
    b: Base,
    items: Vec<ProductView>,
    f: Form,
    problems: Vec<String>,
    imported: Option<String>,
}

async fn products_page(
    state: &State,
    b: &Base,
    f: Form,
    problems: Vec<String>,
    imported: Option<String>,
) -> PageResult {
    let id = enterprise_of(b)?;
    let items = state
        .db(move |conn| {
            let e = registry::find(conn, &id)?;
            // A supplier's own list: listed products newest first, then the delisted ones
            // (capped at 500 each).
            let mut all = Vec::new();
            for active in [true, false] {
                all.extend(super::all_pages(500, |cursor| {
                    let page = catalogue::search(
                        conn,
                        &SearchParams {
                            supplier: Some(e.credit_code.clone()),
                            active: Some(active),
                            cursor,
                            limit: Some(100),
                            ..SearchParams::default()
                        },
                    )?;
                    Ok((page.items, page.next_cursor))
                })?);
            }
            Ok(all)
        })
        .await
        .on(b)?;
    let status = super::form_status(&problems);
    Ok(html(
        status,
        b,
        &ProductsPage {
            b: b.clone(),
            items,
            f,
            problems,
            imported,
        },
    ))
}

pub async fn products(state: State, b: Base, req: HttpRequest) -> PageResult {
    let q = super::public::query(&req);
    let imported = q
        .get("imported")
        .map(|n| format!("{} {n} {}", b.t("已导入", "Imported"), b.t("行。", "rows.")));
    products_page(&state, &b, Form::default(), Vec::new(), imported).await
}

pub async fn add_product(state: State, b: Base, f: Form) -> PageResult {
    let id = enterprise_of(&b)?;
    let input = fields(
        &f,
        "",
        &[
            "sku",
            "name",
            "category_code",
            "spec",
            "unit",
            "price",
            "manufacturer_credit_code",
        ],
        &[],
    )
    .and_then(|o| from_json::<ProductInput>(Value::Object(o)));
    let clock = state.clock.clone();
    let who = user_id(&b);
    let result = match input {
        Err(e) => Err(e),
        Ok(input) => {
            state
                .db(move |conn| {
                    catalogue::create(
                        conn,
                        clock.as_ref(),
                        &Actor::Supplier {
                            enterprise_id: &id,
                            user_id: &who,
                        },
                        &input,
                    )
                })
                .await
        }
    };
    super::done_or_again(
        &b,
        result,
        |_| "/supplier/products".into(),
        |problems| products_page(&state, &b, f, problems, None),
    )
    .await
}

/// A new price (a price-history point) or listing/delisting of one of the supplier's products.
pub async fn update_product(state: State, b: Base, id: web::Path<i64>, f: Form) -> PageResult {
    let id = id.into_inner();
    let enterprise = enterprise_of(&b)?;
    let patch = catalogue::ProductPatch {
        price: f.get("price"),
        active: match f.get("active").as_deref() {
            Some("true") => Some(true),
            Some("false") => Some(false),
            _ => None,
        },
        ..catalogue::ProductPatch::default()
    };
    let clock = state.clock.clone();
    let who = user_id(&b);
    let result = state
        .db(move |conn| {
            catalogue::update(
                conn,
                clock.as_ref(),
                &Actor::Supplier {
                    enterprise_id: &enterprise,
                    user_id: &who,
                },
                id,
                &patch,
            )
        })
        .await;
    super::done_or_again(
        &b,
        result,
        |_| "/supplier/products".into(),
        |problems| products_page(&state, &b, Form::default(), problems, None),
    )
    .await
}

/// `multipart/form-data` with `csrf`, `encoding` and `file`: the catalogue CSV, all or nothing.
pub async fn upload(
    state: State,
    b: Base,
    req: HttpRequest,
    mut payload: actix_multipart::Multipart,
) -> PageResult {
    let id = enterprise_of(&b)?;
    let mut csrf = None;
    let mut encoding = None;
    // The file goes to the spool the API's import uses; nothing is imported before the CSRF
    // token is checked below. The other fields are short: 64 KiB in all, the first 4 KiB of each kept.
    let mut spool = crate::http::spool::Spool::new(state.settings.upload_max_bytes);
    const OTHER_FIELDS_LIMIT: usize = 64 * 1024;
    let mut other = 0usize;
    while let Some(field) = payload.next().await {
        let mut field = field
            .map_err(|e| Error::BadRequest(format!("reading the upload: {e}")))
            .on(&b)?;
        let name = field.name().unwrap_or_default().to_string();
        let mut value = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk
                .map_err(|e| Error::BadRequest(format!("reading the upload: {e}")))
                .on(&b)?;
            if name == "file" {
                spool.push(&chunk).await.on(&b)?;
            } else {
                other += chunk.len();
                if other > OTHER_FIELDS_LIMIT {
                    return Err(Error::PayloadTooLarge {
                        limit: OTHER_FIELDS_LIMIT,
                    })
                    .on(&b);
                }
                if value.len() + chunk.len() <= 4096 {
                    value.extend_from_slice(&chunk);
                }
            }
        }
        let text = || String::from_utf8_lossy(&value).trim().to_string();
        match name.as_str() {
            super::CSRF_FIELD => csrf = Some(text()),
            "encoding" => encoding = Some(text()),
            _ => {}
        }
    }
    if !super::csrf_matches(&req, csrf.as_deref()) {
        return Err(super::csrf_refused(&req));
    }
    if spool.is_empty() {
        return products_page(
            &state,
            &b,
            Form::default(),
            vec![format!(
                "file: {}",
                b.t("请选择要上传的 CSV 文件", "choose a CSV file to upload")
            )],
            None,
        )
        .await;
    }
    let encoding: crate::wire::csv::Encoding = match encoding
        .filter(|e| !e.is_empty())
        .unwrap_or_else(|| "utf-8".into())
        .parse()
    {
        Ok(e) => e,
        Err(e) => {
            return products_page(
                &state,
                &b,
                Form::default(),
                vec![format!("encoding: {e}")],
                None,
            )
            .await
        }
    };
    let spool = spool.finish().await.on(&b)?;
    let clock = state.clock.clone();
    let who = user_id(&b);
    let result = state
        .db(move |conn| {
            let mut reader = crate::wire::csv::open(spool.path(), encoding)
                .map_err(|e| Error::Internal(anyhow::anyhow!("reading the upload spool: {e}")))?;
            Ok(crate::service::imports::products::import(
                conn,
                clock.as_ref(),
                &Actor::Supplier {
                    enterprise_id: &id,
                    user_id: &who,
                },
                &mut reader,
                false,
                &mut |_, _| {},
            )?)
        })
        .await;
    let bad_rows = matches!(result, Err(Error::InvalidRows(_)));
    super::done_or_again(
        &b,
        result,
        |outcome| {
            format!(
                "/supplier/products?imported={}",
                outcome.summary.inserted + outcome.summary.updated
            )
        },
        |mut problems| {
            if bad_rows {
                problems.insert(
                    0,
                    b.t(
                        "文件有错误，未导入任何一行。请改正以下各行后重新上传：",
                        "The file has errors; nothing was imported. Fix these rows and upload again:",
                    )
                    .to_string(),
                );
            }
            products_page(&state, &b, Form::default(), problems, None)
        },
    )
    .await
}

#[derive(Template)]
#[template(path = "bid.html")]
struct BidPage {
    b: Base,
    p: projects::ProjectView,
    lot: projects::LotView,
    f: Form,
    problems: Vec<String>,
}

async fn bid_page(
    state: &State,
    b: &Base,
    lot_id: String,
    f: Form,
    problems: Vec<String>,
) -> PageResult {
    let clock = state.clock.clone();
    let (p, lot) = state
        .db(move |conn| {
            let (_, project) = crate::service::procurement::find_lot(conn, &lot_id)?;
            let p = projects::show(conn, clock.as_ref(), &Actor::Public, &project.id)?;
            let lot = p
                .lots
                .iter()
                .find(|l| l.id == lot_id)
                .cloned()
                .ok_or_else(|| Error::NotFound(format!("no lot with id {lot_id}")))?;
            Ok((p, lot))
        })
        .await
        .on(b)?;
    let status = super::form_status(&problems);
    Ok(html(
        status,
        b,
        &BidPage {
            b: b.clone(),
            p,
            lot,
            f,
            problems,
        },
    ))
}

pub async fn bid_form(state: State, b: Base, id: web::Path<String>) -> PageResult {
    bid_page(&state, &b, id.into_inner(), Form::default(), Vec::new()).await
}

/// The bid form's fields as the API's body: a consortium partner and a subcontractor are
/// optional single rows.
fn bid_input(f: &Form, own_code: &str) -> Result<BidInput, Error> {
    let mut body = Map::new();
    body.insert("price".into(), json!(f.text("price")));
    // Shares are exact percentages (Hundredths), never floats.
    let share = |name: &str, what: &str| {
        f.text(name)
            .parse::<Hundredths>()
            .map_err(|_| Error::field(name, format!("{what} must be a percentage")))
    };
    if let Some(partner) = f.get("partner_code") {
        let partner_share = share("partner_share", "the partner's share")?;
        body.insert(
            "consortium".into(),
            json!([
                {"credit_code": own_code, "share_pct": Hundredths::whole(100) - partner_share},
                {"credit_code": partner, "share_pct": partner_share},
            ]),
        );
        body.insert(
            "related_parties".into(),
            json!(f.checked("related_parties")),
        );
    }
    if let Some(sub) = f.get("sub_code") {
        let sub_share = share("sub_share", "the subcontract share")?;
        body.insert(
            "subcontracts".into(),
            json!([{"credit_code": sub, "share_pct": sub_share}]),
        );
    }
    from_json(Value::Object(body))
}

#[derive(Template)]
#[template(path = "receipt.html")]
struct ReceiptPage {
    b: Base,
    r: Receipt,
    fresh: bool,
}

pub async fn bid(state: State, b: Base, id: web::Path<String>, f: Form) -> PageResult {
    let lot_id = id.into_inner();
    let enterprise = enterprise_of(&b)?;
    let user = user_id(&b);
    let clock = state.clock.clone();
    let lot = lot_id.clone();
    let form = f.clone();
    let result = state
        .db(move |conn| {
            let own = registry::find(conn, &enterprise)?;
            let input = bid_input(&form, &own.credit_code)?;
            bids::submit(
                conn,
                clock.as_ref(),
                &Actor::Supplier {
                    enterprise_id: &enterprise,
                    user_id: &user,
                },
                &lot,
                &input,
            )
        })
        .await;
    match result {
        Ok(r) => Ok(html(
            StatusCode::CREATED,
            &b,
            &ReceiptPage {
                b: b.clone(),
                r,
                fresh: true,
            },
        )),
        Err(e) => match super::problems_of(&e) {
            Some(problems) => Ok(super::with_status(
                bid_page(&state, &b, lot_id, f, problems).await?,
                &e,
            )),
            None => Err(e).on(&b),
        },
    }
}

async fn own_receipt(state: &State, b: &Base, id: String) -> Result<Receipt, PageError> {
    let enterprise = enterprise_of(b)?;
    let user = user_id(b);
    let clock = state.clock.clone();
    let shown = state
        .db(move |conn| {
            bids::show(
                conn,
                clock.as_ref(),
                &Actor::Supplier {
                    enterprise_id: &enterprise,
                    user_id: &user,
                },
                &id,
            )
        })
        .await
        .on(b)?;
    Ok(match shown {
        BidOrReceipt::Receipt(r) => r,
        BidOrReceipt::Bid(bid) => Receipt {
            bid_id: bid.id,
            lot_id: bid.lot_id,
            state: bid.state,
            sha256: bid.receipt_sha256,
            received_at: bid.submitted_at,
            canonical: None,
        },
    })
}

pub async fn receipt(state: State, b: Base, id: web::Path<String>) -> PageResult {
    let r = own_receipt(&state, &b, id.into_inner()).await?;
    Ok(page(
        &b,
        &ReceiptPage {
            b: b.clone(),
            r,
            fresh: false,
        },
    ))
}

/// The receipt as a file to keep.
pub async fn receipt_json(state: State, b: Base, id: web::Path<String>) -> PageResult {
    let r = own_receipt(&state, &b, id.into_inner()).await?;
    let body = serde_json::to_vec_pretty(&r)
        .map_err(|e| Error::Internal(e.into()))
        .on(&b)?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"bid-receipt-{}.json\"", r.bid_id),
        ))
        .body(body))
}
