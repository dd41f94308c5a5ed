//! Open Contracting Data Standard 1.1 release packages: one release per published project
//! (its current state), per project and in bulk paged by the date of the last change.
//!
//! Parties carry `details.scale` (the ocds_partyDetails_scale extension: micro | small | medium |
//! large), lots carry `suitability.sme` when reserved for SMEs, and `bids.statistics` counts the
//! bids per lot once they are opened (before, the number of bidders is not disclosed). Amounts are JSON numbers written
//! from integer fen (exact for amounts below 10¹³ yuan).

use super::bids::content_of;
use super::{utc, Phase};
use crate::db::orgs;
use crate::db::procurement::{self as repo, Lot, Project};
use crate::db::DbConnection;
use crate::domain::lifecycle::{LotState, ProjectState};
use crate::error::{Error, Result};
use crate::wire::fields::invalid;
use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use serde::Deserialize;
use serde_json::{json, Value};

/// The OCID prefix; `ocds-` prefixes are assigned by the Open Contracting Partnership — replace
/// this placeholder with the registered one before publishing to the world.
pub const OCID_PREFIX: &str = "ocds-smeproc";

pub const EXTENSIONS: [&str; 3] = [
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_partyDetails_scale_extension/master/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_lots_extension/master/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/master/extension.json",
];

fn amount(fen: i64) -> Value {
    // Integer fen to a JSON number with two decimals' worth of precision: the shortest text
    // that round-trips is the exact decimal for amounts of at most 15 significant digits.
    json!({"amount": serde_json::Number::from_f64(fen as f64 / 100.0).map_or(Value::Null, Value::Number), "currency": "CNY"})
}

fn time(t: NaiveDateTime) -> String {
    utc(t).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// method.csv: open | selective | limited | direct.
fn ocds_method(method: &str) -> &'static str {
    match method {
        "open_tender" => "open",
        "single_source" => "limited",
        _ => "selective",
    }
}

struct Parties(Vec<Value>);

impl Parties {
    fn add(&mut self, id: String, name: &str, roles: &[&str], extra: Value) -> String {
        if let Some(p) = self.0.iter_mut().find(|p| p["id"] == id.as_str()) {
            let list = p["roles"].as_array_mut();
            if let Some(list) = list {
                for r in roles {
                    if !list.iter().any(|x| x == r) {
                        list.push(json!(r));
                    }
                }
            }
            return id;
        }
        let mut party = json!({"id": id, "name": name, "roles": roles});
        if let (Some(obj), Some(more)) = (party.as_object_mut(), extra.as_object()) {
            for (k, v) in more {
                obj.insert(k.clone(), v.clone());
            }
        }
        self.0.push(party);
        id
    }

    fn firm(&mut self, f: &super::bids::FirmSnapshot, roles: &[&str]) -> String {
        self.add(
            format!("CN-USCC-{}", f.credit_code),
            &f.name,
            roles,
            json!({
                "identifier": {"scheme": "CN-USCC", "id": f.credit_code, "legalName": f.name},
                "address": {"region": f.region, "countryName": "中国"},
                "details": {"scale": f.scale},
            }),
        )
    }
}

