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

macro_rules! catalogue {
    ($($code:literal => $zh:literal, $en:literal;)+) => {
        /// Every message code with both languages.
        pub const CATALOGUE: &[Entry] = &[$(Entry { code: $code, zh: $zh, en: $en },)+];
    };
}

catalogue! {
    // Project phases and stored states (lifecycle).
    "state.draft" => "草稿", "draft";
    "state.published" => "已发布·接受投标", "published · open for bids";
    "state.closed" => "投标截止·待开标", "closed · awaiting opening";
    "state.opened" => "已开标·评审中", "opened · under evaluation";
    "state.evaluated" => "已评审", "evaluated";
    "state.awarded" => "已定标", "awarded";
    "state.failed" => "废标", "failed";
    "state.contracted" => "已签合同", "contracted";
    "state.open" => "进行中", "open";
    "state.ranked" => "已排序", "ranked";
    "state.submitted" => "已递交", "submitted";
    "state.replaced" => "已替换", "replaced";
    "state.withdrawn" => "已撤回", "withdrawn";
    "state.signed" => "已签订", "signed";
    "state.pending" => "待审核", "pending";
    "state.verified" => "已核实", "verified";
    "state.rejected" => "已驳回", "rejected";
    // Enterprise scales (工信部联企业〔2011〕300号).
    "scale.micro" => "微型企业", "micro";
    "scale.small" => "小型企业", "small";
    "scale.medium" => "中型企业", "medium";
    "scale.large" => "大型企业", "large";
    // The preference applied to a bid.
    "preference.small_micro_deduction" => "小微企业价格扣除", "small/micro price deduction";
    "preference.consortium_deduction" => "联合体价格扣除", "consortium price deduction";
    "preference.subcontract_deduction" => "分包价格扣除", "subcontract price deduction";
    "preference.none" => "无", "none";
    // Procurement categories and notice kinds.
    "category.goods" => "货物", "goods";
    "category.services" => "服务", "services";
    "category.works" => "工程", "works";
    "notice.procurement" => "采购公告", "procurement notice";
    "notice.correction" => "更正公告", "correction notice";
    "notice.result" => "中标（成交）结果公告", "result notice";
    "notice.failure" => "废标公告", "failure notice";
    // The reserved-share ledger (预留份额台账).
    "ledger.no_plan" => "无预算计划", "no plan";
    "ledger.met" => "达标", "met";
    "ledger.missed" => "未达标", "missed";
    "ledger.sme_below_target" => "授予中小企业的合同金额 {awarded} 低于预留目标 {target}（预算 {budget} 的 {pct}%）", "SME awards {awarded} are below the reserved target {target} ({pct} % of the budget {budget})";
    "ledger.small_micro_below_target" => "授予小微企业的合同金额 {awarded} 低于其目标 {target}", "small/micro awards {awarded} are below their target {target}";
    "ledger.stated_reason" => "计划中说明的原因：{reason}", "stated in the plan: {reason}";
    // Why a bid is outside the ranking.
    "exclusion.unqualified" => "资格性或符合性审查未通过", "not qualified: failed the qualification or compliance review (资格性/符合性审查)";
    "exclusion.not_sme" => "不符合条件：该包专门面向中小企业，实际规模为{scale}", "not eligible: lot reserved for SMEs (专门面向中小企业), effective scale {scale}";
    // Field problems (the English is the API's `errors[].message`, word for word).
    "problem.required" => "必填", "is required";
    "problem.too_long" => "长度不能超过 {max} 个字符", "is longer than {max} characters";
    "problem.control_characters" => "含有控制字符", "contains control characters";
    "problem.invisible" => "含有不可见字符 U+{code}，会使文字看起来与实际内容不同，请删除", "contains the invisible character U+{code}, which can make text read other than it is; remove it";
    "problem.decimal.not_a_number" => "须为小数，如 1200.50", "must be a decimal number such as \"1200.50\"";
    "problem.decimal.places" => "最多 {places} 位小数", "must have at most {places} decimal places";
    "problem.decimal.negative" => "不能为负数", "must not be negative";
    "problem.decimal.not_positive" => "须大于零", "must be greater than zero";
    "problem.decimal.too_large" => "数值过大", "is too large";
    "problem.price" => "{value}：{reason_zh}（以元为单位，最多两位小数，大于 0）", "{value}: {reason} (yuan, up to 2 decimals, > 0)";
    "problem.price_too_large" => "超过 100000000000.00 元", "is more than 100000000000.00 yuan";
    "problem.required_text" => "必填（1–{max} 个字符）", "is required (1–{max} characters)";
    "problem.length" => "长度须为 {min}–{max} 个字符", "must be {min}–{max} characters long";
    "problem.min_length" => "长度至少 {min} 个字符", "must be at least {min} characters long";
    "problem.range" => "须在 {min} 与 {max} 之间", "must be between {min} and {max}";
    "problem.username_characters" => "只能使用小写字母、数字及 .、_、-、@", "use lower-case letters, digits, '.', '_', '-' or '@' only";
    "problem.credit_code.length" => "须为 18 位，实际为 {got} 位", "must be 18 characters, got {got}";
    "problem.credit_code.character" => "第 {position} 位字符 {found} 不允许：只能使用数字和除 I、O、S、V、Z 以外的大写字母 A–Y", "character {position} ({found}) is not allowed: use 0-9 and A-Y without I, O, S, V, Z";
    "problem.credit_code.check" => "校验码为 {found}，按前 17 位应为 {expected}", "check character is {found} but the first 17 characters require {expected}";
    "problem.credit_code.region" => "第 3–8 位（{region}）不是 GB/T 2260 行政区划代码", "characters 3-8 ({region}) are not a GB/T 2260 region code";
    "problem.region" => "须为六位 GB/T 2260 行政区划代码（如 653101），实际为 {got}", "must be a six-digit GB/T 2260 region code such as \"653101\", got {got}";
    "problem.unknown_industry" => "未知行业 {given}：请从行业列表中选择", "unknown industry {given}; expected one of: {known}{note}";
    "problem.figure_required" => "{industry_zh}须填写此项", "is required for industry {industry}";
    // Field names, for problems shown beside a form.
    "field.username" => "用户名", "username";
    "field.password" => "密码", "password";
    "field.display_name" => "显示名称", "display name";
    "field.credit_code" => "统一社会信用代码", "credit code";
    "field.name" => "名称", "name";
    "field.industry" => "行业", "industry";
    "field.employees" => "从业人员", "employees";
    "field.revenue_wan" => "营业收入（万元）", "revenue (10 000 yuan)";
    "field.assets_wan" => "资产总额（万元）", "assets (10 000 yuan)";
    "field.region" => "地区", "region";
    "field.large_firm_relation" => "与大型企业的关系", "relation to a large firm";
    "field.sku" => "商品编码", "sku";
    "field.spec" => "规格型号", "spec";
    "field.unit" => "计量单位", "unit";
    "field.price" => "价格", "price";
    "field.title" => "名称", "title";
    "field.text" => "更正内容", "text";
    "field.budget" => "预算", "budget";
    // Yes and no in tables.
    "yes" => "是", "yes";
    "no" => "否", "no";
}

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
    let last = path.rsplit('.').next().unwrap_or(path);
    match entry(&format!("field.{last}")) {
        Some(e) => lang.pick(e.zh, e.en).to_string(),
        None => path.to_string(),
    }
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
        assert_eq!(Lang::parse("zh-CN"), Some(Lang::Zh));
        assert_eq!(Lang::parse("EN"), Some(Lang::En));
        assert_eq!(Lang::parse("fr"), None);
    }
}
