//! Published notices: the list, one notice, and a result notice's ranking and exclusions per lot.

use super::*;
use crate::domain::messages::Lang;
use crate::error::Error;
use crate::service::procurement::notices::{self, NoticeParams, NoticeView};
use crate::web::{page, Base, Form, PageResult, State, WithBase};
use actix_web::{web, HttpRequest};
use askama::Template;
use serde_json::Value;

/// One line of an evaluation's ranking, as pages show it.
#[derive(Debug, Clone)]
pub struct RankRow {
    pub bid_id: String,
    pub rank: String,
    pub tied: bool,
    pub supplier: String,
    pub scale: String,
    pub sme: bool,
    pub minority: bool,
    pub price: String,
    pub evaluated_price: String,
    pub price_score: String,
    pub technical: String,
    pub commercial: String,
    pub bonus: String,
    pub total: String,
    pub explanation: Vec<String>,
}

pub(super) fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The explanation or reason in the page's language: Chinese where the output has it (outputs
/// stored before it was added have English only).
fn in_lang<'v>(v: &'v Value, key: &str, lang: Lang) -> &'v Value {
    match lang {
        Lang::Zh => match &v[format!("{key}_zh").as_str()] {
            Value::Null => &v[key],
            zh => zh,
        },
        Lang::En => &v[key],
    }
}

/// The ranking of an engine output (or of a result notice's lot), with supplier names where
/// `name_of` knows them.
pub fn ranking(
    output: &Value,
    lang: Lang,
    name_of: &dyn Fn(&str) -> Option<String>,
) -> Vec<RankRow> {
    output["ranking"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let bid_id = text(&r["bid_id"]);
            RankRow {
                supplier: r["supplier"]
                    .as_str()
                    .map(str::to_string)
                    .or_else(|| name_of(&bid_id))
                    .unwrap_or_else(|| bid_id.clone()),
                bid_id,
                rank: text(&r["rank"]),
                tied: r["tied"].as_bool().unwrap_or(false),
                scale: text(&r["effective_scale"]),
                sme: r["sme"].as_bool().unwrap_or(false),
                minority: r["minority_region"].as_bool().unwrap_or(false),
                price: text(&r["price"]),
                evaluated_price: text(&r["evaluated_price"]),
                price_score: text(&r["price_score"]),
                technical: text(&r["technical_score"]),
                commercial: text(&r["commercial_score"]),
                bonus: text(&r["bonus"]),
                total: text(&r["total"]),
                explanation: in_lang(r, "explanation", lang)
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|e| e.as_str().map(str::to_string))
                    .collect(),
            }
        })
        .collect()
}

/// Bids the engine set aside, with the reason.
pub fn excluded(output: &Value, lang: Lang) -> Vec<(String, String)> {
    output["excluded"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| (text(&e["bid_id"]), text(in_lang(e, "reason", lang))))
        .collect()
}

#[derive(Template)]
#[template(path = "notices.html")]
pub(super) struct NoticesPage {
    b: Base,
    items: Vec<NoticeView>,
    next: Option<String>,
    f: Form,
    problems: Vec<String>,
}

pub async fn home(state: State, b: Base, req: HttpRequest) -> PageResult {
    notices(state, b, req).await
}

pub async fn notices(state: State, b: Base, req: HttpRequest) -> PageResult {
    let q = query(&req);
    let params = (|| -> Result<NoticeParams, Error> {
        Ok(NoticeParams {
            region: q.get("region"),
            category: q.get("category"),
            category_code: q.get("category_code"),
            kind: q.get("kind"),
            from: parse_date(&q, "from")?,
            to: parse_date(&q, "to")?,
            reserved: parse_bool(&q, "reserved")?,
            cursor: q.get("cursor"),
            limit: Some(20),
            ..NoticeParams::default()
        })
    })();
    let (items, next, problems) = match params {
        Err(e) => (
            Vec::new(),
            None,
            crate::web::problems_of(&e, b.lang()).unwrap_or_default(),
        ),
        Ok(params) => match state.db(move |conn| notices::list(conn, &params)).await {
            Ok(p) => (p.items, p.next_cursor, Vec::new()),
            Err(e @ Error::Validation(_)) => (
                Vec::new(),
                None,
                crate::web::problems_of(&e, b.lang()).unwrap_or_default(),
            ),
            Err(e) => return Err(e).on(&b),
        },
    };
    let next = next.map(|cursor| crate::web::next_link("/notices", &q, &cursor));
    let status = crate::web::form_status(&problems);
    Ok(crate::web::html(
        status,
        &b,
        &NoticesPage {
            b: b.clone(),
            items,
            next,
            f: q,
            problems,
        },
    ))
}

/// A result notice's lot.
pub(super) struct ResultLot {
    number: String,
    title: String,
    outcome: String,
    failure_reason: String,
    reserved: bool,
    winner: Vec<(String, String, String)>,
    amount: String,
    ranking: Vec<RankRow>,
    excluded: Vec<(String, String)>,
}

/// What the national format (财办库〔2020〕50号) adds to a notice, as lines to show.
#[derive(Default)]
pub(super) struct National {
    number: String,
    /// (label, name, address, contact, phone) of the purchaser and the agency.
    parties: Vec<(String, String, String, String, String)>,
    project_contact: String,
    period: String,
    challenge: String,
    requirements: String,
    contract_period: String,
    law: String,
    sme_policy: String,
    specific: String,
    documents: String,
    opening_place: String,
    /// A termination notice: its reason and the lots it ends.
    termination: Option<(String, String)>,
    /// A complaint ruling: its finding, remedy and text.
    ruling: Option<(String, String, String)>,
    /// A result notice that changed the award: from, to, why.
    change: Option<(String, String, String)>,
}

