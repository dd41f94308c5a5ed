//! Deny by default: every route states who may call it where it is declared (`api/routes.rs`,
//! `web/routes.rs`); a middleware enforces the tables before any handler runs, and a route
//! missing from them is refused. The integration
//! tests walk the same table with every role.

use crate::domain::role::Role;
use crate::error::Error;
use crate::http::state::AppState;
use crate::service::accounts::User;
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use std::future::{ready, Ready};

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, logged in or not.
    Public,
    /// Any logged-in user.
    Authenticated,
    /// Logged-in users with one of these roles.
    Roles(&'static [Role]),
}

impl Access {
    pub fn allows(self, role: Option<Role>) -> bool {
        match (self, role) {
            (Access::Public, _) => true,
            (Access::Authenticated, Some(_)) => true,
            (Access::Roles(roles), Some(role)) => roles.contains(&role),
            (_, None) => false,
        }
    }

    /// For the OpenAPI description.
    pub fn describe(self) -> String {
        match self {
            Access::Public => "public (no login needed)".into(),
            Access::Authenticated => "any logged-in user".into(),
            Access::Roles(roles) => roles
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

/// The 403 of a role the route does not admit: the route and who may call it, in English for
/// the API, the role by its name on pages.
fn role_refused(role: Role, method: &str, spec: &RouteSpec) -> Error {
    use crate::domain::messages::{label, Lang};
    Error::forbidden(format!(
        "role {role} may not {method} {}; allowed: {}",
        spec.path,
        spec.access.describe()
    ))
    .said(
        "refusal.role_may_not",
        vec![
            ("role", role.to_string()),
            ("role_zh", label(Lang::Zh, "role", role.as_str())),
            ("method", method.to_string()),
            ("path", spec.path.to_string()),
            ("allowed", spec.access.describe()),
        ],
    )
}

/// One route: method, path pattern as registered, and who may call it.
#[derive(Debug, Clone, Copy)]
pub struct RouteSpec {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
}

/// Admins only.
pub const ADMIN: Access = Access::Roles(&[Role::Admin]);
/// Suppliers (their own enterprise's records) and admins (anyone's).
pub const SUPPLIERS: Access = Access::Roles(&[Role::Admin, Role::Supplier]);
/// Everyone who works on procurement rather than bidding: admins, agencies, auditors, finance.
pub const STAFF: Access = Access::Roles(&[Role::Admin, Role::Agency, Role::Auditor, Role::Finance]);
/// Oversight (审计, 财政) and admins: read-only views of the ledger, the audit log, payments.
pub const AUDITORS: Access = Access::Roles(&[Role::Admin, Role::Auditor, Role::Finance]);
/// The finance department (财政部门) alone: complaint decisions, debarments.
pub const FINANCE: Access = Access::Roles(&[Role::Finance]);
/// The finance department and admins: budget plans.
pub const PLANNERS: Access = Access::Roles(&[Role::Admin, Role::Finance]);
/// Agencies (their own projects) and admins (any).
pub const MANAGERS: Access = Access::Roles(&[Role::Admin, Role::Agency]);
pub const AGENCY: Access = Access::Roles(&[Role::Agency]);
pub const SUPPLIER: Access = Access::Roles(&[Role::Supplier]);
/// Who pays: an agency (or an admin for it) its suppliers, a supplier its subcontractors.
pub const PAYERS: Access = Access::Roles(&[Role::Admin, Role::Agency, Role::Supplier]);
/// Staff, and suppliers (their own bids: a receipt until the opening).
pub const BID_READERS: Access = Access::Roles(&[
    Role::Admin,
    Role::Agency,
    Role::Auditor,
    Role::Finance,
    Role::Supplier,
]);

static TABLES: std::sync::OnceLock<(&'static [RouteSpec], &'static [RouteSpec])> =
    std::sync::OnceLock::new();

/// Installs the API's and the pages' access tables (declared with their routes in
/// `api/routes.rs` and `web/routes.rs`); the application does it when it is built. Until then
/// every route is refused.
pub fn install(routes: &'static [RouteSpec], pages: &'static [RouteSpec]) {
    let _ = TABLES.set((routes, pages));
}

fn routes() -> &'static [RouteSpec] {
    TABLES.get().map_or(&[], |t| t.0)
}

fn pages() -> &'static [RouteSpec] {
    TABLES.get().map_or(&[], |t| t.1)
}

/// The methods the tables list for a path pattern (for `Allow`).
pub fn methods_of(pattern: &str) -> Vec<&'static str> {
    let mut methods: Vec<&'static str> = routes()
        .iter()
        .chain(pages())
        .filter(|r| r.path == pattern)
        .map(|r| r.method)
        .collect();
    methods.dedup();
    methods
}

pub fn find_route(method: &str, pattern: &str) -> Option<&'static RouteSpec> {
    routes()
        .iter()
        .find(|r| r.method == method && r.path == pattern)
}

fn find_page(method: &str, pattern: &str) -> Option<&'static RouteSpec> {
    pages()
        .iter()
        .find(|r| r.method == method && r.path == pattern)
}

/// The logged-in user behind a request.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub session_id: String,
    pub user: User,
    pub role: Role,
}

