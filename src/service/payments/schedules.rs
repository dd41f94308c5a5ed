//! A payment schedule (付款计划): the agency's for a contract, the prime's for a subcontract.
//! Its instalments add up to the amount, each runs from a milestone with a term the
//! regulation allows; a term that waits for the payer to be paid (背靠背) is refused naming the
//! rule. The schedule may be replaced until the first milestone or payment is recorded.

use super::{schedule_view, Context, ScheduleView, Side};
use crate::clock::Clock;
use crate::db::finance as finance_repo;
use crate::db::payments::{self as repo, Instalment, Schedule};
use crate::db::procurement as procurement_repo;
use crate::db::{self, DbConnection};
use crate::domain::lifecycle::ContractStatus;
use crate::domain::payments::{
    self as rules, InstalmentDraft, InstalmentKind, Payer, ScheduleContext, Trigger,
    BACK_TO_BACK_TRIGGERS, MAX_DAYS,
};
use crate::domain::Scale;
use crate::error::{Cause, Error, Result};
use crate::service::audit::{self, Change};
use crate::service::Actor;
use crate::wire::fields::{coded, text, Text};
use crate::wire::FieldProblem;
use chrono::NaiveDate;
use serde::Deserialize;

/// One instalment of `PUT …/schedule`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstalmentInput {
    /// advance (预付款) | progress (进度款) | final (尾款) | retention (质保金)
    #[schema(required = true, nullable = false, example = "final")]
    pub kind: Option<String>,
    #[schema(max_length = 200)]
    pub description: Option<String>,
    /// Yuan as a decimal string.
    #[schema(value_type = Option<String>, example = "100000.00", required = true, nullable = false)]
    pub amount: Option<serde_json::Value>,
    /// signing | delivery | acceptance | warranty_end | date. A payment that waits for the
    /// payer to be paid (third_party_payment) is refused.
    #[schema(required = true, nullable = false, example = "acceptance")]
    pub runs_from: Option<String>,
    /// Days from the milestone to the due date; default the regulation's (30 for an agency,
    /// 60 for a large firm under 802号).
    #[schema(minimum = 0, maximum = 3650)]
    pub term_days: Option<i64>,
    /// The acceptance period after delivery (验收期限), for acceptance and warranty_end.
    #[schema(minimum = 0, maximum = 3650)]
    pub acceptance_days: Option<i64>,
    /// The warranty period after acceptance (质保期), for warranty_end.
    #[schema(minimum = 0, maximum = 3650)]
    pub warranty_days: Option<i64>,
    /// The due date of a `date` instalment (YYYY-MM-DD; not for agencies).
    pub due_on: Option<NaiveDate>,
}

/// Body of `PUT /api/v1/contracts/{id}/schedule` and `PUT /api/v1/subcontracts/{id}/schedule`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleInput {
    #[schema(required = true, nullable = false, max_items = 36)]
    pub instalments: Option<Vec<InstalmentInput>>,
    /// An agreed late-interest rate, percent a year (not below the one-year LPR on signing);
    /// none: the regulation's 0.05 % a day where it binds.
    #[schema(example = "3.65", pattern = r"^[0-9]{1,3}(\.[0-9]{1,4})?$")]
    pub interest_annual_pct: Option<String>,
}

/// What is being scheduled: a contract (the agency pays) or a subcontract (the prime pays).
enum Payable {
    Contract(String),
    Subcontract(String),
}

#[tracing::instrument(skip_all)]
pub fn set_for_contract(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    contract_id: &str,
    input: &ScheduleInput,
) -> Result<ScheduleView> {
    set(
        conn,
        clock,
        actor,
        Payable::Contract(contract_id.to_string()),
        input,
    )
}

#[tracing::instrument(skip_all)]
pub fn set_for_subcontract(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    subcontract_id: &str,
    input: &ScheduleInput,
) -> Result<ScheduleView> {
    set(
        conn,
        clock,
        actor,
        Payable::Subcontract(subcontract_id.to_string()),
        input,
    )
}

/// The schedule of a contract or a subcontract, for its parties and the staff; 404 when none
/// was set.
#[tracing::instrument(skip_all)]
pub fn show(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    payable_id: &str,
) -> Result<ScheduleView> {
    let row = repo::schedule_of(conn, payable_id)?;
    readable_view(conn, clock, actor, row, || {
        format!("no payment schedule for {payable_id}")
    })
}

/// A schedule by its own id, for its parties and the staff (the pages' address of it).
#[tracing::instrument(skip_all)]
pub fn show_by_id(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    schedule_id: &str,
) -> Result<ScheduleView> {
    let row = repo::find_schedule(conn, schedule_id)?;
    readable_view(conn, clock, actor, row, || {
        format!("no payment schedule with id {schedule_id}")
    })
}

