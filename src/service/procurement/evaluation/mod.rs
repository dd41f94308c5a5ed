//! Evaluation runs (评标), awards, the result notice and contracts.
//!
//! A run builds the engine input of CONTRACTS.md from the stored bids, scores and qualification
//! results, runs the same engine as `POST /api/v1/evaluate` with the profile pinned at
//! publication, and stores the exact input and output bytes: replaying a run gives identical bytes.

mod award;
mod contracts;

pub use award::*;
pub use contracts::*;

use super::bids::{content_of, reviewable, BidContent};
use super::{find_lot, find_project, utc, Actor};
use crate::clock::Clock;
use crate::db::procurement::{self as repo, EvaluationRun, Lot, Project};
use crate::db::{self, DbConnection};
use crate::domain::lifecycle::{LotState, ProjectState};
use crate::domain::policy;
use crate::domain::{Fen, Hundredths};
use crate::error::{Cause, Error, Result};
use crate::service::audit::{self, Change};
use crate::wire::evaluation::{self as wire, EvaluationOutput};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunInput {
    /// Re-run a failed reserved lot without the reservation (only where the profile allows it
    /// and the last run said so). The lot's reservation is lifted for good.
    pub unreserved: Option<bool>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RunView {
    pub id: String,
    pub lot_id: String,
    pub run_no: i32,
    pub reserved: bool,
    pub policy: String,
    pub policy_version: String,
    /// SHA-256 of the stored input bytes.
    pub input_sha256: String,
    /// ranked | failed
    pub outcome: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    /// The engine input (CONTRACTS.md shape), as run.
    #[schema(value_type = Object)]
    pub input: Value,
    /// The engine output (CONTRACTS.md shape), as run.
    #[schema(value_type = Object)]
    pub output: Value,
}

fn run_view(r: EvaluationRun) -> RunView {
    RunView {
        input: serde_json::from_str(&r.input).unwrap_or_default(),
        output: serde_json::from_str(&r.output).unwrap_or_default(),
        id: r.id,
        lot_id: r.lot_id,
        run_no: r.run_no,
        reserved: r.reserved,
        policy: r.policy_id,
        policy_version: r.policy_version,
        input_sha256: r.input_sha256,
        outcome: r.outcome,
        created_by: r.created_by,
        created_at: utc(r.created_at),
    }
}

fn firm_json(f: &super::bids::FirmSnapshot) -> Value {
    json!({"name": f.name, "scale": f.scale, "region": f.region})
}

fn party_json(p: &super::bids::PartySnapshot) -> Value {
    json!({"name": p.firm.name, "scale": p.firm.scale, "region": p.firm.region, "share_pct": p.share_pct})
}

/// The engine input for a lot, from the stored records. Refuses while reviews are missing.
fn engine_input(
    conn: &mut DbConnection,
    project: &Project,
    lot: &Lot,
    reserved: bool,
) -> Result<Value> {
    let terms = super::projects::terms_of(project)?;
    let bids = repo::submitted_bids(conn, &lot.id)?;
    let scores = repo::scores_of_lot(conn, &lot.id)?;
    let comprehensive = project.evaluation_method == "comprehensive";
    let unreviewed: Vec<&str> = bids
        .iter()
        .filter(|b| b.qualified.is_none())
        .map(|b| b.id.as_str())
        .collect();
    if !unreviewed.is_empty() {
        return Err(crate::service::refuse(
            Cause::StepMissing,
            "refusal.qualification_missing",
            vec![
                ("count", unreviewed.len().to_string()),
                ("bids", unreviewed.join(", ")),
                ("lot_id", lot.id.clone()),
            ],
        ));
    }
    let evaluators: BTreeSet<&str> = scores.iter().map(|s| s.evaluator.as_str()).collect();
    let by_bid: HashMap<(&str, &str), &crate::db::procurement::Score> = scores
        .iter()
        .map(|s| ((s.bid_id.as_str(), s.evaluator.as_str()), s))
        .collect();
    let mut missing = Vec::new();
    let mut list = Vec::with_capacity(bids.len());
    for b in &bids {
        let c: BidContent = content_of(b)?;
        let qualified = b.qualified.unwrap_or(false);
        let mut bid =
            json!({"id": b.id, "price": Fen(b.price_fen).to_string(), "qualified": qualified});
        match &c.consortium {
            None => bid["bidder"] = firm_json(&c.supplier),
            Some(members) => {
                bid["consortium"] = Value::Array(members.iter().map(party_json).collect());
                bid["related_parties"] = Value::Bool(c.related_parties);
            }
        }
        if !c.subcontracts.is_empty() {
            bid["subcontracts"] = Value::Array(c.subcontracts.iter().map(party_json).collect());
        }
        if project.category == "goods" && !c.goods_manufacturers.is_empty() {
            bid["goods_manufacturers"] = Value::Array(
                c.goods_manufacturers
                    .iter()
                    .map(|m| json!({"name": m.name, "scale": m.scale}))
                    .collect(),
            );
        }
        if comprehensive {
            let mut technical = Vec::new();
            let mut commercial = Vec::new();
            for e in &evaluators {
                match by_bid.get(&(b.id.as_str(), *e)) {
                    Some(s) => {
                        technical.push(Hundredths(s.technical));
                        commercial.push(Hundredths(s.commercial));
                    }
                    // Unqualified bids are not scored; the engine never reads their scores.
                    None if !qualified => {
                        technical.push(Hundredths::ZERO);
                        commercial.push(Hundredths::ZERO);
                    }
                    None => missing.push(format!("{} by {e}", b.id)),
                }
            }
            if evaluators.is_empty() && qualified {
                missing.push(format!("{} (no evaluator has scored this lot)", b.id));
            }
            bid["technical"] = json!(technical);
            bid["commercial"] = json!(commercial);
        }
        list.push(bid);
    }
    if !missing.is_empty() {
        return Err(crate::service::refuse(
            Cause::StepMissing,
            "refusal.scores_missing",
            vec![
                ("count", missing.len().to_string()),
                ("missing", missing.join("; ")),
            ],
        ));
    }
    let mut lot_terms = json!({
        "category": project.category,
        "method": project.evaluation_method,
        "reserved_for_smes": reserved,
        "price_deduction_pct": terms.price_deduction_pct,
        "consortium_deduction_pct": terms.consortium_deduction_pct,
    });
    if let Some(w) = terms.weights.filter(|_| comprehensive) {
        lot_terms["weights"] =
            json!({"price": w.price, "technical": w.technical, "commercial": w.commercial});
    }
    if let Some(b) = terms.minority_bonus_pct {
        lot_terms["minority_bonus_pct"] = json!(b);
    }
    Ok(json!({"policy": project.policy_id, "project": lot_terms, "bids": list}))
}

/// Runs the engine over exact input bytes; the output bytes are what `POST /api/v1/evaluate`
/// answers for the same body.
pub fn run_engine(input: &[u8]) -> Result<(Vec<u8>, bool)> {
    if let Some(output) = no_bids_output(input)? {
        return Ok((output, false));
    }
    let valid = wire::parse(input).map_err(|e| {
        Error::Internal(anyhow::anyhow!(
            "stored bids did not make a valid engine input: {e:?}"
        ))
    })?;
    let result = valid.run();
    let ranked = matches!(result.outcome, crate::domain::evaluation::Outcome::Ranked);
    let mut out = Vec::with_capacity(4096);
    EvaluationOutput {
        input: &valid,
        evaluation: &result,
        chinese: true,
    }
    .write_compact(&mut out)
    .map_err(|e| Error::Internal(e.into()))?;
    Ok((out, ranked))
}

/// The engine needs at least one bid; a lot nobody bid on fails with the same output shape.
fn no_bids_output(input: &[u8]) -> Result<Option<Vec<u8>>> {
    let value: Value = serde_json::from_slice(input).map_err(|e| Error::Internal(e.into()))?;
    if !value["bids"].as_array().is_some_and(|b| b.is_empty()) {
        return Ok(None);
    }
    let id = value["policy"].as_str().unwrap_or(policy::DEFAULT_PROFILE);
    let profile = policy::profile(id)
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("profile {id} missing")))?;
    let method = value["project"]["method"]
        .as_str()
        .unwrap_or("comprehensive");
    let mut out = json!({
        "policy": {"id": profile.id, "version": profile.version},
        "method": method,
        "outcome": "failed",
        "failure_reason": "no bids were submitted",
        "rerun_unreserved_allowed": false,
        "ranking": [],
        "excluded": [],
    });
    if method == "comprehensive" {
        out["benchmark_price"] = Value::Null;
    }
    serde_json::to_vec(&out)
        .map(Some)
        .map_err(|e| Error::Internal(e.into()))
}

