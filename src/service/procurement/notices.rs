//! 公告: procurement, correction, result and failure notices. Written once (the database refuses
//! UPDATE and DELETE), read by anyone: a filtered list, a detail page and an Atom feed.

use super::utc;
use crate::db::procurement::{self as repo, Lot, Notice, NoticeFilter, Project};
use crate::db::{self, DbConnection};
pub use crate::domain::lifecycle::NoticeKind;
use crate::domain::Fen;
use crate::error::{Error, Result};
use crate::wire::fields::{coded, invalid};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

/// A notice's title word in Chinese.
fn kind_zh(kind: NoticeKind) -> &'static str {
    match kind {
        NoticeKind::Procurement => "采购公告",
        NoticeKind::Correction => "更正公告",
        NoticeKind::Result => "中标(成交)结果公告",
        NoticeKind::Failure => "废标公告",
        NoticeKind::Termination => "终止公告",
        NoticeKind::ComplaintRuling => "投诉处理结果公告",
    }
}

/// The procurement notice's content: what suppliers need to bid.
pub fn procurement_body(
    p: &Project,
    lots: &[Lot],
    keys: &[crate::db::procurement::LotKey],
    documents: &[crate::db::procurement::ProjectDocument],
) -> serde_json::Value {
    let key_of = |lot: &str| {
        keys.iter()
            .find(|k| k.lot_id == lot)
            .map(|k| serde_json::json!({"public_key": k.public_key, "threshold": k.threshold, "holders": k.holders, "suite": "HPKE base, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305"}))
    };
    serde_json::json!({
        "project_id": p.id,
        "title": p.title,
        "agency_id": p.agency_id,
        "department_id": p.department_id,
        "category": p.category,
        "category_code": p.category_code,
        "procurement_method": p.procurement_method,
        "procurement_method_zh": super::projects::method_zh(&p.procurement_method),
        "policy": {"id": p.policy_id, "version": p.policy_version},
        "evaluation": serde_json::from_str::<serde_json::Value>(&p.terms).unwrap_or_default(),
        "budget": Fen(p.budget_fen).to_string(),
        "reservation": p.reservation,
        "reservation_reason": p.reservation_reason,
        "region": p.region,
        "bid_deadline": p.bid_deadline.map(utc),
        "opening_at": p.opening_at.map(utc),
        "lots": lots.iter().map(|l| serde_json::json!({
            "id": l.id, "number": l.number, "title": l.title,
            "budget": Fen(l.budget_fen).to_string(), "reserved_for_smes": l.reserved,
            "sealing": key_of(&l.id),
        })).collect::<Vec<_>>(),
        "documents": super::project_documents::notice_entries(documents),
    })
}

/// The notice's title: the project's and the kind's, without saying 采购 twice
/// (`打印机采购` + `采购公告` → `打印机采购公告`).
pub fn notice_title(project_title: &str, kind: NoticeKind) -> String {
    let kind = kind_zh(kind);
    match (project_title.strip_suffix("采购"), kind.starts_with("采购")) {
        (Some(stem), true) => format!("{stem}{kind}"),
        _ => format!("{project_title}{kind}"),
    }
}

