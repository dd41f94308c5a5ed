//! Awards (定标) from the latest run, and the result notice (中标结果公告) of a project.

use crate::clock::Clock;
use crate::db::procurement::{self as repo, EvaluationRun, Lot};
use crate::db::DbConnection;
use crate::domain::lifecycle::{LotState, NoticeKind, ProjectState};
use crate::domain::messages::{label, Lang};
use crate::domain::Fen;
use crate::error::{Cause, Error, Result};
use crate::service::audit::{self, Change};
use crate::service::procurement::bids::{content_of, reviewable};
use crate::service::procurement::holds::{check_hold, Step};
use crate::service::procurement::notices;
use crate::service::procurement::{
    find_lot, find_project, require_manager, visible_project, wrong_phase, Actor, Phase,
};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AwardInput {
    /// The bid to award: required only when bids tie at rank 1 (name the one drawn by lot).
    pub bid_id: Option<String>,
}

/// The latest run's output of a lot, parsed.
pub(super) fn latest_output(
    conn: &mut DbConnection,
    lot: &Lot,
) -> Result<Option<(EvaluationRun, Value)>> {
    Ok(repo::latest_run(conn, &lot.id)?.map(|r| {
        let out = serde_json::from_str(&r.output).unwrap_or_default();
        (r, out)
    }))
}

/// Awards a lot to its first-ranked bid.
#[tracing::instrument(skip_all)]
pub fn award(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    lot_id: &str,
    input: &AwardInput,
) -> Result<crate::service::procurement::projects::LotView> {
    crate::db::write(conn, |conn| award_in(conn, clock, actor, lot_id, input))
}

fn award_in(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    lot_id: &str,
    input: &AwardInput,
) -> Result<crate::service::procurement::projects::LotView> {
    let now = clock.now_naive();
    let (lot, project) = find_lot(conn, lot_id)?;
    reviewable(conn, actor, &lot, &project, now)?;
    check_hold(
        conn,
        &project,
        Some(&lot),
        Step::Award,
        crate::domain::beijing::day_of(now),
    )?;
    let Some((_, output)) = latest_output(conn, &lot)?.filter(|_| lot.state == LotState::Evaluated)
    else {
        return Err(crate::service::refuse(
            Cause::StepMissing,
            "refusal.award_unranked",
            crate::service::procurement::lot_said(&lot),
        ));
    };
    let passed = crate::service::procurement::outcomes::passed_over(conn, &lot.id)?;
    let chosen = choose(&output, &passed, input.bid_id.as_deref())?;
    {
        repo::award_lot(conn, &lot.id, &chosen, now)?;
        repo::touch_project(conn, &project.id, now)?;
        let after = repo::find_lot(conn, &lot.id)?.ok_or_else(|| Error::NotFound("lot".into()))?;
        audit::record(
            conn,
            clock,
            Change::new(actor.audit_id(), "lot.award", "lot", &lot.id)
                .before(&lot)
                .after(&after),
        )?;
    }
    let lot = repo::find_lot(conn, &lot.id)?.ok_or_else(|| Error::NotFound("lot".into()))?;
    let count = repo::submitted_bids(conn, &lot.id)?.len() as i64;
    Ok(crate::service::procurement::projects::lot_view(
        &lot,
        Some(count),
    ))
}

/// The bid to award from a run's ranking: the best-ranked one not passed over (an award that
/// ended never comes back to it), the one named by lot where several tie (`bid_id`).
fn choose(output: &Value, passed: &[String], named: Option<&str>) -> Result<String> {
    let ranking: Vec<&Value> = output["ranking"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| {
            r["bid_id"]
                .as_str()
                .is_some_and(|id| !passed.iter().any(|p| p == id))
        })
        .collect();
    let best = ranking.iter().filter_map(|r| r["rank"].as_u64()).min();
    let first: Vec<&str> = ranking
        .iter()
        .filter(|r| best.is_some() && r["rank"].as_u64() == best)
        .filter_map(|r| r["bid_id"].as_str())
        .collect();
    let chosen = match (named, first.as_slice()) {
        (_, []) => {
            return Err(crate::service::refuse(
                Cause::StepMissing,
                "refusal.ranked_none",
                vec![],
            ))
        }
        (None, [only]) => only.to_string(),
        (None, tied) => {
            return Err(crate::wire::fields::invalid(
                "bid_id",
                "problem.tie_draw",
                vec![("bids", tied.join(", ")), ("count", tied.len().to_string())],
            ))
        }
        (Some(id), tied) if tied.contains(&id) => id.to_string(),
        (Some(id), _) if passed.iter().any(|p| p == id) => {
            return Err(crate::wire::fields::invalid(
                "bid_id",
                "problem.award_passed_over",
                vec![("bid", id.to_string())],
            ));
        }
        (Some(id), _) => {
            let rank = ranking
                .iter()
                .find(|r| r["bid_id"].as_str() == Some(id))
                .and_then(|r| r["rank"].as_u64());
            return Err(Error::field(
                "bid_id",
                match rank {
                    Some(n) => {
                        format!("bid {id} is ranked {n}; only the first-ranked bid still in the running can be awarded")
                    }
                    None => format!("bid {id} is not in the ranking of this lot"),
                },
            ));
        }
    };
    Ok(chosen)
}

