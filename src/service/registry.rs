//! The enterprise registry: registration (by a supplier signing up, or by an admin), the SME
//! declaration letters (中小企业声明函) with their history and review, and who may see what.
//! Shared by the HTTP API and (later) the CSV import.

use crate::clock::Clock;
use crate::db::enterprises::{self as repo, Declaration, Enterprise};
use crate::db::{self, DbConnection};
use crate::domain::classify::SizeFigures;
use crate::domain::enterprise::{effective_scale, LargeFirmRelation};
use crate::domain::policy;
use crate::domain::{CreditCode, RegionCode, Scale};
use crate::error::{Error, Result};
use crate::service::accounts::{self, CreateUserRequest, UserView};
use crate::service::audit::{self, Change};
use crate::wire::classify::parse_wan;
pub use crate::wire::csv::ImportError;
use crate::wire::FieldProblem;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

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
        let yuan = parse_wan(text)
            .map_err(|m| problems.push(FieldProblem::new(field(name), m)))
            .ok()?;
        let fen = i64::try_from(yuan).ok().and_then(|y| y.checked_mul(100));
        if fen.is_none() {
            problems.push(FieldProblem::new(field(name), "is too large"));
        }
        Some((yuan, fen?))
    };
    let revenue = money("revenue_wan", &input.revenue_wan);
    let assets = money("assets_wan", &input.assets_wan);
    let relation = input.large_firm_relation.as_deref().and_then(|text| {
        text.parse::<LargeFirmRelation>()
            .map_err(|e| problems.push(FieldProblem::new(field("large_firm_relation"), e)))
            .ok()
    });
    if input.industry.is_none() {
        problems.push(FieldProblem::new(field("industry"), "is required"));
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
        Err(crate::domain::classify::ClassifyError::MissingFigure { figure, industry }) => {
            problems.push(FieldProblem::new(
                field(figure),
                format!("is required for industry {industry}"),
            ));
            None
        }
        Err(e) => {
            problems.push(FieldProblem::new(field("industry"), e.to_string()));
            None
        }
    }
}