/// Writes a notice (inside the caller's transaction).
#[tracing::instrument(skip_all)]
pub fn publish(
    conn: &mut DbConnection,
    clock: &dyn crate::clock::Clock,
    actor: &str,
    p: &Project,
    kind: NoticeKind,
    body: serde_json::Value,
    corrects_id: Option<String>,
) -> Result<Notice> {
    let now = clock.now_naive();
    let mut body = body;
    let cal = crate::service::calendar::current(conn)?;
    let lots = repo::lots_of(conn, &p.id)?;
    body["national"] = super::notice_format::national(
        conn,
        &cal,
        p,
        &lots,
        kind,
        crate::domain::beijing::day_of(now),
    )?;
    let body = serde_json::to_string(&body).map_err(|e| Error::Internal(e.into()))?;
    let reserved = p.reservation != "none";
    let notice = Notice {
        id: db::new_id(),
        project_id: p.id.clone(),
        kind,
        title: notice_title(&p.title, kind),
        sha256: super::sha256_hex(body.as_bytes()),
        body,
        corrects_id,
        agency_id: p.agency_id.clone(),
        region: p.region.clone(),
        category: p.category.clone(),
        category_code: p.category_code.clone(),
        reserved,
        published_at: now,
    };
    repo::insert_notice(conn, &notice)?;
    crate::service::audit::record(
        conn,
        clock,
        crate::service::audit::Change::new(actor, "notice.publish", "notice", &notice.id)
            .after(&notice),
    )?;
    Ok(notice)
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NoticeView {
    pub id: String,
    pub project_id: String,
    /// procurement | correction | result | failure | termination | complaint_ruling
    pub kind: String,
    pub title: String,
    /// The notice this one corrects (correction notices).
    pub corrects_id: Option<String>,
    pub agency_id: String,
    pub region: String,
    pub category: String,
    pub category_code: String,
    /// Something in the project is reserved for SMEs.
    pub reserved_for_smes: bool,
    pub published_at: DateTime<Utc>,
    /// SHA-256 of the body as published.
    pub sha256: String,
    #[schema(value_type = Object)]
    pub body: serde_json::Value,
    /// The region by name (喀什地区喀什市).
    pub region_name: String,
    /// The 品目 by name, as the notice names it.
    pub category_name: String,
    /// Later notices that change this one: correction notices after a procurement or correction
    /// notice, result notices after a result (the last one is in force). A notice is never
    /// edited; this list, and `in_force`, are how a reader learns it changed.
    pub changed_by: Vec<NoticeRef>,
    /// For a procurement or correction notice: the deadline and opening time in force now.
    pub in_force: Option<InForce>,
    /// New rounds (projects) that procure this project's failed lots again.
    pub next_rounds: Vec<String>,
    /// The project whose failed lots this project procures again.
    pub round_of: Option<String>,
}

/// Another notice, by id.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NoticeRef {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub published_at: DateTime<Utc>,
}

/// The project's timeline as it stands after every correction.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InForce {
    pub bid_deadline: Option<DateTime<Utc>>,
    pub opening_at: Option<DateTime<Utc>>,
    /// Moved since this notice was published.
    pub changed: bool,
}

/// A notice with what changed it since (later corrections or results, the timeline in force,
/// new rounds): what `show` and `list` answer.
fn view_linked(conn: &mut DbConnection, n: Notice) -> Result<NoticeView> {
    let project = repo::find_project(conn, &n.project_id)?;
    let later: Vec<NoticeRef> = repo::notices_of(conn, &n.project_id)?
        .into_iter()
        .filter(|o| (o.published_at, &o.id) > (n.published_at, &n.id))
        .filter(|o| match n.kind {
            NoticeKind::Procurement | NoticeKind::Correction => o.kind == NoticeKind::Correction,
            NoticeKind::Result | NoticeKind::Failure => {
                matches!(o.kind, NoticeKind::Result | NoticeKind::Failure)
            }
            _ => false,
        })
        .map(|o| NoticeRef {
            id: o.id,
            kind: o.kind.to_string(),
            title: o.title,
            published_at: utc(o.published_at),
        })
        .collect();
    let mut v = view(n);
    if let Some(p) = project {
        if matches!(v.kind.as_str(), "procurement" | "correction") {
            let deadline = p.bid_deadline.map(utc);
            let opening = p.opening_at.map(utc);
            // What this notice stated: the procurement notice's times, a correction's `after`.
            let stated = |k: &str| {
                v.body[k]
                    .as_str()
                    .or_else(|| v.body[k]["after"].as_str())
                    .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                    .map(|t| t.with_timezone(&Utc))
            };
            let changed = stated("bid_deadline") != deadline || stated("opening_at") != opening;
            v.in_force = Some(InForce {
                bid_deadline: deadline,
                opening_at: opening,
                changed,
            });
        }
        v.next_rounds = repo::rounds_of_project(conn, &p.id)?;
        v.round_of = p.round_of;
    }
    v.changed_by = later;
    Ok(v)
}

