//! Procurement documents (采购文件: 招标文件, 采购需求): the agency attaches them to a draft
//! project; publication lists each with its SHA-256 in the procurement notice; from then on they
//! do not change. Suppliers obtain them (a logged-in supplier's download), and who obtained them
//! is recorded — like everything about bidders, disclosed to nobody before the opening: the
//! record names the firm by its keyed bidder tag and by its id sealed to the server's escrow key,
//! read back only once every lot of the project is opened.

use super::documents::{FileStore, StoredDocument};
use super::{phase, require_manager, utc, visible_project, wrong_phase, Phase};
use crate::clock::Clock;
use crate::db::enterprises as enterprise_repo;
use crate::db::procurement::{self as repo, DocumentObtained, Project, ProjectDocument};
use crate::db::DbConnection;
use crate::error::{Error, Result};
use crate::service::audit::{self, Change};
use crate::service::auth::keys::ServerKeys;
use crate::service::Actor;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// At most this many documents on a project.
pub const MAX_DOCUMENTS: usize = 50;

/// A procurement document as listed (and as the notice lists it).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProjectDocumentView {
    pub id: String,
    /// tender | requirements | other
    pub kind: String,
    pub filename: String,
    /// Told by content: PDF, OOXML/ODF, ZIP, JPEG or PNG.
    pub media_type: String,
    pub size_bytes: u64,
    /// SHA-256 of the file (hex), as the procurement notice publishes it.
    pub sha256: String,
    /// Where a logged-in supplier obtains it.
    pub url: String,
    pub created_at: DateTime<Utc>,
}

pub fn view(d: &ProjectDocument) -> ProjectDocumentView {
    ProjectDocumentView {
        id: d.id.clone(),
        kind: d.kind.clone(),
        filename: d.filename.clone(),
        media_type: d.media_type.clone(),
        size_bytes: u64::try_from(d.size_bytes).unwrap_or_default(),
        sha256: d.sha256.clone(),
        url: format!("/api/v1/projects/{}/documents/{}", d.project_id, d.id),
        created_at: utc(d.created_at),
    }
}

/// The notice's list: what each document is and its hash.
pub fn notice_entries(docs: &[ProjectDocument]) -> serde_json::Value {
    serde_json::Value::Array(
        docs.iter()
            .map(|d| {
                serde_json::json!({
                    "id": d.id, "kind": d.kind, "filename": d.filename,
                    "media_type": d.media_type, "size_bytes": d.size_bytes, "sha256": d.sha256,
                })
            })
            .collect(),
    )
}

/// Refuses a change to the documents of a project past its draft.
fn require_draft(p: &Project, now: chrono::NaiveDateTime) -> Result<()> {
    let phase = phase(p, now);
    if phase == Phase::Draft {
        Ok(())
    } else {
        Err(wrong_phase("refusal.documents_draft_only", phase))
    }
}

/// Refuses, before any upload is read, a caller who may not attach documents to this project.
pub fn may_attach(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    id: &str,
) -> Result<()> {
    let p = visible_project(conn, actor, id)?;
    require_manager(actor, &p)?;
    require_draft(&p, clock.now_naive())
}

/// Attaches uploaded documents (already in the store, in the clear) to a draft project. On a
/// refusal the caller removes the files.
#[tracing::instrument(skip_all)]
pub fn attach(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    project_id: &str,
    docs: &[StoredDocument],
) -> Result<Vec<ProjectDocumentView>> {
    let now = clock.now_naive();
    if docs.is_empty() {
        return Err(Error::Validation(vec![crate::wire::fields::required(
            "documents",
        )]));
    }
    let all = crate::db::write(conn, |conn| {
        let p = visible_project(conn, actor, project_id)?;
        require_manager(actor, &p)?;
        require_draft(&p, now)?;
        let existing = repo::project_documents_of(conn, &p.id)?;
        if existing.len() + docs.len() > MAX_DOCUMENTS {
            return Err(Error::Validation(vec![crate::wire::fields::coded(
                "documents",
                "problem.too_many_documents",
                vec![("max", MAX_DOCUMENTS.to_string())],
            )]));
        }
        for d in docs {
            let row = ProjectDocument {
                id: d.reference.id.clone(),
                project_id: p.id.clone(),
                kind: d.reference.kind.clone(),
                filename: d.reference.filename.clone(),
                media_type: d.reference.media_type.clone(),
                size_bytes: i64::try_from(d.reference.size_bytes).unwrap_or(i64::MAX),
                sha256: d.reference.sha256.clone(),
                location: d.row.location.clone(),
                created_by: actor.audit_id().to_string(),
                created_at: now,
            };
            repo::insert_project_document(conn, &row)?;
            audit::record(
                conn,
                clock,
                Change::new(
                    actor.audit_id(),
                    "project.document.attach",
                    "project",
                    &p.id,
                )
                .after(&row),
            )?;
        }
        Ok::<_, Error>(repo::project_documents_of(conn, &p.id)?)
    })?;
    Ok(all.iter().map(view).collect())
}