/// Checks a new enterprise; `prefix` names the fields inside a larger body (`enterprise.`).
fn check_new(
    conn: &mut DbConnection,
    input: &EnterpriseInput,
    prefix: &str,
    now: chrono::NaiveDateTime,
) -> Result<Enterprise> {
    let mut problems = Vec::new();
    let field = |name: &str| format!("{prefix}{name}");
    let code = match input.credit_code.as_deref().map(str::trim) {
        None | Some("") => {
            problems.push(FieldProblem::new(field("credit_code"), "is required"));
            None
        }
        Some(text) => match text.parse::<CreditCode>() {
            Ok(c) => Some(c),
            Err(e) => {
                problems.push(FieldProblem::new(field("credit_code"), e.to_string()));
                None
            }
        },
    };
    let name = match input.name.as_deref().map(str::trim) {
        Some(n) if crate::domain::text::invisible(n).is_some() => {
            let c = crate::domain::text::invisible(n).unwrap_or_default();
            problems.push(FieldProblem::new(
                field("name"),
                crate::domain::text::invisible_problem(c),
            ));
            None
        }
        Some(n) if !n.is_empty() && n.chars().count() <= 200 => Some(n.to_string()),
        _ => {
            problems.push(FieldProblem::new(
                field("name"),
                "is required (1–200 characters)",
            ));
            None
        }
    };
    let region = match (&input.region, &code) {
        (Some(text), _) => match text.parse::<RegionCode>() {
            Ok(r) => Some(r),
            Err(e) => {
                problems.push(FieldProblem::new(field("region"), e.to_string()));
                None
            }
        },
        (None, Some(code)) => match code.region() {
            Ok(r) => Some(r),
            Err(e) => {
                problems.push(FieldProblem::new(field("region"), format!("give it: {e}")));
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
        return Err(Error::Conflict(format!(
            "an enterprise with credit code {code} is already registered"
        )));
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
        Error::Conflict(_) => Error::Conflict(format!(
            "an enterprise with credit code {} is already registered",
            e.credit_code
        )),
        other => other,
    })?;
    Ok(())
}

/// The actor of a self-service sign-up (no account exists before it).
pub const SIGNUP: &str = "signup";

/// Registers an enterprise without an account (admins).
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

/// Body of `POST /api/v1/auth/signup`: a supplier account and its enterprise.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct SignupRequest {
    #[schema(min_length = 3, max_length = 64, pattern = "^[a-z0-9._@-]*$")]
    pub username: String,
    /// At least 12 characters.
    #[schema(min_length = 12, max_length = 256)]
    pub password: String,
    pub display_name: Option<String>,
    pub enterprise: EnterpriseInput,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SignupResponse {
    pub user: UserView,
    pub enterprise: EnterpriseView,
}

/// Creates the enterprise and its supplier account together, or neither. Problems with the
/// account and with the enterprise are reported together.
pub fn signup(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    req: &SignupRequest,
) -> Result<SignupResponse> {
    let account = CreateUserRequest {
        username: req.username.clone(),
        display_name: req.display_name.clone(),
        role: "supplier".into(),
        password: req.password.clone(),
        agency_id: None,
        enterprise_credit_code: None,
    };
    let account_problems = accounts::account_problems(&account);
    // argon2 takes tens of milliseconds: hash before the transaction takes the write lock.
    let hash = if account_problems.is_empty() {
        Some(crate::service::auth::hash_password(&req.password)?)
    } else {
        None
    };
    crate::db::write(conn, |conn| {
        let e = match check_new(conn, &req.enterprise, "enterprise.", clock.now_naive()) {
            Err(Error::Validation(mut problems)) => {
                problems.splice(0..0, account_problems);
                return Err(Error::Validation(problems));
            }
            Err(other) => return Err(other),
            Ok(_) if !account_problems.is_empty() => {
                return Err(Error::Validation(account_problems))
            }
            Ok(e) => e,
        };
        insert(conn, &e)?;
        let view = EnterpriseView::new(e.clone(), true);
        audit::record(
            conn,
            clock,
            Change::new(SIGNUP, "enterprise.register", "enterprise", &e.id).after(&view),
        )?;
        let account = CreateUserRequest {
            enterprise_credit_code: Some(e.credit_code.clone()),
            ..account
        };
        let user = accounts::create_user_hashed(conn, clock, SIGNUP, &account, hash.as_deref())?;
        Ok(SignupResponse {
            user,
            enterprise: EnterpriseView::new(e, true),
        })
    })
}

/// Body of `POST /api/v1/enterprises/{id}/declarations`: one SME declaration letter.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct DeclarationRequest {
    /// The year the figures are for (上年度).
    #[schema(required = true, nullable = false, minimum = 2000)]
    pub year: Option<i32>,
    /// The letter's date, `YYYY-MM-DD`; it is in force from that day.
    #[schema(required = true, nullable = false)]
    pub declared_on: Option<NaiveDate>,
    /// The scale the firm declares: micro | small | medium | large.
    #[schema(
        required = true,
        nullable = false,
        pattern = "^(micro|small|medium|large)$"
    )]
    pub declared_scale: Option<String>,
    /// Industry code of the 300号 table.
    #[schema(
        required = true,
        nullable = false,
        pattern = "^(accommodation|agriculture|catering|construction|industry|leasing_business|other|postal|property_management|real_estate|retail|software|telecom|transport|warehousing|wholesale)$"
    )]
    pub industry: Option<String>,
    pub employees: Option<u64>,
    /// 营业收入, 万元, decimal string (up to 4 decimals).
    pub revenue_wan: Option<String>,
    /// 资产总额, 万元, decimal string.
    pub assets_wan: Option<String>,
    /// branch | controlled | shared_responsible_person: tied to a large firm → not an SME.
    #[schema(pattern = "^(branch|controlled|shared_responsible_person)$")]
    pub large_firm_relation: Option<String>,
    /// Not part of a letter (refused by name): changed on the enterprise itself.
    #[schema(ignore)]
    pub credit_code: Option<serde::de::IgnoredAny>,
    #[schema(ignore)]
    pub name: Option<serde::de::IgnoredAny>,
    #[schema(ignore)]
    pub region: Option<serde::de::IgnoredAny>,
}

impl DeclarationRequest {
    /// The figures, as the classification reads them.
    fn figures(&self) -> EnterpriseInput {
        EnterpriseInput {
            industry: self.industry.clone(),
            employees: self.employees,
            revenue_wan: self.revenue_wan.clone(),
            assets_wan: self.assets_wan.clone(),
            large_firm_relation: self.large_firm_relation.clone(),
            ..EnterpriseInput::default()
        }
    }
}

