//! Organisations: agencies, departments and enterprises' accounts, created by admins (and by sign-up).

use super::*;
use crate::clock::Clock;
use crate::db::{self, orgs, DbConnection};
use crate::domain::{CreditCode, RegionCode};
use crate::error::{Cause, Error, Result};
use crate::service::audit::{self, Change};
use crate::wire::fields::coded;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use validator::Validate;

/// Body of `POST /api/v1/orgs` (and `smeproc org create`).
#[derive(Debug, Clone, Default, Deserialize, Validate, utoipa::ToSchema)]
pub struct CreateOrgRequest {
    /// agency (采购人/代理机构) | department (预算单位)
    #[schema(example = "department", pattern = "^(agency|department)$")]
    pub kind: String,
    #[validate(length(min = 1, max = 200))]
    #[schema(example = "自治区教育厅")]
    pub name: String,
    /// Unified social credit code (optional).
    pub credit_code: Option<String>,
    /// Six-digit GB/T 2260 region code (optional).
    pub region: Option<String>,
    /// Departments only: id of the 主管预算单位 (a department) this unit reports to.
    pub parent_id: Option<String>,
    /// 地址, as notices name it.
    #[validate(length(max = 200))]
    #[serde(default)]
    pub address: Option<String>,
    /// 联系人.
    #[validate(length(max = 50))]
    #[serde(default)]
    pub contact_name: Option<String>,
    /// 联系电话: digits, spaces, `+`, `-`, parentheses.
    #[validate(length(max = 30))]
    #[serde(default)]
    pub contact_phone: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrgView {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub credit_code: Option<String>,
    pub region: Option<String>,
    pub parent_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub address: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
}

impl From<orgs::Organisation> for OrgView {
    fn from(o: orgs::Organisation) -> Self {
        OrgView {
            id: o.id,
            kind: o.kind,
            name: o.name,
            credit_code: o.credit_code,
            region: o.region,
            parent_id: o.parent_id,
            created_at: o.created_at.and_utc(),
            address: o.address,
            contact_name: o.contact_name,
            contact_phone: o.contact_phone,
        }
    }
}

#[tracing::instrument(skip_all)]
pub fn create_org(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    actor: &str,
    req: &CreateOrgRequest,
) -> Result<OrgView> {
    let mut problems = match req.validate() {
        Ok(()) => Vec::new(),
        Err(e) => validation_problems(&e),
    };
    if let Some(c) = crate::domain::text::invisible(&req.name) {
        problems.push(crate::wire::fields::invisible_in("name", c));
    }
    if !matches!(req.kind.as_str(), "agency" | "department") {
        problems.push(coded(
            "kind",
            "problem.unknown_org_kind",
            vec![("given", format!("{:?}", req.kind))],
        ));
    }
    if let Some(code) = &req.credit_code {
        if let Err(e) = code.parse::<CreditCode>() {
            problems.push(crate::wire::fields::of("credit_code", &e));
        }
    }
    if let Some(region) = &req.region {
        if let Err(e) = region.parse::<RegionCode>() {
            problems.push(crate::wire::fields::of("region", &e));
        }
    }
    let mut parent_id = None;
    if let Some(key) = &req.parent_id {
        if req.kind != "department" {
            problems.push(coded("parent_id", "problem.parent_department_only", vec![]));
        } else {
            match orgs::find_by_id_or_name(conn, key)? {
                Some(p) if p.kind == "department" => parent_id = Some(p.id),
                Some(_) => problems.push(coded(
                    "parent_id",
                    "problem.parent_must_be_department",
                    vec![],
                )),
                None => problems.push(coded(
                    "parent_id",
                    "problem.no_department",
                    vec![("id", format!("{key:?}"))],
                )),
            }
        }
    }
    for (field, value) in [
        ("address", &req.address),
        ("contact_name", &req.contact_name),
        ("contact_phone", &req.contact_phone),
    ] {
        let value = value.as_deref().unwrap_or_default();
        if value.chars().any(char::is_control) {
            problems.push(coded(field, "problem.control_characters", vec![]));
        } else if let Some(c) = crate::domain::text::invisible(value) {
            problems.push(crate::wire::fields::invisible_in(field, c));
        }
    }
    if let Some(p) = req
        .contact_phone
        .as_deref()
        .filter(|p| !p.trim().is_empty())
    {
        if !p
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '(' | ')'))
            || !p.chars().any(|c| c.is_ascii_digit())
        {
            problems.push(coded("contact_phone", "problem.phone", vec![]));
        }
    }
    if !problems.is_empty() {
        return Err(Error::Validation(problems));
    }
    let id = db::new_id();
    let trimmed = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
    };
    let (address, contact_name, contact_phone) = (
        trimmed(&req.address),
        trimmed(&req.contact_name),
        trimmed(&req.contact_phone),
    );
    let new = orgs::NewOrganisation {
        id: &id,
        kind: &req.kind,
        name: req.name.trim(),
        credit_code: req.credit_code.as_deref(),
        region: req.region.as_deref(),
        parent_id: parent_id.as_deref(),
        created_at: clock.now_naive(),
        address: address.as_deref(),
        contact_name: contact_name.as_deref(),
        contact_phone: contact_phone.as_deref(),
    };
    crate::db::write(conn, |conn| {
        orgs::insert(conn, &new).map_err(|e| match Error::from(e) {
            Error::Conflict(..) => crate::service::refuse(
                Cause::Duplicate,
                "refusal.organisation_taken",
                vec![
                    ("kind", req.kind.to_string()),
                    ("name", format!("{:?}", req.name)),
                ],
            ),
            other => other,
        })?;
        let org = orgs::find_by_id(conn, &id)?
            .ok_or_else(|| anyhow::anyhow!("organisation vanished after insert"))?;
        let view = OrgView::from(org);
        audit::record(
            conn,
            clock,
            Change::new(actor, "org.create", "organisation", &id).after(&view),
        )?;
        Ok(view)
    })
}

/// Organisations, of one kind or all.
#[tracing::instrument(skip_all)]
pub fn list_orgs(conn: &mut DbConnection, kind: Option<&str>) -> Result<Vec<OrgView>> {
    Ok(orgs::list(conn, kind)?
        .into_iter()
        .map(OrgView::from)
        .collect())
}
