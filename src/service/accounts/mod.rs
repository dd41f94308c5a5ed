//! Accounts: users here (creation with argon2 hashes, disabling, the last-admin rule), organisations
//! in `organisations`, logins and sessions in `login`. The rules shared by the CLI and the HTTP API.

use crate::clock::Clock;
use crate::db::{self, orgs, sessions, users, DbConnection};
use crate::domain::role::Role;
use crate::domain::CreditCode;
use crate::error::{Cause, Error, Result};
use crate::service::audit::{self, Change};
use crate::service::auth;
use crate::wire::fields::coded;
use crate::wire::FieldProblem;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use validator::Validate;

mod login;
mod organisations;
pub use login::*;
pub use organisations::*;

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
    #[schema(
        example = "agency",
        pattern = "^(admin|agency|supplier|auditor|finance)$"
    )]
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
                let (min, max) = (e.params.get("min"), e.params.get("max"));
                let said = match (e.code.as_ref(), min, max) {
                    ("length", Some(min), Some(max)) => Some((
                        "problem.length",
                        vec![("min", min.to_string()), ("max", max.to_string())],
                    )),
                    ("length", Some(min), None) => {
                        Some(("problem.min_length", vec![("min", min.to_string())]))
                    }
                    ("range", Some(min), Some(max)) => Some((
                        "problem.range",
                        vec![("min", min.to_string()), ("max", max.to_string())],
                    )),
                    _ => None,
                };
                match said {
                    Some((code, params)) => coded(field.to_string(), code, params),
                    None => FieldProblem::new(
                        field.to_string(),
                        e.message.as_ref().map_or_else(
                            || format!("is invalid ({})", e.code),
                            ToString::to_string,
                        ),
                    ),
                }
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
        problems.push(crate::wire::fields::invisible_in("display_name", c));
    }
    if !valid_username(&req.username) {
        problems.push(
            FieldProblem::new(
                "username",
                "use lower-case letters, digits, '.', '_', '-' or '@' only",
            )
            .said("problem.username_characters", vec![]),
        );
    }
    problems
}

#[tracing::instrument(skip_all)]
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
#[tracing::instrument(skip_all)]
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
        Err(_) => {
            problems.push(coded(
                "role",
                "problem.unknown_role",
                vec![("given", format!("{:?}", req.role))],
            ));
            None
        }
    };
    let mut agency_id = None;
    match (role, req.agency_id.as_deref()) {
        (Some(Role::Agency), None) => {
            problems.push(coded("agency_id", "problem.required_agency", vec![]))
        }
        (Some(Role::Agency), Some(id)) => match orgs::find_by_id_or_name(conn, id)? {
            Some(org) if org.kind == "agency" => agency_id = Some(org.id),
            Some(_) => problems.push(coded("agency_id", "problem.department_not_agency", vec![])),
            None => problems.push(coded(
                "agency_id",
                "problem.no_agency",
                vec![("id", format!("{id:?}"))],
            )),
        },
        (_, Some(_)) => problems.push(coded("agency_id", "problem.agency_users_only", vec![])),
        _ => {}
    }
    let mut enterprise_id = None;
    match (role, req.enterprise_credit_code.as_deref()) {
        (Some(Role::Supplier), Some(code)) => match code.parse::<CreditCode>() {
            Err(e) => problems.push(crate::wire::fields::of("enterprise_credit_code", &e)),
            Ok(code) => match crate::db::enterprises::find_by_credit_code(conn, code.as_str())? {
                Some(e) => enterprise_id = Some(e.id),
                None => problems.push(coded(
                    "enterprise_credit_code",
                    "problem.no_enterprise",
                    vec![("code", code.to_string())],
                )),
            },
        },
        (_, Some(_)) => problems.push(coded(
            "enterprise_credit_code",
            "problem.supplier_users_only",
            vec![],
        )),
        _ => {}
    }
    let (Some(role), Some(hash), true) = (role, hash, problems.is_empty()) else {
        return Err(Error::Validation(problems));
    };
    if users::find_by_username(conn, &req.username)?.is_some() {
        return Err(crate::service::refuse(
            Cause::Duplicate,
            "refusal.username_taken",
            vec![("username", format!("{:?}", req.username))],
        ));
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
        Error::Conflict(..) => crate::service::refuse(
            Cause::Duplicate,
            "refusal.username_taken",
            vec![("username", format!("{:?}", req.username))],
        ),
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
#[tracing::instrument(skip_all)]
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
            return Err(crate::service::refuse(
                Cause::LastAdmin,
                "refusal.last_admin",
                vec![("username", user.username.clone())],
            ));
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

/// Every account, as admins see them.
#[tracing::instrument(skip_all)]
pub fn list_users(conn: &mut DbConnection) -> Result<Vec<UserView>> {
    Ok(users::list(conn)?.into_iter().map(UserView::from).collect())
}

/// An account by its username.
#[tracing::instrument(skip_all)]
pub fn find_user(conn: &mut DbConnection, username: &str) -> Result<Option<UserView>> {
    Ok(users::find_by_username(conn, username)?.map(UserView::from))
}

/// An account as stored (the password hash never leaves the service in a view).
pub use crate::db::users::User;
