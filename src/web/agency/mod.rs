//! The agency workspace: projects and lots, publication, corrections, the sealed bid count,
//! qualification and scores per evaluator, the evaluation with every bid's explanation, award,
//! result notice and contract.

use super::{fields, from_json, html, page, Base, Form, PageResult, State, WithBase};
use crate::domain::Hundredths;
use crate::error::Error;
use crate::http::actor::actor;
use crate::service::procurement::evaluation::{self};
use crate::service::procurement::projects::{
    self, CorrectionInput, ProjectDraft, ProjectListParams,
};
use actix_web::web;
use askama::Template;
use serde_json::{json, Map, Value};

mod documents;
mod lots;
pub use documents::*;
pub use lots::*;

#[derive(Template)]
#[template(path = "agency.html")]
struct WorkspacePage {
    b: Base,
    items: Vec<projects::ProjectView>,
}

pub async fn workspace(state: State, b: Base) -> PageResult {
    let clock = state.clock.clone();
    let caller = b.caller();
    let items = state
        .db(move |conn| {
            super::all_pages(500, |after| {
                let page = projects::list(
                    conn,
                    clock.as_ref(),
                    &actor(&caller),
                    &ProjectListParams {
                        limit: Some(100),
                        after,
                        ..ProjectListParams::default()
                    },
                )?;
                Ok((page.items, page.next_after))
            })
        })
        .await
        .on(&b)?;
    Ok(page(
        &b,
        &WorkspacePage {
            b: b.clone(),
            items,
        },
    ))
}

#[derive(Template)]
#[template(path = "project_form.html")]
struct ProjectForm {
    b: Base,
    f: Form,
    problems: Vec<String>,
    departments: Vec<(String, String)>,
}

async fn project_form(state: &State, b: &Base, f: Form, problems: Vec<String>) -> PageResult {
    let departments = state
        .db(|conn| {
            Ok(
                crate::service::accounts::list_orgs(conn, Some("department"))?
                    .into_iter()
                    .map(|o| (o.id, o.name))
                    .collect::<Vec<_>>(),
            )
        })
        .await
        .on(b)?;
    let status = super::form_status(&problems);
    Ok(html(
        status,
        b,
        &ProjectForm {
            b: b.clone(),
            f,
            problems,
            departments,
        },
    ))
}

pub async fn new_project(state: State, b: Base) -> PageResult {
    project_form(&state, &b, Form::default(), Vec::new()).await
}

/// A `datetime-local` value is Beijing wall time: `2026-03-20T09:30` → RFC 3339 with +08:00.
fn beijing_input(value: Option<String>) -> Option<String> {
    value.map(|v| {
        if v.len() == 16 && v.as_bytes().get(10) == Some(&b'T') {
            format!("{v}:00+08:00")
        } else {
            v
        }
    })
}

/// A percentage or score field: at most two decimals, exact (never through a float).
fn percent(f: &Form, name: &str) -> Result<Option<Hundredths>, Error> {
    f.get(name)
        .map(|v| {
            v.parse::<Hundredths>()
                .map_err(|e| Error::Validation(vec![crate::wire::fields::value_of(name, &v, &e)]))
        })
        .transpose()
}