/// Removes a document from a draft project; the file goes once the row is gone.
#[tracing::instrument(skip_all)]
pub fn remove(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    store: &FileStore,
    actor: &Actor<'_>,
    project_id: &str,
    document_id: &str,
) -> Result<()> {
    let now = clock.now_naive();
    let row = crate::db::write(conn, |conn| {
        let p = visible_project(conn, actor, project_id)?;
        require_manager(actor, &p)?;
        require_draft(&p, now)?;
        let row = repo::find_project_document(conn, &p.id, document_id)?
            .ok_or_else(|| Error::NotFound(format!("no document with id {document_id}")))?;
        repo::delete_project_document(conn, &row.id)?;
        audit::record(
            conn,
            clock,
            Change::new(
                actor.audit_id(),
                "project.document.remove",
                "project",
                &p.id,
            )
            .before(&row),
        )?;
        Ok::<_, Error>(row)
    })?;
    store.remove(&row.location);
    Ok(())
}

/// A project's documents, to whoever may see the project.
pub fn list(
    conn: &mut DbConnection,
    actor: &Actor<'_>,
    project_id: &str,
) -> Result<Vec<ProjectDocumentView>> {
    let p = visible_project(conn, actor, project_id)?;
    Ok(repo::project_documents_of(conn, &p.id)?
        .iter()
        .map(view)
        .collect())
}

/// The stored documents of a project (for the notice, at publication).
pub(crate) fn of_project(
    conn: &mut DbConnection,
    project_id: &str,
) -> Result<Vec<ProjectDocument>> {
    Ok(repo::project_documents_of(conn, project_id)?)
}

fn obtained_aad(document_id: &str, tag: &str) -> Vec<u8> {
    format!("obtained {document_id} {tag}").into_bytes()
}

/// A supplier (recorded) or the project's staff (not recorded) obtains a document: its row,
/// to stream out with its hash checked. Nobody else: the public logs in first.
#[tracing::instrument(skip_all)]
pub fn obtain(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    keys: &ServerKeys,
    actor: &Actor<'_>,
    project_id: &str,
    document_id: &str,
) -> Result<ProjectDocument> {
    let p = visible_project(conn, actor, project_id)?;
    let row = repo::find_project_document(conn, &p.id, document_id)?
        .ok_or_else(|| Error::NotFound(format!("no document with id {document_id}")))?;
    if actor.is_staff_of(&p) {
        return Ok(row);
    }
    let Some(enterprise_id) = actor.enterprise_id() else {
        if actor.user_id().is_some() {
            return Err(Error::Forbidden(
                "the procurement documents are obtained by suppliers and the project's staff"
                    .into(),
            ));
        }
        return Err(Error::Unauthorized(
            "log in as a supplier to obtain the procurement documents (who obtained them is recorded)"
                .into(),
        ));
    };
    let tag = keys.bidder_tag(enterprise_id);
    let now = clock.now_naive();
    crate::db::write(conn, |conn| {
        if repo::has_obtained(conn, &row.id, &tag)? {
            return Ok(());
        }
        let sealed = keys
            .escrow_seal(&obtained_aad(&row.id, &tag), enterprise_id.as_bytes())
            .map_err(Error::Internal)?;
        repo::insert_obtained(
            conn,
            &DocumentObtained {
                document_id: row.id.clone(),
                bidder_tag: tag.clone(),
                project_id: p.id.clone(),
                enterprise_sealed: sealed,
                obtained_at: now,
            },
        )?;
        Ok::<_, Error>(())
    })?;
    Ok(row)
}

/// Who obtained a document, once disclosed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ObtainedView {
    pub document_id: String,
    pub filename: String,
    pub enterprise_id: String,
    pub enterprise_name: String,
    pub credit_code: String,
    /// The first time it obtained the document.
    pub obtained_at: DateTime<Utc>,
}

/// Who obtained the project's documents: to its staff, once every lot is opened (before, a 409
/// `not_opened`, whoever asks).
#[tracing::instrument(skip_all)]
pub fn obtained(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    keys: &ServerKeys,
    actor: &Actor<'_>,
    project_id: &str,
) -> Result<Vec<ObtainedView>> {
    let p = visible_project(conn, actor, project_id)?;
    if !actor.is_staff_of(&p) {
        return Err(Error::Forbidden(
            "only the project's agency, auditors and admins read who obtained its documents".into(),
        ));
    }
    let phase = phase(&p, clock.now_naive());
    if phase < Phase::Opened {
        return Err(super::wrong_phase_because(
            crate::error::Cause::NotOpened,
            "refusal.obtained_before_opening",
            phase,
            Vec::new(),
        ));
    }
    for lot in repo::lots_of(conn, &p.id)? {
        super::opening::require_opened(conn, &lot)?;
    }
    let docs = repo::project_documents_of(conn, &p.id)?;
    let mut out = Vec::new();
    for o in repo::obtained_of_project(conn, &p.id)? {
        let id = keys
            .escrow_open(
                &obtained_aad(&o.document_id, &o.bidder_tag),
                &o.enterprise_sealed,
            )
            .map_err(Error::Internal)?;
        let id = String::from_utf8(id.to_vec())
            .map_err(|_| Error::Internal(anyhow::anyhow!("sealed enterprise id is not text")))?;
        let e = enterprise_repo::find_by_id(conn, &id)?;
        out.push(ObtainedView {
            document_id: o.document_id.clone(),
            filename: docs
                .iter()
                .find(|d| d.id == o.document_id)
                .map(|d| d.filename.clone())
                .unwrap_or_default(),
            enterprise_name: e.as_ref().map(|e| e.name.clone()).unwrap_or_default(),
            credit_code: e
                .as_ref()
                .map(|e| e.credit_code.clone())
                .unwrap_or_default(),
            enterprise_id: id,
            obtained_at: utc(o.obtained_at),
        });
    }
    Ok(out)
}
