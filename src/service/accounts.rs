//! Accounts and organisations: the rules shared by the CLI and the HTTP API.

use crate::clock::Clock;
use crate::db::{self, orgs, sessions, users, DbConnection};
use crate::domain::role::Role;
use crate::domain::{CreditCode, RegionCode};
use crate::error::{Error, Result};
use crate::service::audit::{self, Change};
use crate::service::auth;
use crate::service::auth::limiter::{self, Bucket, Limits};
use crate::wire::FieldProblem;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use validator::Validate;

/// Body of `POST /api/v1/users` (and what `smeproc user create` gathers).
#[derive(Debug, Clone, Deserialize, Validate, utoipa::ToSchema)]
pub struct CreateUserRequest {
    /// 3–64 characters: lower-case letters, digits, `.`, `_`, `-`, `@`.
    #[validate(length(min = 3, max = 64))]
    #[schema(example = "zhang.wei", pattern = "^[a-z0-9._@-]*$")]
    pub username: String,
    #[validate(length(min = 1, max = 200))]
    pub display_name: Option<String>,
    /// admin | agency | supplier | auditor
    #[schema(example = "agency", pattern = "^(admin|agency|supplier|auditor)$")]
    pub role: String,
    /// At least 12 characters.
    #[validate(length(min = 12, max = 256))]
    pub password: String,
    /// Required for `agency` users: the id of an organisation of kind agency.
    pub agency_id: Option<String>,
    /// For `supplier` users: credit code of a registered enterprise.
    pub enterprise_credit_code: Option<String>,
}

/// An account as shown to admins: never the password hash.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub agency_id: Option<String>,
    pub enterprise_id: Option<String>,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

impl From<users::User> for UserView {
    fn from(u: users::User) -> Self {
        UserView {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            role: u.role,
            agency_id: u.agency_id,
            enterprise_id: u.enterprise_id,
            disabled: u.disabled_at.is_some(),
            created_at: u.created_at.and_utc(),
        }
    }
}

/// Turns validator's report into named field problems.
pub fn validation_problems(errors: &validator::ValidationErrors) -> Vec<FieldProblem> {
    let mut problems: Vec<FieldProblem> = errors
        .field_errors()
        .into_iter()
        .flat_map(|(field, errs)| {
            errs.iter().map(move |e| {
                let message = match (e.code.as_ref(), e.params.get("min"), e.params.get("max")) {
                    ("length", Some(min), Some(max)) => {
                        format!("must be {min}–{max} characters long")
                    }
                    ("length", Some(min), None) => {
                        format!("must be at least {min} characters long")
                    }
                    ("range", Some(min), Some(max)) => format!("must be between {min} and {max}"),
                    _ => e
                        .message
                        .as_ref()
                        .map_or_else(|| format!("is invalid ({})", e.code), ToString::to_string),
                };
                FieldProblem::new(field.to_string(), message)
            })
        })
        .collect();
    problems.sort_by(|a, b| a.field.cmp(&b.field));
    problems
}

fn valid_username(name: &str) -> bool {
    name.bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-@".contains(&b))
}

/// Validates, hashes the password and stores the user. Nothing is written on any problem.
/// The checks on an account that need no database (lengths, username characters).
pub fn account_problems(req: &CreateUserRequest) -> Vec<FieldProblem> {
    let mut problems = match req.validate() {
        Ok(()) => Vec::new(),
        Err(e) => validation_problems(&e),
    };
    if let Some(c) = req
        .display_name
        .as_deref()
        .and_then(crate::domain::text::invisible)
    {
        problems.push(FieldProblem::new(
            "display_name",
            crate::domain::text::invisible_problem(c),
        ));
    }
    if !valid_username(&req.username) {
        problems.push(FieldProblem::new(
            "username",
            "use lower-case letters, digits, '.', '_', '-' or '@' only",
        ));
    }
    problems
}

pub fn create_user(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &str,
    req: &CreateUserRequest,
) -> Result<UserView> {
    // argon2 takes tens of milliseconds: hash before the transaction takes the write lock.
    let hash = if account_problems(req).is_empty() {
        Some(auth::hash_password(&req.password)?)
    } else {
        None
    };
    db::write(conn, |conn| {
        create_user_hashed(conn, clock, actor, req, hash.as_deref())
    })
}

