//! Sealing records: the key holders of a project, each lot's public key and opening record,
//! the holders' share commitments, and the sealed bids (ciphertext and a keyed bidder tag).

use super::*;
use crate::db::schema::{key_holders, key_plans, key_shares, lot_keys, projects, sealed_bids};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Insertable)]
#[diesel(table_name = key_holders)]
pub struct KeyHolder {
    pub project_id: String,
    pub position: i32,
    pub user_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Insertable)]
#[diesel(table_name = lot_keys)]
pub struct LotKey {
    pub lot_id: String,
    pub public_key: String,
    pub threshold: i32,
    pub holders: i32,
    pub created_at: NaiveDateTime,
    pub opened_at: Option<NaiveDateTime>,
    pub opened_by: Option<String>,
    /// The opening record (JSON), written once at the opening.
    pub record: Option<String>,
    pub record_sha256: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Insertable)]
#[diesel(table_name = key_shares)]
pub struct KeyShare {
    pub lot_id: String,
    pub number: i32,
    pub holder_id: String,
    pub commitment: String,
    /// The share sealed to the server's escrow key until its holder collects it.
    pub escrow: Option<Vec<u8>>,
    pub collected_at: Option<NaiveDateTime>,
    /// The share handed back at the opening, sealed the same way, until the lot opens.
    pub given: Option<Vec<u8>>,
    pub given_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Identifiable, Insertable)]
#[diesel(table_name = sealed_bids)]
pub struct SealedBid {
    pub id: String,
    pub lot_id: String,
    pub project_id: String,
    pub bidder_tag: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub state: BidState,
    /// `server` (sealed on receipt) or `bidder` (sealed before it reached the server).
    pub sealed_by: String,
    pub envelope: Vec<u8>,
    pub receipt_sha256: String,
    pub submitted_at: NaiveDateTime,
    pub closed_at: Option<NaiveDateTime>,
    /// `opened` or `excluded`, from the opening on.
    pub opened: Option<String>,
    pub opened_reason: Option<String>,
}

// --- key plans ----------------------------------------------------------------------------

pub fn key_plan(
    conn: &mut DbConnection,
    project_id: &str,
) -> QueryResult<Option<(i32, Vec<KeyHolder>)>> {
    let Some(threshold) = key_plans::table
        .find(project_id)
        .select(key_plans::threshold)
        .first::<i32>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let holders = key_holders::table
        .filter(key_holders::project_id.eq(project_id))
        .order(key_holders::position.asc())
        .load(conn)?;
    Ok(Some((threshold, holders)))
}

/// Replaces the project's key plan (holders in the order given).
pub fn set_key_plan(
    conn: &mut DbConnection,
    project_id: &str,
    threshold: i32,
    holders: &[String],
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(key_holders::table.filter(key_holders::project_id.eq(project_id)))
        .execute(conn)?;
    diesel::delete(key_plans::table.find(project_id)).execute(conn)?;
    diesel::insert_into(key_plans::table)
        .values((
            key_plans::project_id.eq(project_id),
            key_plans::threshold.eq(threshold),
            key_plans::updated_at.eq(now),
        ))
        .execute(conn)?;
    for (i, user) in holders.iter().enumerate() {
        diesel::insert_into(key_holders::table)
            .values(KeyHolder {
                project_id: project_id.to_string(),
                position: i as i32 + 1,
                user_id: user.clone(),
            })
            .execute(conn)?;
    }
    Ok(())
}

// --- lot keys and shares ------------------------------------------------------------------

pub fn insert_lot_key(
    conn: &mut DbConnection,
    key: &LotKey,
    shares: &[KeyShare],
) -> QueryResult<()> {
    diesel::insert_into(lot_keys::table)
        .values(key.clone())
        .execute(conn)?;
    for s in shares {
        diesel::insert_into(key_shares::table)
            .values(s.clone())
            .execute(conn)?;
    }
    Ok(())
}

pub fn find_lot_key(conn: &mut DbConnection, lot_id: &str) -> QueryResult<Option<LotKey>> {
    lot_keys::table.find(lot_id).first(conn).optional()
}

/// The lot keys among `lot_ids`.
pub fn lot_keys_of(conn: &mut DbConnection, lot_ids: &[&str]) -> QueryResult<Vec<LotKey>> {
    lot_keys::table
        .filter(lot_keys::lot_id.eq_any(lot_ids))
        .load(conn)
}

