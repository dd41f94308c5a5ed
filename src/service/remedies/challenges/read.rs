//! Who sees a challenge, and how: its challenger, the project's staff, the suppliers concerned.

use super::*;

/// The projects a supplier took part in: bids (in the clear or sealed) and documents obtained.
fn projects_of(
    conn: &mut DbConnection,
    keys: &ServerKeys,
    enterprise_id: &str,
) -> Result<Vec<String>> {
    Ok(repo::projects_taken_part(
        conn,
        enterprise_id,
        &keys.bidder_tag(enterprise_id),
    )?)
}

/// How the actor may see a challenge, if at all.
fn seen_by(
    conn: &mut DbConnection,
    keys: &ServerKeys,
    actor: &Actor<'_>,
    c: &Challenge,
) -> Result<Option<Seen>> {
    if actor.enterprise_id() == Some(c.enterprise_id.as_str()) {
        return Ok(Some(Seen::Own));
    }
    let Some(project) = procurement_repo::find_project(conn, &c.project_id)? else {
        return Ok(None);
    };
    if actor.is_staff_of(&project) {
        return Ok(Some(Seen::Staff));
    }
    if let Some(e) = actor.enterprise_id() {
        if c.state == ChallengeState::Answered
            && projects_of(conn, keys, e)?.contains(&c.project_id)
        {
            return Ok(Some(Seen::Concerned));
        }
    }
    Ok(None)
}

/// One challenge, to whoever may see it (others: 404).
#[tracing::instrument(skip_all)]
pub fn show(
    conn: &mut DbConnection,
    keys: &ServerKeys,
    actor: &Actor<'_>,
    id: &str,
) -> Result<Challenge> {
    let c = find(conn, id)?;
    match seen_by(conn, keys, actor, &c)? {
        Some(_) => Ok(c),
        None => Err(Error::NotFound(format!("no challenge with id {id}"))),
    }
}

/// One challenge as its reader sees it.
#[tracing::instrument(skip_all)]
pub fn show_view(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    keys: &ServerKeys,
    actor: &Actor<'_>,
    id: &str,
) -> Result<ChallengeView> {
    let c = find(conn, id)?;
    let seen = seen_by(conn, keys, actor, &c)?
        .ok_or_else(|| Error::NotFound(format!("no challenge with id {id}")))?;
    let cal = crate::service::calendar::current(conn)?;
    view(conn, clock, &cal, &c, seen)
}

/// The challenges a caller may see: a supplier its own and the answered ones of projects it
/// took part in; an agency its projects'; auditors, the finance department and admins all.
#[tracing::instrument(skip_all)]
pub fn list(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    keys: &ServerKeys,
    actor: &Actor<'_>,
    params: &ChallengeParams,
) -> Result<Vec<ChallengeView>> {
    const LIMIT: i64 = 200;
    let state = match params.state.as_deref() {
        None => None,
        Some(s) => Some(s.parse::<ChallengeState>().map_err(|_| {
            crate::wire::fields::invalid(
                "state",
                "problem.challenge_state",
                vec![("given", format!("{s:?}"))],
            )
        })?),
    };
    let base = ChallengeFilter {
        project_id: params.project_id.clone(),
        state,
        due_before: params.overdue.filter(|o| *o).map(|_| today(clock)),
        ..ChallengeFilter::default()
    };
    let cal = crate::service::calendar::current(conn)?;
    let mut out = Vec::new();
    match actor {
        Actor::Supplier { enterprise_id, .. } => {
            let own = ChallengeFilter {
                enterprise_id: Some(enterprise_id.to_string()),
                ..base.clone()
            };
            for c in repo::list_challenges(conn, &own, LIMIT)? {
                out.push(view(conn, clock, &cal, &c, Seen::Own)?);
            }
            let concerned = ChallengeFilter {
                project_ids: Some(projects_of(conn, keys, enterprise_id)?),
                state: Some(ChallengeState::Answered),
                ..base
            };
            if state.is_none_or(|s| s == ChallengeState::Answered) && params.overdue != Some(true) {
                for c in repo::list_challenges(conn, &concerned, LIMIT)? {
                    if c.enterprise_id != *enterprise_id {
                        out.push(view(conn, clock, &cal, &c, Seen::Concerned)?);
                    }
                }
            }
        }
        Actor::Agency { agency_id, .. } => {
            let f = ChallengeFilter {
                agency_id: Some(agency_id.to_string()),
                ..base
            };
            for c in repo::list_challenges(conn, &f, LIMIT)? {
                out.push(view(conn, clock, &cal, &c, Seen::Staff)?);
            }
        }
        Actor::Admin { .. } | Actor::Cli | Actor::Auditor { .. } | Actor::Finance { .. } => {
            for c in repo::list_challenges(conn, &base, LIMIT)? {
                out.push(view(conn, clock, &cal, &c, Seen::Staff)?);
            }
        }
        Actor::Public => {
            return Err(Error::Unauthorized("log in to read challenges".into()));
        }
    }
    Ok(out)
}
