//! Paying SMEs on time (保障中小企业款项支付条例; docs/payments.md): a payment schedule per
//! contract (the agency pays its supplier) and per subcontract (the prime pays its SME), the
//! payer's records of delivery, acceptance and payment, the payee's confirmation or dispute,
//! overdue instalments with their late interest, the SMEs' reports of unpaid instalments and
//! the finance department's oversight. One machinery for both payers; the terms that bind each
//! are data (`domain/payments/terms.toml`).
//!
//! Every write is one transaction with its audit event and keeps the instalment's due date and
//! settlement day (the overdue queries read them); a refusal changes nothing.

pub mod milestones;
pub mod oversight;
pub mod record;
pub mod reports;
pub mod schedules;

use crate::db::payments::{self as repo, Instalment, InstalmentPayment, PaymentDocument, Schedule};
use crate::db::procurement::{self as procurement_repo, Contract, Project};
use crate::db::DbConnection;
use crate::domain::payments::{
    self as rules, AcceptanceResult, DailyRate, InstalmentTerms, InterestBasis, Milestones,
    Standing,
};
use crate::domain::Fen;
use crate::error::{Error, Result};
use crate::service::procurement::documents::StoredDocument;
use crate::service::Actor;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

pub use crate::service::calendar::today;

/// At most this many files with one record or report.
pub const MAX_DOCUMENTS: usize = 20;

/// Which side of a schedule someone is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The agency (its project's managers) or the prime (its supplier users).
    Payer,
    /// The supplier paid.
    Payee,
}

/// A schedule with the contract and project that decide who may act on it.
#[derive(Debug, Clone)]
pub struct Context {
    pub schedule: Schedule,
    pub contract: Contract,
    pub project: Project,
}

impl Context {
    pub fn load(conn: &mut DbConnection, schedule: Schedule) -> Result<Context> {
        let contract = procurement_repo::find_contract(conn, &schedule.contract_id)?
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("schedule without a contract")))?;
        let project = procurement_repo::find_project(conn, &contract.project_id)?
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("contract without a project")))?;
        Ok(Context {
            schedule,
            contract,
            project,
        })
    }

    /// The schedule of an instalment, with the instalment.
    pub fn of_instalment(conn: &mut DbConnection, id: &str) -> Result<(Context, Instalment)> {
        let not_found = || Error::NotFound(format!("no instalment with id {id}"));
        let i = repo::find_instalment(conn, id)?.ok_or_else(not_found)?;
        let s = repo::find_schedule(conn, &i.schedule_id)?.ok_or_else(not_found)?;
        Ok((Context::load(conn, s)?, i))
    }

    /// The agency pays (no subcontract) or the prime does.
    pub fn agency_pays(&self) -> bool {
        self.schedule.subcontract_id.is_none()
    }

    /// The side `actor` is on, if any.
    pub fn side(&self, actor: &Actor<'_>) -> Option<Side> {
        let enterprise = actor.enterprise_id();
        if enterprise == Some(self.schedule.payee_id.as_str()) {
            return Some(Side::Payee);
        }
        let payer = if self.agency_pays() {
            actor.manages(&self.project)
        } else {
            enterprise == Some(self.contract.supplier_id.as_str())
        };
        payer.then_some(Side::Payer)
    }

    /// The parties, the project's staff, auditors, the finance department and admins.
    pub fn readable_by(&self, actor: &Actor<'_>) -> bool {
        self.side(actor).is_some() || actor.is_staff_of(&self.project)
    }

    /// Refuses a reader who may not see the schedule (404) or is not on `side` (403).
    pub fn require(&self, actor: &Actor<'_>, side: Side, what: &str) -> Result<()> {
        if !self.readable_by(actor) {
            return Err(Error::NotFound("no such payment schedule".into()));
        }
        if self.side(actor) == Some(side) {
            return Ok(());
        }
        let who = match (side, self.agency_pays()) {
            (Side::Payer, true) => "the project's agency",
            (Side::Payer, false) => "the prime contractor",
            (Side::Payee, _) => "the supplier paid",
        };
        Err(Error::Forbidden(format!("only {who} {what}").into()))
    }

    /// How late interest is counted (none for a value no longer known).
    pub fn basis(&self) -> InterestBasis {
        self.schedule
            .interest_basis
            .parse()
            .unwrap_or(InterestBasis::None)
    }

    pub fn rate(&self) -> DailyRate {
        DailyRate::of(self.basis(), self.schedule.interest_rate_e4)
    }

    pub fn milestones(&self, i: &Instalment) -> Milestones {
        Milestones {
            signed_on: self.contract.signed_on,
            delivered_on: i.delivered_on,
            accepted: i.accepted_on.zip(
                i.acceptance_result
                    .as_deref()
                    .and_then(|r| r.parse::<AcceptanceResult>().ok()),
            ),
        }
    }
}

