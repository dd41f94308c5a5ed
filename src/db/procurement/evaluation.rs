//! Evaluation runs (each kept, the latest one counts) and contracts.

use super::*;
use crate::db::schema::{contracts, evaluation_runs};
use crate::db::DbConnection;
use chrono::{NaiveDate, NaiveDateTime};

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
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub status: ContractStatus,
    pub created_at: NaiveDateTime,
    /// Why a complaint's ruling voided it, and when.
    pub void_reason: Option<String>,
    pub voided_at: Option<NaiveDateTime>,
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

pub fn contracts_of(conn: &mut DbConnection, project_id: &str) -> QueryResult<Vec<Contract>> {
    contracts::table
        .filter(contracts::project_id.eq(project_id))
        .order(contracts::number.asc())
        .load(conn)
}

pub fn find_contract(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Contract>> {
    contracts::table.find(id).first(conn).optional()
}

/// The contracts with these ids (in no particular order; unknown ids are left out).
pub fn find_contracts(conn: &mut DbConnection, ids: &[&str]) -> QueryResult<Vec<Contract>> {
    crate::db::in_chunks(ids, |chunk| {
        contracts::table
            .filter(contracts::id.eq_any(chunk))
            .load(&mut *conn)
    })
}

pub fn insert_run(conn: &mut DbConnection, r: &EvaluationRun) -> QueryResult<usize> {
    diesel::insert_into(evaluation_runs::table)
        .values(r)
        .execute(conn)
}

pub fn insert_contract(conn: &mut DbConnection, c: &Contract) -> QueryResult<usize> {
    diesel::insert_into(contracts::table)
        .values(c.clone())
        .execute(conn)
}

/// Voids the signed contract(s) of a lot (a complaint's ruling): they stay on record with the
/// reason; answers them as they were.
pub fn void_signed_contracts(
    conn: &mut DbConnection,
    lot_id: &str,
    reason: &str,
    now: NaiveDateTime,
) -> QueryResult<Vec<Contract>> {
    let signed: Vec<Contract> = contracts::table
        .filter(contracts::lot_id.eq(lot_id))
        .filter(contracts::status.eq(ContractStatus::Signed.as_str()))
        .load(conn)?;
    for c in &signed {
        diesel::update(contracts::table.find(&c.id))
            .set((
                contracts::status.eq(ContractStatus::Void.as_str()),
                contracts::void_reason.eq(Some(reason)),
                contracts::voided_at.eq(Some(now)),
            ))
            .execute(conn)?;
    }
    Ok(signed)
}
