//! Settings from flags and environment variables (the README has the table).

pub mod limits;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// Where the data lives: chosen from the URL scheme explicitly, so that a typo can never
/// silently create a new, empty database.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/smeproc.db";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DatabaseUrlError {
    #[error("DATABASE_URL {0:?} is not supported: use sqlite://PATH (e.g. sqlite://data/smeproc.db) or postgres://USER@HOST/DB (postgresql:// also accepted)")]
    Scheme(String),
    #[error("DATABASE_URL sqlite:// needs a file path, e.g. sqlite://data/smeproc.db")]
    EmptyPath,
}

impl DatabaseUrl {
    /// Parses `DATABASE_URL`; `None` means the embedded default.
    pub fn parse(url: Option<&str>) -> Result<Self, DatabaseUrlError> {
        let url = url
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .unwrap_or(DEFAULT_DATABASE_URL);
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() || path == ":memory:" {
                return Err(DatabaseUrlError::EmptyPath);
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(url.to_string()));
        }
        // Name only the scheme: the rest may hold a password.
        let scheme = url.split_once("://").map_or(url, |(s, _)| s);
        Err(DatabaseUrlError::Scheme(format!("{scheme}://…")))
    }

    pub fn backend(&self) -> &'static str {
        match self {
            DatabaseUrl::Sqlite(_) => "sqlite",
            DatabaseUrl::Postgres(_) => "postgres",
        }
    }
}

/// Shown in logs: never the password.
impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => {
                let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
                let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
                write!(f, "{scheme}://…@{host}")
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Plain,
    Json,
}

impl FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "plain" | "" => Ok(LogFormat::Plain),
            "json" => Ok(LogFormat::Json),
            other => Err(format!(
                "SMEPROC_LOG_FORMAT {other:?}: expected plain or json"
            )),
        }
    }
}

/// Everything the service needs to run.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database: DatabaseUrl,
    pub log_format: LogFormat,
    /// Connections in the pool.
    pub pool_size: u32,
    /// Lifetime of a bearer token.
    pub token_ttl_minutes: i64,
    /// Largest JSON body accepted by ordinary endpoints.
    pub max_body_bytes: usize,
    /// Largest body `POST /api/v1/evaluate` accepts (the CLI has no cap).
    pub evaluate_max_bytes: usize,
    /// Largest catalogue CSV `POST /api/v1/catalogue/import` accepts (spooled to a temporary
    /// file, never held in memory).
    pub upload_max_bytes: usize,
    /// Abuse limits (`SMEPROC_LIMITS`, and the older `SMEPROC_LOGIN_*` and
    /// `SMEPROC_VERIFY_MAX_PER_ADDRESS`), shared through the database.
    pub limits: limits::Limits,
    /// Reverse proxies whose `X-Forwarded-For` names the client (`SMEPROC_TRUSTED_PROXIES`).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Mark the web session cookie `Secure` (browsers still send it to http://localhost).
    pub cookie_secure: bool,
    /// Seconds in-flight requests get to finish on shutdown.
    pub shutdown_timeout_seconds: u64,
    /// The server's secret (CSRF tokens, audit checkpoint signatures); made on first start.
    pub secret_key_file: PathBuf,
    /// Sign an audit checkpoint after this many new events…
    pub checkpoint_every_events: i64,
    /// …and at least this often while events are added.
    pub checkpoint_max_age_seconds: i64,
    /// How often the server looks whether a checkpoint is due.
    pub checkpoint_check_seconds: u64,
    /// The document store: a folder (`SMEPROC_DOCUMENT_DIR`; default beside the SQLite file, or
    /// `data/documents` for PostgreSQL). Bid documents are kept there sealed until the opening.
    pub document_dir: PathBuf,
    /// Where documents are kept (`SMEPROC_DOCUMENT_STORE`): the folder (default) or, with
    /// PostgreSQL, the database (`bytea` rows, in its backups).
    pub document_store: DocumentStore,
    /// Encapsulations prepared per lot at publication (`SMEPROC_SEAL_AHEAD`, 0: none), so that
    /// a deadline rush does not wait for X25519 (service::sealing::ahead).
    pub seal_ahead: usize,
    /// Largest document (one file of a bid).
    pub document_max_bytes: usize,
    /// Largest total of a bid's documents.
    pub bid_documents_max_bytes: usize,
}

/// The document store's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentStore {
    /// `SMEPROC_DOCUMENT_DIR`.
    Folder,
    /// The `document_chunks` table (PostgreSQL only).
    Database,
}

