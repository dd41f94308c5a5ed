//! The enterprise registry: registration (by a supplier signing up, or by an admin), the SME
//! declaration letters (中小企业声明函) with their history and review, and who may see what.
//! Shared by the HTTP API, the pages and the CSV import ([`crate::service::imports::enterprises`]).

mod declarations;
mod signup;

pub use declarations::*;
pub use signup::*;

use crate::clock::Clock;
use crate::db::enterprises::{self as repo, Enterprise};
use crate::db::{self, DbConnection};
use crate::domain::classify::SizeFigures;
use crate::domain::enterprise::{effective_scale, LargeFirmRelation};
use crate::domain::messages;
use crate::domain::messages::Lang;
use crate::domain::policy;
use crate::domain::{CreditCode, RegionCode, Scale};
use crate::error::{Cause, Error, Result};
use crate::service::audit::{self, Change};
pub use crate::wire::csv::ImportError;
use crate::wire::fields::coded;
use crate::wire::FieldProblem;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// An enterprise and its size figures, as registered or declared.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct EnterpriseInput {
    /// 统一社会信用代码 (GB 32100), unique.
    #[schema(example = "91653100000000019P")]
    pub credit_code: Option<String>,
    pub name: Option<String>,
    /// Industry code of the 300号 table (see `POST /api/v1/classify`).
    #[schema(
        pattern = "^(accommodation|agriculture|catering|construction|industry|leasing_business|other|postal|property_management|real_estate|retail|software|telecom|transport|warehousing|wholesale)$"
    )]
    pub industry: Option<String>,
    pub employees: Option<u64>,
    /// 营业收入, 万元, decimal string (up to 4 decimals).
    #[schema(example = "1200.5")]
    pub revenue_wan: Option<String>,
    /// 资产总额, 万元, decimal string.
    pub assets_wan: Option<String>,
    /// Six-digit region code; default: characters 3–8 of the credit code.
    pub region: Option<String>,
    /// branch | controlled | shared_responsible_person: tied to a large firm → not an SME.
    #[schema(pattern = "^(branch|controlled|shared_responsible_person)$")]
    pub large_firm_relation: Option<String>,
}

/// What the public sees of an enterprise; the figures only for the owner, agencies, auditors
/// and admins.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EnterpriseView {
    pub id: String,
    pub credit_code: String,
    pub name: String,
    pub industry: String,
    /// Effective scale: micro | small | medium | large.
    pub scale: String,
    pub sme: bool,
    pub region: String,
    /// Registered in Xinjiang (疆内), by the active profile.
    pub xinjiang: bool,
    /// In a minority region (少数民族地区), by the active profile's list.
    pub minority_region: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub figures: Option<Figures>,
}

/// Size figures and the classification behind the scale.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Figures {
    pub employees: Option<i64>,
    pub revenue_wan: Option<String>,
    pub assets_wan: Option<String>,
    /// The scale the figures give (before any large-firm relation).
    pub computed_scale: String,
    pub large_firm_relation: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// fen → 万元 text without trailing zeros.
fn wan_text(fen: i64) -> String {
    let per_wan = 1_000_000;
    let whole = fen / per_wan;
    let frac = (fen % per_wan).abs();
    if frac == 0 {
        whole.to_string()
    } else {
        let s = format!("{whole}.{frac:06}");
        s.trim_end_matches('0').to_string()
    }
}

impl EnterpriseView {
    pub fn new(e: Enterprise, with_figures: bool) -> Self {
        let profile =
            policy::profile(policy::DEFAULT_PROFILE).or_else(|| policy::profiles().first());
        let region: Option<RegionCode> = e.region.parse().ok();
        let xinjiang = match (
            region,
            profile.and_then(|p| p.consortium.local_region_prefix.as_deref()),
        ) {
            (Some(r), Some(prefix)) => r.has_prefix(prefix),
            _ => false,
        };
        let minority_region = match (region, profile.and_then(|p| p.active_minority_bonus())) {
            (Some(r), Some(bonus)) => r.in_any(&bonus.region_prefixes),
            _ => false,
        };
        let scale: Scale = e.scale.parse().unwrap_or(Scale::Large);
        EnterpriseView {
            sme: scale.is_sme(),
            figures: with_figures.then(|| Figures {
                employees: e.employees,
                revenue_wan: e.revenue_fen.map(wan_text),
                assets_wan: e.assets_fen.map(wan_text),
                computed_scale: e.computed_scale.clone(),
                large_firm_relation: e.large_firm_relation.clone(),
                updated_at: e.updated_at.and_utc(),
            }),
            id: e.id,
            credit_code: e.credit_code,
            name: e.name,
            industry: e.industry,
            scale: e.scale,
            region: e.region,
            xinjiang,
            minority_region,
        }
    }
}

