//! Server-rendered pages for people (clerks, SME owners, auditors): askama templates compiled
//! into the binary, Chinese by default with an English switch, readable without JavaScript.
//!
//! Pages call the same service code as the JSON API and obey the same access table
//! ([`routes::PAGES`]). Logged-in browsers carry the session token in an HttpOnly,
//! SameSite=Lax cookie that only page routes accept (the API wants a bearer token, so a cookie
//! can never act on it); every form carries a CSRF token matched against a second cookie.

pub mod agency;
pub mod finance;
pub mod format;
pub mod payments;
pub mod public;
pub mod remedies;
pub mod shares;
pub mod supplier;

mod errors;
mod form;
pub mod routes;
pub use errors::*;
pub use form::*;
pub use routes::{configure, PAGES};

use crate::domain::role::Role;
use crate::error::Error;
use crate::http::access::{AuthUser, Caller};
use crate::http::AppState;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse};
use askama::Template;

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
    /// The page's language.
    pub fn lang(&self) -> crate::domain::messages::Lang {
        crate::domain::messages::Lang::of(self.en)
    }

    /// A code's name from the message catalogue: `b.label("ledger", "missed")` → 未达标.
    pub fn label(&self, kind: &str, value: &str) -> String {
        crate::domain::messages::label(self.lang(), kind, value)
    }

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

    /// An industry of the 300号 table by its name in the page's language.
    pub fn industry(&self, code: &str) -> String {
        format::industry(self.en, code)
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

/// A service call on one record by its id, as the page's caller: what the pages' forms run.
pub trait Action<T>:
    FnOnce(
        &mut crate::service::Conn,
        &dyn crate::clock::Clock,
        &crate::service::Actor<'_>,
        &str,
    ) -> crate::error::Result<T>
    + Send
    + 'static
{
}

impl<T, F> Action<T> for F where
    F: FnOnce(
            &mut crate::service::Conn,
            &dyn crate::clock::Clock,
            &crate::service::Actor<'_>,
            &str,
        ) -> crate::error::Result<T>
        + Send
        + 'static
{
}

/// Runs `action` on the record `id` as the caller, on the database's threads.
pub async fn run_action<T: Send + 'static>(
    state: &State,
    b: &Base,
    id: String,
    action: impl Action<T>,
) -> crate::error::Result<T> {
    let (clock, caller) = (state.clock.clone(), b.caller());
    state
        .db(move |conn| {
            action(
                conn,
                clock.as_ref(),
                &crate::http::actor::actor(&caller),
                &id,
            )
        })
        .await
}