/// A schedule's view for a reader who may see it; 404 (`missing`) for anyone else.
fn readable_view(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    row: Option<Schedule>,
    missing: impl Fn() -> String,
) -> Result<ScheduleView> {
    let ctx = match row {
        Some(s) => Context::load(conn, s)?,
        None => return Err(Error::NotFound(missing())),
    };
    if !ctx.readable_by(actor) {
        return Err(Error::NotFound(missing()));
    }
    schedule_view(conn, &ctx, super::today(clock))
}

/// Whether the caller may set the first schedule of a contract (`subcontract` false) or a
/// subcontract: its payer may; another reader may not; anyone else gets a 404, as for an
/// unknown one.
pub fn may_set(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    id: &str,
    subcontract: bool,
) -> Result<bool> {
    let payable = if subcontract {
        Payable::Subcontract(id.to_string())
    } else {
        Payable::Contract(id.to_string())
    };
    let parties = Parties::of(conn, &payable)?;
    let ctx = parties.with(parties.blank(actor, clock.now_naive()));
    if !ctx.readable_by(actor) {
        return Err(Error::NotFound(format!("no payable with id {id}")));
    }
    Ok(ctx.side(actor) == Some(Side::Payer))
}

/// The side the caller is on in a schedule, if any.
pub fn side_on(
    conn: &mut DbConnection,
    actor: &Actor<'_>,
    schedule_id: &str,
) -> Result<Option<Side>> {
    let Some(s) = repo::find_schedule(conn, schedule_id)? else {
        return Ok(None);
    };
    Ok(Context::load(conn, s)?.side(actor))
}

/// The contracts of a project's lot (one, unless a ruling voided an award), newest first.
pub fn contracts_of_lot(
    conn: &mut DbConnection,
    project_id: &str,
    lot_id: &str,
) -> Result<Vec<(String, String)>> {
    let mut rows: Vec<_> = procurement_repo::contracts_of(conn, project_id)?
        .into_iter()
        .filter(|c| c.lot_id == lot_id)
        .collect();
    rows.sort_by_key(|c| std::cmp::Reverse(c.created_at));
    Ok(rows.into_iter().map(|c| (c.id, c.number)).collect())
}

/// The scale a party had when the contract was signed: the evaluation's, as the contract
/// recorded it (`credit_basis`), else the registry's today.
fn winner_scale_at_signing(
    conn: &mut DbConnection,
    c: &procurement_repo::Contract,
) -> Result<Scale> {
    let basis: serde_json::Value = serde_json::from_str(&c.credit_basis).unwrap_or_default();
    if let Some(s) = basis["winner_effective_scale"]
        .as_str()
        .and_then(|s| s.parse().ok())
    {
        return Ok(s);
    }
    let e = crate::service::registry::find(conn, &c.supplier_id)?;
    Ok(e.scale.parse().unwrap_or(Scale::Large))
}

/// Who pays whom and how much, as of the signing.
struct Parties {
    contract: procurement_repo::Contract,
    project: procurement_repo::Project,
    subcontract_id: Option<String>,
    payer: Payer,
    payee_id: String,
    payee_scale: Scale,
    total: i64,
}

