//! Payments: the payer records what it paid on an instalment (amount, date, reference), the
//! payee confirms receiving it. An instalment paid in full is no longer flagged; its late
//! interest, if any, stays on record.

use super::{instalment_view, refresh, today, Context, InstalmentView, Side};
use crate::clock::Clock;
use crate::db::payments::{self as repo, InstalmentPayment};
use crate::db::{self, DbConnection};
use crate::domain::Fen;
use crate::error::{Cause, Error, Result};
use crate::service::audit::{self, Change};
use crate::service::Actor;
use crate::wire::fields::{coded, text, Text};
use chrono::NaiveDate;
use serde::Deserialize;

/// Body of `POST /api/v1/instalments/{id}/payments`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentInput {
    /// Yuan as a decimal string, at most what is outstanding.
    #[schema(value_type = Option<String>, example = "100000.00", required = true, nullable = false)]
    pub amount: Option<serde_json::Value>,
    /// YYYY-MM-DD, not after today nor before the signing.
    #[schema(required = true, nullable = false)]
    pub paid_on: Option<NaiveDate>,
    /// The payment's reference (a bank transfer number).
    #[schema(required = true, nullable = false, max_length = 100)]
    pub reference: Option<String>,
}

/// How a payment is recorded: the API's own (a reference, not before the signing) or the old
/// subcontract routes' (no reference; their payments were never tied to the signing date).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reference {
    Required,
    Optional,
}

#[tracing::instrument(skip_all)]
pub fn record_payment(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    id: &str,
    input: &PaymentInput,
) -> Result<InstalmentView> {
    crate::db::write(conn, |conn| {
        record_in(conn, clock, actor, id, input, Reference::Required)
    })
}

/// Inside the caller's transaction.
pub(crate) fn record_in(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    id: &str,
    input: &PaymentInput,
    reference: Reference,
) -> Result<InstalmentView> {
    let day = today(clock);
    let (ctx, mut i) = Context::of_instalment(conn, id)?;
    ctx.require(actor, Side::Payer, "records its payments")?;
    let mut problems = Vec::new();
    let amount =
        crate::service::procurement::projects::money(&input.amount, "amount", &mut problems);
    // The old subcontract routes (reference optional) never checked the signing day.
    let not_before = (reference == Reference::Required)
        .then_some((ctx.contract.signed_on, "problem.before_signing"));
    let paid_on =
        super::milestones::record_date(input.paid_on, "paid_on", not_before, day, &mut problems);
    let rule = match reference {
        Reference::Required => Text::required(100),
        Reference::Optional => Text::optional(100),
    };
    let reference = text(input.reference.as_deref(), "reference", rule, &mut problems);
    let paid_before: i64 = repo::payments_of(conn, std::slice::from_ref(&i.id))?
        .iter()
        .map(|p| p.amount_fen)
        .sum();
    let outstanding = i.amount_fen - paid_before;
    if let Some(a) = amount.filter(|a| a.0 > outstanding) {
        problems.push(coded(
            "amount",
            "problem.payment_exceeds",
            vec![
                ("amount", a.to_string()),
                ("outstanding", Fen(outstanding.max(0)).to_string()),
            ],
        ));
    }
    let (Some(amount), Some(paid_on), Some(reference), true) =
        (amount, paid_on, reference, problems.is_empty())
    else {
        return Err(Error::Validation(problems));
    };
    let p = InstalmentPayment {
        id: db::new_id(),
        instalment_id: i.id.clone(),
        amount_fen: amount.0,
        paid_on,
        reference,
        recorded_by: actor.audit_id().to_string(),
        recorded_at: clock.now_naive(),
        confirmed_by: None,
        confirmed_at: None,
    };
    repo::insert_payment(conn, &p)?;
    let payments = refresh(conn, &ctx, &mut i)?;
    audit::record(
        conn,
        clock,
        Change::new(
            actor.audit_id(),
            "payment.record",
            "instalment_payment",
            &p.id,
        )
        .after(&p),
    )?;
    instalment_view(conn, &ctx, &i, &payments, day)
}

/// The payee confirms a payment it received.
#[tracing::instrument(skip_all)]
pub fn confirm_payment(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    payment_id: &str,
) -> Result<InstalmentView> {
    crate::db::write(conn, |conn| {
        let not_found = || Error::NotFound(format!("no payment with id {payment_id}"));
        let mut p = repo::find_payment(conn, payment_id)?.ok_or_else(not_found)?;
        let (ctx, i) = Context::of_instalment(conn, &p.instalment_id)?;
        if !ctx.readable_by(actor) {
            return Err(not_found());
        }
        ctx.require(actor, Side::Payee, "confirms a payment it received")?;
        if p.confirmed_at.is_some() {
            return Err(crate::service::refuse(
                Cause::WrongState,
                "refusal.payment_already_confirmed",
                vec![],
            ));
        }
        let before = p.clone();
        p.confirmed_by = Some(actor.audit_id().to_string());
        p.confirmed_at = Some(clock.now_naive());
        repo::update_payment(conn, &p)?;
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
        let payments = repo::payments_of(conn, std::slice::from_ref(&i.id))?;
        instalment_view(conn, &ctx, &i, &payments, today(clock))
    })
}
