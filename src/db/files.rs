//! The document store: a folder (`SMEPROC_DOCUMENT_DIR`). A file is written under `part/`
//! and moved into place only when complete, so a half-written upload is never taken for a
//! document; what was written for a request that then failed is removed. Sealed documents are
//! under `sealed/`, opened ones under `open/`.

use super::{DbConnection, DbPool};
use diesel::prelude::*;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Bytes per row of the database store.
const ROW_BYTES: usize = 256 * 1024;

/// Where documents are kept: a folder, or the database itself (`document_chunks`, PostgreSQL
/// `bytea` rows of 256 KiB) so that a database backup holds them too.
#[derive(Debug, Clone)]
pub enum FileStore {
    Folder { root: PathBuf },
    Database { pool: DbPool },
}

/// A file being written into the store. Dropped before [`FileStore::commit`] (a request that
/// failed, or whose client went away mid-upload), it removes itself.
pub struct PartFile {
    inner: Part,
    written: u64,
}

enum Part {
    File {
        path: PathBuf,
        file: Option<File>,
    },
    Rows {
        pool: DbPool,
        location: String,
        buf: Vec<u8>,
        seq: i32,
        /// In place (or given up and removed): nothing left for Drop.
        done: bool,
    },
}

impl Drop for PartFile {
    fn drop(&mut self) {
        match &mut self.inner {
            Part::File { path, file } => {
                if let Some(file) = file.take() {
                    drop(file);
                    let _ = std::fs::remove_file(&*path);
                }
            }
            Part::Rows {
                pool,
                location,
                done,
                ..
            } => {
                if !*done {
                    if let Ok(mut conn) = pool.get() {
                        let _ = delete_rows(&mut conn, location);
                    }
                }
            }
        }
    }
}

fn other(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(format!("document store: {e}"))
}

fn delete_rows(conn: &mut DbConnection, location: &str) -> QueryResult<usize> {
    use super::schema::document_chunks as c;
    diesel::delete(c::table.filter(c::location.eq(location))).execute(conn)
}

fn insert_row(conn: &mut DbConnection, location: &str, seq: i32, bytes: &[u8]) -> QueryResult<()> {
    use super::schema::document_chunks as c;
    diesel::insert_into(c::table)
        .values((c::location.eq(location), c::seq.eq(seq), c::bytes.eq(bytes)))
        .execute(conn)
        .map(|_| ())
}

fn row_exists(conn: &mut DbConnection, location: &str) -> QueryResult<bool> {
    use super::schema::document_chunks as c;
    diesel::select(diesel::dsl::exists(
        c::table.filter(c::location.eq(location)),
    ))
    .get_result(conn)
}

