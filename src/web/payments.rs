//! Paying SMEs on time, for people: a contract's (or subcontract's) payment schedule with its
//! instalments, due dates and late interest; the payer sets the schedule and records delivery,
//! acceptance (with its documents) and payments; the payee confirms or disputes, confirms
//! payments and reports an unpaid instalment to the finance department; a supplier's
//! receivables. The same services as the API (`docs/payments.md`).

use super::public::parse_date;
use super::remedies::{form_and_files, keeping};
use super::{done_or_again, html, page, Base, Form, PageResult, State, WithBase};
use crate::error::Error;
use crate::http::actor::actor;
use crate::service::payments::milestones::{self, AcceptanceInput, DeliveryInput, DisputeInput};
use crate::service::payments::record::{self, PaymentInput};
use crate::service::payments::reports::{self, CloseInput, ReportInput};
use crate::service::payments::schedules::{self, InstalmentInput, ScheduleInput};
use crate::service::payments::{oversight, InstalmentView, ScheduleView, Side};
use actix_web::{web, HttpRequest};
use askama::Template;

type Id = web::Path<String>;

/// Rows of the schedule form; a longer plan goes through the API.
pub const FORM_ROWS: usize = 6;

/// What a schedule page is about: a contract (the agency pays), a subcontract (the prime pays),
/// or a schedule by its own id (where the forms lead back to).
#[derive(Clone)]
enum Payable {
    Contract(String),
    Subcontract(String),
    Schedule(String),
}

impl Payable {
    fn form_action(&self) -> String {
        match self {
            Payable::Contract(id) => format!("/contracts/{id}/payments"),
            Payable::Subcontract(id) => format!("/subcontracts/{id}/payments"),
            Payable::Schedule(id) => format!("/payment-schedules/{id}"),
        }
    }
}

#[derive(Template)]
#[template(path = "payments.html")]
struct SchedulePage {
    b: Base,
    s: Option<ScheduleView>,
    /// The caller pays (forms to record) or is paid (forms to confirm), or neither.
    payer: bool,
    payee: bool,
    /// Where the schedule form posts (none once a schedule exists or for a bare schedule id).
    set_action: Option<String>,
    rows: Vec<usize>,
    f: Form,
    problems: Vec<String>,
}

impl SchedulePage {
    /// Milestones may still be recorded on an instalment (it runs from one and is unpaid).
    fn needs_milestone(&self, i: &InstalmentView) -> bool {
        matches!(
            i.runs_from.as_str(),
            "delivery" | "acceptance" | "warranty_end"
        ) && i.status != "paid"
    }

    fn row_field(&self, name: &str, row: &usize) -> String {
        self.f.text(&format!("{name}{row}"))
    }
}

async fn schedule_page(
    state: &State,
    b: &Base,
    what: Payable,
    f: Form,
    problems: Vec<String>,
) -> PageResult {
    let (clock, caller, key) = (state.clock.clone(), b.caller(), what.clone());
    let (s, side) = state
        .db(move |conn| {
            let a = actor(&caller);
            let shown = match &key {
                Payable::Contract(id) | Payable::Subcontract(id) => {
                    schedules::show(conn, clock.as_ref(), &a, id)
                }
                Payable::Schedule(id) => schedules::show_by_id(conn, clock.as_ref(), &a, id),
            };
            let (id, subcontract) = match (&shown, &key) {
                (Ok(s), _) => {
                    let side = schedules::side_on(conn, &a, &s.id)?;
                    return Ok((shown.ok(), side));
                }
                (Err(Error::NotFound(_)), Payable::Contract(id)) => (id, false),
                (Err(Error::NotFound(_)), Payable::Subcontract(id)) => (id, true),
                _ => return shown.map(|_| (None, None)),
            };
            // No schedule yet: its payer may set one; another reader only sees that.
            let payer = schedules::may_set(conn, clock.as_ref(), &a, id, subcontract)?;
            Ok((None, payer.then_some(Side::Payer)))
        })
        .await
        .on(b)?;
    let set_action = match (&s, &what) {
        (None, Payable::Contract(_) | Payable::Subcontract(_)) if side == Some(Side::Payer) => {
            Some(what.form_action())
        }
        (Some(s), Payable::Contract(_) | Payable::Subcontract(_))
            if side == Some(Side::Payer) && s.paid == "0.00" && no_milestone(s) =>
        {
            Some(what.form_action())
        }
        _ => None,
    };
    // Replacing a schedule starts from the one in force.
    let f = match &s {
        Some(s) if set_action.is_some() && f.0.is_empty() => prefilled(s),
        _ => f,
    };
    Ok(html(
        crate::web::form_status(&problems),
        b,
        &SchedulePage {
            b: b.clone(),
            s,
            payer: side == Some(Side::Payer),
            payee: side == Some(Side::Payee),
            set_action,
            rows: (1..=FORM_ROWS).collect(),
            f,
            problems,
        },
    ))
}

