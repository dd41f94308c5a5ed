//! Remedies for people: a supplier files a challenge (质疑) with its evidence and follows it;
//! the agency answers; the challenger complains (投诉); the finance department accepts,
//! suspends and rules; the public reads the debarment list (不良行为记录). The same services as
//! the API; files stream into the store as the API's do.

use super::{done_or_again, html, page, Base, Form, PageResult, State, WithBase};
use crate::error::Error;
use crate::http::actor::actor;
use crate::service::procurement::documents::{Purpose, StoredDocument};
use crate::service::procurement::projects::{self, ProjectView};
use crate::service::remedies::challenges::{
    self, AnswerInput, ChallengeInput, ChallengeParams, ChallengeView,
};
use crate::service::remedies::complaints::{
    self, AcceptInput, ComplaintInput, ComplaintView, RejectInput, RulingInput, SuspendInput,
};
use crate::service::remedies::debarments::{
    self, DebarmentInput, DebarmentParams, DebarmentView, LiftInput,
};
use crate::service::Actor;
use actix_web::{web, HttpRequest};
use askama::Template;

type Id = web::Path<String>;

/// A form sent as `multipart/form-data` with `evidence` files (or urlencoded without): its
/// fields (CSRF checked) and the files, in the store. A bad token leaves no file behind.
async fn form_and_files(
    state: &State,
    b: &Base,
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<(Form, Vec<StoredDocument>), super::PageError> {
    if !crate::http::documents::is_multipart(req) {
        let mut payload = payload.into_inner();
        let f = <Form as actix_web::FromRequest>::from_request(req, &mut payload).await?;
        return Ok((f, Vec::new()));
    }
    let multipart = actix_multipart::Multipart::new(req.headers(), payload);
    let read = crate::http::documents::read::<()>(
        state,
        multipart,
        Purpose::Remedy,
        String::new(),
        None,
        None,
    )
    .await
    .on(b)?;
    let csrf = read
        .fields
        .iter()
        .find(|(k, _)| k == super::CSRF_FIELD)
        .map(|(_, v)| v.trim().to_string());
    if !super::csrf_matches(req, csrf.as_deref()) {
        crate::http::documents::discard(state, read.documents).await;
        return Err(super::csrf_refused(req));
    }
    let f = Form(read.fields);
    let invisible = f.invisible_problems();
    if !invisible.is_empty() {
        crate::http::documents::discard(state, read.documents).await;
        return Err(Error::Validation(invisible)).on(b);
    }
    Ok((f, read.documents))
}

/// Runs a use case that keeps files; the files go when it refuses.
async fn keeping<T: Send + 'static>(
    state: &State,
    files: Vec<StoredDocument>,
    f: impl FnOnce(&mut crate::service::Conn, &[StoredDocument]) -> crate::error::Result<T>
        + Send
        + 'static,
) -> crate::error::Result<T> {
    let kept = files.clone();
    let out = state.db(move |conn| f(conn, &files)).await;
    if out.is_err() {
        crate::http::documents::discard(state, kept).await;
    }
    out
}

// --- filing a challenge ---------------------------------------------------------------------

#[derive(Template)]
#[template(path = "challenge_form.html")]
struct ChallengeForm {
    b: Base,
    p: ProjectView,
    f: Form,
    problems: Vec<String>,
}

async fn challenge_form_page(
    state: &State,
    b: &Base,
    project: String,
    f: Form,
    problems: Vec<String>,
) -> PageResult {
    let clock = state.clock.clone();
    let p = state
        .db(move |conn| projects::show(conn, clock.as_ref(), &Actor::Public, &project))
        .await
        .on(b)?;
    Ok(html(
        super::form_status(&problems),
        b,
        &ChallengeForm {
            b: b.clone(),
            p,
            f,
            problems,
        },
    ))
}

pub async fn challenge_form(state: State, b: Base, id: Id) -> PageResult {
    challenge_form_page(&state, &b, id.into_inner(), Form::default(), Vec::new()).await
}

fn optional(f: &Form, name: &str) -> Option<String> {
    f.get(name).filter(|v| v != "-")
}

