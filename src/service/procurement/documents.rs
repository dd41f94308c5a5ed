//! Bid documents (响应文件): written to the document store as they stream in, sealed chunk by
//! chunk to the lot key (64 KiB chunks, each HPKE message of one context, AAD
//! `doc <id> <index> <last>`), their SHA-256 and type (by content) taken on the way. The
//! plaintext is never written anywhere. At the opening each is opened, checked against the hash
//! in the bid, and written back in the clear; downloads check the hash on the way out.

pub use crate::db::files::FileStore;
use crate::db::files::{read_record, write_record, PartFile};
use crate::db::procurement::{self as repo, DocumentRow};
use crate::db::DbConnection;
use crate::domain::digest::hex;
use crate::domain::documents::{sniff, DocumentKind, ProcurementDocumentKind, SNIFF_BYTES};
use crate::error::{Error, Result};
use crate::service::sealing::{OpeningKey, Sealer};
use crate::wire::fields::coded;
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Plaintext bytes per sealed chunk.
pub const CHUNK: usize = 64 * 1024;
/// A sealed chunk: the plaintext and the AEAD tag.
const SEALED_CHUNK_MAX: usize = CHUNK + 16;

/// A document as the canonical bid lists it (and the receipt's hash covers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DocumentRef {
    pub id: String,
    /// technical | qualification | price_schedule | other
    pub kind: String,
    /// The file's name as uploaded (shown, never used as a path).
    pub filename: String,
    /// Told by content: PDF, OOXML/ODF, ZIP, JPEG or PNG.
    pub media_type: String,
    pub size_bytes: u64,
    /// SHA-256 of the file (hex).
    pub sha256: String,
}

fn doc_aad(id: &str, index: u64, last: bool) -> Vec<u8> {
    format!("doc {id} {index} {}", u8::from(last)).into_bytes()
}

/// What an upload is for: its kinds (the multipart part names) differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A bid's documents (响应文件): technical, qualification, price_schedule, other.
    Bid,
    /// A project's procurement documents (采购文件): tender, requirements, other.
    Procurement,
}

impl Purpose {
    fn kind(self, field: &str) -> Result<&'static str> {
        let (kind, code) = match self {
            Purpose::Bid => (
                DocumentKind::parse(field).map(DocumentKind::as_str),
                "problem.unknown_document_kind",
            ),
            Purpose::Procurement => (
                ProcurementDocumentKind::parse(field).map(ProcurementDocumentKind::as_str),
                "problem.unknown_procurement_document_kind",
            ),
        };
        kind.ok_or_else(|| {
            Error::Validation(vec![coded(
                format!("documents.{field}"),
                code,
                vec![("given", field.to_string())],
            )])
        })
    }
}

/// A document being uploaded: every call is blocking I/O (run it on the blocking pool).
pub struct Upload {
    id: String,
    kind: &'static str,
    field: String,
    filename: String,
    sealer: Option<Sealer>,
    part: Option<PartFile>,
    hasher: Sha256,
    size: u64,
    limit: u64,
    index: u64,
    /// Plaintext waiting for its chunk, and the first bytes kept to tell the type: wiped on
    /// drop, however the upload ends.
    pending: zeroize::Zeroizing<Vec<u8>>,
    head: zeroize::Zeroizing<Vec<u8>>,
    media_type: Option<&'static str>,
}

/// A document written to the store, waiting for its bid's transaction.
#[derive(Debug, Clone)]
pub struct StoredDocument {
    pub reference: DocumentRef,
    pub row: DocumentRow,
}

fn io(e: std::io::Error) -> Error {
    Error::Internal(anyhow::anyhow!("document store: {e}"))
}