/// A declaration letter with the scale its figures give and its review.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeclarationView {
    pub id: String,
    pub enterprise_id: String,
    pub year: i32,
    pub declared_on: NaiveDate,
    pub industry: String,
    pub employees: Option<i64>,
    pub revenue_wan: Option<String>,
    pub assets_wan: Option<String>,
    pub large_firm_relation: Option<String>,
    pub declared_scale: String,
    /// What the figures give under the 300号 table (large if tied to a large firm).
    pub computed_scale: String,
    /// The declared scale differs from the computed one.
    pub mismatch: bool,
    /// pending | verified | rejected
    pub status: String,
    pub review_reason: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<Declaration> for DeclarationView {
    fn from(d: Declaration) -> Self {
        DeclarationView {
            mismatch: d.declared_scale != d.computed_scale,
            id: d.id,
            enterprise_id: d.enterprise_id,
            year: d.year,
            declared_on: d.declared_on,
            industry: d.industry,
            employees: d.employees,
            revenue_wan: d.revenue_fen.map(wan_text),
            assets_wan: d.assets_fen.map(wan_text),
            large_firm_relation: d.large_firm_relation,
            declared_scale: d.declared_scale,
            computed_scale: d.computed_scale,
            status: d.status,
            review_reason: d.review_reason,
            reviewed_at: d.reviewed_at.map(|t| t.and_utc()),
            created_at: d.created_at.and_utc(),
        }
    }
}

/// The id of the enterprise registered with a credit code, or 422 naming `field`.
pub fn id_of_code(conn: &mut DbConnection, code: &str, field: &str) -> Result<String> {
    repo::find_by_credit_code(conn, code.trim())?
        .map(|e| e.id)
        .ok_or_else(|| Error::field(field, format!("{code} is not registered")))
}

/// An enterprise's declaration letters, newest first.
pub fn declarations(conn: &mut DbConnection, enterprise_id: &str) -> Result<Vec<DeclarationView>> {
    let e = find(conn, enterprise_id)?;
    Ok(repo::declarations_of(conn, &e.id)?
        .into_iter()
        .map(DeclarationView::from)
        .collect())
}

/// One page of the registry in credit-code order, with the first credit code of the next.
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

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Enterprise> {
    repo::find_by_id(conn, id)?
        .ok_or_else(|| Error::NotFound(format!("no enterprise with id {id}")))
}

/// Records a letter. The newest letter (by date) also becomes the enterprise's current figures.
pub fn declare(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &str,
    enterprise_id: &str,
    req: &DeclarationRequest,
) -> Result<DeclarationView> {
    crate::db::write(conn, |conn| {
        declare_in(conn, clock, actor, enterprise_id, req)
    })
}

fn declare_in(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &str,
    enterprise_id: &str,
    req: &DeclarationRequest,
) -> Result<DeclarationView> {
    let mut problems = Vec::new();
    // The letter's date is a Beijing day: "today" from 00:00 to 24:00 Beijing time.
    let today = crate::domain::beijing::day_of_instant(clock.now());
    let year = match req.year {
        Some(y) if (2000..=chrono::Datelike::year(&today)).contains(&y) => Some(y),
        Some(y) => {
            problems.push(FieldProblem::new(
                "year",
                format!("{y} is not a year from 2000 to this year"),
            ));
            None
        }
        None => {
            problems.push(FieldProblem::new("year", "is required"));
            None
        }
    };
    let declared_on = match req.declared_on {
        Some(d) if d <= today => Some(d),
        Some(d) => {
            problems.push(FieldProblem::new(
                "declared_on",
                format!("{d} is in the future"),
            ));
            None
        }
        None => {
            problems.push(FieldProblem::new("declared_on", "is required (YYYY-MM-DD)"));
            None
        }
    };
    let declared = match req.declared_scale.as_deref() {
        None => {
            problems.push(FieldProblem::new("declared_scale", "is required"));
            None
        }
        Some(text) => text
            .parse::<Scale>()
            .map_err(|e| problems.push(FieldProblem::new("declared_scale", e.to_string())))
            .ok(),
    };
    for (name, given) in [
        ("credit_code", req.credit_code.is_some()),
        ("name", req.name.is_some()),
        ("region", req.region.is_some()),
    ] {
        if given {
            problems.push(FieldProblem::new(
                name,
                "is not part of a declaration; change the enterprise instead",
            ));
        }
    }
    let classified = classify(&req.figures(), "", &mut problems);
    let (Some(year), Some(declared_on), Some(declared), Some(c), true) =
        (year, declared_on, declared, classified, problems.is_empty())
    else {
        return Err(Error::Validation(problems));
    };
    let mut enterprise = find(conn, enterprise_id)?;
    let now = clock.now_naive();
    let d = Declaration {
        id: db::new_id(),
        enterprise_id: enterprise.id.clone(),
        year,
        declared_on,
        industry: c.industry.clone(),
        employees: c.employees,
        revenue_fen: c.revenue_fen,
        assets_fen: c.assets_fen,
        large_firm_relation: c.relation.map(|r| r.to_string()),
        declared_scale: declared.to_string(),
        computed_scale: c.effective.to_string(),
        status: "pending".into(),
        review_reason: None,
        reviewed_by: None,
        reviewed_at: None,
        created_at: now,
    };
    {
        let newest = repo::declarations_of(conn, &enterprise.id)?
            .first()
            .is_none_or(|n| n.declared_on <= declared_on);
        repo::insert_declaration(conn, &d)?;
        let view = DeclarationView::from(d.clone());
        audit::record(
            conn,
            clock,
            Change::new(actor, "declaration.create", "declaration", &d.id).after(&view),
        )?;
        if newest {
            let before = EnterpriseView::new(enterprise.clone(), true);
            enterprise.industry = c.industry;
            enterprise.employees = c.employees;
            enterprise.revenue_fen = c.revenue_fen;
            enterprise.assets_fen = c.assets_fen;
            enterprise.computed_scale = c.computed.to_string();
            enterprise.large_firm_relation = c.relation.map(|r| r.to_string());
            enterprise.scale = c.effective.to_string();
            enterprise.updated_at = now;
            repo::update(conn, &enterprise)?;
            let after = EnterpriseView::new(enterprise.clone(), true);
            audit::record(
                conn,
                clock,
                Change::new(actor, "enterprise.declare", "enterprise", &enterprise.id)
                    .before(&before)
                    .after(&after),
            )?;
        }
    }
    Ok(d.into())
}