/// Files the challenge (multipart with its evidence); on to its page.
pub async fn file_challenge(
    state: State,
    b: Base,
    id: Id,
    req: HttpRequest,
    payload: web::Payload,
) -> PageResult {
    let project = id.into_inner();
    let (f, files) = form_and_files(&state, &b, &req, payload).await?;
    let input = ChallengeInput {
        kind: f.get("kind"),
        lot_id: optional(&f, "lot_id"),
        step: optional(&f, "step"),
        facts: f.get("facts"),
        grounds: f.get("grounds"),
        requests: f.get("requests"),
    };
    let (clock, keys, caller, pid) = (
        state.clock.clone(),
        state.keys.clone(),
        b.caller(),
        project.clone(),
    );
    let result = keeping(&state, files, move |conn, docs| {
        challenges::file(
            conn,
            clock.as_ref(),
            &keys,
            &actor(&caller),
            &pid,
            &input,
            docs,
        )
    })
    .await;
    done_or_again(
        &b,
        result,
        |c| format!("/challenges/{}", c.id),
        |problems| challenge_form_page(&state, &b, project, f, problems),
    )
    .await
}

// --- one challenge, its answer, its complaint -------------------------------------------------

#[derive(Template)]
#[template(path = "challenge.html")]
struct ChallengePage {
    b: Base,
    c: ChallengeView,
    /// The caller answers it (the project's agency or an admin).
    may_answer: bool,
    f: Form,
    problems: Vec<String>,
}

async fn challenge_page(
    state: &State,
    b: &Base,
    id: String,
    f: Form,
    problems: Vec<String>,
) -> PageResult {
    let (clock, keys, caller) = (state.clock.clone(), state.keys.clone(), b.caller());
    let (c, may_answer) = state
        .db(move |conn| {
            let a = actor(&caller);
            let c = challenges::show_view(conn, clock.as_ref(), &keys, &a, &id)?;
            let project = crate::service::procurement::find_project(conn, &c.project_id)?;
            Ok((c, a.manages(&project)))
        })
        .await
        .on(b)?;
    Ok(html(
        super::form_status(&problems),
        b,
        &ChallengePage {
            b: b.clone(),
            c,
            may_answer,
            f,
            problems,
        },
    ))
}

pub async fn challenge(state: State, b: Base, id: Id) -> PageResult {
    challenge_page(&state, &b, id.into_inner(), Form::default(), Vec::new()).await
}

pub async fn answer(
    state: State,
    b: Base,
    id: Id,
    req: HttpRequest,
    payload: web::Payload,
) -> PageResult {
    let id = id.into_inner();
    let (f, files) = form_and_files(&state, &b, &req, payload).await?;
    let input = AnswerInput {
        finding: f.get("finding"),
        text: f.get("text"),
    };
    let (clock, caller, cid) = (state.clock.clone(), b.caller(), id.clone());
    let result = keeping(&state, files, move |conn, docs| {
        challenges::answer(conn, clock.as_ref(), &actor(&caller), &cid, &input, docs)
    })
    .await;
    done_or_again(
        &b,
        result,
        |c| format!("/challenges/{}", c.id),
        |problems| challenge_page(&state, &b, id, f, problems),
    )
    .await
}

pub async fn withdraw(state: State, b: Base, id: Id, f: Form) -> PageResult {
    let id = id.into_inner();
    let (clock, caller, cid) = (state.clock.clone(), b.caller(), id.clone());
    let result = state
        .db(move |conn| challenges::withdraw(conn, clock.as_ref(), &actor(&caller), &cid))
        .await;
    done_or_again(
        &b,
        result,
        |c| format!("/challenges/{}", c.id),
        |problems| challenge_page(&state, &b, id, f, problems),
    )
    .await
}

pub async fn complain(
    state: State,
    b: Base,
    id: Id,
    req: HttpRequest,
    payload: web::Payload,
) -> PageResult {
    let id = id.into_inner();
    let (f, files) = form_and_files(&state, &b, &req, payload).await?;
    let input = ComplaintInput {
        facts: f.get("facts"),
        grounds: f.get("grounds"),
        requests: f.get("requests"),
    };
    let (clock, keys, caller, cid) = (
        state.clock.clone(),
        state.keys.clone(),
        b.caller(),
        id.clone(),
    );
    let result = keeping(&state, files, move |conn, docs| {
        complaints::file(
            conn,
            clock.as_ref(),
            &keys,
            &actor(&caller),
            &cid,
            &input,
            docs,
        )
    })
    .await;
    done_or_again(
        &b,
        result,
        |c| format!("/complaints/{}", c.id),
        |problems| challenge_page(&state, &b, id, f, problems),
    )
    .await
}

