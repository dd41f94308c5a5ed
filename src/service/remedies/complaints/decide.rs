//! The finance department's decisions on a complaint: acceptance (with a suspension) or
//! rejection, suspensions, the ruling with its remedy and its notice.

use super::*;

/// Suspension days checked against the legal maximum.
fn suspension(
    from: NaiveDate,
    days: Option<u32>,
    field: &str,
) -> Result<Option<(NaiveDate, NaiveDate)>> {
    let Some(days) = days else {
        return Ok(None);
    };
    let until = rules::suspension_until(from, days).ok_or_else(|| {
        crate::wire::fields::invalid(
            field,
            "problem.suspension_days",
            vec![("max", rules::rules().suspension.max_days.to_string())],
        )
    })?;
    Ok(Some((from, until)))
}

/// Changes a complaint as the finance department, with its audit event.
fn decide(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    id: &str,
    action: &str,
    change: impl FnOnce(&mut DbConnection, &mut Complaint) -> Result<()>,
) -> Result<Complaint> {
    require_finance(actor)?;
    crate::db::write(conn, |conn| {
        let mut c = find(conn, id)?;
        let before = c.clone();
        change(conn, &mut c)?;
        repo::update_complaint(conn, &c)?;
        audit::record(
            conn,
            clock,
            Change::new(actor.audit_id(), action, "complaint", &c.id)
                .before(&before)
                .after(&c),
        )?;
        Ok(c)
    })
}

/// Accepts a complaint (受理), optionally suspending the procurement.
#[tracing::instrument(skip_all)]
pub fn accept(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    id: &str,
    input: &AcceptInput,
) -> Result<ComplaintView> {
    let mut problems = Vec::new();
    let note = crate::wire::fields::text(
        input.note.as_deref(),
        "note",
        crate::wire::fields::Text::optional(2000).with_lines(),
        &mut problems,
    );
    if !problems.is_empty() {
        return Err(Error::Validation(problems));
    }
    let today = today(clock);
    let span = suspension(today, input.suspend_days, "suspend_days")?;
    let now = clock.now_naive();
    let c = decide(conn, clock, actor, id, "complaint.accept", |_, c| {
        if c.state != ComplaintState::Filed {
            return Err(wrong_state(c, "refusal.complaint_not_filed"));
        }
        c.state = ComplaintState::Accepted;
        c.decided_by = Some(actor.audit_id().to_string());
        c.decided_at = Some(now);
        c.decision_reason = note.filter(|n| !n.is_empty());
        if let Some((from, until)) = span {
            c.suspended_from = Some(from);
            c.suspended_until = Some(until);
        }
        Ok(())
    })?;
    view(conn, clock, &c)
}

/// Rejects a complaint (不予受理) with its reason.
#[tracing::instrument(skip_all)]
pub fn reject(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    id: &str,
    input: &RejectInput,
) -> Result<ComplaintView> {
    let mut problems = Vec::new();
    let reason = required_text(&input.reason, "reason", 2000, &mut problems);
    let Some(reason) = reason.filter(|_| problems.is_empty()) else {
        return Err(Error::Validation(problems));
    };
    let now = clock.now_naive();
    let c = decide(conn, clock, actor, id, "complaint.reject", |_, c| {
        if c.state != ComplaintState::Filed {
            return Err(wrong_state(c, "refusal.complaint_not_filed"));
        }
        c.state = ComplaintState::Rejected;
        c.decided_by = Some(actor.audit_id().to_string());
        c.decided_at = Some(now);
        c.decision_reason = Some(reason);
        Ok(())
    })?;
    view(conn, clock, &c)
}

/// Suspends the procurement of an accepted complaint, or extends the suspension (30 days at
/// most from its first day).
#[tracing::instrument(skip_all)]
pub fn suspend(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    id: &str,
    input: &SuspendInput,
) -> Result<ComplaintView> {
    if input.days.is_none() {
        return Err(Error::Validation(vec![crate::wire::fields::required(
            "days",
        )]));
    }
    let today = today(clock);
    let c = decide(conn, clock, actor, id, "complaint.suspend", |_, c| {
        if c.state != ComplaintState::Accepted {
            return Err(wrong_state(c, "refusal.complaint_not_accepted"));
        }
        // A suspension lifted or run out starts again today; one in force keeps its first day.
        let running =
            c.suspension_lifted_at.is_none() && c.suspended_until.is_some_and(|u| u >= today);
        let from = c.suspended_from.filter(|_| running).unwrap_or(today);
        let (from, until) = suspension(from, input.days, "days")?
            .ok_or_else(|| Error::Validation(vec![crate::wire::fields::required("days")]))?;
        if until < today {
            return Err(crate::wire::fields::invalid(
                "days",
                "problem.suspension_past",
                vec![("from", from.to_string())],
            ));
        }
        c.suspended_from = Some(from);
        c.suspended_until = Some(until);
        c.suspension_lifted_at = None;
        Ok(())
    })?;
    view(conn, clock, &c)
}

/// Lifts a suspension before its end.
#[tracing::instrument(skip_all)]
pub fn resume(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    id: &str,
) -> Result<ComplaintView> {
    let now = clock.now_naive();
    let c = decide(conn, clock, actor, id, "complaint.resume", |_, c| {
        if c.suspended_until.is_none() || c.suspension_lifted_at.is_some() {
            return Err(wrong_state(c, "refusal.complaint_not_suspended"));
        }
        c.suspension_lifted_at = Some(now);
        Ok(())
    })?;
    view(conn, clock, &c)
}

