//! Problems with an input, named by field, and reading a JSON body so that a problem names the
//! JSON path of the bad value (shared by the HTTP extractors and the CLI's file readers).

use serde::Serialize;

/// One problem with an input, named by its JSON path (`bids[3].consortium[1].share_pct`) or field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldProblem {
    /// JSON path, form field or CSV column of the bad value.
    pub field: String,
    /// What is wrong and what is expected.
    pub message: String,
    /// The same as a message code with its parameters, for pages in other languages
    /// (`domain::messages`); not part of the API's shape.
    #[serde(skip)]
    pub say: Option<Say>,
}

/// A message code and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Say {
    pub code: &'static str,
    pub params: Vec<(&'static str, String)>,
}

impl FieldProblem {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldProblem {
            field: field.into(),
            message: message.into(),
            say: None,
        }
    }

    /// Attaches the message's code and parameters (the English `message` stays as it is).
    pub fn said(mut self, code: &'static str, params: Vec<(&'static str, String)>) -> Self {
        self.say = Some(Say { code, params });
        self
    }
}

impl std::fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Why a JSON document could not be read, before any rule was checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonProblem {
    /// Not JSON at all: position of the first error.
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    /// JSON, but a value has the wrong type or a required field is missing.
    Shape(FieldProblem),
    /// Well-formed, but text holds characters no field may hold (every such field named).
    Text(Vec<FieldProblem>),
}

/// Parses `bytes` as `T`; on failure, parses again tracking the path so the error names the field.
/// The fast path costs nothing extra for valid input.
/// What text no string may hold: a quick test over the raw bytes (`false`: certainly none) and
/// the problem of one string. The rule itself is the domain's (`domain::text`).
#[derive(Clone, Copy)]
pub struct TextRule {
    pub may_hold: fn(&[u8]) -> bool,
    pub problem: fn(&str) -> Option<String>,
}

pub fn parse_json<'a, T: serde::Deserialize<'a>>(
    bytes: &'a [u8],
    rule: TextRule,
) -> Result<T, JsonProblem> {
    match serde_json::from_slice(bytes) {
        Ok(value) => match invisible_in_json(bytes, rule) {
            Some(problems) => Err(JsonProblem::Text(problems)),
            None => Ok(value),
        },
        Err(first) => {
            if first.is_syntax() || first.is_eof() || first.is_io() {
                return Err(JsonProblem::Syntax {
                    line: first.line(),
                    column: first.column(),
                    message: strip_position(&first.to_string()),
                });
            }
            let mut de = serde_json::Deserializer::from_slice(bytes);
            serde_path_to_error::deserialize::<_, T>(&mut de)
                .map_err(|err| JsonProblem::Shape(path_problem(err, "", "body")))
        }
    }
}

/// A typed-deserialization error as a problem named by its path: `prefix` goes before the path
/// (`bids` for a slice read on its own), `whole` names the input when the path is empty. A
/// missing field is reported at its parent by serde, so the field itself is named.
pub fn path_problem<E: std::fmt::Display>(
    err: serde_path_to_error::Error<E>,
    prefix: &str,
    whole: &str,
) -> FieldProblem {
    let path = err.path().to_string();
    let message = strip_position(&err.into_inner().to_string());
    let base = match (path.as_str(), prefix) {
        (".", _) => prefix.to_string(),
        (_, "") => path,
        (p, _) if p.starts_with('[') => format!("{prefix}{p}"),
        (p, _) => format!("{prefix}.{p}"),
    };
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split_once('`'))
        .map(|(name, _)| name.to_string());
    let field = match (base.is_empty(), missing) {
        (true, Some(name)) => name,
        (false, Some(name)) => format!("{base}.{name}"),
        (true, None) => whole.to_string(),
        (false, None) => base,
    };
    FieldProblem::new(field, message)
}

/// serde_json appends " at line L column C"; the path already says where.
pub fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// Every string (and object key) of a JSON document that breaks `rule`, named by its path.
/// Costs one byte scan for documents the rule's quick test clears.
pub fn invisible_in_json(bytes: &[u8], rule: TextRule) -> Option<Vec<FieldProblem>> {
    if !(rule.may_hold)(bytes) {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let mut problems = Vec::new();
    walk(&value, &mut String::new(), rule, &mut problems);
    (!problems.is_empty()).then_some(problems)
}

fn walk(
    value: &serde_json::Value,
    path: &mut String,
    rule: TextRule,
    problems: &mut Vec<FieldProblem>,
) {
    use serde_json::Value;
    let name = |path: &str| {
        if path.is_empty() {
            "body".to_string()
        } else {
            path.to_string()
        }
    };
    match value {
        Value::String(text) => {
            if let Some(problem) = (rule.problem)(text) {
                problems.push(FieldProblem::new(name(path), problem));
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                walk(item, path, rule, problems);
                path.truncate(len);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                if let Some(problem) = (rule.problem)(key) {
                    problems.push(FieldProblem::new(
                        name(path),
                        format!("(the name itself) {problem}"),
                    ));
                }
                walk(item, path, rule, problems);
                path.truncate(len);
            }
        }
        _ => {}
    }
}
