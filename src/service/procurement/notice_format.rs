//! What the national format asks a notice to carry (政府采购公告和公示信息格式规范, 财办库〔2020〕
//! 50号), added to every notice at publication under `national`: the project number, the
//! region and the 品目 by name, the purchaser, the agency and the project contact, the notice
//! period in working days (财库〔2015〕135号), the challenge channel (政府采购法 Art. 52), and
//! for a procurement notice the requirements, the qualification requirements with the SME
//! policy applied, how and until when the documents are obtained, the opening place.

use crate::db::orgs;
use crate::db::procurement::{Lot, Project};
use crate::db::DbConnection;
use crate::domain::calendar::Calendar;
use crate::domain::lifecycle::NoticeKind;
use crate::domain::remedies::{self as rules};
use crate::domain::Fen;
use crate::error::Result;
use chrono::NaiveDate;
use serde_json::{json, Value};

/// The format's name, as the notice states it.
pub const STANDARD: &str = "政府采购公告和公示信息格式规范（财办库〔2020〕50号）";

fn party(o: Option<orgs::Organisation>) -> Value {
    match o {
        None => Value::Null,
        Some(o) => json!({
            "name": o.name, "address": o.address,
            "contact_name": o.contact_name, "contact_phone": o.contact_phone,
        }),
    }
}

/// The 品目 by name: the agency's name for it, else the top level's (货物, 工程, 服务).
pub fn category_name(p: &Project) -> String {
    p.category_name.clone().unwrap_or_else(|| {
        crate::domain::messages::label(crate::domain::messages::Lang::Zh, "category", &p.category)
    })
}

/// The SME policy a procurement notice states (财库〔2020〕46号 Art. 12: the notice says
/// whether the project is reserved for SMEs and the preferences it applies).
pub fn sme_policy(p: &Project, lots: &[Lot]) -> String {
    let profile = crate::domain::policy::profile(&p.policy_id);
    let title = profile.map_or(p.policy_id.clone(), |pr| pr.title_zh.clone());
    let terms: Value = serde_json::from_str(&p.terms).unwrap_or_default();
    let pct = |k: &str| {
        terms[k]
            .as_f64()
            .map(|v| format!("{v}"))
            .or_else(|| terms[k].as_str().map(str::to_string))
            .unwrap_or_else(|| "—".into())
    };
    let reserved: Vec<String> = lots
        .iter()
        .filter(|l| l.reserved)
        .map(|l| l.number.to_string())
        .collect();
    let deduction = format!(
        "对小型、微型企业报价给予 {}% 的价格扣除，联合体或分包中小微企业份额达到规定比例的给予 {}% 的价格扣除",
        pct("price_deduction_pct"),
        pct("consortium_deduction_pct")
    );
    let head = match p.reservation.as_str() {
        "whole" => "本项目整体专门面向中小企业采购，供应商须为中小企业（以《中小企业声明函》为准）"
            .to_string(),
        "lots" if reserved.len() == lots.len() => format!(
            "第 {} 包专门面向中小企业采购，供应商须为中小企业（以《中小企业声明函》为准）",
            reserved.join("、")
        ),
        "lots" => format!(
            "第 {} 包专门面向中小企业采购；其余采购包{deduction}",
            reserved.join("、")
        ),
        _ => format!(
            "本项目不专门面向中小企业采购（原因：{}）；{deduction}",
            p.reservation_reason.as_deref().unwrap_or("—")
        ),
    };
    let mut text = format!("{head}。执行《{title}》。");
    if p.policy_id == "xinjiang-2011" {
        text.push_str("疆内大型企业与中小企业组成的联合体视同中小企业；少数民族地区中小企业按规定加分；同等条件下中小企业优先。");
    }
    text
}

/// A notice period of `n` working days from its publication day.
fn period(cal: &Calendar, published: NaiveDate, n: u32) -> Result<Value> {
    let until = rules::period_end(cal, published, n).map_err(crate::service::calendar::refusal)?;
    Ok(json!({"working_days": n, "from": published, "until": until}))
}

/// The `national` section of a notice of `kind` about `p`, published on `published`.
pub fn national(
    conn: &mut DbConnection,
    cal: &Calendar,
    p: &Project,
    lots: &[Lot],
    kind: NoticeKind,
    published: NaiveDate,
) -> Result<Value> {
    let agency = orgs::find_by_id(conn, &p.agency_id)?;
    let purchaser = match &p.department_id {
        Some(d) => orgs::find_by_id(conn, d)?,
        None => agency.clone(),
    };
    let r = rules::rules();
    let mut out = json!({
        "standard": STANDARD,
        "project_number": p.number,
        "project_title": p.title,
        "region": {"code": p.region, "name": crate::domain::region::name(&p.region)},
        "category": {"code": p.category_code, "name": category_name(p)},
        "purchaser": party(purchaser),
        "agency": party(agency),
        "project_contact": {"name": p.contact_name, "phone": p.contact_phone},
        "challenge": {
            "channel": format!("供应商认为采购文件、采购过程或中标、成交结果使自己的权益受到损害的，可在知道或者应知其权益受到损害之日起 {} 个工作日内，通过本系统（项目页面“提出质疑”）以书面形式向采购人、采购代理机构提出质疑", r.challenge.working_days),
            "working_days": r.challenge.working_days,
            "source": r.challenge.source,
        },
    });
    match kind {
        NoticeKind::Procurement => {
            let days = r.procurement_notice_days(&p.procurement_method);
            out["notice_period"] = period(cal, published, days)?;
            out["notice_period_source"] = json!(r.notice_periods.source);
            out["budget"] = json!(Fen(p.budget_fen).to_string());
            out["max_prices"] = json!(lots
                .iter()
                .map(|l| json!({"lot": l.number, "max_price": l.max_price_fen.map(|f| Fen(f).to_string())}))
                .collect::<Vec<_>>());
            out["requirements"] = json!(p.requirements);
            out["contract_period"] = json!(p.contract_period);
            out["consortium_accepted"] = json!(true);
            out["qualification"] = json!({
                "law": "满足《中华人民共和国政府采购法》第二十二条规定",
                "sme_policy": sme_policy(p, lots),
                "specific": p.qualification.clone().unwrap_or_else(|| "无".into()),
            });
            out["documents"] = json!({
                "from": p.published_at.map(super::utc),
                "until": p.bid_deadline.map(super::utc),
                "how": "供应商登录本系统后在项目页面下载；获取记录在开标前不公开",
                "price": "0",
            });
            out["opening"] = json!({
                "deadline": p.bid_deadline.map(super::utc),
                "time": p.opening_at.map(super::utc),
                "place": p.opening_place.clone().unwrap_or_else(|| "本系统在线开标（电子投标文件由密钥持有人解密）".into()),
            });
        }
        NoticeKind::Result | NoticeKind::Failure => {
            out["notice_period"] = period(cal, published, r.notice_periods.result)?;
            out["notice_period_source"] = json!(r.notice_periods.source);
            out["signing"] = json!({"days": r.signing.days, "source": r.signing.source});
        }
        NoticeKind::Correction | NoticeKind::Termination | NoticeKind::ComplaintRuling => {}
    }
    Ok(out)
}
