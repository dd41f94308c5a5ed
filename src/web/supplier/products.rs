//! The supplier's products: the list with its form, adding and changing a product, the CSV upload.

use super::*;
use crate::error::Error;
use crate::service::catalogue::{self, ProductInput, ProductView, SearchParams};
use crate::service::registry::{self};
use crate::service::Actor;
use crate::web::{fields, from_json, html, Base, Form, PageResult, State, WithBase};
use actix_web::{web, HttpRequest};
use askama::Template;
use futures_util::StreamExt;
use serde_json::Value;

#[derive(Template)]
#[template(path = "products.html")]
pub(super) struct ProductsPage {
    b: Base,
    items: Vec<ProductView>,
    f: Form,
    problems: Vec<String>,
    imported: Option<String>,
}

pub(super) async fn products_page(
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
                all.extend(crate::web::all_pages(500, |cursor| {
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
    let status = crate::web::form_status(&problems);
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
    let q = crate::web::public::query(&req);
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
    crate::web::done_or_again(
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
    crate::web::done_or_again(
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
                        what: None,
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
            crate::web::CSRF_FIELD => csrf = Some(text()),
            "encoding" => encoding = Some(text()),
            _ => {}
        }
    }
    if !crate::web::csrf_matches(&req, csrf.as_deref()) {
        return Err(crate::web::csrf_refused(&req));
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
    crate::web::done_or_again(
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
