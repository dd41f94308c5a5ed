//! An SME reports an unpaid instalment (with its documents) to the finance department, which
//! follows it up and closes it with a note. The parties and the project's agency read it too.

use super::{
    document_view, keep_documents, standing_of, today, Context, PaymentDocumentView, Side,
};
use crate::clock::Clock;
use crate::db::payments::{self as repo, Instalment, PaymentReport, ReportsOf};
use crate::db::{self, DbConnection};
use crate::domain::payments::Status;
use crate::domain::Fen;
use crate::error::{Cause, Error, Result};
use crate::service::audit::{self, Change};
use crate::service::procurement::documents::StoredDocument;
use crate::service::Actor;
use crate::wire::fields::{text, Text};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Body of `POST /api/v1/instalments/{id}/reports` (JSON, or the `part` of a multipart upload
/// with `evidence` files).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportInput {
    /// What is unpaid and what the SME did to be paid.
    #[schema(required = true, nullable = false, max_length = 4000)]
    pub text: Option<String>,
}

/// Body of `POST /api/v1/payment-reports/{id}/close`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseInput {
    /// What the finance department did.
    #[schema(required = true, nullable = false, max_length = 4000)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReportParams {
    /// Only the reports not yet closed.
    pub open: Option<bool>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportView {
    pub id: String,
    pub instalment_id: String,
    pub instalment_number: i32,
    pub schedule_id: String,
    pub contract_id: String,
    pub contract_number: String,
    pub project_id: String,
    pub payer_name: String,
    pub payee_id: String,
    pub payee_name: String,
    pub text: String,
    pub documents: Vec<PaymentDocumentView>,
    pub filed_at: DateTime<Utc>,
    /// The instalment today: its status, due date, outstanding amount, days late, interest.
    pub status: String,
    pub due_on: Option<NaiveDate>,
    #[schema(value_type = String)]
    pub outstanding: String,
    pub days_late: i64,
    #[schema(value_type = String)]
    pub interest: String,
    pub closed_at: Option<DateTime<Utc>>,
    pub closing_note: Option<String>,
}

fn view(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    r: &PaymentReport,
    ctx: &Context,
    i: &Instalment,
) -> Result<ReportView> {
    let payments = repo::payments_of(conn, std::slice::from_ref(&i.id))?;
    let s = standing_of(ctx, i, &payments, today(clock));
    let documents = repo::documents_of(conn, "report", &[r.id.as_str()])?
        .iter()
        .map(document_view)
        .collect();
    Ok(ReportView {
        id: r.id.clone(),
        instalment_id: i.id.clone(),
        instalment_number: i.number,
        schedule_id: ctx.schedule.id.clone(),
        contract_id: ctx.contract.id.clone(),
        contract_number: ctx.contract.number.clone(),
        project_id: ctx.project.id.clone(),
        payer_name: super::payer_name(conn, ctx)?,
        payee_id: ctx.schedule.payee_id.clone(),
        payee_name: crate::service::registry::find(conn, &ctx.schedule.payee_id)?.name,
        text: r.body.clone(),
        documents,
        filed_at: r.filed_at.and_utc(),
        status: s.status.to_string(),
        due_on: s.due_on,
        outstanding: Fen(s.outstanding_fen).to_string(),
        days_late: s.days_late,
        interest: Fen(s.interest_fen).to_string(),
        closed_at: r.closed_at.map(|t| t.and_utc()),
        closing_note: r.closing_note.clone(),
    })
}