/// Body of `POST /api/v1/declarations/{id}/review`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct ReviewRequest {
    /// verified | rejected
    #[schema(required = true, nullable = false, pattern = "^(verified|rejected)$")]
    pub status: Option<String>,
    /// Required when rejecting.
    pub reason: Option<String>,
}

pub fn review(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    id: &str,
    reviewer: &str,
    req: &ReviewRequest,
) -> Result<DeclarationView> {
    crate::db::write(conn, |conn| review_in(conn, clock, id, reviewer, req))
}

fn review_in(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    id: &str,
    reviewer: &str,
    req: &ReviewRequest,
) -> Result<DeclarationView> {
    let reason = req
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    match (req.status.as_deref(), reason) {
        (Some("verified"), _) => {}
        (Some("rejected"), Some(_)) => {}
        (Some("rejected"), None) => {
            return Err(Error::field("reason", "is required when rejecting"))
        }
        (Some(other), _) => {
            return Err(Error::field(
                "status",
                format!("{other:?}: expected verified or rejected"),
            ))
        }
        (None, _) => return Err(Error::field("status", "is required: verified or rejected")),
    }
    let d = repo::find_declaration(conn, id)?
        .ok_or_else(|| Error::NotFound(format!("no declaration with id {id}")))?;
    if d.status != "pending" {
        return Err(Error::Conflict(format!(
            "the declaration is already {}",
            d.status
        )));
    }
    let status = req.status.as_deref().unwrap_or_default();
    let before = DeclarationView::from(d);
    {
        repo::review(conn, id, status, reason, reviewer, clock.now_naive())?;
        let d = repo::find_declaration(conn, id)?
            .ok_or_else(|| Error::NotFound("declaration".into()))?;
        let after = DeclarationView::from(d);
        audit::record(
            conn,
            clock,
            Change::new(reviewer, "declaration.review", "declaration", id)
                .before(&before)
                .after(&after),
        )?;
        Ok(after)
    }
}

/// The scale an enterprise had on a day: the letter in force then (not rejected).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ScaleOn {
    pub enterprise_id: String,
    pub on: NaiveDate,
    /// The declared scale in force, or null when no letter covers the day.
    pub scale: Option<String>,
    pub declaration: Option<DeclarationView>,
}

