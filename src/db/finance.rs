//! Finance records: budget plans, subcontracts carried into contracts, and the ledger's
//! aggregate query. Payments are in `payments`.

use super::schema::{budget_plans, subcontracts};
use super::DbConnection;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable, Text};

#[derive(
    Debug, Clone, PartialEq, Eq, Queryable, Identifiable, Insertable, AsChangeset, serde::Serialize,
)]
#[diesel(table_name = budget_plans, treat_none_as_null = true)]
pub struct BudgetPlan {
    pub id: String,
    pub department_id: String,
    pub year: i32,
    pub total_budget_fen: i64,
    /// Hundredths of a percent point: 3000 = 30 %.
    pub reserved_pct: i64,
    pub small_micro_pct: i64,
    pub policy_id: String,
    pub below_minimum_reason: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Identifiable, Insertable, serde::Serialize)]
#[diesel(table_name = subcontracts)]
pub struct Subcontract {
    pub id: String,
    pub contract_id: String,
    pub enterprise_id: String,
    pub scale: String,
    pub share_pct: i64,
    pub amount_fen: i64,
    pub created_at: NaiveDateTime,
}

pub fn find_plan(
    conn: &mut DbConnection,
    department_id: &str,
    year: i32,
) -> QueryResult<Option<BudgetPlan>> {
    budget_plans::table
        .filter(budget_plans::department_id.eq(department_id))
        .filter(budget_plans::year.eq(year))
        .first(conn)
        .optional()
}

pub fn plans_of_year(conn: &mut DbConnection, year: i32) -> QueryResult<Vec<BudgetPlan>> {
    budget_plans::table
        .filter(budget_plans::year.eq(year))
        .order(budget_plans::department_id.asc())
        .load(conn)
}

pub fn subcontracts_of(
    conn: &mut DbConnection,
    contract_id: &str,
) -> QueryResult<Vec<Subcontract>> {
    subcontracts::table
        .filter(subcontracts::contract_id.eq(contract_id))
        .order(subcontracts::id.asc())
        .load(conn)
}

pub fn find_subcontract(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Subcontract>> {
    subcontracts::table.find(id).first(conn).optional()
}

/// One department's contracts in a year, summed (the ledger's core).
#[derive(Debug, Clone, QueryableByName)]
pub struct DepartmentTotals {
    #[diesel(sql_type = Text)]
    pub department_id: String,
    #[diesel(sql_type = BigInt)]
    pub contracts: i64,
    #[diesel(sql_type = BigInt)]
    pub amount_fen: i64,
    #[diesel(sql_type = BigInt)]
    pub sme_fen: i64,
    #[diesel(sql_type = BigInt)]
    pub small_micro_fen: i64,
}

/// Sums of contracts signed in [from, until) per department of the buying project (a contract
/// voided by a ruling counts for nothing); one statement, bound parameters, the same SQL on
/// both backends.
pub fn department_totals(
    conn: &mut DbConnection,
    from: NaiveDate,
    until: NaiveDate,
) -> QueryResult<Vec<DepartmentTotals>> {
    diesel::sql_query(
        "SELECT p.department_id AS department_id, CAST(COUNT(*) AS BIGINT) AS contracts, \
         CAST(SUM(c.amount_fen) AS BIGINT) AS amount_fen, \
         CAST(SUM(c.sme_credit_fen) AS BIGINT) AS sme_fen, \
         CAST(SUM(c.small_micro_credit_fen) AS BIGINT) AS small_micro_fen \
         FROM contracts c JOIN projects p ON p.id = c.project_id \
         WHERE c.signed_on >= $1 AND c.signed_on < $2 AND p.department_id IS NOT NULL \
         AND c.status <> 'void' \
         GROUP BY p.department_id ORDER BY p.department_id",
    )
    .bind::<Date, _>(from)
    .bind::<Date, _>(until)
    .load(conn)
}

/// The budgets of reserved lots in projects published in [from, until), per department; a lot
/// procured again in a new round counts once, as its latest round.
#[derive(Debug, Clone, QueryableByName)]
pub struct ReservedTotals {
    #[diesel(sql_type = Text)]
    pub department_id: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub reserved_fen: Option<i64>,
}

pub fn reserved_totals(
    conn: &mut DbConnection,
    from: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<Vec<ReservedTotals>> {
    diesel::sql_query(
        "SELECT p.department_id AS department_id, CAST(SUM(l.budget_fen) AS BIGINT) AS reserved_fen \
         FROM lots l JOIN projects p ON p.id = l.project_id \
         WHERE (l.reserved OR l.reservation_lifted) AND p.published_at >= $1 AND p.published_at < $2 \
         AND p.department_id IS NOT NULL \
         AND NOT EXISTS (SELECT 1 FROM lots n WHERE n.round_of = l.id) \
         GROUP BY p.department_id",
    )
    .bind::<diesel::sql_types::Timestamp, _>(from)
    .bind::<diesel::sql_types::Timestamp, _>(until)
    .load(conn)
}

// --- more reads and the writes ------------------------------------------------------------

/// (project id, project title, lot id, lot title, lot budget in fen, reservation lifted).
pub type ReservedLotRow = (String, String, String, String, i64, bool);

/// Lots reserved (or whose reservation was lifted) of a department's projects published in
/// `[from, until)`: project id and title, lot id and title, budget, lifted.
pub fn reserved_lots_of(
    conn: &mut DbConnection,
    department_id: &str,
    from: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<Vec<ReservedLotRow>> {
    use super::schema::{lots, projects};
    let next_round = diesel::alias!(lots as next_round);
    lots::table
        .inner_join(projects::table)
        .filter(projects::department_id.eq(department_id))
        .filter(projects::published_at.ge(from))
        .filter(projects::published_at.lt(until))
        .filter(lots::reserved.or(lots::reservation_lifted))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            next_round
                .filter(next_round.field(lots::round_of).eq(lots::id.nullable()))
                .select(next_round.field(lots::id)),
        )))
        .select((
            projects::id,
            projects::title,
            lots::id,
            lots::title,
            lots::budget_fen,
            lots::reservation_lifted,
        ))
        .order((projects::published_at.asc(), lots::number.asc()))
        .load(conn)
}

