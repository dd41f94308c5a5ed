//! Remedies (救济): a supplier's challenge (质疑) to the agency, its complaint (投诉) to the
//! finance department, the finance department's rulings and suspensions, and debarments
//! (不良行为记录). Every clock counts working days on the calendar (`service::calendar`); every
//! step is one transaction with its audit event, and a refusal changes nothing.
//!
//! What a remedy holds: while a challenge is pending, the lots it concerns are not awarded and
//! no contract is signed; while a complaint's suspension runs, the agency takes no step of the
//! procurement (review, evaluation, award, result, contract, a new round) — docs/remedies.md.

pub mod challenges;
pub mod complaints;
pub mod debarments;

use crate::db::remedies::{self as repo, RemedyDocument};
use crate::db::DbConnection;
use crate::error::{Error, Result};
use crate::service::procurement::documents::StoredDocument;
use crate::service::Actor;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// At most this many files with one challenge, complaint, answer or ruling.
pub const MAX_DOCUMENTS: usize = 20;

pub use crate::service::calendar::{refusal as calendar_refusal, today};
pub use crate::service::procurement::holds::{check_hold, Step};

/// A file of a remedy, as listed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RemedyDocumentView {
    pub id: String,
    /// challenge | answer | complaint | ruling
    pub owner: String,
    pub filename: String,
    pub media_type: String,
    pub size_bytes: u64,
    /// SHA-256 (hex), checked again on the way out.
    pub sha256: String,
    pub url: String,
    pub created_at: DateTime<Utc>,
}

pub fn document_view(d: &RemedyDocument) -> RemedyDocumentView {
    RemedyDocumentView {
        id: d.id.clone(),
        owner: d.owner.clone(),
        filename: d.filename.clone(),
        media_type: d.media_type.clone(),
        size_bytes: u64::try_from(d.size_bytes).unwrap_or_default(),
        sha256: d.sha256.clone(),
        url: format!("/api/v1/remedy-documents/{}", d.id),
        created_at: d.created_at.and_utc(),
    }
}

/// Keeps uploaded files as the documents of a remedy (inside the caller's transaction).
pub(crate) fn keep_documents(
    conn: &mut DbConnection,
    actor: &Actor<'_>,
    owner: &str,
    owner_id: &str,
    project_id: &str,
    docs: &[StoredDocument],
    now: chrono::NaiveDateTime,
) -> Result<Vec<RemedyDocument>> {
    if docs.len() > MAX_DOCUMENTS {
        return Err(crate::wire::fields::invalid(
            "documents",
            "problem.too_many_documents",
            vec![("max", MAX_DOCUMENTS.to_string())],
        ));
    }
    let rows: Vec<RemedyDocument> = docs
        .iter()
        .map(|d| RemedyDocument {
            id: d.reference.id.clone(),
            owner: owner.to_string(),
            owner_id: owner_id.to_string(),
            project_id: project_id.to_string(),
            filename: d.reference.filename.clone(),
            media_type: d.reference.media_type.clone(),
            size_bytes: i64::try_from(d.reference.size_bytes).unwrap_or(i64::MAX),
            sha256: d.reference.sha256.clone(),
            location: d.row.location.clone(),
            created_by: actor.audit_id().to_string(),
            created_at: now,
        })
        .collect();
    repo::insert_documents(conn, &rows)?;
    Ok(rows)
}

/// A remedy's document for a reader who may see its remedy: its row, to stream out.
#[tracing::instrument(skip_all)]
pub fn document(
    conn: &mut DbConnection,
    keys: &crate::service::auth::keys::ServerKeys,
    actor: &Actor<'_>,
    id: &str,
) -> Result<RemedyDocument> {
    let not_found = || Error::NotFound(format!("no document with id {id}"));
    let d = repo::find_document(conn, id)?.ok_or_else(not_found)?;
    let project =
        crate::db::procurement::find_project(conn, &d.project_id)?.ok_or_else(not_found)?;
    let readable = match d.owner.as_str() {
        // The challenger's evidence: itself and the staff. The answer: also the suppliers
        // concerned, who read the answer.
        "challenge" => {
            let c = challenges::find(conn, &d.owner_id)?;
            actor.enterprise_id() == Some(c.enterprise_id.as_str()) || actor.is_staff_of(&project)
        }
        "answer" => challenges::show(conn, keys, actor, &d.owner_id).is_ok(),
        // A complaint's files and its ruling's: the complainant and the staff.
        _ => {
            let c = repo::find_complaint(conn, &d.owner_id)?.ok_or_else(not_found)?;
            actor.enterprise_id() == Some(c.enterprise_id.as_str()) || actor.is_staff_of(&project)
        }
    };
    if readable {
        Ok(d)
    } else {
        Err(not_found())
    }
}

/// A text field of a remedy: required, at most `max` characters, lines allowed.
pub(crate) fn required_text(
    value: &Option<String>,
    field: &str,
    max: usize,
    problems: &mut Vec<crate::wire::FieldProblem>,
) -> Option<String> {
    use crate::wire::fields::{text, Text};
    text(
        value.as_deref(),
        field,
        Text::required(max).with_lines(),
        problems,
    )
}
