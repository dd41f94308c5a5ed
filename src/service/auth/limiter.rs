//! Abuse limits, kept in the database (`rate_counters`) so that every instance on one database
//! shares them: a count per (limit, key) in fixed windows, bumped by one atomic statement.
//!
//! Per client address: sign-up, the pure engine calls (evaluate, classify), the catalogue
//! search and market prices, the banks' contract check, and login attempts. Failed logins are
//! counted per (account, address) — a stranger who guesses wrong locks out only itself — and,
//! with a looser ceiling, per account, which stops a guesser spread over many addresses. The
//! account is keyed by a hash of its normalised username, so a password typed into the
//! username field is never stored.

use crate::db::{limits, DbConnection};
use crate::error::{Error, Result};
use chrono::{Duration, NaiveDateTime};

pub use crate::config::limits::{Bucket, Limit, Limits};

fn too_many(retry_after_seconds: i64) -> Error {
    Error::TooManyRequests {
        retry_after_seconds: retry_after_seconds.max(1),
    }
}

fn retry_after(window_start: NaiveDateTime, limit: Limit, now: NaiveDateTime) -> i64 {
    (window_start + Duration::seconds(limit.window_seconds) - now)
        .num_seconds()
        .max(1)
}

/// Counts one event of `key` (a client address, an account); 429 with the seconds until the
/// window ends once more than `limit.max` fell in it.
#[tracing::instrument(skip_all)]
pub fn hit(
    conn: &mut DbConnection,
    bucket: Bucket,
    limit: Limit,
    key: &str,
    now: NaiveDateTime,
) -> Result<()> {
    let expired_at = now - Duration::seconds(limit.window_seconds);
    let (count, started) = limits::bump(conn, bucket.as_str(), key, now, expired_at)?;
    if count > i64::from(limit.max) {
        return Err(too_many(retry_after(started, limit, now)));
    }
    Ok(())
}

/// 429 while `key` has used up `limit` in the current window (counts nothing).
#[tracing::instrument(skip_all)]
pub fn check(
    conn: &mut DbConnection,
    bucket: Bucket,
    limit: Limit,
    key: &str,
    now: NaiveDateTime,
) -> Result<()> {
    match limits::get(conn, bucket.as_str(), key)? {
        Some((count, started))
            if started > now - Duration::seconds(limit.window_seconds)
                && count >= i64::from(limit.max) =>
        {
            Err(too_many(retry_after(started, limit, now)))
        }
        _ => Ok(()),
    }
}

/// Forgets `key`'s count (a successful login clears its failures).
#[tracing::instrument(skip_all)]
pub fn clear(conn: &mut DbConnection, bucket: Bucket, key: &str) -> Result<()> {
    limits::clear(conn, bucket.as_str(), key)?;
    Ok(())
}

/// The key of an account in the login counters: a short hash of its normalised username, so
/// that the counters (and the logs) never hold what someone typed.
pub fn account_key(username: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(username.trim().to_lowercase().as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_keys_hide_what_was_typed() {
        assert_eq!(account_key("Zhang.Wei "), account_key("zhang.wei"));
        assert_ne!(account_key("zhang.wei"), account_key("li.na"));
        assert_eq!(account_key("correct horse battery staple").len(), 16);
        assert!(!account_key("secret").contains("secret"));
    }
}
