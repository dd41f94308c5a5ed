//! Table definitions for diesel. Portable column types only (Text, BigInt, Integer, Bool,
//! Timestamp): the same schema serves SQLite and PostgreSQL. IDs are UUIDs stored as text.

diesel::table! {
    organisations (id) {
        id -> Text,
        kind -> Text,
        name -> Text,
        credit_code -> Nullable<Text>,
        region -> Nullable<Text>,
        parent_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    enterprises (id) {
        id -> Text,
        credit_code -> Text,
        name -> Text,
        industry -> Text,
        employees -> Nullable<BigInt>,
        revenue_fen -> Nullable<BigInt>,
        assets_fen -> Nullable<BigInt>,
        region -> Text,
        computed_scale -> Text,
        large_firm_relation -> Nullable<Text>,
        scale -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    declarations (id) {
        id -> Text,
        enterprise_id -> Text,
        year -> Integer,
        declared_on -> Date,
        industry -> Text,
        employees -> Nullable<BigInt>,
        revenue_fen -> Nullable<BigInt>,
        assets_fen -> Nullable<BigInt>,
        large_firm_relation -> Nullable<Text>,
        declared_scale -> Text,
        computed_scale -> Text,
        status -> Text,
        review_reason -> Nullable<Text>,
        reviewed_by -> Nullable<Text>,
        reviewed_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        display_name -> Text,
        password_hash -> Text,
        role -> Text,
        agency_id -> Nullable<Text>,
        enterprise_id -> Nullable<Text>,
        disabled_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    products (id) {
        id -> BigInt,
        supplier_id -> Text,
        sku -> Text,
        name -> Text,
        category_code -> Text,
        spec -> Text,
        unit -> Text,
        price_fen -> BigInt,
        manufacturer_id -> Nullable<Text>,
        region -> Text,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    price_history (id) {
        id -> BigInt,
        product_id -> BigInt,
        price_fen -> BigInt,
        recorded_at -> Timestamp,
    }
}

diesel::joinable!(users -> organisations (agency_id));
diesel::joinable!(users -> enterprises (enterprise_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(declarations -> enterprises (enterprise_id));

diesel::allow_tables_to_appear_in_same_query!(
    organisations,
    enterprises,
    declarations,
    users,
    sessions,
    products,
    price_history,
    products_fts
);
diesel::joinable!(price_history -> products (product_id));

// SQLite only: the FTS5 trigram index over products (rowid = products.id); see db/products.rs.
diesel::table! {
    products_fts (rowid) {
        rowid -> BigInt,
    }
}