/// [`create_user`] with the password already hashed (`None` when the account's own checks
/// failed: the problems are reported, nothing is written). Runs inside the caller's transaction.
pub(crate) fn create_user_hashed(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &str,
    req: &CreateUserRequest,
    hash: Option<&str>,
) -> Result<UserView> {
    let mut problems = account_problems(req);
    let role = match req.role.parse::<Role>() {
        Ok(r) => Some(r),
        Err(e) => {
            problems.push(FieldProblem::new("role", e));
            None
        }
    };
    let mut agency_id = None;
    match (role, req.agency_id.as_deref()) {
        (Some(Role::Agency), None) => problems.push(FieldProblem::new(
            "agency_id",
            "is required for an agency user",
        )),
        (Some(Role::Agency), Some(id)) => match orgs::find_by_id_or_name(conn, id)? {
            Some(org) if org.kind == "agency" => agency_id = Some(org.id),
            Some(_) => problems.push(FieldProblem::new(
                "agency_id",
                "names a department, not an agency",
            )),
            None => problems.push(FieldProblem::new("agency_id", format!("no agency {id:?}"))),
        },
        (_, Some(_)) => problems.push(FieldProblem::new(
            "agency_id",
            "only agency users belong to an agency",
        )),
        _ => {}
    }
    let mut enterprise_id = None;
    match (role, req.enterprise_credit_code.as_deref()) {
        (Some(Role::Supplier), Some(code)) => match code.parse::<CreditCode>() {
            Err(e) => problems.push(FieldProblem::new("enterprise_credit_code", e.to_string())),
            Ok(code) => match crate::db::enterprises::find_by_credit_code(conn, code.as_str())? {
                Some(e) => enterprise_id = Some(e.id),
                None => problems.push(FieldProblem::new(
                    "enterprise_credit_code",
                    format!("no enterprise registered with credit code {code}"),
                )),
            },
        },
        (_, Some(_)) => problems.push(FieldProblem::new(
            "enterprise_credit_code",
            "only supplier users belong to an enterprise",
        )),
        _ => {}
    }
    let (Some(role), Some(hash), true) = (role, hash, problems.is_empty()) else {
        return Err(Error::Validation(problems));
    };
    if users::find_by_username(conn, &req.username)?.is_some() {
        return Err(Error::Conflict(format!(
            "username {:?} is taken",
            req.username
        )));
    }
    let id = db::new_id();
    let new = users::NewUser {
        id: &id,
        username: &req.username,
        display_name: req.display_name.as_deref().unwrap_or(&req.username),
        password_hash: hash,
        role: role.as_str(),
        agency_id: agency_id.as_deref(),
        enterprise_id: enterprise_id.as_deref(),
        created_at: clock.now_naive(),
    };
    users::insert(conn, &new).map_err(|e| match Error::from(e) {
        Error::Conflict(_) => Error::Conflict(format!("username {:?} is taken", req.username)),
        other => other,
    })?;
    let user = users::find_by_id(conn, &id)?
        .ok_or_else(|| anyhow::anyhow!("user vanished after insert"))?;
    let view = UserView::from(user);
    audit::record(
        conn,
        clock,
        Change::new(actor, "user.create", "user", &id).after(&view),
    )?;
    Ok(view)
}

/// Disables a user and revokes every session it has.
pub fn disable_user(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &str,
    id: &str,
) -> Result<UserView> {
    let now = clock.now_naive();
    db::write(conn, |conn| {
        let user = users::find_by_id(conn, id)?
            .ok_or_else(|| Error::NotFound(format!("no user with id {id}")))?;
        if user.role == Role::Admin.as_str()
            && user.disabled_at.is_none()
            && users::count_active_admins(conn)? <= 1
        {
            return Err(Error::Conflict(format!(
                "{} is the last active admin: at least one active admin must remain to administer \
                 the service; create another admin first",
                user.username
            )));
        }
        let before = UserView::from(user.clone());
        users::disable(conn, &user.id, now)?;
        sessions::revoke_all_for_user(conn, &user.id, now)?;
        let after =
            users::find_by_id(conn, &user.id)?.ok_or_else(|| Error::NotFound("user".into()))?;
        let after = UserView::from(after);
        audit::record(
            conn,
            clock,
            Change::new(actor, "user.disable", "user", &user.id)
                .before(&before)
                .after(&after),
        )?;
        Ok(after)
    })
}

