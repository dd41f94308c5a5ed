//! Scale declarations (中小企业声明函): filed by suppliers, reviewed by admins, and the scale
//! an enterprise had on a given day.

use super::*;
use crate::clock::Clock;
use crate::db::enterprises::{self as repo, Declaration};
use crate::db::{self, DbConnection};
use crate::domain::lifecycle::DeclarationStatus;
use crate::domain::Scale;
use crate::error::{Cause, Error, Result};
use crate::service::audit::{self, Change};
use crate::wire::fields::{coded, invalid};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

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
            status: d.status.to_string(),
            review_reason: d.review_reason,
            reviewed_at: d.reviewed_at.map(|t| t.and_utc()),
            created_at: d.created_at.and_utc(),
        }
    }
}

/// An enterprise's declaration letters, newest first.
#[tracing::instrument(skip_all)]
pub fn declarations(conn: &mut DbConnection, enterprise_id: &str) -> Result<Vec<DeclarationView>> {
    let e = find(conn, enterprise_id)?;
    Ok(repo::declarations_of(conn, &e.id)?
        .into_iter()
        .map(DeclarationView::from)
        .collect())
}

/// Records a letter. The newest letter (by date) also becomes the enterprise's current figures.
#[tracing::instrument(skip_all)]
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
            problems.push(coded(
                "year",
                "problem.declaration_year",
                vec![("year", y.to_string())],
            ));
            None
        }
        None => {
            problems.push(crate::wire::fields::required("year"));
            None
        }
    };
    let declared_on = match req.declared_on {
        Some(d) if d <= today => Some(d),
        Some(d) => {
            problems.push(coded(
                "declared_on",
                "problem.in_the_future",
                vec![("day", d.to_string())],
            ));
            None
        }
        None => {
            problems.push(coded("declared_on", "problem.required_date", vec![]));
            None
        }
    };
    let declared = match req.declared_scale.as_deref() {
        None => {
            problems.push(crate::wire::fields::required("declared_scale"));
            None
        }
        Some(text) => text
            .parse::<Scale>()
            .map_err(|e| problems.push(crate::wire::fields::of("declared_scale", &e)))
            .ok(),
    };
    for (name, given) in [
        ("credit_code", req.credit_code.is_some()),
        ("name", req.name.is_some()),
        ("region", req.region.is_some()),
    ] {
        if given {
            problems.push(coded(name, "problem.not_in_declaration", vec![]));
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
        status: DeclarationStatus::Pending,
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

#[tracing::instrument(skip_all)]
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
            return Err(invalid("reason", "problem.required_when_rejecting", vec![]))
        }
        (Some(other), _) => {
            return Err(invalid(
                "status",
                "problem.unknown_decision",
                vec![("given", format!("{other:?}"))],
            ))
        }
        (None, _) => return Err(invalid("status", "problem.required_decision", vec![])),
    }
    let d = repo::find_declaration(conn, id)?
        .ok_or_else(|| Error::NotFound(format!("no declaration with id {id}")))?;
    if d.status != DeclarationStatus::Pending {
        return Err(crate::service::refuse(
            Cause::WrongState,
            "refusal.declaration_decided",
            vec![
                ("state", d.status.to_string()),
                (
                    "state_zh",
                    crate::domain::messages::label(
                        crate::domain::messages::Lang::Zh,
                        "state",
                        d.status.as_str(),
                    ),
                ),
            ],
        ));
    }
    // Checked above: verified or rejected.
    let status = match req.status.as_deref() {
        Some("verified") => DeclarationStatus::Verified,
        _ => DeclarationStatus::Rejected,
    };
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

#[tracing::instrument(skip_all)]
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
