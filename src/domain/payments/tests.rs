use super::*;
use proptest::prelude::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn statutory() -> DailyRate {
    DailyRate::of(InterestBasis::Statutory, 500)
}

#[test]
fn the_shipped_terms_load_and_pick_the_text_in_force_on_signing() {
    let t = terms();
    assert!(t.regime_on(d(2020, 8, 31)).is_none());
    assert_eq!(t.regime_on(d(2020, 9, 1)).unwrap().id, "regulation-728");
    assert_eq!(t.regime_on(d(2025, 5, 31)).unwrap().id, "regulation-728");
    assert_eq!(t.regime_on(d(2025, 6, 1)).unwrap().id, "regulation-802");
    let r = t.regime("regulation-802").unwrap();
    assert_eq!(r.agency.default_days, Some(30));
    assert_eq!(r.agency.max_days, Some(60));
    assert_eq!(r.large_firm.default_days, Some(60));
    assert_eq!(r.large_firm.max_days, None);
    assert_eq!(r.default_daily_e4(), 500);
    assert_eq!(t.lpr_on(d(2025, 6, 1)), Some((30000, d(2025, 5, 20))));
    assert_eq!(t.lpr_on(d(2024, 10, 20)), Some((33500, d(2024, 7, 22))));
    assert_eq!(t.lpr_on(d(2019, 1, 1)), None);
}

#[test]
fn interest_matches_hand_computations_to_the_fen() {
    // 100 000.00 yuan due 2026-07-31 at 万分之五 a day.
    let due = d(2026, 7, 31);
    // (payments, through, fen)
    type Case<'a> = (&'a [(NaiveDate, i64)], NaiveDate, i64);
    let cases: [Case; 7] = [
        // On the due date: nothing. The day after: one day, 10 000 000 × 0.0005 = 5 000 fen.
        (&[], d(2026, 7, 31), 0),
        (&[], d(2026, 8, 1), 5_000),
        // Paid on the due date: nothing, ever.
        (&[(d(2026, 7, 31), 10_000_000)], d(2026, 12, 31), 0),
        // Paid on 8-01: one day late.
        (&[(d(2026, 8, 1), 10_000_000)], d(2026, 12, 31), 5_000),
        // 40 000 on 8-05, the rest on 8-20: 5 days on 100 000 and 15 days on 60 000:
        // (10 000 000 × 5 + 6 000 000 × 15) × 0.0005 = 70 000 fen.
        (
            &[(d(2026, 8, 5), 4_000_000), (d(2026, 8, 20), 6_000_000)],
            d(2026, 12, 31),
            70_000,
        ),
        // The same, looked at on 8-10: 5 days on 100 000, 5 on 60 000 = 40 000 fen.
        (
            &[(d(2026, 8, 5), 4_000_000), (d(2026, 8, 20), 6_000_000)],
            d(2026, 8, 10),
            40_000,
        ),
        // Paid early in part: 30 000 on 7-01 leaves 70 000 late for 10 days = 35 000 fen.
        (&[(d(2026, 7, 1), 3_000_000)], d(2026, 8, 10), 35_000),
    ];
    for (payments, through, fen) in cases {
        assert_eq!(
            interest(10_000_000, due, payments, through, statutory()),
            fen,
            "{payments:?} through {through}"
        );
    }
    // Half up once: 12 345.67 yuan, 3 days: 3 703 701 × 0.0005 = 1 851.8505 → 1 852 fen.
    assert_eq!(
        interest(1_234_567, due, &[], d(2026, 8, 3), statutory()),
        1_852
    );
    // An agreed 3.65 % a year is 0.01 % a day: 100 000.00 yuan, 10 days = 10 000 fen.
    assert_eq!(
        interest(
            10_000_000,
            due,
            &[],
            d(2026, 8, 10),
            DailyRate::of(InterestBasis::Agreed, 36_500)
        ),
        10_000
    );
    assert_eq!(
        interest(10_000_000, due, &[], d(2027, 1, 1), DailyRate::ZERO),
        0
    );
}

fn acceptance(days: u32, term: u32) -> InstalmentTerms {
    InstalmentTerms {
        trigger: Trigger::Acceptance,
        term_days: Some(term),
        acceptance_days: Some(days),
        warranty_days: None,
        due_on: None,
    }
}

