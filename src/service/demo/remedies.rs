//! Demo remedies: the working-day calendar the demo needs, a challenge answered and complained
//! about, one left unanswered past its deadline, a debarment — through the same use cases.
use super::*;
use crate::clock::ManualClock;
use crate::error::Result;
use crate::service::calendar::{self, YearInput};
use crate::service::procurement::projects::ProjectView;
use crate::service::remedies::{challenges, complaints, debarments};
use crate::service::Actor;
use chrono::Duration;

impl Loader<'_> {
    /// The demo writes a year of history and deadlines into the next: a year the calendar does
    /// not know (shipped: 2025, 2026) is filled with weekends only, marked as demo data in its
    /// source, so that the demo runs in any year. A real installation imports the
    /// 国务院办公厅 notice instead (docs/remedies.md).
    pub(super) fn calendar_years(&mut self) -> Result<()> {
        let year = self
            .now
            .with_timezone(&crate::domain::beijing::offset())
            .year();
        let known: Vec<i32> = calendar::current(self.conn)?
            .years()
            .map(|(y, _)| y)
            .collect();
        for y in [year - 1, year, year + 1] {
            if known.contains(&y) {
                continue;
            }
            let input = YearInput {
                source: Some(format!(
                    "演示数据：{y} 年只按周末计算，未含法定节假日和调休；正式使用前由管理员按国务院办公厅通知导入"
                )),
                holidays: Some(Vec::new()),
                workdays: Vec::new(),
            };
            calendar::import(self.conn, &self.clock(0), &Actor::Cli, y, &input)?;
        }
        Ok(())
    }

    /// A challenge to the furniture result (answered, complained about, accepted), one to the
    /// projectors' evaluation left unanswered past its deadline, and a debarment.
    pub(super) fn remedies(
        &mut self,
        furniture: &ProjectView,
        projectors: &ProjectView,
        (firm, user): (usize, &str),
        (agent, agency): (&str, &str),
        refuser: usize,
    ) -> Result<()> {
        let enterprise = self.firms[firm].id.clone();
        let supplier = Actor::Supplier {
            enterprise_id: &enterprise,
            user_id: user,
        };
        let officer = Actor::Agency {
            agency_id: agency,
            user_id: agent,
        };
        let finance_id = crate::db::users::find_by_username(self.conn, "finance")?
            .map(|u| u.id)
            .unwrap_or_default();
        let finance = Actor::Finance {
            user_id: &finance_id,
        };
        let opened = |p: &ProjectView| p.opening_at.unwrap_or(self.now);
        let at = |p: &ProjectView, days: i64| ManualClock::new(opened(p) + Duration::days(days));
        let text = |kind: &str, facts: &str| challenges::ChallengeInput {
            kind: Some(kind.into()),
            facts: Some(facts.into()),
            grounds: Some(
                "《政府采购货物和服务招标投标管理办法》（财政部令第87号）第五十五条".into(),
            ),
            requests: Some("请依法复核评审结果。".into()),
            ..Default::default()
        };

        // The furniture result: challenged, answered, complained about, accepted.
        let mut input = text(
            "result",
            "评审委员会对我公司技术方案的评分明显低于采购文件规定的评分标准。",
        );
        input.lot_id = Some(furniture.lots[0].id.clone());
        let c = challenges::file(
            self.conn,
            &at(furniture, 3),
            self.keys,
            &supplier,
            &furniture.id,
            &input,
            &[],
        )?;
        let answer = challenges::AnswerInput {
            finding: Some("dismissed".into()),
            text: Some("经组织原评审委员会复核，评分符合采购文件规定，质疑不成立。".into()),
        };
        challenges::answer(self.conn, &at(furniture, 6), &officer, &c.id, &answer, &[])?;
        let complaint = complaints::ComplaintInput {
            facts: Some("采购人答复未回应评分标准第 3.2 条的适用问题。".into()),
            grounds: Some("《政府采购质疑和投诉办法》（财政部令第94号）第十七条".into()),
            requests: Some("请责令重新评审。".into()),
        };
        let cp = complaints::file(
            self.conn,
            &at(furniture, 8),
            self.keys,
            &supplier,
            &c.id,
            &complaint,
            &[],
        )?;
        let accept = complaints::AcceptInput {
            note: Some("投诉符合法定受理条件，予以受理。".into()),
            suspend_days: None,
        };
        complaints::accept(self.conn, &at(furniture, 10), &finance, &cp.id, &accept)?;

        // The projectors' evaluation: challenged, the answer overdue (flagged).
        let mut input = text(
            "process",
            "评审过程中未按采购文件规定核验投标人的中小企业声明函。",
        );
        input.lot_id = Some(projectors.lots[0].id.clone());
        input.step = Some("evaluation".into());
        challenges::file(
            self.conn,
            &at(projectors, 1),
            self.keys,
            &supplier,
            &projectors.id,
            &input,
            &[],
        )?;

        // A firm that refused to sign, debarred for a year.
        let record = debarments::DebarmentInput {
            credit_code: Some(self.firms[refuser].code.clone()),
            reason: Some("refused_to_sign".into()),
            text: Some("中标后无正当理由拒不与采购人签订政府采购合同。".into()),
            years: Some(1),
            ..Default::default()
        };
        debarments::record(
            self.conn,
            &ManualClock::new(self.now - Duration::days(30)),
            &finance,
            &record,
        )?;
        Ok(())
    }
}
