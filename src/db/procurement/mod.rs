//! Procurement records: projects and lots here; bids and scores, notices, evaluation runs and
//! contracts beside them. Plain rows and the queries the service layer needs.

use super::schema::{lots, projects};
use super::DbConnection;
use crate::domain::lifecycle::{BidState, ContractStatus, LotState, NoticeKind, ProjectState};
use chrono::NaiveDateTime;
use diesel::prelude::*;

mod bidding;
mod board;
mod evaluation;
mod sealing;
pub use bidding::*;
pub use board::*;
pub use evaluation::*;
pub use sealing::*;

#[derive(
    Debug, Clone, PartialEq, Eq, Queryable, Identifiable, Insertable, AsChangeset, serde::Serialize,
)]
#[diesel(table_name = projects, treat_none_as_null = true)]
pub struct Project {
    pub id: String,
    pub agency_id: String,
    pub department_id: Option<String>,
    pub title: String,
    pub category: String,
    pub category_code: String,
    pub procurement_method: String,
    pub evaluation_method: String,
    pub policy_id: String,
    pub policy_version: Option<String>,
    pub reservation: String,
    pub reservation_reason: Option<String>,
    pub budget_fen: i64,
    /// JSON: the evaluation terms as given (weights and rates).
    pub terms: String,
    pub region: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub state: ProjectState,
    pub bid_deadline: Option<NaiveDateTime>,
    pub opening_at: Option<NaiveDateTime>,
    pub published_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// 项目编号: given by the agency, or numbered at publication.
    pub number: Option<String>,
    /// 品目名称, as the agency names it (the code's top level when not).
    pub category_name: Option<String>,
    /// 采购需求概况.
    pub requirements: Option<String>,
    /// 本项目的特定资格要求.
    pub qualification: Option<String>,
    /// 合同履行期限.
    pub contract_period: Option<String>,
    /// 开标地点.
    pub opening_place: Option<String>,
    /// 项目联系人 and telephone.
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    /// A new round (重新采购) of this project's failed lots.
    pub round_of: Option<String>,
}

#[derive(
    Debug, Clone, PartialEq, Eq, Queryable, Identifiable, Insertable, AsChangeset, serde::Serialize,
)]
#[diesel(table_name = lots, treat_none_as_null = true)]
pub struct Lot {
    pub id: String,
    pub project_id: String,
    pub number: i32,
    pub title: String,
    pub budget_fen: i64,
    pub reserved: bool,
    pub reservation_lifted: bool,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub state: LotState,
    pub awarded_bid_id: Option<String>,
    pub awarded_at: Option<NaiveDateTime>,
    /// 最高限价 (fen), when set.
    pub max_price_fen: Option<i64>,
    /// The failed lot this one procures again (a new round).
    pub round_of: Option<String>,
    /// Why the lot was terminated (终止) or failed by a ruling; its time.
    pub termination_reason: Option<String>,
    pub terminated_at: Option<NaiveDateTime>,
}