impl Upload {
    /// Starts the upload of one file (a multipart part named by its kind). `public_key`: the
    /// lot's (sealed), or none for a lot published before sealing (stored in the clear).
    pub fn begin(
        store: &FileStore,
        purpose: Purpose,
        lot_id: &str,
        public_key: Option<&str>,
        field: &str,
        filename: &str,
        limit: u64,
    ) -> Result<Upload> {
        let kind = purpose.kind(field)?;
        let id = crate::db::new_id();
        let sealer = public_key
            .map(|k| crate::service::sealing::sealer(lot_id, k))
            .transpose()
            .map_err(|e| Error::Internal(anyhow::anyhow!("sealing a document: {e}")))?;
        let part = store.create(&id).map_err(io)?;
        Ok(Upload {
            id,
            kind,
            // Problems name the part as `documents.<kind>`.
            field: format!("documents.{field}"),
            filename: clean_name(filename),
            sealer,
            part: Some(part),
            hasher: Sha256::new(),
            size: 0,
            limit,
            index: 0,
            pending: zeroize::Zeroizing::new(Vec::with_capacity(CHUNK)),
            head: zeroize::Zeroizing::new(Vec::new()),
            media_type: None,
        })
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Takes the next bytes of the file: 413 past the limit, 422 once the first bytes show a
    /// type that is not accepted.
    pub fn push(&mut self, mut bytes: &[u8]) -> Result<()> {
        self.size += bytes.len() as u64;
        if self.size > self.limit {
            return Err(Error::PayloadTooLarge {
                limit: self.limit as usize,
                what: Some(format!("{} ({})", self.field, self.filename)),
            });
        }
        self.hasher.update(bytes);
        if self.media_type.is_none() && self.head.len() < SNIFF_BYTES {
            let take = (SNIFF_BYTES - self.head.len()).min(bytes.len());
            self.head.extend_from_slice(&bytes[..take]);
            if self.head.len() >= SNIFF_BYTES {
                self.check_type()?;
            }
        }
        while !bytes.is_empty() {
            let take = (CHUNK - self.pending.len()).min(bytes.len());
            self.pending.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if self.pending.len() == CHUNK {
                self.flush(false)?;
            }
        }
        Ok(())
    }

    fn check_type(&mut self) -> Result<()> {
        match sniff(&self.head) {
            Some(t) => {
                self.media_type = Some(t);
                Ok(())
            }
            None => Err(Error::Validation(vec![coded(
                self.field.clone(),
                "problem.document_type",
                vec![("name", self.filename.clone())],
            )])),
        }
    }

    /// Writes the pending bytes as one chunk (sealed, or as they are).
    fn flush(&mut self, last: bool) -> Result<()> {
        let part = self
            .part
            .as_mut()
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("upload already finished")))?;
        match self.sealer.as_mut() {
            Some(sealer) => {
                let sealed = sealer
                    .seal_next(&doc_aad(&self.id, self.index, last), &self.pending)
                    .map_err(|e| Error::Internal(anyhow::anyhow!("sealing a document: {e}")))?;
                write_record(part, &sealed).map_err(io)?;
            }
            None => part.write(&self.pending).map_err(io)?,
        }
        // The plaintext buffer is overwritten, not kept.
        zeroize::Zeroize::zeroize(&mut *self.pending);
        self.pending.clear();
        self.index += 1;
        Ok(())
    }

    /// Completes the file: the last chunk, the file moved into place.
    pub fn finish(
        mut self,
        store: &FileStore,
        lot_id: &str,
        now: NaiveDateTime,
    ) -> Result<StoredDocument> {
        if self.media_type.is_none() {
            if let Err(e) = self.check_type() {
                self.abandon();
                return Err(e);
            }
        }
        if let Err(e) = self.flush(true) {
            self.abandon();
            return Err(e);
        }
        let part = self
            .part
            .take()
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("upload already finished")))?;
        let stored_bytes = part.written() as i64;
        let sealed = self.sealer.is_some();
        let location = store.commit(part, &self.id, sealed).map_err(io)?;
        let sha256 = hex(&std::mem::take(&mut self.hasher).finalize());
        Ok(StoredDocument {
            reference: DocumentRef {
                id: self.id.clone(),
                kind: self.kind.into(),
                filename: self.filename.clone(),
                media_type: self.media_type.unwrap_or("application/octet-stream").into(),
                size_bytes: self.size,
                sha256,
            },
            row: DocumentRow {
                id: self.id.clone(),
                // Set when the bid is written.
                bid_id: String::new(),
                lot_id: lot_id.to_string(),
                sealed,
                encapsulated: self.sealer.as_ref().map(|s| s.encapsulated().to_vec()),
                stored_bytes,
                location,
                created_at: now,
            },
        })
    }

    /// Gives up on this file: whatever was written goes.
    pub fn abandon(mut self) {
        if let Some(part) = self.part.take() {
            part.discard();
        }
    }
}