/// Evaluates a lot (after the opening) and stores the run.
#[tracing::instrument(skip_all)]
pub fn run(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    lot_id: &str,
    input: &RunInput,
) -> Result<RunView> {
    crate::db::write(conn, |conn| run_in(conn, clock, actor, lot_id, input))
}

fn run_in(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    lot_id: &str,
    input: &RunInput,
) -> Result<RunView> {
    let now = clock.now_naive();
    let (mut lot, project) = find_lot(conn, lot_id)?;
    reviewable(conn, actor, &lot, &project, now)?;
    let user_id = actor
        .user_id()
        .ok_or_else(|| Error::Forbidden("evaluations are run by a logged-in user".into()))?
        .to_string();
    let profile = policy::profile(&project.policy_id)
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("profile {} missing", project.policy_id)))?;
    if project.policy_version.as_deref() != Some(profile.version.as_str()) {
        return Err(crate::service::refuse(
            Cause::PolicyChanged,
            "refusal.policy_changed_to",
            vec![
                ("policy", project.policy_id.clone()),
                (
                    "pinned",
                    project
                        .policy_version
                        .clone()
                        .unwrap_or_else(|| "none".into()),
                ),
                ("version", profile.version.clone()),
            ],
        ));
    }
    let previous = repo::latest_run(conn, &lot.id)?;
    if input.unreserved == Some(true) {
        let allowed = previous.as_ref().is_some_and(|r| {
            serde_json::from_str::<Value>(&r.output)
                .ok()
                .and_then(|o| o["rerun_unreserved_allowed"].as_bool())
                == Some(true)
        });
        if !lot.reserved || !allowed {
            return Err(crate::service::refuse(
                Cause::WrongState,
                "refusal.rerun_unreserved",
                vec![("lot", lot.number.to_string())],
            ));
        }
        lot.reserved = false;
        lot.reservation_lifted = true;
    }
    let engine_input = engine_input(conn, &project, &lot, lot.reserved)?;
    let input_bytes = serde_json::to_vec(&engine_input).map_err(|e| Error::Internal(e.into()))?;
    let (output, ranked) = run_engine(&input_bytes)?;
    let run = EvaluationRun {
        id: db::new_id(),
        lot_id: lot.id.clone(),
        run_no: previous.map_or(1, |r| r.run_no + 1),
        reserved: lot.reserved,
        policy_id: project.policy_id.clone(),
        policy_version: profile.version.clone(),
        input_sha256: super::sha256_hex(&input_bytes),
        input: String::from_utf8(input_bytes).map_err(|e| Error::Internal(e.into()))?,
        output: String::from_utf8(output).map_err(|e| Error::Internal(e.into()))?,
        outcome: if ranked { "ranked" } else { "failed" }.into(),
        created_by: user_id,
        created_at: now,
    };
    {
        repo::insert_run(conn, &run)?;
        repo::set_lot_evaluated(
            conn,
            &lot.id,
            lot.reserved,
            lot.reservation_lifted,
            if ranked {
                LotState::Evaluated
            } else {
                LotState::Failed
            },
        )?;
        let open_lots = repo::count_lots_in_state(conn, &project.id, LotState::Open)?;
        let mut changes = vec![Change::new(
            actor.audit_id(),
            "evaluation.run",
            "evaluation_run",
            &run.id,
        )
        .after(&run)];
        if open_lots == 0 && project.state == ProjectState::Published {
            repo::set_project_state(conn, &project.id, ProjectState::Evaluated, now)?;
            let after = find_project(conn, &project.id)?;
            changes.push(
                Change::new(
                    actor.audit_id(),
                    "project.evaluated",
                    "project",
                    &project.id,
                )
                .before(&project)
                .after(&after),
            );
        }
        audit::append(conn, clock, &changes)?;
    }
    Ok(run_view(run))
}

