//! The one error type of the service, and how it reaches people.
//!
//! Use [`Error`] everywhere outside the pure domain: services and repositories return it, HTTP
//! handlers return it (it renders as `application/problem+json`, RFC 9457), and the CLI maps it
//! to exit codes (2 for anything the caller can fix, 1 for the rest). Each variant has a stable
//! snake_case `code`, also the last part of the problem `type`. A 5xx never shows its cause: the
//! cause goes to the log with the request id.

pub mod cause;
pub mod json;

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
pub use cause::{Cause, Reason};
pub use json::FieldProblem;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// 422: the input is well-formed but breaks a rule; every bad field is named.
    #[error("invalid input: {}", list(.0))]
    Validation(Vec<FieldProblem>),
    /// 400: the body is not JSON.
    #[error("malformed JSON at line {line}, column {column}: {message}")]
    MalformedJson {
        line: usize,
        column: usize,
        message: String,
    },
    /// 400: something else about the request is unreadable (a path or query parameter).
    #[error("{0}")]
    BadRequest(String),
    /// 422: rows of an uploaded CSV break rules; every bad row is named (line, column, reason).
    #[error("{} bad row(s); nothing was imported", .0.len())]
    InvalidRows(Vec<RowProblem>),
    /// 415
    #[error("expected Content-Type: {0}")]
    UnsupportedMediaType(&'static str),
    /// 413: the body, or one named part of it (a document), is over its limit.
    #[error("{} larger than {limit} bytes", what.as_deref().unwrap_or("request body"))]
    PayloadTooLarge { limit: usize, what: Option<String> },
    /// 401
    #[error("{0}")]
    Unauthorized(String),
    /// 403
    #[error("{0}")]
    Forbidden(Reason),
    /// 404
    #[error("{0}")]
    NotFound(String),
    /// 405
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 409: the request conflicts with what is stored; the cause gives the code.
    #[error("{1}")]
    Conflict(Cause, Reason),
    /// 429
    #[error("too many attempts; retry in {retry_after_seconds} s")]
    TooManyRequests { retry_after_seconds: i64 },
    /// 503: the database cannot be reached or is not migrated.
    #[error("{0}")]
    Unavailable(String),
    /// 500: the cause is logged, never shown.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

fn list(problems: &[FieldProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Validation(vec![FieldProblem::new(field, message)])
    }

    /// A 409 with its cause and its English reason.
    pub fn conflict(cause: Cause, text: impl Into<String>) -> Self {
        Error::Conflict(cause, Reason::from(text.into()))
    }

    /// A 403 with its English reason.
    pub fn forbidden(text: impl Into<String>) -> Self {
        Error::Forbidden(Reason::from(text.into()))
    }

    /// Attaches a message code to a refusal (a 409 or a 403), so pages say it in their
    /// language; other errors are returned as they are.
    pub fn said(self, code: &'static str, params: Vec<(&'static str, String)>) -> Self {
        match self {
            Error::Conflict(cause, reason) => Error::Conflict(cause, reason.said(code, params)),
            Error::Forbidden(reason) => Error::Forbidden(reason.said(code, params)),
            other => other,
        }
    }

    /// The message code a refusal was given, if any.
    pub fn say(&self) -> Option<&json::Say> {
        match self {
            Error::Conflict(_, reason) | Error::Forbidden(reason) => reason.say.as_ref(),
            _ => None,
        }
    }

    /// Every code a problem may carry, for the API document.
    pub fn codes() -> Vec<&'static str> {
        let mut codes = vec![
            "validation_failed",
            "malformed_json",
            "bad_request",
            "unsupported_media_type",
            "invalid_rows",
            "payload_too_large",
            "unauthorized",
            "forbidden",
            "not_found",
            "method_not_allowed",
        ];
        codes.extend(Cause::ALL.iter().map(|c| c.code()));
        codes.extend(["too_many_requests", "unavailable", "internal_error"]);
        codes
    }

    /// Stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Validation(_) => "validation_failed",
            Error::MalformedJson { .. } => "malformed_json",
            Error::BadRequest(_) => "bad_request",
            Error::UnsupportedMediaType(_) => "unsupported_media_type",
            Error::InvalidRows(_) => "invalid_rows",
            Error::PayloadTooLarge { .. } => "payload_too_large",
            Error::Unauthorized(_) => "unauthorized",
            Error::Forbidden(_) => "forbidden",
            Error::NotFound(_) => "not_found",
            Error::MethodNotAllowed => "method_not_allowed",
            Error::Conflict(cause, _) => cause.code(),
            Error::TooManyRequests { .. } => "too_many_requests",
            Error::Unavailable(_) => "unavailable",
            Error::Internal(_) => "internal_error",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            Error::Validation(_) => "Invalid input",
            Error::MalformedJson { .. } => "Malformed JSON",
            Error::BadRequest(_) => "Bad request",
            Error::UnsupportedMediaType(_) => "Unsupported media type",
            Error::InvalidRows(_) => "Invalid rows",
            Error::PayloadTooLarge { .. } => "Payload too large",
            Error::Unauthorized(_) => "Authentication required",
            Error::Forbidden(_) => "Forbidden",
            Error::NotFound(_) => "Not found",
            Error::MethodNotAllowed => "Method not allowed",
            Error::Conflict(cause, _) => cause.title(),
            Error::TooManyRequests { .. } => "Too many requests",
            Error::Unavailable(_) => "Service unavailable",
            Error::Internal(_) => "Internal error",
        }
    }

    /// What a person may read: internals replaced for 5xx.
    pub fn detail(&self) -> String {
        match self {
            Error::Internal(_) => {
                "an internal error occurred; it has been logged with the request id".into()
            }
            Error::Validation(problems) if problems.len() == 1 => problems[0].to_string(),
            Error::Validation(problems) => {
                format!("{} fields are invalid: {}", problems.len(), list(problems))
            }
            other => other.to_string(),
        }
    }
}

