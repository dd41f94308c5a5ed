//! Demo tenders: projects taken as far as their stage (published … contracted) with their bids.
use super::*;
use crate::clock::ManualClock;
use crate::error::{Error, Result};
use crate::service::audit::CLI;
use crate::service::finance::{self, PaymentInput};
use crate::service::procurement::bids::{self, BidInput, QualificationInput, ScoresInput};
use crate::service::procurement::evaluation::{self, AwardInput, ContractInput, RunInput};
use crate::service::procurement::opening;
use crate::service::procurement::projects::{self, ProjectDraft};
use crate::service::Actor;
use chrono::{Datelike, Duration};
use serde_json::json;

/// How far a demo project goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Stage {
    Draft,
    Published,
    Closed,
    Opened,
    Evaluated,
    Awarded,
    Contracted,
}

/// A bid in a demo project.
pub(super) enum DemoBid {
    Single(usize, u64),
    /// Members with shares, price.
    Consortium(Vec<(usize, u32)>, u64),
    /// Bidder, subcontractor, share, price.
    Subcontracting(usize, usize, u32, u64),
}

pub(super) struct DemoProject<'a> {
    pub(super) title: &'a str,
    pub(super) department: &'a str,
    pub(super) agency: &'a str,
    pub(super) agency_user: &'a str,
    pub(super) category_code: &'a str,
    pub(super) region: &'a str,
    /// (title, budget yuan, reserved)
    pub(super) lots: Vec<(&'a str, u64, bool)>,
    /// Days before now it was drafted.
    pub(super) started: i64,
    pub(super) stage: Stage,
    pub(super) bids: Vec<DemoBid>,
}

