//! The database as the command line and the readiness check see it: open it, bring its schema
//! up to date, say what is pending.

use super::Conn;
use crate::config::Settings;

/// Opens one connection to the configured database (no pool: the command line).
pub fn open(settings: &Settings) -> anyhow::Result<Conn> {
    crate::db::connection::establish(&settings.database)
        .map_err(|e| anyhow::anyhow!("cannot open the database {}: {e}", settings.database))
}

/// The document store the settings name (the database store opens a small pool of its own).
pub fn document_store(
    settings: &Settings,
) -> anyhow::Result<crate::service::procurement::documents::FileStore> {
    use crate::service::procurement::documents::FileStore;
    Ok(match settings.document_store {
        crate::config::DocumentStore::Folder => FileStore::new(settings.document_dir.clone()),
        crate::config::DocumentStore::Database => {
            FileStore::database(crate::db::connection::pool(&settings.database, 2)?)
        }
    })
}

/// Applies pending migrations; the versions applied.
pub fn migrate(conn: &mut Conn) -> anyhow::Result<Vec<String>> {
    crate::db::connection::run_migrations(conn)
}

/// Opens the database and brings its schema up to date.
pub fn open_current(settings: &Settings) -> anyhow::Result<Conn> {
    let mut conn = open(settings)?;
    migrate(&mut conn)?;
    Ok(conn)
}

/// Migrations not yet applied (0: the schema is current).
pub fn pending_migrations(conn: &mut Conn) -> crate::error::Result<usize> {
    Ok(crate::db::connection::pending_migrations(conn)?)
}