pub fn view(n: Notice) -> NoticeView {
    let body: serde_json::Value = serde_json::from_str(&n.body).unwrap_or_default();
    let category_name = body["national"]["category"]["name"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| {
            crate::domain::messages::label(
                crate::domain::messages::Lang::Zh,
                "category",
                &n.category,
            )
        });
    NoticeView {
        region_name: crate::domain::region::name(&n.region),
        category_name,
        changed_by: Vec::new(),
        in_force: None,
        next_rounds: Vec::new(),
        round_of: None,
        body,
        id: n.id,
        project_id: n.project_id,
        kind: n.kind.to_string(),
        title: n.title,
        corrects_id: n.corrects_id,
        agency_id: n.agency_id,
        region: n.region,
        category: n.category,
        category_code: n.category_code,
        reserved_for_smes: n.reserved,
        published_at: utc(n.published_at),
        sha256: n.sha256,
    }
}

/// Filters of `GET /api/v1/notices` (and the Atom feed).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct NoticeParams {
    /// Region code prefix: `65` Xinjiang, `6531` Kashgar prefecture.
    #[param(pattern = "^[0-9]{1,6}$")]
    pub region: Option<String>,
    /// goods | services | works
    #[param(pattern = "^(goods|services|works)$")]
    pub category: Option<String>,
    /// 品目 code prefix, e.g. `A02`.
    pub category_code: Option<String>,
    pub agency_id: Option<String>,
    pub project_id: Option<String>,
    /// procurement | correction | result | failure | termination | complaint_ruling
    #[param(pattern = "^(procurement|correction|result|failure|termination|complaint_ruling)$")]
    pub kind: Option<String>,
    /// Published on or after this day (YYYY-MM-DD, Beijing time).
    pub from: Option<NaiveDate>,
    /// Published on or before this day (YYYY-MM-DD, Beijing time).
    pub to: Option<NaiveDate>,
    /// Only projects with (true) or without (false) an SME reservation.
    pub reserved: Option<bool>,
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(max_length = 2048)]
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NoticePage {
    pub items: Vec<NoticeView>,
    pub next_cursor: Option<String>,
}

/// A Beijing calendar day's start, in UTC.
fn beijing_day_start(day: NaiveDate) -> NaiveDateTime {
    crate::domain::beijing::start_of(day)
}

fn filter(params: &NoticeParams) -> Result<NoticeFilter> {
    let mut problems = Vec::new();
    if let Some(k) = params.kind.as_deref() {
        if k.parse::<NoticeKind>().is_err() {
            problems.push(coded(
                "kind",
                "problem.unknown_notice_kind",
                vec![("given", format!("{k:?}"))],
            ));
        }
    }
    if let Some(c) = params.category.as_deref() {
        if !matches!(c, "goods" | "services" | "works") {
            problems.push(coded(
                "category",
                "problem.unknown_category",
                vec![("given", format!("{c:?}"))],
            ));
        }
    }
    if let Some(r) = params.region.as_deref() {
        if r.is_empty() || r.len() > 6 || !r.bytes().all(|b| b.is_ascii_digit()) {
            problems.push(coded("region", "problem.region_prefix", vec![]));
        }
    }
    if let (Some(f), Some(t)) = (params.from, params.to) {
        if t < f {
            problems.push(coded("to", "problem.before_from", vec![]));
        }
    }
    if !problems.is_empty() {
        return Err(Error::Validation(problems));
    }
    Ok(NoticeFilter {
        region_prefix: params.region.clone(),
        category: params.category.clone(),
        category_code_prefix: params.category_code.clone(),
        agency_id: params.agency_id.clone(),
        kind: params.kind.clone(),
        from: params.from.map(beijing_day_start),
        until: params.to.and_then(|d| d.succ_opt()).map(beijing_day_start),
        reserved: params.reserved,
        project_id: params.project_id.clone(),
    })
}

fn cursor_of(n: &Notice) -> String {
    crate::domain::digest::hex(
        format!("{}|{}", n.published_at.and_utc().timestamp_micros(), n.id).as_bytes(),
    )
}