impl Parties {
    fn of(conn: &mut DbConnection, payable: &Payable) -> Result<Parties> {
        let (contract, subcontract_id, payee_id, payee_scale, total) = match payable {
            Payable::Contract(id) => {
                let c = procurement_repo::find_contract(conn, id)?
                    .ok_or_else(|| Error::NotFound(format!("no contract with id {id}")))?;
                let scale = winner_scale_at_signing(conn, &c)?;
                let (supplier, amount) = (c.supplier_id.clone(), c.amount_fen);
                (c, None, supplier, scale, amount)
            }
            Payable::Subcontract(id) => {
                let s = finance_repo::find_subcontract(conn, id)?
                    .ok_or_else(|| Error::NotFound(format!("no subcontract with id {id}")))?;
                let c =
                    procurement_repo::find_contract(conn, &s.contract_id)?.ok_or_else(|| {
                        Error::Internal(anyhow::anyhow!("subcontract without a contract"))
                    })?;
                let scale = s.scale.parse().unwrap_or(Scale::Large);
                (c, Some(s.id), s.enterprise_id, scale, s.amount_fen)
            }
        };
        let project = procurement_repo::find_project(conn, &contract.project_id)?
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("contract without a project")))?;
        let payer = match &subcontract_id {
            None => Payer::Agency,
            Some(_) if winner_scale_at_signing(conn, &contract)? == Scale::Large => {
                Payer::LargeFirm
            }
            Some(_) => Payer::Sme,
        };
        Ok(Parties {
            contract,
            project,
            subcontract_id,
            payer,
            payee_id,
            payee_scale,
            total,
        })
    }

    fn payable_id(&self) -> String {
        self.subcontract_id
            .clone()
            .unwrap_or_else(|| self.contract.id.clone())
    }

    /// A schedule of these parties, with the contract and project read once.
    fn with(&self, schedule: Schedule) -> Context {
        Context {
            schedule,
            contract: self.contract.clone(),
            project: self.project.clone(),
        }
    }

    fn context<'a>(&self) -> ScheduleContext<'a> {
        ScheduleContext {
            payer: self.payer,
            payee_sme: self.payee_scale.is_sme(),
            // The 品目's top level: A goods, B works, C services.
            category: self.project.category_code.chars().next().unwrap_or('A'),
            total_fen: self.total,
            signed_on: self.contract.signed_on,
            terms: rules::terms(),
        }
    }

    /// A schedule without instalments, on the regulation's terms.
    fn blank(&self, actor: &Actor<'_>, now: chrono::NaiveDateTime) -> Schedule {
        let ctx = self.context();
        let (basis, rate) =
            rules::interest_terms(&ctx, None).unwrap_or((rules::InterestBasis::None, 0));
        Schedule {
            id: db::new_id(),
            contract_id: self.contract.id.clone(),
            subcontract_id: self.subcontract_id.clone(),
            payable_id: self.payable_id(),
            payer: self.payer.to_string(),
            payee_id: self.payee_id.clone(),
            payee_scale: self.payee_scale.to_string(),
            regime: ctx.regime().map(|r| r.id.clone()),
            interest_basis: basis.to_string(),
            interest_rate_e4: rate,
            created_by: actor.audit_id().to_string(),
            created_at: now,
            updated_at: now,
        }
    }
}

/// A subcontract's schedule, made empty on the regulation's terms when it has none (the old
/// subcontract payment routes add instalments to it one by one). Inside the caller's
/// transaction; the caller checked the prime.
pub(crate) fn ensure_subcontract_schedule(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    s: &crate::db::finance::Subcontract,
) -> Result<Schedule> {
    if let Some(existing) = repo::schedule_of(conn, &s.id)? {
        return Ok(existing);
    }
    let parties = Parties::of(conn, &Payable::Subcontract(s.id.clone()))?;
    let schedule = parties.blank(actor, clock.now_naive());
    repo::insert_schedule(conn, &schedule)?;
    audit::record(
        conn,
        clock,
        Change::new(
            actor.audit_id(),
            "schedule.create",
            "payment_schedule",
            &schedule.id,
        )
        .after(&schedule),
    )?;
    Ok(schedule)
}

fn set(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    payable: Payable,
    input: &ScheduleInput,
) -> Result<ScheduleView> {
    let now = clock.now_naive();
    let ctx = crate::db::write(conn, |conn| {
        let parties = Parties::of(conn, &payable)?;
        let existing = repo::schedule_of(conn, &parties.payable_id())?;
        let schedule = existing
            .clone()
            .unwrap_or_else(|| parties.blank(actor, now));
        let ctx = parties.with(schedule);
        ctx.require(actor, Side::Payer, "sets the payment schedule")?;
        if ctx.contract.status == ContractStatus::Void {
            return Err(crate::service::refuse(
                Cause::WrongState,
                "refusal.contract_void",
                vec![],
            ));
        }
        let before = match &existing {
            Some(s) => {
                let rows = repo::instalments_of(conn, &s.id)?;
                let ids: Vec<String> = rows.iter().map(|i| i.id.clone()).collect();
                let started = rows
                    .iter()
                    .any(|i| i.delivered_on.is_some() || i.accepted_on.is_some())
                    || !repo::payments_of(conn, &ids)?.is_empty();
                if started {
                    return Err(crate::service::refuse(
                        Cause::WrongState,
                        "refusal.schedule_started",
                        vec![],
                    ));
                }
                Some(rows)
            }
            None => None,
        };
        let sctx = parties.context();
        let (drafts, descriptions) = parse(&sctx, input)?;
        let fixed = rules::check_schedule(&sctx, &drafts).map_err(problems)?;
        let agreed = match input.interest_annual_pct.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(t) => Some(rules::parse_pct_e4(t).map_err(|e| {
                Error::Validation(vec![crate::wire::fields::of("interest_annual_pct", &e)])
            })?),
        };
        let (basis, rate) = rules::interest_terms(&sctx, agreed).map_err(|p| problems(vec![p]))?;
        let mut schedule = ctx.schedule.clone();
        schedule.payer = parties.payer.to_string();
        schedule.payee_scale = parties.payee_scale.to_string();
        schedule.regime = sctx.regime().map(|r| r.id.clone());
        schedule.interest_basis = basis.to_string();
        schedule.interest_rate_e4 = rate;
        schedule.updated_at = now;
        if existing.is_some() {
            repo::delete_instalments_of(conn, &schedule.id)?;
            repo::update_schedule(conn, &schedule)?;
        } else {
            repo::insert_schedule(conn, &schedule)?;
        }
        let ctx = Context { schedule, ..ctx };
        let mut rows = Vec::with_capacity(fixed.len());
        for (n, ((terms, draft), description)) in
            fixed.iter().zip(&drafts).zip(descriptions).enumerate()
        {
            let to_i32 = |v: Option<u32>| v.and_then(|d| i32::try_from(d).ok());
            let mut row = Instalment {
                id: db::new_id(),
                schedule_id: ctx.schedule.id.clone(),
                number: i32::try_from(n + 1).unwrap_or(i32::MAX),
                kind: draft.kind,
                description,
                amount_fen: draft.amount_fen,
                runs_from: terms.trigger,
                term_days: to_i32(terms.term_days),
                acceptance_days: to_i32(terms.acceptance_days),
                warranty_days: to_i32(terms.warranty_days),
                fixed_due_on: terms.due_on,
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
                due_on: None,
                settled_on: None,
            };
            row.due_on = rules::due(terms, &ctx.milestones(&row)).date();
            rows.push(row);
        }
        repo::insert_instalments(conn, &rows)?;
        let mut change = Change::new(
            actor.audit_id(),
            "schedule.set",
            "payment_schedule",
            &ctx.schedule.id,
        )
        .after(&serde_json::json!({"schedule": ctx.schedule, "instalments": rows}));
        if let Some(before) = &before {
            change = change.before(&serde_json::json!({"instalments": before}));
        }
        audit::record(conn, clock, change)?;
        Ok::<_, Error>(ctx)
    })?;
    schedule_view(conn, &ctx, super::today(clock))
}