pub fn find_project(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Project>> {
    projects::table.find(id).first(conn).optional()
}

/// The projects with these ids (in no particular order; unknown ids are left out).
pub fn find_projects(conn: &mut DbConnection, ids: &[&str]) -> QueryResult<Vec<Project>> {
    crate::db::in_chunks(ids, |chunk| {
        projects::table
            .filter(projects::id.eq_any(chunk))
            .load(&mut *conn)
    })
}

pub fn lots_of(conn: &mut DbConnection, project_id: &str) -> QueryResult<Vec<Lot>> {
    lots::table
        .filter(lots::project_id.eq(project_id))
        .order(lots::number.asc())
        .load(conn)
}

pub fn find_lot(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Lot>> {
    lots::table.find(id).first(conn).optional()
}

/// Published projects whose last change falls in [from, until), oldest first, after the keyset.
pub fn projects_changed(
    conn: &mut DbConnection,
    from: Option<NaiveDateTime>,
    until: Option<NaiveDateTime>,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<Project>> {
    let mut q = projects::table
        .filter(projects::state.ne(ProjectState::Draft.as_str()))
        .into_boxed();
    if let Some(t) = from {
        q = q.filter(projects::updated_at.ge(t));
    }
    if let Some(t) = until {
        q = q.filter(projects::updated_at.lt(t));
    }
    if let Some((t, id)) = after {
        q = q.filter(
            projects::updated_at
                .gt(t)
                .or(projects::updated_at.eq(t).and(projects::id.gt(id))),
        );
    }
    q.order((projects::updated_at.asc(), projects::id.asc()))
        .limit(limit)
        .load(conn)
}

/// Projects an agency sees in its workspace (all agencies when `agency_id` is None).
pub fn list_projects(
    conn: &mut DbConnection,
    agency_id: Option<&str>,
    state: Option<ProjectState>,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<Project>> {
    let mut q = projects::table.into_boxed();
    if let Some(a) = agency_id {
        q = q.filter(projects::agency_id.eq(a.to_string()));
    }
    if let Some(s) = state {
        q = q.filter(projects::state.eq(s.as_str()));
    }
    if let Some(id) = after {
        q = q.filter(projects::id.lt(id.to_string()));
    }
    q.order(projects::id.desc()).limit(limit).load(conn)
}

pub fn insert_project(conn: &mut DbConnection, p: &Project) -> QueryResult<usize> {
    diesel::insert_into(projects::table)
        .values(p.clone())
        .execute(conn)
}

pub fn update_project(conn: &mut DbConnection, p: &Project) -> QueryResult<usize> {
    diesel::update(projects::table.find(&p.id))
        .set(p.clone())
        .execute(conn)
}

/// A project's stored state and last change.
pub fn set_project_state(
    conn: &mut DbConnection,
    id: &str,
    state: ProjectState,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(projects::table.find(id))
        .set((
            projects::state.eq(state.as_str()),
            projects::updated_at.eq(now),
        ))
        .execute(conn)
}

pub fn touch_project(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(projects::table.find(id))
        .set(projects::updated_at.eq(now))
        .execute(conn)
}

pub fn insert_lot(conn: &mut DbConnection, lot: &Lot) -> QueryResult<usize> {
    diesel::insert_into(lots::table)
        .values(lot.clone())
        .execute(conn)
}

pub fn delete_lots_of(conn: &mut DbConnection, project_id: &str) -> QueryResult<usize> {
    diesel::delete(lots::table.filter(lots::project_id.eq(project_id))).execute(conn)
}

pub fn set_lot_state(conn: &mut DbConnection, id: &str, state: LotState) -> QueryResult<usize> {
    diesel::update(lots::table.find(id))
        .set(lots::state.eq(state.as_str()))
        .execute(conn)
}

/// A lot after an evaluation run: its reservation (lifted or not) and its state.
pub fn set_lot_evaluated(
    conn: &mut DbConnection,
    id: &str,
    reserved: bool,
    reservation_lifted: bool,
    state: LotState,
) -> QueryResult<usize> {
    diesel::update(lots::table.find(id))
        .set((
            lots::reserved.eq(reserved),
            lots::reservation_lifted.eq(reservation_lifted),
            lots::state.eq(state.as_str()),
        ))
        .execute(conn)
}

pub fn award_lot(
    conn: &mut DbConnection,
    id: &str,
    bid_id: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(lots::table.find(id))
        .set((
            lots::state.eq(LotState::Awarded.as_str()),
            lots::awarded_bid_id.eq(Some(bid_id)),
            lots::awarded_at.eq(Some(now)),
        ))
        .execute(conn)
}

/// A lot's outcome changed after the fact: its state, no award, and when it ended (终止 or a
/// ruling) its reason and time.
pub fn set_lot_outcome(
    conn: &mut DbConnection,
    id: &str,
    state: LotState,
    ended: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(lots::table.find(id))
        .set((
            lots::state.eq(state.as_str()),
            lots::awarded_bid_id.eq(None::<String>),
            lots::awarded_at.eq(None::<NaiveDateTime>),
            lots::termination_reason.eq(ended),
            lots::terminated_at.eq(ended.map(|_| now)),
        ))
        .execute(conn)
}

/// Projects whose number starts with `prefix`.
pub fn count_numbered(conn: &mut DbConnection, prefix: &str) -> QueryResult<i64> {
    projects::table
        .filter(projects::number.like(format!("{prefix}%")))
        .count()
        .get_result(conn)
}

/// Whether another project than `id` has this number.
pub fn number_taken_by_other(conn: &mut DbConnection, number: &str, id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        projects::table
            .filter(projects::number.eq(number))
            .filter(projects::id.ne(id)),
    ))
    .get_result(conn)
}

pub fn number_taken(conn: &mut DbConnection, number: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        projects::table.filter(projects::number.eq(number)),
    ))
    .get_result(conn)
}

/// The lot of a later round that procures this one again.
pub fn next_round_of_lot(conn: &mut DbConnection, lot_id: &str) -> QueryResult<Option<Lot>> {
    lots::table
        .filter(lots::round_of.eq(lot_id))
        .first(conn)
        .optional()
}

/// The projects that procure this one's failed lots again, oldest first.
pub fn rounds_of_project(conn: &mut DbConnection, project_id: &str) -> QueryResult<Vec<String>> {
    projects::table
        .filter(projects::round_of.eq(project_id))
        .order(projects::created_at.asc())
        .select(projects::id)
        .load(conn)
}

/// Lots of a project in one state.
pub fn count_lots_in_state(
    conn: &mut DbConnection,
    project_id: &str,
    state: LotState,
) -> QueryResult<i64> {
    lots::table
        .filter(lots::project_id.eq(project_id))
        .filter(lots::state.eq(state.as_str()))
        .count()
        .get_result(conn)
}