/// The schedule form filled with a schedule's instalments.
fn prefilled(s: &ScheduleView) -> Form {
    let mut fields = Vec::new();
    for (row, i) in s.instalments.iter().take(FORM_ROWS).enumerate() {
        let row = row + 1;
        let mut put = |name: &str, value: Option<String>| {
            if let Some(v) = value {
                fields.push((format!("{name}{row}"), v));
            }
        };
        put("kind", Some(i.kind.clone()));
        put("description", Some(i.description.clone()));
        put("amount", Some(i.amount.clone()));
        put("runs_from", Some(i.runs_from.clone()));
        put("term_days", i.term_days.map(|d| d.to_string()));
        put("acceptance_days", i.acceptance_days.map(|d| d.to_string()));
        put("warranty_days", i.warranty_days.map(|d| d.to_string()));
        put("due_on", i.fixed_due_on.map(|d| d.to_string()));
    }
    if s.interest_basis == "agreed" {
        fields.push(("interest_annual_pct".into(), s.interest_rate.clone()));
    }
    Form(fields)
}

fn no_milestone(s: &ScheduleView) -> bool {
    s.instalments
        .iter()
        .all(|i| i.delivered_on.is_none() && i.accepted_on.is_none())
}

pub async fn contract(state: State, b: Base, id: Id) -> PageResult {
    let what = Payable::Contract(id.into_inner());
    schedule_page(&state, &b, what, Form::default(), Vec::new()).await
}

pub async fn subcontract(state: State, b: Base, id: Id) -> PageResult {
    let what = Payable::Subcontract(id.into_inner());
    schedule_page(&state, &b, what, Form::default(), Vec::new()).await
}

pub async fn schedule(state: State, b: Base, id: Id) -> PageResult {
    let what = Payable::Schedule(id.into_inner());
    schedule_page(&state, &b, what, Form::default(), Vec::new()).await
}

fn whole(f: &Form, name: &str) -> Result<Option<i64>, Error> {
    f.get(name)
        .map(|v| {
            v.parse::<i64>().map_err(|_| {
                crate::wire::fields::invalid(
                    name,
                    "problem.whole_number",
                    vec![("given", format!("{v:?}"))],
                )
            })
        })
        .transpose()
}

/// The schedule form: the rows with an amount, in order.
fn schedule_input(f: &Form) -> Result<ScheduleInput, Error> {
    let mut instalments = Vec::new();
    for row in 1..=FORM_ROWS {
        let field = |n: &str| format!("{n}{row}");
        let Some(amount) = f.get(&field("amount")) else {
            continue;
        };
        instalments.push(InstalmentInput {
            kind: f.get(&field("kind")),
            description: f.get(&field("description")),
            amount: Some(serde_json::Value::String(amount)),
            runs_from: f.get(&field("runs_from")),
            term_days: whole(f, &field("term_days"))?,
            acceptance_days: whole(f, &field("acceptance_days"))?,
            warranty_days: whole(f, &field("warranty_days"))?,
            due_on: parse_date(f, &field("due_on"))?,
        });
    }
    Ok(ScheduleInput {
        instalments: Some(instalments),
        interest_annual_pct: f.get("interest_annual_pct"),
    })
}