fn draft_of(f: &Form) -> Result<ProjectDraft, Error> {
    let mut body = fields(
        f,
        "",
        &[
            "title",
            "department_id",
            "category",
            "category_code",
            "procurement_method",
            "policy",
            "budget",
            "reservation",
            "reservation_reason",
            "region",
        ],
        &[],
    )?;
    if let Some(v) = beijing_input(f.get("bid_deadline")) {
        body.insert("bid_deadline".into(), json!(v));
    }
    if let Some(v) = beijing_input(f.get("opening_at")) {
        body.insert("opening_at".into(), json!(v));
    }
    let mut weights = Map::new();
    for w in ["price", "technical", "commercial"] {
        if let Some(v) = percent(f, &format!("weight_{w}"))? {
            weights.insert(w.into(), json!(v));
        }
    }
    let mut evaluation = Map::new();
    if let Some(m) = f.get("evaluation_method") {
        evaluation.insert("method".into(), json!(m));
    }
    if !weights.is_empty() {
        evaluation.insert("weights".into(), Value::Object(weights));
    }
    if !evaluation.is_empty() {
        body.insert("evaluation".into(), Value::Object(evaluation));
    }
    let titles = f.all("lot_title");
    let budgets = f.all("lot_budget");
    let reserved: Vec<String> = f.all("lot_reserved");
    let mut lots = Vec::new();
    for (i, title) in titles.iter().enumerate() {
        let budget = budgets.get(i).cloned().unwrap_or_default();
        if title.is_empty() && budget.is_empty() {
            continue;
        }
        let number = (i + 1).to_string();
        lots.push(json!({
            "title": title,
            "budget": budget,
            "reserved": reserved.contains(&number),
        }));
    }
    if !lots.is_empty() {
        body.insert("lots".into(), Value::Array(lots));
    }
    from_json(Value::Object(body))
}

pub async fn create_project(state: State, b: Base, f: Form) -> PageResult {
    let clock = state.clock.clone();
    let caller = b.caller();
    let draft = draft_of(&f);
    let result = match draft {
        Err(e) => Err(e),
        Ok(draft) => {
            state
                .db(move |conn| projects::create(conn, clock.as_ref(), &actor(&caller), &draft))
                .await
        }
    };
    super::done_or_again(
        &b,
        result,
        |p| format!("/agency/projects/{}", p.id),
        |problems| project_form(&state, &b, f, problems),
    )
    .await
}

#[derive(Template)]
#[template(path = "agency_project.html")]
struct ProjectPage {
    b: Base,
    p: projects::ProjectView,
    problems: Vec<String>,
    f: Form,
    /// Who holds the keys of its lots.
    plan: Option<crate::service::procurement::opening::KeyPlanView>,
    /// Its procurement documents (采购文件).
    documents: Vec<crate::service::procurement::project_documents::ProjectDocumentView>,
    /// Who obtained them, once every lot is opened.
    obtained: Option<Vec<crate::service::procurement::project_documents::ObtainedView>>,
}

async fn project_page(
    state: &State,
    b: &Base,
    id: String,
    f: Form,
    problems: Vec<String>,
) -> PageResult {
    let clock = state.clock.clone();
    let caller = b.caller();
    let keys = state.keys.clone();
    let (p, plan, documents, obtained) = state
        .db(move |conn| {
            use crate::service::procurement::project_documents;
            let a = actor(&caller);
            let p = projects::show(conn, clock.as_ref(), &a, &id)?;
            let plan = crate::service::procurement::opening::key_plan(conn, &a, &id).ok();
            let documents = project_documents::list(conn, &a, &id)?;
            let obtained = project_documents::obtained(conn, clock.as_ref(), &keys, &a, &id).ok();
            Ok((p, plan, documents, obtained))
        })
        .await
        .on(b)?;
    if !b.is("admin")
        && b.user.as_ref().and_then(|u| u.user.agency_id.as_deref()) != Some(&p.agency_id)
    {
        return Err(Error::Forbidden(
            "this project belongs to another agency".into(),
        ))
        .on(b);
    }
    let status = super::form_status(&problems);
    Ok(html(
        status,
        b,
        &ProjectPage {
            b: b.clone(),
            p,
            problems,
            f,
            plan,
            documents,
            obtained,
        },
    ))
}

pub async fn project(state: State, b: Base, id: web::Path<String>) -> PageResult {
    project_page(&state, &b, id.into_inner(), Form::default(), Vec::new()).await
}

/// What an agency form acts on: the page it returns to.
#[derive(Clone, Copy)]
enum On {
    Project,
    Lot,
}

