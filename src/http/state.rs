//! What every handler can reach: the pool, the clock, the settings, the server keys; and who
//! the client is.

use crate::clock::SharedClock;
use crate::config::Settings;
use crate::error::Result;
use crate::service::{Conn as DbConnection, Pool as DbPool};
use actix_web::web;
use std::sync::Arc;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub clock: SharedClock,
    pub settings: Arc<Settings>,
    /// CSRF and audit checkpoint keys.
    pub keys: Arc<crate::service::auth::keys::ServerKeys>,
}

impl AppState {
    /// The document store the settings name.
    pub fn document_store(&self) -> crate::service::procurement::documents::FileStore {
        crate::service::procurement::documents::FileStore::of(&self.settings, &self.pool)
    }

    /// Runs blocking database work on the blocking pool, never on an actix worker.
    pub async fn db<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T> + Send + 'static,
    {
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await?
    }
}

/// The client's address, for the per-address limits. Behind a reverse proxy listed in
/// `SMEPROC_TRUSTED_PROXIES`, the right-most address of `X-Forwarded-For` that is not one of
/// those proxies (what the proxy saw); a header from anyone else is ignored, so a client cannot
/// pick the address it is counted under.
pub fn client_address(req: &actix_web::HttpRequest) -> String {
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else {
        return "unknown".to_string();
    };
    let trusted: &[std::net::IpAddr] = req
        .app_data::<web::Data<AppState>>()
        .map_or(&[], |s| s.settings.trusted_proxies.as_slice());
    if !trusted.contains(&peer) {
        return peer.to_string();
    }
    let forwarded: Vec<std::net::IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    forwarded
        .iter()
        .rev()
        .find(|a| !trusted.contains(a))
        .copied()
        .unwrap_or(peer)
        .to_string()
}

/// Scheme and host of the request, for links in feeds.
pub fn base_url(req: &actix_web::HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}
