//! A JSON body extractor whose every failure is a problem+json: 415 for another content type,
//! 413 past the route's limit, 400 for broken JSON (with the position), 422 naming the field.

use crate::error::json::{JsonProblem, TextRule};
use crate::error::Error;

/// The domain's rule for text in every JSON string of a body.
const TEXT: TextRule = TextRule {
    may_hold: crate::domain::text::may_hold_invisible,
    problem: crate::domain::text::problem_in,
};

pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, JsonProblem> {
    crate::error::json::parse_json(bytes, TEXT)
}
use actix_web::dev::Payload;
use actix_web::mime;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

/// Largest body a route accepts; set per app or per resource with `app_data`.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// Reads the body within the limit and checks the content type.
pub async fn read_json_bytes<S>(req: &HttpRequest, payload: &mut S) -> Result<Vec<u8>, Error>
where
    S: futures_util::Stream<Item = Result<actix_web::web::Bytes, actix_web::error::PayloadError>>
        + Unpin,
{
    let is_json = req.mime_type().ok().flatten().is_some_and(|m| {
        m.type_() == mime::APPLICATION
            && (m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON))
    });
    if !is_json {
        return Err(Error::UnsupportedMediaType("application/json"));
    }
    read_body(req, payload).await
}

/// Reads a body of any type within the [`BodyLimit`] (413 above it, refused early when the
/// declared length is already too large).
pub async fn read_body<S>(req: &HttpRequest, payload: &mut S) -> Result<Vec<u8>, Error>
where
    S: futures_util::Stream<Item = Result<actix_web::web::Bytes, actix_web::error::PayloadError>>
        + Unpin,
{
    let limit = req.app_data::<BodyLimit>().map_or(256 * 1024, |l| l.0);
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > limit) {
        return Err(Error::PayloadTooLarge { limit, what: None });
    }
    let mut body = Vec::with_capacity(declared.unwrap_or(0).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| Error::BadRequest(format!("reading the body: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(Error::PayloadTooLarge { limit, what: None });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Maps a parse failure to the HTTP error.
pub fn json_error(problem: JsonProblem) -> Error {
    match problem {
        JsonProblem::Syntax {
            line,
            column,
            message,
        } => Error::MalformedJson {
            line,
            column,
            message,
        },
        JsonProblem::Shape(p) => Error::Validation(vec![p]),
        JsonProblem::Text(problems) => Error::Validation(problems),
    }
}

/// `Json<T>`: a typed JSON body.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self, Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let bytes = read_json_bytes(&req, &mut payload).await?;
            parse_json::<T>(&bytes).map(Json).map_err(json_error)
        })
    }
}

/// Reads and parses a JSON body inside a handler, after checks that must come first
/// (ownership: a stranger gets 403, not a report on its body).
pub async fn json_body<T: DeserializeOwned>(
    req: &HttpRequest,
    payload: &mut actix_web::web::Payload,
) -> Result<T, Error> {
    let bytes = read_json_bytes(req, payload).await?;
    parse_json::<T>(&bytes).map_err(json_error)
}

/// `Query<T>`: typed query parameters; a bad one is a 422 naming the parameter.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = Error;
    type Future = std::future::Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let parser = form_urlencoded::parse(req.query_string().as_bytes());
        let de = serde_urlencoded::Deserializer::new(parser);
        std::future::ready(
            serde_path_to_error::deserialize(de)
                .map(Query)
                .map_err(|e| {
                    Error::Validation(vec![crate::error::json::path_problem(e, "", "query")])
                }),
        )
    }
}