#[test]
fn due_dates_run_from_the_milestone_and_a_late_acceptance_from_its_deadline() {
    let signed = d(2026, 6, 1);
    let m = |delivered: Option<NaiveDate>, accepted: Option<(NaiveDate, AcceptanceResult)>| {
        Milestones {
            signed_on: signed,
            delivered_on: delivered,
            accepted,
        }
    };
    let passed = |day| Some((day, AcceptanceResult::Passed));
    let t = acceptance(15, 30);
    // (milestones, due)
    let cases = [
        (m(None, None), Due::Pending),
        // Delivered, not accepted: due at the latest 30 days after the acceptance deadline.
        (m(Some(d(2026, 6, 20)), None), Due::On(d(2026, 8, 4))),
        // Accepted within the period: 30 days after acceptance.
        (
            m(Some(d(2026, 6, 20)), passed(d(2026, 7, 1))),
            Due::On(d(2026, 7, 31)),
        ),
        // Accepted after the period (6-20 + 15 = 7-05): runs from 7-05 (Art. 10).
        (
            m(Some(d(2026, 6, 20)), passed(d(2026, 7, 20))),
            Due::On(d(2026, 8, 4)),
        ),
        (
            m(
                Some(d(2026, 6, 20)),
                Some((d(2026, 7, 1), AcceptanceResult::Failed)),
            ),
            Due::Rejected,
        ),
    ];
    for (milestones, expected) in cases {
        assert_eq!(due(&t, &milestones), expected, "{milestones:?}");
    }
    let advance = InstalmentTerms {
        trigger: Trigger::Signing,
        term_days: Some(10),
        acceptance_days: None,
        warranty_days: None,
        due_on: None,
    };
    assert_eq!(due(&advance, &m(None, None)), Due::On(d(2026, 6, 11)));
    let on_delivery = InstalmentTerms {
        trigger: Trigger::Delivery,
        ..advance.clone()
    };
    assert_eq!(due(&on_delivery, &m(None, None)), Due::Pending);
    assert_eq!(
        due(&on_delivery, &m(Some(d(2026, 6, 20)), None)),
        Due::On(d(2026, 6, 30))
    );
    let retention = InstalmentTerms {
        trigger: Trigger::WarrantyEnd,
        warranty_days: Some(365),
        ..acceptance(15, 30)
    };
    assert_eq!(
        due(&retention, &m(Some(d(2026, 6, 20)), passed(d(2026, 7, 1)))),
        Due::On(d(2027, 7, 31))
    );
    let fixed = InstalmentTerms {
        trigger: Trigger::Date,
        term_days: None,
        acceptance_days: None,
        warranty_days: None,
        due_on: Some(d(2026, 9, 1)),
    };
    assert_eq!(due(&fixed, &m(None, None)), Due::On(d(2026, 9, 1)));
}

#[test]
fn an_instalment_is_flagged_the_day_after_its_due_date_and_cleared_by_payment() {
    let due_on = d(2026, 7, 31);
    let at = |payments: &[(NaiveDate, i64)], disputed: bool, today| {
        standing(
            10_000_000,
            Due::On(due_on),
            payments,
            disputed,
            statutory(),
            today,
        )
    };
    let s = at(&[], false, d(2026, 7, 31));
    assert_eq!((s.status, s.interest_fen, s.days_late), (Status::Due, 0, 0));
    let s = at(&[], false, d(2026, 8, 1));
    assert_eq!(
        (s.status, s.interest_fen, s.days_late, s.outstanding_fen),
        (Status::Overdue, 5_000, 1, 10_000_000)
    );
    let s = at(&[(d(2026, 8, 3), 10_000_000)], false, d(2026, 8, 10));
    assert_eq!(
        (s.status, s.interest_fen, s.days_late, s.paid_late),
        (Status::Paid, 15_000, 3, true)
    );
    // A payment dated after today does not count yet.
    let s = at(&[(d(2026, 8, 3), 10_000_000)], false, d(2026, 8, 2));
    assert_eq!((s.status, s.paid_fen), (Status::Overdue, 0));
    // Disputed: held, no interest while it lasts.
    let s = at(&[], true, d(2026, 9, 1));
    assert_eq!((s.status, s.interest_fen), (Status::Disputed, 0));
    let s = standing(1, Due::Rejected, &[], false, statutory(), d(2026, 9, 1));
    assert_eq!(s.status, Status::Rejected);
    let s = standing(1, Due::Pending, &[], false, statutory(), d(2026, 9, 1));
    assert_eq!(s.status, Status::Scheduled);
}

