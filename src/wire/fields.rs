//! The one checker of free-text input fields, for every use case: trimmed, required or not, at
//! most `max` characters, no control characters (line breaks and tabs only where a field holds
//! lines), no invisible characters (domain::text). Each problem names its field and carries its
//! message code, so pages show it in the visitor's language.

use crate::domain::text::{invisible, invisible_problem};
use crate::wire::FieldProblem;

/// What a text field may hold.
#[derive(Debug, Clone, Copy)]
pub struct Text {
    pub required: bool,
    pub max: usize,
    /// Line breaks and tabs are allowed (a correction's text); other control characters never.
    pub lines: bool,
}

impl Text {
    /// A required one-line field of at most `max` characters.
    pub const fn required(max: usize) -> Text {
        Text {
            required: true,
            max,
            lines: false,
        }
    }

    /// An optional one-line field of at most `max` characters.
    pub const fn optional(max: usize) -> Text {
        Text {
            required: false,
            max,
            lines: false,
        }
    }

    /// The same, holding lines.
    pub const fn with_lines(self) -> Text {
        Text {
            lines: true,
            ..self
        }
    }
}

/// `field` is required.
pub fn required(field: &str) -> FieldProblem {
    FieldProblem::new(field, "is required").said("problem.required", vec![])
}

/// A problem given by its message code: the API's English `message` is rendered from the
/// catalogue, so both languages come from one entry.
pub fn coded(
    field: impl Into<String>,
    code: &'static str,
    params: Vec<(&'static str, String)>,
) -> FieldProblem {
    let message =
        crate::domain::messages::said_in(crate::domain::messages::Lang::En, code, &params);
    FieldProblem::new(field, message).said(code, params)
}

/// A refusal of the domain (a credit code, an amount, a region …) as the problem of a field:
/// its own English, and its code for the pages.
pub fn of<E>(field: impl Into<String>, e: &E) -> FieldProblem
where
    E: std::fmt::Display + crate::domain::messages::Coded,
{
    let (code, params) = e.said();
    FieldProblem::new(field, e.to_string()).said(code, params)
}

/// A refused value with the domain's reason: `"abc" must be a decimal number …`.
pub fn value_of<E>(field: impl Into<String>, value: &str, e: &E) -> FieldProblem
where
    E: std::fmt::Display + crate::domain::messages::Coded,
{
    let (code, params) = e.said();
    let reason_zh =
        crate::domain::messages::said_in(crate::domain::messages::Lang::Zh, code, &params);
    coded(
        field,
        "problem.value_reason",
        vec![
            ("value", format!("{value:?}")),
            ("reason", e.to_string()),
            ("reason_zh", reason_zh),
        ],
    )
}

/// The same as a 422 of one field.
pub fn invalid(
    field: impl Into<String>,
    code: &'static str,
    params: Vec<(&'static str, String)>,
) -> crate::error::Error {
    crate::error::Error::Validation(vec![coded(field, code, params)])
}

/// `field` holds the invisible character `c`.
pub fn invisible_in(field: &str, c: char) -> FieldProblem {
    FieldProblem::new(field, invisible_problem(c)).said(
        "problem.invisible",
        vec![("code", format!("{:04X}", c as u32))],
    )
}

/// The trimmed text of a field, or `None` with its problem pushed; an absent optional field is
/// `Some("")`.
pub fn text(
    value: Option<&str>,
    field: &str,
    rule: Text,
    problems: &mut Vec<FieldProblem>,
) -> Option<String> {
    let value = value.map(str::trim).filter(|v| !v.is_empty());
    let Some(v) = value else {
        if rule.required {
            problems.push(required(field));
            return None;
        }
        return Some(String::new());
    };
    if v.chars().count() > rule.max {
        problems.push(
            FieldProblem::new(field, format!("is longer than {} characters", rule.max))
                .said("problem.too_long", vec![("max", rule.max.to_string())]),
        );
        return None;
    }
    let control = |c: char| c.is_control() && !(rule.lines && matches!(c, '\n' | '\r' | '\t'));
    if v.chars().any(control) {
        problems.push(
            FieldProblem::new(field, "contains control characters")
                .said("problem.control_characters", vec![]),
        );
        return None;
    }
    if let Some(c) = invisible(v) {
        problems.push(invisible_in(field, c));
        return None;
    }
    Some(v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (value, rule) → the text kept, the problem's code.
    type Case = (
        Option<&'static str>,
        Text,
        Option<&'static str>,
        Option<&'static str>,
    );

    #[test]
    fn each_rule_names_the_field_and_its_code() {
        let cases: [Case; 8] = [
            (Some("  打印机 "), Text::required(10), Some("打印机"), None),
            (None, Text::required(10), None, Some("problem.required")),
            (
                Some("   "),
                Text::required(10),
                None,
                Some("problem.required"),
            ),
            (None, Text::optional(10), Some(""), None),
            (
                Some("12345678901"),
                Text::required(10),
                None,
                Some("problem.too_long"),
            ),
            (
                Some("a\nb"),
                Text::required(10),
                None,
                Some("problem.control_characters"),
            ),
            (
                Some("a\nb"),
                Text::required(10).with_lines(),
                Some("a\nb"),
                None,
            ),
            (
                Some("a\u{202E}b"),
                Text::required(10),
                None,
                Some("problem.invisible"),
            ),
        ];
        for (value, rule, want, code) in cases {
            let mut problems = Vec::new();
            assert_eq!(
                text(value, "name", rule, &mut problems).as_deref(),
                want,
                "{value:?}"
            );
            let got: Vec<_> = problems
                .iter()
                .map(|p| (p.field.as_str(), p.say.as_ref().map(|s| s.code)))
                .collect();
            match code {
                None => assert!(got.is_empty(), "{value:?}: {got:?}"),
                Some(code) => assert_eq!(got, [("name", Some(code))], "{value:?}"),
            }
        }
    }
}