/// Checked figures and their classification.
struct Classified {
    industry: String,
    employees: Option<i64>,
    revenue_fen: Option<i64>,
    assets_fen: Option<i64>,
    relation: Option<LargeFirmRelation>,
    computed: Scale,
    effective: Scale,
}

/// Checks the figures (with `prefix` before each field name) and classifies them.
fn classify(
    input: &EnterpriseInput,
    prefix: &str,
    problems: &mut Vec<FieldProblem>,
) -> Option<Classified> {
    let field = |name: &str| format!("{prefix}{name}");
    let before = problems.len();
    // 万元 text → yuan (classification) and fen (storage).
    let mut money = |name: &str, value: &Option<String>| -> Option<(u64, i64)> {
        let text = value.as_deref()?;
        let yuan = crate::wire::classify::wan(&field(name), text)
            .map_err(|p| problems.push(p))
            .ok()?;
        let fen = i64::try_from(yuan).ok().and_then(|y| y.checked_mul(100));
        if fen.is_none() {
            problems.push(coded(field(name), "problem.decimal.too_large", vec![]));
        }
        Some((yuan, fen?))
    };
    let revenue = money("revenue_wan", &input.revenue_wan);
    let assets = money("assets_wan", &input.assets_wan);
    let relation = input.large_firm_relation.as_deref().and_then(|text| {
        text.parse::<LargeFirmRelation>()
            .map_err(|_| {
                problems.push(coded(
                    field("large_firm_relation"),
                    "problem.unknown_relation",
                    vec![("given", format!("{text:?}"))],
                ))
            })
            .ok()
    });
    if input.industry.is_none() {
        problems.push(crate::wire::fields::required(&field("industry")));
    }
    let industry = input
        .industry
        .as_deref()
        .filter(|_| problems.len() == before)?;
    let figures = SizeFigures {
        employees: input.employees,
        revenue_yuan: revenue.map(|(yuan, _)| yuan),
        assets_yuan: assets.map(|(yuan, _)| yuan),
    };
    match policy::size_standard().classify(industry, figures) {
        Ok(c) => Some(Classified {
            industry: industry.to_string(),
            employees: input.employees.and_then(|e| i64::try_from(e).ok()),
            revenue_fen: revenue.map(|(_, fen)| fen),
            assets_fen: assets.map(|(_, fen)| fen),
            relation,
            computed: c.scale,
            effective: effective_scale(c.scale, relation),
        }),
        Err(e) => {
            // The problem names the missing figure, or the industry itself.
            problems.push(match &e {
                crate::domain::classify::ClassifyError::MissingFigure { figure, .. } => {
                    let (code, params) = messages::classify_problem(&e);
                    coded(field(figure), code, params)
                }
                _ => crate::wire::fields::of(field("industry"), &e),
            });
            None
        }
    }
}

