//! Market prices (行情): quantiles of the listed prices and of the price history in a window.

use super::*;
use crate::clock::Clock;
use crate::db::products::{self as repo};
use crate::db::DbConnection;
use crate::domain::decimal::div_round_half_up;
use crate::domain::Fen;
use crate::error::{Error, Result};
use crate::wire::fields::coded;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Query of `GET /api/v1/market-prices`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct MarketQuery {
    /// 品目 code prefix, e.g. `A0201`.
    #[param(pattern = "^[ABC]([0-9]{2}){0,5}$")]
    pub category: Option<String>,
    /// Region code prefix, e.g. `65`.
    #[param(pattern = "^[0-9]{1,6}$")]
    pub region: Option<String>,
    /// Keywords, as in the product search.
    #[param(max_length = 100)]
    pub q: Option<String>,
    /// 计量单位: prices per 台 and per 箱 should not be mixed.
    #[param(max_length = 20)]
    pub unit: Option<String>,
    /// The history window in days, 1–3650, default 90.
    #[param(minimum = 1, maximum = 3650)]
    pub days: Option<i64>,
}

/// count, min, p25, median, p75, max of a set of prices (yuan); the figures are null when
/// there is no price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PriceStats {
    pub count: u64,
    pub min: Option<String>,
    pub p25: Option<String>,
    pub median: Option<String>,
    pub p75: Option<String>,
    pub max: Option<String>,
}

/// Quartile `num/4` of ascending prices by linear interpolation between closest ranks
/// (h = (n−1)·q, as Excel's PERCENTILE.INC and numpy's default), in integer fen, rounded half up.
fn quantile(sorted: &[i64], num: i128) -> Option<i64> {
    let n = sorted.len() as i128;
    if n == 0 {
        return None;
    }
    let h4 = (n - 1) * num; // h × 4
    let low = (h4 / 4) as usize;
    let frac4 = h4 % 4;
    let a = i128::from(*sorted.get(low)?);
    let b = i128::from(*sorted.get(low + 1).unwrap_or(&sorted[low]));
    i64::try_from(div_round_half_up(a * 4 + (b - a) * frac4, 4)).ok()
}

pub fn price_stats(sorted: &[i64]) -> PriceStats {
    let yuan = |q: i128| quantile(sorted, q).map(|f| Fen(f).to_string());
    PriceStats {
        count: sorted.len() as u64,
        min: yuan(0),
        p25: yuan(1),
        median: yuan(2),
        p75: yuan(3),
        max: yuan(4),
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MarketPrices {
    pub category: Option<String>,
    pub region: Option<String>,
    pub unit: Option<String>,
    pub currency: String,
    /// Current prices of the listed (active) products.
    pub current: PriceStats,
    /// Every price point recorded in the window, for listed and delisted products alike.
    pub history: PriceStats,
    pub window_days: i64,
    pub window_from: DateTime<Utc>,
    pub window_to: DateTime<Utc>,
}

/// 行情: the reference figures agencies use to judge a bid price.
#[tracing::instrument(skip_all)]
pub fn market_prices(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    query: &MarketQuery,
) -> Result<MarketPrices> {
    let mut problems = Vec::new();
    let params = SearchParams {
        q: query.q.clone(),
        category: query.category.clone(),
        region: query.region.clone(),
        unit: query.unit.clone(),
        ..SearchParams::default()
    };
    let mut filter = filter_of(conn, &params, &mut problems)?;
    let days = query.days.unwrap_or(90);
    if !(1..=3650).contains(&days) {
        problems.push(coded("days", "problem.range_3650", vec![]));
    }
    if !problems.is_empty() {
        return Err(Error::Validation(problems));
    }
    let now = clock.now_naive();
    let since = now - chrono::Duration::days(days);
    let current = repo::current_prices(conn, &filter)?;
    filter.active = None;
    let history = repo::history_prices(conn, &filter, since)?;
    Ok(MarketPrices {
        category: params.category,
        region: params.region,
        unit: params.unit,
        currency: "CNY".into(),
        current: price_stats(&current),
        history: price_stats(&history),
        window_days: days,
        window_from: since.and_utc(),
        window_to: now.and_utc(),
    })
}