fn draft(kind: InstalmentKind, amount_fen: i64, trigger: Trigger) -> InstalmentDraft {
    InstalmentDraft {
        kind,
        amount_fen,
        trigger,
        term_days: None,
        acceptance_days: None,
        warranty_days: None,
        due_on: None,
    }
}

fn ctx(
    payer: Payer,
    payee_sme: bool,
    category: char,
    signed_on: NaiveDate,
) -> ScheduleContext<'static> {
    ScheduleContext {
        payer,
        payee_sme,
        category,
        total_fen: 10_000_000,
        signed_on,
        terms: terms(),
    }
}

fn fields(problems: &[Problem]) -> Vec<(String, &'static str)> {
    problems.iter().map(|p| (p.field.clone(), p.code)).collect()
}

#[test]
fn a_schedule_is_checked_against_the_terms_that_bind_its_payer() {
    let signed = d(2026, 6, 1);
    let agency = ctx(Payer::Agency, true, 'A', signed);
    let on_acceptance = |amount, term| InstalmentDraft {
        term_days: term,
        acceptance_days: Some(15),
        ..draft(InstalmentKind::Final, amount, Trigger::Acceptance)
    };
    // The default term applies; 60 days is the most an agency may agree.
    let fixed = check_schedule(&agency, &[on_acceptance(10_000_000, None)]).unwrap();
    assert_eq!(fixed[0].term_days, Some(30));
    assert!(check_schedule(&agency, &[on_acceptance(10_000_000, Some(60))]).is_ok());
    let refused = check_schedule(&agency, &[on_acceptance(10_000_000, Some(61))]).unwrap_err();
    assert_eq!(
        fields(&refused),
        [("instalments[0].term_days".to_string(), "problem.term_over")]
    );
    assert!(refused[0]
        .args
        .contains(&("source", "802号第九条第一款".to_string())));
    // The instalments add up to the amount.
    let refused = check_schedule(
        &agency,
        &[
            on_acceptance(4_000_000, None),
            on_acceptance(5_000_000, None),
        ],
    )
    .unwrap_err();
    assert_eq!(
        fields(&refused),
        [("instalments".to_string(), "problem.instalments_total")]
    );
    // An acceptance period longer than the terms allow (goods: 30 days, ours).
    let long = InstalmentDraft {
        acceptance_days: Some(31),
        ..on_acceptance(10_000_000, None)
    };
    assert_eq!(
        fields(&check_schedule(&agency, &[long]).unwrap_err()),
        [(
            "instalments[0].acceptance_days".to_string(),
            "problem.acceptance_days_over"
        )]
    );
    // An agency pays from a milestone, not on a date of its choosing.
    let dated = InstalmentDraft {
        due_on: Some(d(2026, 9, 1)),
        ..draft(InstalmentKind::Final, 10_000_000, Trigger::Date)
    };
    assert_eq!(
        fields(&check_schedule(&agency, std::slice::from_ref(&dated)).unwrap_err()),
        [(
            "instalments[0].runs_from".to_string(),
            "problem.fixed_date_agency"
        )]
    );
    // Retention: at most 10 % for goods (ours), 3 % for works.
    let with_retention = |retained| {
        vec![
            on_acceptance(10_000_000 - retained, None),
            InstalmentDraft {
                warranty_days: Some(365),
                acceptance_days: Some(15),
                ..draft(InstalmentKind::Retention, retained, Trigger::WarrantyEnd)
            },
        ]
    };
    assert!(check_schedule(&agency, &with_retention(1_000_000)).is_ok());
    assert_eq!(
        fields(&check_schedule(&agency, &with_retention(1_000_001)).unwrap_err()),
        [(
            "instalments[1].amount".to_string(),
            "problem.retention_over"
        )]
    );
    let works = ctx(Payer::Agency, true, 'B', signed);
    assert!(check_schedule(&works, &with_retention(300_000)).is_ok());
    assert!(check_schedule(&works, &with_retention(300_001)).is_err());
    // A payee that was large at signing: the regulation does not bind the term.
    let large_payee = ctx(Payer::Agency, false, 'A', signed);
    assert!(check_schedule(&large_payee, &[on_acceptance(10_000_000, Some(90))]).is_ok());
    assert_eq!(
        fields(&check_schedule(&large_payee, &[on_acceptance(10_000_000, None)]).unwrap_err()),
        [("instalments[0].term_days".to_string(), "problem.required")]
    );
}

