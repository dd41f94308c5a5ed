//! `/openapi.json`, generated from the handlers' annotations and the access table, and `/docs`,
//! a plain HTML page rendered from the same document (no scripts, nothing fetched).

use super::routes::{ApiPaths, ROUTES};
use actix_web::HttpResponse;
use serde_json::Value;
use std::fmt::Write;
use std::sync::OnceLock;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "smeproc",
        description = "SME-preference government procurement: explained bid evaluation, the SME catalogue, reserved-share ledger. Errors are application/problem+json (RFC 9457) with a stable `code`; validation errors list every bad field in `errors`. Amounts are decimal strings in yuan.",
    ),
    components(schemas(crate::error::Problem, crate::wire::FieldProblem)),
    tags(
        (name = "system", description = "Liveness and readiness"),
        (name = "auth", description = "Bearer tokens: log in, log out, who am I"),
        (name = "users", description = "Accounts (admins)"),
        (name = "orgs", description = "Agencies (采购人/代理机构) and departments (预算单位)"),
        (name = "registry", description = "Enterprises (企业) and SME declaration letters (中小企业声明函)"),
        (name = "catalogue", description = "The SME catalogue (中小企业商品行情库): products, search, market prices, CSV"),
        (name = "procurement", description = "Projects and lots (采购项目/采购包): draft, publish, correct, result"),
        (name = "notices", description = "Published notices (公告), the Atom feed and OCDS 1.1 release packages"),
        (name = "bids", description = "Sealed bids (投标): receipts before the opening, content after"),
        (name = "opening", description = "Key holders, key shares and the opening (开标): bids sealed to a lot key only k of n holders open"),
        (name = "evaluation", description = "Qualification, scores, evaluation runs, awards and contracts"),
        (name = "finance", description = "Budget plans, the reserved-share ledger, the annual report, subcontract payments, contract checks for banks"),
        (name = "remedies", description = "Challenges (质疑), complaints (投诉) and rulings, their files, debarments (不良行为记录)"),
        (name = "calendar", description = "The working-day calendar (工作日) the legal clocks count on"),
        (name = "audit", description = "The hash-chained audit log: verify the chain, query events"),
        (name = "rules", description = "Policy profiles, classification (划型) and evaluation (评标)"),
    )
)]
pub struct ApiDoc;

/// Adds the bearer scheme, writes each route's access rule into its description, and declares
/// every error a route can answer (problem+json, with `Retry-After` and `WWW-Authenticate`).
struct AccessNotes;

/// The errors a route can answer, from what it is: who may call it, whether it takes a body,
/// parameters, a limit; every one as `application/problem+json`.
fn error_statuses(
    spec: &crate::http::access::RouteSpec,
    op: &utoipa::openapi::path::Operation,
) -> Vec<u16> {
    use utoipa::openapi::path::ParameterIn;
    let params = op.parameters.as_deref().unwrap_or_default();
    let has_path = params.iter().any(|p| p.parameter_in == ParameterIn::Path);
    let has_query = params.iter().any(|p| p.parameter_in == ParameterIn::Query);
    let has_body = op.request_body.is_some();
    let writes = matches!(spec.method, "POST" | "PUT" | "PATCH" | "DELETE");
    let no_database = matches!(
        spec.path,
        "/health" | "/openapi.json" | "/docs" | "/api/v1/policies" | "/api/v1/policies/{id}"
    );
    let limited = crate::http::limits::bucket_of(spec.method, spec.path).is_some()
        || spec.path == "/api/v1/auth/login";
    let owned = crate::http::ownership::OWNED
        .iter()
        .any(|(m, p, _)| *m == spec.method && *p == spec.path);
    let mut statuses = vec![401];
    if has_path || has_body {
        statuses.push(400);
    }
    if !matches!(spec.access, crate::http::access::Access::Public) || owned {
        statuses.push(403);
    }
    if has_path || owned {
        statuses.push(404);
    }
    if writes {
        statuses.push(409);
    }
    if has_body {
        statuses.extend([413, 415]);
    }
    if has_body || has_query || has_path || writes {
        statuses.push(422);
    }
    if limited {
        statuses.push(429);
    }
    if !no_database {
        statuses.push(503);
    }
    statuses
}