fn days(v: Option<i32>) -> Option<u32> {
    v.and_then(|d| u32::try_from(d).ok())
}

pub fn terms_of(i: &Instalment) -> InstalmentTerms {
    InstalmentTerms {
        trigger: i.runs_from,
        term_days: days(i.term_days),
        acceptance_days: days(i.acceptance_days),
        warranty_days: days(i.warranty_days),
        due_on: i.fixed_due_on,
    }
}

/// Payments grouped by their instalment.
pub fn by_instalment(
    payments: Vec<InstalmentPayment>,
) -> std::collections::HashMap<String, Vec<InstalmentPayment>> {
    let mut out: std::collections::HashMap<String, Vec<InstalmentPayment>> =
        std::collections::HashMap::new();
    for p in payments {
        out.entry(p.instalment_id.clone()).or_default().push(p);
    }
    out
}

/// A schedule's instalments in number order, each with its own payments.
pub fn instalments_with_payments(
    conn: &mut DbConnection,
    schedule_id: &str,
) -> Result<Vec<(Instalment, Vec<InstalmentPayment>)>> {
    let rows = repo::instalments_of(conn, schedule_id)?;
    let ids: Vec<String> = rows.iter().map(|i| i.id.clone()).collect();
    let mut payments = by_instalment(repo::payments_of(conn, &ids)?);
    Ok(rows
        .into_iter()
        .map(|i| {
            let own = payments.remove(&i.id).unwrap_or_default();
            (i, own)
        })
        .collect())
}

/// A required code of an input, one of `all`: the problem of `field` when missing or unknown.
pub(crate) fn one_of<T>(
    value: Option<&str>,
    field: &str,
    all: &[T],
    problems: &mut Vec<crate::wire::FieldProblem>,
) -> Option<T>
where
    T: std::str::FromStr + std::fmt::Display,
{
    let value = value.map(str::trim).filter(|v| !v.is_empty());
    let Some(v) = value else {
        problems.push(crate::wire::fields::required(field));
        return None;
    };
    let parsed = v.parse::<T>().ok();
    if parsed.is_none() {
        let known: Vec<String> = all.iter().map(ToString::to_string).collect();
        problems.push(crate::wire::fields::coded(
            field,
            "problem.one_of",
            vec![("known", known.join(", "))],
        ));
    }
    parsed
}

fn dated(payments: &[InstalmentPayment]) -> Vec<(NaiveDate, i64)> {
    payments.iter().map(|p| (p.paid_on, p.amount_fen)).collect()
}

/// An instalment's standing on `day`, from its row and its payments.
pub fn standing_of(
    ctx: &Context,
    i: &Instalment,
    payments: &[InstalmentPayment],
    day: NaiveDate,
) -> Standing {
    let due = rules::due(&terms_of(i), &ctx.milestones(i));
    rules::standing(
        i.amount_fen,
        due,
        &dated(payments),
        i.disputed_at.is_some(),
        ctx.rate(),
        day,
    )
}

/// Keeps the row's due date and settlement day in step with its terms, milestones and
/// payments (inside the caller's transaction).
pub(crate) fn refresh(
    conn: &mut DbConnection,
    ctx: &Context,
    i: &mut Instalment,
) -> Result<Vec<InstalmentPayment>> {
    let payments = repo::payments_of(conn, std::slice::from_ref(&i.id))?;
    i.due_on = rules::due(&terms_of(i), &ctx.milestones(i)).date();
    i.settled_on = rules::settled_on(i.amount_fen, &dated(&payments));
    repo::update_instalment(conn, i)?;
    Ok(payments)
}

