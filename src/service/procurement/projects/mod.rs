//! Projects and lots: drafting, publication (which pins the policy version and publishes the
//! procurement notice) and corrections (更正公告, which may move the timeline).

mod fields;
mod read;
mod rounds;
mod validate;

use super::notices;
use super::{
    find_project, parse_time, require_manager, utc, visible_project, wrong_phase, Actor, Phase,
};
use crate::clock::Clock;
use crate::db::procurement::{self as repo, Project};
use crate::db::{self, DbConnection};
use crate::domain::evaluation::Category;
use crate::domain::lifecycle::{NoticeKind, ProjectState};
use crate::domain::policy::{self};
use crate::domain::Hundredths;
use crate::error::{Error, Result};
use crate::service::audit::{self, Change};
use crate::wire::fields::coded;
use chrono::NaiveDateTime;
pub use corrections::{correct, CorrectionInput};
pub use read::*;
pub use rounds::{new_round, RoundInput};
use serde::{Deserialize, Serialize};
pub use validate::*;

mod corrections;

/// 采购方式.
pub const PROCUREMENT_METHODS: [(&str, &str); 6] = [
    ("open_tender", "公开招标"),
    ("invited_tender", "邀请招标"),
    ("competitive_negotiation", "竞争性谈判"),
    ("competitive_consultation", "竞争性磋商"),
    ("inquiry", "询价"),
    ("single_source", "单一来源"),
];

pub fn method_zh(method: &str) -> &'static str {
    PROCUREMENT_METHODS
        .iter()
        .find(|(m, _)| *m == method)
        .map_or("", |(_, zh)| zh)
}

/// How the lot is evaluated, checked against the policy profile as `POST /api/v1/evaluate` checks
/// it. Rates left out take the profile's defaults.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluationTerms {
    /// comprehensive (综合评分法) | lowest_price (最低评标价法)
    #[schema(pattern = "^(comprehensive|lowest_price)$")]
    pub method: Option<String>,
    pub weights: Option<TermWeights>,
    #[schema(value_type = Option<f64>)]
    pub price_deduction_pct: Option<Hundredths>,
    #[schema(value_type = Option<f64>)]
    pub consortium_deduction_pct: Option<Hundredths>,
    #[schema(value_type = Option<f64>)]
    pub minority_bonus_pct: Option<Hundredths>,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TermWeights {
    #[schema(value_type = Option<f64>)]
    pub price: Option<Hundredths>,
    #[schema(value_type = Option<f64>)]
    pub technical: Option<Hundredths>,
    #[schema(value_type = Option<f64>)]
    pub commercial: Option<Hundredths>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LotInput {
    #[schema(required = true, nullable = false)]
    pub title: Option<String>,
    /// Yuan, decimal string.
    #[schema(value_type = Option<String>, example = "800000.00", required = true, nullable = false)]
    pub budget: Option<serde_json::Value>,
    /// Reserved for SMEs (专门面向中小企业); with `reservation: whole` every lot is.
    pub reserved: Option<bool>,
    /// 最高限价 in yuan (decimal string), at most the lot's budget; optional.
    #[schema(value_type = Option<String>, example = "950000.00")]
    pub max_price: Option<serde_json::Value>,
}

/// A project as an agency drafts it. Publication needs the timeline as well.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectDraft {
    #[schema(required = true, nullable = false)]
    pub title: Option<String>,
    /// The budget unit (预算单位) buying: an organisation of kind `department`.
    pub department_id: Option<String>,
    /// goods | services | works
    #[schema(
        required = true,
        nullable = false,
        pattern = "^(goods|services|works)$"
    )]
    pub category: Option<String>,
    /// 政府采购品目 code, e.g. `A02`.
    #[schema(required = true, nullable = false)]
    pub category_code: Option<String>,
    /// open_tender | invited_tender | competitive_negotiation | competitive_consultation | inquiry | single_source
    #[schema(
        required = true,
        nullable = false,
        pattern = "^(open_tender|invited_tender|competitive_negotiation|competitive_consultation|inquiry|single_source)$"
    )]
    pub procurement_method: Option<String>,
    /// Policy profile id; default xinjiang-2011. Its version is pinned at publication.
    #[schema(pattern = "^(national-2011|xinjiang-2011|national-2020|national-2022)$")]
    pub policy: Option<String>,
    #[schema(required = true, nullable = false)]
    pub evaluation: Option<EvaluationTerms>,
    /// Yuan, decimal string; the lots' budgets add up to it.
    #[schema(value_type = Option<String>, example = "3000000.00", required = true, nullable = false)]
    pub budget: Option<serde_json::Value>,
    /// whole (整体预留) | lots (部分采购包预留) | none (不预留, with a reason)
    #[schema(required = true, nullable = false, pattern = "^(whole|lots|none)$")]
    pub reservation: Option<String>,
    pub reservation_reason: Option<String>,
    /// Six-digit region code; default the agency's.
    pub region: Option<String>,
    /// RFC 3339 with offset, e.g. `2026-03-20T09:30:00+08:00`.
    #[schema(format = DateTime)]
    pub bid_deadline: Option<String>,
    #[schema(format = DateTime)]
    pub opening_at: Option<String>,
    #[schema(required = true, nullable = false, min_items = 1, max_items = 200)]
    pub lots: Option<Vec<LotInput>>,
    /// 项目编号 (letters, digits, `-`, `_`, `/`, `.`; unique); numbered at publication when left out.
    #[schema(max_length = 50, example = "XJKS-2026-018")]
    pub number: Option<String>,
    /// 品目名称 as in the 政府采购品目分类目录 (the code's top level is shown when left out).
    #[schema(max_length = 100, example = "台式计算机")]
    pub category_name: Option<String>,
    /// 采购需求概况: what is bought, in a few lines.
    #[schema(max_length = 5000)]
    pub requirements: Option<String>,
    /// 本项目的特定资格要求 (besides 政府采购法 Art. 22 and the SME policy, which the notice states).
    #[schema(max_length = 2000)]
    pub qualification: Option<String>,
    /// 合同履行期限, e.g. `合同签订后 30 日内交货`.
    #[schema(max_length = 200)]
    pub contract_period: Option<String>,
    /// 开标地点; default: online on this system.
    #[schema(max_length = 200)]
    pub opening_place: Option<String>,
    /// 项目联系人.
    #[schema(max_length = 50)]
    pub contact_name: Option<String>,
    /// Its telephone: digits, spaces, `+`, `-`, parentheses.
    #[schema(max_length = 30, example = "0998-2812345")]
    pub contact_phone: Option<String>,
}

