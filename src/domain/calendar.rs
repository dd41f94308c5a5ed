//! The working-day calendar (工作日): China's public holidays and make-up working days (调休),
//! as data — one file per year, from the 国务院办公厅's notice of that year's holidays. A working
//! day is a Monday to Friday that is not a holiday, or a Saturday or Sunday named a working day.
//! The legal clocks of remedies (质疑 7 working days, 投诉 15, rulings 30: docs/remedies.md)
//! count in these; a day in a year the calendar does not know is an error, never a guess.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The years shipped with the code.
const EMBEDDED: [&str; 2] = [
    include_str!("calendar/2025.toml"),
    include_str!("calendar/2026.toml"),
];

/// A year's file, as shipped and as an admin imports a new year (`smeproc calendar import`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YearFile {
    pub year: i32,
    /// The notice it comes from (国务院办公厅关于 … 年部分节假日安排的通知).
    pub source: String,
    pub holidays: Vec<Holiday>,
    /// Saturdays and Sundays that are working days (调休上班).
    pub workdays: Vec<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Holiday {
    pub name: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// A day in a year without a calendar: the clock cannot be counted.
    #[error("the working-day calendar has no year {0}; an admin imports it (smeproc calendar import) from the 国务院办公厅 notice")]
    UnknownYear(i32),
    /// A year's file that does not hold: the entry (`holidays[1]`, `workdays[0]`), the
    /// message code (`problem.calendar_*`) and its parameters.
    #[error("{field}: {code} {params:?}")]
    Invalid {
        field: String,
        code: &'static str,
        params: Vec<(&'static str, String)>,
    },
    /// Not a year's file at all (TOML or JSON that does not parse).
    #[error("{0}")]
    Unreadable(String),
}

fn invalid(
    field: impl Into<String>,
    code: &'static str,
    params: Vec<(&'static str, String)>,
) -> CalendarError {
    CalendarError::Invalid {
        field: field.into(),
        code,
        params,
    }
}

/// One year: its holidays (by day, with the holiday's name) and its make-up working days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Year {
    pub source: String,
    holidays: BTreeMap<NaiveDate, String>,
    workdays: BTreeSet<NaiveDate>,
}

impl Year {
    /// Checks a year's file: every day in its year, each holiday's range in order and apart
    /// from the others, make-up days on a weekend and not in a holiday.
    pub fn from_file(file: &YearFile) -> Result<Year, CalendarError> {
        if !(2000..=2100).contains(&file.year) {
            return Err(invalid(
                "year",
                "problem.calendar_year",
                vec![("year", file.year.to_string())],
            ));
        }
        if file.source.trim().is_empty() {
            return Err(invalid("source", "problem.calendar_source", vec![]));
        }
        let year = file.year.to_string();
        let mut holidays = BTreeMap::new();
        for (i, h) in file.holidays.iter().enumerate() {
            let at = format!("holidays[{i}]");
            if h.from.year() != file.year || h.to.year() != file.year {
                return Err(invalid(
                    at,
                    "problem.calendar_outside_year",
                    vec![("name", h.name.clone()), ("year", year)],
                ));
            }
            if h.to < h.from {
                return Err(invalid(
                    at,
                    "problem.calendar_order",
                    vec![("name", h.name.clone())],
                ));
            }
            let mut d = h.from;
            while d <= h.to {
                if holidays.insert(d, h.name.clone()).is_some() {
                    return Err(invalid(
                        at,
                        "problem.calendar_overlap",
                        vec![("day", d.to_string())],
                    ));
                }
                d += Duration::days(1);
            }
        }
        let mut workdays = BTreeSet::new();
        for (i, d) in file.workdays.iter().enumerate() {
            let at = format!("workdays[{i}]");
            let day = vec![("day", d.to_string())];
            if d.year() != file.year {
                return Err(invalid(
                    at,
                    "problem.calendar_outside_year",
                    vec![("name", d.to_string()), ("year", year)],
                ));
            }
            if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
                return Err(invalid(at, "problem.calendar_weekday", day));
            }
            if holidays.contains_key(d) {
                return Err(invalid(at, "problem.calendar_workday_holiday", day));
            }
            workdays.insert(*d);
        }
        Ok(Year {
            source: file.source.clone(),
            holidays,
            workdays,
        })
    }

    /// The holiday a day falls in, if any.
    pub fn holiday(&self, day: NaiveDate) -> Option<&str> {
        self.holidays.get(&day).map(String::as_str)
    }
}

/// The calendar: the years it knows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Calendar {
    years: BTreeMap<i32, Year>,
}

impl Calendar {
    /// The years shipped with the code (2025, 2026), read once.
    pub fn embedded() -> Calendar {
        static SHIPPED: std::sync::OnceLock<Calendar> = std::sync::OnceLock::new();
        SHIPPED
            .get_or_init(|| {
                let mut c = Calendar::default();
                for file in shipped() {
                    c.add(&file)
                        .unwrap_or_else(|e| panic!("an embedded calendar year: {e}"));
                }
                c
            })
            .clone()
    }

    /// Adds (or replaces) a year.
    pub fn add(&mut self, file: &YearFile) -> Result<(), CalendarError> {
        let year = Year::from_file(file)?;
        self.years.insert(file.year, year);
        Ok(())
    }

    pub fn years(&self) -> impl Iterator<Item = (i32, &Year)> {
        self.years.iter().map(|(y, c)| (*y, c))
    }

    fn year(&self, day: NaiveDate) -> Result<&Year, CalendarError> {
        self.years
            .get(&day.year())
            .ok_or(CalendarError::UnknownYear(day.year()))
    }

    /// Whether people work on this day.
    pub fn is_working_day(&self, day: NaiveDate) -> Result<bool, CalendarError> {
        let y = self.year(day)?;
        Ok(if y.workdays.contains(&day) {
            true
        } else if y.holidays.contains_key(&day) {
            false
        } else {
            !matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
        })
    }

    /// The `n`-th working day after `day` (the day itself not counted): the last day of a
    /// period of `n` working days that starts the day after `day` (`day` for n = 0).
    pub fn working_days_after(&self, day: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
        let mut d = day;
        let mut left = n;
        while left > 0 {
            d += Duration::days(1);
            if self.is_working_day(d)? {
                left -= 1;
            }
        }
        Ok(d)
    }

    /// The first working day after `day`.
    pub fn next_working_day(&self, day: NaiveDate) -> Result<NaiveDate, CalendarError> {
        self.working_days_after(day, 1)
    }

    /// How many working days there are after `from` up to and including `to` (0 when `to` is
    /// not after `from`).
    pub fn working_days_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<u32, CalendarError> {
        let mut n = 0;
        let mut d = from;
        while d < to {
            d += Duration::days(1);
            if self.is_working_day(d)? {
                n += 1;
            }
        }
        Ok(n)
    }
}

/// The years shipped with the code, as files.
pub fn shipped() -> Vec<YearFile> {
    EMBEDDED
        .iter()
        .map(|t| parse(t).unwrap_or_else(|e| panic!("an embedded calendar year: {e}")))
        .collect()
}

/// Reads a year's file (TOML, as shipped in `src/domain/calendar/`).
pub fn parse(text: &str) -> Result<YearFile, CalendarError> {
    toml::from_str(text).map_err(|e| CalendarError::Unreadable(e.to_string()))
}

#[cfg(test)]
mod tests;