fn national(n: &NoticeView, b: &Base) -> National {
    let body = &n.body;
    let nat = &body["national"];
    let party = |label: &str, v: &Value| {
        (!v.is_null()).then(|| {
            (
                label.to_string(),
                text(&v["name"]),
                text(&v["address"]),
                text(&v["contact_name"]),
                text(&v["contact_phone"]),
            )
        })
    };
    let period = if nat["notice_period"].is_null() {
        String::new()
    } else {
        format!(
            "{} {}（{} – {}）",
            text(&nat["notice_period"]["working_days"]),
            b.t("个工作日", "working days"),
            text(&nat["notice_period"]["from"]),
            text(&nat["notice_period"]["until"])
        )
    };
    let lots_of = |v: &Value| {
        v.as_array()
            .into_iter()
            .flatten()
            .map(|l| format!("{}{}", b.t("第 ", "lot "), text(&l["number"])))
            .collect::<Vec<_>>()
            .join(", ")
    };
    National {
        number: text(&nat["project_number"]),
        parties: [
            party(b.t("采购人", "Purchaser"), &nat["purchaser"]),
            party(b.t("采购代理机构", "Agency"), &nat["agency"]),
        ]
        .into_iter()
        .flatten()
        .collect(),
        project_contact: format!(
            "{} {}",
            text(&nat["project_contact"]["name"]),
            text(&nat["project_contact"]["phone"])
        )
        .trim()
        .to_string(),
        period,
        challenge: text(&nat["challenge"]["channel"]),
        requirements: text(&nat["requirements"]),
        contract_period: text(&nat["contract_period"]),
        law: text(&nat["qualification"]["law"]),
        sme_policy: text(&nat["qualification"]["sme_policy"]),
        specific: text(&nat["qualification"]["specific"]),
        documents: if nat["documents"].is_null() {
            String::new()
        } else {
            format!(
                "{} – {}；{}",
                body_time(&nat["documents"]["from"]),
                body_time(&nat["documents"]["until"]),
                text(&nat["documents"]["how"])
            )
        },
        opening_place: text(&nat["opening"]["place"]),
        termination: (n.kind == "termination")
            .then(|| (text(&body["reason"]), lots_of(&body["lots"]))),
        ruling: (n.kind == "complaint_ruling").then(|| {
            (
                b.label("finding", &text(&body["ruling"])),
                if body["remedy"].is_null() {
                    String::new()
                } else {
                    b.label("remedy", &text(&body["remedy"]))
                },
                text(&body["text"]),
            )
        }),
        change: (!body["change"].is_null()).then(|| {
            let c = &body["change"];
            (
                text(&c["from"]["supplier"]),
                text(&c["to"]["supplier"]),
                format!(
                    "{}：{}",
                    b.label("award_end", &text(&c["reason"])),
                    text(&c["text"])
                ),
            )
        }),
    }
}

#[derive(Template)]
#[template(path = "notice.html")]
pub(super) struct NoticePage {
    national: National,
    b: Base,
    n: NoticeView,
    lots: Vec<Value>,
    results: Vec<ResultLot>,
    method: String,
    budget: String,
    deadline: String,
    opening: String,
    correction: Vec<(String, String, String)>,
    correction_text: String,
    /// The procurement documents with their hashes, as the notice publishes them.
    documents: Vec<Value>,
}

pub(super) fn body_time(v: &Value) -> String {
    v.as_str()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map_or_else(
            || "—".into(),
            |t| crate::web::format::beijing(&t.with_timezone(&chrono::Utc)),
        )
}

pub async fn notice(state: State, b: Base, id: web::Path<String>) -> PageResult {
    let id = id.into_inner();
    let n = state
        .db(move |conn| notices::show(conn, &id))
        .await
        .on(&b)?;
    let body = &n.body;
    let lots = body["lots"].as_array().cloned().unwrap_or_default();
    let results = if matches!(n.kind.as_str(), "result" | "failure") {
        lots.iter()
            .map(|l| ResultLot {
                number: text(&l["number"]),
                title: text(&l["title"]),
                outcome: text(&l["outcome"]),
                failure_reason: text(&l["failure_reason"]),
                reserved: l["reserved_for_smes"].as_bool().unwrap_or(false),
                winner: l["winner"]["parties"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|p| {
                        (
                            text(&p["name"]),
                            text(&p["declared_scale"]),
                            text(&p["share_pct"]),
                        )
                    })
                    .collect(),
                amount: text(&l["winner"]["amount"]),
                ranking: ranking(l, b.lang(), &|_| None),
                excluded: excluded(l, b.lang()),
            })
            .collect()
    } else {
        Vec::new()
    };
    let correction = if n.kind == "correction" {
        vec![
            (
                b.t("投标截止时间", "Bid deadline").to_string(),
                body_time(&body["bid_deadline"]["before"]),
                body_time(&body["bid_deadline"]["after"]),
            ),
            (
                b.t("开标时间", "Opening").to_string(),
                body_time(&body["opening_at"]["before"]),
                body_time(&body["opening_at"]["after"]),
            ),
        ]
    } else {
        Vec::new()
    };
    let page_data = NoticePage {
        national: national(&n, &b),
        method: text(&body["procurement_method_zh"]),
        correction_text: text(&body["text"]),
        budget: text(&body["budget"]),
        deadline: body_time(&body["bid_deadline"]),
        opening: body_time(&body["opening_at"]),
        b: b.clone(),
        lots: if results.is_empty() { lots } else { Vec::new() },
        results,
        correction,
        documents: body["documents"].as_array().cloned().unwrap_or_default(),
        n,
    };
    Ok(page(&b, &page_data))
}
