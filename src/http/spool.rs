//! Uploads spooled to a temporary file (the API's catalogue import, the supplier page's upload).

use crate::error::{Error, Result};
use actix_web::web;
use std::io::Write;

const SPOOL_CHUNK: usize = 1 << 20;

/// An upload spooled to a temporary file: memory stays flat whatever the upload's size; the
/// file is written 1 MiB at a time on the blocking pool, never on the actix worker. Used by the
/// API's import and the supplier page's upload.
pub struct Spool {
    file: Option<tempfile::NamedTempFile>,
    buffer: Vec<u8>,
    size: usize,
    limit: usize,
}

impl Spool {
    pub fn new(limit: usize) -> Self {
        Spool {
            file: None,
            buffer: Vec::with_capacity(SPOOL_CHUNK),
            size: 0,
            limit,
        }
    }

    /// Appends bytes; 413 past the limit.
    pub async fn push(&mut self, bytes: &[u8]) -> Result<()> {
        self.size += bytes.len();
        if self.size > self.limit {
            return Err(Error::PayloadTooLarge {
                limit: self.limit,
                what: None,
            });
        }
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= SPOOL_CHUNK {
            self.flush().await?;
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.size == 0
    }

    async fn flush(&mut self) -> Result<()> {
        let file = spool_write(self.file.take(), std::mem::take(&mut self.buffer)).await?;
        self.file = Some(file);
        Ok(())
    }

    /// The written file (created even for an empty upload).
    pub async fn finish(mut self) -> Result<tempfile::NamedTempFile> {
        self.flush().await?;
        self.file
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("upload spool missing")))
    }
}

/// Appends `bytes` to the upload spool (created on the first call), on the blocking pool.
async fn spool_write(
    spool: Option<tempfile::NamedTempFile>,
    bytes: Vec<u8>,
) -> Result<tempfile::NamedTempFile> {
    web::block(move || {
        let mut spool = match spool {
            Some(spool) => spool,
            None => tempfile::NamedTempFile::new()?,
        };
        spool.write_all(&bytes)?;
        Ok::<_, std::io::Error>(spool)
    })
    .await?
    .map_err(|e| Error::Internal(anyhow::anyhow!("writing the upload spool: {e}")))
}
