//! The public debarment list; the finance department records and lifts there.

use super::*;

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
        crate::web::form_status(&problems),
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
    let all = crate::web::public::query(&req).checked("all");
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
