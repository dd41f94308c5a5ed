//! Filing, answering and withdrawing a challenge, with the day its clock runs from.

use super::*;

fn kind_of(
    value: Option<&str>,
    problems: &mut Vec<crate::wire::FieldProblem>,
) -> Option<ChallengeKind> {
    match value {
        None => {
            problems.push(crate::wire::fields::required("kind"));
            None
        }
        Some(k) => match k.parse::<ChallengeKind>() {
            Ok(k) => Some(k),
            Err(_) => {
                problems.push(coded(
                    "kind",
                    "problem.challenge_kind",
                    vec![("given", format!("{k:?}"))],
                ));
                None
            }
        },
    }
}

/// The lot a challenge names, a lot of the project.
fn lot_of(
    conn: &mut DbConnection,
    project: &Project,
    lot_id: Option<&str>,
    required: bool,
) -> Result<Option<Lot>> {
    match lot_id {
        None if required => Err(crate::wire::fields::invalid(
            "lot_id",
            "problem.challenge_lot_required",
            vec![],
        )),
        None => Ok(None),
        Some(id) => match procurement_repo::find_lot(conn, id)? {
            Some(l) if l.project_id == project.id => Ok(Some(l)),
            _ => Err(crate::wire::fields::invalid(
                "lot_id",
                "problem.not_a_lot_of_project",
                vec![("id", id.to_string())],
            )),
        },
    }
}

/// Whether an enterprise took part in a lot: a bid of any state, in the clear or sealed.
fn took_part(
    conn: &mut DbConnection,
    keys: &ServerKeys,
    lot: &Lot,
    enterprise_id: &str,
) -> Result<bool> {
    Ok(procurement_repo::has_bid(conn, &lot.id, enterprise_id)?
        || procurement_repo::has_sealed_bid(conn, &lot.id, &keys.bidder_tag(enterprise_id))?)
}

/// What a challenge is about, and who makes it when.
struct Claim<'a> {
    project: &'a Project,
    lot: Option<&'a Lot>,
    kind: ChallengeKind,
    step: Option<ProcessStep>,
    enterprise_id: &'a str,
    now: chrono::NaiveDateTime,
}

/// The facts that fix the day the supplier knew, checking that it may challenge at all.
fn known_from(
    conn: &mut DbConnection,
    keys: &ServerKeys,
    cal: &crate::domain::calendar::Calendar,
    claim: &Claim<'_>,
) -> Result<KnownFrom> {
    let Claim {
        project,
        lot,
        kind,
        step,
        enterprise_id,
        now,
    } = *claim;
    let r = rules::rules();
    let not_part = || {
        Error::forbidden(
            "only a supplier that took part in this lot may challenge its process or result (94号令 Art. 11)",
        )
        .said("refusal.challenge_not_party", vec![])
    };
    match kind {
        ChallengeKind::Documents => {
            let published = project
                .published_at
                .ok_or_else(|| Error::Internal(anyhow::anyhow!("published without a date")))?;
            let notice_period_end = rules::period_end(
                cal,
                day_of(published),
                r.procurement_notice_days(&project.procurement_method),
            )
            .map_err(calendar_refusal)?;
            let obtained = procurement_repo::first_obtained(
                conn,
                &project.id,
                &keys.bidder_tag(enterprise_id),
            )?
            .map(day_of);
            let has_documents =
                !procurement_repo::project_documents_of(conn, &project.id)?.is_empty();
            if has_documents && obtained.is_none() {
                return Err(Error::forbidden(
                    "only a supplier that obtained the procurement documents may challenge them (94号令 Art. 11)",
                )
                .said("refusal.challenge_not_obtained", vec![]));
            }
            Ok(KnownFrom::Documents {
                obtained,
                notice_period_end,
            })
        }
        ChallengeKind::Process => {
            let lot = lot.ok_or_else(|| Error::Internal(anyhow::anyhow!("lot checked")))?;
            if !took_part(conn, keys, lot, enterprise_id)? {
                return Err(not_part());
            }
            let ended = match step {
                Some(ProcessStep::Opening) => procurement_repo::find_lot_key(conn, &lot.id)?
                    .and_then(|k| k.opened_at)
                    .or_else(|| {
                        // A lot published before sealing opened at its opening time.
                        project.opening_at.filter(|_| {
                            crate::service::procurement::phase(project, now).is_opened()
                        })
                    }),
                Some(ProcessStep::Evaluation) => {
                    procurement_repo::latest_run(conn, &lot.id)?.map(|r| r.created_at)
                }
                None => None,
            };
            let Some(ended) = ended else {
                return Err(crate::service::refuse(
                    Cause::WrongState,
                    "refusal.challenge_step_not_yet",
                    vec![
                        ("lot", lot.number.to_string()),
                        (
                            "step",
                            step.map(|s| s.as_str()).unwrap_or_default().to_string(),
                        ),
                    ],
                ));
            };
            Ok(KnownFrom::Process {
                step_end: day_of(ended),
            })
        }
        ChallengeKind::Result => {
            let lot = lot.ok_or_else(|| Error::Internal(anyhow::anyhow!("lot checked")))?;
            if !took_part(conn, keys, lot, enterprise_id)? {
                return Err(not_part());
            }
            let notice = procurement_repo::notices_of(conn, &project.id)?
                .into_iter()
                .rfind(|n| matches!(n.kind, NoticeKind::Result | NoticeKind::Failure))
                .ok_or_else(|| {
                    crate::service::refuse(
                        Cause::StepMissing,
                        "refusal.challenge_no_result",
                        vec![],
                    )
                })?;
            let notice_period_end =
                rules::period_end(cal, day_of(notice.published_at), r.notice_periods.result)
                    .map_err(calendar_refusal)?;
            Ok(KnownFrom::Result { notice_period_end })
        }
    }
}

