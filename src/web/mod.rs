//! Server-rendered pages for people (clerks, SME owners, auditors): askama templates compiled
//! into the binary, Chinese by default with an English switch, readable without JavaScript.
//!
//! Pages call the same service code as the JSON API and obey the same access table
//! ([`crate::http::access::PAGES`]). Logged-in browsers carry the session token in an HttpOnly,
//! SameSite=Lax cookie that only page routes accept (the API wants a bearer token, so a cookie
//! can never act on it); every form carries a CSRF token matched against a second cookie.

pub mod agency;
pub mod finance;
pub mod format;
pub mod public;
pub mod supplier;

use crate::domain::role::Role;
use crate::error::Error;
use crate::http::access::{AuthUser, Caller};
use crate::http::AppState;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use std::future::Future;
use std::pin::Pin;

pub use crate::http::SESSION_COOKIE;
pub const CSRF_COOKIE: &str = "smeproc_csrf";
pub const LANG_COOKIE: &str = "smeproc_lang";
/// The hidden form field that carries the CSRF token.
pub const CSRF_FIELD: &str = "csrf";

/// The CSRF token of a page's forms, and the visitor cookie it may be bound to.
#[derive(Debug, Clone, Default)]
pub struct CsrfToken {
    token: String,
    visitor: String,
}

impl std::fmt::Display for CsrfToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.token)
    }
}

/// The visitor's random CSRF cookie, when it is one this service could have set.
fn visitor_cookie(req: &HttpRequest) -> Option<String> {
    req.cookie(CSRF_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// What every page knows: language, who is looking, the CSRF token for its forms.
#[derive(Debug, Clone)]
pub struct Base {
    pub en: bool,
    pub user: Option<AuthUser>,
    pub csrf: CsrfToken,
    /// Path and query of this page (the language switch comes back here).
    pub here: String,
    new_csrf: bool,
}

impl Base {
    fn from_request(req: &HttpRequest) -> Base {
        let en = req.cookie(LANG_COOKIE).is_some_and(|c| c.value() == "en");
        let user = req.extensions().get::<Caller>().and_then(|c| c.0.clone());
        // A visitor's forms are bound to a random cookie; once logged in, to the session.
        let (visitor, new_csrf) = match visitor_cookie(req) {
            Some(v) => (v, false),
            None => (random_hex(), user.is_none()),
        };
        let binding = match &user {
            Some(u) => format!("session:{}", u.session_id),
            None => format!("visitor:{visitor}"),
        };
        let csrf = req
            .app_data::<web::Data<AppState>>()
            .map(|state| state.keys.csrf_token(&binding))
            .unwrap_or_default();
        let csrf = CsrfToken {
            token: csrf,
            visitor,
        };
        let here = req
            .uri()
            .path_and_query()
            .map_or_else(|| "/".to_string(), |p| p.as_str().to_string());
        Base {
            en,
            user,
            csrf,
            here,
            new_csrf,
        }
    }

    /// The Chinese or the English text.
    pub fn t<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        if self.en {
            en
        } else {
            zh
        }
    }

    pub fn role(&self) -> Option<Role> {
        self.user.as_ref().map(|u| u.role)
    }

    pub fn is(&self, role: &str) -> bool {
        self.role().is_some_and(|r| r.as_str() == role)
    }

    pub fn user_name(&self) -> &str {
        self.user
            .as_ref()
            .map_or("", |u| u.user.display_name.as_str())
    }

    pub fn caller(&self) -> Caller {
        Caller(self.user.clone())
    }

    /// Where the language switch leads.
    pub fn switch_href(&self) -> String {
        let to = if self.en { "zh" } else { "en" };
        let back: String = form_urlencoded::byte_serialize(self.here.as_bytes()).collect();
        format!("/lang?to={to}&back={back}")
    }

    /// Yuan as a decimal string → `1,234,567.89 元`.
    pub fn money(&self, yuan: &str) -> String {
        format::money(yuan)
    }

    /// A UTC instant as Beijing wall time.
    pub fn time(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        format::beijing(t)
    }

    pub fn otime(&self, t: &Option<chrono::DateTime<chrono::Utc>>) -> String {
        t.as_ref().map_or_else(|| "—".into(), format::beijing)
    }

    pub fn scale(&self, s: &str) -> String {
        format::scale(self.en, s)
    }

    pub fn state(&self, s: &str) -> String {
        format::state(self.en, s)
    }

    pub fn kind(&self, k: &str) -> String {
        format::notice_kind(self.en, k)
    }

    pub fn category(&self, c: &str) -> String {
        format::category(self.en, c)
    }

    pub fn yes(&self, b: &bool) -> &'static str {
        match (b, self.en) {
            (true, false) => "是",
            (false, false) => "否",
            (true, true) => "yes",
            (false, true) => "no",
        }
    }
}

fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    // getrandom failing means no OS entropy at all; a fixed token would be worse than a panic
    // in a request, so fall back to a v4 UUID pair (also OS entropy, different path).
    if getrandom::fill(&mut bytes).is_err() {
        let a = uuid::Uuid::new_v4();
        let b = uuid::Uuid::new_v4();
        bytes[..16].copy_from_slice(a.as_bytes());
        bytes[16..].copy_from_slice(b.as_bytes());
    }
    crate::domain::digest::hex(&bytes)
}

impl FromRequest for Base {
    type Error = PageError;
    type Future = std::future::Ready<Result<Self, PageError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(Base::from_request(req)))
    }
}

/// An error on a page: shown as an HTML page in the visitor's language.
#[derive(Debug)]
pub struct PageError {
    pub error: Error,
    pub base: Option<Box<Base>>,
}

impl From<Error> for PageError {
    fn from(error: Error) -> Self {
        PageError { error, base: None }
    }
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

pub type PageResult = Result<HttpResponse, PageError>;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    b: &'a Base,
    status: u16,
    title: &'a str,
    detail: String,
    problems: Vec<String>,
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        self.error.status_code()
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if status.is_server_error() {
            tracing::error!(code = self.error.code(), error = ?self.error, "page failed");
        }
        let fallback = Base {
            en: false,
            user: None,
            csrf: CsrfToken::default(),
            here: "/".into(),
            new_csrf: false,
        };
        let b = self.base.as_deref().unwrap_or(&fallback);
        let title = match status.as_u16() {
            400 | 422 => b.t("输入有误", "Invalid input"),
            401 => b.t("请先登录", "Please log in"),
            403 => b.t("无权访问", "Forbidden"),
            404 => b.t("未找到", "Not found"),
            409 => b.t("当前状态不允许此操作", "Not possible in the current state"),
            413 => b.t("文件过大", "Too large"),
            429 => b.t("尝试次数过多", "Too many attempts"),
            _ => b.t("出错了", "Something went wrong"),
        };
        let problems = match &self.error {
            Error::Validation(p) => p.iter().map(ToString::to_string).collect(),
            Error::InvalidRows(rows) => rows.iter().map(ToString::to_string).collect(),
            _ => Vec::new(),
        };
        let page = ErrorPage {
            b,
            status: status.as_u16(),
            title,
            detail: self.error.detail(),
            problems,
        };
        let mut response = html(status, b, &page);
        let retry = match &self.error {
            Error::TooManyRequests {
                retry_after_seconds,
            } => Some(retry_after_seconds.to_string()),
            Error::Unavailable(_) => Some(crate::error::RETRY_AFTER_BUSY_SECONDS.to_string()),
            _ => None,
        };
        if let Some(value) = retry.and_then(|r| header::HeaderValue::from_str(&r).ok()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

/// Renders a template with status 200.
pub fn page<T: Template>(b: &Base, t: &T) -> HttpResponse {
    html(StatusCode::OK, b, t)
}

/// Renders a template; sets the CSRF cookie on the visitor's first page.
pub fn html<T: Template>(status: StatusCode, b: &Base, t: &T) -> HttpResponse {
    let body = match t.render() {
        Ok(body) => body,
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            return HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body("internal error");
        }
    };
    let mut response = HttpResponse::build(status);
    response
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("x-frame-options", "DENY"))
        .insert_header(("x-content-type-options", "nosniff"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
             script-src 'self'; form-action 'self'; frame-ancestors 'none'",
        ));
    if b.new_csrf {
        response.cookie(
            // Lax, not Strict: a Strict cookie is not sent when a visitor arrives by a link
            // from elsewhere, and a new token would then break forms open in other tabs. The
            // double-submit check does not rely on SameSite.
            Cookie::build(CSRF_COOKIE, b.csrf.visitor.clone())
                .path("/")
                .http_only(true)
                .same_site(SameSite::Lax)
                .finish(),
        );
    }
    response.body(body)
}