async fn set_schedule(state: State, b: Base, what: Payable, f: Form) -> PageResult {
    let input = schedule_input(&f);
    let (clock, caller, key) = (state.clock.clone(), b.caller(), what.clone());
    let result = state
        .db(move |conn| {
            let input = input?;
            let a = actor(&caller);
            match &key {
                Payable::Contract(id) => {
                    schedules::set_for_contract(conn, clock.as_ref(), &a, id, &input)
                }
                Payable::Subcontract(id) => {
                    schedules::set_for_subcontract(conn, clock.as_ref(), &a, id, &input)
                }
                Payable::Schedule(id) => Err(Error::NotFound(format!("no payable {id}"))),
            }
        })
        .await;
    let back = what.form_action();
    done_or_again(
        &b,
        result,
        |_| back,
        |problems| schedule_page(&state, &b, what, f, problems),
    )
    .await
}

pub async fn set_contract_schedule(state: State, b: Base, id: Id, f: Form) -> PageResult {
    set_schedule(state, b, Payable::Contract(id.into_inner()), f).await
}

pub async fn set_subcontract_schedule(state: State, b: Base, id: Id, f: Form) -> PageResult {
    set_schedule(state, b, Payable::Subcontract(id.into_inner()), f).await
}

/// A step on an instalment; back to its schedule, or the schedule again with the problems.
async fn step(
    state: State,
    b: Base,
    instalment_id: String,
    f: Form,
    action: impl super::Action<InstalmentView>,
) -> PageResult {
    let result = super::run_action(&state, &b, instalment_id.clone(), action).await;
    after_step(&state, &b, instalment_id, f, result, |i| {
        format!("/payment-schedules/{}#i-{}", i.schedule_id, i.id)
    })
    .await
}

/// After a step on an instalment: on to `target`, or its schedule's page again with the
/// problems and what was typed.
async fn after_step<T>(
    state: &State,
    b: &Base,
    instalment_id: String,
    f: Form,
    result: crate::error::Result<T>,
    target: impl FnOnce(T) -> String,
) -> PageResult {
    done_or_again(b, result, target, |problems| async move {
        let schedule_id = schedule_of(state, b, instalment_id).await?;
        schedule_page(state, b, Payable::Schedule(schedule_id), f, problems).await
    })
    .await
}

/// The schedule an instalment belongs to (404 for one the caller may not read).
async fn schedule_of(
    state: &State,
    b: &Base,
    instalment_id: String,
) -> Result<String, super::PageError> {
    let (clock, caller) = (state.clock.clone(), b.caller());
    state
        .db(move |conn| milestones::show(conn, clock.as_ref(), &actor(&caller), &instalment_id))
        .await
        .map(|i| i.schedule_id)
        .on(b)
}

pub async fn delivery(state: State, b: Base, id: Id, f: Form) -> PageResult {
    let input = parse_date(&f, "delivered_on").map(|d| DeliveryInput {
        delivered_on: d,
        note: f.get("note"),
    });
    step(
        state,
        b,
        id.into_inner(),
        f.clone(),
        move |conn, clock, a, id| milestones::record_delivery(conn, clock, a, id, &input?, &[]),
    )
    .await
}

pub async fn acceptance(
    state: State,
    b: Base,
    id: Id,
    req: HttpRequest,
    payload: web::Payload,
) -> PageResult {
    let id = id.into_inner();
    let (f, files) = form_and_files(&state, &b, &req, payload).await?;
    let input = parse_date(&f, "accepted_on").map(|d| AcceptanceInput {
        accepted_on: d,
        result: f.get("result"),
        note: f.get("note"),
    });
    let (clock, caller, iid) = (state.clock.clone(), b.caller(), id.clone());
    let result = keeping(&state, files, move |conn, docs| {
        milestones::record_acceptance(conn, clock.as_ref(), &actor(&caller), &iid, &input?, docs)
    })
    .await;
    after_step(&state, &b, id, f, result, |i| {
        format!("/payment-schedules/{}#i-{}", i.schedule_id, i.id)
    })
    .await
}

pub async fn confirm(state: State, b: Base, id: Id, f: Form) -> PageResult {
    step(state, b, id.into_inner(), f, milestones::confirm).await
}

pub async fn dispute(state: State, b: Base, id: Id, f: Form) -> PageResult {
    let input = DisputeInput {
        reason: f.get("reason"),
    };
    step(state, b, id.into_inner(), f, move |conn, clock, a, id| {
        milestones::dispute(conn, clock, a, id, &input)
    })
    .await
}