pub fn insert_plan(conn: &mut DbConnection, plan: &BudgetPlan) -> QueryResult<usize> {
    diesel::insert_into(budget_plans::table)
        .values(plan)
        .execute(conn)
}

pub fn update_plan(conn: &mut DbConnection, plan: &BudgetPlan) -> QueryResult<usize> {
    diesel::update(budget_plans::table.find(&plan.id))
        .set(plan)
        .execute(conn)
}

/// Contracts of a department's projects signed in `[from, until)`, by signing date.
pub fn contracts_of_department(
    conn: &mut DbConnection,
    department_id: &str,
    from: NaiveDate,
    until: NaiveDate,
) -> QueryResult<Vec<crate::db::procurement::Contract>> {
    use super::schema::{contracts, projects};
    contracts::table
        .inner_join(projects::table.on(projects::id.eq(contracts::project_id)))
        .filter(projects::department_id.eq(department_id))
        .filter(contracts::signed_on.ge(from))
        .filter(contracts::signed_on.lt(until))
        .filter(contracts::status.ne(crate::domain::lifecycle::ContractStatus::Void.as_str()))
        .select(contracts::all_columns)
        .order(contracts::signed_on.asc())
        .load(conn)
}

/// Projects with a reservation published in `[from, until)`, by publication.
pub fn reserved_projects_published(
    conn: &mut DbConnection,
    from: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<Vec<crate::db::procurement::Project>> {
    use super::schema::projects;
    projects::table
        .filter(projects::published_at.ge(from))
        .filter(projects::published_at.lt(until))
        .filter(projects::reservation.ne("none"))
        .order(projects::published_at.asc())
        .load(conn)
}

pub fn insert_subcontract(conn: &mut DbConnection, s: &Subcontract) -> QueryResult<usize> {
    diesel::insert_into(subcontracts::table)
        .values(s)
        .execute(conn)
}

/// The contract with this number whose supplier has this credit code.
pub fn contract_by_number_and_supplier(
    conn: &mut DbConnection,
    number: &str,
    credit_code: &str,
) -> QueryResult<Option<crate::db::procurement::Contract>> {
    use super::schema::{contracts, enterprises};
    contracts::table
        .inner_join(enterprises::table.on(enterprises::id.eq(contracts::supplier_id)))
        .filter(contracts::number.eq(number))
        .filter(enterprises::credit_code.eq(credit_code))
        .select(contracts::all_columns)
        .first(conn)
        .optional()
}