impl DocumentStore {
    /// `folder` or `database` (the latter needs PostgreSQL).
    pub fn parse(text: &str, database: &DatabaseUrl) -> Result<Self, String> {
        match (text.trim(), database) {
            ("folder", _) => Ok(DocumentStore::Folder),
            ("database", DatabaseUrl::Postgres(_)) => Ok(DocumentStore::Database),
            ("database", DatabaseUrl::Sqlite(_)) => Err(
                "SMEPROC_DOCUMENT_STORE=database needs PostgreSQL; with SQLite documents are kept in the folder beside the database file".into(),
            ),
            (other, _) => Err(format!(
                "SMEPROC_DOCUMENT_STORE {other:?} must be folder or database"
            )),
        }
    }
}

/// Where documents live by default: `<name>.documents/` beside the SQLite file, or
/// `data/documents` for PostgreSQL.
pub fn default_document_dir(database: &DatabaseUrl) -> PathBuf {
    match database {
        DatabaseUrl::Sqlite(path) => {
            let name = path
                .file_stem()
                .map_or_else(|| "smeproc".into(), |s| s.to_string_lossy().into_owned());
            path.with_file_name(format!("{name}.documents"))
        }
        DatabaseUrl::Postgres(_) => PathBuf::from("data/documents"),
    }
}

/// Where the secret key lives by default: beside the SQLite file, or `data/` for PostgreSQL.
pub fn default_secret_key_file(database: &DatabaseUrl) -> PathBuf {
    match database {
        DatabaseUrl::Sqlite(path) => path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("smeproc.key"), |d| d.join("smeproc.key")),
        DatabaseUrl::Postgres(_) => PathBuf::from("data/smeproc.key"),
    }
}

fn env_number<T: FromStr>(name: &str, default: T) -> Result<T, String> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .map_err(|_| format!("{name} {v:?} must be a whole number")),
        _ => Ok(default),
    }
}

/// The limits with the environment's overrides: the older single settings first, then
/// `SMEPROC_LIMITS` (`name=COUNT/SECONDS,…`).
fn limits_from_env(mut limits: limits::Limits) -> Result<limits::Limits, String> {
    use limits::{Bucket, Limit};
    let window = env_number("SMEPROC_LOGIN_WINDOW_SECONDS", 900i64)?.max(1);
    for (name, bucket) in [
        ("SMEPROC_LOGIN_MAX_FAILURES", Bucket::LoginFailures),
        ("SMEPROC_LOGIN_MAX_PER_ADDRESS", Bucket::LoginAddress),
        (
            "SMEPROC_LOGIN_MAX_FAILURES_PER_ACCOUNT",
            Bucket::LoginAccountFailures,
        ),
    ] {
        let max = env_number(name, limits.of(bucket).max)?.max(1);
        limits.set(
            bucket,
            Limit {
                max,
                window_seconds: window,
            },
        );
    }
    let check = limits.of(Bucket::ContractCheck);
    limits.set(
        Bucket::ContractCheck,
        Limit {
            max: env_number("SMEPROC_VERIFY_MAX_PER_ADDRESS", check.max)?.max(1),
            ..check
        },
    );
    if let Ok(text) = std::env::var("SMEPROC_LIMITS") {
        limits.apply(&text)?;
    }
    Ok(limits)
}