/// The caller of a request: `None` for anonymous. Set by [`authorize`].
#[derive(Debug, Clone, Default)]
pub struct Caller(pub Option<AuthUser>);

impl Caller {
    /// The user, for routes whose access already requires a login.
    pub fn user(&self) -> Result<&AuthUser, Error> {
        self.0
            .as_ref()
            .ok_or_else(|| Error::Unauthorized("log in first".into()))
    }
}

impl FromRequest for Caller {
    type Error = Error;
    type Future = Ready<Result<Self, Error>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(req
            .extensions()
            .get::<Caller>()
            .cloned()
            .unwrap_or_default()))
    }
}

fn bearer(req: &ServiceRequest) -> Result<Option<String>, Error> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().unwrap_or_default();
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(Some(token.trim().to_string()))
        }
        _ => Err(Error::Unauthorized(
            "the Authorization header must be `Bearer <token>`".into(),
        )),
    }
}

/// Resolves the bearer token and applies the route's [`Access`] before the handler runs.
pub async fn authorize(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let method = req.method().as_str().to_string();
    let pattern = req.match_pattern();
    let page = pattern
        .as_deref()
        .and_then(|p| find_page(&method, p))
        .is_some();
    let spec = match pattern.as_deref() {
        Some(p) => match find_route(&method, p).or_else(|| find_page(&method, p)) {
            Some(spec) => Some(spec),
            // Known path, other method: the router answers 405.
            None if routes().iter().chain(pages()).any(|r| r.path == p) => None,
            None => {
                tracing::error!(
                    pattern = p,
                    "route registered without an access rule: denied"
                );
                return Err(Error::Forbidden("this route has no access rule".into()).into());
            }
        },
        // Unknown path: the router answers 404.
        None => None,
    };
    let Some(spec) = spec else {
        return next.call(req).await;
    };

    // Pages take the session cookie; the API never does (a cookie would make it forgeable
    // cross-site; pages guard their forms with CSRF tokens).
    let token = match bearer(&req)? {
        Some(token) => Some(token),
        None if page => req
            .cookie(crate::http::respond::SESSION_COOKIE)
            .map(|c| c.value().to_string())
            .filter(|v| !v.is_empty()),
        None => None,
    };
    let caller = match token {
        None => Caller(None),
        Some(token) => {
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| Error::Internal(anyhow::anyhow!("application state missing")))?;

            let now = state.clock.now_naive();
            let found = state
                .db(move |conn| crate::service::accounts::session_user(conn, &token, now))
                .await?;
            let Some((session_id, user)) = found else {
                if page {
                    // An expired page session: carry on as a visitor (public pages show,
                    // the others send to the login form below).
                    page_gate(&req, Caller(None), spec)?;
                    return next.call(req).await;
                }
                return Err(Error::Unauthorized(
                    "the token is unknown, expired or revoked; log in again".into(),
                )
                .into());
            };
            let role = user
                .role
                .parse::<Role>()
                .map_err(|e| Error::Internal(anyhow::anyhow!(e)))?;
            Caller(Some(AuthUser {
                session_id,
                user,
                role,
            }))
        }
    };
    if page {
        page_gate(&req, caller, spec)?;
        return next.call(req).await;
    }
    let role = caller.0.as_ref().map(|u| u.role);
    if !spec.access.allows(role) {
        return Err(match role {
            None => Error::Unauthorized(
                "this route needs a login: send Authorization: Bearer <token>".into(),
            ),
            Some(role) => role_refused(role, &method, spec),
        }
        .into());
    }
    req.extensions_mut().insert(caller);
    next.call(req).await
}

/// For pages: a visitor who must log in is sent to the login form (303), a logged-in caller
/// without the role gets the 403 page; otherwise the caller is attached and the request goes on.
fn page_gate(
    req: &ServiceRequest,
    caller: Caller,
    spec: &RouteSpec,
) -> Result<(), actix_web::Error> {
    use actix_web::error::InternalError;
    let role = caller.0.as_ref().map(|u| u.role);
    if !spec.access.allows(role) {
        let response = match role {
            None => {
                let here = req
                    .uri()
                    .path_and_query()
                    .map_or("/", |p| p.as_str())
                    .to_string();
                let next: String = form_urlencoded::byte_serialize(here.as_bytes()).collect();
                crate::http::respond::see_other(&format!("/login?next={next}"))
            }
            Some(role) => {
                let refusal = role_refused(role, req.method().as_str(), spec);
                req.extensions_mut().insert(caller);
                crate::http::respond::page_refusal(req.request(), refusal)
            }
        };
        return Err(InternalError::from_response("denied", response).into());
    }
    req.extensions_mut().insert(caller);
    Ok(())
}

/// 405 problem+json with `Allow`: the methods the access tables list for this path.
pub fn method_not_allowed() -> actix_web::Route {
    web::route().to(|req: actix_web::HttpRequest| async move {
        let allow = req
            .match_pattern()
            .map(|p| methods_of(&p))
            .unwrap_or_default()
            .join(", ");
        let mut response = actix_web::ResponseError::error_response(&Error::MethodNotAllowed);
        if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&allow) {
            response
                .headers_mut()
                .insert(actix_web::http::header::ALLOW, value);
        }
        Ok::<_, Error>(response)
    })
}