/// Drafts a project (an agency user, for its agency).
#[tracing::instrument(skip_all)]
pub fn create(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    input: &ProjectDraft,
) -> Result<ProjectView> {
    let now = clock.now_naive();
    let checked = check(conn, actor, input, db::new_id(), now, now)?;
    crate::db::write(conn, |conn| {
        repo::insert_project(conn, &checked.project)?;
        for lot in &checked.lots {
            repo::insert_lot(conn, lot)?;
        }
        audit::record(
            conn,
            clock,
            Change::new(
                actor.audit_id(),
                "project.create",
                "project",
                &checked.project.id,
            )
            .after(&(&checked.project, &checked.lots)),
        )
    })?;
    view(conn, actor, checked.project, now)
}

/// Replaces a draft with a new version of the same body (lots included).
#[tracing::instrument(skip_all)]
pub fn replace(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    id: &str,
    input: &ProjectDraft,
) -> Result<ProjectView> {
    let now = clock.now_naive();
    let checked = crate::db::write(conn, |conn| {
        let current = visible_project(conn, actor, id)?;
        require_manager(actor, &current)?;
        let phase = crate::service::procurement::phase(&current, now);
        if phase != Phase::Draft {
            return Err(wrong_phase("refusal.edit_phase", phase));
        }
        let checked = check(
            conn,
            actor,
            input,
            current.id.clone(),
            now,
            current.created_at,
        )?;
        let current_lots = repo::lots_of(conn, &current.id)?;
        let mut checked = checked;
        if current.round_of.is_some() {
            // A new round keeps the failed lots it procures again, one for one.
            if checked.lots.len() != current_lots.len() {
                return Err(crate::wire::fields::invalid(
                    "lots",
                    "problem.round_lots_fixed",
                    vec![("count", current_lots.len().to_string())],
                ));
            }
            checked.project.round_of = current.round_of.clone();
            for (new, old) in checked.lots.iter_mut().zip(&current_lots) {
                new.round_of = old.round_of.clone();
                new.reservation_lifted = old.reservation_lifted;
            }
        }
        repo::delete_lots_of(conn, &current.id)?;
        repo::update_project(conn, &checked.project)?;
        for lot in &checked.lots {
            repo::insert_lot(conn, lot)?;
        }
        audit::record(
            conn,
            clock,
            Change::new(actor.audit_id(), "project.replace", "project", &current.id)
                .before(&(&current, &current_lots))
                .after(&(&checked.project, &checked.lots)),
        )?;
        Ok(checked)
    })?;
    view(conn, actor, checked.project, now)
}