/// The release describing a project now.
#[tracing::instrument(skip_all)]
pub fn release(conn: &mut DbConnection, p: &Project, now: NaiveDateTime) -> Result<Value> {
    let phase = crate::service::procurement::phase(p, now);
    let lots = repo::lots_of(conn, &p.id)?;

    let contracts = repo::contracts_of(conn, &p.id)?;
    let mut parties = Parties(Vec::new());
    let agency = orgs::find_by_id(conn, &p.agency_id)?;
    let agency_name = agency.as_ref().map_or("", |a| a.name.as_str());
    let entity = parties.add(
        format!("org-{}", p.agency_id),
        agency_name,
        &["procuringEntity"],
        json!({}),
    );
    let buyer = match p.department_id.as_deref() {
        Some(d) => {
            let dept = orgs::find_by_id(conn, d)?;
            let name = dept.as_ref().map_or("", |o| o.name.as_str()).to_string();
            let id = parties.add(format!("org-{d}"), &name, &["buyer"], json!({}));
            json!({"id": id, "name": name})
        }
        None => {
            parties.add(entity.clone(), agency_name, &["buyer"], json!({}));
            json!({"id": entity, "name": agency_name})
        }
    };
    let opened = phase.is_opened();
    let mut tenderers = Vec::new();
    let mut awards = Vec::new();
    if opened {
        for lot in &lots {
            for b in repo::submitted_bids(conn, &lot.id)? {
                let c = content_of(&b)?;
                let firms: Vec<&super::bids::FirmSnapshot> = match &c.consortium {
                    None => vec![&c.supplier],
                    Some(m) => m.iter().map(|p| &p.firm).collect(),
                };
                let awarded = lot.awarded_bid_id.as_deref() == Some(b.id.as_str())
                    && matches!(phase, Phase::Awarded | Phase::Contracted);
                let roles: &[&str] = if awarded {
                    &["tenderer", "supplier"]
                } else {
                    &["tenderer"]
                };
                let mut refs = Vec::new();
                for f in firms {
                    let id = parties.firm(f, roles);
                    refs.push(json!({"id": id, "name": f.name}));
                    if !tenderers.iter().any(|t: &Value| t["id"] == id.as_str()) {
                        tenderers.push(json!({"id": id, "name": f.name}));
                    }
                }
                if awarded {
                    awards.push(json!({
                        "id": format!("{}-award", lot.id),
                        "title": lot.title,
                        "status": "active",
                        "date": lot.awarded_at.map(time),
                        "value": amount(b.price_fen),
                        "suppliers": refs,
                        "relatedLots": [lot.id],
                    }));
                }
            }
        }
    }
    let status = match phase {
        Phase::Draft => "planning",
        Phase::Published | Phase::Closed | Phase::Opened | Phase::Evaluated => "active",
        // Every lot ended by the agency (终止): the tender was cancelled, not unsuccessful.
        Phase::Failed if !lots.is_empty() && lots.iter().all(|l| l.terminated_at.is_some()) => {
            "cancelled"
        }
        Phase::Failed => "unsuccessful",
        Phase::Awarded | Phase::Contracted => "complete",
    };
    let mut tender = json!({
        "id": p.id,
        "title": p.title,
        "status": status,
        "procuringEntity": {"id": entity, "name": agency_name},
        "value": amount(p.budget_fen),
        "procurementMethod": ocds_method(&p.procurement_method),
        "procurementMethodDetails": super::projects::method_zh(&p.procurement_method),
        "mainProcurementCategory": p.category,
        "awardCriteriaDetails": p.evaluation_method,
        "items": [{"id": "1", "description": p.title, "classification": {"scheme": "CN-GPCC", "id": p.category_code}}],
        "lots": lots.iter().map(|l| {
            let mut lot = json!({"id": l.id, "title": l.title, "value": amount(l.budget_fen), "status": lot_status(l)});
            if l.reserved {
                lot["suitability"] = json!({"sme": true});
            }
            lot
        }).collect::<Vec<_>>(),
    });
    if let Some(deadline) = p.bid_deadline {
        tender["tenderPeriod"] =
            json!({"startDate": p.published_at.map(time), "endDate": time(deadline)});
    }
    if opened {
        tender["numberOfTenderers"] = json!(tenderers.len());
        tender["tenderers"] = Value::Array(tenderers);
    }
    // The number of bids is not disclosed before the opening (POLICY.md §6): no statistics.
    let statistics: Option<Vec<Value>> = if opened {
        let counts = repo::bid_counts(conn, &p.id)?;
        Some(
            lots.iter()
                .map(|l| {
                    let n = counts.iter().find(|(id, _)| *id == l.id).map_or(0, |(_, n)| *n);
                    json!({"id": format!("{}-bids", l.id), "measure": "bids", "value": n, "relatedLot": l.id})
                })
                .collect(),
        )
    } else {
        None
    };
    let contracts: Vec<Value> = contracts
        .iter()
        .map(|c| {
            json!({
                "id": c.id,
                "awardID": format!("{}-award", c.lot_id),
                "title": c.number,
                // A contract voided by a complaint's ruling.
                "status": if c.status == crate::domain::lifecycle::ContractStatus::Void { "cancelled" } else { "active" },
                "value": amount(c.amount_fen),
                "dateSigned": format!("{}T00:00:00+08:00", c.signed_on),
            })
        })
        .collect();
    let mut tag = vec!["tender"];
    if !awards.is_empty() {
        tag.push("award");
    }
    if !contracts.is_empty() {
        tag.push("contract");
    }
    let mut release = json!({
        "ocid": format!("{OCID_PREFIX}-{}", p.id),
        "id": format!("{}-{}", p.id, utc(p.updated_at).timestamp()),
        "date": time(p.updated_at),
        "tag": tag,
        "initiationType": "tender",
        "language": "zh",
        "parties": parties.0,
        "buyer": buyer,
        "tender": tender,
    });
    if let Some(statistics) = statistics {
        release["bids"] = json!({"statistics": statistics});
    }
    if !awards.is_empty() {
        release["awards"] = Value::Array(awards);
    }
    if !contracts.is_empty() {
        release["contracts"] = Value::Array(contracts);
    }
    // New rounds of failed lots (重新采购), both ways: the new round follows an unsuccessful
    // process, the old one is replaced by it (OCDS relatedProcess codelist, as we read it).
    let mut related = Vec::new();
    if let Some(prior) = p
        .round_of
        .as_deref()
        .and_then(|id| repo::find_project(conn, id).ok().flatten())
    {
        related.push(related_process(&prior, "unsuccessfulProcess"));
    }
    for id in repo::rounds_of_project(conn, &p.id)? {
        if let Some(next) =
            repo::find_project(conn, &id)?.filter(|n| n.state != ProjectState::Draft)
        {
            related.push(related_process(&next, "replacementProcess"));
        }
    }
    if !related.is_empty() {
        release["relatedProcesses"] = Value::Array(related);
    }
    Ok(release)
}

