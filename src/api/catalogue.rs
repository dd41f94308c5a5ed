//! The SME catalogue over HTTP: products, search, price history, market prices, CSV upload and
//! download.

use super::AppState;
use crate::error::{Error, Result};
use crate::http::access::Caller;
use crate::http::extract::{Json, Query};
use crate::service::catalogue::{
    self, MarketPrices, MarketQuery, PriceHistory, ProductInput, ProductPage, ProductPatch,
    ProductView, SearchParams,
};
use crate::wire::csv::{Encoding, RowProblem};
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use std::io::Write;

use crate::http::actor::actor;

/// A product id from the path: not a whole number → 400 (a malformed request), a number no
/// product has → 404 (later).
fn product_id(text: &str) -> Result<i64> {
    match text.parse::<i64>() {
        Ok(id) if id > 0 => Ok(id),
        Ok(_) => Err(Error::NotFound(format!("no product with id {text}"))),
        Err(_) => Err(Error::BadRequest(format!(
            "{text:?} is not a product id: product ids are whole numbers"
        ))),
    }
}

/// Lists a product (a supplier: its own; an admin: any supplier's, by `supplier_credit_code`).
#[utoipa::path(post, path = "/api/v1/products", tag = "catalogue", security(("bearer" = [])),
    request_body = ProductInput, responses((status = 201, body = ProductView),
    (status = 403, description = "another supplier's enterprise", body = crate::error::Problem),
    (status = 409, description = "sku already listed by this supplier", body = crate::error::Problem),
    (status = 422, body = crate::error::Problem)))]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<ProductInput>,
) -> Result<HttpResponse> {
    caller.user()?;
    let clock = state.clock.clone();
    let view = state
        .db(move |conn| catalogue::create(conn, clock.as_ref(), &actor(&caller), &body.0))
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// The public catalogue search: keywords that work for Chinese, filters, keyset pages.
#[utoipa::path(get, path = "/api/v1/products", tag = "catalogue", params(SearchParams),
    responses((status = 200, body = ProductPage), (status = 422, body = crate::error::Problem)))]
pub async fn search(
    state: web::Data<AppState>,
    query: Query<SearchParams>,
) -> Result<HttpResponse> {
    let page = state
        .db(move |conn| catalogue::search(conn, &query.0))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

#[utoipa::path(get, path = "/api/v1/products/{id}", tag = "catalogue",
    params(("id" = i64, Path, description = "product id")),
    responses((status = 200, body = ProductView), (status = 404, body = crate::error::Problem)))]
pub async fn show(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse> {
    let id = product_id(&id)?;
    let view = state.db(move |conn| catalogue::show(conn, id)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Changes a product (its own supplier or an admin); a new price appends to its history.
#[utoipa::path(patch, path = "/api/v1/products/{id}", tag = "catalogue", security(("bearer" = [])),
    params(("id" = i64, Path, description = "product id")), request_body = ProductPatch,
    responses((status = 200, body = ProductView),
    (status = 403, description = "another supplier's product", body = crate::error::Problem),
    (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: Json<ProductPatch>,
) -> Result<HttpResponse> {
    let id = product_id(&id)?;
    caller.user()?;
    let clock = state.clock.clone();
    let view = state
        .db(move |conn| catalogue::update(conn, clock.as_ref(), &actor(&caller), id, &body.0))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Every price the product has had, oldest first (append-only).
#[utoipa::path(get, path = "/api/v1/products/{id}/prices", tag = "catalogue",
    params(("id" = i64, Path, description = "product id")),
    responses((status = 200, body = PriceHistory), (status = 404, body = crate::error::Problem)))]
pub async fn prices(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse> {
    let id = product_id(&id)?;
    let history = state.db(move |conn| catalogue::history(conn, id)).await?;
    Ok(HttpResponse::Ok().json(history))
}

/// 行情: count, min, quartiles and max of current prices and of the prices recorded in the window.
#[utoipa::path(get, path = "/api/v1/market-prices", tag = "catalogue", params(MarketQuery),
    responses((status = 200, body = MarketPrices), (status = 422, body = crate::error::Problem)))]
pub async fn market_prices(
    state: web::Data<AppState>,
    query: Query<MarketQuery>,
) -> Result<HttpResponse> {
    let clock = state.clock.clone();
    let answer = state
        .db(move |conn| catalogue::market_prices(conn, clock.as_ref(), &query.0))
        .await?;
    Ok(HttpResponse::Ok().json(answer))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Category {
    pub code: &'static str,
    pub name_zh: &'static str,
    pub name_en: &'static str,
}

/// The top levels of the 政府采购品目分类目录 (codes below them are checked for shape).
#[utoipa::path(get, path = "/api/v1/categories", tag = "catalogue",
    responses((status = 200, body = Vec<Category>)))]
pub async fn categories() -> HttpResponse {
    let list: Vec<Category> = crate::domain::category::TOP_LEVELS
        .iter()
        .map(|&(code, name_zh, name_en)| Category {
            code,
            name_zh,
            name_en,
        })
        .collect();
    HttpResponse::Ok().json(list)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ImportQuery {
    /// utf-8 (default; with or without BOM) or gb18030.
    #[param(pattern = "^([Uu][Tt][Ff]-?8|[Gg][Bb](18030|[Kk]|2312))$")]
    pub encoding: Option<String>,
    /// Import the good rows and return the bad ones instead of refusing the file.
    pub skip_invalid: Option<bool>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportResponse {
    pub summary: crate::service::imports::products::ImportSummary,
    /// With `skip_invalid`: the refused rows' problems.
    pub rejected: Vec<RowProblem>,
}

/// Uploads a catalogue CSV (CONTRACTS.md; `Content-Type: text/csv`). All or nothing: any bad
/// row → 422 naming every bad row, nothing written. A supplier's rows must all be its own.
#[utoipa::path(post, path = "/api/v1/catalogue/import", tag = "catalogue", security(("bearer" = [])),
    params(ImportQuery), request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportResponse),
    (status = 413, body = crate::error::Problem), (status = 415, body = crate::error::Problem),
    (status = 422, description = "bad rows: `rows` lists line, column, reason", body = crate::error::Problem)))]
