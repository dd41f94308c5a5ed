//! A bid with its documents as `multipart/form-data` (the API and the supplier's page): the
//! part `bid` (the JSON bid, first), then files in parts named by their kind (`technical`,
//! `qualification`, `price_schedule`, `other`; several of a kind allowed). Files stream into the
//! document store sealed as they come (service::procurement::documents), never whole in memory;
//! each is limited to `SMEPROC_DOCUMENT_MAX_BYTES`, a bid's to `SMEPROC_BID_DOCUMENTS_MAX_BYTES`.
//! Whatever fails, nothing stays behind.

use crate::error::{Error, Result};
use crate::http::AppState;
use crate::service::procurement::documents::{self, FileStore, Incoming, Purpose, StoredDocument};
use actix_web::web;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

/// A multipart bid read: its JSON and its documents in the store.
pub struct MultipartBid<T> {
    pub bid: T,
    /// Extra text fields (the pages' `csrf`), at most 4 KiB each.
    pub fields: Vec<(String, String)>,
    pub documents: Vec<StoredDocument>,
}

/// Whether the request is `multipart/form-data`.
pub fn is_multipart(req: &actix_web::HttpRequest) -> bool {
    req.headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        })
}

/// Reads a multipart bid for `lot_id`, sealing files to `public_key` (None: a lot without a key,
/// files kept as they are). `bid_part`: the name of the JSON part (`bid`), or None when the bid
/// comes as form fields (the page) and is parsed by the caller from `fields`.
pub async fn read<T: DeserializeOwned + Default>(
    state: &AppState,
    mut payload: actix_multipart::Multipart,
    purpose: Purpose,
    lot_id: String,
    public_key: Option<String>,
    bid_part: Option<&str>,
) -> Result<MultipartBid<T>> {
    let store = state.document_store();
    let mut done: Vec<StoredDocument> = Vec::new();
    let result = read_parts(
        state,
        &store,
        &mut payload,
        purpose,
        &lot_id,
        public_key,
        bid_part,
        &mut done,
    )
    .await;
    match result {
        Ok((bid, fields)) => Ok(MultipartBid {
            bid,
            fields,
            documents: done,
        }),
        Err(e) => {
            discard(state, done).await;
            Err(e)
        }
    }
}

/// Removes documents already in the store whose bid was then refused (on the blocking pool).
pub async fn discard(state: &AppState, docs: Vec<StoredDocument>) {
    let store = state.document_store();
    let _ = web::block(move || documents::discard(&store, &docs)).await;
}

const FIELD_LIMIT: usize = 4096;