/// One lot of the result notice.
fn lot_result(conn: &mut DbConnection, lot: &Lot) -> Result<Value> {
    let run = latest_output(conn, lot)?;
    let Some((run, output)) = run.filter(|_| lot.termination_reason.is_none()) else {
        // A lot that failed without a run: terminated (终止), or it could not be opened (its
        // opening record says why).
        let reason = match &lot.termination_reason {
            Some(r) => json!(format!("terminated: {r}")),
            None => repo::find_lot_key(conn, &lot.id)?
                .and_then(|k| k.record)
                .and_then(|r| serde_json::from_str::<Value>(&r).ok())
                .filter(|r| r["outcome"] == "failed")
                .map(|r| r["failure_reason"].clone())
                .ok_or_else(|| Error::Internal(anyhow::anyhow!("decided lot without a run")))?,
        };
        return Ok(json!({
            "lot_id": lot.id, "number": lot.number, "title": lot.title,
            "reserved_for_smes": lot.reserved, "reservation_lifted": lot.reservation_lifted,
            "evaluation_run_id": Value::Null, "outcome": "failed",
            "failure_reason": reason, "ranking": [], "excluded": [],
        }));
    };
    let bids = repo::submitted_bids(conn, &lot.id)?;
    let mut names: HashMap<&str, Value> = HashMap::with_capacity(bids.len());
    for b in &bids {
        names.insert(b.id.as_str(), json!(content_of(b)?.bidder_name()));
    }
    let name_of = |id: &str| names.get(id).cloned().unwrap_or(Value::Null);
    let ranking: Vec<Value> = output["ranking"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let mut r = r.clone();
            let name = name_of(r["bid_id"].as_str().unwrap_or_default());
            r["supplier"] = name;
            r
        })
        .collect();
    let mut result = json!({
        "lot_id": lot.id, "number": lot.number, "title": lot.title,
        "reserved_for_smes": lot.reserved, "reservation_lifted": lot.reservation_lifted,
        "evaluation_run_id": run.id, "policy": output["policy"],
        "outcome": if lot.state.has_winner() { "awarded" } else { "failed" },
        "failure_reason": output["failure_reason"],
        "ranking": ranking, "excluded": output["excluded"],
    });
    if let Some(bid) = lot
        .awarded_bid_id
        .as_deref()
        .and_then(|id| bids.iter().find(|b| b.id == id))
    {
        let c = content_of(bid)?;
        let entry = output["ranking"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["bid_id"] == bid.id.as_str());
        // 46号 Art. 13: the result notice names the winner's declared scale.
        let parties: Vec<Value> = match &c.consortium {
            None => vec![json!({"name": c.supplier.name, "credit_code": c.supplier.credit_code, "declared_scale": c.supplier.scale, "scale_source": c.supplier.scale_source})],
            Some(m) => m.iter().map(|p| json!({"name": p.firm.name, "credit_code": p.firm.credit_code, "declared_scale": p.firm.scale, "scale_source": p.firm.scale_source, "share_pct": p.share_pct})).collect(),
        };
        result["winner"] = json!({
            "bid_id": bid.id,
            "consortium": c.consortium.is_some(),
            "parties": parties,
            "amount": Fen(bid.price_fen).to_string(),
            "effective_scale": entry.map(|e| e["effective_scale"].clone()),
            "sme": entry.map(|e| e["sme"].clone()),
        });
    }
    Ok(result)
}

/// Publishes the result notice (or, when every lot failed, the failure notice) once every lot
/// is awarded or failed.
#[tracing::instrument(skip_all)]
pub fn publish_result(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    project_id: &str,
) -> Result<notices::NoticeView> {
    crate::db::write(conn, |conn| {
        publish_result_in(conn, clock, actor, project_id)
    })
}