/// A file of a delivery or acceptance record or of a report, as listed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PaymentDocumentView {
    pub id: String,
    /// milestone | report
    pub owner: String,
    pub filename: String,
    pub media_type: String,
    pub size_bytes: u64,
    /// SHA-256 (hex), checked again on the way out.
    pub sha256: String,
    pub url: String,
    pub created_at: DateTime<Utc>,
}

pub fn document_view(d: &PaymentDocument) -> PaymentDocumentView {
    PaymentDocumentView {
        id: d.id.clone(),
        owner: d.owner.clone(),
        filename: d.filename.clone(),
        media_type: d.media_type.clone(),
        size_bytes: u64::try_from(d.size_bytes).unwrap_or_default(),
        sha256: d.sha256.clone(),
        url: format!("/api/v1/payment-documents/{}", d.id),
        created_at: d.created_at.and_utc(),
    }
}

/// Keeps uploaded files as the documents of a record or report (inside the caller's
/// transaction).
pub(crate) fn keep_documents(
    conn: &mut DbConnection,
    actor: &Actor<'_>,
    owner: &str,
    owner_id: &str,
    contract_id: &str,
    docs: &[StoredDocument],
    now: chrono::NaiveDateTime,
) -> Result<()> {
    if docs.len() > MAX_DOCUMENTS {
        return Err(crate::wire::fields::invalid(
            "documents",
            "problem.too_many_files",
            vec![("max", MAX_DOCUMENTS.to_string())],
        ));
    }
    let rows: Vec<PaymentDocument> = docs
        .iter()
        .map(|d| PaymentDocument {
            id: d.reference.id.clone(),
            owner: owner.to_string(),
            owner_id: owner_id.to_string(),
            contract_id: contract_id.to_string(),
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
    Ok(())
}

/// A document for a reader who may see what it belongs to: its row, to stream out.
#[tracing::instrument(skip_all)]
pub fn document(conn: &mut DbConnection, actor: &Actor<'_>, id: &str) -> Result<PaymentDocument> {
    let not_found = || Error::NotFound(format!("no document with id {id}"));
    let d = repo::find_document(conn, id)?.ok_or_else(not_found)?;
    let instalment_id = match d.owner.as_str() {
        "report" => {
            repo::find_report(conn, &d.owner_id)?
                .ok_or_else(not_found)?
                .instalment_id
        }
        _ => d.owner_id.clone(),
    };
    let (ctx, _) = Context::of_instalment(conn, &instalment_id)?;
    if ctx.readable_by(actor) {
        Ok(d)
    } else {
        Err(not_found())
    }
}

/// A payment recorded against an instalment.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PaymentLineView {
    pub id: String,
    #[schema(value_type = String, example = "40000.00")]
    pub amount: String,
    pub paid_on: NaiveDate,
    /// The payer's reference (a bank transfer number).
    pub reference: String,
    pub recorded_at: DateTime<Utc>,
    /// When the payee confirmed receiving it.
    pub confirmed_at: Option<DateTime<Utc>>,
}

/// An instalment with its terms, milestones, payments and standing today.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InstalmentView {
    pub id: String,
    pub schedule_id: String,
    pub contract_id: String,
    pub number: i32,
    /// advance (预付款) | progress (进度款) | final (尾款) | retention (质保金)
    pub kind: String,
    pub description: String,
    #[schema(value_type = String, example = "100000.00")]
    pub amount: String,
    /// signing | delivery | acceptance | warranty_end | date
    pub runs_from: String,
    /// Days from the milestone to the due date.
    pub term_days: Option<i32>,
    /// The agreed acceptance period after delivery (验收期限).
    pub acceptance_days: Option<i32>,
    /// The warranty period after acceptance (质保期), for retention.
    pub warranty_days: Option<i32>,
    /// The fixed date of a `date` instalment.
    pub fixed_due_on: Option<NaiveDate>,
    pub delivered_on: Option<NaiveDate>,
    pub accepted_on: Option<NaiveDate>,
    /// passed | failed
    pub acceptance_result: Option<String>,
    pub milestone_note: Option<String>,
    pub milestone_documents: Vec<PaymentDocumentView>,
    /// The payee confirmed the payer's record of delivery and acceptance.
    pub confirmed_at: Option<DateTime<Utc>>,
    /// The payee disputes it: the instalment is held, the rest of the schedule runs.
    pub disputed_at: Option<DateTime<Utc>>,
    pub dispute_reason: Option<String>,
    /// scheduled | due | overdue | disputed | rejected | paid
    pub status: String,
    /// The due date, once its milestone is known.
    pub due_on: Option<NaiveDate>,
    #[schema(value_type = String)]
    pub paid: String,
    #[schema(value_type = String)]
    pub outstanding: String,
    /// Days past the due date unpaid (today), or by which it was paid late.
    pub days_late: i64,
    /// Late interest accrued so far (or in all, once paid), to the fen.
    #[schema(value_type = String)]
    pub interest: String,
    pub paid_late: bool,
    pub payments: Vec<PaymentLineView>,
}

