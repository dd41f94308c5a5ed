//! The project part of an evaluation request: category, method, weights and the policy terms.

use super::FieldProblem;
use super::*;
use crate::domain::evaluation::{Category, Method, Project, Weights};
use crate::domain::policy::Profile;
use crate::domain::Hundredths;

fn category(text: &str) -> Option<Category> {
    match text {
        "goods" => Some(Category::Goods),
        "services" => Some(Category::Services),
        "works" => Some(Category::Works),
        _ => None,
    }
}

fn method(text: &str) -> Option<Method> {
    match text {
        "comprehensive" => Some(Method::Comprehensive),
        "lowest_price" => Some(Method::LowestPrice),
        _ => None,
    }
}

/// Checks a lot's evaluation terms against a profile exactly as [`parse`] does; problems are
/// named under `root` (e.g. `evaluation.weights.price`).
pub fn check_terms(
    profile: &Profile,
    input: &ProjectInput,
    root: &'static str,
) -> Result<Project, Vec<FieldProblem>> {
    let mut c = Checker {
        problems: Vec::new(),
    };
    match project_at(&mut c, profile, Some(input), root) {
        Some(project) if c.problems.is_empty() => Ok(project),
        _ => Err(c.problems),
    }
}

pub(super) fn project(
    c: &mut Checker,
    profile: &Profile,
    input: Option<&ProjectInput>,
) -> Option<Project> {
    project_at(c, profile, input, "project")
}

fn project_at(
    c: &mut Checker,
    profile: &Profile,
    input: Option<&ProjectInput>,
    root: &'static str,
) -> Option<Project> {
    let root = Path::root(root);
    let Some(input) = input else {
        c.push(&root, "is required");
        return None;
    };
    let cat_path = root.key("category");
    let cat = c.required(&input.category, &cat_path).and_then(|t| {
        category(t).or_else(|| {
            c.push(
                &cat_path,
                format!("unknown category {t:?}; expected goods, services or works"),
            );
            None
        })
    });
    let method_path = root.key("method");
    let meth = c.required(&input.method, &method_path).and_then(|t| {
        method(t).or_else(|| {
            c.push(
                &method_path,
                format!("unknown method {t:?}; expected comprehensive or lowest_price"),
            );
            None
        })
    });
    let (Some(cat), Some(meth)) = (cat, meth) else {
        return None;
    };
    let weights_path = root.key("weights");
    let weights = match (meth, &input.weights) {
        (Method::Comprehensive, None) => {
            c.push(&weights_path, "is required for comprehensive scoring");
            None
        }
        (Method::Comprehensive, Some(w)) => weights(c, profile, cat, w, &weights_path),
        (Method::LowestPrice, Some(_)) => {
            c.push(
                &weights_path,
                "applies only to comprehensive scoring; remove it for lowest_price",
            );
            None
        }
        (Method::LowestPrice, None) => None,
    };
    let d = &profile.deduction;
    let (sm_range, cons_range) = match cat {
        Category::Works => (&d.small_micro_works, &d.consortium_works),
        _ => (&d.small_micro_goods_services, &d.consortium_goods_services),
    };
    let label = format!("{} small/micro deduction", cat.as_str());
    let small_micro_rate = c.rate(
        input.price_deduction_pct,
        sm_range,
        &root.key("price_deduction_pct"),
        &label,
        profile,
    );
    let label = format!("{} consortium deduction", cat.as_str());
    let consortium_rate = c.rate(
        input.consortium_deduction_pct,
        cons_range,
        &root.key("consortium_deduction_pct"),
        &label,
        profile,
    );
    let bonus_path = root.key("minority_bonus_pct");
    let minority_bonus_rate = match (profile.active_minority_bonus(), input.minority_bonus_pct) {
        (Some(bonus), value) => c.rate(value, &bonus.rate, &bonus_path, "minority bonus", profile),
        (None, Some(_)) => {
            c.push(
                &bonus_path,
                format!("policy {} has no minority-region bonus (少数民族地区加分 is xinjiang-2011 only)", profile.id),
            );
            Hundredths::ZERO
        }
        (None, None) => Hundredths::ZERO,
    };
    Some(Project {
        category: cat,
        method: meth,
        reserved_for_smes: input.reserved_for_smes.unwrap_or(false),
        weights,
        small_micro_rate,
        consortium_rate,
        minority_bonus_rate,
    })
}

fn weights(
    c: &mut Checker,
    profile: &Profile,
    cat: Category,
    w: &WeightsInput,
    path: &Path<'_>,
) -> Option<Weights> {
    let price = c.required(&w.price, &path.key("price")).copied();
    let technical = c.required(&w.technical, &path.key("technical")).copied();
    let commercial = c.required(&w.commercial, &path.key("commercial")).copied();
    let (price, technical, commercial) = (price?, technical?, commercial?);
    let mut ok = true;
    for (name, v) in [
        ("price", price),
        ("technical", technical),
        ("commercial", commercial),
    ] {
        if v < Hundredths::ZERO {
            c.push(&path.key(name), "must not be negative");
            ok = false;
        }
    }
    let sum = price + technical + commercial;
    if sum != Hundredths::whole(100) {
        c.push(
            path,
            format!(
                "price + technical + commercial must be 100, got {}",
                sum.short()
            ),
        );
        ok = false;
    }
    let bounds = match cat {
        Category::Goods => &profile.price_weight.goods,
        Category::Services => &profile.price_weight.services,
        Category::Works => &profile.price_weight.works,
    };
    if !bounds.contains(price) {
        c.push(
            &path.key("price"),
            format!(
                "{} is outside the price-weight range {}–{} for {} under {}",
                price.short(),
                bounds.min.short(),
                bounds.max.short(),
                cat.as_str(),
                profile.id
            ),
        );
        ok = false;
    }
    ok.then_some(Weights {
        price,
        technical,
        commercial,
    })
}