/// Body of `POST /api/v1/orgs` (and `smeproc org create`).
#[derive(Debug, Clone, Deserialize, Validate, utoipa::ToSchema)]
pub struct CreateOrgRequest {
    /// agency (采购人/代理机构) | department (预算单位)
    #[schema(example = "department", pattern = "^(agency|department)$")]
    pub kind: String,
    #[validate(length(min = 1, max = 200))]
    #[schema(example = "自治区教育厅")]
    pub name: String,
    /// Unified social credit code (optional).
    pub credit_code: Option<String>,
    /// Six-digit GB/T 2260 region code (optional).
    pub region: Option<String>,
    /// Departments only: id of the 主管预算单位 (a department) this unit reports to.
    pub parent_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrgView {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub credit_code: Option<String>,
    pub region: Option<String>,
    pub parent_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<orgs::Organisation> for OrgView {
    fn from(o: orgs::Organisation) -> Self {
        OrgView {
            id: o.id,
            kind: o.kind,
            name: o.name,
            credit_code: o.credit_code,
            region: o.region,
            parent_id: o.parent_id,
            created_at: o.created_at.and_utc(),
        }
    }
}

pub fn create_org(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &str,
    req: &CreateOrgRequest,
) -> Result<OrgView> {
    let mut problems = match req.validate() {
        Ok(()) => Vec::new(),
        Err(e) => validation_problems(&e),
    };
    if let Some(c) = crate::domain::text::invisible(&req.name) {
        problems.push(FieldProblem::new(
            "name",
            crate::domain::text::invisible_problem(c),
        ));
    }
    if !matches!(req.kind.as_str(), "agency" | "department") {
        problems.push(FieldProblem::new(
            "kind",
            format!("unknown kind {:?}; expected agency or department", req.kind),
        ));
    }
    if let Some(code) = &req.credit_code {
        if let Err(e) = code.parse::<CreditCode>() {
            problems.push(FieldProblem::new("credit_code", e.to_string()));
        }
    }
    if let Some(region) = &req.region {
        if let Err(e) = region.parse::<RegionCode>() {
            problems.push(FieldProblem::new("region", e.to_string()));
        }
    }
    let mut parent_id = None;
    if let Some(key) = &req.parent_id {
        if req.kind != "department" {
            problems.push(FieldProblem::new(
                "parent_id",
                "only a department has a 主管预算单位 parent",
            ));
        } else {
            match orgs::find_by_id_or_name(conn, key)? {
                Some(p) if p.kind == "department" => parent_id = Some(p.id),
                Some(_) => problems.push(FieldProblem::new(
                    "parent_id",
                    "the parent must be a department",
                )),
                None => problems.push(FieldProblem::new(
                    "parent_id",
                    format!("no department {key:?}"),
                )),
            }
        }
    }
    if !problems.is_empty() {
        return Err(Error::Validation(problems));
    }
    let id = db::new_id();
    let new = orgs::NewOrganisation {
        id: &id,
        kind: &req.kind,
        name: req.name.trim(),
        credit_code: req.credit_code.as_deref(),
        region: req.region.as_deref(),
        parent_id: parent_id.as_deref(),
        created_at: clock.now_naive(),
    };
    crate::db::write(conn, |conn| {
        orgs::insert(conn, &new).map_err(|e| match Error::from(e) {
            Error::Conflict(_) => Error::Conflict(format!(
                "an {} named {:?} or with that credit code exists",
                req.kind, req.name
            )),
            other => other,
        })?;
        let org = orgs::find_by_id(conn, &id)?
            .ok_or_else(|| anyhow::anyhow!("organisation vanished after insert"))?;
        let view = OrgView::from(org);
        audit::record(
            conn,
            clock,
            Change::new(actor, "org.create", "organisation", &id).after(&view),
        )?;
        Ok(view)
    })
}

/// Revokes a session (API token or page login), audited.
pub fn logout(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    user_id: &str,
    session_id: &str,
) -> Result<()> {
    crate::db::write(conn, |conn| {
        crate::db::sessions::revoke(conn, session_id, clock.now_naive())?;
        crate::service::audit::record(
            conn,
            clock,
            crate::service::audit::Change::new(user_id, "session.logout", "session", session_id),
        )
    })
}

/// Every account, as admins see them.
pub fn list_users(conn: &mut DbConnection) -> Result<Vec<UserView>> {
    Ok(users::list(conn)?.into_iter().map(UserView::from).collect())
}

/// An account by its username.
pub fn find_user(conn: &mut DbConnection, username: &str) -> Result<Option<UserView>> {
    Ok(users::find_by_username(conn, username)?.map(UserView::from))
}

/// Organisations, of one kind or all.
pub fn list_orgs(conn: &mut DbConnection, kind: Option<&str>) -> Result<Vec<OrgView>> {
    Ok(orgs::list(conn, kind)?
        .into_iter()
        .map(OrgView::from)
        .collect())
}

/// An account as stored (the password hash never leaves the service in a view).
pub use crate::db::users::User;

/// The session and live, enabled account a bearer token (or page cookie) belongs to at `now`.
pub fn session_user(
    conn: &mut DbConnection,
    token: &str,
    now: chrono::NaiveDateTime,
) -> Result<Option<(String, User)>> {
    let hash = auth::token_hash(token);
    Ok(sessions::user_for_token(conn, &hash, now)?)
}

/// Body of `POST /api/v1/auth/login`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct LoginRequest {
    #[schema(max_length = 256)]
    pub username: String,
    #[schema(max_length = 256)]
    pub password: String,
}

/// A bearer token for the `Authorization: Bearer …` header.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LoginResponse {
    /// Shown once; the server keeps only its SHA-256.
    pub token: String,
    /// Always `Bearer`.
    pub token_type: String,
    pub expires_at: DateTime<Utc>,
    pub user: UserView,
}

