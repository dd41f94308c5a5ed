//! The message catalogue: every text a person reads that the service composes — labels of
//! states, scales, preferences and notice kinds, ledger statuses and reasons, refusals shown
//! beside forms — as a code with parameters, rendered in Chinese (the default, in the rules' own
//! terms: 价格扣除, 评标价, 综合得分, 视同中小企业, 未达标) or English.
//!
//! The evaluation's explanation lines are written by `evaluation::explain` with both languages
//! side by side for each line (a line cannot exist in one language only: it does not compile);
//! everything else is in [`CATALOGUE`], where a test refuses a code missing either language.

/// The language a text is rendered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Lang {
    /// 中文, the default for pages, notices and the CLI.
    #[default]
    Zh,
    En,
}

impl Lang {
    /// English when `en`, else Chinese (the pages' switch).
    pub fn of(en: bool) -> Lang {
        if en {
            Lang::En
        } else {
            Lang::Zh
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// `zh`/`zh-CN`/`zh_CN…` → Chinese, `en…` → English; anything else is `None`.
    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        if s.starts_with("zh") {
            Some(Lang::Zh)
        } else if s.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// Chooses between the two renderings of one text.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

/// One entry of the catalogue: a code, its Chinese and its English template. Parameters are
/// written `{name}`.
pub struct Entry {
    pub code: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
}

mod catalogue;
pub use catalogue::CATALOGUE;

/// A message code and its parameters.
pub type Said = (&'static str, Vec<(&'static str, String)>);

/// The code of a malformed credit code (统一社会信用代码).
pub fn credit_code_problem(e: &crate::domain::credit_code::InvalidCreditCode) -> Said {
    use crate::domain::credit_code::InvalidCreditCode as E;
    match e {
        E::Length(n) => ("problem.credit_code.length", vec![("got", n.to_string())]),
        E::Character { position, found } => (
            "problem.credit_code.character",
            vec![
                ("position", position.to_string()),
                ("found", format!("{found:?}")),
            ],
        ),
        E::Check { expected, found } => (
            "problem.credit_code.check",
            vec![
                ("found", format!("{found:?}")),
                ("expected", format!("{expected:?}")),
            ],
        ),
        E::Region(r) => ("problem.credit_code.region", vec![("region", r.clone())]),
    }
}

/// A refusal of the domain that has its message code (the English is its `Display`).
pub trait Coded {
    fn said(&self) -> Said;
}

impl Coded for crate::domain::credit_code::InvalidCreditCode {
    fn said(&self) -> Said {
        credit_code_problem(self)
    }
}

impl Coded for crate::domain::classify::ClassifyError {
    fn said(&self) -> Said {
        classify_problem(self)
    }
}

impl Coded for crate::domain::decimal::DecimalError {
    fn said(&self) -> Said {
        decimal_problem(self)
    }
}

impl Coded for crate::domain::category::CategoryError {
    fn said(&self) -> Said {
        (
            "problem.category_code",
            vec![("given", format!("{:?}", self.0))],
        )
    }
}

impl Coded for crate::domain::region::InvalidRegion {
    fn said(&self) -> Said {
        ("problem.region", vec![("got", format!("{:?}", self.0))])
    }
}

impl Coded for crate::domain::scale::UnknownScale {
    fn said(&self) -> Said {
        (
            "problem.unknown_scale",
            vec![("given", format!("{:?}", self.0))],
        )
    }
}

/// The code of a refused decimal text (an amount, a rate).
pub fn decimal_problem(e: &crate::domain::decimal::DecimalError) -> Said {
    use crate::domain::decimal::DecimalError as E;
    match e {
        E::NotANumber => ("problem.decimal.not_a_number", vec![]),
        E::TooManyDecimals(n) => ("problem.decimal.places", vec![("places", n.to_string())]),
        E::Negative => ("problem.decimal.negative", vec![]),
        E::NotPositive => ("problem.decimal.not_positive", vec![]),
        E::TooLarge => ("problem.decimal.too_large", vec![]),
    }
}

/// A code with text parameters rendered in a language (a field problem's, a nested message's).
pub fn said_in(lang: Lang, code: &str, params: &[(&'static str, String)]) -> String {
    let params: Vec<(&str, &dyn std::fmt::Display)> = params
        .iter()
        .map(|(k, v)| (*k, v as &dyn std::fmt::Display))
        .collect();
    render(lang, code, &params)
}

/// The code of a classification refusal (300号).
pub fn classify_problem(e: &crate::domain::classify::ClassifyError) -> Said {
    use crate::domain::classify::ClassifyError as E;
    match e {
        E::UnknownIndustry { given, known, note } => (
            "problem.unknown_industry",
            vec![
                ("given", format!("{given:?}")),
                ("known", known.clone()),
                ("note", note.to_string()),
            ],
        ),
        E::MissingFigure { industry, .. } => {
            let zh = crate::domain::policy::size_standard()
                .industries
                .get(industry.as_str())
                .map_or_else(|| industry.clone(), |i| i.name_zh.clone());
            (
                "problem.figure_required",
                vec![("industry", industry.clone()), ("industry_zh", zh)],
            )
        }
    }
}

/// A field's name in a language: the last part of its path (`enterprise.credit_code` →
/// 统一社会信用代码); a field the catalogue does not name stays as it is.
pub fn field_name(lang: Lang, path: &str) -> String {
    let named =
        |name: &str| entry(&format!("field.{name}")).map(|e| lang.pick(e.zh, e.en).to_string());
    // A path the catalogue names whole (`documents.technical`, not the score's `technical`).
    if path.contains('.') {
        if let Some(whole) = named(path) {
            return whole;
        }
    }
    if lang == Lang::En {
        let last = path.rsplit('.').next().unwrap_or(path);
        return named(last).unwrap_or_else(|| path.to_string());
    }
    // In Chinese every part the catalogue names is shown, an index counted from 1
    // (`lots[1].budget` → 采购包 2·预算); a part it does not name (a form's prefix) is left out.
    let mut parts = Vec::new();
    for part in path.split('.') {
        let (name, index) = match part.split_once('[') {
            Some((name, rest)) => (name, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        let Some(name) = named(name) else {
            continue;
        };
        parts.push(match index {
            Some(i) => format!("{name} {}", i + 1),
            None => name,
        });
    }
    if parts.is_empty() {
        return path.to_string();
    }
    parts.join("·")
}

/// The entry of a code.
pub fn entry(code: &str) -> Option<&'static Entry> {
    CATALOGUE.iter().find(|e| e.code == code)
}

/// Renders a code in a language with its parameters; an unknown code renders as itself (and a
/// test makes sure no caller uses one).
pub fn render(lang: Lang, code: &str, params: &[(&str, &dyn std::fmt::Display)]) -> String {
    let Some(e) = entry(code) else {
        return code.to_string();
    };
    let template = lang.pick(e.zh, e.en);
    if params.is_empty() {
        return template.to_string();
    }
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match params.iter().find(|(n, _)| *n == name) {
                    Some((_, v)) => out.push_str(&v.to_string()),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// A label without parameters: `label(Lang::Zh, "state", "draft")` → 草稿.
pub fn label(lang: Lang, kind: &str, value: &str) -> String {
    label_of(lang, kind, value).map_or_else(|| value.to_string(), str::to_string)
}

/// The same without allocating, `None` for a value the catalogue does not name.
pub fn label_of(lang: Lang, kind: &str, value: &str) -> Option<&'static str> {
    CATALOGUE
        .iter()
        .find(|e| {
            e.code
                .strip_prefix(kind)
                .and_then(|rest| rest.strip_prefix('.'))
                == Some(value)
        })
        .map(|e| lang.pick(e.zh, e.en))
}

/// Whether a text has a CJK character (for the tests of both languages).
pub fn has_cjk(s: &str) -> bool {
    s.chars()
        .any(|c| matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}'))
}

/// English words (two or more Latin letters) in a text, for the tests of the Chinese side.
pub fn latin_words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() >= 2)
        .map(String::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// English may carry the rules' Chinese terms in parentheses; nothing else Chinese.
    fn cjk_outside_parentheses(s: &str) -> bool {
        let mut depth = 0i32;
        s.chars().any(|c| {
            match c {
                '(' | '（' => depth += 1,
                ')' | '）' => depth -= 1,
                _ => {}
            }
            depth == 0 && has_cjk(&c.to_string())
        })
    }

    #[test]
    fn every_code_has_both_languages_and_each_speaks_only_its_own() {
        let mut seen = std::collections::BTreeSet::new();
        for e in CATALOGUE {
            assert!(seen.insert(e.code), "{} listed twice", e.code);
            assert!(!e.zh.trim().is_empty(), "{} has no Chinese", e.code);
            assert!(!e.en.trim().is_empty(), "{} has no English", e.code);
            let zh_without_params =
                e.zh.split('{')
                    .map(|p| p.split_once('}').map_or(p, |(_, rest)| rest))
                    .collect::<String>();
            // Codes and standards in capitals (GB/T) are names, not words.
            let words: Vec<_> = latin_words(&zh_without_params)
                .into_iter()
                .filter(|w| !w.chars().all(|c| c.is_ascii_uppercase()))
                .collect();
            assert!(
                words.is_empty(),
                "{}: English in the Chinese text {:?}",
                e.code,
                e.zh
            );
            assert!(has_cjk(e.zh), "{}: the Chinese text has no Chinese", e.code);
            assert!(
                !cjk_outside_parentheses(e.en),
                "{}: untranslated Chinese in {:?}",
                e.code,
                e.en
            );
            // Parameters are names; each language uses those it needs.
            for t in [e.zh, e.en] {
                for p in t.split('{').skip(1) {
                    let (name, _) = p.split_once('}').expect("a closed parameter");
                    assert!(
                        !name.is_empty()
                            && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                        "{}: parameter {name:?}",
                        e.code
                    );
                }
            }
        }
    }

    #[test]
    fn render_fills_parameters_and_labels_fall_back_to_the_value() {
        let s = render(
            Lang::Zh,
            "ledger.small_micro_below_target",
            &[("awarded", &"100.00"), ("target", &"200.00")],
        );
        assert_eq!(s, "授予小微企业的合同金额 100.00 低于其目标 200.00");
        assert_eq!(label(Lang::Zh, "state", "draft"), "草稿");
        assert_eq!(label(Lang::En, "ledger", "missed"), "missed");
        assert_eq!(label(Lang::Zh, "state", "unheard_of"), "unheard_of");
        assert_eq!(field_name(Lang::Zh, "lots[1].budget"), "采购包 2·预算");
        assert_eq!(
            field_name(Lang::Zh, "enterprise.credit_code"),
            "统一社会信用代码"
        );
        assert_eq!(field_name(Lang::Zh, "unheard_of"), "unheard_of");
        assert_eq!(field_name(Lang::Zh, "credit_code"), "统一社会信用代码");
        assert_eq!(field_name(Lang::En, "lots[1].budget"), "budget");
        assert_eq!(Lang::parse("zh-CN"), Some(Lang::Zh));
        assert_eq!(Lang::parse("EN"), Some(Lang::En));
        assert_eq!(Lang::parse("fr"), None);
    }
}
