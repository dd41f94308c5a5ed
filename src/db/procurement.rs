//! Procurement records: projects, lots, notices, bids, scores, evaluation runs, contracts.
//! Plain rows and the queries the service layer (`crate::service::procurement`) needs.

use super::schema::{bids, contracts, evaluation_runs, lots, notices, projects, scores};
use super::DbConnection;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

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
    pub state: String,
    pub bid_deadline: Option<NaiveDateTime>,
    pub opening_at: Option<NaiveDateTime>,
    pub published_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
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
    pub state: String,
    pub awarded_bid_id: Option<String>,
    pub awarded_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Identifiable, Insertable, serde::Serialize)]
#[diesel(table_name = notices)]
pub struct Notice {
    pub id: String,
    pub project_id: String,
    pub kind: String,
    pub title: String,
    /// JSON: the notice's content as published.
    pub body: String,
    pub corrects_id: Option<String>,
    pub agency_id: String,
    pub region: String,
    pub category: String,
    pub category_code: String,
    pub reserved: bool,
    pub published_at: NaiveDateTime,
    /// SHA-256 of `body`.
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Identifiable, Insertable)]
#[diesel(table_name = bids)]
pub struct Bid {
    pub id: String,
    pub lot_id: String,
    pub project_id: String,
    pub supplier_id: String,
    pub state: String,
    pub price_fen: i64,
    /// The canonical bid (JSON) the receipt hashes.
    pub content: String,
    pub receipt_sha256: String,
    pub submitted_at: NaiveDateTime,
    pub closed_at: Option<NaiveDateTime>,
    pub qualified: Option<bool>,
    pub qualification_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Insertable, serde::Serialize)]
#[diesel(table_name = scores)]
pub struct Score {
    pub bid_id: String,
    pub evaluator: String,
    pub technical: i64,
    pub commercial: i64,
    pub entered_by: String,
    pub entered_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Identifiable, Insertable, serde::Serialize)]
#[diesel(table_name = evaluation_runs)]
pub struct EvaluationRun {
    pub id: String,
    pub lot_id: String,
    pub run_no: i32,
    pub reserved: bool,
    pub policy_id: String,
    pub policy_version: String,
    pub input_sha256: String,
    pub input: String,
    pub output: String,
    pub outcome: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Identifiable, Insertable, serde::Serialize)]
#[diesel(table_name = contracts)]
pub struct Contract {
    pub id: String,
    pub number: String,
    pub project_id: String,
    pub lot_id: String,
    pub bid_id: String,
    pub supplier_id: String,
    pub amount_fen: i64,
    pub signed_on: NaiveDate,
    pub sme_credit_fen: i64,
    pub small_micro_credit_fen: i64,
    /// JSON: how the credits were computed, party by party.
    pub credit_basis: String,
    pub status: String,
    pub created_at: NaiveDateTime,
}