#[test]
fn a_large_prime_has_sixty_days_by_default_under_802_and_none_under_728() {
    let prime = ctx(Payer::LargeFirm, true, 'A', d(2026, 6, 1));
    let on_delivery = |term| InstalmentDraft {
        term_days: term,
        ..draft(InstalmentKind::Final, 10_000_000, Trigger::Delivery)
    };
    assert_eq!(
        check_schedule(&prime, &[on_delivery(None)]).unwrap()[0].term_days,
        Some(60)
    );
    assert!(check_schedule(&prime, &[on_delivery(Some(90))]).is_ok());
    let before = ctx(Payer::LargeFirm, true, 'A', d(2024, 6, 1));
    assert_eq!(
        fields(&check_schedule(&before, &[on_delivery(None)]).unwrap_err()),
        [("instalments[0].term_days".to_string(), "problem.required")]
    );
    let dated = InstalmentDraft {
        due_on: Some(d(2026, 9, 1)),
        ..draft(InstalmentKind::Final, 10_000_000, Trigger::Date)
    };
    assert!(check_schedule(&prime, &[dated]).is_ok());
    let b2b = back_to_back(&prime, 2);
    assert_eq!(b2b.field, "instalments[2].runs_from");
    assert!(b2b.args[0].1.contains("802号第九条第二款"));
    assert!(back_to_back(&before, 0).args[0].1.contains("最高人民法院"));
}

#[test]
fn an_agreed_interest_rate_may_not_be_below_the_lpr_on_signing() {
    let agency = ctx(Payer::Agency, true, 'A', d(2025, 6, 1));
    assert_eq!(
        interest_terms(&agency, None),
        Ok((InterestBasis::Statutory, 500))
    );
    assert_eq!(
        interest_terms(&agency, Some(30000)),
        Ok((InterestBasis::Agreed, 30000))
    );
    let low = interest_terms(&agency, Some(29999)).unwrap_err();
    assert_eq!(low.code, "problem.interest_below_lpr");
    assert!(low.args.contains(&("lpr", "3.00".to_string())));
    assert!(low.args.contains(&("source", "802号第十七条".to_string())));
    let unbound = ctx(Payer::Sme, true, 'A', d(2025, 6, 1));
    assert_eq!(interest_terms(&unbound, None), Ok((InterestBasis::None, 0)));
    assert_eq!(
        interest_terms(&unbound, Some(100)),
        Ok((InterestBasis::Agreed, 100))
    );
}

fn payments_strategy() -> impl Strategy<Value = Vec<(i64, i64)>> {
    // (day offset from the due date, fen)
    proptest::collection::vec((-60i64..400, 1i64..5_000_000), 0..6)
}

fn dated(due_on: NaiveDate, offsets: &[(i64, i64)]) -> Vec<(NaiveDate, i64)> {
    offsets
        .iter()
        .map(|(o, f)| (due_on + chrono::Duration::days(*o), *f))
        .collect()
}