/// Files a challenge (a supplier, for its enterprise) with its evidence already in the store;
/// on a refusal the caller removes the files.
#[tracing::instrument(skip_all)]
pub fn file(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    keys: &ServerKeys,
    actor: &Actor<'_>,
    project_id: &str,
    input: &ChallengeInput,
    docs: &[StoredDocument],
) -> Result<ChallengeView> {
    let Some(enterprise_id) = actor.enterprise_id() else {
        return Err(Error::forbidden(
            "challenges are filed by suppliers, for their own enterprise",
        ));
    };
    let mut problems = Vec::new();
    let kind = kind_of(input.kind.as_deref(), &mut problems);
    let step = match (kind, input.step.as_deref()) {
        (Some(ChallengeKind::Process), None) => {
            problems.push(coded("step", "problem.challenge_step_required", vec![]));
            None
        }
        (Some(ChallengeKind::Process), Some(s)) => match s.parse::<ProcessStep>() {
            Ok(s) => Some(s),
            Err(_) => {
                problems.push(coded(
                    "step",
                    "problem.challenge_step",
                    vec![("given", format!("{s:?}"))],
                ));
                None
            }
        },
        (Some(_), Some(_)) => {
            problems.push(coded("step", "problem.challenge_step_process_only", vec![]));
            None
        }
        _ => None,
    };
    let facts = required_text(&input.facts, "facts", 5000, &mut problems);
    let grounds = required_text(&input.grounds, "grounds", 5000, &mut problems);
    let requests = required_text(&input.requests, "requests", 2000, &mut problems);
    let (Some(kind), Some(facts), Some(grounds), Some(requests), true) =
        (kind, facts, grounds, requests, problems.is_empty())
    else {
        return Err(Error::Validation(problems));
    };
    let now = clock.now_naive();
    let today = today(clock);
    let challenge = crate::db::write(conn, |conn| {
        let project = visible_project(conn, actor, project_id)?;
        let lot = lot_of(
            conn,
            &project,
            input.lot_id.as_deref(),
            kind != ChallengeKind::Documents,
        )?;
        let cal = crate::service::calendar::current(conn)?;
        let claim = Claim {
            project: &project,
            lot: lot.as_ref(),
            kind,
            step,
            enterprise_id,
            now,
        };
        let from = known_from(conn, keys, &cal, &claim)?;
        let (known_on, basis) = rules::known_day(from);
        let deadline = rules::challenge_deadline(&cal, known_on).map_err(calendar_refusal)?;
        if today > deadline {
            return Err(crate::service::refuse(
                Cause::PeriodOver,
                "refusal.challenge_late",
                vec![
                    ("deadline", deadline.to_string()),
                    ("known", known_on.to_string()),
                    ("basis", basis.as_str().to_string()),
                    (
                        "basis_zh",
                        crate::domain::messages::label(
                            crate::domain::messages::Lang::Zh,
                            "known",
                            basis.as_str(),
                        ),
                    ),
                ],
            ));
        }
        let lot_id = lot.as_ref().map(|l| l.id.clone());
        let twice = repo::challenges_by(conn, &project.id, enterprise_id)?
            .into_iter()
            .any(|c| {
                c.state != ChallengeState::Withdrawn
                    && c.kind == kind.as_str()
                    && c.lot_id == lot_id
                    && c.step.as_deref() == step.map(|s| s.as_str())
            });
        if twice {
            return Err(crate::service::refuse(
                Cause::Duplicate,
                "refusal.challenge_once",
                vec![],
            ));
        }
        let answer_due = rules::answer_due(&cal, today).map_err(calendar_refusal)?;
        let c = Challenge {
            id: crate::db::new_id(),
            project_id: project.id.clone(),
            lot_id,
            enterprise_id: enterprise_id.to_string(),
            filed_by: actor.audit_id().to_string(),
            kind: kind.as_str().to_string(),
            step: step.map(|s| s.as_str().to_string()),
            facts,
            grounds,
            requests,
            known_on,
            known_basis: basis.as_str().to_string(),
            deadline,
            filed_at: now,
            answer_due,
            state: ChallengeState::Pending,
            outcome: None,
            answer: None,
            answered_by: None,
            answered_at: None,
            withdrawn_at: None,
        };
        repo::insert_challenge(conn, &c)?;
        let kept = keep_documents(conn, actor, "challenge", &c.id, &project.id, docs, now)?;
        audit::record(
            conn,
            clock,
            Change::new(actor.audit_id(), "challenge.file", "challenge", &c.id).after(&(&c, &kept)),
        )?;
        Ok::<_, Error>(c)
    })?;
    let cal = crate::service::calendar::current(conn)?;
    view(conn, clock, &cal, &challenge, Seen::Own)
}

