//! Builds the HTTP application: pool, migrations, middleware, routes; binds the listener.

use crate::api;
use crate::clock::{SharedClock, SystemClock};
use crate::config::Settings;
use crate::db::connection::{self, DbPool};
use crate::http::{access, AppState};
use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, App, HttpMessage, HttpServer};
use anyhow::Context;
use std::net::TcpListener;
use std::sync::Arc;
use tracing_actix_web::{RequestId, TracingLogger};

/// A bound, not yet running, server.
pub struct Application {
    port: u16,
    server: Server,
    pool: DbPool,
    state: web::Data<AppState>,
}

/// Opens the pool and brings the schema up to date.
pub fn prepare_database(settings: &Settings) -> anyhow::Result<DbPool> {
    let pool = connection::pool(&settings.database, settings.pool_size)?;
    let mut conn = pool.get().context("connecting to the database")?;
    let applied = connection::run_migrations(&mut conn)?;
    if !applied.is_empty() {
        tracing::info!(?applied, "migrations applied");
    }
    Ok(pool)
}

impl Application {
    /// Migrates, binds `bind` (port 0 = any free port) and builds the server.
    pub fn build(
        settings: Settings,
        bind: &str,
        workers: Option<usize>,
        clock: SharedClock,
    ) -> anyhow::Result<Self> {
        let pool = prepare_database(&settings)?;
        crate::service::sealing::ahead::set_per_lot(settings.seal_ahead);
        let keys = Arc::new(crate::service::auth::keys::ServerKeys::load_or_create(
            &settings.secret_key_file,
        )?);
        let listener =
            TcpListener::bind(bind).with_context(|| format!("cannot listen on {bind}"))?;
        let port = listener.local_addr()?.port();
        let shutdown = settings.shutdown_timeout_seconds;
        let worker_count = workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .max(1);
        // Each worker's share of the pool.
        let blocking_threads = (settings.pool_size as usize).div_ceil(worker_count).max(2);
        let settings = Arc::new(settings);
        let state = web::Data::new(AppState {
            pool: pool.clone(),
            clock,
            settings: settings.clone(),
            keys,
        });
        let app_state = state.clone();
        // The access tables come with the routes they guard.
        access::install(api::ROUTES, crate::web::routes::PAGES);
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(crate::http::PageRenderer(crate::web::error_page))
                .wrap(from_fn(crate::http::ownership::enforce))
                .wrap(from_fn(crate::http::limits::enforce))
                .wrap(from_fn(access::authorize))
                .wrap(from_fn(request_id_header))
                .wrap(TracingLogger::default())
                .configure(|cfg| api::configure(cfg, &settings))
                .configure(|cfg| crate::web::configure(cfg, &settings))
                .default_service(web::to(api::system::not_found))
        })
        .shutdown_timeout(shutdown)
        // Database work runs on each worker's blocking threads; more threads than pooled
        // connections only queue on the pool and cost wake-ups (measured: docs/benchmarks.md).
        .worker_max_blocking_threads(blocking_threads)
        .listen(listener)?;
        server = server.workers(worker_count);
        Ok(Application {
            port,
            server: server.run(),
            pool,
            state: app_state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn pool(&self) -> &DbPool {
        &self.pool
    }

    /// Runs until SIGINT/SIGTERM, then lets in-flight requests finish. Beside the server, a
    /// task signs audit checkpoints when they are due and clears old rate counters.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let housekeeping = actix_web::rt::spawn(housekeeping(self.state.clone()));
        let result = self.server.await;
        housekeeping.abort();
        result
    }
}

/// Every `checkpoint_check_seconds`: an audit checkpoint when one is due, and old rate counters
/// cleared.
async fn housekeeping(state: web::Data<AppState>) {
    let every = std::time::Duration::from_secs(state.settings.checkpoint_check_seconds.max(1));
    let schedule = crate::service::audit::checkpoints::Schedule {
        every_events: state.settings.checkpoint_every_events,
        max_age_seconds: state.settings.checkpoint_max_age_seconds,
    };
    let mut ticker = actix_web::rt::time::interval(every);
    loop {
        ticker.tick().await;
        let st = state.clone();
        let signed = state
            .db(move |conn| {
                crate::service::audit::checkpoints::sign_head(
                    conn,
                    st.clock.as_ref(),
                    &st.keys,
                    Some(schedule),
                )
            })
            .await;
        match signed {
            Ok(Some(c)) => {
                tracing::info!(seq = c.seq, key_id = %c.key_id, "audit checkpoint signed")
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "audit checkpoint not signed; will try again"),
        }
        // Counters whose window ended long ago count for nothing: clear them.
        let longest = crate::service::auth::limiter::Bucket::ALL
            .iter()
            .map(|b| state.settings.limits.of(*b).window_seconds)
            .max()
            .unwrap_or(0)
            .max(86_400);
        let before = state.clock.now_naive() - chrono::Duration::seconds(longest);
        if let Err(e) = state
            .db(move |conn| Ok(crate::db::limits::sweep(conn, before)?))
            .await
        {
            tracing::warn!(error = %e, "old rate counters not cleared; will try again");
        }
    }
}

/// Echoes the request id (also in every log line of the request) as `x-request-id`.
async fn request_id_header(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = req.extensions().get::<RequestId>().map(|id| id.to_string());
    let mut res = next.call(req).await?;
    if let Some(value) = id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        res.headers_mut()
            .insert(HeaderName::from_static("x-request-id"), value);
    }
    Ok(res)
}

/// `smeproc serve`.
pub fn serve_blocking(
    settings: Settings,
    bind: &str,
    workers: Option<usize>,
) -> anyhow::Result<()> {
    crate::telemetry::init(settings.log_format);
    let db = settings.database.to_string();
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(settings, bind, workers, Arc::new(SystemClock))?;
        tracing::info!(database = %db, bind = %bind, port = app.port(), "smeproc listening");
        app.run_until_stopped()
            .await
            .context("server stopped with an error")?;
        tracing::info!("smeproc stopped");
        Ok::<(), anyhow::Error>(())
    })
}