// --- the lists --------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "challenges.html")]
struct ChallengesPage {
    b: Base,
    items: Vec<ChallengeView>,
    complaints: Vec<ComplaintView>,
    overdue_only: bool,
}

/// The challenges (and complaints) the caller may see; `?overdue=1` keeps the flagged ones.
pub async fn list(state: State, b: Base, req: HttpRequest) -> PageResult {
    let overdue_only = super::public::query(&req).checked("overdue");
    let (clock, keys, caller) = (state.clock.clone(), state.keys.clone(), b.caller());
    let (items, complaints) = state
        .db(move |conn| {
            let a = actor(&caller);
            let params = ChallengeParams {
                overdue: overdue_only.then_some(true),
                ..ChallengeParams::default()
            };
            let items = challenges::list(conn, clock.as_ref(), &keys, &a, &params)?;
            let complaints = complaints::list(conn, clock.as_ref(), &a, &Default::default())?;
            Ok((items, complaints))
        })
        .await
        .on(&b)?;
    Ok(page(
        &b,
        &ChallengesPage {
            b: b.clone(),
            items,
            complaints,
            overdue_only,
        },
    ))
}

// --- a complaint and the finance department's decisions -----------------------------------------

#[derive(Template)]
#[template(path = "complaint.html")]
struct ComplaintPage {
    b: Base,
    c: ComplaintView,
    f: Form,
    problems: Vec<String>,
}

async fn complaint_page(
    state: &State,
    b: &Base,
    id: String,
    f: Form,
    problems: Vec<String>,
) -> PageResult {
    let (clock, caller) = (state.clock.clone(), b.caller());
    let c = state
        .db(move |conn| complaints::show(conn, clock.as_ref(), &actor(&caller), &id))
        .await
        .on(b)?;
    Ok(html(
        super::form_status(&problems),
        b,
        &ComplaintPage {
            b: b.clone(),
            c,
            f,
            problems,
        },
    ))
}

pub async fn complaint(state: State, b: Base, id: Id) -> PageResult {
    complaint_page(&state, &b, id.into_inner(), Form::default(), Vec::new()).await
}

/// A finance decision on a complaint; back to its page.
async fn decide(
    state: State,
    b: Base,
    id: String,
    f: Form,
    action: impl FnOnce(
            &mut crate::service::Conn,
            &dyn crate::clock::Clock,
            &Actor<'_>,
            &str,
        ) -> crate::error::Result<ComplaintView>
        + Send
        + 'static,
) -> PageResult {
    let (clock, caller, cid) = (state.clock.clone(), b.caller(), id.clone());
    let result = state
        .db(move |conn| action(conn, clock.as_ref(), &actor(&caller), &cid))
        .await;
    done_or_again(
        &b,
        result,
        |c| format!("/complaints/{}", c.id),
        |problems| complaint_page(&state, &b, id, f, problems),
    )
    .await
}

fn days(f: &Form, name: &str) -> Result<Option<u32>, Error> {
    f.get(name)
        .map(|v| {
            v.parse::<u32>().map_err(|_| {
                crate::wire::fields::invalid(
                    name,
                    "problem.whole_number",
                    vec![("given", format!("{v:?}"))],
                )
            })
        })
        .transpose()
}

pub async fn accept(state: State, b: Base, id: Id, f: Form) -> PageResult {
    let input = days(&f, "suspend_days").map(|d| AcceptInput {
        note: f.get("note"),
        suspend_days: d,
    });
    decide(
        state,
        b,
        id.into_inner(),
        f.clone(),
        move |conn, clock, a, id| complaints::accept(conn, clock, a, id, &input?),
    )
    .await
}

pub async fn reject(state: State, b: Base, id: Id, f: Form) -> PageResult {
    let input = RejectInput {
        reason: f.get("reason"),
    };
    decide(state, b, id.into_inner(), f, move |conn, clock, a, id| {
        complaints::reject(conn, clock, a, id, &input)
    })
    .await
}

