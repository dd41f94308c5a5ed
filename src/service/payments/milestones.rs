//! 交付 and 验收: the payer records delivery and acceptance (date, result, note, documents); the
//! payee confirms the record or disputes it. A disputed instalment is held and the rest of the
//! schedule runs (802号 Art. 15); the payer's new record, or the payee's withdrawal, ends the
//! dispute.

use super::{instalment_view, keep_documents, refresh, today, Context, InstalmentView, Side};
use crate::clock::Clock;
use crate::db::payments::{self as repo, Instalment};
use crate::db::DbConnection;
use crate::domain::payments::{AcceptanceResult, Trigger};
use crate::error::{Cause, Error, Result};
use crate::service::audit::{self, Change};
use crate::service::procurement::documents::StoredDocument;
use crate::service::Actor;
use crate::wire::fields::{coded, text, Text};
use crate::wire::FieldProblem;
use chrono::NaiveDate;
use serde::Deserialize;

/// Body of `POST /api/v1/instalments/{id}/delivery` (JSON, or the `part` of a multipart
/// upload with `evidence` files).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveryInput {
    /// YYYY-MM-DD, not after today nor before the signing.
    #[schema(required = true, nullable = false)]
    pub delivered_on: Option<NaiveDate>,
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// Body of `POST /api/v1/instalments/{id}/acceptance`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptanceInput {
    /// YYYY-MM-DD, not before the delivery nor after today.
    #[schema(required = true, nullable = false)]
    pub accepted_on: Option<NaiveDate>,
    /// passed | failed
    #[schema(required = true, nullable = false, example = "passed")]
    pub result: Option<String>,
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// Body of `POST /api/v1/instalments/{id}/dispute`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisputeInput {
    /// What the payee disputes in the payer's record, and why.
    #[schema(required = true, nullable = false, max_length = 2000)]
    pub reason: Option<String>,
}

