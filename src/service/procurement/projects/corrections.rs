use super::notices::{self, NoticeKind};
use super::*;
use super::{require_manager, utc, visible_project, Actor, Phase};
use crate::clock::Clock;
use crate::db::procurement::{self as repo};
use crate::db::DbConnection;
use crate::error::{Cause, Error, Result};
use crate::service::audit::{self, Change};
use crate::service::procurement::wrong_phase_because;
use chrono::NaiveDateTime;
use serde::Deserialize;

/// Body of a correction notice (更正公告).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionInput {
    /// What is corrected, in words.
    #[schema(required = true, nullable = false)]
    pub text: Option<String>,
    /// A new bid deadline (RFC 3339), if it moves.
    #[schema(format = DateTime)]
    pub bid_deadline: Option<String>,
    /// A new opening time (RFC 3339), if it moves.
    #[schema(format = DateTime)]
    pub opening_at: Option<String>,
}

/// Publishes a correction notice pointing at the latest notice; it may move the timeline.
/// Only before the bid deadline.
#[tracing::instrument(skip_all)]
pub fn correct(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    id: &str,
    input: &CorrectionInput,
) -> Result<notices::NoticeView> {
    let now = clock.now_naive();
    let notice = crate::db::write(conn, |conn| correct_in(conn, clock, actor, id, input, now))?;
    Ok(notices::view(notice))
}

fn correct_in(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &Actor<'_>,
    id: &str,
    input: &CorrectionInput,
    now: NaiveDateTime,
) -> Result<crate::db::procurement::Notice> {
    let mut p = visible_project(conn, actor, id)?;
    require_manager(actor, &p)?;
    let phase = crate::service::procurement::phase(&p, now);
    if phase != Phase::Published {
        let cause = if phase > Phase::Published {
            Cause::BidDeadlinePassed
        } else {
            Cause::WrongState
        };
        return Err(wrong_phase_because(
            cause,
            "refusal.correction_phase",
            phase,
            Vec::new(),
        ));
    }
    let mut problems = Vec::new();
    let text = crate::wire::fields::text(
        input.text.as_deref(),
        "text",
        crate::wire::fields::Text::required(5000).with_lines(),
        &mut problems,
    );
    let deadline = time(&input.bid_deadline, "bid_deadline", &mut problems);
    let opening = time(&input.opening_at, "opening_at", &mut problems);
    let new_deadline = deadline.or(p.bid_deadline);
    let new_opening = opening.or(p.opening_at);
    if deadline.is_some() || opening.is_some() {
        check_timeline(new_deadline, new_opening, Some(now), &mut problems);
    }
    let Some(text) = text.filter(|_| problems.is_empty()) else {
        return Err(Error::Validation(problems));
    };
    let previous = repo::notices_of(conn, &p.id)?
        .into_iter()
        .rfind(|n| matches!(n.kind.as_str(), "procurement" | "correction"))
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("published project without a notice")))?;
    let first = repo::notices_of(conn, &p.id)?
        .into_iter()
        .find(|n| n.kind == NoticeKind::Procurement)
        .map(|n| crate::domain::beijing::day_of(n.published_at));
    let body = serde_json::json!({
        "project_id": p.id,
        "number": p.number,
        "title": p.title,
        "first_published": first,
        "corrected_on": crate::domain::beijing::day_of(now),
        "text": text,
        "corrects": previous.id,
        "bid_deadline": {"before": p.bid_deadline.map(utc), "after": new_deadline.map(utc)},
        "opening_at": {"before": p.opening_at.map(utc), "after": new_opening.map(utc)},
    });
    let before = p.clone();
    p.bid_deadline = new_deadline;
    p.opening_at = new_opening;
    p.updated_at = now;
    repo::update_project(conn, &p)?;
    audit::record(
        conn,
        clock,
        Change::new(actor.audit_id(), "project.correct", "project", &p.id)
            .before(&before)
            .after(&p),
    )?;
    notices::publish(
        conn,
        clock,
        actor.audit_id(),
        &p,
        NoticeKind::Correction,
        body,
        Some(previous.id.clone()),
    )
}
