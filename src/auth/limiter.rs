//! Login rate limits, in memory: failed attempts per account and all attempts per client
//! address, each in a fixed window. One process holds the counts; behind several instances,
//! put the same limit at the proxy (docs/operations.md).

use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Debug, Clone, Copy)]
struct Window {
    started: DateTime<Utc>,
    count: u32,
}

#[derive(Debug)]
pub struct LoginLimiter {
    accounts: Mutex<HashMap<String, Window>>,
    addresses: Mutex<HashMap<String, Window>>,
    max_failures: u32,
    max_per_address: u32,
    window: Duration,
}

/// Past this many tracked keys, expired windows are swept so memory stays bounded.
const SWEEP_AT: usize = 10_000;

impl LoginLimiter {
    pub fn new(max_failures: u32, max_per_address: u32, window_seconds: i64) -> Self {
        LoginLimiter {
            accounts: Mutex::default(),
            addresses: Mutex::default(),
            max_failures,
            max_per_address,
            window: Duration::seconds(window_seconds),
        }
    }

    fn retry_after(&self, w: &Window, now: DateTime<Utc>) -> i64 {
        (w.started + self.window - now).num_seconds().max(1)
    }

    /// Adds one to `key`'s count in the current window (a new window once the last has ended).
    fn bump(&self, map: &Mutex<HashMap<String, Window>>, key: &str, now: DateTime<Utc>) -> Window {
        let mut map = map.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= SWEEP_AT {
            map.retain(|_, w| now < w.started + self.window);
        }
        let w = map.entry(key.to_string()).or_insert(Window {
            started: now,
            count: 0,
        });
        if now >= w.started + self.window {
            *w = Window {
                started: now,
                count: 0,
            };
        }
        w.count += 1;
        *w
    }

    /// Counts an attempt from `address`; `Err(seconds)` when over the limit.
    pub fn attempt_from(&self, address: &str, now: DateTime<Utc>) -> Result<(), i64> {
        let w = self.bump(&self.addresses, address, now);
        if w.count > self.max_per_address {
            return Err(self.retry_after(&w, now));
        }
        Ok(())
    }

    /// `Err(seconds)` while the account has used up its failed attempts.
    pub fn check_account(&self, username: &str, now: DateTime<Utc>) -> Result<(), i64> {
        let map = self.accounts.lock().unwrap_or_else(|p| p.into_inner());
        match map.get(username) {
            Some(w) if now < w.started + self.window && w.count >= self.max_failures => {
                Err(self.retry_after(w, now))
            }
            _ => Ok(()),
        }
    }

    pub fn record_failure(&self, username: &str, now: DateTime<Utc>) {
        self.bump(&self.accounts, username, now);
    }

    pub fn record_success(&self, username: &str) {
        self.accounts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(username);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_an_account_after_failures_until_the_window_ends() {
        let limiter = LoginLimiter::new(3, 100, 60);
        let t0 = Utc::now();
        for _ in 0..3 {
            assert!(limiter.check_account("a", t0).is_ok());
            limiter.record_failure("a", t0);
        }
        assert_eq!(
            limiter.check_account("a", t0 + Duration::seconds(10)),
            Err(50)
        );
        assert!(limiter.check_account("b", t0).is_ok());
        assert!(limiter
            .check_account("a", t0 + Duration::seconds(61))
            .is_ok());
    }

    #[test]
    fn limits_attempts_per_address() {
        let limiter = LoginLimiter::new(3, 2, 60);
        let t0 = Utc::now();
        assert!(limiter.attempt_from("1.2.3.4", t0).is_ok());
        assert!(limiter.attempt_from("1.2.3.4", t0).is_ok());
        assert!(limiter.attempt_from("1.2.3.4", t0).is_err());
        assert!(limiter.attempt_from("5.6.7.8", t0).is_ok());
        assert!(limiter
            .attempt_from("1.2.3.4", t0 + Duration::seconds(60))
            .is_ok());
    }
}