impl FileStore {
    /// A folder store.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        FileStore::Folder { root: root.into() }
    }

    /// The database store (PostgreSQL).
    pub fn database(pool: DbPool) -> Self {
        FileStore::Database { pool }
    }

    /// The store the settings name.
    pub fn of(settings: &crate::config::Settings, pool: &DbPool) -> Self {
        match settings.document_store {
            crate::config::DocumentStore::Folder => FileStore::new(settings.document_dir.clone()),
            crate::config::DocumentStore::Database => FileStore::database(pool.clone()),
        }
    }

    fn dir(root: &Path, name: &str) -> std::io::Result<PathBuf> {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir)?;
        Ok(dir)
    }

    /// Starts a file (its name: a fresh id, never from input).
    pub fn create(&self, id: &str) -> std::io::Result<PartFile> {
        match self {
            FileStore::Folder { root } => {
                let path = Self::dir(root, "part")?.join(format!("{id}.part"));
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    options.mode(0o600);
                }
                let file = options.open(&path)?;
                Ok(PartFile {
                    inner: Part::File {
                        path,
                        file: Some(file),
                    },
                    written: 0,
                })
            }
            FileStore::Database { pool } => {
                let location = format!("part/{id}");
                let mut conn = pool.get().map_err(other)?;
                if row_exists(&mut conn, &location).map_err(other)? {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::AlreadyExists,
                        "a part of that id is being written",
                    ));
                }
                Ok(PartFile {
                    inner: Part::Rows {
                        pool: pool.clone(),
                        location,
                        buf: Vec::with_capacity(ROW_BYTES),
                        seq: 0,
                        done: false,
                    },
                    written: 0,
                })
            }
        }
    }

    /// Moves a complete file into place: `sealed/<id>` or `open/<id>`; answers its location.
    /// Never over another file: a file already there is an `AlreadyExists` error (the link, or
    /// the rows' unique key, makes it atomic, so two uploads of one id cannot both land).
    pub fn commit(&self, mut part: PartFile, id: &str, sealed: bool) -> std::io::Result<String> {
        let folder = if sealed { "sealed" } else { "open" };
        let location = format!("{folder}/{id}");
        match (&mut part.inner, self) {
            (Part::File { path, file }, FileStore::Folder { root }) => {
                if let Some(f) = file.as_ref() {
                    f.sync_all()?;
                }
                Self::dir(root, folder)?;
                std::fs::hard_link(&*path, root.join(&location))?;
                // In place: the part's name goes, and nothing is left for Drop to remove.
                *file = None;
                std::fs::remove_file(&*path)?;
            }
            (
                Part::Rows {
                    pool,
                    location: part_location,
                    buf,
                    seq,
                    done,
                },
                FileStore::Database { .. },
            ) => {
                let mut conn = pool.get().map_err(other)?;
                if !buf.is_empty() {
                    insert_row(&mut conn, part_location, *seq, buf).map_err(other)?;
                    buf.clear();
                }
                let moved = conn.transaction::<_, diesel::result::Error, _>(|conn| {
                    if row_exists(conn, &location)? {
                        return Ok(false);
                    }
                    use super::schema::document_chunks as c;
                    diesel::update(c::table.filter(c::location.eq(&*part_location)))
                        .set(c::location.eq(&location))
                        .execute(conn)?;
                    Ok(true)
                });
                match moved {
                    Ok(true) => *done = true,
                    Ok(false)
                    | Err(diesel::result::Error::DatabaseError(
                        diesel::result::DatabaseErrorKind::UniqueViolation,
                        _,
                    )) => {
                        return Err(std::io::Error::new(
                            std::io::ErrorKind::AlreadyExists,
                            "a document of that id is in place",
                        ))
                    }
                    Err(e) => return Err(other(e)),
                }
            }
            _ => return Err(other("a part of another store")),
        }
        Ok(location)
    }

    /// Removes a stored file (a failed request's, or a sealed copy once opened). Missing is fine.
    pub fn remove(&self, location: &str) {
        if !is_location(location) {
            return;
        }
        match self {
            FileStore::Folder { root } => {
                let _ = std::fs::remove_file(root.join(location));
            }
            FileStore::Database { pool } => {
                if let Ok(mut conn) = pool.get() {
                    let _ = delete_rows(&mut conn, location);
                }
            }
        }
    }

    /// Opens a stored file for reading (the database store reads a row at a time).
    pub fn open(&self, location: &str) -> std::io::Result<StoredFile> {
        if !is_location(location) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "not a document location",
            ));
        }
        match self {
            FileStore::Folder { root } => Ok(StoredFile::File(File::open(root.join(location))?)),
            FileStore::Database { pool } => {
                let mut conn = pool.get().map_err(other)?;
                if !row_exists(&mut conn, location).map_err(other)? {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        "no such document",
                    ));
                }
                Ok(StoredFile::Rows {
                    pool: pool.clone(),
                    location: location.to_string(),
                    seq: 0,
                    buf: Vec::new(),
                    at: 0,
                })
            }
        }
    }

    /// The folder, for a folder store.
    pub fn root(&self) -> Option<&Path> {
        match self {
            FileStore::Folder { root } => Some(root),
            FileStore::Database { .. } => None,
        }
    }
}

/// A stored file being read.
pub enum StoredFile {
    File(File),
    Rows {
        pool: DbPool,
        location: String,
        seq: i32,
        buf: Vec<u8>,
        at: usize,
    },
}

