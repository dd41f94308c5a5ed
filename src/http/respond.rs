//! Responses the middlewares and both adapters share: redirects, page refusals (drawn by the
//! pages' renderer), the ledger download.

/// The name of the pages' session cookie (only page routes read it).
pub const SESSION_COOKIE: &str = "smeproc_session";

/// How a refusal is shown on a page. The pages (`web`) provide it at start-up; the middlewares
/// here know no template.
#[derive(Clone, Copy)]
pub struct PageRenderer(
    pub fn(&actix_web::HttpRequest, crate::error::Error) -> actix_web::HttpResponse,
);

/// 303 See Other.
pub fn see_other(location: &str) -> actix_web::HttpResponse {
    actix_web::HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, location))
        .finish()
}

/// A refusal of a page, as the pages show it (problem+json when no renderer is registered).
pub fn page_refusal(
    req: &actix_web::HttpRequest,
    e: crate::error::Error,
) -> actix_web::HttpResponse {
    match req.app_data::<PageRenderer>() {
        Some(render) => (render.0)(req, e),
        None => actix_web::ResponseError::error_response(&e),
    }
}

/// The ledger CSV as a download (the API's and the finance page's).
pub fn ledger_csv_download(bytes: Vec<u8>, year: i32) -> actix_web::HttpResponse {
    csv_download(bytes, &format!("ledger-{year}.csv"))
}

/// A CSV file as a download under `filename` (ASCII, chosen by us).
pub fn csv_download(bytes: Vec<u8>, filename: &str) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .body(bytes)
}
