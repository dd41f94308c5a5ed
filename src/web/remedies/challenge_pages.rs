//! Filing a challenge, its page with the answer and the complaint, and the lists.

use super::*;

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
        crate::web::form_status(&problems),
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
        crate::web::form_status(&problems),
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
    let overdue_only = crate::web::public::query(&req).checked("overdue");
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
