//! The contract check banks make before lending against a government contract (政府采购合同融资).

use crate::clock::Clock;
use crate::db::finance::{self as repo};
use crate::db::DbConnection;
use crate::domain::Fen;
use crate::error::{Error, Result};
use crate::wire::fields::coded;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// What a bank may learn about a contract: that it exists for this supplier, its amount, its
/// status and whether the payments on it are on time — nothing more.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ContractCheck {
    pub exists: bool,
    #[schema(value_type = Option<String>)]
    pub amount: Option<String>,
    pub status: Option<String>,
    pub signed_on: Option<NaiveDate>,
    /// none (no payment schedule yet) | on_time | late: an instalment of the contract (the
    /// agency's to the supplier) or of its subcontracts (the supplier's to its SMEs) is overdue.
    pub payment_status: Option<&'static str>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ContractCheckParams {
    /// 合同编号
    #[param(required = true, nullable = false, min_length = 1, max_length = 100)]
    pub number: Option<String>,
    /// The supplier's 统一社会信用代码.
    #[param(
        required = true,
        nullable = false,
        pattern = "^[0-9A-HJ-NPQRTUWXY]{18}$"
    )]
    pub credit_code: Option<String>,
}

#[tracing::instrument(skip_all)]
pub fn check_contract(
    conn: &mut DbConnection,
    clock: &dyn Clock,
    params: &ContractCheckParams,
) -> Result<ContractCheck> {
    let mut problems = Vec::new();
    if params.number.as_deref().is_none_or(|n| n.trim().is_empty()) {
        problems.push(crate::wire::fields::required("number"));
    }
    if params
        .credit_code
        .as_deref()
        .is_none_or(|n| n.trim().is_empty())
    {
        problems.push(crate::wire::fields::required("credit_code"));
    }
    if let Some(Err(e)) = params
        .credit_code
        .as_deref()
        .filter(|c| !c.trim().is_empty())
        .map(|c| c.trim().parse::<crate::domain::CreditCode>())
    {
        problems.push(crate::wire::fields::of("credit_code", &e));
    }
    if params
        .number
        .as_deref()
        .is_some_and(|n| n.chars().count() > 100)
    {
        problems.push(coded(
            "number",
            "problem.too_long",
            vec![("max", "100".into())],
        ));
    }
    let (Some(number), Some(code), true) = (
        params.number.as_deref(),
        params.credit_code.as_deref(),
        problems.is_empty(),
    ) else {
        return Err(Error::Validation(problems));
    };
    let found = repo::contract_by_number_and_supplier(conn, number.trim(), code.trim())?;
    let Some(c) = found else {
        // The same answer whether the number or the code is wrong: nothing to probe.
        return Ok(ContractCheck {
            exists: false,
            amount: None,
            status: None,
            signed_on: None,
            payment_status: None,
        });
    };
    let payment_status = super::late_status(conn, clock, &c.id)?;
    Ok(ContractCheck {
        exists: true,
        amount: Some(Fen(c.amount_fen).to_string()),
        status: Some(c.status.to_string()),
        signed_on: Some(c.signed_on),
        payment_status: Some(payment_status),
    })
}