fn publish_result_in(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    project_id: &str,
) -> Result<notices::NoticeView> {
    let now = clock.now_naive();
    let project = visible_project(conn, actor, project_id)?;
    require_manager(actor, &project)?;
    let phase = crate::service::procurement::phase(&project, now);
    if !matches!(phase, Phase::Opened | Phase::Evaluated) {
        return Err(wrong_phase("refusal.result_phase", phase));
    }
    let lots = repo::lots_of(conn, &project.id)?;
    // A lot signed already (a result published again after a remedy) counts as decided.
    let undecided: Vec<_> = lots
        .iter()
        .filter(|l| !l.state.is_decided() && l.state != LotState::Contracted)
        .map(|l| (l.number, l.state))
        .collect();
    if !undecided.is_empty() {
        let en: Vec<_> = undecided
            .iter()
            .map(|(n, s)| format!("lot {n} ({s})"))
            .collect();
        let zh: Vec<_> = undecided
            .iter()
            .map(|(n, s)| format!("第 {n} 包（{}）", label(Lang::Zh, "state", s.as_str())))
            .collect();
        return Err(crate::service::refuse(
            Cause::StepMissing,
            "refusal.result_undecided",
            vec![("lots_en", en.join(", ")), ("lots", zh.join("、"))],
        ));
    }
    check_hold(
        conn,
        &project,
        None,
        Step::Result,
        crate::domain::beijing::day_of(now),
    )?;
    // Awarded while a winner has yet to sign; contracted when every one has (a result
    // published again after a remedy); failed without a winner.
    let state = if lots.iter().any(|l| l.state == LotState::Awarded) {
        ProjectState::Awarded
    } else if lots.iter().any(|l| l.state.has_winner()) {
        ProjectState::Contracted
    } else {
        ProjectState::Failed
    };
    let notice = {
        repo::set_project_state(conn, &project.id, state, now)?;
        let after = find_project(conn, &project.id)?;
        audit::record(
            conn,
            clock,
            Change::new(actor.audit_id(), "project.result", "project", &project.id)
                .before(&project)
                .after(&after),
        )?;
        result_notice(conn, clock, actor.audit_id(), &project, None)?
    };
    Ok(notices::view(notice))
}

/// Publishes the project's result notice as its lots stand (the failure notice when no lot
/// has a winner); a later one supersedes the one before (`corrects_id`), saying what changed.
fn result_notice(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &str,
    project: &crate::db::procurement::Project,
    change: Option<Value>,
) -> Result<crate::db::procurement::Notice> {
    let lots = repo::lots_of(conn, &project.id)?;
    let mut results = Vec::new();
    for lot in &lots {
        results.push(lot_result(conn, lot)?);
    }
    let kind = if lots.iter().any(|l| l.state.has_winner()) {
        NoticeKind::Result
    } else {
        NoticeKind::Failure
    };
    let previous = repo::notices_of(conn, &project.id)?
        .into_iter()
        .rfind(|n| matches!(n.kind, NoticeKind::Result | NoticeKind::Failure))
        .map(|n| n.id);
    let mut body = json!({
        "project_id": project.id,
        "number": project.number,
        "title": project.title,
        "lots": results,
    });
    if let Some(p) = &previous {
        body["supersedes"] = json!(p);
    }
    if let Some(c) = change {
        body["change"] = c;
    }
    notices::publish(conn, clock, actor, project, kind, body, previous)
}

/// Why the award passes on (政府采购法实施条例 Art. 49).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NextAwardInput {
    /// declined (the winner gave it up in writing) | not_signed (no contract within the
    /// signing period, 政府采购法 Art. 46) | ineligible (found not to qualify, e.g. a false SME
    /// declaration)
    #[schema(
        required = true,
        nullable = false,
        pattern = "^(declined|not_signed|ineligible)$"
    )]
    pub reason: Option<String>,
    /// What happened, for the record and the new result notice.
    #[schema(required = true, nullable = false, max_length = 2000)]
    pub text: Option<String>,
    /// When bids tie at the next rank: the one drawn by lot.
    pub bid_id: Option<String>,
}