pub fn scale_on(conn: &mut DbConnection, enterprise_id: &str, on: NaiveDate) -> Result<ScaleOn> {
    let e = find(conn, enterprise_id)?;
    let d = repo::declaration_on(conn, &e.id, on)?;
    Ok(ScaleOn {
        enterprise_id: e.id,
        on,
        scale: d.as_ref().map(|d| d.declared_scale.clone()),
        declaration: d.map(Into::into),
    })
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportOutcome {
    pub imported: u64,
    /// Rows refused (only with `skip_invalid`; otherwise any problem aborts the import).
    pub rejected: Vec<(csv::StringRecord, Vec<crate::wire::csv::RowProblem>)>,
}

const IMPORT_REQUIRED: [&str; 6] = [
    "credit_code",
    "name",
    "industry",
    "employees",
    "revenue_wan",
    "assets_wan",
];
const IMPORT_OPTIONAL: [&str; 2] = ["region", "large_firm_relation"];

/// `smeproc enterprise import`: registers every row of an enterprise CSV (CONTRACTS.md) in one
/// transaction. Without `skip_invalid`, any bad row means nothing is written and every problem is
/// returned; with it, good rows are written and bad ones come back with their reasons.
pub fn import(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &str,
    reader: &mut crate::wire::csv::CsvReader,
    skip_invalid: bool,
) -> std::result::Result<ImportOutcome, ImportError> {
    use crate::wire::csv::{Columns, RowProblem};
    let headers = reader
        .headers()
        .map_err(|e| ImportError::Invalid(vec![e]))?;
    let columns = Columns::from_header(&headers, &IMPORT_REQUIRED, &IMPORT_OPTIONAL)
        .map_err(ImportError::Invalid)?;
    crate::db::write(conn, |conn| {
        let mut outcome = ImportOutcome::default();
        let mut problems: Vec<RowProblem> = Vec::new();
        let mut seen: HashMap<String, u64> = HashMap::new();
        let mut record = csv::StringRecord::new();
        loop {
            let line = match reader.read(&mut record) {
                Ok(None) => break,
                Ok(Some(line)) => line,
                Err(problem) => {
                    // The reader cannot go on past a broken record: report and stop.
                    problems.push(problem);
                    break;
                }
            };
            let hidden = crate::wire::csv::invisible_cells(&headers, &record, line);
            if !hidden.is_empty() {
                if skip_invalid {
                    outcome.rejected.push((record.clone(), hidden));
                } else {
                    problems.extend(hidden);
                }
                continue;
            }
            let row_problems = import_row(conn, clock, actor, &columns, &record, line, &mut seen)?;
            if row_problems.is_empty() {
                outcome.imported += 1;
            } else if skip_invalid {
                outcome.rejected.push((record.clone(), row_problems));
            } else {
                problems.extend(row_problems);
            }
        }
        if problems.is_empty() {
            Ok(outcome)
        } else {
            Err(ImportError::Invalid(problems))
        }
    })
}

/// Checks and inserts one row; returns its problems (nothing inserted when there are any).
fn import_row(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &str,
    columns: &crate::wire::csv::Columns,
    record: &csv::StringRecord,
    line: u64,
    seen: &mut HashMap<String, u64>,
) -> std::result::Result<Vec<crate::wire::csv::RowProblem>, ImportError> {
    let now = clock.now_naive();
    use crate::wire::csv::RowProblem;
    let problem = |column: &str, reason: String| RowProblem {
        line,
        column: column.to_string(),
        reason,
    };
    let mut problems = Vec::new();
    let get = |c: &str| columns.get(record, c).map(str::to_string);
    let employees = match columns.get(record, "employees") {
        None => None,
        Some(text) => match text.parse::<u64>() {
            Ok(n) => Some(n),
            Err(_) => {
                problems.push(problem(
                    "employees",
                    format!("{text:?} is not a whole number of persons"),
                ));
                None
            }
        },
    };
    let input = EnterpriseInput {
        credit_code: get("credit_code"),
        name: get("name"),
        industry: get("industry"),
        employees,
        revenue_wan: get("revenue_wan"),
        assets_wan: get("assets_wan"),
        region: get("region"),
        large_firm_relation: get("large_firm_relation"),
    };
    if let Some(code) = input.credit_code.as_deref() {
        if let Some(first) = seen.get(code) {
            problems.push(problem(
                "credit_code",
                format!("{code} is already on line {first}"),
            ));
        }
    }
    // Every problem of the row, not just the first; a cell already reported is not reported
    // again as missing.
    let reported: Vec<String> = problems.iter().map(|p| p.column.clone()).collect();
    match check_new(conn, &input, "", now) {
        Ok(e) if problems.is_empty() => {
            seen.insert(e.credit_code.clone(), line);
            repo::insert(conn, &e)?;
            let view = EnterpriseView::new(e.clone(), true);
            audit::record(
                conn,
                clock,
                Change::new(actor, "enterprise.import", "enterprise", &e.id).after(&view),
            )
            .map_err(ImportError::Failed)?;
        }
        Ok(_) => {}
        Err(Error::Validation(list)) => problems.extend(
            list.into_iter()
                .filter(|p| !reported.contains(&p.field))
                .map(|p| problem(&p.field, p.message)),
        ),
        Err(Error::Conflict(message)) => problems.push(problem("credit_code", message)),
        Err(other) => return Err(ImportError::Failed(other)),
    }
    Ok(problems)
}
