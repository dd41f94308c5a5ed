//! Subcontracts and the payments large winners owe their SME subcontractors: reported, marked
//! paid, confirmed, and flagged late (seed 四.(十六)7).

use super::*;
use crate::clock::Clock;
use crate::db::finance::{self as repo, Payment, Subcontract};
use crate::db::procurement as procurement_repo;
use crate::db::{self, DbConnection};
use crate::domain::payments;
use crate::domain::{Fen, Hundredths};
use crate::error::{Cause, Error, Result};
use crate::service::audit::{self, Change};
use crate::wire::fields::{coded, invalid};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// A subcontract with its payments and their flags.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SubcontractView {
    pub id: String,
    pub contract_id: String,
    pub enterprise_id: String,
    pub scale: String,
    #[schema(value_type = f64)]
    pub share_pct: Hundredths,
    #[schema(value_type = String)]
    pub amount: String,
    pub payments: Vec<PaymentView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PaymentView {
    pub id: String,
    pub subcontract_id: String,
    #[schema(value_type = String)]
    pub amount: String,
    pub due_on: NaiveDate,
    pub paid_on: Option<NaiveDate>,
    pub confirmed_at: Option<DateTime<Utc>>,
    /// Due before today (Beijing) and not paid.
    pub late: bool,
    /// Paid after its due date.
    pub paid_late: bool,
    /// Reported paid, not yet confirmed by the SME.
    pub unconfirmed: bool,
}

fn payment_view(p: &Payment, today: NaiveDate) -> PaymentView {
    let standing = payments::standing(p.due_on, p.paid_on, p.confirmed_at.is_some(), today);
    PaymentView {
        id: p.id.clone(),
        subcontract_id: p.subcontract_id.clone(),
        amount: Fen(p.amount_fen).to_string(),
        due_on: p.due_on,
        paid_on: p.paid_on,
        confirmed_at: p.confirmed_at.map(|t| t.and_utc()),
        late: standing.late,
        paid_late: standing.paid_late,
        unconfirmed: standing.unconfirmed,
    }
}

fn subcontract_view(
    conn: &mut DbConnection,
    s: Subcontract,
    today: NaiveDate,
) -> Result<SubcontractView> {
    let payments = repo::payments_of(conn, &s.id)?
        .iter()
        .map(|p| payment_view(p, today))
        .collect();
    Ok(SubcontractView {
        id: s.id,
        contract_id: s.contract_id,
        enterprise_id: s.enterprise_id,
        scale: s.scale,
        share_pct: Hundredths(s.share_pct),
        amount: Fen(s.amount_fen).to_string(),
        payments,
    })
}

/// Who acts on a subcontract: the prime (the contract's supplier) or the subcontractor.
fn parties(conn: &mut DbConnection, s: &Subcontract) -> Result<(String, String)> {
    let c = procurement_repo::find_contract(conn, &s.contract_id)?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("subcontract without a contract")))?;
    Ok((c.supplier_id, s.enterprise_id.clone()))
}

/// Who may act on a subcontract's payments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentParty {
    /// The contract's supplier, who pays.
    Prime,
    /// The subcontractor, who is paid.
    Subcontractor,
}

/// Refuses an enterprise that is not `party` of the subcontract (403) or an unknown one (404).
#[tracing::instrument(skip_all)]
pub fn may_act_on_subcontract(
    conn: &mut DbConnection,
    enterprise_id: &str,
    subcontract_id: &str,
    party: PaymentParty,
) -> Result<()> {
    let s = repo::find_subcontract(conn, subcontract_id)?
        .ok_or_else(|| Error::NotFound(format!("no subcontract with id {subcontract_id}")))?;
    let (prime, sub) = parties(conn, &s)?;
    let who = match party {
        PaymentParty::Prime => prime,
        PaymentParty::Subcontractor => sub,
    };
    if who == enterprise_id {
        Ok(())
    } else {
        Err(Error::Forbidden(match party {
            PaymentParty::Prime => "only the prime contractor reports its payments".into(),
            PaymentParty::Subcontractor => {
                "only the subcontractor confirms a payment it received".into()
            }
        }))
    }
}

/// The same for one payment, by its subcontract.
#[tracing::instrument(skip_all)]
pub fn may_act_on_payment(
    conn: &mut DbConnection,
    enterprise_id: &str,
    payment_id: &str,
    party: PaymentParty,
) -> Result<()> {
    let p = repo::find_payment(conn, payment_id)?
        .ok_or_else(|| Error::NotFound(format!("no payment with id {payment_id}")))?;
    may_act_on_subcontract(conn, enterprise_id, &p.subcontract_id, party)
}

