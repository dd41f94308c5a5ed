//! The subcontract payment routes of the first finance release (a payment due on a date,
//! reported paid by the prime, confirmed by the SME), kept for the clients that script them.
//! They run on the payment schedules (`service::payments`): a payment here is an instalment
//! due on a fixed date in the subcontract's schedule, under the same id.

use crate::clock::Clock;
use crate::db::finance::{self as repo, Subcontract};
use crate::db::payments::{self as pay_repo, Instalment, InstalmentPayment};
use crate::db::procurement as procurement_repo;
use crate::db::{self, DbConnection};
use crate::domain::payments::{InstalmentKind, Status, Trigger};
use crate::domain::{Fen, Hundredths};
use crate::error::{Cause, Error, Result};
use crate::service::audit::{self, Change};
use crate::service::payments::record::{record_in, PaymentInput as NewPayment, Reference};
use crate::service::payments::{
    by_instalment, instalments_with_payments, refresh, standing_of, today, Context,
};
use crate::service::Actor;
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
    /// Its schedule's id, once the prime set one (`/api/v1/subcontracts/{id}/schedule`).
    pub schedule_id: Option<String>,
    pub payments: Vec<PaymentView>,
}

/// An instalment of a subcontract's schedule, in the first release's shape.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PaymentView {
    /// The instalment's id.
    pub id: String,
    pub subcontract_id: String,
    #[schema(value_type = String)]
    pub amount: String,
    /// Its due date, once its milestone is known.
    pub due_on: Option<NaiveDate>,
    /// The day it was paid in full.
    pub paid_on: Option<NaiveDate>,
    /// When the SME confirmed the last of its payments.
    pub confirmed_at: Option<DateTime<Utc>>,
    /// Due before today (Beijing) and not paid.
    pub late: bool,
    /// Paid after its due date.
    pub paid_late: bool,
    /// Paid (in part), not yet confirmed by the SME.
    pub unconfirmed: bool,
}

fn payment_view(
    ctx: &Context,
    i: &Instalment,
    payments: &[InstalmentPayment],
    day: NaiveDate,
) -> PaymentView {
    let s = standing_of(ctx, i, payments, day);
    let unconfirmed = payments.iter().any(|p| p.confirmed_at.is_none());
    let confirmed_at = if payments.is_empty() || unconfirmed {
        None
    } else {
        payments.iter().filter_map(|p| p.confirmed_at).max()
    };
    PaymentView {
        id: i.id.clone(),
        subcontract_id: ctx.schedule.subcontract_id.clone().unwrap_or_default(),
        amount: Fen(i.amount_fen).to_string(),
        due_on: s.due_on,
        paid_on: i.settled_on,
        confirmed_at: confirmed_at.map(|t| t.and_utc()),
        late: s.status == Status::Overdue,
        paid_late: s.paid_late,
        unconfirmed,
    }
}

