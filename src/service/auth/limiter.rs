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
use std::str::FromStr;

/// At most `max` events per `window_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: u32,
    pub window_seconds: i64,
}

impl FromStr for Limit {
    type Err = String;
    /// `COUNT/SECONDS`, e.g. `600/60`.
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let (max, window) = s
            .split_once('/')
            .ok_or_else(|| format!("{s:?}: expected COUNT/SECONDS, e.g. 600/60"))?;
        let max: u32 = max
            .trim()
            .parse()
            .map_err(|_| format!("{s:?}: the count must be a whole number"))?;
        let window_seconds: i64 = window
            .trim()
            .parse()
            .map_err(|_| format!("{s:?}: the window must be a whole number of seconds"))?;
        if max == 0 || window_seconds < 1 {
            return Err(format!(
                "{s:?}: the count and the window must be at least 1"
            ));
        }
        Ok(Limit {
            max,
            window_seconds,
        })
    }
}

/// What is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    Signup,
    Evaluate,
    Classify,
    Search,
    MarketPrices,
    ContractCheck,
    /// Every login attempt from an address.
    LoginAddress,
    /// Failed logins of one account from one address.
    LoginFailures,
    /// Failed logins of one account from anywhere (the looser ceiling).
    LoginAccountFailures,
}

impl Bucket {
    pub const ALL: [Bucket; 9] = [
        Bucket::Signup,
        Bucket::Evaluate,
        Bucket::Classify,
        Bucket::Search,
        Bucket::MarketPrices,
        Bucket::ContractCheck,
        Bucket::LoginAddress,
        Bucket::LoginFailures,
        Bucket::LoginAccountFailures,
    ];

    /// The name in `SMEPROC_LIMITS` and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Bucket::Signup => "signup",
            Bucket::Evaluate => "evaluate",
            Bucket::Classify => "classify",
            Bucket::Search => "search",
            Bucket::MarketPrices => "market_prices",
            Bucket::ContractCheck => "contract_check",
            Bucket::LoginAddress => "login_address",
            Bucket::LoginFailures => "login_failures",
            Bucket::LoginAccountFailures => "login_account_failures",
        }
    }
}

/// Every limit's setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits(Vec<(Bucket, Limit)>);

impl Default for Limits {
    /// Generous defaults: an office behind one address signs up a dozen firms in an hour and
    /// searches all day; a script that floods is stopped.
    fn default() -> Self {
        let l = |max, window_seconds| Limit {
            max,
            window_seconds,
        };
        Limits(vec![
            (Bucket::Signup, l(30, 3600)),
            (Bucket::Evaluate, l(60, 60)),
            (Bucket::Classify, l(600, 60)),
            (Bucket::Search, l(600, 60)),
            (Bucket::MarketPrices, l(300, 60)),
            (Bucket::ContractCheck, l(60, 900)),
            (Bucket::LoginAddress, l(30, 900)),
            (Bucket::LoginFailures, l(5, 900)),
            (Bucket::LoginAccountFailures, l(50, 900)),
        ])
    }
}

impl Limits {
    pub fn of(&self, bucket: Bucket) -> Limit {
        self.0
            .iter()
            .find(|(b, _)| *b == bucket)
            .map(|(_, l)| *l)
            .unwrap_or(Limit {
                max: u32::MAX,
                window_seconds: 1,
            })
    }

    pub fn set(&mut self, bucket: Bucket, limit: Limit) {
        match self.0.iter_mut().find(|(b, _)| *b == bucket) {
            Some(slot) => slot.1 = limit,
            None => self.0.push((bucket, limit)),
        }
    }

    /// Applies `SMEPROC_LIMITS`: `name=COUNT/SECONDS` pairs separated by commas.
    pub fn apply(&mut self, text: &str) -> std::result::Result<(), String> {
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = part
                .split_once('=')
                .ok_or_else(|| format!("SMEPROC_LIMITS {part:?}: expected name=COUNT/SECONDS"))?;
            let bucket = Bucket::ALL
                .into_iter()
                .find(|b| b.as_str() == name.trim())
                .ok_or_else(|| {
                    format!(
                        "SMEPROC_LIMITS: unknown limit {name:?}; expected one of: {}",
                        Bucket::ALL.map(Bucket::as_str).join(", ")
                    )
                })?;
            self.set(
                bucket,
                value
                    .parse()
                    .map_err(|e| format!("SMEPROC_LIMITS {name}: {e}"))?,
            );
        }
        Ok(())
    }
}

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
    fn limits_parse_and_override_by_name() {
        let mut limits = Limits::default();
        assert_eq!(limits.of(Bucket::LoginFailures).max, 5);
        limits.apply("search=10/1, signup = 2/60").unwrap();
        assert_eq!(limits.of(Bucket::Search), "10/1".parse().unwrap());
        assert_eq!(limits.of(Bucket::Signup).window_seconds, 60);
        assert!(limits.apply("serch=1/1").unwrap_err().contains("search"));
        assert!(limits.apply("search=0/1").is_err());
        assert!(limits.apply("search=ten").is_err());
    }

    #[test]
    fn account_keys_hide_what_was_typed() {
        assert_eq!(account_key("Zhang.Wei "), account_key("zhang.wei"));
        assert_ne!(account_key("zhang.wei"), account_key("li.na"));
        assert_eq!(account_key("correct horse battery staple").len(), 16);
        assert!(!account_key("secret").contains("secret"));
    }
}