pub fn shares_of_lot(conn: &mut DbConnection, lot_id: &str) -> QueryResult<Vec<KeyShare>> {
    key_shares::table
        .filter(key_shares::lot_id.eq(lot_id))
        .order(key_shares::number.asc())
        .load(conn)
}

/// A holder's shares with their lots' projects (id, title), newest project first.
pub fn shares_of_holder(
    conn: &mut DbConnection,
    holder_id: &str,
) -> QueryResult<Vec<(KeyShare, String, String)>> {
    key_shares::table
        .inner_join(lot_keys::table.on(lot_keys::lot_id.eq(key_shares::lot_id)))
        .inner_join(
            crate::db::schema::lots::table.on(crate::db::schema::lots::id.eq(key_shares::lot_id)),
        )
        .inner_join(projects::table.on(projects::id.eq(crate::db::schema::lots::project_id)))
        .filter(key_shares::holder_id.eq(holder_id))
        .order((projects::published_at.desc(), key_shares::lot_id.asc()))
        .select((key_shares::all_columns, projects::id, projects::title))
        .load(conn)
}

/// Erases the escrowed share once collected; 0 when it was already collected.
pub fn mark_collected(
    conn: &mut DbConnection,
    lot_id: &str,
    number: i32,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        key_shares::table
            .find((lot_id, number))
            .filter(key_shares::escrow.is_not_null()),
    )
    .set((
        key_shares::escrow.eq(None::<Vec<u8>>),
        key_shares::collected_at.eq(Some(now)),
    ))
    .execute(conn)
}

/// Keeps a share handed back at the opening (sealed to the escrow key); 0 when one was
/// already given for that number.
pub fn give_share(
    conn: &mut DbConnection,
    lot_id: &str,
    number: i32,
    sealed: &[u8],
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        key_shares::table
            .find((lot_id, number))
            .filter(key_shares::given_at.is_null()),
    )
    .set((
        key_shares::given.eq(Some(sealed.to_vec())),
        key_shares::given_at.eq(Some(now)),
        // A share not collected before the opening can no longer leak from the escrow.
        key_shares::escrow.eq(None::<Vec<u8>>),
    ))
    .execute(conn)
}

/// Writes the opening: its record on the lot key, the given shares and every escrowed share
/// erased. 0 when the lot was already opened.
pub fn record_opening(
    conn: &mut DbConnection,
    lot_id: &str,
    by: &str,
    record: &str,
    record_sha256: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let n = diesel::update(
        lot_keys::table
            .find(lot_id)
            .filter(lot_keys::opened_at.is_null()),
    )
    .set((
        lot_keys::opened_at.eq(Some(now)),
        lot_keys::opened_by.eq(Some(by)),
        lot_keys::record.eq(Some(record)),
        lot_keys::record_sha256.eq(Some(record_sha256)),
    ))
    .execute(conn)?;
    diesel::update(key_shares::table.filter(key_shares::lot_id.eq(lot_id)))
        .set((
            key_shares::given.eq(None::<Vec<u8>>),
            key_shares::escrow.eq(None::<Vec<u8>>),
        ))
        .execute(conn)?;
    Ok(n)
}

/// Erases every escrowed and given share of a lot that will never be opened (terminated).
pub fn erase_shares(conn: &mut DbConnection, lot_id: &str) -> QueryResult<usize> {
    diesel::update(key_shares::table.filter(key_shares::lot_id.eq(lot_id)))
        .set((
            key_shares::given.eq(None::<Vec<u8>>),
            key_shares::escrow.eq(None::<Vec<u8>>),
        ))
        .execute(conn)
}

// --- sealed bids --------------------------------------------------------------------------

pub fn insert_sealed_bid(conn: &mut DbConnection, b: &SealedBid) -> QueryResult<usize> {
    diesel::insert_into(sealed_bids::table)
        .values(b.clone())
        .execute(conn)
}

pub fn find_sealed_bid(conn: &mut DbConnection, id: &str) -> QueryResult<Option<SealedBid>> {
    sealed_bids::table.find(id).first(conn).optional()
}

/// The submitted sealed bids of a lot, in id order.
pub fn submitted_sealed_bids(conn: &mut DbConnection, lot_id: &str) -> QueryResult<Vec<SealedBid>> {
    sealed_bids::table
        .filter(sealed_bids::lot_id.eq(lot_id))
        .filter(sealed_bids::state.eq(BidState::Submitted.as_str()))
        .order(sealed_bids::id.asc())
        .load(conn)
}

