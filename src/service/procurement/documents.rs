//! Bid documents (响应文件): written to the document store as they stream in, sealed chunk by
//! chunk to the lot key (64 KiB chunks, each HPKE message of one context, AAD
//! `doc <id> <index> <last>`), their SHA-256 and type (by content) taken on the way. The
//! plaintext is never written anywhere. At the opening each is opened, checked against the hash
//! in the bid, and written back in the clear; downloads check the hash on the way out.

use crate::db::files::{read_record, write_record, PartFile};
pub use crate::db::files::{FileStore, StoredFile};
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
    /// Documents the bidder sealed (`smeproc bid seal --file`), in parts named `document`.
    SealedByBidder,
    /// Evidence and attachments of remedies (质疑, 投诉, answers, rulings) and of payments
    /// (delivery and acceptance records, reports of unpaid instalments): parts named `evidence`.
    Remedy,
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
            // Parts of sealed bids are told apart by SealedUpload.
            Purpose::SealedByBidder => (None, "problem.sealed_document_part"),
            Purpose::Remedy => (
                (field == "evidence").then_some("evidence"),
                "problem.unknown_evidence_part",
            ),
        };
        kind.ok_or_else(|| {
            Error::Validation(vec![coded(
                format!("documents.{field}"),
                code,
                vec![
                    ("given", field.to_string()),
                    ("want", "evidence".to_string()),
                ],
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
            .map(|k| crate::service::sealing::ahead::take(lot_id, k))
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

/// The refusal of a multipart request whose JSON part is not JSON: a form field, named.
pub fn part_not_json(part: &str, line: usize, column: usize, reason: String) -> Error {
    Error::Validation(vec![coded(
        part,
        "problem.part_json",
        vec![
            ("line", line.to_string()),
            ("column", column.to_string()),
            ("reason", reason),
        ],
    )])
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
        if index == 0
            && sniff(&plain[..plain.len().min(SNIFF_BYTES)]) != Some(reference.media_type.as_str())
        {
            return fail(
                part,
                format!(
                    "document {} is not the {} its bid names (told by its content)",
                    reference.filename, reference.media_type
                ),
            );
        }
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
    // A copy left by an opening whose transaction then rolled back is the same bytes: replaced.
    store.remove(&format!("open/{clear_id}"));
    let location = store.commit(part, &clear_id, false).map_err(io)?;
    Ok(Ok((location, written)))
}

/// A stored document's bytes for download, after the opening: the file is first read through
/// and its hash checked against the bid's; a mismatch is an error, never a wrong download.
pub fn verified_file(
    store: &FileStore,
    row: &DocumentRow,
    reference: &DocumentRef,
) -> Result<StoredFile> {
    verified_open(store, &row.location, &reference.sha256)
}

/// A stored file in the clear, read through and checked against `sha256` before it is given out.
pub fn verified_open(store: &FileStore, location: &str, sha256: &str) -> Result<StoredFile> {
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

// --- documents sealed by the bidder ------------------------------------------------------

/// The first bytes of a document sealed by the bidder (`smeproc bid seal --file`): then the
/// document's id (a UUID, 36 characters) and a newline, the HPKE encapsulated key (32 bytes),
/// and the sealed chunks as the store keeps them (u32 big-endian length, ciphertext).
pub const SEALED_DOC_MAGIC: &[u8] = b"smeproc-sealed-doc-1\n";
const ID_LEN: usize = 36;
const ENC_LEN: usize = 32;
const SEALED_HEADER: usize = SEALED_DOC_MAGIC.len() + ID_LEN + 1 + ENC_LEN;

/// Seals a file on the bidder's machine, chunk by chunk as the server seals documents it
/// receives: the reference its bid lists (the plaintext's hash, size and type). Refuses a file
/// of a type not accepted, an empty one, or one over `limit` bytes.
pub fn seal_locally(
    lot: &str,
    public_key: &str,
    kind: &str,
    filename: &str,
    input: &mut impl std::io::Read,
    output: &mut impl std::io::Write,
    limit: u64,
) -> std::result::Result<DocumentRef, String> {
    let kind = DocumentKind::parse(kind)
        .ok_or_else(|| {
            format!("unknown document kind {kind}; expected technical, qualification, price_schedule or other")
        })?
        .as_str();
    let id = uuid::Uuid::now_v7().to_string();
    let mut sealer = crate::service::sealing::sealer(lot, public_key.trim())
        .map_err(|e| format!("--lot-key: {e}"))?;
    let write = |out: &mut dyn std::io::Write, bytes: &[u8]| {
        out.write_all(bytes)
            .map_err(|e| format!("writing the sealed file: {e}"))
    };
    write(output, SEALED_DOC_MAGIC)?;
    write(output, id.as_bytes())?;
    write(output, b"\n")?;
    write(output, sealer.encapsulated())?;
    let read_chunk = |input: &mut dyn std::io::Read| -> std::result::Result<zeroize::Zeroizing<Vec<u8>>, String> {
        let mut buf = zeroize::Zeroizing::new(vec![0u8; CHUNK]);
        let mut filled = 0;
        while filled < CHUNK {
            match input.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("reading {filename}: {e}")),
            }
        }
        buf.truncate(filled);
        Ok(buf)
    };
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut index = 0u64;
    let mut current = read_chunk(input)?;
    if current.is_empty() {
        return Err(format!("{filename} is empty"));
    }
    let media_type = sniff(&current[..current.len().min(SNIFF_BYTES)]).ok_or_else(|| {
        format!("{filename} is not a PDF, OOXML/ODF document, ZIP, JPEG or PNG file (told by its content)")
    })?;
    loop {
        let next = if current.len() == CHUNK {
            read_chunk(input)?
        } else {
            zeroize::Zeroizing::new(Vec::new())
        };
        let last = next.is_empty();
        size += current.len() as u64;
        if size > limit {
            return Err(format!("{filename} is over the limit of {limit} bytes"));
        }
        hasher.update(&current[..]);
        let sealed = sealer
            .seal_next(&doc_aad(&id, index, last), &current)
            .map_err(|e| format!("sealing {filename}: {e}"))?;
        write(output, &(sealed.len() as u32).to_be_bytes())?;
        write(output, &sealed)?;
        index += 1;
        if last {
            break;
        }
        current = next;
    }
    Ok(DocumentRef {
        id,
        kind: kind.into(),
        filename: clean_name(filename),
        media_type: media_type.into(),
        size_bytes: size,
        sha256: hex(&hasher.finalize()),
    })
}

/// Where a sealed upload is in its chunk framing.
enum Frame {
    /// Reading a chunk's 4-byte length.
    Length { buf: [u8; 4], have: usize },
    /// Inside a chunk: this many bytes left.
    Body { left: usize },
}

/// A document the bidder sealed, arriving: the server checks its header and its chunk framing
/// (it cannot read more) and stores it as it came. Blocking I/O, like [`Upload`].
pub struct SealedUpload {
    store: FileStore,
    field: String,
    filename: String,
    header: Vec<u8>,
    id: Option<String>,
    encapsulated: Vec<u8>,
    part: Option<PartFile>,
    hasher: Sha256,
    size: u64,
    limit: u64,
    frame: Frame,
    chunks: u64,
}

impl SealedUpload {
    pub fn begin(store: &FileStore, field: &str, filename: &str, limit: u64) -> Result<Self> {
        if field != "document" {
            return Err(Error::Validation(vec![coded(
                format!("documents.{field}"),
                "problem.sealed_document_part",
                vec![("given", field.to_string()), ("want", "document".into())],
            )]));
        }
        Ok(SealedUpload {
            store: store.clone(),
            field: format!("documents.{field}"),
            filename: clean_name(filename),
            header: Vec::with_capacity(SEALED_HEADER),
            id: None,
            encapsulated: Vec::new(),
            part: None,
            hasher: Sha256::new(),
            size: 0,
            limit,
            frame: Frame::Length {
                buf: [0; 4],
                have: 0,
            },
            chunks: 0,
        })
    }

    fn not_sealed(&self) -> Error {
        Error::Validation(vec![coded(
            self.field.clone(),
            "problem.sealed_document_format",
            vec![
                ("name", self.filename.clone()),
                ("tool", "smeproc bid seal --file".into()),
            ],
        )])
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn push(&mut self, mut bytes: &[u8]) -> Result<()> {
        self.size += bytes.len() as u64;
        if self.size > self.limit {
            return Err(Error::PayloadTooLarge {
                limit: self.limit as usize,
                what: Some(format!("{} ({})", self.field, self.filename)),
            });
        }
        self.hasher.update(bytes);
        if self.id.is_none() {
            let take = (SEALED_HEADER - self.header.len()).min(bytes.len());
            self.header.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if self.header.len() < SEALED_HEADER {
                if !SEALED_DOC_MAGIC
                    .starts_with(&self.header[..self.header.len().min(SEALED_DOC_MAGIC.len())])
                {
                    return Err(self.not_sealed());
                }
                return Ok(());
            }
            let (magic, rest) = self.header.split_at(SEALED_DOC_MAGIC.len());
            let (id, rest) = rest.split_at(ID_LEN);
            let id = std::str::from_utf8(id)
                .ok()
                .and_then(|t| uuid::Uuid::parse_str(t).ok())
                .map(|u| u.to_string());
            match (magic == SEALED_DOC_MAGIC, id, rest[0] == b'\n') {
                (true, Some(id), true) => {
                    self.encapsulated = rest[1..].to_vec();
                    self.part = Some(self.store.create(&id).map_err(|e| {
                        if e.kind() == std::io::ErrorKind::AlreadyExists {
                            Error::Validation(vec![coded(
                                self.field.clone(),
                                "problem.sealed_document_twice",
                                vec![],
                            )])
                        } else {
                            io(e)
                        }
                    })?);
                    self.id = Some(id);
                }
                _ => return Err(self.not_sealed()),
            }
        }
        let Some(part) = self.part.as_mut() else {
            return Err(Error::Internal(anyhow::anyhow!(
                "sealed upload without its file"
            )));
        };
        part.write(bytes).map_err(io)?;
        while !bytes.is_empty() {
            match &mut self.frame {
                Frame::Length { buf, have } => {
                    let take = (4 - *have).min(bytes.len());
                    buf[*have..*have + take].copy_from_slice(&bytes[..take]);
                    *have += take;
                    bytes = &bytes[take..];
                    if *have == 4 {
                        let len = u32::from_be_bytes(*buf) as usize;
                        if !(17..=SEALED_CHUNK_MAX).contains(&len) {
                            return Err(self.not_sealed());
                        }
                        self.frame = Frame::Body { left: len };
                    }
                }
                Frame::Body { left } => {
                    let take = (*left).min(bytes.len());
                    *left -= take;
                    bytes = &bytes[take..];
                    if *left == 0 {
                        self.chunks += 1;
                        self.frame = Frame::Length {
                            buf: [0; 4],
                            have: 0,
                        };
                    }
                }
            }
        }
        Ok(())
    }

    /// Completes the file: whole chunks only, at least one; moved into place, sealed.
    pub fn finish(mut self, lot_id: &str, now: NaiveDateTime) -> Result<StoredDocument> {
        let complete = matches!(self.frame, Frame::Length { have: 0, .. }) && self.chunks > 0;
        let (Some(id), Some(part), true) = (self.id.clone(), self.part.take(), complete) else {
            let e = self.not_sealed();
            self.abandon();
            return Err(e);
        };
        let stored_bytes = part.written() as i64;
        let location = self.store.commit(part, &id, true).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                Error::Validation(vec![coded(
                    self.field.clone(),
                    "problem.sealed_document_twice",
                    vec![],
                )])
            } else {
                io(e)
            }
        })?;
        Ok(StoredDocument {
            // What the server knows before the opening: the sealed file's own hash and size.
            reference: DocumentRef {
                id: id.clone(),
                kind: "sealed".into(),
                filename: self.filename.clone(),
                media_type: "application/octet-stream".into(),
                size_bytes: self.size,
                sha256: hex(&std::mem::take(&mut self.hasher).finalize()),
            },
            row: DocumentRow {
                id,
                bid_id: String::new(),
                lot_id: lot_id.to_string(),
                sealed: true,
                encapsulated: Some(std::mem::take(&mut self.encapsulated)),
                stored_bytes,
                location,
                created_at: now,
            },
        })
    }

    pub fn abandon(mut self) {
        if let Some(part) = self.part.take() {
            part.discard();
        }
    }
}

/// A file arriving in a multipart request: a document in the clear (sealed here, or kept clear)
/// or one the bidder sealed.
pub enum Incoming {
    Clear(Upload),
    Sealed(SealedUpload),
}

impl Incoming {
    #[allow(clippy::too_many_arguments)]
    pub fn begin(
        store: &FileStore,
        purpose: Purpose,
        lot_id: &str,
        public_key: Option<&str>,
        field: &str,
        filename: &str,
        limit: u64,
    ) -> Result<Self> {
        match purpose {
            Purpose::SealedByBidder => {
                SealedUpload::begin(store, field, filename, limit).map(Incoming::Sealed)
            }
            _ => Upload::begin(store, purpose, lot_id, public_key, field, filename, limit)
                .map(Incoming::Clear),
        }
    }

    pub fn push(&mut self, bytes: &[u8]) -> Result<()> {
        match self {
            Incoming::Clear(u) => u.push(bytes),
            Incoming::Sealed(u) => u.push(bytes),
        }
    }

    pub fn finish(
        self,
        store: &FileStore,
        lot_id: &str,
        now: NaiveDateTime,
    ) -> Result<StoredDocument> {
        match self {
            Incoming::Clear(u) => u.finish(store, lot_id, now),
            Incoming::Sealed(u) => u.finish(lot_id, now),
        }
    }

    pub fn abandon(self) {
        match self {
            Incoming::Clear(u) => u.abandon(),
            Incoming::Sealed(u) => u.abandon(),
        }
    }
}
