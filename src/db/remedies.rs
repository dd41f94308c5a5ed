//! Remedies' records: challenges (质疑), complaints (投诉), their documents, award changes
//! (the next-ranked award) and debarments (不良行为记录). Plain rows and the queries the
//! service layer needs.

use super::schema::{award_changes, challenges, complaints, debarments, remedy_documents};
use super::DbConnection;
use crate::domain::remedies::{ChallengeState, ComplaintState};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Insertable, AsChangeset, serde::Serialize)]
#[diesel(table_name = challenges, treat_none_as_null = true)]
pub struct Challenge {
    pub id: String,
    pub project_id: String,
    pub lot_id: Option<String>,
    pub enterprise_id: String,
    pub filed_by: String,
    pub kind: String,
    pub step: Option<String>,
    pub facts: String,
    pub grounds: String,
    pub requests: String,
    pub known_on: NaiveDate,
    pub known_basis: String,
    pub deadline: NaiveDate,
    pub filed_at: NaiveDateTime,
    pub answer_due: NaiveDate,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub state: ChallengeState,
    pub outcome: Option<String>,
    pub answer: Option<String>,
    pub answered_by: Option<String>,
    pub answered_at: Option<NaiveDateTime>,
    pub withdrawn_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Insertable, AsChangeset, serde::Serialize)]
#[diesel(table_name = complaints, treat_none_as_null = true)]
pub struct Complaint {
    pub id: String,
    pub challenge_id: String,
    pub project_id: String,
    pub lot_id: Option<String>,
    pub enterprise_id: String,
    pub filed_by: String,
    pub facts: String,
    pub grounds: String,
    pub requests: String,
    pub deadline: NaiveDate,
    pub filed_at: NaiveDateTime,
    pub acceptance_due: NaiveDate,
    pub ruling_due: NaiveDate,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub state: ComplaintState,
    pub decided_by: Option<String>,
    pub decided_at: Option<NaiveDateTime>,
    pub decision_reason: Option<String>,
    pub suspended_from: Option<NaiveDate>,
    pub suspended_until: Option<NaiveDate>,
    pub suspension_lifted_at: Option<NaiveDateTime>,
    pub ruling: Option<String>,
    pub remedy: Option<String>,
    pub ruling_text: Option<String>,
    pub ruled_by: Option<String>,
    pub ruled_at: Option<NaiveDateTime>,
    pub notice_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Insertable, serde::Serialize)]
#[diesel(table_name = remedy_documents)]
pub struct RemedyDocument {
    pub id: String,
    /// challenge | answer | complaint | ruling
    pub owner: String,
    pub owner_id: String,
    pub project_id: String,
    pub filename: String,
    pub media_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub location: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Insertable, serde::Serialize)]
#[diesel(table_name = award_changes)]
pub struct AwardChange {
    pub id: String,
    pub lot_id: String,
    pub from_bid_id: String,
    pub to_bid_id: Option<String>,
    pub reason: String,
    pub text: String,
    pub actor: String,
    pub at: NaiveDateTime,
    pub notice_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Insertable, AsChangeset, serde::Serialize)]
#[diesel(table_name = debarments, treat_none_as_null = true)]
pub struct Debarment {
    pub id: String,
    pub enterprise_id: String,
    pub reason: String,
    pub text: String,
    pub from_on: NaiveDate,
    pub until_on: NaiveDate,
    pub years: i32,
    pub project_id: Option<String>,
    pub complaint_id: Option<String>,
    pub recorded_by: String,
    pub recorded_at: NaiveDateTime,
    pub lifted_at: Option<NaiveDateTime>,
    pub lifted_by: Option<String>,
    pub lift_reason: Option<String>,
}

// --- challenges ---------------------------------------------------------------------------

pub fn insert_challenge(conn: &mut DbConnection, c: &Challenge) -> QueryResult<()> {
    diesel::insert_into(challenges::table)
        .values(c.clone())
        .execute(conn)
        .map(|_| ())
}

pub fn update_challenge(conn: &mut DbConnection, c: &Challenge) -> QueryResult<()> {
    diesel::update(challenges::table.find(&c.id))
        .set(c.clone())
        .execute(conn)
        .map(|_| ())
}

