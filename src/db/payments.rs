//! Payment schedules, their instalments and payments, the SMEs' reports of unpaid instalments
//! and the documents of both (docs/payments.md).

use super::schema::{
    contracts, instalment_payments, instalments, payment_documents, payment_reports,
    payment_schedules, projects,
};
use super::DbConnection;
use crate::domain::payments::{InstalmentKind, Trigger};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

#[derive(
    Debug, Clone, PartialEq, Eq, Queryable, Identifiable, Insertable, AsChangeset, serde::Serialize,
)]
#[diesel(table_name = payment_schedules, treat_none_as_null = true)]
pub struct Schedule {
    pub id: String,
    pub contract_id: String,
    pub subcontract_id: Option<String>,
    pub payable_id: String,
    pub payer: String,
    pub payee_id: String,
    pub payee_scale: String,
    pub regime: Option<String>,
    pub interest_basis: String,
    pub interest_rate_e4: i64,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(
    Debug, Clone, PartialEq, Eq, Queryable, Identifiable, Insertable, AsChangeset, serde::Serialize,
)]
#[diesel(table_name = instalments, treat_none_as_null = true)]
pub struct Instalment {
    pub id: String,
    pub schedule_id: String,
    pub number: i32,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub kind: InstalmentKind,
    pub description: String,
    pub amount_fen: i64,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub runs_from: Trigger,
    pub term_days: Option<i32>,
    pub acceptance_days: Option<i32>,
    pub warranty_days: Option<i32>,
    pub fixed_due_on: Option<NaiveDate>,
    pub delivered_on: Option<NaiveDate>,
    pub accepted_on: Option<NaiveDate>,
    /// passed | failed
    pub acceptance_result: Option<String>,
    pub milestone_note: Option<String>,
    pub milestone_by: Option<String>,
    pub milestone_at: Option<NaiveDateTime>,
    pub confirmed_by: Option<String>,
    pub confirmed_at: Option<NaiveDateTime>,
    pub disputed_by: Option<String>,
    pub disputed_at: Option<NaiveDateTime>,
    pub dispute_reason: Option<String>,
    /// Kept by every write: the due date once known, the day paid in full.
    pub due_on: Option<NaiveDate>,
    pub settled_on: Option<NaiveDate>,
}

#[derive(
    Debug, Clone, PartialEq, Eq, Queryable, Identifiable, Insertable, AsChangeset, serde::Serialize,
)]
#[diesel(table_name = instalment_payments, treat_none_as_null = true)]
pub struct InstalmentPayment {
    pub id: String,
    pub instalment_id: String,
    pub amount_fen: i64,
    pub paid_on: NaiveDate,
    pub reference: String,
    pub recorded_by: String,
    pub recorded_at: NaiveDateTime,
    pub confirmed_by: Option<String>,
    pub confirmed_at: Option<NaiveDateTime>,
}

#[derive(
    Debug, Clone, PartialEq, Eq, Queryable, Identifiable, Insertable, AsChangeset, serde::Serialize,
)]
#[diesel(table_name = payment_reports, treat_none_as_null = true)]
pub struct PaymentReport {
    pub id: String,
    pub instalment_id: String,
    pub enterprise_id: String,
    pub body: String,
    pub filed_by: String,
    pub filed_at: NaiveDateTime,
    pub closed_by: Option<String>,
    pub closed_at: Option<NaiveDateTime>,
    pub closing_note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Insertable, serde::Serialize)]