/// Rules on an accepted complaint; an upheld one's remedy takes effect on the lot (or, for a
/// challenge to the documents, every lot of the project), and the ruling is published.
#[tracing::instrument(skip_all)]
pub fn rule(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    id: &str,
    input: &RulingInput,
    docs: &[StoredDocument],
) -> Result<ComplaintView> {
    require_finance(actor)?;
    let mut problems = Vec::new();
    let ruling = match input.ruling.as_deref() {
        None => {
            problems.push(crate::wire::fields::required("ruling"));
            None
        }
        Some(r) => match r.parse::<Finding>() {
            Ok(r) => Some(r),
            Err(_) => {
                problems.push(coded(
                    "ruling",
                    "problem.finding",
                    vec![("given", format!("{r:?}"))],
                ));
                None
            }
        },
    };
    let remedy = match (ruling, input.remedy.as_deref()) {
        (Some(Finding::Upheld), None) => {
            problems.push(coded("remedy", "problem.remedy_required", vec![]));
            None
        }
        (Some(Finding::Dismissed), Some(_)) => {
            problems.push(coded("remedy", "problem.remedy_when_dismissed", vec![]));
            None
        }
        (_, Some(r)) => match r.parse::<Remedy>() {
            Ok(r) => Some(r),
            Err(_) => {
                problems.push(coded(
                    "remedy",
                    "problem.remedy",
                    vec![("given", format!("{r:?}"))],
                ));
                None
            }
        },
        _ => None,
    };
    let text = required_text(&input.text, "text", 5000, &mut problems);
    let (Some(ruling), Some(text), true) = (ruling, text, problems.is_empty()) else {
        return Err(Error::Validation(problems));
    };
    let now = clock.now_naive();
    let complaint = crate::db::write(conn, |conn| {
        let mut c = find(conn, id)?;
        if c.state != ComplaintState::Accepted {
            return Err(wrong_state(&c, "refusal.complaint_not_accepted"));
        }
        let project = crate::service::procurement::find_project(conn, &c.project_id)?;
        let lots: Vec<_> = match &c.lot_id {
            Some(l) => procurement_repo::find_lot(conn, l)?.into_iter().collect(),
            None => procurement_repo::lots_of(conn, &project.id)?,
        };
        if c.lot_id.is_none() && matches!(remedy, Some(Remedy::ReEvaluation | Remedy::AwardVoid)) {
            return Err(crate::wire::fields::invalid(
                "remedy",
                "problem.remedy_needs_lot",
                vec![],
            ));
        }
        let why = format!("投诉处理决定（{}）：{text}", c.id);
        let who = actor.audit_id();
        for lot in &lots {
            let Some(remedy) = remedy else { break };
            match remedy {
                Remedy::ReEvaluation if lot.state == LotState::Open => {
                    return Err(lot_refusal(lot, "refusal.remedy_lot_open"));
                }
                Remedy::AwardVoid if !lot.state.has_winner() => {
                    return Err(lot_refusal(lot, "refusal.remedy_no_award"));
                }
                // Ended already (terminated): nothing more to end.
                Remedy::ReProcurement if lot.termination_reason.is_some() => continue,
                _ => {}
            }
            outcomes::apply_remedy(conn, clock, who, lot, remedy, &why)?;
        }
        let project = outcomes::settle(conn, clock, who, &project)?;
        let before = c.clone();
        c.state = ComplaintState::Ruled;
        c.ruling = Some(ruling.as_str().to_string());
        c.remedy = remedy.map(|r| r.as_str().to_string());
        c.ruling_text = Some(text.clone());
        c.ruled_by = Some(who.to_string());
        c.ruled_at = Some(now);
        // The ruling ends any suspension.
        if c.suspended_until.is_some() && c.suspension_lifted_at.is_none() {
            c.suspension_lifted_at = Some(now);
        }
        let complainant = enterprise_repo::find_by_id(conn, &c.enterprise_id)?;
        let body = serde_json::json!({
            "complaint_id": c.id,
            "project_id": project.id,
            "project_number": project.number,
            "title": project.title,
            "lots": lots.iter().map(|l| serde_json::json!({"id": l.id, "number": l.number, "title": l.title})).collect::<Vec<_>>(),
            "complainant": complainant.map(|e| serde_json::json!({"name": e.name, "credit_code": e.credit_code})),
            "filed_on": crate::domain::beijing::day_of(c.filed_at),
            "ruling": ruling.as_str(),
            "remedy": remedy.map(|r| r.as_str()),
            "text": text,
            "ruled_on": crate::domain::beijing::day_of(now),
            "source": rules::rules().ruling.source,
        });
        let notice = notices::publish(
            conn,
            clock,
            who,
            &project,
            NoticeKind::ComplaintRuling,
            body,
            None,
        )?;
        c.notice_id = Some(notice.id);
        repo::update_complaint(conn, &c)?;
        let kept = keep_documents(conn, actor, "ruling", &c.id, &c.project_id, docs, now)?;
        audit::record(
            conn,
            clock,
            Change::new(who, "complaint.rule", "complaint", &c.id)
                .before(&before)
                .after(&(&c, &kept)),
        )?;
        Ok::<_, Error>(c)
    })?;
    view(conn, clock, &complaint)
}

fn lot_refusal(lot: &crate::db::procurement::Lot, code: &'static str) -> Error {
    crate::service::refuse(
        Cause::WrongState,
        code,
        crate::service::procurement::lot_said(lot),
    )
}