proptest! {
    /// More days late never means less interest: looking later, or paying later.
    #[test]
    fn interest_is_monotone_in_the_days_late(
        amount in 1i64..20_000_000,
        offsets in payments_strategy(),
        a in 0i64..500,
        b in 0i64..500,
        which in 0usize..6,
        delay in 0i64..100,
        agreed in 1i64..200_000,
    ) {
        let due_on = d(2026, 3, 31);
        for rate in [statutory(), DailyRate::of(InterestBasis::Agreed, agreed)] {
            let payments = dated(due_on, &offsets);
            let (early, late) = (a.min(b), a.max(b));
            let through = |days| due_on + chrono::Duration::days(days);
            prop_assert!(
                interest(amount, due_on, &payments, through(early), rate)
                    <= interest(amount, due_on, &payments, through(late), rate)
            );
            if !payments.is_empty() {
                let mut later = payments.clone();
                let i = which % later.len();
                later[i].0 += chrono::Duration::days(delay);
                prop_assert!(
                    interest(amount, due_on, &payments, through(late + 200), rate)
                        <= interest(amount, due_on, &later, through(late + 200), rate)
                );
            }
        }
    }

    /// Paid in full by the due date: no interest, however long one looks.
    #[test]
    fn interest_is_zero_when_paid_on_time(
        amount in 1i64..20_000_000,
        parts in proptest::collection::vec((0i64..90, 1i64..100), 1..5),
        days in 0i64..2000,
    ) {
        let due_on = d(2026, 3, 31);
        // Split the amount in proportion to the weights, all paid on or before the due date.
        let weight: i64 = parts.iter().map(|(_, w)| w).sum();
        let mut payments: Vec<(NaiveDate, i64)> = parts
            .iter()
            .map(|(early, w)| (due_on - chrono::Duration::days(*early), amount * w / weight))
            .collect();
        let paid: i64 = payments.iter().map(|(_, f)| f).sum();
        payments[0].1 += amount - paid;
        let through = due_on + chrono::Duration::days(days);
        prop_assert_eq!(interest(amount, due_on, &payments, through, statutory()), 0);
        let s = standing(amount, Due::On(due_on), &payments, false, statutory(), through);
        prop_assert_eq!(s.status, Status::Paid);
        prop_assert!(!s.paid_late);
    }
}

/// The worked example of docs/payments.md, step by step.
#[test]
fn the_worked_example_of_the_docs() {
    let signed_on = d(2026, 3, 1);
    let advance = InstalmentTerms {
        trigger: Trigger::Signing,
        term_days: Some(10),
        acceptance_days: None,
        warranty_days: None,
        due_on: None,
    };
    let last = InstalmentTerms {
        trigger: Trigger::Acceptance,
        term_days: Some(30),
        acceptance_days: Some(15),
        warranty_days: None,
        due_on: None,
    };
    let none = Milestones {
        signed_on,
        delivered_on: None,
        accepted: None,
    };
    assert_eq!(due(&advance, &none), Due::On(d(2026, 3, 11)));
    assert_eq!(due(&last, &none), Due::Pending);
    // Delivered 4-01: the acceptance period ends 4-16, so the clock runs from then at the latest.
    let delivered = Milestones {
        delivered_on: Some(d(2026, 4, 1)),
        ..none
    };
    assert_eq!(due(&last, &delivered), Due::On(d(2026, 5, 16)));
    // Accepted 4-10, within the period: due 30 days later, 5-10.
    let accepted = Milestones {
        accepted: Some((d(2026, 4, 10), AcceptanceResult::Passed)),
        ..delivered
    };
    assert_eq!(due(&last, &accepted), Due::On(d(2026, 5, 10)));
    // Accepted 4-20, late: the period's end counts, due 5-16.
    let late = Milestones {
        accepted: Some((d(2026, 4, 20), AcceptanceResult::Passed)),
        ..delivered
    };
    assert_eq!(due(&last, &late), Due::On(d(2026, 5, 16)));
    // 400 000.00 paid 5-20 and 300 000.00 on 6-09 of 700 000.00 due 5-10:
    // 10 days (5-11..5-20) × 700 000.00 × 0.05 % = 3 500.00, then
    // 20 days (5-21..6-09) × 300 000.00 × 0.05 % = 3 000.00; 6 500.00 in all.
    let paid = [(d(2026, 5, 20), 40_000_000), (d(2026, 6, 9), 30_000_000)];
    let on = |day| interest(70_000_000, d(2026, 5, 10), &paid, day, statutory());
    assert_eq!(on(d(2026, 5, 10)), 0);
    assert_eq!(on(d(2026, 5, 11)), 35_000);
    assert_eq!(on(d(2026, 5, 31)), 350_000 + 11 * 15_000);
    assert_eq!(on(d(2026, 12, 31)), 650_000);
}