/// The OCDS tender status codelist for a lot: ended by the agency (终止) or voided by a ruling
/// → cancelled; failed for want of bids → unsuccessful.
fn lot_status(l: &Lot) -> &'static str {
    if l.state == LotState::Failed && l.terminated_at.is_some() {
        "cancelled"
    } else if l.state == LotState::Failed {
        "unsuccessful"
    } else if l.state.has_winner() {
        "complete"
    } else {
        "active"
    }
}

fn related_process(p: &Project, relationship: &str) -> Value {
    json!({
        "id": format!("{relationship}-{}", p.id),
        "relationship": [relationship],
        "title": p.title,
        "scheme": "ocid",
        "identifier": format!("{OCID_PREFIX}-{}", p.id),
    })
}

fn package(uri: String, releases: Vec<Value>, now: NaiveDateTime) -> Value {
    json!({
        "uri": uri,
        "version": "1.1",
        "extensions": EXTENSIONS,
        "publishedDate": time(now),
        "publisher": {"name": "smeproc"},
        "releases": releases,
    })
}

/// The release package of one published project.
#[tracing::instrument(skip_all)]
pub fn project_package(
    conn: &mut DbConnection,
    id: &str,
    now: NaiveDateTime,
    base_url: &str,
) -> Result<Value> {
    let p = super::find_project(conn, id)?;
    if p.state == ProjectState::Draft {
        return Err(Error::NotFound(format!("no project with id {id}")));
    }
    let r = release(conn, &p, now)?;
    Ok(package(
        format!("{base_url}/api/v1/projects/{id}/ocds"),
        vec![r],
        now,
    ))
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct BulkParams {
    /// Projects last changed on or after this day (YYYY-MM-DD, UTC).
    pub from: Option<NaiveDate>,
    /// … and before the end of this day.
    pub to: Option<NaiveDate>,
    /// 1–100, default 50.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page (also in the `Link` header).
    #[param(max_length = 2048)]
    pub cursor: Option<String>,
}

fn parse_cursor(text: &str) -> Result<(NaiveDateTime, String)> {
    let bad = || invalid("cursor", "problem.cursor_unknown", vec![]);
    let (micros, id) = text.split_once('_').ok_or_else(bad)?;
    let t = DateTime::<Utc>::from_timestamp_micros(micros.parse().map_err(|_| bad())?)
        .ok_or_else(bad)?;
    Ok((t.naive_utc(), id.to_string()))
}

/// Releases of every published project changed in the window, oldest change first; the second
/// value is the cursor of the next page.
#[tracing::instrument(skip_all)]
pub fn bulk(
    conn: &mut DbConnection,
    params: &BulkParams,
    now: NaiveDateTime,
    base_url: &str,
) -> Result<(Value, Option<String>)> {
    let limit = params.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(invalid("limit", "problem.range_100", vec![]));
    }
    if let (Some(f), Some(t)) = (params.from, params.to) {
        if t < f {
            return Err(invalid("to", "problem.before_from", vec![]));
        }
    }
    let from = params.from.and_then(|d| d.and_hms_opt(0, 0, 0));
    let until = params
        .to
        .and_then(|d| d.succ_opt())
        .and_then(|d| d.and_hms_opt(0, 0, 0));
    // An empty cursor is the first page, as with the catalogue.
    let after = params
        .cursor
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(parse_cursor)
        .transpose()?;
    let rows = repo::projects_changed(conn, from, until, after, limit + 1)?;
    let more = rows.len() as i64 > limit;
    let rows: Vec<Project> = rows.into_iter().take(limit as usize).collect();
    let next = more
        .then(|| {
            rows.last()
                .map(|p| format!("{}_{}", utc(p.updated_at).timestamp_micros(), p.id))
        })
        .flatten();
    let mut releases = Vec::with_capacity(rows.len());
    for p in &rows {
        releases.push(release(conn, p, now)?);
    }
    Ok((
        package(format!("{base_url}/api/v1/ocds/releases"), releases, now),
        next,
    ))
}