fn problem_response(status: u16, description: Option<String>) -> utoipa::openapi::Response {
    use utoipa::openapi::header::HeaderBuilder;
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let text = description.unwrap_or_else(|| {
        match status {
            400 => "unreadable request: malformed JSON (line and column given) or path parameter",
            401 => "no token, or an unknown, expired or revoked one (WWW-Authenticate: Bearer)",
            403 => "the caller's role or ownership does not allow it (the detail names who may)",
            404 => "no such record (or one the caller may not see)",
            409 => "the record's state does not allow it, or it would duplicate a unique value",
            413 => "the body is larger than the route's limit",
            415 => "the body is not of the content type the route takes",
            422 => "a rule is broken: every bad field is named in `errors`",
            429 => "a rate limit: wait for `Retry-After` seconds",
            503 => "the database is busy or unreachable: send again after `Retry-After` seconds",
            _ => "error",
        }
        .to_string()
    });
    let mut response = ResponseBuilder::new().description(text).content(
        "application/problem+json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Problem")))
            .build(),
    );
    let seconds = || {
        HeaderBuilder::new()
            .schema(
                utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::Type::Integer),
            )
            .description(Some("seconds to wait before trying again"))
            .build()
    };
    match status {
        429 | 503 => response = response.header("Retry-After", seconds()),
        401 => {
            response = response.header(
                "WWW-Authenticate",
                HeaderBuilder::new()
                    .schema(
                        utoipa::openapi::ObjectBuilder::new()
                            .schema_type(utoipa::openapi::Type::String),
                    )
                    .build(),
            )
        }
        _ => {}
    }
    response.build()
}

impl Modify for AccessNotes {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::RefOr;
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        problem_codes(components);
        for spec in ROUTES {
            let Some(item) = api.paths.paths.get_mut(spec.path) else {
                continue;
            };
            let op = match spec.method {
                "GET" => item.get.as_mut(),
                "POST" => item.post.as_mut(),
                "PUT" => item.put.as_mut(),
                "PATCH" => item.patch.as_mut(),
                "DELETE" => item.delete.as_mut(),
                _ => None,
            };
            let Some(op) = op else { continue };
            // Errors declared by the handler keep their words but say problem+json.
            let mut declared = std::collections::BTreeMap::new();
            for (status, response) in std::mem::take(&mut op.responses.responses) {
                let code: u16 = status.parse().unwrap_or(0);
                match response {
                    RefOr::T(r) if code >= 400 => {
                        declared.insert(code, Some(r.description));
                    }
                    other => {
                        op.responses.responses.insert(status, other);
                    }
                }
            }
            for code in error_statuses(spec, op) {
                declared.entry(code).or_insert(None);
            }
            for (code, description) in declared {
                op.responses.responses.insert(
                    code.to_string(),
                    RefOr::T(problem_response(code, description)),
                );
            }
        }
        for spec in ROUTES {
            let Some(item) = api.paths.paths.get_mut(spec.path) else {
                continue;
            };
            let op = match spec.method {
                "GET" => item.get.as_mut(),
                "POST" => item.post.as_mut(),
                "PUT" => item.put.as_mut(),
                "PATCH" => item.patch.as_mut(),
                "DELETE" => item.delete.as_mut(),
                _ => None,
            };
            if let Some(op) = op {
                let note = format!("Access: {}.", spec.access.describe());
                op.description = Some(match op.description.take() {
                    Some(d) if !d.is_empty() => format!("{d}\n\n{note}"),
                    _ => note,
                });
            }
        }
    }
}

/// The Problem schema's `code` lists every code the service answers with.
fn problem_codes(components: &mut utoipa::openapi::Components) {
    use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
    use utoipa::openapi::RefOr;
    let Some(RefOr::T(Schema::Object(problem))) = components.schemas.get_mut("Problem") else {
        return;
    };
    let code = ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(
            "Stable snake_case code (the last part of `type`); a 409 names its cause",
        ))
        .enum_values(Some(crate::error::Error::codes()))
        .build();
    problem
        .properties
        .insert("code".into(), RefOr::T(Schema::Object(code)));
}

/// The OpenAPI document as JSON text, built once.
pub fn spec_json() -> &'static str {
    static SPEC: OnceLock<String> = OnceLock::new();
    SPEC.get_or_init(|| {
        // The paths come from the route table; the access notes need them in place.
        let mut doc = ApiDoc::openapi();
        doc.merge(ApiPaths::openapi());
        AccessNotes.modify(&mut doc);
        doc.to_pretty_json().unwrap_or_else(|_| "{}".into())
    })
}

/// The OpenAPI 3.1 document.
pub async fn spec() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(spec_json())
}

