//! Sessions: logging in (throttled per account and address, argon2 verified), the session's user, logging out.

use super::*;
use crate::clock::Clock;
use crate::db::{self, sessions, users, DbConnection};
use crate::error::{Error, Result};
use crate::service::audit::{self, Change};
use crate::service::auth;
use crate::service::auth::limiter::{self, Bucket, Limits};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Revokes a session (API token or page login), audited.
#[tracing::instrument(skip_all)]
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

/// The session and live, enabled account a bearer token (or page cookie) belongs to at `now`.
#[tracing::instrument(skip_all)]
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
#[tracing::instrument(skip_all)]
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