/// A date of a record: not after today, not before `not_before` (named by `after`).
pub(super) fn record_date(
    value: Option<NaiveDate>,
    field: &str,
    not_before: Option<(NaiveDate, &'static str)>,
    today: NaiveDate,
    problems: &mut Vec<FieldProblem>,
) -> Option<NaiveDate> {
    let Some(d) = value else {
        problems.push(coded(field, "problem.required_ymd", vec![]));
        return None;
    };
    if d > today {
        problems.push(coded(
            field,
            "problem.date_after_today",
            vec![("today", today.to_string())],
        ));
        return None;
    }
    if let Some((first, code)) = not_before.filter(|(first, _)| d < *first) {
        problems.push(coded(field, code, vec![("day", first.to_string())]));
        return None;
    }
    Some(d)
}

fn note(value: Option<&str>, problems: &mut Vec<FieldProblem>) -> Option<String> {
    text(value, "note", Text::optional(2000).with_lines(), problems).filter(|n| !n.is_empty())
}

fn refused(code: &'static str) -> Error {
    crate::service::refuse(Cause::WrongState, code, vec![])
}

/// Runs one step on an instalment in a transaction: loads it with its schedule, lets `step`
/// change it, keeps its due date, records the audit event; returns its view.
fn step(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    id: &str,
    action: &str,
    f: impl FnOnce(&mut DbConnection, &Context, &mut Instalment) -> Result<()>,
) -> Result<InstalmentView> {
    let day = today(clock);
    crate::db::write(conn, |conn| {
        let (ctx, mut i) = Context::of_instalment(conn, id)?;
        let before = i.clone();
        f(conn, &ctx, &mut i)?;
        let payments = refresh(conn, &ctx, &mut i)?;
        audit::record(
            conn,
            clock,
            Change::new(actor.audit_id(), action, "instalment", &i.id)
                .before(&before)
                .after(&i),
        )?;
        instalment_view(conn, &ctx, &i, &payments, day)
    })
}

/// The payer records the delivery (again, after a failed acceptance).
#[tracing::instrument(skip_all)]
pub fn record_delivery(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    id: &str,
    input: &DeliveryInput,
    docs: &[StoredDocument],
) -> Result<InstalmentView> {
    let day = today(clock);
    let now = clock.now_naive();
    step(
        conn,
        clock,
        actor,
        id,
        "instalment.delivery",
        |conn, ctx, i| {
            ctx.require(actor, Side::Payer, "records deliveries")?;
            if !matches!(
                i.runs_from,
                Trigger::Delivery | Trigger::Acceptance | Trigger::WarrantyEnd
            ) {
                return Err(crate::service::refuse(
                    Cause::WrongState,
                    "refusal.no_delivery_for",
                    vec![("runs_from", i.runs_from.to_string())],
                ));
            }
            if i.settled_on.is_some() {
                return Err(refused("refusal.instalment_paid"));
            }
            if i.acceptance_result.as_deref() == Some("passed") && i.disputed_at.is_none() {
                return Err(refused("refusal.already_accepted"));
            }
            let mut problems = Vec::new();
            let delivered = record_date(
                input.delivered_on,
                "delivered_on",
                Some((ctx.contract.signed_on, "problem.before_signing")),
                day,
                &mut problems,
            );
            let note = note(input.note.as_deref(), &mut problems);
            let (Some(delivered), true) = (delivered, problems.is_empty()) else {
                return Err(Error::Validation(problems));
            };
            i.delivered_on = Some(delivered);
            i.accepted_on = None;
            i.acceptance_result = None;
            new_record(i, actor, note, now);
            keep_documents(conn, actor, "milestone", &i.id, &ctx.contract.id, docs, now)
        },
    )
}

/// A new record by the payer: the payee's confirmation or dispute of the old one lapses.
fn new_record(
    i: &mut Instalment,
    actor: &Actor<'_>,
    note: Option<String>,
    now: chrono::NaiveDateTime,
) {
    i.milestone_note = note;
    i.milestone_by = Some(actor.audit_id().to_string());
    i.milestone_at = Some(now);
    i.confirmed_by = None;
    i.confirmed_at = None;
    i.disputed_by = None;
    i.disputed_at = None;
    i.dispute_reason = None;
}

/// The payer records the acceptance (验收) of a delivered instalment: passed or failed.
#[tracing::instrument(skip_all)]
pub fn record_acceptance(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    id: &str,
    input: &AcceptanceInput,
    docs: &[StoredDocument],
) -> Result<InstalmentView> {
    let day = today(clock);
    let now = clock.now_naive();
    step(
        conn,
        clock,
        actor,
        id,
        "instalment.acceptance",
        |conn, ctx, i| {
            ctx.require(actor, Side::Payer, "records acceptances")?;
            if !matches!(i.runs_from, Trigger::Acceptance | Trigger::WarrantyEnd) {
                return Err(crate::service::refuse(
                    Cause::WrongState,
                    "refusal.no_acceptance_for",
                    vec![("runs_from", i.runs_from.to_string())],
                ));
            }
            if i.settled_on.is_some() {
                return Err(refused("refusal.instalment_paid"));
            }
            let Some(delivered) = i.delivered_on else {
                return Err(refused("refusal.not_delivered"));
            };
            if i.acceptance_result.as_deref() == Some("passed") && i.disputed_at.is_none() {
                return Err(refused("refusal.already_accepted"));
            }
            let mut problems = Vec::new();
            let accepted = record_date(
                input.accepted_on,
                "accepted_on",
                Some((delivered, "problem.before_delivery")),
                day,
                &mut problems,
            );
            let result = super::one_of(
                input.result.as_deref(),
                "result",
                AcceptanceResult::ALL,
                &mut problems,
            );
            let note = note(input.note.as_deref(), &mut problems);
            let (Some(accepted), Some(result), true) = (accepted, result, problems.is_empty())
            else {
                return Err(Error::Validation(problems));
            };
            i.accepted_on = Some(accepted);
            i.acceptance_result = Some(result.to_string());
            new_record(i, actor, note, now);
            keep_documents(conn, actor, "milestone", &i.id, &ctx.contract.id, docs, now)
        },
    )
}

/// The payee confirms the payer's record of delivery and acceptance.
#[tracing::instrument(skip_all)]
pub fn confirm(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    id: &str,
) -> Result<InstalmentView> {
    let now = clock.now_naive();
    step(conn, clock, actor, id, "instalment.confirm", |_, ctx, i| {
        ctx.require(actor, Side::Payee, "confirms the payer's record")?;
        if i.milestone_at.is_none() {
            return Err(refused("refusal.nothing_recorded"));
        }
        if i.disputed_at.is_some() {
            return Err(refused("refusal.instalment_disputed"));
        }
        if i.confirmed_at.is_some() {
            return Err(refused("refusal.already_confirmed"));
        }
        i.confirmed_by = Some(actor.audit_id().to_string());
        i.confirmed_at = Some(now);
        Ok(())
    })
}

/// The payee disputes the payer's record (or its absence): the instalment is held.
#[tracing::instrument(skip_all)]
pub fn dispute(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    id: &str,
    input: &DisputeInput,
) -> Result<InstalmentView> {
    let now = clock.now_naive();
    step(conn, clock, actor, id, "instalment.dispute", |_, ctx, i| {
        ctx.require(actor, Side::Payee, "disputes the payer's record")?;
        let mut problems = Vec::new();
        let reason = text(
            input.reason.as_deref(),
            "reason",
            Text::required(2000).with_lines(),
            &mut problems,
        );
        let Some(reason) = reason.filter(|_| problems.is_empty()) else {
            return Err(Error::Validation(problems));
        };
        if i.settled_on.is_some() {
            return Err(refused("refusal.instalment_paid"));
        }
        if i.disputed_at.is_some() {
            return Err(refused("refusal.instalment_disputed"));
        }
        i.disputed_by = Some(actor.audit_id().to_string());
        i.disputed_at = Some(now);
        i.dispute_reason = Some(reason);
        i.confirmed_by = None;
        i.confirmed_at = None;
        Ok(())
    })
}

/// The payee withdraws its dispute: the record stands and the instalment runs again from its
/// due date (interest included, ours).
#[tracing::instrument(skip_all)]
pub fn withdraw_dispute(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    id: &str,
) -> Result<InstalmentView> {
    step(
        conn,
        clock,
        actor,
        id,
        "instalment.dispute_withdraw",
        |_, ctx, i| {
            ctx.require(actor, Side::Payee, "withdraws its dispute")?;
            if i.disputed_at.is_none() {
                return Err(refused("refusal.not_disputed"));
            }
            i.disputed_by = None;
            i.disputed_at = None;
            i.dispute_reason = None;
            Ok(())
        },
    )
}

/// One instalment, for its parties and the staff.
#[tracing::instrument(skip_all)]
pub fn show(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    id: &str,
) -> Result<InstalmentView> {
    let (ctx, i) = Context::of_instalment(conn, id)?;
    if !ctx.readable_by(actor) {
        return Err(Error::NotFound(format!("no instalment with id {id}")));
    }
    let payments = repo::payments_of(conn, std::slice::from_ref(&i.id))?;
    instalment_view(conn, &ctx, &i, &payments, today(clock))
}