/// The agency answers a pending challenge in writing (late answers are taken, and marked).
#[tracing::instrument(skip_all)]
pub fn answer(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    id: &str,
    input: &AnswerInput,
    docs: &[StoredDocument],
) -> Result<ChallengeView> {
    let mut problems = Vec::new();
    let finding = match input.finding.as_deref() {
        None => {
            problems.push(crate::wire::fields::required("finding"));
            None
        }
        Some(f) => match f.parse::<Finding>() {
            Ok(f) => Some(f),
            Err(_) => {
                problems.push(coded(
                    "finding",
                    "problem.finding",
                    vec![("given", format!("{f:?}"))],
                ));
                None
            }
        },
    };
    let text = required_text(&input.text, "text", 5000, &mut problems);
    let (Some(finding), Some(text), true) = (finding, text, problems.is_empty()) else {
        return Err(Error::Validation(problems));
    };
    let now = clock.now_naive();
    let c = crate::db::write(conn, |conn| {
        let mut c = find(conn, id)?;
        let project = visible_project(conn, actor, &c.project_id)?;
        require_manager(actor, &project)?;
        if c.state != ChallengeState::Pending {
            return Err(crate::service::refuse(
                Cause::WrongState,
                "refusal.challenge_not_pending",
                state_said(c.state),
            ));
        }
        let before = c.clone();
        c.state = ChallengeState::Answered;
        c.outcome = Some(finding.as_str().to_string());
        c.answer = Some(text);
        c.answered_by = Some(actor.audit_id().to_string());
        c.answered_at = Some(now);
        repo::update_challenge(conn, &c)?;
        let kept = keep_documents(conn, actor, "answer", &c.id, &c.project_id, docs, now)?;
        audit::record(
            conn,
            clock,
            Change::new(actor.audit_id(), "challenge.answer", "challenge", &c.id)
                .before(&before)
                .after(&(&c, &kept)),
        )?;
        Ok::<_, Error>(c)
    })?;
    let cal = crate::service::calendar::current(conn)?;
    view(conn, clock, &cal, &c, Seen::Staff)
}

/// The challenger withdraws a pending challenge.
#[tracing::instrument(skip_all)]
pub fn withdraw(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    id: &str,
) -> Result<ChallengeView> {
    let now = clock.now_naive();
    let c = crate::db::write(conn, |conn| {
        let mut c = find(conn, id)?;
        if actor.enterprise_id() != Some(c.enterprise_id.as_str()) {
            return Err(Error::NotFound(format!("no challenge with id {id}")));
        }
        if c.state != ChallengeState::Pending {
            return Err(crate::service::refuse(
                Cause::WrongState,
                "refusal.challenge_not_pending",
                state_said(c.state),
            ));
        }
        let before = c.clone();
        c.state = ChallengeState::Withdrawn;
        c.withdrawn_at = Some(now);
        repo::update_challenge(conn, &c)?;
        audit::record(
            conn,
            clock,
            Change::new(actor.audit_id(), "challenge.withdraw", "challenge", &c.id)
                .before(&before)
                .after(&c),
        )?;
        Ok::<_, Error>(c)
    })?;
    let cal = crate::service::calendar::current(conn)?;
    view(conn, clock, &cal, &c, Seen::Own)
}