impl Loader<'_> {
    /// A project taken to its stage; answers it as drafted (ids of the project and its lots).
    pub(super) fn project(&mut self, d: DemoProject<'_>) -> Result<projects::ProjectView> {
        let actor = Actor::Agency {
            agency_id: d.agency,
            user_id: d.agency_user,
        };
        let start = self.now - Duration::days(d.started);
        // Open bidding lasts 20 days; the opening follows an hour after the deadline. A
        // "closed" project opens two days from now; a "published" one closes in two weeks.
        let (deadline, opening) = match d.stage {
            Stage::Published | Stage::Draft => (
                self.now + Duration::days(14),
                self.now + Duration::days(14) + Duration::hours(1),
            ),
            Stage::Closed => (self.now - Duration::hours(3), self.now + Duration::days(2)),
            _ => (
                start + Duration::days(20),
                start + Duration::days(20) + Duration::hours(1),
            ),
        };
        let budget: u64 = d.lots.iter().map(|l| l.1).sum();
        let reserved_any = d.lots.iter().any(|l| l.2);
        let draft: ProjectDraft = serde_json::from_value(json!({
            "title": d.title,
            "department_id": d.department,
            "category": "goods",
            "category_code": d.category_code,
            "procurement_method": "open_tender",
            "policy": "xinjiang-2011",
            "evaluation": {"method": "comprehensive", "weights": {"price": 30, "technical": 50, "commercial": 20}},
            "budget": format!("{budget}.00"),
            "reservation": if reserved_any { "lots" } else { "none" },
            "reservation_reason": if reserved_any { None } else { Some("采购标的专业性强，中小企业无法提供（财库〔2020〕46号第六条）") },
            "region": d.region,
            "category_name": d.lots[0].0,
            "requirements": format!("{}，详见采购文件。", d.lots.iter().map(|(t, b, _)| format!("{t}（预算 {b} 元）")).collect::<Vec<_>>().join("、")),
            "contract_period": "合同签订后 30 日内交货并安装调试完毕",
            "contact_name": "项目经办人",
            "contact_phone": "0991-2800000",
            "bid_deadline": beijing_rfc3339(deadline),
            "opening_at": beijing_rfc3339(opening),
            "lots": d.lots.iter().map(|(t, b, r)| json!({"title": t, "budget": format!("{b}.00"), "reserved": r})).collect::<Vec<_>>(),
        }))
        .map_err(|e| Error::Internal(e.into()))?;
        let clock = ManualClock::new(start);
        let p = projects::create(self.conn, &clock, &actor, &draft)?;
        self.summary.projects += 1;
        // The tender documents (招标文件), attached to the draft: a one-page PDF.
        let pdf = tender_pdf(&p.id);
        let mut upload = crate::service::procurement::documents::Upload::begin(
            self.store,
            crate::service::procurement::documents::Purpose::Procurement,
            "",
            None,
            "tender",
            "招标文件.pdf",
            pdf.len() as u64,
        )?;
        upload.push(&pdf)?;
        let doc = upload.finish(self.store, "", start.naive_utc())?;
        crate::service::procurement::project_documents::attach(
            self.conn,
            &clock,
            &actor,
            &p.id,
            &[doc],
        )?;
        if d.stage == Stage::Draft {
            return Ok(p.clone());
        }
        let clock = ManualClock::new(start + Duration::hours(2));
        projects::publish(self.conn, &clock, self.keys, &actor, &p.id)?;
        // The agency's officer holds the only key share of each lot (no plan named). Where the
        // demo opens the lot it collects and gives it here; elsewhere the share waits for the
        // officer to collect it on the lot page and open the lot at its opening time.
        let mut shares = Vec::new();
        if d.stage >= Stage::Opened {
            for lot in &p.lots {
                shares.push(opening::collect_share(
                    self.conn, &clock, self.keys, &actor, &lot.id,
                )?);
            }
        }
        let lot = p.lots[0].id.clone();
        for (i, bid) in d.bids.iter().enumerate() {
            let (bidder, input) = match bid {
                DemoBid::Single(f, price) => (*f, json!({"price": format!("{price}.00")})),
                DemoBid::Consortium(members, price) => (
                    members[0].0,
                    json!({
                        "price": format!("{price}.00"),
                        "consortium": members.iter().map(|(f, s)| json!({"credit_code": self.firms[*f].code, "share_pct": s})).collect::<Vec<_>>(),
                        "related_parties": false,
                    }),
                ),
                DemoBid::Subcontracting(f, sub, share, price) => (
                    *f,
                    json!({
                        "price": format!("{price}.00"),
                        "subcontracts": [{"credit_code": self.firms[*sub].code, "share_pct": share}],
                    }),
                ),
            };
            let input: BidInput =
                serde_json::from_value(input).map_err(|e| Error::Internal(e.into()))?;
            let bid_time = match d.stage {
                Stage::Published => self.now - Duration::hours(30 - i as i64),
                Stage::Closed => self.now - Duration::hours(20 - i as i64),
                _ => start + Duration::days(3 + i as i64),
            };
            let firm = self.firms[bidder].id.clone();
            bids::submit(
                self.conn,
                &ManualClock::new(bid_time),
                self.keys,
                &Actor::Supplier {
                    enterprise_id: &firm,
                    user_id: CLI,
                },
                &lot,
                &input,
            )?;
            self.summary.bids += 1;
        }
        if d.stage == Stage::Published {
            // A correction notice (更正公告): the deadline moves two days later.
            let correction: projects::CorrectionInput = serde_json::from_value(json!({
                "text": "应供应商请求，投标截止时间和开标时间各延后两天。",
                "bid_deadline": beijing_rfc3339(deadline + Duration::days(2)),
                "opening_at": beijing_rfc3339(opening + Duration::days(2)),
            }))
            .map_err(|e| Error::Internal(e.into()))?;
            projects::correct(
                self.conn,
                &ManualClock::new(self.now - Duration::hours(1)),
                &actor,
                &p.id,
                &correction,
            )?;
        }
        if d.stage < Stage::Opened {
            return Ok(p.clone());
        }
        // The opening: the holder gives its share of every lot.
        let at = ManualClock::new(opening + Duration::minutes(5));
        for share in shares {
            let input = opening::ShareInput {
                share: Some(share.share),
            };
            opening::give_share(
                self.conn,
                &at,
                self.keys,
                self.store,
                &actor,
                &share.lot_id,
                &input,
            )?;
        }
        if d.stage == Stage::Opened {
            return Ok(p.clone());
        }
        // Evaluation day: qualification, three evaluators' sheets, the run.
        let day = ManualClock::new(opening + Duration::hours(2));
        let listed = bids::of_lot(self.conn, &day, &actor, &lot)?;
        let ids: Vec<String> = listed.bids.iter().map(|b| b.id.clone()).collect();
        let qualification: QualificationInput = serde_json::from_value(json!({
            "results": ids.iter().map(|id| json!({"bid_id": id, "qualified": true})).collect::<Vec<_>>()
        }))
        .map_err(|e| Error::Internal(e.into()))?;
        bids::qualify(self.conn, &day, &actor, &lot, &qualification)?;
        for evaluator in ["专家A", "专家B", "专家C"] {
            let sheet: ScoresInput = serde_json::from_value(json!({
                "evaluator": evaluator,
                "scores": ids.iter().map(|id| json!({
                    "bid_id": id,
                    "technical": 34 + self.rng.below(15),
                    "commercial": 12 + self.rng.below(8),
                })).collect::<Vec<_>>()
            }))
            .map_err(|e| Error::Internal(e.into()))?;
            bids::enter_scores(self.conn, &day, &actor, &lot, &sheet)?;
        }
        let run = evaluation::run(self.conn, &day, &actor, &lot, &RunInput::default())?;
        // Any further lots had no bids: their runs fail (废标).
        for other in p.lots.iter().skip(1) {
            evaluation::run(self.conn, &day, &actor, &other.id, &RunInput::default())?;
        }
        if d.stage <= Stage::Evaluated {
            return Ok(p.clone());
        }
        if run.outcome != "ranked" {
            // Every lot failed: the failure notice (废标公告) goes out.
            let day = ManualClock::new(opening + Duration::days(2));
            evaluation::publish_result(self.conn, &day, &actor, &p.id)?;
            return Ok(p.clone());
        }
        let day = ManualClock::new(opening + Duration::days(2));
        let awarded = evaluation::award(self.conn, &day, &actor, &lot, &AwardInput::default())?;
        evaluation::publish_result(self.conn, &day, &actor, &p.id)?;
        if d.stage <= Stage::Awarded {
            return Ok(p.clone());
        }
        let winner = awarded
            .awarded_bid_id
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("award without a bid")))?;
        let price = run.output["ranking"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["bid_id"] == winner.as_str())
            .and_then(|r| r["price"].as_str())
            .unwrap_or_default()
            .to_string();
        let signed = opening + Duration::days(6);
        let day = ManualClock::new(signed);
        let number = format!("XJ-{}-{:03}", signed.year(), self.summary.contracts + 1);
        let contract = evaluation::contract(
            self.conn,
            &day,
            &actor,
            &lot,
            &ContractInput {
                number: Some(number),
                amount: Some(price),
                signed_on: Some(
                    signed
                        .with_timezone(&crate::domain::beijing::offset())
                        .date_naive()
                        .to_string(),
                ),
            },
        )?;
        self.summary.contracts += 1;
        let today = crate::domain::beijing::day_of_instant(self.now);
        let signed_day = crate::domain::beijing::day_of_instant(signed);
        self.agency_payments(&actor, &contract.id, &contract.amount, signed_day, today)?;
        // Subcontract payments: the first falls due 30 days after signing and is paid on time;
        // a second, due 45 days after, is paid only where that day has not yet come — so one
        // subcontractor waits past its due day (flagged late). Recorded as of today.
        let now = ManualClock::new(self.now);
        let subs = finance::contract_subcontracts(self.conn, &day, None, &contract.id)?;
        let reporter = if subs.is_empty() {
            String::new()
        } else {
            self.user_of(&contract.supplier_id)?
        };
        for s in subs {
            let amount: rust_decimal::Decimal = s.amount.parse().unwrap_or_default();
            let half = (amount / rust_decimal::Decimal::from(2)).round_dp(2);
            let first_due = signed_day + Duration::days(30);
            let second_due = signed_day + Duration::days(45);
            for (due, pay, part) in [
                (
                    first_due,
                    (first_due <= today).then_some(first_due - Duration::days(2)),
                    half,
                ),
                (second_due, None, amount - half),
            ] {
                finance::report_payment(
                    self.conn,
                    &now,
                    &reporter,
                    &contract.supplier_id,
                    &s.id,
                    &PaymentInput {
                        amount: Some(json!(format!("{part:.2}"))),
                        due_on: Some(due),
                        paid_on: pay,
                    },
                )?;
                self.summary.payments += 1;
            }
        }
        Ok(p)
    }
}

