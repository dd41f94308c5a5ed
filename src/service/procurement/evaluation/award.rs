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
    let Some((_, output)) = latest_output(conn, &lot)?.filter(|_| lot.state == LotState::Evaluated)
    else {
        return Err(crate::service::refuse(
            Cause::StepMissing,
            "refusal.award_unranked",
            crate::service::procurement::lot_said(&lot),
        ));
    };
    let ranking = output["ranking"].as_array().cloned().unwrap_or_default();
    let first: Vec<&str> = ranking
        .iter()
        .filter(|r| r["rank"].as_u64() == Some(1))
        .filter_map(|r| r["bid_id"].as_str())
        .collect();
    let chosen = match (input.bid_id.as_deref(), first.as_slice()) {
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
        (Some(id), _) => {
            let rank = ranking
                .iter()
                .find(|r| r["bid_id"].as_str() == Some(id))
                .and_then(|r| r["rank"].as_u64());
            return Err(Error::field(
                "bid_id",
                match rank {
                    Some(n) => {
                        format!("bid {id} is ranked {n}; only a first-ranked bid can be awarded")
                    }
                    None => format!("bid {id} is not in the ranking of this lot"),
                },
            ));
        }
    };
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

/// One lot of the result notice.
fn lot_result(conn: &mut DbConnection, lot: &Lot) -> Result<Value> {
    let Some((run, output)) = latest_output(conn, lot)? else {
        // A lot that failed without a run: it could not be opened (its opening record says why).
        let record = repo::find_lot_key(conn, &lot.id)?
            .and_then(|k| k.record)
            .and_then(|r| serde_json::from_str::<Value>(&r).ok())
            .filter(|r| r["outcome"] == "failed")
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("decided lot without a run")))?;
        return Ok(json!({
            "lot_id": lot.id, "number": lot.number, "title": lot.title,
            "reserved_for_smes": lot.reserved, "reservation_lifted": lot.reservation_lifted,
            "evaluation_run_id": Value::Null, "outcome": "failed",
            "failure_reason": record["failure_reason"], "ranking": [], "excluded": [],
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
        "outcome": if lot.state == LotState::Awarded { "awarded" } else { "failed" },
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
    let undecided: Vec<_> = lots
        .iter()
        .filter(|l| !l.state.is_decided())
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
    let mut results = Vec::new();
    for lot in &lots {
        results.push(lot_result(conn, lot)?);
    }
    let awarded = lots.iter().any(|l| l.state == LotState::Awarded);
    let kind = if awarded {
        NoticeKind::Result
    } else {
        NoticeKind::Failure
    };
    let body = json!({"project_id": project.id, "title": project.title, "lots": results});
    let notice = {
        repo::set_project_state(
            conn,
            &project.id,
            if awarded {
                ProjectState::Awarded
            } else {
                ProjectState::Failed
            },
            now,
        )?;
        let after = find_project(conn, &project.id)?;
        audit::record(
            conn,
            clock,
            Change::new(actor.audit_id(), "project.result", "project", &project.id)
                .before(&project)
                .after(&after),
        )?;
        notices::publish(conn, clock, actor.audit_id(), &project, kind, body, None)?
    };
    Ok(notices::view(notice))
}