/// An instalment with its own payments, as it stands on `day`.
pub fn instalment_view(
    conn: &mut DbConnection,
    ctx: &Context,
    i: &Instalment,
    payments: &[InstalmentPayment],
    day: NaiveDate,
) -> Result<InstalmentView> {
    let s = standing_of(ctx, i, payments, day);
    let documents = repo::documents_of(conn, "milestone", &[i.id.as_str()])?;
    Ok(view_of(ctx, i, payments, &s, &documents))
}

/// An instalment's view from its standing and its milestone documents (`documents` may hold
/// other instalments' too: only its own are listed).
fn view_of(
    ctx: &Context,
    i: &Instalment,
    payments: &[InstalmentPayment],
    s: &Standing,
    documents: &[PaymentDocument],
) -> InstalmentView {
    let documents = documents
        .iter()
        .filter(|d| d.owner_id == i.id)
        .map(document_view)
        .collect();
    InstalmentView {
        id: i.id.clone(),
        schedule_id: i.schedule_id.clone(),
        contract_id: ctx.contract.id.clone(),
        number: i.number,
        kind: i.kind.to_string(),
        description: i.description.clone(),
        amount: Fen(i.amount_fen).to_string(),
        runs_from: i.runs_from.to_string(),
        term_days: i.term_days,
        acceptance_days: i.acceptance_days,
        warranty_days: i.warranty_days,
        fixed_due_on: i.fixed_due_on,
        delivered_on: i.delivered_on,
        accepted_on: i.accepted_on,
        acceptance_result: i.acceptance_result.clone(),
        milestone_note: i.milestone_note.clone(),
        milestone_documents: documents,
        confirmed_at: i.confirmed_at.map(|t| t.and_utc()),
        disputed_at: i.disputed_at.map(|t| t.and_utc()),
        dispute_reason: i.dispute_reason.clone(),
        status: s.status.to_string(),
        due_on: s.due_on,
        paid: Fen(s.paid_fen).to_string(),
        outstanding: Fen(s.outstanding_fen).to_string(),
        days_late: s.days_late,
        interest: Fen(s.interest_fen).to_string(),
        paid_late: s.paid_late,
        payments: payments
            .iter()
            .map(|p| PaymentLineView {
                id: p.id.clone(),
                amount: Fen(p.amount_fen).to_string(),
                paid_on: p.paid_on,
                reference: p.reference.clone(),
                recorded_at: p.recorded_at.and_utc(),
                confirmed_at: p.confirmed_at.map(|t| t.and_utc()),
            })
            .collect(),
    }
}

/// The text of the regulation a schedule follows.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RegimeRef {
    pub id: String,
    pub title_zh: String,
}