impl Loader<'_> {
    /// The agency's payment schedule of a contract (保障中小企业款项支付条例): 30 % advance
    /// within 10 days of signing, 70 % within 30 days of acceptance (accepted within 15 days of
    /// delivery), delivery 20 days after signing and acceptance 10 days later. Each step is
    /// written on its day, none after today; the final payment of the first two SMEs whose day
    /// has passed is left unpaid, so the dashboard shows them overdue.
    fn agency_payments(
        &mut self,
        agency: &Actor<'_>,
        contract_id: &str,
        amount: &str,
        signed: chrono::NaiveDate,
        today: chrono::NaiveDate,
    ) -> Result<()> {
        use crate::service::payments::{milestones, record, schedules};
        let total: rust_decimal::Decimal = amount.parse().unwrap_or_default();
        let advance = (total * rust_decimal::Decimal::new(3, 1)).round_dp(2);
        let input = serde_json::from_value(json!({
            "instalments": [
                {"kind": "advance", "description": "合同签订后支付", "amount": format!("{advance:.2}"),
                 "runs_from": "signing", "term_days": 10},
                {"kind": "final", "description": "验收合格后支付", "amount": format!("{:.2}", total - advance),
                 "runs_from": "acceptance", "term_days": 30, "acceptance_days": 15},
            ]
        }))
        .map_err(|e| Error::Internal(e.into()))?;
        let at = |d: chrono::NaiveDate| {
            ManualClock::new(crate::domain::beijing::start_of(d).and_utc() + Duration::hours(10))
        };
        let view =
            schedules::set_for_contract(self.conn, &at(signed), agency, contract_id, &input)?;
        let (first, last) = (&view.instalments[0], &view.instalments[1]);
        let pay = |conn: &mut crate::db::DbConnection, id: &str, amount: &str, on| {
            let input = record::PaymentInput {
                amount: Some(json!(amount)),
                paid_on: Some(on),
                reference: Some(format!("GK{}", on.format("%Y%m%d"))),
            };
            record::record_payment(conn, &at(on), agency, id, &input)
        };
        let advance_paid = signed + Duration::days(7);
        if advance_paid <= today {
            pay(self.conn, &first.id, &first.amount, advance_paid)?;
            self.summary.payments += 1;
        }
        let (delivered, accepted) = (signed + Duration::days(20), signed + Duration::days(30));
        if delivered <= today {
            let input = milestones::DeliveryInput {
                delivered_on: Some(delivered),
                note: Some("货物已全部交付".into()),
            };
            milestones::record_delivery(self.conn, &at(delivered), agency, &last.id, &input, &[])?;
        }
        if accepted <= today {
            let input = milestones::AcceptanceInput {
                accepted_on: Some(accepted),
                result: Some("passed".into()),
                note: Some("验收合格".into()),
            };
            milestones::record_acceptance(self.conn, &at(accepted), agency, &last.id, &input, &[])?;
        }
        let final_paid = accepted + Duration::days(25);
        if final_paid > today {
            return Ok(());
        }
        if view.payee_scale != "large" && self.summary.late_payments < 2 {
            self.summary.late_payments += 1;
        } else {
            pay(self.conn, &last.id, &last.amount, final_paid)?;
            self.summary.payments += 1;
        }
        Ok(())
    }
}

/// A small valid PDF of one page saying which project's tender documents it stands for.
fn tender_pdf(project_id: &str) -> Vec<u8> {
    let text =
        format!("BT /F1 14 Tf 60 760 Td (Tender documents of project {project_id} - demo) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_string(),
        format!("<< /Length {} >>\nstream\n{text}\nendstream", text.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for at in offsets {
        out.extend_from_slice(format!("{at:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}