/// The payments of a subcontract's schedule, due date first.
fn payments_of(
    conn: &mut DbConnection,
    s: &Subcontract,
    day: NaiveDate,
) -> Result<(Option<String>, Vec<PaymentView>)> {
    let Some(schedule) = pay_repo::schedule_of(conn, &s.id)? else {
        return Ok((None, Vec::new()));
    };
    let ctx = Context::load(conn, schedule)?;
    let mut views: Vec<PaymentView> = instalments_with_payments(conn, &ctx.schedule.id)?
        .iter()
        .map(|(i, own)| payment_view(&ctx, i, own, day))
        .collect();
    views.sort_by(|a, b| a.due_on.cmp(&b.due_on).then(a.id.cmp(&b.id)));
    Ok((Some(ctx.schedule.id.clone()), views))
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

/// The same for one payment (an instalment of a subcontract's schedule).
#[tracing::instrument(skip_all)]
pub fn may_act_on_payment(
    conn: &mut DbConnection,
    enterprise_id: &str,
    payment_id: &str,
    party: PaymentParty,
) -> Result<()> {
    let not_found = || Error::NotFound(format!("no payment with id {payment_id}"));
    let (ctx, _) = Context::of_instalment(conn, payment_id).map_err(|_| not_found())?;
    let Some(sub) = ctx.schedule.subcontract_id.as_deref() else {
        return Err(not_found());
    };
    may_act_on_subcontract(conn, enterprise_id, sub, party)
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
        .map(|s| {
            let (schedule_id, payments) = payments_of(conn, &s, day)?;
            Ok(SubcontractView {
                id: s.id,
                contract_id: s.contract_id,
                enterprise_id: s.enterprise_id,
                scale: s.scale,
                share_pct: Hundredths(s.share_pct),
                amount: Fen(s.amount_fen).to_string(),
                schedule_id,
                payments,
            })
        })
        .collect()
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

fn supplier<'a>(user_id: &'a str, enterprise_id: &'a str) -> Actor<'a> {
    Actor::Supplier {
        enterprise_id,
        user_id,
    }
}

/// The prime (the contract's supplier) adds a payment due on a date to its subcontractor's
/// schedule (creating the schedule), and may report it paid at once.
#[tracing::instrument(skip_all)]
pub fn report_payment(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    user_id: &str,
    enterprise_id: &str,
    subcontract_id: &str,
    input: &PaymentInput,
) -> Result<PaymentView> {
    let actor = supplier(user_id, enterprise_id);
    crate::db::write(conn, |conn| {
        report_payment_in(conn, clock, &actor, subcontract_id, input)
    })
}

fn report_payment_in(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    subcontract_id: &str,
    input: &PaymentInput,
) -> Result<PaymentView> {
    let s = repo::find_subcontract(conn, subcontract_id)?
        .ok_or_else(|| Error::NotFound(format!("no subcontract with id {subcontract_id}")))?;
    let (prime, _) = parties(conn, &s)?;
    if actor.enterprise_id() != Some(prime.as_str()) {
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
    let schedule =
        crate::service::payments::schedules::ensure_subcontract_schedule(conn, clock, actor, &s)?;
    let rows = pay_repo::instalments_of(conn, &schedule.id)?;
    if let (Some(a), true) = (amount, problems.is_empty()) {
        let scheduled: i64 = rows.iter().map(|i| i.amount_fen).sum();
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
    let ctx = Context::load(conn, schedule)?;
    let mut row = Instalment {
        id: db::new_id(),
        schedule_id: ctx.schedule.id.clone(),
        number: rows.iter().map(|i| i.number).max().unwrap_or(0) + 1,
        kind: InstalmentKind::Progress,
        description: String::new(),
        amount_fen: amount.0,
        runs_from: Trigger::Date,
        term_days: None,
        acceptance_days: None,
        warranty_days: None,
        fixed_due_on: Some(due_on),
        delivered_on: None,
        accepted_on: None,
        acceptance_result: None,
        milestone_note: None,
        milestone_by: None,
        milestone_at: None,
        confirmed_by: None,
        confirmed_at: None,
        disputed_by: None,
        disputed_at: None,
        dispute_reason: None,
        due_on: Some(due_on),
        settled_on: None,
    };
    pay_repo::insert_instalments(conn, std::slice::from_ref(&row))?;
    audit::record(
        conn,
        clock,
        Change::new(actor.audit_id(), "payment.report", "instalment", &row.id).after(&row),
    )?;
    if let Some(paid_on) = input.paid_on {
        paid_in_full(conn, clock, actor, &row.id, paid_on)?;
        row = pay_repo::find_instalment(conn, &row.id)?.unwrap_or(row);
    }
    let payments = refresh(conn, &ctx, &mut row)?;
    Ok(payment_view(&ctx, &row, &payments, today(clock)))
}

/// Records the rest of an instalment as paid on `paid_on`.
fn paid_in_full(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    instalment_id: &str,
    paid_on: NaiveDate,
) -> Result<()> {
    let i = pay_repo::find_instalment(conn, instalment_id)?
        .ok_or_else(|| Error::NotFound(format!("no payment with id {instalment_id}")))?;
    let paid: i64 = pay_repo::payments_of(conn, std::slice::from_ref(&i.id))?
        .iter()
        .map(|p| p.amount_fen)
        .sum();
    let rest = i.amount_fen - paid;
    if rest <= 0 {
        return Err(crate::service::refuse(
            Cause::WrongState,
            "refusal.payment_confirmed",
            vec![],
        ));
    }
    let input = NewPayment {
        amount: Some(serde_json::Value::String(Fen(rest).to_string())),
        paid_on: Some(paid_on),
        reference: None,
    };
    record_in(conn, clock, actor, &i.id, &input, Reference::Optional).map(|_| ())
}

/// Body of `POST /api/v1/payments/{id}/paid`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaidInput {
    /// YYYY-MM-DD
    #[schema(required = true, nullable = false)]
    pub paid_on: Option<NaiveDate>,
}

/// The prime reports the payment made (the rest of the instalment, on that day).
#[tracing::instrument(skip_all)]
pub fn mark_paid(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    user_id: &str,
    enterprise_id: &str,
    payment_id: &str,
    input: &PaidInput,
) -> Result<PaymentView> {
    let actor = supplier(user_id, enterprise_id);
    crate::db::write(conn, |conn| {
        let (ctx, _) = Context::of_instalment(conn, payment_id)
            .map_err(|_| Error::NotFound(format!("no payment with id {payment_id}")))?;
        if ctx.schedule.subcontract_id.is_none()
            || actor.enterprise_id() != Some(ctx.contract.supplier_id.as_str())
        {
            return Err(Error::Forbidden(
                "only the prime contractor reports its payments".into(),
            ));
        }
        let Some(paid_on) = input.paid_on else {
            return Err(invalid("paid_on", "problem.required_ymd", vec![]));
        };
        paid_in_full(conn, clock, &actor, payment_id, paid_on)?;
        let mut i = pay_repo::find_instalment(conn, payment_id)?
            .ok_or_else(|| Error::NotFound(format!("no payment with id {payment_id}")))?;
        let payments = refresh(conn, &ctx, &mut i)?;
        Ok(payment_view(&ctx, &i, &payments, today(clock)))
    })
}

/// The subcontractor confirms every payment of the instalment it received.
#[tracing::instrument(skip_all)]
pub fn confirm_payment(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    user_id: &str,
    enterprise_id: &str,
    payment_id: &str,
) -> Result<PaymentView> {
    let actor = supplier(user_id, enterprise_id);
    crate::db::write(conn, |conn| {
        let (ctx, i) = Context::of_instalment(conn, payment_id)
            .map_err(|_| Error::NotFound(format!("no payment with id {payment_id}")))?;
        if ctx.schedule.subcontract_id.is_none() || ctx.schedule.payee_id != enterprise_id {
            return Err(Error::Forbidden(
                "only the subcontractor confirms a payment it received".into(),
            ));
        }
        let payments = pay_repo::payments_of(conn, std::slice::from_ref(&i.id))?;
        if payments.is_empty() {
            return Err(crate::service::refuse(
                Cause::WrongState,
                "refusal.payment_not_reported",
                vec![],
            ));
        }
        let open: Vec<&InstalmentPayment> = payments
            .iter()
            .filter(|p| p.confirmed_at.is_none())
            .collect();
        if open.is_empty() {
            return Err(crate::service::refuse(
                Cause::WrongState,
                "refusal.payment_already_confirmed",
                vec![],
            ));
        }
        let now = clock.now_naive();
        for p in open {
            let mut p = p.clone();
            let before = p.clone();
            p.confirmed_by = Some(actor.audit_id().to_string());
            p.confirmed_at = Some(now);
            pay_repo::update_payment(conn, &p)?;
            audit::record(
                conn,
                clock,
                Change::new(
                    actor.audit_id(),
                    "payment.confirm",
                    "instalment_payment",
                    &p.id,
                )
                .before(&before)
                .after(&p),
            )?;
        }
        let payments = pay_repo::payments_of(conn, std::slice::from_ref(&i.id))?;
        Ok(payment_view(&ctx, &i, &payments, today(clock)))
    })
}

/// Subcontract payments flagged for auditors today: overdue and unpaid, or paid and not yet
/// confirmed by the SME.
#[tracing::instrument(skip_all)]
pub fn flagged(conn: &mut DbConnection, clock: &dyn Clock) -> Result<Vec<PaymentView>> {
    let day = today(clock);
    let mut out = Vec::new();
    let rows = pay_repo::subcontract_instalments_to_flag(conn, day)?;
    let ids: Vec<String> = rows.iter().map(|(i, _)| i.id.clone()).collect();
    let mut payments = by_instalment(pay_repo::payments_of(conn, &ids)?);
    for (i, s) in rows {
        let ctx = Context::load(conn, s)?;
        let own = payments.remove(&i.id).unwrap_or_default();
        let v = payment_view(&ctx, &i, &own, day);
        if v.late || v.unconfirmed {
            out.push(v);
        }
    }
    Ok(out)
}

/// The legacy routes' payment status of a contract for the bank check: see
/// `payments::oversight::on_time`.
pub fn late_status(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    contract_id: &str,
) -> Result<&'static str> {
    Ok(
        match crate::service::payments::oversight::on_time(conn, clock, contract_id)? {
            None => "none",
            Some(true) => "on_time",
            Some(false) => "late",
        },
    )
}