pub async fn import(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    query: Query<ImportQuery>,
    mut payload: web::Payload,
) -> Result<HttpResponse> {
    caller.user()?;
    catalogue::may_write_products(&actor(&caller))?;
    let is_csv =
        req.mime_type().ok().flatten().is_some_and(|m| {
            m.type_() == actix_web::mime::TEXT && m.subtype() == actix_web::mime::CSV
        });
    if !is_csv {
        return Err(Error::UnsupportedMediaType("text/csv"));
    }
    let encoding: Encoding = query
        .0
        .encoding
        .as_deref()
        .unwrap_or("utf-8")
        .parse()
        .map_err(|e: String| Error::field("encoding", e))?;
    let skip_invalid = query.0.skip_invalid.unwrap_or(false);
    let mut spool = crate::http::spool::Spool::new(state.settings.upload_max_bytes);
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| Error::BadRequest(format!("reading the body: {e}")))?;
        spool.push(&chunk).await?;
    }
    let spool = spool.finish().await?;
    let clock = state.clock.clone();
    let outcome = state
        .db(move |conn| {
            let mut reader = crate::wire::csv::open(spool.path(), encoding)
                .map_err(|e| Error::Internal(anyhow::anyhow!("reading the upload spool: {e}")))?;
            let result = crate::service::imports::products::import(
                conn,
                clock.as_ref(),
                &actor(&caller),
                &mut reader,
                skip_invalid,
                &mut |_, _| {},
            );
            Ok(result?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(ImportResponse {
        summary: outcome.summary,
        rejected: outcome
            .rejected
            .into_iter()
            .flat_map(|(_, problems)| problems)
            .collect(),
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ExportQuery {
    /// Admins: only this supplier's products (credit code). Suppliers always get their own.
    #[param(pattern = "^[0-9A-HJ-NPQRTUWXY]{18}$")]
    pub supplier: Option<String>,
}

/// Downloads the catalogue CSV (UTF-8 with BOM, the import's columns): a supplier its own
/// products, an admin all or one supplier's. Written to a temporary file and streamed.
#[utoipa::path(get, path = "/api/v1/catalogue/export", tag = "catalogue", security(("bearer" = [])),
    params(ExportQuery), responses((status = 200, content_type = "text/csv", body = String)))]
pub async fn export(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<ExportQuery>,
) -> Result<HttpResponse> {
    caller.user()?;
    if let Some(Err(e)) = query
        .0
        .supplier
        .as_deref()
        .map(|c| c.trim().parse::<crate::domain::CreditCode>())
    {
        return Err(Error::field("supplier", e.to_string()));
    }
    let file = state
        .db(move |conn| {
            let actor = actor(&caller);
            catalogue::may_write_products(&actor)?;
            let supplier_id = match (actor.enterprise_id(), query.0.supplier.as_deref()) {
                (Some(enterprise_id), _) => Some(enterprise_id.to_string()),
                (None, None) => None,
                (None, Some(code)) => Some(crate::service::registry::id_of_code(
                    conn, code, "supplier",
                )?),
            };
            let mut file = tempfile::tempfile()
                .map_err(|e| Error::Internal(anyhow::anyhow!("creating the export: {e}")))?;
            {
                let mut out = std::io::BufWriter::new(&mut file);
                crate::service::imports::products::export(conn, supplier_id.as_deref(), &mut out)?;
                out.flush()
                    .map_err(|e| Error::Internal(anyhow::anyhow!("writing the export: {e}")))?;
            }
            std::io::Seek::rewind(&mut file)
                .map_err(|e| Error::Internal(anyhow::anyhow!("reading the export: {e}")))?;
            Ok(file)
        })
        .await?;
    // Stream the file back in 64 KiB chunks, each read on the blocking pool.
    let stream = futures_util::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let read = web::block(move || {
            let mut buf = vec![0u8; 64 * 1024];
            let n = std::io::Read::read(&mut file, &mut buf)?;
            buf.truncate(n);
            Ok::<_, std::io::Error>((buf, file))
        })
        .await;
        match read {
            Ok(Ok((buf, _))) if buf.is_empty() => None,
            Ok(Ok((buf, file))) => Some((Ok(web::Bytes::from(buf)), Some(file))),
            Ok(Err(e)) => Some((Err(Error::Internal(anyhow::anyhow!(e))), None)),
            Err(e) => Some((Err(Error::from(e)), None)),
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            "attachment; filename=\"catalogue.csv\"",
        ))
        .streaming(stream))
}
