//! The agency workspace: projects and lots, publication, corrections, the sealed bid count,
//! qualification and scores per evaluator, the evaluation with every bid's explanation, award,
//! result notice and contract.

use super::public::{excluded, ranking, RankRow};
use super::{fields, from_json, html, page, Base, Form, PageResult, State, WithBase};
use crate::domain::Hundredths;
use crate::error::Error;
use crate::http::actor::actor;
use crate::service::procurement::bids::{self, LotBids, QualificationInput, ScoresInput};
use crate::service::procurement::evaluation::{self, AwardInput, ContractInput, RunInput, RunView};
use crate::service::procurement::projects::{
    self, CorrectionInput, ProjectDraft, ProjectListParams,
};
use actix_web::web;
use askama::Template;
use serde_json::{json, Map, Value};

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
                .map_err(|e| Error::field(name, format!("{v:?} {e}")))
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
    let p = state
        .db(move |conn| projects::show(conn, clock.as_ref(), &actor(&caller), &id))
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
    action: impl FnOnce(
            &mut crate::service::Conn,
            &dyn crate::clock::Clock,
            &crate::service::Actor<'_>,
            &str,
        ) -> Result<T, Error>
        + Send
        + 'static,
) -> PageResult {
    let clock = state.clock.clone();
    let caller = b.caller();
    let target = id.clone();
    let result = state
        .db(move |conn| action(conn, clock.as_ref(), &actor(&caller), &target))
        .await;
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
    act(
        On::Project,
        state,
        b,
        id.into_inner(),
        f,
        |conn, clock, actor, id| projects::publish(conn, clock, actor, id),
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

/// A bid as the lot page lists it.
struct BidRow {
    id: String,
    supplier: String,
    price: String,
    qualified: Option<bool>,
    reason: String,
    scores: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "agency_lot.html")]
struct LotPage {
    b: Base,
    p: projects::ProjectView,
    lot: projects::LotView,
    sealed: bool,
    /// The number of bids, or a dash for those who may not know it before the opening.
    count: String,
    bids: Vec<BidRow>,
    run: Option<RunView>,
    ranking: Vec<RankRow>,
    excluded: Vec<(String, String)>,
    failure: String,
    winner_price: String,
    f: Form,
    problems: Vec<String>,
}

async fn lot_page(
    state: &State,
    b: &Base,
    lot_id: String,
    f: Form,
    problems: Vec<String>,
) -> PageResult {
    let clock = state.clock.clone();
    let caller = b.caller();
    let (p, list, run): (projects::ProjectView, LotBids, Option<RunView>) = state
        .db(move |conn| {
            let a = actor(&caller);
            let (_, project) = crate::service::procurement::find_lot(conn, &lot_id)?;
            if !a.manages(&project) {
                return Err(Error::Forbidden(
                    "this lot belongs to another agency's project".into(),
                ));
            }
            let p = projects::show(conn, clock.as_ref(), &a, &project.id)?;
            let list = bids::of_lot(conn, clock.as_ref(), &a, &lot_id)?;
            let run = evaluation::latest_run(conn, &a, &lot_id)?;
            Ok((p, list, run))
        })
        .await
        .on(b)?;
    let lot = p
        .lots
        .iter()
        .find(|l| l.id == list.lot_id)
        .cloned()
        .ok_or_else(|| Error::NotFound("lot".into()))
        .on(b)?;
    let rows: Vec<BidRow> = list
        .bids
        .iter()
        .map(|bid| BidRow {
            id: bid.id.clone(),
            supplier: bid.content.bidder_name(),
            price: bid.price.clone(),
            qualified: bid.qualified,
            reason: bid.qualification_reason.clone().unwrap_or_default(),
            scores: bid
                .scores
                .iter()
                .map(|s| {
                    (
                        s.evaluator.clone(),
                        s.technical.to_string(),
                        s.commercial.to_string(),
                    )
                })
                .collect(),
        })
        .collect();
    let names: std::collections::HashMap<String, String> = rows
        .iter()
        .map(|r| (r.id.clone(), r.supplier.clone()))
        .collect();
    let (ranking_rows, excluded_rows, failure) = match &run {
        Some(r) => (
            ranking(&r.output, &|id| names.get(id).cloned()),
            excluded(&r.output)
                .into_iter()
                .map(|(id, reason)| (names.get(&id).cloned().unwrap_or(id), reason))
                .collect(),
            r.output["failure_reason"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        ),
        None => (Vec::new(), Vec::new(), String::new()),
    };
    let winner_price = lot
        .awarded_bid_id
        .as_ref()
        .and_then(|id| rows.iter().find(|r| &r.id == id))
        .map(|r| r.price.clone())
        .unwrap_or_default();
    let status = super::form_status(&problems);
    Ok(html(
        status,
        b,
        &LotPage {
            b: b.clone(),
            p,
            lot,
            sealed: list.sealed,
            count: list
                .count
                .map_or_else(|| "—".to_string(), |n| n.to_string()),
            bids: rows,
            run,
            ranking: ranking_rows,
            excluded: excluded_rows,
            failure,
            winner_price,
            f,
            problems,
        },
    ))
}

pub async fn lot(state: State, b: Base, id: web::Path<String>) -> PageResult {
    lot_page(&state, &b, id.into_inner(), Form::default(), Vec::new()).await
}

/// One evaluator's sheet: each bid's qualification (资格性审查) and its technical and commercial
/// scores, recorded together or not at all.
fn sheet_of(f: &Form) -> Result<(QualificationInput, ScoresInput), Error> {
    let ids = f.all("bid");
    let mut results = Vec::new();
    let mut scores = Vec::new();
    for id in &ids {
        let qualified = f.get(&format!("qualified_{id}")).as_deref() != Some("no");
        results.push(json!({
            "bid_id": id,
            "qualified": qualified,
            "reason": f.get(&format!("reason_{id}")),
        }));
        if qualified {
            let mut s = Map::new();
            s.insert("bid_id".into(), json!(id));
            for part in ["technical", "commercial"] {
                let name = format!("{part}_{id}");
                if let Some(v) = percent(f, &name)? {
                    s.insert(part.into(), json!(v));
                }
            }
            scores.push(Value::Object(s));
        }
    }
    let qualification = from_json(json!({ "results": results }))?;
    let sheet = from_json(json!({ "evaluator": f.get("evaluator"), "scores": scores }))?;
    Ok((qualification, sheet))
}

pub async fn scores(state: State, b: Base, id: web::Path<String>, f: Form) -> PageResult {
    let sheet = sheet_of(&f);
    act(
        On::Lot,
        state,
        b,
        id.into_inner(),
        f,
        move |conn, clock, actor, id| {
            let (qualification, sheet) = sheet?;
            bids::review_sheet(conn, clock, actor, id, &qualification, &sheet)
        },
    )
    .await
}

pub async fn evaluate(state: State, b: Base, id: web::Path<String>, f: Form) -> PageResult {
    let input = RunInput {
        unreserved: f.checked("unreserved").then_some(true),
    };
    act(
        On::Lot,
        state,
        b,
        id.into_inner(),
        f,
        move |conn, clock, actor, id| evaluation::run(conn, clock, actor, id, &input),
    )
    .await
}

pub async fn award(state: State, b: Base, id: web::Path<String>, f: Form) -> PageResult {
    let input = AwardInput {
        bid_id: f.get("bid_id"),
    };
    act(
        On::Lot,
        state,
        b,
        id.into_inner(),
        f,
        move |conn, clock, actor, id| evaluation::award(conn, clock, actor, id, &input),
    )
    .await
}

pub async fn contract(state: State, b: Base, id: web::Path<String>, f: Form) -> PageResult {
    let input = ContractInput {
        number: f.get("number"),
        amount: f.get("amount"),
        signed_on: f.get("signed_on"),
    };
    act(
        On::Lot,
        state,
        b,
        id.into_inner(),
        f,
        move |conn, clock, actor, id| evaluation::contract(conn, clock, actor, id, &input),
    )
    .await
}