impl Settings {
    /// Defaults, overridden by the `SMEPROC_*` environment variables.
    pub fn from_env(database: DatabaseUrl, log_format: LogFormat) -> Result<Self, String> {
        let d = Settings::defaults(database);
        Ok(Settings {
            log_format,
            pool_size: env_number("SMEPROC_POOL_SIZE", d.pool_size)?.max(1),
            token_ttl_minutes: env_number("SMEPROC_TOKEN_TTL_MINUTES", d.token_ttl_minutes)?.max(1),
            max_body_bytes: env_number("SMEPROC_MAX_BODY_BYTES", d.max_body_bytes)?,
            evaluate_max_bytes: env_number("SMEPROC_EVALUATE_MAX_BYTES", d.evaluate_max_bytes)?,
            upload_max_bytes: env_number("SMEPROC_UPLOAD_MAX_BYTES", d.upload_max_bytes)?,
            limits: limits_from_env(d.limits.clone())?,
            trusted_proxies: match std::env::var("SMEPROC_TRUSTED_PROXIES") {
                Ok(v) if !v.trim().is_empty() => v
                    .split(',')
                    .map(|a| {
                        a.trim().parse().map_err(|_| {
                            format!("SMEPROC_TRUSTED_PROXIES: {a:?} is not an IP address")
                        })
                    })
                    .collect::<Result<_, _>>()?,
                _ => Vec::new(),
            },
            cookie_secure: match std::env::var("SMEPROC_COOKIE_SECURE") {
                Ok(v) if !v.trim().is_empty() => v
                    .trim()
                    .parse()
                    .map_err(|_| format!("SMEPROC_COOKIE_SECURE {v:?} must be true or false"))?,
                _ => d.cookie_secure,
            },
            shutdown_timeout_seconds: env_number(
                "SMEPROC_SHUTDOWN_TIMEOUT_SECONDS",
                d.shutdown_timeout_seconds,
            )?,
            checkpoint_every_events: env_number(
                "SMEPROC_CHECKPOINT_EVERY_EVENTS",
                d.checkpoint_every_events,
            )?
            .max(1),
            checkpoint_max_age_seconds: env_number(
                "SMEPROC_CHECKPOINT_MAX_AGE_SECONDS",
                d.checkpoint_max_age_seconds,
            )?
            .max(1),
            secret_key_file: match std::env::var_os("SMEPROC_SECRET_KEY_FILE") {
                Some(v) if !v.is_empty() => PathBuf::from(v),
                _ => d.secret_key_file.clone(),
            },
            document_dir: match std::env::var_os("SMEPROC_DOCUMENT_DIR") {
                Some(v) if !v.is_empty() => PathBuf::from(v),
                _ => d.document_dir.clone(),
            },
            document_store: match std::env::var("SMEPROC_DOCUMENT_STORE") {
                Ok(v) if !v.trim().is_empty() => DocumentStore::parse(&v, &d.database)?,
                _ => d.document_store,
            },
            document_max_bytes: env_number("SMEPROC_DOCUMENT_MAX_BYTES", d.document_max_bytes)?
                .max(1),
            seal_ahead: env_number("SMEPROC_SEAL_AHEAD", d.seal_ahead)?,
            bid_documents_max_bytes: env_number(
                "SMEPROC_BID_DOCUMENTS_MAX_BYTES",
                d.bid_documents_max_bytes,
            )?
            .max(1),
            ..d
        })
    }

    /// The documented defaults (README), without reading the environment.
    pub fn defaults(database: DatabaseUrl) -> Self {
        Settings {
            secret_key_file: default_secret_key_file(&database),
            document_dir: default_document_dir(&database),
            document_store: DocumentStore::Folder,
            seal_ahead: 10_000,
            document_max_bytes: 50 * 1024 * 1024,
            bid_documents_max_bytes: 200 * 1024 * 1024,
            database,
            log_format: LogFormat::Plain,
            pool_size: 8,
            token_ttl_minutes: 480,
            max_body_bytes: 256 * 1024,
            evaluate_max_bytes: 4 * 1024 * 1024,
            upload_max_bytes: 256 * 1024 * 1024,
            limits: limits::Limits::default(),
            trusted_proxies: Vec::new(),
            cookie_secure: true,
            shutdown_timeout_seconds: 30,
            checkpoint_every_events: 1000,
            checkpoint_max_age_seconds: 3600,
            checkpoint_check_seconds: 60,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_document_store_needs_postgresql() {
        let pg = DatabaseUrl::Postgres("postgres://h/db".into());
        let lite = DatabaseUrl::Sqlite("data/x.db".into());
        assert_eq!(
            DocumentStore::parse("database", &pg),
            Ok(DocumentStore::Database)
        );
        assert_eq!(
            DocumentStore::parse(" folder ", &lite),
            Ok(DocumentStore::Folder)
        );
        let e = DocumentStore::parse("database", &lite).unwrap_err();
        assert!(e.contains("needs PostgreSQL"), "{e}");
        let e = DocumentStore::parse("s3", &pg).unwrap_err();
        assert!(
            e.contains("SMEPROC_DOCUMENT_STORE") && e.contains("folder or database"),
            "{e}"
        );
    }

    #[test]
    fn schemes_are_chosen_explicitly() {
        assert_eq!(
            DatabaseUrl::parse(None).unwrap(),
            DatabaseUrl::Sqlite(PathBuf::from("data/smeproc.db"))
        );
        assert!(matches!(
            DatabaseUrl::parse(Some("postgres://u:p@h/db")),
            Ok(DatabaseUrl::Postgres(_))
        ));
        let err = DatabaseUrl::parse(Some("sqlte://x"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("sqlite://") && err.contains("postgres://"),
            "{err}"
        );
        assert!(DatabaseUrl::parse(Some("x.db")).is_err());
        assert!(DatabaseUrl::parse(Some("sqlite://")).is_err());
    }

    #[test]
    fn display_hides_the_password() {
        let url = DatabaseUrl::parse(Some("postgres://smeproc:s3cret@db:5432/smeproc")).unwrap();
        assert_eq!(url.to_string(), "postgres://…@db:5432/smeproc");
    }
}