pub fn find_project(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Project>> {
    projects::table.find(id).first(conn).optional()
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

pub fn find_bid(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Bid>> {
    bids::table.find(id).first(conn).optional()
}

/// An enterprise's bids (every state) with their projects' titles, newest first, at most
/// `limit`.
pub fn bids_of_supplier(
    conn: &mut DbConnection,
    supplier_id: &str,
    limit: i64,
) -> QueryResult<Vec<(Bid, String)>> {
    bids::table
        .inner_join(projects::table.on(projects::id.eq(bids::project_id)))
        .filter(bids::supplier_id.eq(supplier_id))
        .order(bids::id.desc())
        .limit(limit)
        .select((bids::all_columns, projects::title))
        .load(conn)
}

/// The submitted (not replaced, not withdrawn) bids of a lot, in id order.
pub fn submitted_bids(conn: &mut DbConnection, lot_id: &str) -> QueryResult<Vec<Bid>> {
    bids::table
        .filter(bids::lot_id.eq(lot_id))
        .filter(bids::state.eq("submitted"))
        .order(bids::id.asc())
        .load(conn)
}

/// The number of submitted bids per lot of a project (lots without bids are absent).
pub fn bid_counts(conn: &mut DbConnection, project_id: &str) -> QueryResult<Vec<(String, i64)>> {
    bids::table
        .filter(bids::project_id.eq(project_id))
        .filter(bids::state.eq("submitted"))
        .group_by(bids::lot_id)
        .select((bids::lot_id, diesel::dsl::count_star()))
        .load(conn)
}

pub fn scores_of_lot(conn: &mut DbConnection, lot_id: &str) -> QueryResult<Vec<Score>> {
    scores::table
        .inner_join(bids::table)
        .filter(bids::lot_id.eq(lot_id))
        .filter(bids::state.eq("submitted"))
        .select(scores::all_columns)
        .order((scores::bid_id.asc(), scores::evaluator.asc()))
        .load(conn)
}

pub fn runs_of(conn: &mut DbConnection, lot_id: &str) -> QueryResult<Vec<EvaluationRun>> {
    evaluation_runs::table
        .filter(evaluation_runs::lot_id.eq(lot_id))
        .order(evaluation_runs::run_no.asc())
        .load(conn)
}

pub fn latest_run(conn: &mut DbConnection, lot_id: &str) -> QueryResult<Option<EvaluationRun>> {
    evaluation_runs::table
        .filter(evaluation_runs::lot_id.eq(lot_id))
        .order(evaluation_runs::run_no.desc())
        .first(conn)
        .optional()
}

pub fn find_run(conn: &mut DbConnection, id: &str) -> QueryResult<Option<EvaluationRun>> {
    evaluation_runs::table.find(id).first(conn).optional()
}

pub fn notices_of(conn: &mut DbConnection, project_id: &str) -> QueryResult<Vec<Notice>> {
    notices::table
        .filter(notices::project_id.eq(project_id))
        .order((notices::published_at.asc(), notices::id.asc()))
        .load(conn)
}

pub fn find_notice(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Notice>> {
    notices::table.find(id).first(conn).optional()
}

pub fn contracts_of(conn: &mut DbConnection, project_id: &str) -> QueryResult<Vec<Contract>> {
    contracts::table
        .filter(contracts::project_id.eq(project_id))
        .order(contracts::number.asc())
        .load(conn)
}

pub fn find_contract(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Contract>> {
    contracts::table.find(id).first(conn).optional()
}

/// Filters of the public notice list.
#[derive(Debug, Clone, Default)]
pub struct NoticeFilter {
    pub region_prefix: Option<String>,
    pub category: Option<String>,
    pub category_code_prefix: Option<String>,
    pub agency_id: Option<String>,
    pub kind: Option<String>,
    pub from: Option<NaiveDateTime>,
    pub until: Option<NaiveDateTime>,
    pub reserved: Option<bool>,
    pub project_id: Option<String>,
}

fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 1);
    for ch in text.chars() {
        if matches!(ch, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('%');
    out
}

/// Newest first: (published_at, id) descending, after the keyset `after` when given.
pub fn list_notices(
    conn: &mut DbConnection,
    f: &NoticeFilter,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<Notice>> {
    let mut q = notices::table.into_boxed();
    if let Some(p) = &f.region_prefix {
        q = q.filter(notices::region.like(escape_like(p)).escape('\\'));
    }
    if let Some(c) = &f.category {
        q = q.filter(notices::category.eq(c.clone()));
    }
    if let Some(p) = &f.category_code_prefix {
        q = q.filter(notices::category_code.like(escape_like(p)).escape('\\'));
    }
    if let Some(a) = &f.agency_id {
        q = q.filter(notices::agency_id.eq(a.clone()));
    }
    if let Some(k) = &f.kind {
        q = q.filter(notices::kind.eq(k.clone()));
    }
    if let Some(t) = f.from {
        q = q.filter(notices::published_at.ge(t));
    }
    if let Some(t) = f.until {
        q = q.filter(notices::published_at.lt(t));
    }
    if let Some(r) = f.reserved {
        q = q.filter(notices::reserved.eq(r));
    }
    if let Some(p) = &f.project_id {
        q = q.filter(notices::project_id.eq(p.clone()));
    }
    if let Some((t, id)) = after {
        q = q.filter(
            notices::published_at
                .lt(t)
                .or(notices::published_at.eq(t).and(notices::id.lt(id))),
        );
    }
    q.order((notices::published_at.desc(), notices::id.desc()))
        .limit(limit)
        .load(conn)
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
        .filter(projects::state.ne("draft"))
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
    state: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<Project>> {
    let mut q = projects::table.into_boxed();
    if let Some(a) = agency_id {
        q = q.filter(projects::agency_id.eq(a.to_string()));
    }
    if let Some(s) = state {
        q = q.filter(projects::state.eq(s.to_string()));
    }
    if let Some(id) = after {
        q = q.filter(projects::id.lt(id.to_string()));
    }
    q.order(projects::id.desc()).limit(limit).load(conn)
}

/// Replaces one evaluator's scores for the given bids: a DELETE and a multi-row INSERT per 500
/// rows (row-by-row statements took 14 s for 10 000 bids on PostgreSQL).
pub fn replace_scores(conn: &mut DbConnection, rows: &[Score]) -> QueryResult<()> {
    for chunk in rows.chunks(500) {
        let Some(first) = chunk.first() else {
            continue;
        };
        let ids: Vec<&str> = chunk.iter().map(|r| r.bid_id.as_str()).collect();
        diesel::delete(
            scores::table
                .filter(scores::evaluator.eq(&first.evaluator))
                .filter(scores::bid_id.eq_any(&ids)),
        )
        .execute(conn)?;
        let insert = diesel::insert_into(scores::table).values(chunk);
        match conn {
            DbConnection::Sqlite(c) => insert.execute(c)?,
            DbConnection::Postgresql(c) => insert.execute(c)?,
        };
    }
    Ok(())
}

/// Records qualification results, grouping bids with the same result into one UPDATE per 500.
pub fn set_qualification(
    conn: &mut DbConnection,
    results: &[(String, bool, Option<String>)],
) -> QueryResult<()> {
    let mut groups: std::collections::BTreeMap<(bool, Option<&str>), Vec<&str>> =
        std::collections::BTreeMap::new();
    for (id, qualified, reason) in results {
        groups
            .entry((*qualified, reason.as_deref()))
            .or_default()
            .push(id.as_str());
    }
    for ((qualified, reason), ids) in groups {
        for chunk in ids.chunks(500) {
            diesel::update(bids::table.filter(bids::id.eq_any(chunk)))
                .set((
                    bids::qualified.eq(Some(qualified)),
                    bids::qualification_reason.eq(reason),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

type BidsOfProjects = diesel::dsl::InnerJoinOn<
    bids::table,
    projects::table,
    diesel::dsl::Eq<projects::id, bids::project_id>,
>;
type NotOpened = diesel::dsl::And<
    diesel::dsl::Eq<projects::state, &'static str>,
    diesel::dsl::Or<
        diesel::dsl::IsNull<projects::opening_at>,
        diesel::dsl::Gt<projects::opening_at, NaiveDateTime>,
    >,
>;
/// The query of [`sealed_bid_ids`].
pub type SealedBidIds =
    diesel::dsl::Select<diesel::dsl::Filter<BidsOfProjects, NotOpened>, bids::id>;

/// Ids of the bids whose project is not opened at `now` (published, opening time not reached):
/// a subquery for filters.
pub fn sealed_bid_ids(now: NaiveDateTime) -> SealedBidIds {
    bids::table
        .inner_join(projects::table.on(projects::id.eq(bids::project_id)))
        .filter(
            projects::state.eq("published").and(
                projects::opening_at
                    .is_null()
                    .or(projects::opening_at.gt(now)),
            ),
        )
        .select(bids::id)
}

/// Which of `ids` are bids still sealed at `now`.
pub fn sealed_among(
    conn: &mut DbConnection,
    ids: &[&str],
    now: NaiveDateTime,
) -> QueryResult<std::collections::HashSet<String>> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let found: Vec<String> = sealed_bid_ids(now)
        .filter(bids::id.eq_any(ids))
        .load(conn)?;
    Ok(found.into_iter().collect())
}

// --- writes -------------------------------------------------------------------------------

pub fn insert_project(conn: &mut DbConnection, p: &Project) -> QueryResult<usize> {
    diesel::insert_into(projects::table).values(p).execute(conn)
}

pub fn update_project(conn: &mut DbConnection, p: &Project) -> QueryResult<usize> {
    diesel::update(projects::table.find(&p.id))
        .set(p)
        .execute(conn)
}

/// A project's stored state and last change.
pub fn set_project_state(
    conn: &mut DbConnection,
    id: &str,
    state: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(projects::table.find(id))
        .set((projects::state.eq(state), projects::updated_at.eq(now)))
        .execute(conn)
}

pub fn touch_project(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(projects::table.find(id))
        .set(projects::updated_at.eq(now))
        .execute(conn)
}

pub fn insert_lot(conn: &mut DbConnection, lot: &Lot) -> QueryResult<usize> {
    diesel::insert_into(lots::table).values(lot).execute(conn)
}

pub fn delete_lots_of(conn: &mut DbConnection, project_id: &str) -> QueryResult<usize> {
    diesel::delete(lots::table.filter(lots::project_id.eq(project_id))).execute(conn)
}

pub fn set_lot_state(conn: &mut DbConnection, id: &str, state: &str) -> QueryResult<usize> {
    diesel::update(lots::table.find(id))
        .set(lots::state.eq(state))
        .execute(conn)
}

/// A lot after an evaluation run: its reservation (lifted or not) and its state.
pub fn set_lot_evaluated(
    conn: &mut DbConnection,
    id: &str,
    reserved: bool,
    reservation_lifted: bool,
    state: &str,
) -> QueryResult<usize> {
    diesel::update(lots::table.find(id))
        .set((
            lots::reserved.eq(reserved),
            lots::reservation_lifted.eq(reservation_lifted),
            lots::state.eq(state),
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
            lots::state.eq("awarded"),
            lots::awarded_bid_id.eq(Some(bid_id)),
            lots::awarded_at.eq(Some(now)),
        ))
        .execute(conn)
}

/// Lots of a project in one state.
pub fn count_lots_in_state(
    conn: &mut DbConnection,
    project_id: &str,
    state: &str,
) -> QueryResult<i64> {
    lots::table
        .filter(lots::project_id.eq(project_id))
        .filter(lots::state.eq(state))
        .count()
        .get_result(conn)
}

pub fn insert_notice(conn: &mut DbConnection, n: &Notice) -> QueryResult<usize> {
    diesel::insert_into(notices::table).values(n).execute(conn)
}

pub fn insert_bid(conn: &mut DbConnection, b: &Bid) -> QueryResult<usize> {
    diesel::insert_into(bids::table).values(b).execute(conn)
}

/// Closes a submitted bid (`replaced` or `withdrawn`); 0 when it was no longer submitted.
pub fn close_bid(
    conn: &mut DbConnection,
    id: &str,
    state: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(bids::table.find(id).filter(bids::state.eq("submitted")))
        .set((bids::state.eq(state), bids::closed_at.eq(Some(now))))
        .execute(conn)
}

pub fn scores_of_bid(conn: &mut DbConnection, bid_id: &str) -> QueryResult<Vec<Score>> {
    scores::table.filter(scores::bid_id.eq(bid_id)).load(conn)
}

pub fn insert_run(conn: &mut DbConnection, r: &EvaluationRun) -> QueryResult<usize> {
    diesel::insert_into(evaluation_runs::table)
        .values(r)
        .execute(conn)
}

pub fn insert_contract(conn: &mut DbConnection, c: &Contract) -> QueryResult<usize> {
    diesel::insert_into(contracts::table)
        .values(c)
        .execute(conn)
}