/// Checks the limits, then the password; issues a token. Wrong username and wrong password get
/// the same answer. Limits (docs/security.md): attempts per client address; failed attempts per
/// (account, address), so that a stranger's guesses lock out only the stranger; and a looser
/// ceiling of failures per account from anywhere. The log names the account by its id when it
/// exists and by a short hash of what was typed otherwise: a password typed into the username
/// field never reaches the log.
pub fn login(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    limits: &Limits,
    ttl_minutes: i64,
    req: &LoginRequest,
    address: &str,
) -> Result<LoginResponse> {
    let now = clock.now();
    let at = clock.now_naive();
    let account = limiter::account_key(&req.username);
    let pair = format!("{account}@{address}");
    limiter::hit(
        conn,
        Bucket::LoginAddress,
        limits.of(Bucket::LoginAddress),
        address,
        at,
    )?;
    limiter::check(
        conn,
        Bucket::LoginFailures,
        limits.of(Bucket::LoginFailures),
        &pair,
        at,
    )?;
    limiter::check(
        conn,
        Bucket::LoginAccountFailures,
        limits.of(Bucket::LoginAccountFailures),
        &account,
        at,
    )?;
    let user = users::find_by_username(conn, &req.username)?;
    let ok = auth::verify_password(
        &req.password,
        user.as_ref().map(|u| u.password_hash.as_str()),
    );
    let user = match user {
        Some(u) if ok && u.disabled_at.is_none() => u,
        other => {
            for (bucket, key) in [
                (Bucket::LoginFailures, pair.as_str()),
                (Bucket::LoginAccountFailures, account.as_str()),
            ] {
                // Counted even past the limit; the check above refuses the next attempt.
                match limiter::hit(conn, bucket, limits.of(bucket), key, at) {
                    Ok(()) | Err(Error::TooManyRequests { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
            match other {
                Some(u) => tracing::info!(user_id = %u.id, "login refused"),
                None => tracing::info!(account = %account, "login refused: no such account"),
            }
            return Err(Error::Unauthorized(
                "wrong username or password, or the account is disabled".into(),
            ));
        }
    };
    limiter::clear(conn, Bucket::LoginFailures, &pair)?;
    let (token, hash) = auth::new_token()?;
    let expires_at = now + Duration::minutes(ttl_minutes);
    let session_id = db::new_id();
    crate::db::write(conn, |conn| {
        sessions::insert(
            conn,
            &sessions::NewSession {
                id: &session_id,
                user_id: &user.id,
                token_hash: &hash,
                created_at: clock.now_naive(),
                expires_at: expires_at.naive_utc(),
            },
        )?;
        // The session's id only: the token (and its hash) never reach the log.
        audit::record(
            conn,
            clock,
            Change::new(&user.id, "session.login", "session", &session_id),
        )
    })?;
    tracing::info!(user_id = %user.id, "login");
    Ok(LoginResponse {
        token,
        token_type: "Bearer".into(),
        expires_at,
        user: user.into(),
    })
}