impl Read for StoredFile {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        match self {
            StoredFile::File(f) => f.read(out),
            StoredFile::Rows {
                pool,
                location,
                seq,
                buf,
                at,
            } => {
                if *at == buf.len() {
                    use super::schema::document_chunks as c;
                    let mut conn = pool.get().map_err(other)?;
                    let next: Option<Vec<u8>> = c::table
                        .filter(c::location.eq(&*location))
                        .filter(c::seq.eq(*seq))
                        .select(c::bytes)
                        .first(&mut conn)
                        .optional()
                        .map_err(other)?;
                    match next {
                        None => return Ok(0),
                        Some(bytes) => {
                            *buf = bytes;
                            *at = 0;
                            *seq += 1;
                        }
                    }
                }
                let n = (buf.len() - *at).min(out.len());
                out[..n].copy_from_slice(&buf[*at..*at + n]);
                *at += n;
                Ok(n)
            }
        }
    }
}

/// `sealed/<id>` or `open/<id>` with a plain id: nothing else is ever read or removed.
fn is_location(location: &str) -> bool {
    let Some((dir, id)) = location.split_once('/') else {
        return false;
    };
    matches!(dir, "sealed" | "open")
        && !id.is_empty()
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

impl PartFile {
    pub fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match &mut self.inner {
            Part::File { file, .. } => {
                let file = file
                    .as_mut()
                    .ok_or_else(|| std::io::Error::other("the file is already in place"))?;
                file.write_all(bytes)?;
            }
            Part::Rows {
                pool,
                location,
                buf,
                seq,
                done,
            } => {
                if *done {
                    return Err(std::io::Error::other("the file is already in place"));
                }
                let mut rest = bytes;
                while !rest.is_empty() {
                    let take = (ROW_BYTES - buf.len()).min(rest.len());
                    buf.extend_from_slice(&rest[..take]);
                    rest = &rest[take..];
                    if buf.len() == ROW_BYTES {
                        let mut conn = pool.get().map_err(other)?;
                        insert_row(&mut conn, location, *seq, buf).map_err(other)?;
                        *seq += 1;
                        buf.clear();
                    }
                }
            }
        }
        self.written += bytes.len() as u64;
        Ok(())
    }

    pub fn written(&self) -> u64 {
        self.written
    }

    /// Gives up: the partial file goes (as when dropped).
    pub fn discard(self) {}
}

/// Reads a length-prefixed record (u32 big-endian length, then the bytes); `None` at the end.
pub fn read_record(r: &mut impl Read, max: usize) -> std::io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u32::from_be_bytes(len) as usize;
    if len > max {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "record longer than a chunk",
        ));
    }
    let mut buf = vec![0u8; len];
    r.read_exact(&mut buf)?;
    Ok(Some(buf))
}

/// Writes a length-prefixed record.
pub fn write_record(part: &mut PartFile, bytes: &[u8]) -> std::io::Result<()> {
    part.write(&(bytes.len() as u32).to_be_bytes())?;
    part.write(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_appear_only_when_complete_and_only_where_the_store_puts_them() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path());
        let mut part = store.create("abc-1").unwrap();
        write_record(&mut part, b"hello").unwrap();
        assert!(!dir.path().join("sealed/abc-1").exists());
        let location = store.commit(part, "abc-1", true).unwrap();
        assert_eq!(location, "sealed/abc-1");
        // Never over a file already in place.
        let mut again = store.create("abc-1").unwrap();
        write_record(&mut again, b"other").unwrap();
        let e = store.commit(again, "abc-1", true).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists);
        let mut f = store.open(&location).unwrap();
        assert_eq!(read_record(&mut f, 64).unwrap().unwrap(), b"hello");
        assert!(read_record(&mut f, 64).unwrap().is_none());
        assert!(store.open("../etc/passwd").is_err());
        assert!(store.open("sealed/../../x").is_err());
        store.remove(&location);
        assert!(!dir.path().join("sealed/abc-1").exists());
        let part = store.create("abc-2").unwrap();
        part.discard();
        let parts = || std::fs::read_dir(dir.path().join("part")).unwrap().count();
        assert_eq!(parts(), 0);
        // Dropped half-written (a client gone mid-upload): removed all the same.
        let mut part = store.create("abc-3").unwrap();
        part.write(b"half").unwrap();
        drop(part);
        assert_eq!(parts(), 0);
    }
}
