//! 不良行为记录: the finance department bars a firm from government procurement for one to three
//! years (政府采购法 Art. 77) — for a false SME declaration (财库〔2020〕46号 Art. 20), a refusal
//! to sign (实施条例 Art. 72) and the other grounds of Art. 77. A debarred firm's bids are
//! refused naming the record, as bidder, consortium member or subcontractor; the list is public.

use super::today;
use crate::clock::Clock;
use crate::db::enterprises as enterprise_repo;
use crate::db::remedies::{self as repo, Debarment};
use crate::db::DbConnection;
use crate::domain::remedies::{self as rules, DebarmentReason};
use crate::error::{Cause, Error, Result};
use crate::service::audit::{self, Change};
use crate::service::Actor;
use crate::wire::fields::coded;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DebarmentInput {
    /// The firm, by its unified social credit code.
    #[schema(required = true, nullable = false, example = "91653100000000019P")]
    pub credit_code: Option<String>,
    /// false_declaration | refused_to_sign | false_materials | collusion | bribery
    #[schema(
        required = true,
        nullable = false,
        pattern = "^(false_declaration|refused_to_sign|false_materials|collusion|bribery)$"
    )]
    pub reason: Option<String>,
    /// The facts and the decision, in words.
    #[schema(required = true, nullable = false, max_length = 2000)]
    pub text: Option<String>,
    /// 1–3.
    #[schema(required = true, nullable = false, minimum = 1, maximum = 3)]
    pub years: Option<u32>,
    /// The first day barred (YYYY-MM-DD); default today.
    #[schema(format = Date)]
    pub from_on: Option<NaiveDate>,
    /// The project it concerns, if any.
    pub project_id: Option<String>,
    /// The complaint whose ruling found it, if any.
    pub complaint_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LiftInput {
    /// Why the record is lifted (a court judgment, a review decision …).
    #[schema(required = true, nullable = false, max_length = 2000)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DebarmentView {
    pub id: String,
    pub enterprise_id: String,
    pub enterprise_name: String,
    pub credit_code: String,
    /// false_declaration | refused_to_sign | false_materials | collusion | bribery
    pub reason: String,
    pub text: String,
    pub years: i32,
    pub from_on: NaiveDate,
    pub until_on: NaiveDate,
    /// In force today.
    pub in_force: bool,
    pub project_id: Option<String>,
    pub complaint_id: Option<String>,
    pub recorded_at: DateTime<Utc>,
    pub lifted_at: Option<DateTime<Utc>>,
    pub lift_reason: Option<String>,
    /// The law it rests on.
    pub source: String,
}

/// Filters of `GET /api/v1/debarments`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DebarmentParams {
    /// Every record, past and lifted ones too (default: in force today).
    pub all: Option<bool>,
}

fn require_finance(actor: &Actor<'_>) -> Result<()> {
    if actor.is_finance() {
        Ok(())
    } else {
        Err(Error::forbidden(
            "debarments are recorded by the finance department (财政部门)",
        ))
    }
}

/// Records a debarment.
#[tracing::instrument(skip_all)]
pub fn record(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    input: &DebarmentInput,
) -> Result<DebarmentView> {
    require_finance(actor)?;
    let mut problems = Vec::new();
    let reason = match input.reason.as_deref() {
        None => {
            problems.push(crate::wire::fields::required("reason"));
            None
        }
        Some(r) => match r.parse::<DebarmentReason>() {
            Ok(r) => Some(r),
            Err(_) => {
                problems.push(coded(
                    "reason",
                    "problem.debarment_reason",
                    vec![("given", format!("{r:?}"))],
                ));
                None
            }
        },
    };
    let text = super::required_text(&input.text, "text", 2000, &mut problems);
    let from = input.from_on.unwrap_or_else(|| today(clock));
    let d = &rules::rules().debarment;
    let until = match input.years {
        None => {
            problems.push(crate::wire::fields::required("years"));
            None
        }
        Some(y) => {
            let until = rules::debarment_until(from, y);
            if until.is_none() {
                problems.push(coded(
                    "years",
                    "problem.debarment_years",
                    vec![
                        ("min", d.min_years.to_string()),
                        ("max", d.max_years.to_string()),
                    ],
                ));
            }
            until
        }
    };
    let enterprise = match input.credit_code.as_deref().map(str::trim) {
        None | Some("") => {
            problems.push(crate::wire::fields::required("credit_code"));
            None
        }
        Some(code) => {
            let found = enterprise_repo::find_by_credit_code(conn, code)?;
            if found.is_none() {
                problems.push(coded(
                    "credit_code",
                    "problem.not_registered_enterprise",
                    vec![("code", code.to_string())],
                ));
            }
            found
        }
    };
    if let Some(p) = &input.project_id {
        if crate::db::procurement::find_project(conn, p)?.is_none() {
            problems.push(coded(
                "project_id",
                "problem.no_project",
                vec![("id", p.clone())],
            ));
        }
    }
    if let Some(c) = &input.complaint_id {
        if repo::find_complaint(conn, c)?.is_none() {
            problems.push(coded(
                "complaint_id",
                "problem.no_complaint",
                vec![("id", c.clone())],
            ));
        }
    }
    let (Some(reason), Some(text), Some(until), Some(enterprise), true) =
        (reason, text, until, enterprise, problems.is_empty())
    else {
        return Err(Error::Validation(problems));
    };
    let row = Debarment {
        id: crate::db::new_id(),
        enterprise_id: enterprise.id.clone(),
        reason: reason.as_str().to_string(),
        text,
        from_on: from,
        until_on: until,
        years: i32::try_from(input.years.unwrap_or(1)).unwrap_or(1),
        project_id: input.project_id.clone(),
        complaint_id: input.complaint_id.clone(),
        recorded_by: actor.audit_id().to_string(),
        recorded_at: clock.now_naive(),
        lifted_at: None,
        lifted_by: None,
        lift_reason: None,
    };
    crate::db::write(conn, |conn| {
        repo::insert_debarment(conn, &row)?;
        audit::record(
            conn,
            clock,
            Change::new(actor.audit_id(), "debarment.record", "debarment", &row.id).after(&row),
        )
    })?;
    view(conn, clock, &row)
}

