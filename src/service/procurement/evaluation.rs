//! Evaluation runs (评标), awards, the result notice and contracts.
//!
//! A run builds the engine input of CONTRACTS.md from the stored bids, scores and qualification
//! results, runs the same engine as `POST /api/v1/evaluate` with the profile pinned at
//! publication, and stores the exact input and output bytes: replaying a run gives identical bytes.

use super::bids::{content_of, reviewable, scale_of, set_lot_state, BidContent};
use super::notices::{self, NoticeKind};
use super::{
    find_lot, find_project, require_manager, utc, visible_project, wrong_phase, Actor, Phase,
};
use crate::clock::Clock;
use crate::db::procurement::{self as repo, Contract, EvaluationRun, Lot, Project};
use crate::db::{self, DbConnection};
use crate::domain::policy;
use crate::domain::reservation::{self, Basis, Party, Winner};
use crate::domain::{Fen, Hundredths};
use crate::error::{Error, Result};
use crate::service::audit::{self, Change};
use crate::wire::evaluation::{self as wire, EvaluationOutput};
use crate::wire::FieldProblem;
use chrono::{DateTime, NaiveDate, Utc};
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
        return Err(Error::Conflict(format!(
            "the qualification review is missing for bid(s) {}: record it first (POST /api/v1/lots/{}/qualification)",
            unreviewed.join(", "),
            lot.id
        )));
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
        return Err(Error::Conflict(format!(
            "scores are missing for qualified bid(s): {}",
            missing.join("; ")
        )));
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
    reviewable(actor, &lot, &project, now)?;
    let user_id = actor
        .user_id()
        .ok_or_else(|| Error::Forbidden("evaluations are run by a logged-in user".into()))?
        .to_string();
    let profile = policy::profile(&project.policy_id)
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("profile {} missing", project.policy_id)))?;
    if project.policy_version.as_deref() != Some(profile.version.as_str()) {
        return Err(Error::Conflict(format!(
            "policy {} was pinned at version {} when the project was published, but this build has {}: \
             the evaluation would not follow the published rules",
            project.policy_id,
            project.policy_version.as_deref().unwrap_or("none"),
            profile.version
        )));
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
            return Err(Error::Conflict(format!(
                "lot {} cannot be re-run unreserved: that needs a reserved lot whose last run failed for too few SME bids under a profile that allows it",
                lot.number
            )));
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
            if ranked { "evaluated" } else { "failed" },
        )?;
        let open_lots = repo::count_lots_in_state(conn, &project.id, "open")?;
        let mut changes = vec![Change::new(
            actor.audit_id(),
            "evaluation.run",
            "evaluation_run",
            &run.id,
        )
        .after(&run)];
        if open_lots == 0 && project.state == "published" {
            repo::set_project_state(conn, &project.id, "evaluated", now)?;
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

pub fn runs(conn: &mut DbConnection, actor: &Actor<'_>, lot_id: &str) -> Result<Vec<RunView>> {
    let (lot, project) = find_lot(conn, lot_id)?;
    staff_project(conn, actor, &project.id)?;
    Ok(repo::runs_of(conn, &lot.id)?
        .into_iter()
        .map(run_view)
        .collect())
}

/// The lot's latest run, for its staff (what the lot page shows).
pub fn latest_run(
    conn: &mut DbConnection,
    actor: &Actor<'_>,
    lot_id: &str,
) -> Result<Option<RunView>> {
    let (lot, project) = find_lot(conn, lot_id)?;
    staff_project(conn, actor, &project.id)?;
    Ok(repo::latest_run(conn, &lot.id)?.map(run_view))
}

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

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AwardInput {
    /// The bid to award: required only when bids tie at rank 1 (name the one drawn by lot).
    pub bid_id: Option<String>,
}

/// The latest run's output of a lot, parsed.
fn latest_output(conn: &mut DbConnection, lot: &Lot) -> Result<Option<(EvaluationRun, Value)>> {
    Ok(repo::latest_run(conn, &lot.id)?.map(|r| {
        let out = serde_json::from_str(&r.output).unwrap_or_default();
        (r, out)
    }))
}

/// Awards a lot to its first-ranked bid.
pub fn award(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    lot_id: &str,
    input: &AwardInput,
) -> Result<super::projects::LotView> {
    crate::db::write(conn, |conn| award_in(conn, clock, actor, lot_id, input))
}

fn award_in(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    lot_id: &str,
    input: &AwardInput,
) -> Result<super::projects::LotView> {
    let now = clock.now_naive();
    let (lot, project) = find_lot(conn, lot_id)?;
    reviewable(actor, &lot, &project, now)?;
    let Some((_, output)) = latest_output(conn, &lot)?.filter(|_| lot.state == "evaluated") else {
        return Err(Error::Conflict(format!(
            "lot {} has no ranked evaluation to award (state {})",
            lot.number, lot.state
        )));
    };
    let ranking = output["ranking"].as_array().cloned().unwrap_or_default();
    let first: Vec<&str> = ranking
        .iter()
        .filter(|r| r["rank"].as_u64() == Some(1))
        .filter_map(|r| r["bid_id"].as_str())
        .collect();
    let chosen = match (input.bid_id.as_deref(), first.as_slice()) {
        (_, []) => return Err(Error::Conflict("the evaluation ranked no bid".into())),
        (None, [only]) => only.to_string(),
        (None, tied) => {
            return Err(Error::field(
                "bid_id",
                format!(
                    "is required: bids {} tie at rank 1; name the one drawn by lot",
                    tied.join(", ")
                ),
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
    Ok(super::projects::lot_view(&lot, Some(count)))
}

/// One lot of the result notice.
fn lot_result(conn: &mut DbConnection, lot: &Lot) -> Result<Value> {
    let (run, output) = latest_output(conn, lot)?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("decided lot without a run")))?;
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
        "outcome": if lot.state == "awarded" { "awarded" } else { "failed" },
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
    let phase = Phase::of(&project, now);
    if !matches!(phase, Phase::Opened | Phase::Evaluated) {
        return Err(wrong_phase(
            "publish the result",
            phase,
            "an opened or evaluated project whose lots are all awarded or failed",
        ));
    }
    let lots = repo::lots_of(conn, &project.id)?;
    let undecided: Vec<String> = lots
        .iter()
        .filter(|l| !matches!(l.state.as_str(), "awarded" | "failed"))
        .map(|l| format!("lot {} ({})", l.number, l.state))
        .collect();
    if !undecided.is_empty() {
        return Err(Error::Conflict(format!(
            "every lot must be awarded or failed before the result is published; not yet: {}",
            undecided.join(", ")
        )));
    }
    let mut results = Vec::new();
    for lot in &lots {
        results.push(lot_result(conn, lot)?);
    }
    let awarded = lots.iter().any(|l| l.state == "awarded");
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
            if awarded { "awarded" } else { "failed" },
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

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractInput {
    /// 合同编号, unique.
    #[schema(required = true, nullable = false, max_length = 100)]
    pub number: Option<String>,
    /// Yuan, decimal string; at most the awarded bid's price.
    #[schema(value_type = Option<String>, example = "960000.00", required = true, nullable = false)]
    pub amount: Option<String>,
    /// YYYY-MM-DD
    #[schema(required = true, nullable = false, format = Date)]
    pub signed_on: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ContractView {
    pub id: String,
    pub number: String,
    pub project_id: String,
    pub lot_id: String,
    pub bid_id: String,
    pub supplier_id: String,
    #[schema(value_type = String)]
    pub amount: String,
    pub signed_on: NaiveDate,
    /// Credited toward the department's SME share (POLICY.md §5).
    #[schema(value_type = String)]
    pub sme_credit: String,
    /// Credited toward its small/micro part.
    #[schema(value_type = String)]
    pub small_micro_credit: String,
    /// How the credits were reached, party by party.
    #[schema(value_type = Object)]
    pub credit_basis: Value,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

pub fn contract_view(c: Contract) -> ContractView {
    ContractView {
        credit_basis: serde_json::from_str(&c.credit_basis).unwrap_or_default(),
        amount: Fen(c.amount_fen).to_string(),
        sme_credit: Fen(c.sme_credit_fen).to_string(),
        small_micro_credit: Fen(c.small_micro_credit_fen).to_string(),
        created_at: utc(c.created_at),
        id: c.id,
        number: c.number,
        project_id: c.project_id,
        lot_id: c.lot_id,
        bid_id: c.bid_id,
        supplier_id: c.supplier_id,
        signed_on: c.signed_on,
        status: c.status,
    }
}

fn basis_json(basis: &[(Basis, Fen)], content: &BidContent) -> Vec<Value> {
    basis
        .iter()
        .map(|(b, fen)| match b {
            Basis::WholeAmount => json!({"basis": "whole_amount", "amount": fen.to_string()}),
            Basis::Member { index } => {
                let p = content.consortium.as_ref().and_then(|m| m.get(*index));
                json!({"basis": "consortium_member", "name": p.map(|p| &p.firm.name), "scale": p.map(|p| &p.firm.scale), "share_pct": p.map(|p| p.share_pct), "amount": fen.to_string()})
            }
            Basis::Subcontract { index } => {
                let p = content.subcontracts.get(*index);
                json!({"basis": "subcontract", "name": p.map(|p| &p.firm.name), "scale": p.map(|p| &p.firm.scale), "share_pct": p.map(|p| p.share_pct), "amount": fen.to_string()})
            }
        })
        .collect()
}

/// Records the contract of an awarded lot (after the result notice), with its SME credits.
pub fn contract(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    lot_id: &str,
    input: &ContractInput,
) -> Result<ContractView> {
    crate::db::write(conn, |conn| contract_in(conn, clock, actor, lot_id, input))
}

fn contract_in(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    lot_id: &str,
    input: &ContractInput,
) -> Result<ContractView> {
    let now = clock.now_naive();
    let (lot, project) = find_lot(conn, lot_id)?;
    require_manager(actor, &project)?;
    let phase = Phase::of(&project, now);
    if phase != Phase::Awarded {
        return Err(wrong_phase(
            "record a contract",
            phase,
            "an awarded project (the result notice published)",
        ));
    }
    if lot.state != "awarded" {
        return Err(Error::Conflict(format!(
            "lot {} is {}; a contract needs an awarded lot without one",
            lot.number, lot.state
        )));
    }
    let bid_id = lot.awarded_bid_id.clone().unwrap_or_default();
    let bid = repo::find_bid(conn, &bid_id)?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("awarded bid missing")))?;
    let mut problems = Vec::new();
    let number = match input.number.as_deref().map(str::trim) {
        None | Some("") => {
            problems.push(FieldProblem::new("number", "is required"));
            None
        }
        Some(n) if n.chars().count() > 100 => {
            problems.push(FieldProblem::new("number", "is longer than 100 characters"));
            None
        }
        Some(n) => Some(n.to_string()),
    };
    let amount = match input.amount.as_deref() {
        None => {
            problems.push(FieldProblem::new(
                "amount",
                "is required: yuan as a decimal string",
            ));
            None
        }
        Some(a) => match Fen::parse_positive_yuan(a) {
            Ok(f) if f.0 > bid.price_fen => {
                problems.push(FieldProblem::new(
                    "amount",
                    format!("{f} is more than the awarded price {}", Fen(bid.price_fen)),
                ));
                None
            }
            Ok(f) => Some(f),
            Err(e) => {
                problems.push(FieldProblem::new("amount", e.to_string()));
                None
            }
        },
    };
    let signed_on = match input.signed_on.as_deref() {
        None => {
            problems.push(FieldProblem::new("signed_on", "is required: YYYY-MM-DD"));
            None
        }
        Some(d) => match NaiveDate::parse_from_str(d, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                problems.push(FieldProblem::new(
                    "signed_on",
                    format!("{d:?} is not a date YYYY-MM-DD"),
                ));
                None
            }
        },
    };
    let (Some(number), Some(amount), Some(signed_on), true) =
        (number, amount, signed_on, problems.is_empty())
    else {
        return Err(Error::Validation(problems));
    };
    let content = content_of(&bid)?;
    let (_, output) = latest_output(conn, &lot)?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("awarded lot without a run")))?;
    let entry = output["ranking"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["bid_id"] == bid.id.as_str())
        .cloned()
        .unwrap_or_default();
    let winner = Winner {
        effective_scale: scale_of(entry["effective_scale"].as_str().unwrap_or("large")),
        sme: entry["sme"].as_bool().unwrap_or(false),
        members: content
            .consortium
            .iter()
            .flatten()
            .map(|p| Party {
                scale: scale_of(&p.firm.scale),
                share_pct: p.share_pct,
            })
            .collect(),
        subcontracts: content
            .subcontracts
            .iter()
            .map(|p| Party {
                scale: scale_of(&p.firm.scale),
                share_pct: p.share_pct,
            })
            .collect(),
    };
    let credits = reservation::credits(amount, &winner);
    let basis = json!({
        "winner_effective_scale": winner.effective_scale.as_str(),
        "winner_sme": winner.sme,
        "sme": basis_json(&credits.sme.parts, &content),
        "small_micro": basis_json(&credits.small_micro.parts, &content),
        "rule": "POLICY.md §5: an SME winner credits the whole amount; otherwise SME members' shares and SME subcontracts; small/micro likewise",
    });
    let row = Contract {
        id: db::new_id(),
        number: number.clone(),
        project_id: project.id.clone(),
        lot_id: lot.id.clone(),
        bid_id: bid.id.clone(),
        supplier_id: bid.supplier_id.clone(),
        amount_fen: amount.0,
        signed_on,
        sme_credit_fen: credits.sme.total.0,
        small_micro_credit_fen: credits.small_micro.total.0,
        credit_basis: basis.to_string(),
        status: "signed".into(),
        created_at: now,
    };
    {
        repo::insert_contract(conn, &row).map_err(|e| match Error::from(e) {
            Error::Conflict(_) => {
                Error::Conflict(format!("a contract numbered {number} already exists"))
            }
            other => other,
        })?;
        // The winning bid's subcontract plan becomes the contract's subcontracts (payments are
        // reported against them).
        for p in &content.subcontracts {
            let s = crate::db::finance::Subcontract {
                id: db::new_id(),
                contract_id: row.id.clone(),
                enterprise_id: p.firm.enterprise_id.clone(),
                scale: p.firm.scale.clone(),
                share_pct: p.share_pct.0,
                amount_fen: crate::domain::decimal::div_round_half_up(
                    i128::from(amount.0) * i128::from(p.share_pct.0),
                    10_000,
                ) as i64,
                created_at: now,
            };
            crate::db::finance::insert_subcontract(conn, &s)?;
            audit::record(
                conn,
                clock,
                Change::new(actor.audit_id(), "subcontract.create", "subcontract", &s.id).after(&s),
            )?;
        }
        set_lot_state(conn, &lot.id, "contracted")?;
        let pending = repo::count_lots_in_state(conn, &project.id, "awarded")?;
        let state = if pending == 0 {
            "contracted"
        } else {
            "awarded"
        };
        repo::set_project_state(conn, &project.id, state, now)?;
        audit::record(
            conn,
            clock,
            Change::new(actor.audit_id(), "contract.create", "contract", &row.id).after(&row),
        )?;
    }
    Ok(contract_view(row))
}

/// Contracts are public records (the amount and the parties); the basis of the credits too.
pub fn show_contract(conn: &mut DbConnection, id: &str) -> Result<ContractView> {
    repo::find_contract(conn, id)?
        .map(contract_view)
        .ok_or_else(|| Error::NotFound(format!("no contract with id {id}")))
}

pub fn project_contracts(
    conn: &mut DbConnection,
    actor: &Actor<'_>,
    project_id: &str,
) -> Result<Vec<ContractView>> {
    let p = visible_project(conn, actor, project_id)?;
    Ok(repo::contracts_of(conn, &p.id)?
        .into_iter()
        .map(contract_view)
        .collect())
}
