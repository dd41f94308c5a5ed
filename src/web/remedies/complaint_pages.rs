//! A complaint's page and the finance department's decisions on it.

use super::*;

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
        crate::web::form_status(&problems),
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
    action: impl crate::web::Action<ComplaintView>,
) -> PageResult {
    let result = crate::web::run_action(&state, &b, id.clone(), action).await;
    done_or_again(
        &b,
        result,
        |c| format!("/complaints/{}", c.id),
        |problems| complaint_page(&state, &b, id, f, problems),
    )
    .await
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
