//! Logging in and out from the pages: the form, the session cookie, the role's home page.

use super::*;
use crate::error::Error;
use crate::service::accounts::{self, LoginRequest};
use crate::web::{local_path, page, see_other, Base, Form, PageResult, State, WithBase};
use actix_web::cookie::Cookie;
use actix_web::HttpRequest;
use askama::Template;

#[derive(Template)]
#[template(path = "login.html")]
pub(super) struct LoginPage {
    b: Base,
    username: String,
    next: String,
    problem: Option<String>,
}

pub async fn login_form(b: Base, req: HttpRequest) -> PageResult {
    let next = local_path(query(&req).get("next").as_deref()).unwrap_or_default();
    Ok(page(
        &b,
        &LoginPage {
            b: b.clone(),
            username: String::new(),
            next,
            problem: None,
        },
    ))
}

/// Where each role starts.
pub(super) fn home_of(role: &str) -> &'static str {
    match role {
        "supplier" => "/supplier",
        "agency" => "/agency",
        "auditor" | "finance" => "/finance",
        _ => "/",
    }
}

pub async fn login(state: State, b: Base, req: HttpRequest, form: Form) -> PageResult {
    let address = crate::http::client_address(&req);
    let request = LoginRequest {
        username: form.text("username"),
        password: form
            .0
            .iter()
            .find(|(k, _)| k == "password")
            .map(|(_, v)| v.clone())
            .unwrap_or_default(),
    };
    let next = local_path(form.get("next").as_deref());
    let st = state.clone();
    let username = request.username.clone();
    let result = state
        .db(move |conn| {
            accounts::login(
                conn,
                st.clock.as_ref(),
                &st.settings.limits,
                st.settings.token_ttl_minutes,
                &request,
                &address,
            )
        })
        .await;
    match result {
        Ok(session) => {
            let target = next.unwrap_or_else(|| home_of(&session.user.role).to_string());
            crate::web::signed_in(&state, &b, session.token, &target)
        }
        Err(e @ (Error::Unauthorized(_) | Error::TooManyRequests { .. })) => {
            let status = actix_web::ResponseError::status_code(&e);
            let retry = match &e {
                Error::TooManyRequests {
                    retry_after_seconds,
                } => Some(*retry_after_seconds),
                _ => None,
            };
            let problem = match e {
                Error::TooManyRequests {
                    retry_after_seconds,
                } => format!(
                    "{} ({retry_after_seconds} s)",
                    b.t(
                        "尝试次数过多，请稍后再试",
                        "Too many attempts; try again later"
                    )
                ),
                _ => b
                    .t("用户名或密码不正确", "Wrong username or password")
                    .to_string(),
            };
            // 401 for a wrong password; 429 with Retry-After over a limit, as the API answers.
            let mut response = crate::web::html(
                status,
                &b,
                &LoginPage {
                    b: b.clone(),
                    username,
                    next: next.unwrap_or_default(),
                    problem: Some(problem),
                },
            );
            if let Some(seconds) = retry
                .and_then(|s| actix_web::http::header::HeaderValue::from_str(&s.to_string()).ok())
            {
                response
                    .headers_mut()
                    .insert(actix_web::http::header::RETRY_AFTER, seconds);
            }
            Ok(response)
        }
        Err(e) => Err(e).on(&b),
    }
}

pub async fn logout(state: State, b: Base, _form: Form) -> PageResult {
    if let Some(user) = b.user.clone() {
        let clock = state.clock.clone();
        state
            .db(move |conn| accounts::logout(conn, clock.as_ref(), &user.user.id, &user.session_id))
            .await
            .on(&b)?;
    }
    let mut response = see_other("/");
    let mut gone = Cookie::build(crate::web::SESSION_COOKIE, "")
        .path("/")
        .finish();
    gone.make_removal();
    if response.add_cookie(&gone).is_err() {
        tracing::warn!("session cookie not cleared");
    }
    Ok(response)
}