/// Publishes a draft: checks the timeline against the clock, pins the policy version and
/// publishes the procurement notice (采购公告).
#[tracing::instrument(skip_all)]
pub fn publish(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    keys: &crate::service::auth::keys::ServerKeys,
    actor: &Actor<'_>,
    id: &str,
) -> Result<ProjectView> {
    let now = clock.now_naive();
    let p = crate::db::write(conn, |conn| {
        publish_draft(conn, clock, keys, actor, id, now)
    })?;
    // Published: its lots' encapsulations are prepared for the bids to come.
    let lots = repo::lots_of(conn, &p.id)?;
    let ids: Vec<&str> = lots.iter().map(|l| l.id.as_str()).collect();
    for key in repo::lot_keys_of(conn, &ids)? {
        crate::service::sealing::ahead::prepare(&key.lot_id, &key.public_key);
    }
    view(conn, actor, p, now)
}

fn publish_draft(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    keys: &crate::service::auth::keys::ServerKeys,
    actor: &Actor<'_>,
    id: &str,
    now: NaiveDateTime,
) -> Result<Project> {
    let mut p = visible_project(conn, actor, id)?;
    require_manager(actor, &p)?;
    let phase = crate::service::procurement::phase(&p, now);
    if phase != Phase::Draft {
        return Err(wrong_phase("refusal.publish_phase", phase));
    }
    let mut problems = Vec::new();
    if p.bid_deadline.is_none() {
        problems.push(coded(
            "bid_deadline",
            "problem.required_before_publication",
            vec![],
        ));
    }
    if p.opening_at.is_none() {
        problems.push(coded(
            "opening_at",
            "problem.required_before_publication",
            vec![],
        ));
    }
    check_timeline(p.bid_deadline, p.opening_at, Some(now), &mut problems);
    if !problems.is_empty() {
        return Err(Error::Validation(problems));
    }
    let profile = policy::profile(&p.policy_id)
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("profile {} missing", p.policy_id)))?;
    p.policy_version = Some(profile.version.clone());
    if p.number.is_none() {
        p.number = Some(next_number(conn, &p, now)?);
    }
    p.state = ProjectState::Published;
    p.published_at = Some(now);
    p.updated_at = now;
    let lots = repo::lots_of(conn, &p.id)?;
    let before = find_project(conn, &p.id)?;
    repo::update_project(conn, &p)?;
    let lot_keys =
        crate::service::procurement::opening::issue_lot_keys(conn, keys, actor, &p, &lots, now)?;
    let documents = crate::service::procurement::project_documents::of_project(conn, &p.id)?;
    audit::record(
        conn,
        clock,
        Change::new(actor.audit_id(), "project.publish", "project", &p.id)
            .before(&before)
            .after(&p),
    )?;
    let mut body = notices::procurement_body(&p, &lots, &lot_keys, &documents);
    if let Some(prior) = &p.round_of {
        // A new round says what it procures again, and where that failed.
        let ended: Vec<String> = repo::notices_of(conn, prior)?
            .into_iter()
            .filter(|n| {
                matches!(
                    n.kind,
                    NoticeKind::Failure | NoticeKind::Termination | NoticeKind::Result
                )
            })
            .map(|n| n.id)
            .collect();
        body["round_of"] = serde_json::json!({
            "project_id": prior,
            "lots": lots.iter().map(|l| serde_json::json!({"lot_id": l.id, "number": l.number, "procures_again": l.round_of})).collect::<Vec<_>>(),
            "notices": ended,
        });
    }
    notices::publish(
        conn,
        clock,
        actor.audit_id(),
        &p,
        NoticeKind::Procurement,
        body,
        None,
    )?;
    Ok(p)
}

/// A project number for a project published without one: `<region>-<year>-<NNNN>`, the next
/// free of that region and year (the write lock is held, so no two publications race for it).
fn next_number(conn: &mut DbConnection, p: &Project, now: NaiveDateTime) -> Result<String> {
    use chrono::Datelike;
    let prefix = format!(
        "{}-{}-",
        p.region,
        crate::domain::beijing::day_of(now).year()
    );
    let mut n = repo::count_numbered(conn, &prefix)? + 1;
    loop {
        let number = format!("{prefix}{n:04}");
        if !repo::number_taken(conn, &number)? {
            return Ok(number);
        }
        n += 1;
    }
}

/// The engine's category from the stored text.
pub fn category_of(p: &Project) -> Category {
    match p.category.as_str() {
        "goods" => Category::Goods,
        "works" => Category::Works,
        _ => Category::Services,
    }
}

/// The stored terms.
pub fn terms_of(p: &Project) -> Result<EvaluationTerms> {
    serde_json::from_str(&p.terms)
        .map_err(|e| Error::Internal(anyhow::anyhow!("project {} terms: {e}", p.id)))
}