#[allow(clippy::too_many_arguments)]
async fn read_parts<T: DeserializeOwned + Default>(
    state: &AppState,
    store: &FileStore,
    payload: &mut actix_multipart::Multipart,
    purpose: Purpose,
    lot_id: &str,
    public_key: Option<String>,
    bid_part: Option<&str>,
    done: &mut Vec<StoredDocument>,
) -> Result<(T, Vec<(String, String)>)> {
    let per_file = state.settings.document_max_bytes as u64;
    let per_bid = state.settings.bid_documents_max_bytes as u64;
    let json_limit = state.settings.max_body_bytes;
    let mut bid: Option<T> = None;
    let mut fields = Vec::new();
    let mut total = 0u64;
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(|e| Error::BadRequest(format!("reading the upload: {e}")))?;
        let name = field.name().unwrap_or_default().to_string();
        let filename = field
            .content_disposition()
            .and_then(|d| d.get_filename().map(str::to_string));
        if filename.is_none() {
            // A text part: the JSON bid, or a form field.
            let limit = if Some(name.as_str()) == bid_part {
                json_limit
            } else {
                FIELD_LIMIT
            };
            let mut value = Vec::new();
            while let Some(chunk) = field.next().await {
                let chunk =
                    chunk.map_err(|e| Error::BadRequest(format!("reading the upload: {e}")))?;
                if value.len() + chunk.len() > limit {
                    return Err(Error::PayloadTooLarge {
                        limit,
                        what: Some(name.clone()),
                    });
                }
                value.extend_from_slice(&chunk);
            }
            if Some(name.as_str()) == bid_part {
                let parsed = crate::http::extract::parse_json::<T>(&value).map_err(|p| {
                    match crate::http::extract::json_error(p) {
                        // A part is a form field: one that is not JSON is a bad field, named.
                        Error::MalformedJson {
                            line,
                            column,
                            message,
                        } => documents::part_not_json(&name, line, column, message),
                        Error::Validation(problems) => Error::Validation(
                            problems
                                .into_iter()
                                .map(|mut p| {
                                    p.field = format!("{name}.{}", p.field);
                                    p
                                })
                                .collect(),
                        ),
                        other => other,
                    }
                })?;
                bid = Some(parsed);
            } else {
                fields.push((name, String::from_utf8_lossy(&value).into_owned()));
            }
            continue;
        }
        if bid_part.is_some() && bid.is_none() {
            return Err(documents::bid_part_first(bid_part.unwrap_or("bid")));
        }
        let filename = filename.unwrap_or_default();
        if filename.is_empty() {
            // A file input left empty: browsers send the part without a name or bytes.
            while let Some(chunk) = field.next().await {
                chunk.map_err(|e| Error::BadRequest(format!("reading the upload: {e}")))?;
            }
            continue;
        }
        let (store2, lot, key, n, f) = (
            store.clone(),
            lot_id.to_string(),
            public_key.clone(),
            name.clone(),
            filename.clone(),
        );
        let mut upload = web::block(move || {
            Incoming::begin(&store2, purpose, &lot, key.as_deref(), &n, &f, per_file)
        })
        .await??;
        while let Some(chunk) = field.next().await {
            let chunk = match chunk {
                Ok(c) => c,
                Err(e) => {
                    let _ = web::block(move || upload.abandon()).await;
                    return Err(Error::BadRequest(format!("reading the upload: {e}")));
                }
            };
            total += chunk.len() as u64;
            if total > per_bid {
                let _ = web::block(move || upload.abandon()).await;
                return Err(Error::PayloadTooLarge {
                    limit: per_bid as usize,
                    what: Some(match purpose {
                        Purpose::Bid => format!("the bid's documents (at {name}, {filename})"),
                        Purpose::Procurement | Purpose::SealedByBidder | Purpose::Remedy => {
                            format!("the documents (at {name}, {filename})")
                        }
                    }),
                });
            }
            let (up, result) = web::block(move || {
                let r = upload.push(&chunk);
                (upload, r)
            })
            .await?;
            upload = up;
            if let Err(e) = result {
                let _ = web::block(move || upload.abandon()).await;
                return Err(e);
            }
        }
        let (store2, lot) = (store.clone(), lot_id.to_string());
        let now = state.clock.now_naive();
        let stored = web::block(move || upload.finish(&store2, &lot, now)).await??;
        done.push(stored);
    }
    match (bid, bid_part) {
        (Some(b), _) => Ok((b, fields)),
        (None, None) => Ok((T::default(), fields)),
        (None, Some(part)) => Err(documents::bid_part_missing(part)),
    }
}

/// A file stored in the clear, opened with its SHA-256 checked (on the blocking pool) and sent
/// as [`download`] sends it: what the downloads of procurement and remedy documents share.
pub async fn send_verified(
    state: &AppState,
    location: &str,
    sha256: &str,
    media_type: &str,
    size_bytes: i64,
    filename: &str,
) -> Result<actix_web::HttpResponse> {
    let store = state.document_store();
    let (location, sha) = (location.to_string(), sha256.to_string());
    let file = web::block(move || documents::verified_open(&store, &location, &sha))
        .await
        .map_err(|e| Error::Internal(anyhow::anyhow!("{e}")))??;
    Ok(download(
        file,
        media_type,
        u64::try_from(size_bytes).unwrap_or_default(),
        filename,
        sha256,
    ))
}

/// A stored file sent as it is, 64 KiB at a time from the blocking pool: its type, length,
/// name (as an attachment) and SHA-256 (`x-content-sha256`) in the headers.
pub fn download(
    file: documents::StoredFile,
    media_type: &str,
    size_bytes: u64,
    filename: &str,
    sha256: &str,
) -> actix_web::HttpResponse {
    use actix_web::http::header;
    let stream = futures_util::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let read = web::block(move || {
            use std::io::Read;
            let mut buf = vec![0u8; 64 * 1024];
            let n = file.read(&mut buf)?;
            buf.truncate(n);
            Ok::<_, std::io::Error>((file, buf))
        })
        .await;
        match read {
            Ok(Ok((_, buf))) if buf.is_empty() => None,
            Ok(Ok((file, buf))) => {
                Some((Ok::<_, actix_web::Error>(web::Bytes::from(buf)), Some(file)))
            }
            Ok(Err(e)) => Some((Err(actix_web::error::ErrorInternalServerError(e)), None)),
            Err(e) => Some((Err(actix_web::error::ErrorInternalServerError(e)), None)),
        }
    });
    let name: String = form_urlencoded::byte_serialize(filename.as_bytes()).collect();
    actix_web::HttpResponse::Ok()
        .content_type(media_type)
        .insert_header((header::CONTENT_LENGTH, size_bytes.to_string()))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename*=UTF-8''{name}"),
        ))
        .insert_header(("x-content-sha256", sha256.to_string()))
        .streaming(stream)
}
