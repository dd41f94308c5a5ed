//! Errors on pages: the error page in the visitor's language, field problems beside a form, a form's outcome (done → 303, a broken rule → the form again with the service's status).

use super::*;
use crate::domain::messages::{self, Lang};
use crate::error::Error;
use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use std::future::Future;

/// An error on a page: shown as an HTML page in the visitor's language.
#[derive(Debug)]
pub struct PageError {
    pub error: Error,
    pub base: Option<Box<Base>>,
}

impl From<Error> for PageError {
    fn from(error: Error) -> Self {
        PageError { error, base: None }
    }
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

pub type PageResult = Result<HttpResponse, PageError>;

#[derive(Template)]
#[template(path = "error.html")]
pub(super) struct ErrorPage<'a> {
    b: &'a Base,
    status: u16,
    title: &'a str,
    detail: String,
    problems: Vec<String>,
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        self.error.status_code()
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if status.is_server_error() {
            tracing::error!(code = self.error.code(), error = ?self.error, "page failed");
        }
        let fallback = Base {
            en: false,
            user: None,
            csrf: CsrfToken::default(),
            here: "/".into(),
            new_csrf: false,
        };
        let b = self.base.as_deref().unwrap_or(&fallback);
        let title = match status.as_u16() {
            400 | 422 => b.t("输入有误", "Invalid input"),
            401 => b.t("请先登录", "Please log in"),
            403 => b.t("无权访问", "Forbidden"),
            404 => b.t("未找到", "Not found"),
            409 => b.t("当前状态不允许此操作", "Not possible in the current state"),
            413 => b.t("文件过大", "Too large"),
            429 => b.t("尝试次数过多", "Too many attempts"),
            _ => b.t("出错了", "Something went wrong"),
        };
        let problems = match &self.error {
            Error::Validation(p) => p.iter().map(|p| problem_text(p, b.lang())).collect(),
            Error::InvalidRows(rows) => rows.iter().map(|r| row_text(r, b.lang())).collect(),
            _ => Vec::new(),
        };
        let page = ErrorPage {
            b,
            status: status.as_u16(),
            title,
            detail: refusal_text(&self.error, b.lang()),
            problems,
        };
        let mut response = html(status, b, &page);
        let retry = match &self.error {
            Error::TooManyRequests {
                retry_after_seconds,
            } => Some(retry_after_seconds.to_string()),
            Error::Unavailable(_) => Some(crate::error::RETRY_AFTER_BUSY_SECONDS.to_string()),
            _ => None,
        };
        if let Some(value) = retry.and_then(|r| header::HeaderValue::from_str(&r).ok()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}
/// Attaches the page context to a service error, so the error page speaks the visitor's
/// language and shows the navigation.
pub trait WithBase<T> {
    fn on(self, b: &Base) -> Result<T, PageError>;
}

impl<T> WithBase<T> for Result<T, Error> {
    fn on(self, b: &Base) -> Result<T, PageError> {
        self.map_err(|error| PageError {
            error,
            base: Some(Box::new(b.clone())),
        })
    }
}

/// A service error as the visitor's error page, for the middlewares (a limit, a refusal).
pub fn error_page(req: &HttpRequest, error: Error) -> HttpResponse {
    PageError {
        error,
        base: Some(Box::new(Base::from_request(req))),
    }
    .error_response()
}

/// One field problem in the page's language: from its message code where it has one (the field
/// named too), else the English message.
pub fn problem_text(p: &crate::wire::FieldProblem, lang: Lang) -> String {
    match (&p.say, lang) {
        (Some(say), Lang::Zh) => format!(
            "{}：{}",
            messages::field_name(lang, &p.field),
            messages::said_in(lang, say.code, &say.params)
        ),
        _ => p.to_string(),
    }
}

/// One CSV row problem in the page's language: `第 3 行，价格：…` where its reason has a code.
pub fn row_text(r: &crate::error::RowProblem, lang: Lang) -> String {
    match (&r.say, lang) {
        (Some(say), Lang::Zh) => format!(
            "第 {} 行，{}：{}",
            r.line,
            messages::field_name(lang, &r.column),
            messages::said_in(lang, say.code, &say.params)
        ),
        _ => r.to_string(),
    }
}

/// A refusal (409, 403, 404, 400 …) in the page's language: in English the API's `detail`; in
/// Chinese the service's message code where it gave one, else what the refusal's cause or
/// status means (`refusal.<code>`), never the English text.
pub fn refusal_text(e: &Error, lang: Lang) -> String {
    if lang == Lang::En {
        return e.detail();
    }
    if let Some(say) = e.say() {
        return messages::said_in(lang, say.code, &say.params);
    }
    let code = format!("refusal.{}", e.code());
    match messages::entry(&code) {
        Some(_) => messages::said_in(lang, &code, &[]),
        None => messages::said_in(lang, "refusal.other", &[]),
    }
}

/// Field problems of a failed form, for showing beside the form.
pub fn problems_of(e: &Error, lang: Lang) -> Option<Vec<String>> {
    match e {
        Error::Validation(p) => Some(p.iter().map(|p| problem_text(p, lang)).collect()),
        Error::InvalidRows(rows) => Some(rows.iter().map(|r| row_text(r, lang)).collect()),
        Error::Conflict(..) | Error::BadRequest(_) | Error::Forbidden(_) | Error::NotFound(_) => {
            Some(vec![refusal_text(e, lang)])
        }
        _ => None,
    }
}

/// 200 for a page, 422 for a form shown again with its problems.
pub fn form_status(problems: &[String]) -> StatusCode {
    if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}
/// A form page shown again with a service error's problems keeps that error's status (409 for a
/// wrong state, 403, 404, 422).
pub fn with_status(mut response: HttpResponse, e: &Error) -> HttpResponse {
    if response.status().is_success() || response.status() == StatusCode::UNPROCESSABLE_ENTITY {
        *response.status_mut() = e.status_code();
    }
    response
}

/// A form's outcome: done → 303 to `target`; a rule broken → the form's page again (`again`
/// with the problems), keeping the service's status; anything else → the error page.
pub async fn done_or_again<T, Fut>(
    b: &Base,
    result: Result<T, Error>,
    target: impl FnOnce(T) -> String,
    again: impl FnOnce(Vec<String>) -> Fut,
) -> PageResult
where
    Fut: Future<Output = PageResult>,
{
    let e = match result {
        Ok(done) => return Ok(see_other(&target(done))),
        Err(e) => e,
    };
    let Some(problems) = problems_of(&e, b.lang()) else {
        return Err(e).on(b);
    };
    Ok(with_status(again(problems).await?, &e))
}