/// 303 See Other to a page.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// Only local paths may be redirect targets (no `//host` or `https://…`).
pub fn local_path(next: Option<&str>) -> Option<String> {
    let next = next?;
    (next.starts_with('/') && !next.starts_with("//") && !next.contains('\\'))
        .then(|| next.to_string())
}

/// A submitted form (`application/x-www-form-urlencoded`) whose CSRF token was checked.
#[derive(Debug, Clone, Default)]
pub struct Form(pub Vec<(String, String)>);

impl Form {
    /// The first value of a field, trimmed; `None` when absent or blank.
    pub fn get(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default()
    }

    /// Every value of a field, trimmed, blanks included (rows of a form stay aligned).
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .collect()
    }

    /// Every field holding a character no text may hold ([`crate::domain::text`]).
    pub fn invisible_problems(&self) -> Vec<crate::wire::FieldProblem> {
        self.0
            .iter()
            .filter_map(|(k, v)| {
                crate::domain::text::invisible(v).map(|c| {
                    crate::wire::FieldProblem::new(k, crate::domain::text::invisible_problem(c))
                })
            })
            .collect()
    }

    pub fn checked(&self, name: &str) -> bool {
        self.get(name).is_some_and(|v| v == "on" || v == "true")
    }
}

/// Deserializes a JSON object built from form fields, naming the field that does not fit.
pub fn from_json<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, Error> {
    serde_path_to_error::deserialize(value)
        .map_err(|e| Error::Validation(vec![crate::wire::path_problem(e, "", "form")]))
}

/// Puts the non-blank form fields `names` into `object` as strings, or as whole numbers for
/// `numbers` (a value that is not one is named).
pub fn fields(
    f: &Form,
    prefix: &str,
    names: &[&str],
    numbers: &[&str],
) -> Result<serde_json::Map<String, serde_json::Value>, Error> {
    let mut object = serde_json::Map::new();
    let mut problems = Vec::new();
    for name in names {
        let Some(value) = f.get(&format!("{prefix}{name}")) else {
            continue;
        };
        if numbers.contains(name) {
            match value.parse::<u64>() {
                Ok(n) => {
                    object.insert((*name).to_string(), serde_json::json!(n));
                }
                Err(_) => problems.push(crate::wire::FieldProblem::new(
                    format!("{prefix}{name}"),
                    format!("{value:?} must be a whole number"),
                )),
            }
        } else {
            object.insert((*name).to_string(), serde_json::json!(value));
        }
    }
    if problems.is_empty() {
        Ok(object)
    } else {
        Err(Error::Validation(problems))
    }
}

/// Whether the form's token is the HMAC of this request's binding under the server's CSRF
/// key: the page session when logged in, the visitor cookie before (compared in constant time).
/// A cookie and field pair chosen by someone else never passes: only the server can compute it.
pub fn csrf_matches(req: &HttpRequest, submitted: Option<&str>) -> bool {
    let Some(submitted) = submitted else {
        return false;
    };
    let caller = req.extensions().get::<Caller>().and_then(|c| c.0.clone());
    let binding = match caller {
        Some(u) => format!("session:{}", u.session_id),
        None => match visitor_cookie(req) {
            Some(v) => format!("visitor:{v}"),
            None => return false,
        },
    };
    req.app_data::<web::Data<AppState>>()
        .is_some_and(|state| state.keys.csrf_valid(&binding, submitted))
}

pub fn csrf_refused(req: &HttpRequest) -> PageError {
    PageError {
        error: Error::Forbidden(
            "the form's CSRF token is missing or does not match: reload the page and submit again"
                .into(),
        ),
        base: Some(Box::new(Base::from_request(req))),
    }
}

impl FromRequest for Form {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, PageError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let urlencoded = req.mime_type().ok().flatten().is_some_and(|m| {
                m.type_() == actix_web::mime::APPLICATION
                    && m.subtype() == actix_web::mime::WWW_FORM_URLENCODED
            });
            if !urlencoded {
                return Err(
                    Error::UnsupportedMediaType("application/x-www-form-urlencoded").into(),
                );
            }
            let body = crate::http::extract::read_body(&req, &mut payload).await?;
            let fields: Vec<(String, String)> = form_urlencoded::parse(&body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            let form = Form(fields);
            if !csrf_matches(&req, form.get(CSRF_FIELD).as_deref()) {
                return Err(csrf_refused(&req));
            }
            let problems = form.invisible_problems();
            if !problems.is_empty() {
                return Err(PageError {
                    error: Error::Validation(problems),
                    base: Some(Box::new(Base::from_request(&req))),
                });
            }
            Ok(form)
        })
    }
}

