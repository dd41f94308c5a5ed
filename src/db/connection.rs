//! One connection type over SQLite and PostgreSQL, the pool, per-connection pragmas and the
//! embedded migrations.

use crate::config::DatabaseUrl;
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel::{Connection, ConnectionError, PgConnection, RunQueryDsl, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Foreign keys on, WAL, and waiting (not failing) when another writer holds the lock.
const SQLITE_PRAGMAS: &str = "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
                              PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                              PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;";

/// Opens connections for the backend the URL names; never guesses.
#[derive(Debug, Clone)]
pub struct Manager {
    url: DatabaseUrl,
}

impl Manager {
    pub fn new(url: DatabaseUrl) -> Self {
        Manager { url }
    }
}

/// Opens one connection (with the SQLite pragmas applied).
pub fn establish(url: &DatabaseUrl) -> Result<DbConnection, ConnectionError> {
    match url {
        DatabaseUrl::Sqlite(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| {
                    ConnectionError::BadConnection(format!("cannot create {}: {e}", dir.display()))
                })?;
            }
            let path = path.to_str().ok_or_else(|| {
                ConnectionError::InvalidConnectionUrl("the SQLite path is not valid UTF-8".into())
            })?;
            let mut conn = SqliteConnection::establish(path)?;
            conn.batch_execute(SQLITE_PRAGMAS)
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
            Ok(DbConnection::Sqlite(conn))
        }
        DatabaseUrl::Postgres(url) => PgConnection::establish(url).map(DbConnection::Postgresql),
    }
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        establish(&self.url).map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    /// A connection left inside a transaction (a failed rollback) or in an error state is not
    /// handed out again.
    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        let clean = matches!(
            Manager2::transaction_manager_status_mut(conn).transaction_depth(),
            Ok(None)
        );
        !clean
            || match conn {
                DbConnection::Postgresql(c) => c.is_broken(),
                DbConnection::Sqlite(_) => false,
            }
    }
}

pub type DbPool = r2d2::Pool<Manager>;

type Manager2 = <DbConnection as Connection>::TransactionManager;

/// Runs `f` as one writing transaction that takes the write lock when it begins, so that a
/// transaction which reads and then writes is never refused at the lock upgrade:
///
/// - SQLite: `BEGIN IMMEDIATE` (waits up to the busy timeout for the one writer's lock;
///   without it, a deferred transaction that had read first failed at once with
///   `database is locked` when another writer got there first).
/// - PostgreSQL: `BEGIN`, then a row lock on the audit head. Every change appends to the one
///   audit chain anyway; taking its head first makes writers queue before they read, so a
///   check made inside the transaction still holds when it commits.
///
/// Called inside another transaction, it runs as a savepoint of that one. A lock not had within
/// the busy timeout comes back as a database error that [`crate::error::Error`] turns into 503.
pub fn write<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    let depth = Manager2::transaction_manager_status_mut(conn).transaction_depth();
    if matches!(depth, Ok(Some(_))) {
        return conn.transaction(f);
    }
    match conn {
        DbConnection::Sqlite(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
        }
        DbConnection::Postgresql(c) => {
            AnsiTransactionManager::begin_transaction(c)?;
            let locked =
                diesel::sql_query("SELECT id FROM audit_head WHERE id = 1 FOR UPDATE").execute(c);
            if let Err(e) = locked {
                let _ = AnsiTransactionManager::rollback_transaction(c);
                return Err(e.into());
            }
        }
    }
    match f(conn) {
        Ok(value) => {
            Manager2::commit_transaction(conn)?;
            Ok(value)
        }
        Err(e) => {
            // The caller's error is the one worth reporting; a failed rollback leaves the
            // connection broken, and the pool discards it.
            let _ = Manager2::rollback_transaction(conn);
            Err(e)
        }
    }
}
pub type PooledConnection = r2d2::PooledConnection<Manager>;

/// Builds the pool; fails fast when the database cannot be reached.
pub fn pool(url: &DatabaseUrl, size: u32) -> anyhow::Result<DbPool> {
    r2d2::Pool::builder()
        .max_size(size)
        // A query per checkout doubled the work of every request; broken connections surface
        // as query errors instead, and the pool replaces them.
        .test_on_check_out(false)
        .connection_timeout(std::time::Duration::from_secs(10))
        .build(Manager::new(url.clone()))
        .map_err(|e| anyhow::anyhow!("cannot open the database {url}: {e}"))
}

type MigrationResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Applies pending migrations; returns the versions applied.
pub fn run_migrations(conn: &mut DbConnection) -> anyhow::Result<Vec<String>> {
    let applied: MigrationResult<Vec<String>> = match conn {
        DbConnection::Sqlite(c) => c
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map(|v| v.iter().map(ToString::to_string).collect()),
        DbConnection::Postgresql(c) => c
            .run_pending_migrations(POSTGRES_MIGRATIONS)
            .map(|v| v.iter().map(ToString::to_string).collect()),
    };
    applied.map_err(|e| anyhow::anyhow!("migration failed: {e}"))
}

/// Number of migrations not yet applied (0 = schema current).
pub fn pending_migrations(conn: &mut DbConnection) -> anyhow::Result<usize> {
    let pending: MigrationResult<usize> = match conn {
        DbConnection::Sqlite(c) => c.pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
        DbConnection::Postgresql(c) => c.pending_migrations(POSTGRES_MIGRATIONS).map(|v| v.len()),
    };
    pending.map_err(|e| anyhow::anyhow!("cannot read migrations: {e}"))
}