/// The subcontracts of a contract: for its prime, its subcontractors, agencies, auditors, admins.
#[tracing::instrument(skip_all)]
pub fn contract_subcontracts(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    enterprise: Option<&str>,
    contract_id: &str,
) -> Result<Vec<SubcontractView>> {
    let c = procurement_repo::find_contract(conn, contract_id)?
        .ok_or_else(|| Error::NotFound(format!("no contract with id {contract_id}")))?;
    let subs = repo::subcontracts_of(conn, &c.id)?;
    if let Some(e) = enterprise {
        if c.supplier_id != e && !subs.iter().any(|s| s.enterprise_id == e) {
            return Err(Error::Forbidden("not a party to this contract".into()));
        }
    }
    let day = today(clock);
    subs.into_iter()
        .map(|s| subcontract_view(conn, s, day))
        .collect()
}

/// Who owes a subcontract's payments and who is owed: ("prime · contract number",
/// subcontractor), for the pages that list late payments.
#[tracing::instrument(skip_all)]
pub fn payment_parties(conn: &mut DbConnection, subcontract_id: &str) -> Result<(String, String)> {
    let s = repo::find_subcontract(conn, subcontract_id)?
        .ok_or_else(|| Error::NotFound(format!("no subcontract with id {subcontract_id}")))?;
    let c = procurement_repo::find_contract(conn, &s.contract_id)?
        .ok_or_else(|| Error::NotFound(format!("no contract with id {}", s.contract_id)))?;
    let prime = crate::service::registry::find(conn, &c.supplier_id)?;
    let sub = crate::service::registry::find(conn, &s.enterprise_id)?;
    Ok((format!("{} · {}", prime.name, c.number), sub.name))
}

/// Body of `POST /api/v1/subcontracts/{id}/payments` (the prime reports a payment).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentInput {
    #[schema(value_type = Option<String>, example = "150000.00", required = true, nullable = false)]
    pub amount: Option<serde_json::Value>,
    /// YYYY-MM-DD
    #[schema(required = true, nullable = false)]
    pub due_on: Option<NaiveDate>,
    /// YYYY-MM-DD, when paid (may be reported later with `POST /api/v1/payments/{id}/paid`).
    pub paid_on: Option<NaiveDate>,
}

/// The prime (the contract's supplier) schedules or reports a payment to its subcontractor.
#[tracing::instrument(skip_all)]
pub fn report_payment(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    user_id: &str,
    enterprise_id: &str,
    subcontract_id: &str,
    input: &PaymentInput,
) -> Result<PaymentView> {
    crate::db::write(conn, |conn| {
        report_payment_in(conn, clock, user_id, enterprise_id, subcontract_id, input)
    })
}

fn report_payment_in(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    user_id: &str,
    enterprise_id: &str,
    subcontract_id: &str,
    input: &PaymentInput,
) -> Result<PaymentView> {
    let s = repo::find_subcontract(conn, subcontract_id)?
        .ok_or_else(|| Error::NotFound(format!("no subcontract with id {subcontract_id}")))?;
    let (prime, _) = parties(conn, &s)?;
    if prime != enterprise_id {
        return Err(Error::Forbidden(
            "only the prime contractor reports its payments".into(),
        ));
    }
    let mut problems = Vec::new();
    let amount =
        crate::service::procurement::projects::money(&input.amount, "amount", &mut problems);
    if input.due_on.is_none() {
        problems.push(coded("due_on", "problem.required_ymd", vec![]));
    }
    if let (Some(a), true) = (amount, problems.is_empty()) {
        let scheduled: i64 = repo::payments_of(conn, &s.id)?
            .iter()
            .map(|p| p.amount_fen)
            .sum();
        if scheduled + a.0 > s.amount_fen {
            problems.push(coded(
                "amount",
                "problem.payments_exceed",
                vec![
                    ("amount", a.to_string()),
                    ("total", Fen(scheduled + a.0).to_string()),
                    ("limit", Fen(s.amount_fen).to_string()),
                ],
            ));
        }
    }
    let (Some(amount), Some(due_on), true) = (amount, input.due_on, problems.is_empty()) else {
        return Err(Error::Validation(problems));
    };
    let p = Payment {
        id: db::new_id(),
        subcontract_id: s.id.clone(),
        amount_fen: amount.0,
        due_on,
        paid_on: input.paid_on,
        reported_by: user_id.to_string(),
        reported_at: clock.now_naive(),
        confirmed_by: None,
        confirmed_at: None,
    };
    {
        repo::insert_payment(conn, &p)?;
        audit::record(
            conn,
            clock,
            Change::new(user_id, "payment.report", "payment", &p.id).after(&p),
        )?
    };
    Ok(payment_view(&p, today(clock)))
}