/// A file name fit to show: the last path segment, no control characters, at most 200
/// characters.
fn clean_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last.chars().filter(|c| !c.is_control()).take(200).collect();
    if cleaned.trim().is_empty() {
        "document".into()
    } else {
        cleaned
    }
}

/// The refusal of a multipart bid whose files come before its bid part.
pub fn bid_part_first(part: &str) -> Error {
    Error::Validation(vec![coded(part, "problem.bid_part_first", vec![])])
}

/// The refusal of a multipart bid without its bid part.
pub fn bid_part_missing(part: &str) -> Error {
    Error::Validation(vec![crate::wire::fields::required(part)])
}

/// Removes documents written for a request that then failed.
pub fn discard(store: &FileStore, docs: &[StoredDocument]) {
    for d in docs {
        store.remove(&d.row.location);
    }
}

/// At the opening: opens a sealed document into the clear and checks it against its
/// reference. The new location, or the reason it does not match.
pub(crate) fn open_document(
    store: &FileStore,
    key: &OpeningKey,
    row: &DocumentRow,
    reference: &DocumentRef,
) -> Result<std::result::Result<(String, i64), String>> {
    let Some(enc) = row.encapsulated.as_deref() else {
        return Ok(Err(format!(
            "document {} has no sealing key",
            reference.filename
        )));
    };
    let mut opener = match key.stream(enc) {
        Ok(o) => o,
        Err(_) => {
            return Ok(Err(format!(
                "document {} could not be decrypted",
                reference.filename
            )))
        }
    };
    let mut input = std::io::BufReader::new(store.open(&row.location).map_err(io)?);
    let clear_id = format!("{}-open", row.id);
    let mut part = store.create(&clear_id).map_err(io)?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut index = 0u64;
    let fail = |part: PartFile, why: String| {
        part.discard();
        Ok(Err(why))
    };
    let damaged = || format!("document {} is damaged", reference.filename);
    // One record ahead: the chunk with none after it must be sealed as the last.
    let mut next = match read_record(&mut input, SEALED_CHUNK_MAX) {
        Ok(Some(r)) => r,
        _ => return fail(part, damaged()),
    };
    loop {
        let after = match read_record(&mut input, SEALED_CHUNK_MAX) {
            Ok(r) => r,
            Err(_) => return fail(part, damaged()),
        };
        let last = after.is_none();
        let Ok(plain) = opener.open_next(&doc_aad(&row.id, index, last), &next) else {
            return fail(
                part,
                format!(
                    "document {} could not be decrypted, or was cut short (视为撤回)",
                    reference.filename
                ),
            );
        };
        hasher.update(&plain);
        size += plain.len() as u64;
        part.write(&plain).map_err(io)?;
        index += 1;
        match after {
            Some(r) => next = r,
            None => break,
        }
    }
    let sha256 = hex(&hasher.finalize());
    if sha256 != reference.sha256 || size != reference.size_bytes {
        return fail(
            part,
            format!(
                "document {} does not match the hash in the bid",
                reference.filename
            ),
        );
    }
    let written = part.written() as i64;
    let location = store.commit(part, &clear_id, false).map_err(io)?;
    Ok(Ok((location, written)))
}

/// A stored document's bytes for download, after the opening: the file is first read through
/// and its hash checked against the bid's; a mismatch is an error, never a wrong download.
pub fn verified_file(
    store: &FileStore,
    row: &DocumentRow,
    reference: &DocumentRef,
) -> Result<std::fs::File> {
    verified_open(store, &row.location, &reference.sha256)
}

/// A stored file in the clear, read through and checked against `sha256` before it is given out.
pub fn verified_open(store: &FileStore, location: &str, sha256: &str) -> Result<std::fs::File> {
    use std::io::Read;
    let mut file = store.open(location).map_err(io)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = file.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    if hex(&hasher.finalize()) != sha256 {
        return Err(Error::Internal(anyhow::anyhow!(
            "document {location} in the store does not match its hash"
        )));
    }
    store.open(location).map_err(io)
}

/// The documents of an opened bid, with their stored rows.
pub fn of_bid(conn: &mut DbConnection, bid_id: &str) -> Result<Vec<DocumentRow>> {
    Ok(repo::documents_of_bid(conn, bid_id)?)
}