pub fn find_challenge(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Challenge>> {
    challenges::table.find(id).first(conn).optional()
}

/// Which challenges a listing shows.
#[derive(Debug, Clone, Default)]
pub struct ChallengeFilter {
    pub project_id: Option<String>,
    pub enterprise_id: Option<String>,
    /// The projects of this agency.
    pub agency_id: Option<String>,
    /// The projects these are (a supplier's "concerned" list).
    pub project_ids: Option<Vec<String>>,
    pub state: Option<ChallengeState>,
    /// Pending with an answer due before this day (overdue).
    pub due_before: Option<NaiveDate>,
}

/// Challenges matching the filter, newest first, at most `limit`.
pub fn list_challenges(
    conn: &mut DbConnection,
    f: &ChallengeFilter,
    limit: i64,
) -> QueryResult<Vec<Challenge>> {
    use super::schema::projects;
    let mut q = challenges::table
        .inner_join(projects::table.on(projects::id.eq(challenges::project_id)))
        .select(challenges::all_columns)
        .into_boxed();
    if let Some(p) = &f.project_id {
        q = q.filter(challenges::project_id.eq(p.clone()));
    }
    if let Some(e) = &f.enterprise_id {
        q = q.filter(challenges::enterprise_id.eq(e.clone()));
    }
    if let Some(a) = &f.agency_id {
        q = q.filter(projects::agency_id.eq(a.clone()));
    }
    if let Some(ids) = &f.project_ids {
        q = q.filter(challenges::project_id.eq_any(ids.clone()));
    }
    if let Some(s) = f.state {
        q = q.filter(challenges::state.eq(s.as_str()));
    }
    if let Some(d) = f.due_before {
        q = q
            .filter(challenges::state.eq(ChallengeState::Pending.as_str()))
            .filter(challenges::answer_due.lt(d));
    }
    q.order(challenges::filed_at.desc()).limit(limit).load(conn)
}

/// Pending challenges of a project that concern a lot (or the whole project).
pub fn pending_challenges(
    conn: &mut DbConnection,
    project_id: &str,
    lot_id: Option<&str>,
) -> QueryResult<Vec<Challenge>> {
    let mut q = challenges::table
        .filter(challenges::project_id.eq(project_id))
        .filter(challenges::state.eq(ChallengeState::Pending.as_str()))
        .into_boxed();
    if let Some(lot) = lot_id {
        q = q.filter(
            challenges::lot_id
                .eq(lot.to_string())
                .or(challenges::lot_id.is_null()),
        );
    }
    q.order(challenges::filed_at.asc()).load(conn)
}

/// The challenges an enterprise filed on a project, any state.
pub fn challenges_by(
    conn: &mut DbConnection,
    project_id: &str,
    enterprise_id: &str,
) -> QueryResult<Vec<Challenge>> {
    challenges::table
        .filter(challenges::project_id.eq(project_id))
        .filter(challenges::enterprise_id.eq(enterprise_id))
        .order(challenges::filed_at.asc())
        .load(conn)
}

/// The projects an enterprise took part in: its bids (opened or in the clear), its sealed
/// bids (by bidder tag) and the procurement documents it obtained (by bidder tag).
pub fn projects_taken_part(
    conn: &mut DbConnection,
    enterprise_id: &str,
    tag: &str,
) -> QueryResult<Vec<String>> {
    use super::schema::{bids, documents_obtained, sealed_bids};
    let mut ids: Vec<String> = bids::table
        .filter(bids::supplier_id.eq(enterprise_id))
        .select(bids::project_id)
        .distinct()
        .load(conn)?;
    ids.extend(
        sealed_bids::table
            .filter(sealed_bids::bidder_tag.eq(tag))
            .select(sealed_bids::project_id)
            .distinct()
            .load::<String>(conn)?,
    );
    ids.extend(
        documents_obtained::table
            .filter(documents_obtained::bidder_tag.eq(tag))
            .select(documents_obtained::project_id)
            .distinct()
            .load::<String>(conn)?,
    );
    ids.sort();
    ids.dedup();
    Ok(ids)
}

// --- complaints ---------------------------------------------------------------------------

pub fn insert_complaint(conn: &mut DbConnection, c: &Complaint) -> QueryResult<()> {
    diesel::insert_into(complaints::table)
        .values(c.clone())
        .execute(conn)
        .map(|_| ())
}

pub fn update_complaint(conn: &mut DbConnection, c: &Complaint) -> QueryResult<()> {
    diesel::update(complaints::table.find(&c.id))
        .set(c.clone())
        .execute(conn)
        .map(|_| ())
}

pub fn find_complaint(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Complaint>> {
    complaints::table.find(id).first(conn).optional()
}

pub fn complaint_of_challenge(
    conn: &mut DbConnection,
    challenge_id: &str,
) -> QueryResult<Option<Complaint>> {
    complaints::table
        .filter(complaints::challenge_id.eq(challenge_id))
        .first(conn)
        .optional()
}

/// Which complaints a listing shows.
#[derive(Debug, Clone, Default)]
pub struct ComplaintFilter {
    pub project_id: Option<String>,
    pub enterprise_id: Option<String>,
    pub agency_id: Option<String>,
    pub state: Option<ComplaintState>,
}

pub fn list_complaints(
    conn: &mut DbConnection,
    f: &ComplaintFilter,
    limit: i64,
) -> QueryResult<Vec<Complaint>> {
    use super::schema::projects;
    let mut q = complaints::table
        .inner_join(projects::table.on(projects::id.eq(complaints::project_id)))
        .select(complaints::all_columns)
        .into_boxed();
    if let Some(p) = &f.project_id {
        q = q.filter(complaints::project_id.eq(p.clone()));
    }
    if let Some(e) = &f.enterprise_id {
        q = q.filter(complaints::enterprise_id.eq(e.clone()));
    }
    if let Some(a) = &f.agency_id {
        q = q.filter(projects::agency_id.eq(a.clone()));
    }
    if let Some(s) = f.state {
        q = q.filter(complaints::state.eq(s.as_str()));
    }
    q.order(complaints::filed_at.desc()).limit(limit).load(conn)
}

/// Accepted complaints of a project whose suspension is not lifted (the caller checks the days).
pub fn suspending_complaints(
    conn: &mut DbConnection,
    project_id: &str,
) -> QueryResult<Vec<Complaint>> {
    complaints::table
        .filter(complaints::project_id.eq(project_id))
        .filter(complaints::state.eq(ComplaintState::Accepted.as_str()))
        .filter(complaints::suspended_until.is_not_null())
        .filter(complaints::suspension_lifted_at.is_null())
        .load(conn)
}

// --- documents ----------------------------------------------------------------------------

pub fn insert_documents(conn: &mut DbConnection, rows: &[RemedyDocument]) -> QueryResult<()> {
    for r in rows {
        diesel::insert_into(remedy_documents::table)
            .values(r.clone())
            .execute(conn)?;
    }
    Ok(())
}

pub fn documents_of(
    conn: &mut DbConnection,
    owner: &str,
    owner_id: &str,
) -> QueryResult<Vec<RemedyDocument>> {
    remedy_documents::table
        .filter(remedy_documents::owner.eq(owner))
        .filter(remedy_documents::owner_id.eq(owner_id))
        .order(remedy_documents::created_at.asc())
        .then_order_by(remedy_documents::id.asc())
        .load(conn)
}

pub fn find_document(conn: &mut DbConnection, id: &str) -> QueryResult<Option<RemedyDocument>> {
    remedy_documents::table.find(id).first(conn).optional()
}

// --- award changes ------------------------------------------------------------------------

pub fn insert_award_change(conn: &mut DbConnection, c: &AwardChange) -> QueryResult<()> {
    diesel::insert_into(award_changes::table)
        .values(c.clone())
        .execute(conn)
        .map(|_| ())
}

/// The result notice that announced an award change.
pub fn set_award_change_notice(
    conn: &mut DbConnection,
    id: &str,
    notice_id: &str,
) -> QueryResult<()> {
    diesel::update(award_changes::table.find(id))
        .set(award_changes::notice_id.eq(Some(notice_id)))
        .execute(conn)
        .map(|_| ())
}

pub fn award_changes_of(conn: &mut DbConnection, lot_id: &str) -> QueryResult<Vec<AwardChange>> {
    award_changes::table
        .filter(award_changes::lot_id.eq(lot_id))
        .order(award_changes::at.asc())
        .then_order_by(award_changes::id.asc())
        .load(conn)
}

// --- debarments ---------------------------------------------------------------------------

pub fn insert_debarment(conn: &mut DbConnection, d: &Debarment) -> QueryResult<()> {
    diesel::insert_into(debarments::table)
        .values(d.clone())
        .execute(conn)
        .map(|_| ())
}

pub fn update_debarment(conn: &mut DbConnection, d: &Debarment) -> QueryResult<()> {
    diesel::update(debarments::table.find(&d.id))
        .set(d.clone())
        .execute(conn)
        .map(|_| ())
}

pub fn find_debarment(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Debarment>> {
    debarments::table.find(id).first(conn).optional()
}

/// Debarments in force on `day` of any of these enterprises (not lifted, from ≤ day ≤ until).
pub fn debarments_in_force(
    conn: &mut DbConnection,
    enterprise_ids: &[&str],
    day: NaiveDate,
) -> QueryResult<Vec<Debarment>> {
    debarments::table
        .filter(debarments::enterprise_id.eq_any(enterprise_ids))
        .filter(debarments::from_on.le(day))
        .filter(debarments::until_on.ge(day))
        .filter(debarments::lifted_at.is_null())
        .order(debarments::until_on.desc())
        .load(conn)
}

/// The list: in force on `day` (or every record when `all`), newest first.
pub fn list_debarments(
    conn: &mut DbConnection,
    day: NaiveDate,
    all: bool,
    limit: i64,
) -> QueryResult<Vec<Debarment>> {
    let mut q = debarments::table.into_boxed();
    if !all {
        q = q
            .filter(debarments::from_on.le(day))
            .filter(debarments::until_on.ge(day))
            .filter(debarments::lifted_at.is_null());
    }
    q.order(debarments::recorded_at.desc())
        .then_order_by(debarments::id.desc())
        .limit(limit)
        .load(conn)
}
