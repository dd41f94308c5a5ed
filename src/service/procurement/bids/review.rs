//! After the opening: qualification (资格审查) and the evaluators' scores.

use super::find_lot;
use super::*;
use crate::clock::Clock;
use crate::db::procurement::{self as repo, Score};
use crate::db::DbConnection;
use crate::domain::lifecycle::LotState;
use crate::domain::Hundredths;
use crate::error::{Cause, Error, Result};
use crate::service::audit::{self, Change};
use crate::service::Actor;
use crate::wire::fields::coded;
use crate::wire::FieldProblem;
use chrono::NaiveDateTime;
use serde::Deserialize;
use std::collections::HashSet;

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QualificationInput {
    #[schema(required = true, nullable = false, min_items = 1)]
    pub results: Option<Vec<QualificationResult>>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QualificationResult {
    #[schema(required = true, nullable = false)]
    pub bid_id: Option<String>,
    /// Passed the qualification and compliance review (资格性、符合性审查).
    #[schema(required = true, nullable = false)]
    pub qualified: Option<bool>,
    /// Required when not qualified.
    pub reason: Option<String>,
}

/// Records the qualification review of some or all bids of a lot.
#[tracing::instrument(skip_all)]
pub fn qualify(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    lot_id: &str,
    input: &QualificationInput,
) -> Result<LotBids> {
    let now = clock.now_naive();
    crate::db::write(conn, |conn| {
        qualify_in(conn, clock, actor, lot_id, input, now)
    })?;
    of_lot(conn, clock, actor, lot_id)
}

fn qualify_in(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    lot_id: &str,
    input: &QualificationInput,
    now: NaiveDateTime,
) -> Result<()> {
    let (lot, project) = find_lot(conn, lot_id)?;
    reviewable(conn, actor, &lot, &project, now)?;
    let submitted: HashSet<String> = repo::submitted_bids(conn, &lot.id)?
        .into_iter()
        .map(|b| b.id)
        .collect();
    let mut problems = Vec::new();
    let mut updates: Vec<(String, bool, Option<String>)> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    match input.results.as_deref() {
        None | Some([]) => problems.push(coded("results", "problem.required_reviews", vec![])),
        Some(list) => {
            for (i, r) in list.iter().enumerate() {
                let at = |f: &str| format!("results[{i}].{f}");
                let bid = bid_ref(
                    r.bid_id.as_deref(),
                    at("bid_id"),
                    &submitted,
                    &mut seen,
                    &mut problems,
                );
                let reason = r
                    .reason
                    .as_deref()
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_string);
                match r.qualified {
                    None => problems.push(coded(at("qualified"), "problem.required_bool", vec![])),
                    Some(false) if reason.is_none() => problems.push(coded(
                        at("reason"),
                        "problem.required_unqualified_reason",
                        vec![],
                    )),
                    Some(q) => {
                        if let Some(b) = bid {
                            updates.push((b, q, reason));
                        }
                    }
                }
            }
        }
    }
    if !problems.is_empty() {
        return Err(Error::Validation(problems));
    }
    repo::set_qualification(conn, &updates)?;
    let changes: Vec<Change<'_>> = updates
        .iter()
        .map(|(id, q, reason)| {
            Change::new(actor.audit_id(), "bid.qualify", "bid", id)
                .after(&serde_json::json!({"qualified": q, "reason": reason}))
        })
        .collect();
    audit::append(conn, clock, &changes)
}