#[diesel(table_name = payment_documents)]
pub struct PaymentDocument {
    pub id: String,
    /// milestone | report
    pub owner: String,
    pub owner_id: String,
    pub contract_id: String,
    pub filename: String,
    pub media_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub location: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

pub fn find_schedule(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Schedule>> {
    payment_schedules::table.find(id).first(conn).optional()
}

/// The schedule of a contract (the agency's payments) or a subcontract (the prime's).
pub fn schedule_of(conn: &mut DbConnection, payable_id: &str) -> QueryResult<Option<Schedule>> {
    payment_schedules::table
        .filter(payment_schedules::payable_id.eq(payable_id))
        .first(conn)
        .optional()
}

/// Every schedule of a contract: its own and its subcontracts'.
pub fn schedules_of_contract(
    conn: &mut DbConnection,
    contract_id: &str,
) -> QueryResult<Vec<Schedule>> {
    payment_schedules::table
        .filter(payment_schedules::contract_id.eq(contract_id))
        .order(payment_schedules::id.asc())
        .load(conn)
}

pub fn insert_schedule(conn: &mut DbConnection, s: &Schedule) -> QueryResult<usize> {
    diesel::insert_into(payment_schedules::table)
        .values(s)
        .execute(conn)
}

pub fn update_schedule(conn: &mut DbConnection, s: &Schedule) -> QueryResult<usize> {
    diesel::update(payment_schedules::table.find(&s.id))
        .set(s)
        .execute(conn)
}

pub fn find_instalment(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Instalment>> {
    instalments::table.find(id).first(conn).optional()
}

pub fn instalments_of(conn: &mut DbConnection, schedule_id: &str) -> QueryResult<Vec<Instalment>> {
    instalments::table
        .filter(instalments::schedule_id.eq(schedule_id))
        .order(instalments::number.asc())
        .load(conn)
}

pub fn insert_instalments(conn: &mut DbConnection, rows: &[Instalment]) -> QueryResult<usize> {
    let mut n = 0;
    for r in rows {
        n += diesel::insert_into(instalments::table)
            .values(r.clone())
            .execute(conn)?;
    }
    Ok(n)
}

pub fn delete_instalments_of(conn: &mut DbConnection, schedule_id: &str) -> QueryResult<usize> {
    diesel::delete(instalments::table.filter(instalments::schedule_id.eq(schedule_id)))
        .execute(conn)
}

pub fn update_instalment(conn: &mut DbConnection, i: &Instalment) -> QueryResult<usize> {
    diesel::update(instalments::table.find(&i.id))
        .set(i.clone())
        .execute(conn)
}

/// The payments of these instalments, oldest first (by 500 instalments a query).
pub fn payments_of(
    conn: &mut DbConnection,
    instalment_ids: &[String],
) -> QueryResult<Vec<InstalmentPayment>> {
    let ids: Vec<&str> = instalment_ids.iter().map(String::as_str).collect();
    let mut out = super::in_chunks(&ids, |chunk| {
        instalment_payments::table
            .filter(instalment_payments::instalment_id.eq_any(chunk))
            .load::<InstalmentPayment>(&mut *conn)
    })?;
    out.sort_by(|a, b| (a.paid_on, a.recorded_at, &a.id).cmp(&(b.paid_on, b.recorded_at, &b.id)));
    Ok(out)
}

pub fn find_payment(conn: &mut DbConnection, id: &str) -> QueryResult<Option<InstalmentPayment>> {
    instalment_payments::table.find(id).first(conn).optional()
}

pub fn insert_payment(conn: &mut DbConnection, p: &InstalmentPayment) -> QueryResult<usize> {
    diesel::insert_into(instalment_payments::table)
        .values(p)
        .execute(conn)
}

pub fn update_payment(conn: &mut DbConnection, p: &InstalmentPayment) -> QueryResult<usize> {
    diesel::update(instalment_payments::table.find(&p.id))
        .set(p)
        .execute(conn)
}

/// An instalment with what the oversight views group it by.
#[derive(Debug, Clone, Queryable)]
pub struct Located {
    pub instalment: Instalment,
    pub schedule: Schedule,
    pub contract_number: String,
    pub project_id: String,
    pub department_id: Option<String>,
    pub agency_id: String,
}

/// Instalments overdue on `day`: due before it and not paid in full by it. A disputed one is
/// held (802号 Art. 15) and not listed.
pub fn overdue_on(conn: &mut DbConnection, day: NaiveDate) -> QueryResult<Vec<Located>> {
    instalments::table
        .inner_join(payment_schedules::table)
        .inner_join(contracts::table.on(contracts::id.eq(payment_schedules::contract_id)))
        .inner_join(projects::table.on(projects::id.eq(contracts::project_id)))
        .filter(instalments::due_on.lt(day))
        .filter(
            instalments::settled_on
                .is_null()
                .or(instalments::settled_on.gt(day)),
        )
        .filter(instalments::disputed_at.is_null())
        .filter(contracts::status.ne("void"))
        .select((
            instalments::all_columns,
            payment_schedules::all_columns,
            contracts::number,
            projects::id,
            projects::department_id,
            projects::agency_id,
        ))
        .order((instalments::due_on.asc(), instalments::id.asc()))
        .load(conn)
}

/// Subcontract instalments to flag on `day`: due before it and not settled by it (not
/// disputed), or with a payment the SME has not confirmed.
pub fn subcontract_instalments_to_flag(
    conn: &mut DbConnection,
    day: NaiveDate,
) -> QueryResult<Vec<(Instalment, Schedule)>> {
    let unconfirmed = instalment_payments::table
        .filter(instalment_payments::confirmed_at.is_null())
        .select(instalment_payments::instalment_id);
    instalments::table
        .inner_join(payment_schedules::table)
        .filter(payment_schedules::subcontract_id.is_not_null())
        .filter(
            instalments::due_on
                .lt(day)
                .and(instalments::settled_on.is_null())
                .and(instalments::disputed_at.is_null())
                .or(instalments::id.eq_any(unconfirmed)),
        )
        .select((instalments::all_columns, payment_schedules::all_columns))
        .order((instalments::due_on.asc(), instalments::id.asc()))
        .load(conn)
}

/// The schedules that pay `enterprise_id` (its receivables), newest first.
pub fn schedules_of_payee(
    conn: &mut DbConnection,
    enterprise_id: &str,
) -> QueryResult<Vec<Schedule>> {
    payment_schedules::table
        .filter(payment_schedules::payee_id.eq(enterprise_id))
        .order((
            payment_schedules::created_at.desc(),
            payment_schedules::id.asc(),
        ))
        .load(conn)
}

pub fn insert_report(conn: &mut DbConnection, r: &PaymentReport) -> QueryResult<usize> {
    diesel::insert_into(payment_reports::table)
        .values(r)
        .execute(conn)
}

pub fn update_report(conn: &mut DbConnection, r: &PaymentReport) -> QueryResult<usize> {
    diesel::update(payment_reports::table.find(&r.id))
        .set(r)
        .execute(conn)
}

pub fn find_report(conn: &mut DbConnection, id: &str) -> QueryResult<Option<PaymentReport>> {
    payment_reports::table.find(id).first(conn).optional()
}

/// Reports, open ones first then newest; of one enterprise when given.
/// Whose payment reports to read.
#[derive(Debug, Clone, Copy)]
pub enum ReportsOf<'a> {
    All,
    /// Filed by this SME (the payee).
    Payee(&'a str),
    /// Against this prime: reports on its subcontracts' instalments.
    Prime(&'a str),
}

/// Payment reports, open ones first, newest first (at most 500).
pub fn reports(
    conn: &mut DbConnection,
    of: ReportsOf<'_>,
    open_only: bool,
) -> QueryResult<Vec<PaymentReport>> {
    use super::schema::contracts;
    let mut q = payment_reports::table
        .inner_join(instalments::table.inner_join(payment_schedules::table))
        .inner_join(contracts::table.on(contracts::id.eq(payment_schedules::contract_id)))
        .select(payment_reports::all_columns)
        .into_boxed();
    match of {
        ReportsOf::All => {}
        ReportsOf::Payee(e) => q = q.filter(payment_reports::enterprise_id.eq(e.to_string())),
        ReportsOf::Prime(e) => {
            q = q
                .filter(payment_schedules::subcontract_id.is_not_null())
                .filter(contracts::supplier_id.eq(e.to_string()));
        }
    }
    if open_only {
        q = q.filter(payment_reports::closed_at.is_null());
    }
    q.order((
        payment_reports::closed_at.is_not_null(),
        payment_reports::filed_at.desc(),
        payment_reports::id.asc(),
    ))
    .limit(500)
    .load(conn)
}

pub fn open_reports_of(
    conn: &mut DbConnection,
    instalment_id: &str,
) -> QueryResult<Vec<PaymentReport>> {
    payment_reports::table
        .filter(payment_reports::instalment_id.eq(instalment_id))
        .filter(payment_reports::closed_at.is_null())
        .load(conn)
}

pub fn insert_documents(conn: &mut DbConnection, rows: &[PaymentDocument]) -> QueryResult<usize> {
    let mut n = 0;
    for r in rows {
        n += diesel::insert_into(payment_documents::table)
            .values(r)
            .execute(conn)?;
    }
    Ok(n)
}

/// The documents of these owners (`milestone` instalments or `report`s), oldest first.
pub fn documents_of(
    conn: &mut DbConnection,
    owner: &str,
    owner_ids: &[&str],
) -> QueryResult<Vec<PaymentDocument>> {
    let mut out = super::in_chunks(owner_ids, |chunk| {
        payment_documents::table
            .filter(payment_documents::owner.eq(owner))
            .filter(payment_documents::owner_id.eq_any(chunk))
            .load::<PaymentDocument>(&mut *conn)
    })?;
    out.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    Ok(out)
}

pub fn find_document(conn: &mut DbConnection, id: &str) -> QueryResult<Option<PaymentDocument>> {
    payment_documents::table.find(id).first(conn).optional()
}

/// The subcontracts of the contracts `supplier_id` won (it pays them), newest contract first,
/// with the contract's number.
pub fn subcontracts_of_prime(
    conn: &mut DbConnection,
    supplier_id: &str,
) -> QueryResult<Vec<(crate::db::finance::Subcontract, String)>> {
    use super::schema::{contracts, subcontracts};
    subcontracts::table
        .inner_join(contracts::table.on(contracts::id.eq(subcontracts::contract_id)))
        .filter(contracts::supplier_id.eq(supplier_id))
        .order((contracts::created_at.desc(), subcontracts::id.asc()))
        .select((subcontracts::all_columns, contracts::number))
        .load(conn)
}
