//! `smeproc classify` and `POST /api/v1/classify` (CONTRACTS.md).

use super::FieldProblem;
use crate::domain::classify::{Classification, ClassifyError, SizeFigures};
use crate::domain::decimal::parse_scaled;
use serde::{Deserialize, Serialize};

/// Size figures of one firm (中小企业声明函 figures).
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ClassifyRequest {
    /// Industry code of the 300号 table: agriculture, industry, construction, wholesale, retail,
    /// transport, warehousing, postal, accommodation, catering, telecom, software, real_estate,
    /// property_management, leasing_business, other.
    #[schema(
        example = "industry",
        required = true,
        nullable = false,
        pattern = "^(accommodation|agriculture|catering|construction|industry|leasing_business|other|postal|property_management|real_estate|retail|software|telecom|transport|warehousing|wholesale)$"
    )]
    pub industry: Option<String>,
    /// 从业人员 (persons).
    #[schema(example = 1500)]
    pub employees: Option<u64>,
    /// 营业收入 in 万元: a decimal string, up to 4 decimals (JSON numbers are refused).
    #[schema(value_type = Option<String>, example = "30000")]
    pub revenue_wan: Option<Figure>,
    /// 资产总额 in 万元: a decimal string, up to 4 decimals (JSON numbers are refused).
    #[schema(value_type = Option<String>)]
    pub assets_wan: Option<Figure>,
}

/// A 万元 figure as given. Only a string is accepted (parsed exactly); a JSON number is read
/// only to name it in the refusal.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Figure {
    Number(serde_json::Number),
    Text(String),
}

/// The scale and the reasoning behind it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClassifyResponse {
    /// micro | small | medium | large
    #[schema(example = "medium")]
    pub scale: String,
    pub sme: bool,
    pub industry: String,
    /// One line per tier tested: which limits were met or missed.
    pub reasons: Vec<String>,
}

/// Parses a 万元 figure into yuan (exact to the yuan).
pub fn wan(field: &str, text: &str) -> Result<u64, FieldProblem> {
    let yuan = parse_scaled(text, 4).map_err(|e| crate::wire::fields::value_of(field, text, &e))?;
    u64::try_from(yuan)
        .map_err(|_| crate::wire::fields::coded(field, "problem.decimal.negative", vec![]))
}

/// Validates and classifies; every problem is named by its field.
pub fn classify(request: &ClassifyRequest) -> Result<ClassifyResponse, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let mut figure = |name: &str, value: &Option<Figure>| {
        value.as_ref().and_then(|v| match v {
            // CONTRACTS.md: amounts are decimal strings; a JSON number would be a float.
            Figure::Number(n) => {
                problems.push(crate::wire::fields::coded(
                    name,
                    "problem.wan_as_text",
                    vec![("example", n.to_string())],
                ));
                None
            }
            Figure::Text(text) => match wan(name, text) {
                Ok(yuan) => Some(yuan),
                Err(problem) => {
                    problems.push(problem);
                    None
                }
            },
        })
    };
    let figures = SizeFigures {
        employees: request.employees,
        revenue_yuan: figure("revenue_wan", &request.revenue_wan),
        assets_yuan: figure("assets_wan", &request.assets_wan),
    };
    let Some(industry) = request.industry.as_deref() else {
        problems.push(crate::wire::fields::required("industry"));
        return Err(problems);
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    let standard = crate::domain::policy::size_standard();
    match standard.classify(industry, figures) {
        Ok(Classification { scale, reasons }) => Ok(ClassifyResponse {
            scale: scale.to_string(),
            sme: scale.is_sme(),
            industry: industry.to_string(),
            reasons,
        }),
        Err(e) => {
            let field = match &e {
                ClassifyError::MissingFigure { figure, .. } => figure,
                ClassifyError::UnknownIndustry { .. } => "industry",
            };
            Err(vec![crate::wire::fields::of(field, &e)])
        }
    }
}