/// Body of `POST /api/v1/payments/{id}/paid`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaidInput {
    /// YYYY-MM-DD
    #[schema(required = true, nullable = false)]
    pub paid_on: Option<NaiveDate>,
}

/// The prime reports the payment made; the SME confirms it. Each side only its own step.
#[tracing::instrument(skip_all)]
pub fn mark_paid(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    user_id: &str,
    enterprise_id: &str,
    payment_id: &str,
    input: &PaidInput,
) -> Result<PaymentView> {
    crate::db::write(conn, |conn| {
        mark_paid_in(conn, clock, user_id, enterprise_id, payment_id, input)
    })
}

fn mark_paid_in(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    user_id: &str,
    enterprise_id: &str,
    payment_id: &str,
    input: &PaidInput,
) -> Result<PaymentView> {
    let mut p = repo::find_payment(conn, payment_id)?
        .ok_or_else(|| Error::NotFound(format!("no payment with id {payment_id}")))?;
    let s = repo::find_subcontract(conn, &p.subcontract_id)?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("payment without a subcontract")))?;
    let (prime, _) = parties(conn, &s)?;
    if prime != enterprise_id {
        return Err(Error::Forbidden(
            "only the prime contractor reports its payments".into(),
        ));
    }
    let Some(paid_on) = input.paid_on else {
        return Err(invalid("paid_on", "problem.required_ymd", vec![]));
    };
    if p.confirmed_at.is_some() {
        return Err(crate::service::refuse(
            Cause::WrongState,
            "refusal.payment_confirmed",
            vec![],
        ));
    }
    let before = p.clone();
    p.paid_on = Some(paid_on);
    {
        repo::update_payment(conn, &p)?;
        audit::record(
            conn,
            clock,
            Change::new(user_id, "payment.paid", "payment", &p.id)
                .before(&before)
                .after(&p),
        )?
    };
    Ok(payment_view(&p, today(clock)))
}

#[tracing::instrument(skip_all)]
pub fn confirm_payment(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    user_id: &str,
    enterprise_id: &str,
    payment_id: &str,
) -> Result<PaymentView> {
    crate::db::write(conn, |conn| {
        confirm_payment_in(conn, clock, user_id, enterprise_id, payment_id)
    })
}

fn confirm_payment_in(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    user_id: &str,
    enterprise_id: &str,
    payment_id: &str,
) -> Result<PaymentView> {
    let mut p = repo::find_payment(conn, payment_id)?
        .ok_or_else(|| Error::NotFound(format!("no payment with id {payment_id}")))?;
    let s = repo::find_subcontract(conn, &p.subcontract_id)?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("payment without a subcontract")))?;
    if s.enterprise_id != enterprise_id {
        return Err(Error::Forbidden(
            "only the subcontractor confirms a payment it received".into(),
        ));
    }
    if p.paid_on.is_none() {
        return Err(crate::service::refuse(
            Cause::WrongState,
            "refusal.payment_not_reported",
            vec![],
        ));
    }
    if p.confirmed_at.is_some() {
        return Err(crate::service::refuse(
            Cause::WrongState,
            "refusal.payment_already_confirmed",
            vec![],
        ));
    }
    let before = p.clone();
    p.confirmed_by = Some(user_id.to_string());
    p.confirmed_at = Some(clock.now_naive());
    {
        repo::update_payment(conn, &p)?;
        audit::record(
            conn,
            clock,
            Change::new(user_id, "payment.confirm", "payment", &p.id)
                .before(&before)
                .after(&p),
        )?
    };
    Ok(payment_view(&p, today(clock)))
}

/// Payments flagged for auditors today: overdue and unpaid, or paid and unconfirmed.
#[tracing::instrument(skip_all)]
pub fn flagged(conn: &mut DbConnection, clock: &dyn Clock) -> Result<Vec<PaymentView>> {
    let day = today(clock);
    Ok(repo::flagged_payments(conn, day)?
        .iter()
        .map(|p| payment_view(p, day))
        .collect())
}