/// Lifts a debarment (a court or a review set it aside).
#[tracing::instrument(skip_all)]
pub fn lift(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    id: &str,
    input: &LiftInput,
) -> Result<DebarmentView> {
    require_finance(actor)?;
    let mut problems = Vec::new();
    let reason = super::required_text(&input.reason, "reason", 2000, &mut problems);
    let Some(reason) = reason.filter(|_| problems.is_empty()) else {
        return Err(Error::Validation(problems));
    };
    let now = clock.now_naive();
    let row = crate::db::write(conn, |conn| {
        let mut d = repo::find_debarment(conn, id)?
            .ok_or_else(|| Error::NotFound(format!("no debarment with id {id}")))?;
        if d.lifted_at.is_some() {
            return Err(crate::service::refuse(
                Cause::WrongState,
                "refusal.debarment_lifted",
                vec![],
            ));
        }
        let before = d.clone();
        d.lifted_at = Some(now);
        d.lifted_by = Some(actor.audit_id().to_string());
        d.lift_reason = Some(reason);
        repo::update_debarment(conn, &d)?;
        audit::record(
            conn,
            clock,
            Change::new(actor.audit_id(), "debarment.lift", "debarment", &d.id)
                .before(&before)
                .after(&d),
        )?;
        Ok::<_, Error>(d)
    })?;
    view(conn, clock, &row)
}

/// The public list: records in force today, or every record.
#[tracing::instrument(skip_all)]
pub fn list(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    params: &DebarmentParams,
) -> Result<Vec<DebarmentView>> {
    let rows = repo::list_debarments(conn, today(clock), params.all == Some(true), 500)?;
    rows.iter().map(|d| view(conn, clock, d)).collect()
}

#[tracing::instrument(skip_all)]
pub fn show(conn: &mut DbConnection, clock: &dyn Clock, id: &str) -> Result<DebarmentView> {
    let d = repo::find_debarment(conn, id)?
        .ok_or_else(|| Error::NotFound(format!("no debarment with id {id}")))?;
    view(conn, clock, &d)
}

fn view(conn: &mut DbConnection, clock: &dyn Clock, d: &Debarment) -> Result<DebarmentView> {
    let today = today(clock);
    let e = enterprise_repo::find_by_id(conn, &d.enterprise_id)?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("debarred enterprise missing")))?;
    Ok(DebarmentView {
        id: d.id.clone(),
        enterprise_id: e.id,
        enterprise_name: e.name,
        credit_code: e.credit_code,
        reason: d.reason.clone(),
        text: d.text.clone(),
        years: d.years,
        from_on: d.from_on,
        until_on: d.until_on,
        in_force: d.lifted_at.is_none() && d.from_on <= today && today <= d.until_on,
        project_id: d.project_id.clone(),
        complaint_id: d.complaint_id.clone(),
        recorded_at: d.recorded_at.and_utc(),
        lifted_at: d.lifted_at.map(|t| t.and_utc()),
        lift_reason: d.lift_reason.clone(),
        source: rules::rules().debarment.source.clone(),
    })
}
