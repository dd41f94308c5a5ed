//! Notices: writing one, a project's notices, and the public board's filtered, paged list.

use super::*;
use crate::db::schema::notices;
use crate::db::DbConnection;
use chrono::NaiveDateTime;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Identifiable, Insertable, serde::Serialize)]
#[diesel(table_name = notices)]
pub struct Notice {
    pub id: String,
    pub project_id: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub kind: NoticeKind,
    pub title: String,
    /// JSON: the notice's content as published.
    pub body: String,
    pub corrects_id: Option<String>,
    pub agency_id: String,
    pub region: String,
    pub category: String,
    pub category_code: String,
    pub reserved: bool,
    pub published_at: NaiveDateTime,
    /// SHA-256 of `body`.
    pub sha256: String,
}

pub fn notices_of(conn: &mut DbConnection, project_id: &str) -> QueryResult<Vec<Notice>> {
    notices::table
        .filter(notices::project_id.eq(project_id))
        .order((notices::published_at.asc(), notices::id.asc()))
        .load(conn)
}

pub fn find_notice(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Notice>> {
    notices::table.find(id).first(conn).optional()
}

/// Filters of the public notice list.
#[derive(Debug, Clone, Default)]
pub struct NoticeFilter {
    pub region_prefix: Option<String>,
    pub category: Option<String>,
    pub category_code_prefix: Option<String>,
    pub agency_id: Option<String>,
    pub kind: Option<String>,
    pub from: Option<NaiveDateTime>,
    pub until: Option<NaiveDateTime>,
    pub reserved: Option<bool>,
    pub project_id: Option<String>,
}

pub(super) fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 1);
    for ch in text.chars() {
        if matches!(ch, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('%');
    out
}

/// Newest first: (published_at, id) descending, after the keyset `after` when given.
pub fn list_notices(
    conn: &mut DbConnection,
    f: &NoticeFilter,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<Notice>> {
    let mut q = notices::table.into_boxed();
    if let Some(p) = &f.region_prefix {
        q = q.filter(notices::region.like(escape_like(p)).escape('\\'));
    }
    if let Some(c) = &f.category {
        q = q.filter(notices::category.eq(c.clone()));
    }
    if let Some(p) = &f.category_code_prefix {
        q = q.filter(notices::category_code.like(escape_like(p)).escape('\\'));
    }
    if let Some(a) = &f.agency_id {
        q = q.filter(notices::agency_id.eq(a.clone()));
    }
    if let Some(k) = &f.kind {
        q = q.filter(notices::kind.eq(k.clone()));
    }
    if let Some(t) = f.from {
        q = q.filter(notices::published_at.ge(t));
    }
    if let Some(t) = f.until {
        q = q.filter(notices::published_at.lt(t));
    }
    if let Some(r) = f.reserved {
        q = q.filter(notices::reserved.eq(r));
    }
    if let Some(p) = &f.project_id {
        q = q.filter(notices::project_id.eq(p.clone()));
    }
    if let Some((t, id)) = after {
        q = q.filter(
            notices::published_at
                .lt(t)
                .or(notices::published_at.eq(t).and(notices::id.lt(id))),
        );
    }
    q.order((notices::published_at.desc(), notices::id.desc()))
        .limit(limit)
        .load(conn)
}

pub fn insert_notice(conn: &mut DbConnection, n: &Notice) -> QueryResult<usize> {
    diesel::insert_into(notices::table)
        .values(n.clone())
        .execute(conn)
}
