//! Contracts of awarded lots, with the SME basis the ledger credits and the subcontracts they
//! carry.

use super::*;
use crate::clock::Clock;
use crate::db::procurement::{self as repo, Contract};
use crate::db::{self, DbConnection};
use crate::domain::lifecycle::{ContractStatus, LotState, ProjectState};
use crate::domain::reservation::{self, Basis, Party, Winner};
use crate::domain::Fen;
use crate::error::{Cause, Error, Result};
use crate::service::audit::{self, Change};
use crate::service::procurement::bids::{content_of, scale_of, set_lot_state, BidContent};
use crate::service::procurement::{
    find_lot, require_manager, utc, visible_project, wrong_phase, Actor, Phase,
};
use crate::wire::fields::coded;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

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
        status: c.status.to_string(),
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
#[tracing::instrument(skip_all)]
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
    let phase = crate::service::procurement::phase(&project, now);
    if phase != Phase::Awarded {
        return Err(wrong_phase("refusal.contract_phase", phase));
    }
    if lot.state != LotState::Awarded {
        return Err(crate::service::refuse(
            Cause::WrongState,
            "refusal.contract_lot",
            crate::service::procurement::lot_said(&lot),
        ));
    }
    crate::service::procurement::holds::check_hold(
        conn,
        &project,
        Some(&lot),
        crate::service::procurement::holds::Step::Contract,
        crate::domain::beijing::day_of(now),
    )?;
    let bid_id = lot.awarded_bid_id.clone().unwrap_or_default();
    let bid = repo::find_bid(conn, &bid_id)?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("awarded bid missing")))?;
    let mut problems = Vec::new();
    let number = match input.number.as_deref().map(str::trim) {
        None | Some("") => {
            problems.push(crate::wire::fields::required("number"));
            None
        }
        Some(n) if n.chars().count() > 100 => {
            problems.push(coded(
                "number",
                "problem.too_long",
                vec![("max", "100".into())],
            ));
            None
        }
        Some(n) => Some(n.to_string()),
    };
    let amount = match input.amount.as_deref() {
        None => {
            problems.push(coded("amount", "problem.required_amount", vec![]));
            None
        }
        Some(a) => match Fen::parse_positive_yuan(a) {
            Ok(f) if f.0 > bid.price_fen => {
                problems.push(coded(
                    "amount",
                    "problem.above_award",
                    vec![
                        ("amount", f.to_string()),
                        ("price", Fen(bid.price_fen).to_string()),
                    ],
                ));
                None
            }
            Ok(f) => Some(f),
            Err(e) => {
                problems.push(crate::wire::fields::of("amount", &e));
                None
            }
        },
    };
    let signed_on = match input.signed_on.as_deref() {
        None => {
            problems.push(coded("signed_on", "problem.required_ymd", vec![]));
            None
        }
        Some(d) => match NaiveDate::parse_from_str(d, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                problems.push(coded(
                    "signed_on",
                    "problem.not_a_date",
                    vec![("given", format!("{d:?}"))],
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
        status: ContractStatus::Signed,
        created_at: now,
        void_reason: None,
        voided_at: None,
    };
    {
        repo::insert_contract(conn, &row).map_err(|e| match Error::from(e) {
            Error::Conflict(..) => crate::service::refuse(
                Cause::Duplicate,
                "refusal.contract_number",
                vec![("number", number.to_string())],
            ),
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
        set_lot_state(conn, &lot.id, LotState::Contracted)?;
        let pending = repo::count_lots_in_state(conn, &project.id, LotState::Awarded)?;
        let state = if pending == 0 {
            ProjectState::Contracted
        } else {
            ProjectState::Awarded
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
#[tracing::instrument(skip_all)]
pub fn show_contract(conn: &mut DbConnection, id: &str) -> Result<ContractView> {
    repo::find_contract(conn, id)?
        .map(contract_view)
        .ok_or_else(|| Error::NotFound(format!("no contract with id {id}")))
}

#[tracing::instrument(skip_all)]
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