pub async fn withdraw_dispute(state: State, b: Base, id: Id, f: Form) -> PageResult {
    step(state, b, id.into_inner(), f, milestones::withdraw_dispute).await
}

pub async fn pay(state: State, b: Base, id: Id, f: Form) -> PageResult {
    let input = parse_date(&f, "paid_on").map(|d| PaymentInput {
        amount: f.get("amount").map(serde_json::Value::String),
        paid_on: d,
        reference: f.get("reference"),
    });
    step(
        state,
        b,
        id.into_inner(),
        f.clone(),
        move |conn, clock, a, id| record::record_payment(conn, clock, a, id, &input?),
    )
    .await
}

/// The payee confirms a payment; back to its instalment. (The form carries only its CSRF
/// token, which the `Form` extractor checks.)
pub async fn confirm_payment(state: State, b: Base, id: Id, _csrf: Form) -> PageResult {
    let (clock, caller, pid) = (state.clock.clone(), b.caller(), id.into_inner());
    let i = state
        .db(move |conn| record::confirm_payment(conn, clock.as_ref(), &actor(&caller), &pid))
        .await
        .on(&b)?;
    Ok(super::see_other(&format!(
        "/payment-schedules/{}#i-{}",
        i.schedule_id, i.id
    )))
}

/// The payee reports an unpaid instalment, with documents, to the finance department.
pub async fn report(
    state: State,
    b: Base,
    id: Id,
    req: HttpRequest,
    payload: web::Payload,
) -> PageResult {
    let id = id.into_inner();
    let (f, files) = form_and_files(&state, &b, &req, payload).await?;
    let input = ReportInput {
        text: f.get("text"),
    };
    let (clock, caller, iid) = (state.clock.clone(), b.caller(), id.clone());
    let result = keeping(&state, files, move |conn, docs| {
        reports::file(conn, clock.as_ref(), &actor(&caller), &iid, &input, docs)
    })
    .await;
    after_step(&state, &b, id, f, result, |r| {
        format!("/payment-schedules/{}#i-{}", r.schedule_id, r.instalment_id)
    })
    .await
}

/// The finance department closes a report (from the dashboard).
pub async fn close_report(state: State, b: Base, id: Id, f: Form) -> PageResult {
    let input = CloseInput {
        note: f.get("note"),
    };
    let (clock, caller, rid) = (state.clock.clone(), b.caller(), id.into_inner());
    state
        .db(move |conn| reports::close(conn, clock.as_ref(), &actor(&caller), &rid, &input))
        .await
        .on(&b)?;
    Ok(super::see_other("/finance#payment-reports"))
}

/// A delivery or acceptance record's file, or a report's, for a reader of its schedule.
pub async fn document(state: State, b: Base, id: Id) -> PageResult {
    let (caller, id) = (b.caller(), id.into_inner());
    let row = state
        .db(move |conn| crate::service::payments::document(conn, &actor(&caller), &id))
        .await
        .on(&b)?;
    crate::http::documents::send_verified(
        &state,
        &row.location,
        &row.sha256,
        &row.media_type,
        row.size_bytes,
        &row.filename,
    )
    .await
    .on(&b)
}

#[derive(Template)]
#[template(path = "receivables.html")]
struct ReceivablesPage {
    b: Base,
    schedules: Vec<ScheduleView>,
    /// What the supplier, as a prime, owes its subcontractors.
    payables: Vec<oversight::PayableView>,
}

/// A supplier's receivables (every schedule that pays it, with what is due and overdue) and,
/// as a prime, what it owes its subcontractors.
pub async fn receivables(state: State, b: Base) -> PageResult {
    let (clock, caller) = (state.clock.clone(), b.caller());
    let (schedules, payables) = state
        .db(move |conn| {
            let a = actor(&caller);
            Ok((
                oversight::receivables(conn, clock.as_ref(), &a)?,
                oversight::payables(conn, clock.as_ref(), &a)?,
            ))
        })
        .await
        .on(&b)?;
    Ok(page(
        &b,
        &ReceivablesPage {
            b: b.clone(),
            schedules,
            payables,
        },
    ))
}