fn parse_cursor(text: &str) -> Result<(NaiveDateTime, String)> {
    let bad = || invalid("cursor", "problem.cursor_unknown", vec![]);
    let bytes = (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(bad)?;
    let s = String::from_utf8(bytes).map_err(|_| bad())?;
    let (micros, id) = s.split_once('|').ok_or_else(bad)?;
    let t = DateTime::from_timestamp_micros(micros.parse().map_err(|_| bad())?).ok_or_else(bad)?;
    Ok((t.naive_utc(), id.to_string()))
}

#[tracing::instrument(skip_all)]
pub fn list(conn: &mut DbConnection, params: &NoticeParams) -> Result<NoticePage> {
    let limit = params.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(invalid("limit", "problem.range_100", vec![]));
    }
    let f = filter(params)?;
    // An empty cursor is the first page, as with the catalogue.
    let after = params
        .cursor
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(parse_cursor)
        .transpose()?;
    let rows = repo::list_notices(conn, &f, after, limit + 1)?;
    let more = rows.len() as i64 > limit;
    let rows: Vec<Notice> = rows.into_iter().take(limit as usize).collect();
    let next_cursor = more.then(|| rows.last().map(cursor_of)).flatten();
    let mut items = Vec::with_capacity(rows.len());
    for n in rows {
        items.push(view_linked(conn, n)?);
    }
    Ok(NoticePage { items, next_cursor })
}

#[tracing::instrument(skip_all)]
pub fn show(conn: &mut DbConnection, id: &str) -> Result<NoticeView> {
    let n = repo::find_notice(conn, id)?
        .ok_or_else(|| Error::NotFound(format!("no notice with id {id}")))?;
    view_linked(conn, n)
}

fn xml_escape(text: &str, out: &mut String) {
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
}

/// The newest notices matching the filters as an Atom 1.0 feed (RFC 4287).
#[tracing::instrument(skip_all)]
pub fn atom(conn: &mut DbConnection, params: &NoticeParams, base_url: &str) -> Result<String> {
    let page = list(conn, params)?;
    let updated = page.items.first().map_or_else(
        || "1970-01-01T00:00:00Z".to_string(),
        |n| {
            n.published_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        },
    );
    let mut out = String::with_capacity(1024 + page.items.len() * 512);
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    out.push_str("<title>smeproc 政府采购公告</title>\n<id>urn:smeproc:notices</id>\n");
    out.push_str("<link rel=\"self\" href=\"");
    xml_escape(&format!("{base_url}/api/v1/notices.atom"), &mut out);
    out.push_str("\"/>\n<updated>");
    out.push_str(&updated);
    out.push_str("</updated>\n<author><name>smeproc</name></author>\n");
    for n in &page.items {
        out.push_str("<entry>\n<id>urn:uuid:");
        out.push_str(&n.id);
        out.push_str("</id>\n<title>");
        xml_escape(&n.title, &mut out);
        out.push_str("</title>\n<link href=\"");
        xml_escape(&format!("{base_url}/api/v1/notices/{}", n.id), &mut out);
        out.push_str("\"/>\n<updated>");
        out.push_str(
            &n.published_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        );
        out.push_str("</updated>\n<category term=\"");
        out.push_str(&n.kind);
        out.push_str("\"/>\n<summary>");
        xml_escape(
            &format!(
                "{} · {} · {} · {}",
                n.kind, n.category, n.category_code, n.region
            ),
            &mut out,
        );
        out.push_str("</summary>\n</entry>\n");
    }
    out.push_str("</feed>\n");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_title_says_caigou_once() {
        for (title, kind, expected) in [
            (
                "喀什地区教育局计算机采购",
                NoticeKind::Procurement,
                "喀什地区教育局计算机采购公告",
            ),
            ("办公家具", NoticeKind::Procurement, "办公家具采购公告"),
            ("计算机采购", NoticeKind::Correction, "计算机采购更正公告"),
            (
                "计算机采购",
                NoticeKind::Result,
                "计算机采购中标(成交)结果公告",
            ),
            ("采购", NoticeKind::Procurement, "采购公告"),
        ] {
            assert_eq!(notice_title(title, kind), expected);
        }
    }
}