pub async fn suspend(state: State, b: Base, id: Id, f: Form) -> PageResult {
    let input = days(&f, "days").map(|d| SuspendInput { days: d });
    decide(
        state,
        b,
        id.into_inner(),
        f.clone(),
        move |conn, clock, a, id| complaints::suspend(conn, clock, a, id, &input?),
    )
    .await
}

pub async fn resume(state: State, b: Base, id: Id, f: Form) -> PageResult {
    decide(state, b, id.into_inner(), f, complaints::resume).await
}

pub async fn rule(
    state: State,
    b: Base,
    id: Id,
    req: HttpRequest,
    payload: web::Payload,
) -> PageResult {
    let id = id.into_inner();
    let (f, files) = form_and_files(&state, &b, &req, payload).await?;
    let input = RulingInput {
        ruling: f.get("ruling"),
        remedy: optional(&f, "remedy"),
        text: f.get("text"),
    };
    let (clock, caller, cid) = (state.clock.clone(), b.caller(), id.clone());
    let result = keeping(&state, files, move |conn, docs| {
        complaints::rule(conn, clock.as_ref(), &actor(&caller), &cid, &input, docs)
    })
    .await;
    done_or_again(
        &b,
        result,
        |c| format!("/complaints/{}", c.id),
        |problems| complaint_page(&state, &b, id, f, problems),
    )
    .await
}

// --- files ------------------------------------------------------------------------------------

/// A remedy's file, for a reader of its remedy (hash checked on the way out).
pub async fn document(state: State, b: Base, id: Id) -> PageResult {
    let (keys, caller, id) = (state.keys.clone(), b.caller(), id.into_inner());
    let row = state
        .db(move |conn| crate::service::remedies::document(conn, &keys, &actor(&caller), &id))
        .await
        .on(&b)?;
    crate::http::documents::send_verified(
        &state,
        &row.location,
        &row.sha256,
        &row.media_type,
        row.size_bytes,
        &row.filename,
    )
    .await
    .on(&b)
}

// --- debarments -------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "debarments.html")]
struct DebarmentsPage {
    b: Base,
    items: Vec<DebarmentView>,
    all: bool,
    f: Form,
    problems: Vec<String>,
}

async fn debarments_page(
    state: &State,
    b: &Base,
    all: bool,
    f: Form,
    problems: Vec<String>,
) -> PageResult {
    let clock = state.clock.clone();
    let items = state
        .db(move |conn| {
            debarments::list(
                conn,
                clock.as_ref(),
                &DebarmentParams {
                    all: all.then_some(true),
                },
            )
        })
        .await
        .on(b)?;
    Ok(html(
        super::form_status(&problems),
        b,
        &DebarmentsPage {
            b: b.clone(),
            items,
            all,
            f,
            problems,
        },
    ))
}

/// The public list (不良行为记录名单); the finance department records and lifts here.
pub async fn debarment_list(state: State, b: Base, req: HttpRequest) -> PageResult {
    let all = super::public::query(&req).checked("all");
    debarments_page(&state, &b, all, Form::default(), Vec::new()).await
}

pub async fn record_debarment(state: State, b: Base, f: Form) -> PageResult {
    let years = days(&f, "years");
    let input = years.map(|y| DebarmentInput {
        credit_code: f.get("credit_code"),
        reason: f.get("reason"),
        text: f.get("text"),
        years: y,
        ..DebarmentInput::default()
    });
    let (clock, caller) = (state.clock.clone(), b.caller());
    let result = state
        .db(move |conn| debarments::record(conn, clock.as_ref(), &actor(&caller), &input?))
        .await;
    done_or_again(
        &b,
        result,
        |_| "/debarments".to_string(),
        |problems| debarments_page(&state, &b, false, f, problems),
    )
    .await
}

pub async fn lift_debarment(state: State, b: Base, id: Id, f: Form) -> PageResult {
    let input = LiftInput {
        reason: f.get("reason"),
    };
    let (clock, caller, id) = (state.clock.clone(), b.caller(), id.into_inner());
    let result = state
        .db(move |conn| debarments::lift(conn, clock.as_ref(), &actor(&caller), &id, &input))
        .await;
    done_or_again(
        &b,
        result,
        |_| "/debarments?all=on".to_string(),
        |problems| debarments_page(&state, &b, true, f, problems),
    )
    .await
}