/// A bid named in a review or score sheet: required, listed once, a submitted bid of the lot.
fn bid_ref(
    id: Option<&str>,
    field: String,
    submitted: &HashSet<String>,
    seen: &mut HashSet<String>,
    problems: &mut Vec<FieldProblem>,
) -> Option<String> {
    let problem = match id {
        None => crate::wire::fields::required(&field),
        Some(id) if !seen.insert(id.to_string()) => coded(field, "problem.listed_twice", vec![]),
        Some(id) if submitted.contains(id) => return Some(id.to_string()),
        Some(id) => coded(
            field,
            "problem.not_a_submitted_bid",
            vec![("id", id.to_string())],
        ),
    };
    problems.push(problem);
    None
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoresInput {
    /// The evaluator (评审专家), e.g. "专家A".
    #[schema(required = true, nullable = false, max_length = 100)]
    pub evaluator: Option<String>,
    #[schema(required = true, nullable = false, min_items = 1)]
    pub scores: Option<Vec<ScoreInput>>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreInput {
    #[schema(required = true, nullable = false)]
    pub bid_id: Option<String>,
    /// 0 – the technical weight.
    #[schema(value_type = Option<f64>, required = true, nullable = false)]
    pub technical: Option<Hundredths>,
    /// 0 – the commercial weight.
    #[schema(value_type = Option<f64>, required = true, nullable = false)]
    pub commercial: Option<Hundredths>,
}

/// Records (or corrects) one evaluator's technical and commercial scores for bids of a lot.
#[tracing::instrument(skip_all)]
pub fn enter_scores(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    lot_id: &str,
    input: &ScoresInput,
) -> Result<LotBids> {
    let now = clock.now_naive();
    crate::db::write(conn, |conn| {
        enter_scores_in(conn, clock, actor, lot_id, input, now)
    })?;
    of_lot(conn, clock, actor, lot_id)
}

fn enter_scores_in(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    lot_id: &str,
    input: &ScoresInput,
    now: NaiveDateTime,
) -> Result<()> {
    let (lot, project) = find_lot(conn, lot_id)?;
    reviewable(conn, actor, &lot, &project, now)?;
    let terms = crate::service::procurement::projects::terms_of(&project)?;
    let Some(weights) = terms
        .weights
        .filter(|_| project.evaluation_method == "comprehensive")
    else {
        return Err(crate::service::refuse(
            Cause::WrongState,
            "refusal.no_scores",
            vec![],
        ));
    };
    let submitted: HashSet<String> = repo::submitted_bids(conn, &lot.id)?
        .into_iter()
        .map(|b| b.id)
        .collect();
    let mut seen: HashSet<String> = HashSet::new();
    let mut problems = Vec::new();
    let evaluator = match input.evaluator.as_deref().map(str::trim) {
        None | Some("") => {
            problems.push(crate::wire::fields::required("evaluator"));
            None
        }
        Some(e) if e.chars().count() > 100 => {
            problems.push(coded(
                "evaluator",
                "problem.too_long",
                vec![("max", "100".into())],
            ));
            None
        }
        Some(e) => Some(e.to_string()),
    };
    let mut rows: Vec<Score> = Vec::new();
    match input.scores.as_deref() {
        None | Some([]) => problems.push(coded("scores", "problem.required_scores", vec![])),
        Some(list) => {
            for (i, s) in list.iter().enumerate() {
                let at = |f: &str| format!("scores[{i}].{f}");
                let bid = bid_ref(
                    s.bid_id.as_deref(),
                    at("bid_id"),
                    &submitted,
                    &mut seen,
                    &mut problems,
                );
                let mut value = |name: &str,
                                 v: Option<Hundredths>,
                                 max: Option<Hundredths>|
                 -> Option<Hundredths> {
                    let max = max.unwrap_or(Hundredths::ZERO);
                    match v {
                        None => {
                            problems.push(crate::wire::fields::required(&at(name)));
                            None
                        }
                        Some(v) if v < Hundredths::ZERO || v > max => {
                            problems.push(coded(
                                at(name),
                                "problem.score_range",
                                vec![
                                    ("value", v.short().to_string()),
                                    ("max", max.short().to_string()),
                                    ("name", name.to_string()),
                                    ("name_zh", label(Lang::Zh, "score", name)),
                                ],
                            ));
                            None
                        }
                        Some(v) => Some(v),
                    }
                };
                let technical = value("technical", s.technical, weights.technical);
                let commercial = value("commercial", s.commercial, weights.commercial);
                if let (Some(bid_id), Some(t), Some(c), Some(e)) =
                    (bid, technical, commercial, &evaluator)
                {
                    rows.push(Score {
                        bid_id,
                        evaluator: e.clone(),
                        technical: t.0,
                        commercial: c.0,
                        entered_by: actor.user_id().unwrap_or_default().to_string(),
                        entered_at: now,
                    });
                }
            }
        }
    }
    if !problems.is_empty() {
        return Err(Error::Validation(problems));
    }
    if actor.user_id().is_none() {
        return Err(Error::Forbidden(
            "scores are entered by a logged-in agency user".into(),
        ));
    }
    repo::replace_scores(conn, &rows)?;
    let ids: Vec<String> = rows
        .iter()
        .map(|r| format!("{}/{}", r.bid_id, r.evaluator))
        .collect();
    let changes: Vec<Change<'_>> = rows
        .iter()
        .zip(&ids)
        .map(|(r, id)| Change::new(actor.audit_id(), "score.enter", "score", id).after(r))
        .collect();
    audit::append(conn, clock, &changes)
}

/// Marks a lot's state (inside a transaction).
#[tracing::instrument(skip_all)]
pub(crate) fn set_lot_state(conn: &mut DbConnection, lot_id: &str, state: LotState) -> Result<()> {
    repo::set_lot_state(conn, lot_id, state)?;
    Ok(())
}