/// RFC 9457 problem details, with `code` and (for validation) `errors`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// Stable URI of the problem kind: `urn:smeproc:problem:<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable snake_case code (the last part of `type`).
    pub code: String,
    /// For validation problems: every bad field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldProblem>>,
    /// For CSV uploads: every bad row (1-based line, the header is line 1), column and reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<Vec<RowProblem>>,
}

impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        match self {
            Error::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Error::MalformedJson { .. } | Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::InvalidRows(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Error::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Error::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Error::Conflict(..) => StatusCode::CONFLICT,
            Error::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if let Error::Unavailable(reason) = self {
            tracing::warn!(code = self.code(), %reason, "request refused: service unavailable");
        } else if status.is_server_error() {
            tracing::error!(code = self.code(), error = ?self, "request failed");
        } else {
            tracing::debug!(
                code = self.code(),
                status = status.as_u16(),
                "request refused"
            );
        }
        let problem = Problem {
            kind: format!("urn:smeproc:problem:{}", self.code()),
            title: self.title().to_string(),
            status: status.as_u16(),
            detail: self.detail(),
            code: self.code().to_string(),
            errors: match self {
                Error::Validation(problems) => Some(problems.clone()),
                _ => None,
            },
            rows: match self {
                Error::InvalidRows(rows) => Some(rows.clone()),
                _ => None,
            },
        };
        let mut response = HttpResponse::build(status);
        response.content_type("application/problem+json");
        match self {
            Error::Unauthorized(_) => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"smeproc\""));
            }
            Error::TooManyRequests {
                retry_after_seconds,
            } => {
                response.insert_header((header::RETRY_AFTER, retry_after_seconds.to_string()));
            }
            Error::Unavailable(_) => {
                response.insert_header((header::RETRY_AFTER, RETRY_AFTER_BUSY_SECONDS.to_string()));
            }
            _ => {}
        }
        response.json(problem)
    }
}

