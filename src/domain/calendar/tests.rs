//! Every holiday and make-up working day of 2025 and 2026, written out from the notices
//! (国办发明电〔2024〕12号; the 2026 notice of 2025-11-04) independently of the data files.

use super::*;

fn d(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

/// (first, last) days off of each holiday, and the make-up working days.
const HOLIDAYS_2025: [(&str, &str); 6] = [
    ("2025-01-01", "2025-01-01"),
    ("2025-01-28", "2025-02-04"),
    ("2025-04-04", "2025-04-06"),
    ("2025-05-01", "2025-05-05"),
    ("2025-05-31", "2025-06-02"),
    ("2025-10-01", "2025-10-08"),
];
const WORKDAYS_2025: [&str; 5] = [
    "2025-01-26",
    "2025-02-08",
    "2025-04-27",
    "2025-09-28",
    "2025-10-11",
];
const HOLIDAYS_2026: [(&str, &str); 7] = [
    ("2026-01-01", "2026-01-03"),
    ("2026-02-15", "2026-02-23"),
    ("2026-04-04", "2026-04-06"),
    ("2026-05-01", "2026-05-05"),
    ("2026-06-19", "2026-06-21"),
    ("2026-09-25", "2026-09-27"),
    ("2026-10-01", "2026-10-07"),
];
const WORKDAYS_2026: [&str; 6] = [
    "2026-01-04",
    "2026-02-14",
    "2026-02-28",
    "2026-05-09",
    "2026-09-20",
    "2026-10-10",
];

#[test]
fn every_holiday_day_is_off_and_the_days_around_it_follow_the_week() {
    let c = Calendar::embedded();
    let mut days_off = 0;
    for (from, to) in HOLIDAYS_2025.iter().chain(HOLIDAYS_2026.iter()) {
        let (from, to) = (d(from), d(to));
        let mut day = from;
        while day <= to {
            assert!(!c.is_working_day(day).unwrap(), "{day} is a holiday");
            days_off += 1;
            day += Duration::days(1);
        }
        // The day before and after: a working day unless a weekend (or a make-up day).
        for edge in [from - Duration::days(1), to + Duration::days(1)] {
            if edge.year() < 2025 || edge.year() > 2026 {
                continue;
            }
            let weekend = matches!(edge.weekday(), Weekday::Sat | Weekday::Sun);
            let make_up = WORKDAYS_2025
                .iter()
                .chain(WORKDAYS_2026.iter())
                .any(|w| d(w) == edge);
            assert_eq!(
                c.is_working_day(edge).unwrap(),
                !weekend || make_up,
                "{edge}"
            );
        }
    }
    assert_eq!(days_off, 28 + 33, "2025: 1+8+3+5+3+8, 2026: 3+9+3+5+3+3+7");
}

#[test]
fn every_make_up_day_is_a_working_weekend_day() {
    let c = Calendar::embedded();
    for w in WORKDAYS_2025.iter().chain(WORKDAYS_2026.iter()) {
        let day = d(w);
        assert!(
            matches!(day.weekday(), Weekday::Sat | Weekday::Sun),
            "{day}"
        );
        assert!(c.is_working_day(day).unwrap(), "{day} is worked (调休)");
    }
    // Each year's working days: its 261 weekdays, less the holidays' weekdays (2025: 18,
    // 2026: 19), plus the make-up days (5, 6).
    for (year, want) in [(2025, 248), (2026, 248)] {
        let first = d(&format!("{year}-01-01"));
        let counted = u32::from(c.is_working_day(first).unwrap())
            + c.working_days_between(first, d(&format!("{year}-12-31")))
                .unwrap();
        assert_eq!(counted, want, "{year}");
    }
}

#[test]
fn seven_working_days_cross_the_national_day_and_its_make_up_saturday() {
    let c = Calendar::embedded();
    // Known on Tuesday 29 September 2026: 30 Sep (1), 1–7 Oct off, 8 (2), 9 (3), Saturday 10
    // (4, 调休), 12 (5), 13 (6), 14 (7).
    assert_eq!(
        c.working_days_after(d("2026-09-29"), 7).unwrap(),
        d("2026-10-14")
    );
    assert_eq!(
        c.working_days_after(d("2026-09-29"), 8).unwrap(),
        d("2026-10-15")
    );
    assert_eq!(
        c.working_days_between(d("2026-09-29"), d("2026-10-14"))
            .unwrap(),
        7
    );
    // Across 中秋 and the make-up Sunday 20 September.
    assert_eq!(
        c.working_days_after(d("2026-09-17"), 2).unwrap(),
        d("2026-09-20")
    );
    assert_eq!(
        c.working_days_after(d("2026-09-24"), 1).unwrap(),
        d("2026-09-28")
    );
    // Spring Festival 2026: from Friday 13 February, Saturday 14 is worked, then nine days off.
    assert_eq!(
        c.next_working_day(d("2026-02-13")).unwrap(),
        d("2026-02-14")
    );
    assert_eq!(
        c.next_working_day(d("2026-02-14")).unwrap(),
        d("2026-02-24")
    );
    assert_eq!(
        c.working_days_after(d("2026-02-14"), 0).unwrap(),
        d("2026-02-14")
    );
    // Across the year's end: from Wednesday 31 December 2025, 1–3 January are off and Sunday
    // 4 January is worked.
    assert_eq!(
        c.next_working_day(d("2025-12-31")).unwrap(),
        d("2026-01-04")
    );
}

#[test]
fn a_day_in_a_year_without_a_calendar_is_an_error_naming_the_year() {
    let c = Calendar::embedded();
    assert_eq!(
        c.is_working_day(d("2027-03-01")),
        Err(CalendarError::UnknownYear(2027))
    );
    // A period running into the unknown year fails rather than guessing.
    assert_eq!(
        c.working_days_after(d("2026-12-28"), 7),
        Err(CalendarError::UnknownYear(2027))
    );
    let e = CalendarError::UnknownYear(2027).to_string();
    assert!(e.contains("2027") && e.contains("calendar import"), "{e}");
}

#[test]
fn a_bad_year_file_is_refused_naming_what_is_wrong() {
    let ok = parse(include_str!("2026.toml")).unwrap();
    let mut c = Calendar::default();
    c.add(&ok).unwrap();
    let refused = |f: YearFile| match Calendar::default().add(&f).unwrap_err() {
        CalendarError::Invalid { field, code, .. } => (field, code),
        other => panic!("{other}"),
    };
    let mut f = ok.clone();
    f.workdays.push(d("2026-03-03"));
    assert_eq!(
        refused(f),
        ("workdays[6]".into(), "problem.calendar_weekday")
    );
    let mut f = ok.clone();
    f.holidays[0].to = d("2025-12-31");
    assert_eq!(
        refused(f),
        ("holidays[0]".into(), "problem.calendar_outside_year")
    );
    let mut f = ok.clone();
    f.holidays[1].from = d("2026-01-02");
    f.holidays[1].to = d("2026-01-02");
    assert_eq!(
        refused(f),
        ("holidays[1]".into(), "problem.calendar_overlap")
    );
    let mut f = ok.clone();
    f.holidays[2].to = d("2026-04-01");
    assert_eq!(refused(f), ("holidays[2]".into(), "problem.calendar_order"));
    let mut f = ok.clone();
    f.workdays.push(d("2026-10-03"));
    assert_eq!(
        refused(f),
        ("workdays[6]".into(), "problem.calendar_workday_holiday")
    );
    let mut f = ok.clone();
    f.source = " ".into();
    assert_eq!(refused(f), ("source".into(), "problem.calendar_source"));
    assert!(parse("year = 2027\nsource = \"x\"\nholidays = []\nworkdays = []\nextra = 1").is_err());
}