fn staff_project(conn: &mut DbConnection, actor: &Actor<'_>, project_id: &str) -> Result<Project> {
    let project = find_project(conn, project_id)?;
    if !actor.is_staff_of(&project) {
        return Err(Error::Forbidden(
            "evaluation runs are read by the project's agency, admins and auditors; the public reads the result notice".into(),
        ));
    }
    Ok(project)
}

#[tracing::instrument(skip_all)]
pub fn runs(conn: &mut DbConnection, actor: &Actor<'_>, lot_id: &str) -> Result<Vec<RunView>> {
    let (lot, project) = find_lot(conn, lot_id)?;
    staff_project(conn, actor, &project.id)?;
    Ok(repo::runs_of(conn, &lot.id)?
        .into_iter()
        .map(run_view)
        .collect())
}

/// The lot's latest run, for its staff (what the lot page shows).
#[tracing::instrument(skip_all)]
pub fn latest_run(
    conn: &mut DbConnection,
    actor: &Actor<'_>,
    lot_id: &str,
) -> Result<Option<RunView>> {
    let (lot, project) = find_lot(conn, lot_id)?;
    staff_project(conn, actor, &project.id)?;
    Ok(repo::latest_run(conn, &lot.id)?.map(run_view))
}

#[tracing::instrument(skip_all)]
pub fn show_run(conn: &mut DbConnection, actor: &Actor<'_>, id: &str) -> Result<RunView> {
    let run = repo::find_run(conn, id)?
        .ok_or_else(|| Error::NotFound(format!("no evaluation run with id {id}")))?;
    let (_, project) = find_lot(conn, &run.lot_id)?;
    staff_project(conn, actor, &project.id)?;
    Ok(run_view(run))
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Replay {
    pub run_id: String,
    pub input_sha256: String,
    /// The stored input still hashes to `input_sha256`.
    pub input_intact: bool,
    /// Running the stored input again gave the stored output byte for byte.
    pub identical: bool,
    pub output_sha256: String,
}

/// Runs a stored input through the engine again and compares the bytes (nothing is written).
#[tracing::instrument(skip_all)]
pub fn replay(conn: &mut DbConnection, actor: &Actor<'_>, id: &str) -> Result<Replay> {
    let run = repo::find_run(conn, id)?
        .ok_or_else(|| Error::NotFound(format!("no evaluation run with id {id}")))?;
    let (_, project) = find_lot(conn, &run.lot_id)?;
    staff_project(conn, actor, &project.id)?;
    let (output, _) = run_engine(run.input.as_bytes())?;
    Ok(Replay {
        input_intact: super::sha256_hex(run.input.as_bytes()) == run.input_sha256,
        identical: output == run.output.as_bytes(),
        output_sha256: super::sha256_hex(&output),
        run_id: run.id,
        input_sha256: run.input_sha256,
    })
}
