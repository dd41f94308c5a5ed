//! The document store: a folder (`SMEPROC_DOCUMENT_DIR`). A file is written under `part/`
//! and moved into place only when complete, so a half-written upload is never taken for a
//! document; what was written for a request that then failed is removed. Sealed documents are
//! under `sealed/`, opened ones under `open/`.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct FileStore {
    root: PathBuf,
}

/// A file being written into the store. Dropped before [`FileStore::commit`] (a request that
/// failed, or whose client went away mid-upload), it removes itself.
pub struct PartFile {
    path: PathBuf,
    file: Option<File>,
    written: u64,
}

impl Drop for PartFile {
    fn drop(&mut self) {
        if let Some(file) = self.file.take() {
            drop(file);
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

impl FileStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        FileStore { root: root.into() }
    }

    fn dir(&self, name: &str) -> std::io::Result<PathBuf> {
        let dir = self.root.join(name);
        std::fs::create_dir_all(&dir)?;
        Ok(dir)
    }

    /// Starts a file (its name: a fresh id, never from input).
    pub fn create(&self, id: &str) -> std::io::Result<PartFile> {
        let path = self.dir("part")?.join(format!("{id}.part"));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options.open(&path)?;
        Ok(PartFile {
            path,
            file: Some(file),
            written: 0,
        })
    }

    /// Moves a complete file into place: `sealed/<id>` or `open/<id>`; answers its location.
    /// Never over another file: a file already there is an `AlreadyExists` error (the link is
    /// atomic, so two uploads of one id cannot both land).
    pub fn commit(&self, mut part: PartFile, id: &str, sealed: bool) -> std::io::Result<String> {
        let location = format!("{}/{id}", if sealed { "sealed" } else { "open" });
        if let Some(file) = part.file.as_ref() {
            file.sync_all()?;
        }
        self.dir(if sealed { "sealed" } else { "open" })?;
        std::fs::hard_link(&part.path, self.root.join(&location))?;
        // In place: the part's name goes, and nothing is left for Drop to remove.
        part.file = None;
        std::fs::remove_file(&part.path)?;
        Ok(location)
    }

    /// Removes a stored file (a failed request's, or a sealed copy once opened). Missing is fine.
    pub fn remove(&self, location: &str) {
        if is_location(location) {
            let _ = std::fs::remove_file(self.root.join(location));
        }
    }

    /// Opens a stored file for reading.
    pub fn open(&self, location: &str) -> std::io::Result<File> {
        if !is_location(location) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "not a document location",
            ));
        }
        File::open(self.root.join(location))
    }

    pub fn root(&self) -> &Path {
        &self.root
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
        let file = self
            .file
            .as_mut()
            .ok_or_else(|| std::io::Error::other("the file is already in place"))?;
        file.write_all(bytes)?;
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