/// The database could not give this transaction its lock in time (SQLite's busy timeout ran
/// out, a PostgreSQL lock timeout, serialization failure or deadlock): the request may simply be
/// sent again.
pub fn is_busy(e: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error as D};
    match e {
        D::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        D::DatabaseError(_, info) => {
            let m = info.message();
            m.contains("database is locked")
                || m.contains("database table is locked")
                || m.contains("deadlock detected")
                || m.contains("could not obtain lock")
                || m.contains("lock timeout")
        }
        _ => false,
    }
}

/// Seconds a client is asked to wait before sending a request refused with 503.
pub const RETRY_AFTER_BUSY_SECONDS: u32 = 1;

impl From<diesel::result::Error> for Error {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error as D};
        if is_busy(&e) {
            return Error::Unavailable(
                "the database is busy with other changes; send the request again shortly".into(),
            );
        }
        match e {
            D::NotFound => Error::NotFound("not found".into()),
            D::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => Error::conflict(
                Cause::Duplicate,
                "a record with the same unique value already exists",
            ),
            other => Error::Internal(anyhow::Error::new(other).context("database query")),
        }
    }
}

impl From<diesel::r2d2::PoolError> for Error {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        tracing::error!(error = %e, "database pool");
        Error::Unavailable("the database is unavailable".into())
    }
}

impl From<actix_web::error::BlockingError> for Error {
    fn from(e: actix_web::error::BlockingError) -> Self {
        Error::Internal(anyhow::anyhow!("blocking task failed: {e}"))
    }
}

/// One problem in a file: 1-based line (the header is line 1), column name, reason.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct RowProblem {
    pub line: u64,
    pub column: String,
    pub reason: String,
    /// The reason as a message code, for pages in other languages; not in the API's JSON.
    #[serde(skip)]
    #[schema(ignore)]
    pub say: Option<json::Say>,
}

impl std::fmt::Display for RowProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.reason
        )
    }
}

/// Why an import wrote nothing.
#[derive(Debug)]
pub enum ImportError {
    /// Every problem found, by line and column.
    Invalid(Vec<RowProblem>),
    Failed(Error),
}

/// For HTTP: bad rows are a 422 naming each row, anything else its own error.
impl From<ImportError> for Error {
    fn from(e: ImportError) -> Self {
        match e {
            ImportError::Invalid(rows) => Error::InvalidRows(rows),
            ImportError::Failed(e) => e,
        }
    }
}

impl From<diesel::result::Error> for ImportError {
    fn from(e: diesel::result::Error) -> Self {
        ImportError::Failed(e.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_a_listed_code_and_each_cause_its_own() {
        let mut errors = vec![
            Error::Validation(vec![]),
            Error::MalformedJson {
                line: 1,
                column: 1,
                message: String::new(),
            },
            Error::BadRequest(String::new()),
            Error::InvalidRows(vec![]),
            Error::UnsupportedMediaType("text/csv"),
            Error::PayloadTooLarge {
                limit: 1,
                what: None,
            },
            Error::Unauthorized(String::new()),
            Error::Forbidden(Reason::from("")),
            Error::NotFound(String::new()),
            Error::MethodNotAllowed,
            Error::TooManyRequests {
                retry_after_seconds: 1,
            },
            Error::Unavailable(String::new()),
            Error::Internal(anyhow::anyhow!("x")),
        ];
        errors.extend(Cause::ALL.iter().map(|c| Error::conflict(*c, "")));
        let codes = Error::codes();
        let mut seen = std::collections::BTreeSet::new();
        for e in &errors {
            assert!(codes.contains(&e.code()), "{} is not listed", e.code());
            assert!(seen.insert(e.code()), "{} is used twice", e.code());
            if let Error::Conflict(..) = e {
                assert_eq!(e.status_code(), StatusCode::CONFLICT);
            }
        }
        assert_eq!(seen.len(), codes.len(), "a listed code no error has");
    }
}
