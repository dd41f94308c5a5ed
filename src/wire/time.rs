//! Times as the API and the files give them: RFC 3339 with an offset, stored as UTC.

use chrono::{DateTime, NaiveDateTime};

/// Parses an RFC 3339 time with its offset (`2026-03-20T09:30:00+08:00`) into stored UTC.
pub fn parse_time(text: &str) -> std::result::Result<NaiveDateTime, String> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.naive_utc())
        .map_err(|_| {
            format!(
                "{text:?} is not an RFC 3339 time with an offset, e.g. 2026-03-20T09:30:00+08:00"
            )
        })
}