/// The payee reports an instalment not paid in full; one open report per instalment.
#[tracing::instrument(skip_all)]
pub fn file(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    instalment_id: &str,
    input: &ReportInput,
    docs: &[StoredDocument],
) -> Result<ReportView> {
    let now = clock.now_naive();
    crate::db::write(conn, |conn| {
        let (ctx, i) = Context::of_instalment(conn, instalment_id)?;
        ctx.require(actor, Side::Payee, "reports an unpaid instalment")?;
        let mut problems = Vec::new();
        let body = text(
            input.text.as_deref(),
            "text",
            Text::required(4000).with_lines(),
            &mut problems,
        );
        let Some(body) = body.filter(|_| problems.is_empty()) else {
            return Err(Error::Validation(problems));
        };
        let payments = repo::payments_of(conn, std::slice::from_ref(&i.id))?;
        if standing_of(&ctx, &i, &payments, today(clock)).status == Status::Paid {
            return Err(crate::service::refuse(
                Cause::WrongState,
                "refusal.instalment_paid",
                vec![],
            ));
        }
        if !repo::open_reports_of(conn, &i.id)?.is_empty() {
            return Err(crate::service::refuse(
                Cause::Duplicate,
                "refusal.report_open",
                vec![],
            ));
        }
        let r = PaymentReport {
            id: db::new_id(),
            instalment_id: i.id.clone(),
            enterprise_id: ctx.schedule.payee_id.clone(),
            body,
            filed_by: actor.audit_id().to_string(),
            filed_at: now,
            closed_by: None,
            closed_at: None,
            closing_note: None,
        };
        repo::insert_report(conn, &r)?;
        keep_documents(conn, actor, "report", &r.id, &ctx.contract.id, docs, now)?;
        audit::record(
            conn,
            clock,
            Change::new(
                actor.audit_id(),
                "payment_report.file",
                "payment_report",
                &r.id,
            )
            .after(&r),
        )?;
        view(conn, clock, &r, &ctx, &i)
    })
}

/// Reports the caller may read, open ones first.
#[tracing::instrument(skip_all)]
pub fn list(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    params: &ReportParams,
) -> Result<Vec<ReportView>> {
    let open = params.open.unwrap_or(false);
    let rows = match actor.enterprise_id() {
        None => repo::reports(conn, ReportsOf::All, open)?,
        // A prime's supplier users read the reports against it as well as their own.
        Some(e) => {
            let mut own = repo::reports(conn, ReportsOf::Payee(e), open)?;
            own.extend(
                repo::reports(conn, ReportsOf::Prime(e), open)?
                    .into_iter()
                    .filter(|r| r.enterprise_id != e),
            );
            own
        }
    };
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let (ctx, i) = Context::of_instalment(conn, &r.instalment_id)?;
        if ctx.readable_by(actor) {
            out.push(view(conn, clock, r, &ctx, &i)?);
        }
    }
    Ok(out)
}

#[tracing::instrument(skip_all)]
pub fn show(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    id: &str,
) -> Result<ReportView> {
    let not_found = || Error::NotFound(format!("no payment report with id {id}"));
    let r = repo::find_report(conn, id)?.ok_or_else(not_found)?;
    let (ctx, i) = Context::of_instalment(conn, &r.instalment_id)?;
    if !ctx.readable_by(actor) {
        return Err(not_found());
    }
    view(conn, clock, &r, &ctx, &i)
}

/// The finance department closes a report with what it did.
#[tracing::instrument(skip_all)]
pub fn close(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    id: &str,
    input: &CloseInput,
) -> Result<ReportView> {
    if !actor.is_finance() {
        return Err(Error::Forbidden(
            "only the finance department closes a payment report".into(),
        ));
    }
    let mut problems = Vec::new();
    let note = text(
        input.note.as_deref(),
        "note",
        Text::required(4000).with_lines(),
        &mut problems,
    );
    let Some(note) = note.filter(|_| problems.is_empty()) else {
        return Err(Error::Validation(problems));
    };
    crate::db::write(conn, |conn| {
        let mut r = repo::find_report(conn, id)?
            .ok_or_else(|| Error::NotFound(format!("no payment report with id {id}")))?;
        if r.closed_at.is_some() {
            return Err(crate::service::refuse(
                Cause::WrongState,
                "refusal.report_closed",
                vec![],
            ));
        }
        let before = r.clone();
        r.closed_by = Some(actor.audit_id().to_string());
        r.closed_at = Some(clock.now_naive());
        r.closing_note = Some(note);
        repo::update_report(conn, &r)?;
        audit::record(
            conn,
            clock,
            Change::new(
                actor.audit_id(),
                "payment_report.close",
                "payment_report",
                &r.id,
            )
            .before(&before)
            .after(&r),
        )?;
        let (ctx, i) = Context::of_instalment(conn, &r.instalment_id)?;
        view(conn, clock, &r, &ctx, &i)
    })
}