/// Runs an action on a project or lot; done → back to its page (303); a rule broken → its page
/// again with the problem and the service's status.
async fn act<T: Send + 'static>(
    on: On,
    state: State,
    b: Base,
    id: String,
    f: Form,
    action: impl super::Action<T>,
) -> PageResult {
    let result = super::run_action(&state, &b, id.clone(), action).await;
    let target = match on {
        On::Project => format!("/agency/projects/{id}"),
        On::Lot => format!("/agency/lots/{id}"),
    };
    super::done_or_again(
        &b,
        result,
        |_| target,
        |problems| async {
            match on {
                On::Project => project_page(&state, &b, id, f, problems).await,
                On::Lot => lot_page(&state, &b, id, f, problems).await,
            }
        },
    )
    .await
}

pub async fn publish(state: State, b: Base, id: web::Path<String>, f: Form) -> PageResult {
    let keys = state.keys.clone();
    act(
        On::Project,
        state,
        b,
        id.into_inner(),
        f,
        move |conn, clock, actor, id| projects::publish(conn, clock, &keys, actor, id),
    )
    .await
}

/// Names the key holders (usernames, one per line) and k, before publication.
pub async fn key_holders(state: State, b: Base, id: web::Path<String>, f: Form) -> PageResult {
    let holders: Vec<String> = f
        .text("holders")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    let threshold = match f.get("threshold") {
        None => Ok(None),
        Some(t) => t.parse::<i64>().map(Some).map_err(|_| {
            Error::Validation(vec![crate::wire::fields::coded(
                "threshold",
                "problem.threshold_range",
                vec![("n", holders.len().max(1).to_string())],
            )])
        }),
    };
    act(
        On::Project,
        state,
        b,
        id.into_inner(),
        f,
        move |conn, clock, actor, id| {
            let input = crate::service::procurement::opening::KeyPlanInput {
                holders: Some(holders),
                threshold: threshold?,
            };
            crate::service::procurement::opening::set_key_plan(conn, clock, actor, id, &input)
        },
    )
    .await
}

pub async fn correct(state: State, b: Base, id: web::Path<String>, f: Form) -> PageResult {
    let input = CorrectionInput {
        text: f.get("text"),
        bid_deadline: beijing_input(f.get("bid_deadline")),
        opening_at: beijing_input(f.get("opening_at")),
    };
    act(
        On::Project,
        state,
        b,
        id.into_inner(),
        f,
        move |conn, clock, actor, id| projects::correct(conn, clock, actor, id, &input),
    )
    .await
}

/// Ends the project, or the lots ticked, with its reason (终止公告).
pub async fn terminate(state: State, b: Base, id: web::Path<String>, f: Form) -> PageResult {
    let lots = f.all("lot");
    let input = crate::service::procurement::termination::TerminationInput {
        reason: f.get("reason"),
        lots: (!lots.is_empty()).then_some(lots),
    };
    act(
        On::Project,
        state,
        b,
        id.into_inner(),
        f,
        move |conn, clock, actor, id| {
            crate::service::procurement::termination::terminate(conn, clock, actor, id, &input)
        },
    )
    .await
}

/// Drafts the new round of the failed lots; on to the new draft's page.
pub async fn new_round(state: State, b: Base, id: web::Path<String>, f: Form) -> PageResult {
    let input = projects::RoundInput {
        lots: None,
        bid_deadline: beijing_input(f.get("bid_deadline")),
        opening_at: beijing_input(f.get("opening_at")),
    };
    let id = id.into_inner();
    let (clock, caller, pid) = (state.clock.clone(), b.caller(), id.clone());
    let result = state
        .db(move |conn| projects::new_round(conn, clock.as_ref(), &actor(&caller), &pid, &input))
        .await;
    super::done_or_again(
        &b,
        result,
        |p| format!("/agency/projects/{}", p.id),
        |problems| project_page(&state, &b, id, f, problems),
    )
    .await
}

pub async fn result(state: State, b: Base, id: web::Path<String>, f: Form) -> PageResult {
    act(
        On::Project,
        state,
        b,
        id.into_inner(),
        f,
        |conn, clock, actor, id| evaluation::publish_result(conn, clock, actor, id),
    )
    .await
}