/// How many sealed bids (every state) a bidder sent to a lot.
pub fn sealed_bids_of_lot_by(conn: &mut DbConnection, lot_id: &str, tag: &str) -> QueryResult<i64> {
    sealed_bids::table
        .filter(sealed_bids::lot_id.eq(lot_id))
        .filter(sealed_bids::bidder_tag.eq(tag))
        .count()
        .get_result(conn)
}

/// A bidder's sealed bids (every state) with their projects' titles, newest first.
pub fn sealed_bids_of_bidder(
    conn: &mut DbConnection,
    tag: &str,
    limit: i64,
) -> QueryResult<Vec<(SealedBid, String)>> {
    sealed_bids::table
        .inner_join(projects::table.on(projects::id.eq(sealed_bids::project_id)))
        .filter(sealed_bids::bidder_tag.eq(tag))
        .order(sealed_bids::id.desc())
        .limit(limit)
        .select((sealed_bids::all_columns, projects::title))
        .load(conn)
}

/// The query of [`unopened_sealed_bid_ids`].
pub type UnopenedSealedBidIds = diesel::dsl::Select<
    diesel::dsl::Filter<sealed_bids::table, diesel::dsl::IsNull<sealed_bids::opened>>,
    sealed_bids::id,
>;

/// Ids of the sealed bids not yet opened (every state): a subquery for filters.
pub fn unopened_sealed_bid_ids() -> UnopenedSealedBidIds {
    sealed_bids::table
        .filter(sealed_bids::opened.is_null())
        .select(sealed_bids::id)
}

/// Closes a submitted sealed bid; 0 when it was no longer submitted.
pub fn close_sealed_bid(
    conn: &mut DbConnection,
    id: &str,
    state: BidState,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        sealed_bids::table
            .find(id)
            .filter(sealed_bids::state.eq(BidState::Submitted.as_str())),
    )
    .set((
        sealed_bids::state.eq(state.as_str()),
        sealed_bids::closed_at.eq(Some(now)),
    ))
    .execute(conn)
}