/// Checks a new enterprise; `prefix` names the fields inside a larger body (`enterprise.`).
#[tracing::instrument(skip_all)]
pub(crate) fn check_new(
    conn: &mut DbConnection,
    input: &EnterpriseInput,
    prefix: &str,
    now: chrono::NaiveDateTime,
) -> Result<Enterprise> {
    let mut problems = Vec::new();
    let field = |name: &str| format!("{prefix}{name}");
    let code = match input.credit_code.as_deref().map(str::trim) {
        None | Some("") => {
            problems.push(crate::wire::fields::required(&field("credit_code")));
            None
        }
        Some(text) => match text.parse::<CreditCode>() {
            Ok(c) => Some(c),
            Err(e) => {
                problems.push(crate::wire::fields::of(field("credit_code"), &e));
                None
            }
        },
    };
    let name = match input.name.as_deref().map(str::trim) {
        Some(n) if crate::domain::text::invisible(n).is_some() => {
            let c = crate::domain::text::invisible(n).unwrap_or_default();
            problems.push(crate::wire::fields::invisible_in(&field("name"), c));
            None
        }
        Some(n) if !n.is_empty() && n.chars().count() <= 200 => Some(n.to_string()),
        _ => {
            problems.push(
                FieldProblem::new(field("name"), "is required (1–200 characters)")
                    .said("problem.required_text", vec![("max", "200".into())]),
            );
            None
        }
    };
    let region = match (&input.region, &code) {
        (Some(text), _) => match text.parse::<RegionCode>() {
            Ok(r) => Some(r),
            Err(e) => {
                problems.push(
                    FieldProblem::new(field("region"), e.to_string())
                        .said("problem.region", vec![("got", format!("{:?}", e.0))]),
                );
                None
            }
        },
        (None, Some(code)) => match code.region() {
            Ok(r) => Some(r),
            Err(e) => {
                let (code, params) = messages::credit_code_problem(&e);
                let reason_zh = messages::said_in(Lang::Zh, code, &params);
                problems.push(coded(
                    field("region"),
                    "problem.region_from_code",
                    vec![("reason", e.to_string()), ("reason_zh", reason_zh)],
                ));
                None
            }
        },
        (None, None) => None,
    };
    let classified = classify(input, prefix, &mut problems);
    let (Some(code), Some(name), Some(region), Some(c), true) =
        (code, name, region, classified, problems.is_empty())
    else {
        return Err(Error::Validation(problems));
    };
    if repo::find_by_credit_code(conn, code.as_str())?.is_some() {
        return Err(crate::service::refuse(
            Cause::Duplicate,
            "refusal.credit_code_taken",
            vec![("code", code.to_string())],
        ));
    }
    Ok(Enterprise {
        id: db::new_id(),
        credit_code: code.to_string(),
        name,
        industry: c.industry,
        employees: c.employees,
        revenue_fen: c.revenue_fen,
        assets_fen: c.assets_fen,
        region: region.to_string(),
        computed_scale: c.computed.to_string(),
        large_firm_relation: c.relation.map(|r| r.to_string()),
        scale: c.effective.to_string(),
        created_at: now,
        updated_at: now,
    })
}

fn insert(conn: &mut DbConnection, e: &Enterprise) -> Result<()> {
    repo::insert(conn, e).map_err(|err| match Error::from(err) {
        Error::Conflict(..) => crate::service::refuse(
            Cause::Duplicate,
            "refusal.credit_code_taken",
            vec![("code", e.credit_code.clone())],
        ),
        other => other,
    })?;
    Ok(())
}

/// Registers an enterprise without an account (admins).
#[tracing::instrument(skip_all)]
pub fn register(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &str,
    input: &EnterpriseInput,
) -> Result<EnterpriseView> {
    crate::db::write(conn, |conn| register_in(conn, clock, actor, input))
}

fn register_in(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &str,
    input: &EnterpriseInput,
) -> Result<EnterpriseView> {
    let e = check_new(conn, input, "", clock.now_naive())?;
    {
        insert(conn, &e)?;
        let view = EnterpriseView::new(e.clone(), true);
        audit::record(
            conn,
            clock,
            Change::new(actor, "enterprise.register", "enterprise", &e.id).after(&view),
        )?;
        Ok(view)
    }
}

/// The id of the enterprise registered with a credit code, or 422 naming `field`.
#[tracing::instrument(skip_all)]
pub fn id_of_code(conn: &mut DbConnection, code: &str, field: &str) -> Result<String> {
    repo::find_by_credit_code(conn, code.trim())?
        .map(|e| e.id)
        .ok_or_else(|| {
            crate::wire::fields::invalid(
                field,
                "problem.code_not_registered",
                vec![("code", code.to_string())],
            )
        })
}

/// One page of the registry in credit-code order, with the first credit code of the next.
#[tracing::instrument(skip_all)]
pub fn list(
    conn: &mut DbConnection,
    region: Option<&str>,
    scale: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> Result<(Vec<EnterpriseView>, Option<String>)> {
    let rows = repo::list(conn, region, scale, after, limit + 1)?;
    let more = rows.len() as i64 > limit;
    let items: Vec<EnterpriseView> = rows
        .into_iter()
        .take(limit as usize)
        .map(|e| EnterpriseView::new(e, false))
        .collect();
    let next = more
        .then(|| items.last().map(|e| e.credit_code.clone()))
        .flatten();
    Ok((items, next))
}

#[tracing::instrument(skip_all)]
pub fn find(conn: &mut DbConnection, id: &str) -> Result<Enterprise> {
    repo::find_by_id(conn, id)?
        .ok_or_else(|| Error::NotFound(format!("no enterprise with id {id}")))
}