fn problems(list: Vec<rules::Problem>) -> Error {
    Error::Validation(
        list.into_iter()
            .map(|p| coded(p.field, p.code, p.args))
            .collect(),
    )
}

/// The instalments as drafts for the domain's check, with their descriptions; every problem
/// of the input named by its field.
fn parse(
    ctx: &ScheduleContext<'_>,
    input: &ScheduleInput,
) -> Result<(Vec<InstalmentDraft>, Vec<String>)> {
    let mut problems: Vec<FieldProblem> = Vec::new();
    let Some(list) = input.instalments.as_ref() else {
        return Err(Error::Validation(vec![crate::wire::fields::required(
            "instalments",
        )]));
    };
    if list.len() > rules::MAX_INSTALMENTS {
        return Err(crate::wire::fields::invalid(
            "instalments",
            "problem.too_many",
            vec![("max", rules::MAX_INSTALMENTS.to_string())],
        ));
    }
    let mut drafts = Vec::with_capacity(list.len());
    let mut descriptions = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        let field = |name: &str| format!("instalments[{i}].{name}");
        let kind = super::one_of(
            item.kind.as_deref(),
            &field("kind"),
            InstalmentKind::ALL,
            &mut problems,
        );
        let runs_from = item.runs_from.as_deref().map(str::trim);
        let trigger = match runs_from {
            Some(t) if BACK_TO_BACK_TRIGGERS.contains(&t) => {
                let p = rules::back_to_back(ctx, i);
                problems.push(coded(p.field, p.code, p.args));
                None
            }
            _ => super::one_of(runs_from, &field("runs_from"), Trigger::ALL, &mut problems),
        };
        let amount = crate::service::procurement::projects::money(
            &item.amount,
            &field("amount"),
            &mut problems,
        );
        let description = text(
            item.description.as_deref(),
            &field("description"),
            Text::optional(200),
            &mut problems,
        );
        let mut day_count = |name: &str, v: Option<i64>| -> Option<u32> {
            let v = v?;
            match u32::try_from(v) {
                Ok(d) if d <= MAX_DAYS => Some(d),
                _ => {
                    problems.push(coded(
                        field(name),
                        "problem.days_range",
                        vec![("max", MAX_DAYS.to_string())],
                    ));
                    None
                }
            }
        };
        let term_days = day_count("term_days", item.term_days);
        let acceptance_days = day_count("acceptance_days", item.acceptance_days);
        let warranty_days = day_count("warranty_days", item.warranty_days);
        if let (Some(kind), Some(trigger), Some(amount), Some(description)) =
            (kind, trigger, amount, description)
        {
            drafts.push(InstalmentDraft {
                kind,
                amount_fen: amount.0,
                trigger,
                term_days,
                acceptance_days,
                warranty_days,
                due_on: item.due_on,
            });
            descriptions.push(description);
        }
    }
    if problems.is_empty() {
        Ok((drafts, descriptions))
    } else {
        Err(Error::Validation(problems))
    }
}