/// A payment schedule with its instalments and totals today.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ScheduleView {
    pub id: String,
    pub contract_id: String,
    pub contract_number: String,
    pub project_id: String,
    /// Set when the prime pays its subcontractor.
    pub subcontract_id: Option<String>,
    /// agency (机关、事业单位) | large_firm (大型企业) | sme (the regulation does not bind)
    pub payer: String,
    pub payer_name: String,
    pub payee_id: String,
    pub payee_name: String,
    /// The payee's scale when the contract was signed (条例 Art. 3).
    pub payee_scale: String,
    /// The text of the regulation that binds this schedule; null where none does.
    pub regime: Option<RegimeRef>,
    /// statutory (a daily rate, 万分之五) | agreed (a yearly rate) | none
    pub interest_basis: String,
    /// Percent: per day (statutory) or per year (agreed).
    #[schema(value_type = String, example = "0.05")]
    pub interest_rate: String,
    #[schema(value_type = String)]
    pub amount: String,
    #[schema(value_type = String)]
    pub paid: String,
    #[schema(value_type = String)]
    pub outstanding: String,
    /// Unpaid after their due dates, today.
    #[schema(value_type = String)]
    pub overdue: String,
    #[schema(value_type = String)]
    pub interest: String,
    pub instalments: Vec<InstalmentView>,
    pub updated_at: DateTime<Utc>,
}

/// The payer's name: the project's department (or agency), or the prime.
pub fn payer_name(conn: &mut DbConnection, ctx: &Context) -> Result<String> {
    if ctx.agency_pays() {
        let id = ctx
            .project
            .department_id
            .clone()
            .unwrap_or_else(|| ctx.project.agency_id.clone());
        org_name(conn, &id)
    } else {
        Ok(crate::service::registry::find(conn, &ctx.contract.supplier_id)?.name)
    }
}

/// An organisation's name, or its id for one no longer known.
pub fn org_name(conn: &mut DbConnection, id: &str) -> Result<String> {
    Ok(crate::db::orgs::find_by_id(conn, id)?.map_or_else(|| id.to_string(), |o| o.name))
}

pub fn schedule_view(
    conn: &mut DbConnection,
    ctx: &Context,
    day: NaiveDate,
) -> Result<ScheduleView> {
    let rows = instalments_with_payments(conn, &ctx.schedule.id)?;
    let ids: Vec<&str> = rows.iter().map(|(i, _)| i.id.as_str()).collect();
    let documents = repo::documents_of(conn, "milestone", &ids)?;
    let mut instalments = Vec::with_capacity(rows.len());
    let (mut paid, mut outstanding, mut overdue, mut interest) = (0i64, 0i64, 0i64, 0i64);
    for (i, own) in &rows {
        let s = standing_of(ctx, i, own, day);
        paid += s.paid_fen;
        outstanding += s.outstanding_fen;
        interest += s.interest_fen;
        if s.status == rules::Status::Overdue {
            overdue += s.outstanding_fen;
        }
        instalments.push(view_of(ctx, i, own, &s, &documents));
    }
    let regime = ctx
        .schedule
        .regime
        .as_deref()
        .and_then(|id| rules::terms().regime(id))
        .map(|r| RegimeRef {
            id: r.id.clone(),
            title_zh: r.title_zh.clone(),
        });
    let payee_name = crate::service::registry::find(conn, &ctx.schedule.payee_id)?.name;
    Ok(ScheduleView {
        id: ctx.schedule.id.clone(),
        contract_id: ctx.contract.id.clone(),
        contract_number: ctx.contract.number.clone(),
        project_id: ctx.project.id.clone(),
        subcontract_id: ctx.schedule.subcontract_id.clone(),
        payer: ctx.schedule.payer.clone(),
        payer_name: payer_name(conn, ctx)?,
        payee_id: ctx.schedule.payee_id.clone(),
        payee_name,
        payee_scale: ctx.schedule.payee_scale.clone(),
        regime,
        interest_basis: ctx.basis().to_string(),
        interest_rate: crate::domain::decimal::E4(ctx.schedule.interest_rate_e4).to_string(),
        amount: Fen(rows.iter().map(|(i, _)| i.amount_fen).sum()).to_string(),
        paid: Fen(paid).to_string(),
        outstanding: Fen(outstanding).to_string(),
        overdue: Fen(overdue).to_string(),
        interest: Fen(interest).to_string(),
        instalments,
        updated_at: ctx.schedule.updated_at.and_utc(),
    })
}
