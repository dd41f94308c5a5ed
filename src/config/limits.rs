//! The settings of the abuse limits: which calls are counted, and how many are allowed per
//! window (`SMEPROC_LIMITS`). Counting is the accounts service's (`service::auth::limiter`).

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
}