/// Records each sealed bid's outcome at the opening (grouped by outcome, 500 ids a statement).
pub fn set_opened(
    conn: &mut DbConnection,
    results: &[(String, &'static str, Option<String>)],
) -> QueryResult<()> {
    let mut groups: std::collections::BTreeMap<(&str, Option<&str>), Vec<&str>> =
        std::collections::BTreeMap::new();
    for (id, outcome, reason) in results {
        groups
            .entry((*outcome, reason.as_deref()))
            .or_default()
            .push(id.as_str());
    }
    for ((outcome, reason), ids) in groups {
        for chunk in ids.chunks(500) {
            diesel::update(sealed_bids::table.filter(sealed_bids::id.eq_any(chunk)))
                .set((
                    sealed_bids::opened.eq(Some(outcome)),
                    sealed_bids::opened_reason.eq(reason),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// Inserts opened bids, 500 rows a statement (10 000 bids open at once).
pub fn insert_bids(conn: &mut DbConnection, rows: &[Bid]) -> QueryResult<()> {
    for chunk in rows.chunks(500) {
        let insert = diesel::insert_into(crate::db::schema::bids::table).values(chunk.to_vec());
        match conn {
            DbConnection::Sqlite(c) => insert.execute(c)?,
            DbConnection::Postgresql(c) => insert.execute(c)?,
        };
    }
    Ok(())
}

// --- documents ----------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Insertable)]
#[diesel(table_name = crate::db::schema::documents)]
pub struct DocumentRow {
    pub id: String,
    pub bid_id: String,
    pub lot_id: String,
    pub sealed: bool,
    pub encapsulated: Option<Vec<u8>>,
    pub stored_bytes: i64,
    pub location: String,
    pub created_at: NaiveDateTime,
}

pub fn insert_documents(conn: &mut DbConnection, rows: &[DocumentRow]) -> QueryResult<()> {
    for r in rows {
        diesel::insert_into(crate::db::schema::documents::table)
            .values(r.clone())
            .execute(conn)?;
    }
    Ok(())
}

pub fn documents_of_bid(conn: &mut DbConnection, bid_id: &str) -> QueryResult<Vec<DocumentRow>> {
    use crate::db::schema::documents;
    documents::table
        .filter(documents::bid_id.eq(bid_id))
        .order(documents::id.asc())
        .load(conn)
}

pub fn find_document(conn: &mut DbConnection, id: &str) -> QueryResult<Option<DocumentRow>> {
    use crate::db::schema::documents;
    documents::table.find(id).first(conn).optional()
}

/// A document opened at the opening: now stored in the clear at `location`.
pub fn mark_document_opened(
    conn: &mut DbConnection,
    id: &str,
    location: &str,
    stored_bytes: i64,
) -> QueryResult<usize> {
    use crate::db::schema::documents;
    diesel::update(documents::table.find(id))
        .set((
            documents::sealed.eq(false),
            documents::encapsulated.eq(None::<Vec<u8>>),
            documents::location.eq(location),
            documents::stored_bytes.eq(stored_bytes),
        ))
        .execute(conn)
}

// --- procurement documents (招标文件) ----------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Insertable, serde::Serialize)]
#[diesel(table_name = crate::db::schema::project_documents)]
pub struct ProjectDocument {
    pub id: String,
    pub project_id: String,
    pub kind: String,
    pub filename: String,
    pub media_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub location: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Insertable)]
#[diesel(table_name = crate::db::schema::documents_obtained)]
pub struct DocumentObtained {
    pub document_id: String,
    pub bidder_tag: String,
    pub project_id: String,
    pub enterprise_sealed: Vec<u8>,
    pub obtained_at: NaiveDateTime,
}

pub fn insert_project_document(conn: &mut DbConnection, row: &ProjectDocument) -> QueryResult<()> {
    diesel::insert_into(crate::db::schema::project_documents::table)
        .values(row.clone())
        .execute(conn)
        .map(|_| ())
}

pub fn project_documents_of(
    conn: &mut DbConnection,
    project_id: &str,
) -> QueryResult<Vec<ProjectDocument>> {
    use crate::db::schema::project_documents as d;
    d::table
        .filter(d::project_id.eq(project_id))
        .order((d::created_at.asc(), d::id.asc()))
        .load(conn)
}

pub fn find_project_document(
    conn: &mut DbConnection,
    project_id: &str,
    id: &str,
) -> QueryResult<Option<ProjectDocument>> {
    use crate::db::schema::project_documents as d;
    d::table
        .filter(d::id.eq(id))
        .filter(d::project_id.eq(project_id))
        .first(conn)
        .optional()
}

pub fn delete_project_document(conn: &mut DbConnection, id: &str) -> QueryResult<usize> {
    use crate::db::schema::project_documents as d;
    diesel::delete(d::table.find(id)).execute(conn)
}

/// Whether this bidder already obtained this document.
pub fn has_obtained(conn: &mut DbConnection, document_id: &str, tag: &str) -> QueryResult<bool> {
    use crate::db::schema::documents_obtained as o;
    diesel::select(diesel::dsl::exists(
        o::table
            .filter(o::document_id.eq(document_id))
            .filter(o::bidder_tag.eq(tag)),
    ))
    .get_result(conn)
}

pub fn insert_obtained(conn: &mut DbConnection, row: &DocumentObtained) -> QueryResult<()> {
    diesel::insert_into(crate::db::schema::documents_obtained::table)
        .values(row.clone())
        .execute(conn)
        .map(|_| ())
}

pub fn obtained_of_project(
    conn: &mut DbConnection,
    project_id: &str,
) -> QueryResult<Vec<DocumentObtained>> {
    use crate::db::schema::documents_obtained as o;
    o::table
        .filter(o::project_id.eq(project_id))
        .order((o::obtained_at.asc(), o::document_id.asc()))
        .load(conn)
}

/// When a bidder (by its tag) first obtained any of a project's documents.
pub fn first_obtained(
    conn: &mut DbConnection,
    project_id: &str,
    tag: &str,
) -> QueryResult<Option<NaiveDateTime>> {
    use crate::db::schema::documents_obtained as o;
    o::table
        .filter(o::project_id.eq(project_id))
        .filter(o::bidder_tag.eq(tag))
        .select(diesel::dsl::min(o::obtained_at))
        .first(conn)
}

/// Whether a bidder (by its tag) sealed a bid of any state to this lot.
pub fn has_sealed_bid(conn: &mut DbConnection, lot_id: &str, tag: &str) -> QueryResult<bool> {
    use crate::db::schema::sealed_bids as s;
    diesel::select(diesel::dsl::exists(
        s::table
            .filter(s::lot_id.eq(lot_id))
            .filter(s::bidder_tag.eq(tag)),
    ))
    .get_result(conn)
}
