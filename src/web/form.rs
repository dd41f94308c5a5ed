//! A submitted form: urlencoded fields with the CSRF check bound to the session, invisible characters refused, and the helpers that turn fields into service input.

use super::*;
use crate::error::Error;
use crate::http::access::Caller;
use crate::http::AppState;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use std::future::Future;
use std::pin::Pin;

/// A submitted form (`application/x-www-form-urlencoded`) whose CSRF token was checked.
#[derive(Debug, Clone, Default)]
pub struct Form(pub Vec<(String, String)>);

impl Form {
    /// The first value of a field, trimmed; `None` when absent or blank.
    pub fn get(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default()
    }

    /// Every value of a field, trimmed, blanks included (rows of a form stay aligned).
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .collect()
    }

    /// Every field holding a character no text may hold ([`crate::domain::text`]).
    pub fn invisible_problems(&self) -> Vec<crate::wire::FieldProblem> {
        self.0
            .iter()
            .filter_map(|(k, v)| {
                crate::domain::text::invisible(v).map(|c| crate::wire::fields::invisible_in(k, c))
            })
            .collect()
    }

    pub fn checked(&self, name: &str) -> bool {
        self.get(name).is_some_and(|v| v == "on" || v == "true")
    }
}

/// Deserializes a JSON object built from form fields, naming the field that does not fit.
pub fn from_json<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, Error> {
    serde_path_to_error::deserialize(value)
        .map_err(|e| Error::Validation(vec![crate::wire::path_problem(e, "", "form")]))
}

/// Puts the non-blank form fields `names` into `object` as strings, or as whole numbers for
/// `numbers` (a value that is not one is named).
pub fn fields(
    f: &Form,
    prefix: &str,
    names: &[&str],
    numbers: &[&str],
) -> Result<serde_json::Map<String, serde_json::Value>, Error> {
    let mut object = serde_json::Map::new();
    let mut problems = Vec::new();
    for name in names {
        let Some(value) = f.get(&format!("{prefix}{name}")) else {
            continue;
        };
        if numbers.contains(name) {
            match value.parse::<u64>() {
                Ok(n) => {
                    object.insert((*name).to_string(), serde_json::json!(n));
                }
                Err(_) => problems.push(crate::wire::fields::coded(
                    format!("{prefix}{name}"),
                    "problem.whole_number",
                    vec![("given", format!("{value:?}"))],
                )),
            }
        } else {
            object.insert((*name).to_string(), serde_json::json!(value));
        }
    }
    if problems.is_empty() {
        Ok(object)
    } else {
        Err(Error::Validation(problems))
    }
}

/// Whether the form's token is the HMAC of this request's binding under the server's CSRF
/// key: the page session when logged in, the visitor cookie before (compared in constant time).
/// A cookie and field pair chosen by someone else never passes: only the server can compute it.
pub fn csrf_matches(req: &HttpRequest, submitted: Option<&str>) -> bool {
    let Some(submitted) = submitted else {
        return false;
    };
    let caller = req.extensions().get::<Caller>().and_then(|c| c.0.clone());
    let binding = match caller {
        Some(u) => format!("session:{}", u.session_id),
        None => match visitor_cookie(req) {
            Some(v) => format!("visitor:{v}"),
            None => return false,
        },
    };
    req.app_data::<web::Data<AppState>>()
        .is_some_and(|state| state.keys.csrf_valid(&binding, submitted))
}

pub fn csrf_refused(req: &HttpRequest) -> PageError {
    PageError {
        error: Error::forbidden(
            "the form's CSRF token is missing or does not match: reload the page and submit again",
        )
        .said("refusal.csrf", vec![]),
        base: Some(Box::new(Base::from_request(req))),
    }
}

impl FromRequest for Form {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, PageError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let urlencoded = req.mime_type().ok().flatten().is_some_and(|m| {
                m.type_() == actix_web::mime::APPLICATION
                    && m.subtype() == actix_web::mime::WWW_FORM_URLENCODED
            });
            if !urlencoded {
                return Err(
                    Error::UnsupportedMediaType("application/x-www-form-urlencoded").into(),
                );
            }
            let body = crate::http::extract::read_body(&req, &mut payload).await?;
            let fields: Vec<(String, String)> = form_urlencoded::parse(&body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            let form = Form(fields);
            if !csrf_matches(&req, form.get(CSRF_FIELD).as_deref()) {
                return Err(csrf_refused(&req));
            }
            let problems = form.invisible_problems();
            if !problems.is_empty() {
                return Err(PageError {
                    error: Error::Validation(problems),
                    base: Some(Box::new(Base::from_request(&req))),
                });
            }
            Ok(form)
        })
    }
}
