//! Self-service sign-up: an enterprise and its first supplier user in one transaction.

use super::*;
use crate::clock::Clock;
use crate::db::DbConnection;
use crate::error::{Error, Result};
use crate::service::accounts::{self, CreateUserRequest, UserView};
use crate::service::audit::{self, Change};
use serde::{Deserialize, Serialize};

/// The actor of a self-service sign-up (no account exists before it).
pub const SIGNUP: &str = "signup";

/// Body of `POST /api/v1/auth/signup`: a supplier account and its enterprise.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct SignupRequest {
    #[schema(min_length = 3, max_length = 64, pattern = "^[a-z0-9._@-]*$")]
    pub username: String,
    /// At least 12 characters.
    #[schema(min_length = 12, max_length = 256)]
    pub password: String,
    pub display_name: Option<String>,
    pub enterprise: EnterpriseInput,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SignupResponse {
    pub user: UserView,
    pub enterprise: EnterpriseView,
}

/// Creates the enterprise and its supplier account together, or neither. Problems with the
/// account and with the enterprise are reported together.
#[tracing::instrument(skip_all)]
pub fn signup(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    req: &SignupRequest,
) -> Result<SignupResponse> {
    let account = CreateUserRequest {
        username: req.username.clone(),
        display_name: req.display_name.clone(),
        role: "supplier".into(),
        password: req.password.clone(),
        agency_id: None,
        enterprise_credit_code: None,
    };
    let account_problems = accounts::account_problems(&account);
    // argon2 takes tens of milliseconds: hash before the transaction takes the write lock.
    let hash = if account_problems.is_empty() {
        Some(crate::service::auth::hash_password(&req.password)?)
    } else {
        None
    };
    crate::db::write(conn, |conn| {
        let e = match check_new(conn, &req.enterprise, "enterprise.", clock.now_naive()) {
            Err(Error::Validation(mut problems)) => {
                problems.splice(0..0, account_problems);
                return Err(Error::Validation(problems));
            }
            Err(other) => return Err(other),
            Ok(_) if !account_problems.is_empty() => {
                return Err(Error::Validation(account_problems))
            }
            Ok(e) => e,
        };
        insert(conn, &e)?;
        let view = EnterpriseView::new(e.clone(), true);
        audit::record(
            conn,
            clock,
            Change::new(SIGNUP, "enterprise.register", "enterprise", &e.id).after(&view),
        )?;
        let account = CreateUserRequest {
            enterprise_credit_code: Some(e.credit_code.clone()),
            ..account
        };
        let user = accounts::create_user_hashed(conn, clock, SIGNUP, &account, hash.as_deref())?;
        Ok(SignupResponse {
            user,
            enterprise: EnterpriseView::new(e, true),
        })
    })
}