/// The award passes to the next ranked bid still in the running (政府采购法实施条例 Art. 49),
/// with a new result notice once the result was out. The bid passed over never comes back.
#[tracing::instrument(skip_all)]
pub fn award_next(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    lot_id: &str,
    input: &NextAwardInput,
) -> Result<crate::service::procurement::projects::LotView> {
    use crate::domain::remedies::AwardEnd;
    let mut problems = Vec::new();
    let reason = match input.reason.as_deref() {
        None => {
            problems.push(crate::wire::fields::required("reason"));
            None
        }
        Some(r) => match r.parse::<AwardEnd>() {
            Ok(AwardEnd::Remedy | AwardEnd::Reevaluation) | Err(_) => {
                problems.push(crate::wire::fields::coded(
                    "reason",
                    "problem.award_end_reason",
                    vec![("given", format!("{r:?}"))],
                ));
                None
            }
            Ok(r) => Some(r),
        },
    };
    let text = crate::wire::fields::text(
        input.text.as_deref(),
        "text",
        crate::wire::fields::Text::required(2000).with_lines(),
        &mut problems,
    );
    let (Some(reason), Some(text), true) = (reason, text, problems.is_empty()) else {
        return Err(Error::Validation(problems));
    };
    let now = clock.now_naive();
    let today = crate::domain::beijing::day_of(now);
    crate::db::write(conn, |conn| {
        let (lot, project) = find_lot(conn, lot_id)?;
        let project = visible_project(conn, actor, &project.id)?;
        require_manager(actor, &project)?;
        match lot.state {
            LotState::Awarded => {}
            LotState::Contracted => {
                return Err(crate::service::refuse(
                    Cause::WrongState,
                    "refusal.award_next_contracted",
                    crate::service::procurement::lot_said(&lot),
                ))
            }
            _ => {
                return Err(crate::service::refuse(
                    Cause::WrongState,
                    "refusal.award_next_state",
                    crate::service::procurement::lot_said(&lot),
                ))
            }
        }
        check_hold(conn, &project, Some(&lot), Step::Award, today)?;
        let result_day = repo::notices_of(conn, &project.id)?
            .into_iter()
            .rfind(|n| n.kind == NoticeKind::Result)
            .map(|n| crate::domain::beijing::day_of(n.published_at));
        if reason == AwardEnd::NotSigned {
            let due = result_day.map(crate::domain::remedies::signing_due);
            if due.is_none_or(|d| today <= d) {
                return Err(crate::service::refuse(
                    Cause::WrongState,
                    "refusal.signing_not_due",
                    vec![(
                        "due",
                        due.map_or_else(|| "—".to_string(), |d| d.to_string()),
                    )],
                ));
            }
        }
        let current = lot
            .awarded_bid_id
            .clone()
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("awarded lot without a bid")))?;
        let mut passed = crate::service::procurement::outcomes::passed_over(conn, &lot.id)?;
        passed.push(current.clone());
        let (_, output) = latest_output(conn, &lot)?
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("awarded lot without a run")))?;
        let chosen = choose(&output, &passed, input.bid_id.as_deref()).map_err(|e| match e {
            Error::Conflict(..) => crate::service::refuse(
                Cause::StepMissing,
                "refusal.no_next_ranked",
                crate::service::procurement::lot_said(&lot),
            ),
            other => other,
        })?;
        let who = actor.audit_id();
        let change = crate::service::procurement::outcomes::end_award(
            conn,
            clock,
            who,
            &lot,
            reason,
            &text,
            Some(&chosen),
            None,
        )?;
        repo::award_lot(conn, &lot.id, &chosen, now)?;
        let after = repo::find_lot(conn, &lot.id)?.ok_or_else(|| Error::NotFound("lot".into()))?;
        audit::record(
            conn,
            clock,
            Change::new(who, "lot.award", "lot", &lot.id)
                .before(&lot)
                .after(&after),
        )?;
        if matches!(
            project.state,
            ProjectState::Awarded | ProjectState::Contracted
        ) {
            let names: HashMap<String, String> = repo::submitted_bids(conn, &lot.id)?
                .iter()
                .filter(|b| b.id == current || b.id == chosen)
                .map(|b| Ok((b.id.clone(), content_of(b)?.bidder_name())))
                .collect::<Result<_>>()?;
            let notice = result_notice(
                conn,
                clock,
                who,
                &project,
                Some(json!({
                    "lot_id": lot.id, "number": lot.number,
                    "from": {"bid_id": current, "supplier": names.get(&current)},
                    "to": {"bid_id": chosen, "supplier": names.get(&chosen)},
                    "reason": reason.as_str(), "text": text,
                    "source": crate::domain::remedies::rules().next_ranked.source,
                })),
            )?;
            if let Some(c) = &change {
                crate::db::remedies::set_award_change_notice(conn, &c.id, &notice.id)?;
            }
            crate::service::procurement::outcomes::settle(conn, clock, who, &project)?;
        }
        let count = repo::submitted_bids(conn, &lot.id)?.len() as i64;
        Ok(crate::service::procurement::projects::lot_view(
            &after,
            Some(count),
        ))
    })
}