/// Attaches the page context to a service error, so the error page speaks the visitor's
/// language and shows the navigation.
pub trait WithBase<T> {
    fn on(self, b: &Base) -> Result<T, PageError>;
}

impl<T> WithBase<T> for Result<T, Error> {
    fn on(self, b: &Base) -> Result<T, PageError> {
        self.map_err(|error| PageError {
            error,
            base: Some(Box::new(b.clone())),
        })
    }
}

/// A service error as the visitor's error page, for the middlewares (a limit, a refusal).
pub fn error_page(req: &HttpRequest, error: Error) -> HttpResponse {
    PageError {
        error,
        base: Some(Box::new(Base::from_request(req))),
    }
    .error_response()
}

/// The page shown to a logged-in caller whose role may not see a page (403), from the access
/// middleware.
pub fn forbidden(req: &HttpRequest, message: String) -> HttpResponse {
    let b = Base::from_request(req);
    PageError {
        error: Error::Forbidden(message),
        base: Some(Box::new(b)),
    }
    .error_response()
}

/// Field problems of a failed form, for showing beside the form.
pub fn problems_of(e: &Error) -> Option<Vec<String>> {
    match e {
        Error::Validation(p) => Some(p.iter().map(ToString::to_string).collect()),
        Error::InvalidRows(rows) => Some(rows.iter().map(ToString::to_string).collect()),
        Error::Conflict(m) | Error::BadRequest(m) | Error::Forbidden(m) | Error::NotFound(m) => {
            Some(vec![m.clone()])
        }
        _ => None,
    }
}

/// 200 for a page, 422 for a form shown again with its problems.
pub fn form_status(problems: &[String]) -> StatusCode {
    if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

/// Runs every page of a listing (`fetch(cursor)` → items and the next cursor), at most `cap`
/// items: the workspace and product lists show a whole, bounded list.
pub fn all_pages<T, C>(
    cap: usize,
    mut fetch: impl FnMut(Option<C>) -> crate::error::Result<(Vec<T>, Option<C>)>,
) -> crate::error::Result<Vec<T>> {
    let mut all = Vec::new();
    let mut cursor = None;
    while all.len() < cap {
        let (items, next) = fetch(cursor)?;
        all.extend(items);
        match next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    Ok(all)
}

/// The link to the next page of a listing: the same query with the new cursor.
pub fn next_link(path: &str, q: &Form, cursor: &str) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &q.0 {
        if k != "cursor" && !v.is_empty() {
            s.append_pair(k, v);
        }
    }
    s.append_pair("cursor", cursor);
    format!("{path}?{}", s.finish())
}

/// After a login or sign-up: the session cookie, and on to `target`.
pub fn signed_in(state: &AppState, b: &Base, token: String, target: &str) -> PageResult {
    let mut response = see_other(target);
    let cookie = session_cookie(
        token,
        state.settings.cookie_secure,
        state.settings.token_ttl_minutes,
    );
    if response.add_cookie(&cookie).is_err() {
        return Err(Error::Internal(anyhow::anyhow!("session cookie not set"))).on(b);
    }
    Ok(response)
}

/// A form page shown again with a service error's problems keeps that error's status (409 for a
/// wrong state, 403, 404, 422).
pub fn with_status(mut response: HttpResponse, e: &Error) -> HttpResponse {
    if response.status().is_success() || response.status() == StatusCode::UNPROCESSABLE_ENTITY {
        *response.status_mut() = e.status_code();
    }
    response
}

/// A form's outcome: done → 303 to `target`; a rule broken → the form's page again (`again`
/// with the problems), keeping the service's status; anything else → the error page.
pub async fn done_or_again<T, Fut>(
    b: &Base,
    result: Result<T, Error>,
    target: impl FnOnce(T) -> String,
    again: impl FnOnce(Vec<String>) -> Fut,
) -> PageResult
where
    Fut: Future<Output = PageResult>,
{
    let e = match result {
        Ok(done) => return Ok(see_other(&target(done))),
        Err(e) => e,
    };
    let Some(problems) = problems_of(&e) else {
        return Err(e).on(b);
    };
    Ok(with_status(again(problems).await?, &e))
}

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

/// The session cookie set at login.
pub fn session_cookie(token: String, secure: bool, max_age_minutes: i64) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, token)
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::minutes(max_age_minutes))
        .finish()
}

/// The state and clock, for handlers.
pub type State = web::Data<AppState>;