/// The API reference for people.
pub async fn docs_page() -> HttpResponse {
    static PAGE: OnceLock<String> = OnceLock::new();
    let page = PAGE.get_or_init(|| {
        serde_json::from_str::<Value>(spec_json())
            .map(|v| render(&v))
            .unwrap_or_default()
    });
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(page.as_str())
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn text(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .map(esc)
        .unwrap_or_default()
}

/// `#/components/schemas/X` → a link to X; inline schemas → their type.
fn schema_ref(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap_or(r);
        return format!("<a href=\"#schema-{0}\">{0}</a>", esc(name));
    }
    if let Some(items) = schema.get("items") {
        return format!("array of {}", schema_ref(items));
    }
    if let Some(any) = schema
        .get("oneOf")
        .or_else(|| schema.get("anyOf"))
        .and_then(Value::as_array)
    {
        return any.iter().map(schema_ref).collect::<Vec<_>>().join(" | ");
    }
    match schema.get("type") {
        Some(Value::String(t)) => esc(t),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" | "),
        _ => "object".into(),
    }
}

fn render(spec: &Value) -> String {
    let mut h = String::with_capacity(64 * 1024);
    let info = &spec["info"];
    let _ = write!(
        h,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>smeproc API</title>\
         <meta name=\"viewport\" content=\"width=device-width\"><style>\
         body{{font:15px/1.5 system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}}\
         code,.m{{font-family:ui-monospace,monospace}} .m{{display:inline-block;min-width:4em;font-weight:bold}}\
         section{{border-top:1px solid #ddd;padding:.5em 0}} table{{border-collapse:collapse}}\
         td,th{{border:1px solid #ddd;padding:2px 8px;text-align:left;vertical-align:top}}</style></head><body>\
         <h1>smeproc API {}</h1><p>{}</p><p>Machine-readable: <a href=\"/openapi.json\">/openapi.json</a> (OpenAPI {}).</p>",
        text(info, "version"),
        text(info, "description"),
        text(spec, "openapi")
    );
    h.push_str("<h2>Operations</h2>");
    if let Some(paths) = spec["paths"].as_object() {
        for (path, item) in paths {
            for method in ["get", "post", "put", "patch", "delete"] {
                let Some(op) = item.get(method) else { continue };
                let _ = write!(
                    h,
                    "<section><h3><span class=\"m\">{}</span> <code>{}</code></h3><p><b>{}</b></p><p>{}</p>",
                    method.to_uppercase(),
                    esc(path),
                    text(op, "summary"),
                    text(op, "description").replace("\n\n", "</p><p>")
                );
                if let Some(params) = op.get("parameters").and_then(Value::as_array) {
                    h.push_str("<p>Parameters:</p><table><tr><th>name</th><th>in</th><th>type</th><th>description</th></tr>");
                    for p in params {
                        let _ = write!(
                            h,
                            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                            text(p, "name"),
                            text(p, "in"),
                            schema_ref(&p["schema"]),
                            text(p, "description")
                        );
                    }
                    h.push_str("</table>");
                }
                if let Some(body) = op.pointer("/requestBody/content/application~1json/schema") {
                    let _ = write!(
                        h,
                        "<p>Request body (application/json): {}</p>",
                        schema_ref(body)
                    );
                }
                if let Some(responses) = op.get("responses").and_then(Value::as_object) {
                    h.push_str("<p>Responses:</p><ul>");
                    for (status, r) in responses {
                        let body = r
                            .get("content")
                            .and_then(Value::as_object)
                            .and_then(|c| c.values().next())
                            .map(|c| format!(" — {}", schema_ref(&c["schema"])))
                            .unwrap_or_default();
                        let _ = write!(
                            h,
                            "<li><code>{}</code> {}{}</li>",
                            esc(status),
                            text(r, "description"),
                            body
                        );
                    }
                    h.push_str("</ul>");
                }
                h.push_str("</section>");
            }
        }
    }
    h.push_str("<h2>Schemas</h2>");
    if let Some(schemas) = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    {
        for (name, schema) in schemas {
            let _ = write!(
                h,
                "<section id=\"schema-{0}\"><h3>{0}</h3><p>{1}</p>",
                esc(name),
                text(schema, "description")
            );
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                h.push_str("<table><tr><th>field</th><th>type</th><th>required</th><th>description</th></tr>");
                for (field, p) in props {
                    let _ = write!(
                        h,
                        "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                        esc(field),
                        schema_ref(p),
                        if required.contains(&field.as_str()) {
                            "yes"
                        } else {
                            ""
                        },
                        text(p, "description")
                    );
                }
                h.push_str("</table>");
            }
            h.push_str("</section>");
        }
    }
    h.push_str("</body></html>");
    h
}
