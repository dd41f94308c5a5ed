//! The clocks of remedies, counted by hand across 2026's holidays.

use super::*;

fn d(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

#[test]
fn the_rules_load_with_their_sources() {
    let r = rules();
    assert_eq!(r.challenge.working_days, 7);
    assert_eq!(r.answer.working_days, 7);
    assert_eq!(r.complaint.working_days, 15);
    assert_eq!(r.ruling.working_days, 30);
    assert_eq!(r.suspension.max_days, 30);
    assert_eq!(r.signing.days, 30);
    assert_eq!((r.debarment.min_years, r.debarment.max_years), (1, 3));
    assert_eq!(r.procurement_notice_days("open_tender"), 5);
    assert_eq!(r.procurement_notice_days("inquiry"), 3);
    assert_eq!(r.notice_periods.result, 1);
    assert!(r.challenge.source.contains("第五十二条"));
    assert!(r.complaint.source.contains("第五十五条"));
}

#[test]
fn a_notice_period_counts_its_publication_day_when_it_is_worked() {
    let c = Calendar::embedded();
    let cases = [
        // (published, working days, last day)
        ("2026-09-22", 5, "2026-09-29"), // Tue; 25–27 Sep 中秋 off
        ("2026-09-30", 1, "2026-09-30"), // a result notice on a working day ends that day
        ("2026-10-03", 1, "2026-10-08"), // published in the holiday: the next working day
        ("2026-10-09", 3, "2026-10-12"), // Fri, Sat 10 Oct (调休), Mon
        ("2026-02-13", 5, "2026-02-26"), // 13, Sat 14 (worked), 春节 15–23 off, 24, 25, 26
    ];
    for (published, n, want) in cases {
        assert_eq!(
            period_end(&c, d(published), n).unwrap(),
            d(want),
            "{n} working days from {published}"
        );
    }
}

#[test]
fn the_day_a_supplier_knew_follows_the_kind() {
    let end = d("2026-09-29");
    assert_eq!(
        known_day(KnownFrom::Documents {
            obtained: Some(d("2026-09-23")),
            notice_period_end: end
        }),
        (end, KnownBasis::NoticePeriodEnd)
    );
    assert_eq!(
        known_day(KnownFrom::Documents {
            obtained: Some(d("2026-10-09")),
            notice_period_end: end
        }),
        (d("2026-10-09"), KnownBasis::Obtained)
    );
    assert_eq!(
        known_day(KnownFrom::Documents {
            obtained: None,
            notice_period_end: end
        }),
        (end, KnownBasis::NoticePeriodEnd)
    );
    assert_eq!(
        known_day(KnownFrom::Process {
            step_end: d("2026-10-12")
        }),
        (d("2026-10-12"), KnownBasis::StepEnd)
    );
    assert_eq!(
        known_day(KnownFrom::Result {
            notice_period_end: d("2026-10-13")
        }),
        (d("2026-10-13"), KnownBasis::ResultPeriodEnd)
    );
}

#[test]
fn the_clocks_of_a_challenge_and_its_complaint() {
    let c = Calendar::embedded();
    // Knew on Tue 29 Sep: 30 Sep, then 国庆 1–7 Oct, 8, 9, Sat 10 (调休), 12, 13, 14.
    assert_eq!(
        challenge_deadline(&c, d("2026-09-29")).unwrap(),
        d("2026-10-14")
    );
    // Filed on Wed 14 Oct: answered by Fri 23 Oct.
    assert_eq!(answer_due(&c, d("2026-10-14")).unwrap(), d("2026-10-23"));
    // 15 working days after 23 Oct: 26 Oct … 13 Nov.
    assert_eq!(
        complaint_deadline(&c, d("2026-10-23")).unwrap(),
        d("2026-11-13")
    );
    // A complaint received on Mon 16 Nov: examined by 23 Nov, ruled by 28 Dec.
    assert_eq!(
        acceptance_due(&c, d("2026-11-16")).unwrap(),
        d("2026-11-23")
    );
    assert_eq!(ruling_due(&c, d("2026-11-16")).unwrap(), d("2026-12-28"));
    // Flagged the day after its deadline, not on it.
    assert!(!overdue(d("2026-10-23"), d("2026-10-23")));
    assert!(overdue(d("2026-10-23"), d("2026-10-24")));
    // A clock that runs into a year the calendar does not know is an error naming it.
    assert_eq!(
        ruling_due(&c, d("2026-12-10")),
        Err(CalendarError::UnknownYear(2027))
    );
}

#[test]
fn suspensions_signing_and_debarments_count_calendar_days_and_years() {
    assert_eq!(suspension_until(d("2026-11-16"), 30), Some(d("2026-12-15")));
    assert_eq!(suspension_until(d("2026-11-16"), 1), Some(d("2026-11-16")));
    assert_eq!(suspension_until(d("2026-11-16"), 31), None);
    assert_eq!(suspension_until(d("2026-11-16"), 0), None);
    assert_eq!(signing_due(d("2026-10-13")), d("2026-11-12"));
    assert_eq!(debarment_until(d("2026-11-16"), 1), Some(d("2027-11-15")));
    assert_eq!(debarment_until(d("2026-11-16"), 3), Some(d("2029-11-15")));
    assert_eq!(debarment_until(d("2028-02-29"), 1), Some(d("2029-02-27")));
    assert_eq!(debarment_until(d("2026-11-16"), 0), None);
    assert_eq!(debarment_until(d("2026-11-16"), 4), None);
}

#[test]
fn every_kind_reads_back_from_its_text() {
    for k in ChallengeKind::ALL {
        assert_eq!(k.as_str().parse::<ChallengeKind>(), Ok(*k));
    }
    for s in ComplaintState::ALL {
        assert_eq!(s.as_str().parse::<ComplaintState>(), Ok(*s));
    }
    for r in Remedy::ALL {
        assert_eq!(r.as_str().parse::<Remedy>(), Ok(*r));
    }
    for r in DebarmentReason::ALL {
        assert_eq!(r.as_str().parse::<DebarmentReason>(), Ok(*r));
    }
    assert!("upheld ".parse::<Finding>().is_err());
}
