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
        address -> Nullable<Text>,
        contact_name -> Nullable<Text>,
        contact_phone -> Nullable<Text>,
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

diesel::table! {
    projects (id) {
        id -> Text,
        agency_id -> Text,
        department_id -> Nullable<Text>,
        title -> Text,
        category -> Text,
        category_code -> Text,
        procurement_method -> Text,
        evaluation_method -> Text,
        policy_id -> Text,
        policy_version -> Nullable<Text>,
        reservation -> Text,
        reservation_reason -> Nullable<Text>,
        budget_fen -> BigInt,
        terms -> Text,
        region -> Text,
        state -> Text,
        bid_deadline -> Nullable<Timestamp>,
        opening_at -> Nullable<Timestamp>,
        published_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        number -> Nullable<Text>,
        category_name -> Nullable<Text>,
        requirements -> Nullable<Text>,
        qualification -> Nullable<Text>,
        contract_period -> Nullable<Text>,
        opening_place -> Nullable<Text>,
        contact_name -> Nullable<Text>,
        contact_phone -> Nullable<Text>,
        round_of -> Nullable<Text>,
    }
}

diesel::table! {
    lots (id) {
        id -> Text,
        project_id -> Text,
        number -> Integer,
        title -> Text,
        budget_fen -> BigInt,
        reserved -> Bool,
        reservation_lifted -> Bool,
        state -> Text,
        awarded_bid_id -> Nullable<Text>,
        awarded_at -> Nullable<Timestamp>,
        max_price_fen -> Nullable<BigInt>,
        round_of -> Nullable<Text>,
        termination_reason -> Nullable<Text>,
        terminated_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    notices (id) {
        id -> Text,
        project_id -> Text,
        kind -> Text,
        title -> Text,
        body -> Text,
        corrects_id -> Nullable<Text>,
        agency_id -> Text,
        region -> Text,
        category -> Text,
        category_code -> Text,
        reserved -> Bool,
        published_at -> Timestamp,
        sha256 -> Text,
    }
}

diesel::table! {
    bids (id) {
        id -> Text,
        lot_id -> Text,
        project_id -> Text,
        supplier_id -> Text,
        state -> Text,
        price_fen -> BigInt,
        content -> Text,
        receipt_sha256 -> Text,
        submitted_at -> Timestamp,
        closed_at -> Nullable<Timestamp>,
        qualified -> Nullable<Bool>,
        qualification_reason -> Nullable<Text>,
    }
}

diesel::table! {
    key_plans (project_id) {
        project_id -> Text,
        threshold -> Integer,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    key_holders (project_id, position) {
        project_id -> Text,
        position -> Integer,
        user_id -> Text,
    }
}

diesel::table! {
    lot_keys (lot_id) {
        lot_id -> Text,
        public_key -> Text,
        threshold -> Integer,
        holders -> Integer,
        created_at -> Timestamp,
        opened_at -> Nullable<Timestamp>,
        opened_by -> Nullable<Text>,
        record -> Nullable<Text>,
        record_sha256 -> Nullable<Text>,
    }
}

diesel::table! {
    key_shares (lot_id, number) {
        lot_id -> Text,
        number -> Integer,
        holder_id -> Text,
        commitment -> Text,
        escrow -> Nullable<Binary>,
        collected_at -> Nullable<Timestamp>,
        given -> Nullable<Binary>,
        given_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sealed_bids (id) {
        id -> Text,
        lot_id -> Text,
        project_id -> Text,
        bidder_tag -> Text,
        state -> Text,
        sealed_by -> Text,
        envelope -> Binary,
        receipt_sha256 -> Text,
        submitted_at -> Timestamp,
        closed_at -> Nullable<Timestamp>,
        opened -> Nullable<Text>,
        opened_reason -> Nullable<Text>,
    }
}

diesel::table! {
    documents (id) {
        id -> Text,
        bid_id -> Text,
        lot_id -> Text,
        sealed -> Bool,
        encapsulated -> Nullable<Binary>,
        stored_bytes -> BigInt,
        location -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    project_documents (id) {
        id -> Text,
        project_id -> Text,
        kind -> Text,
        filename -> Text,
        media_type -> Text,
        size_bytes -> BigInt,
        sha256 -> Text,
        location -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    calendar_years (year) {
        year -> Integer,
        source -> Text,
        body -> Text,
        imported_by -> Text,
        imported_at -> Timestamp,
    }
}

diesel::table! {
    document_chunks (location, seq) {
        location -> Text,
        seq -> Integer,
        bytes -> Binary,
    }
}

diesel::table! {
    documents_obtained (document_id, bidder_tag) {
        document_id -> Text,
        bidder_tag -> Text,
        project_id -> Text,
        enterprise_sealed -> Binary,
        obtained_at -> Timestamp,
    }
}

diesel::table! {
    scores (bid_id, evaluator) {
        bid_id -> Text,
        evaluator -> Text,
        technical -> BigInt,
        commercial -> BigInt,
        entered_by -> Text,
        entered_at -> Timestamp,
    }
}

diesel::table! {
    evaluation_runs (id) {
        id -> Text,
        lot_id -> Text,
        run_no -> Integer,
        reserved -> Bool,
        policy_id -> Text,
        policy_version -> Text,
        input_sha256 -> Text,
        input -> Text,
        output -> Text,
        outcome -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    contracts (id) {
        id -> Text,
        number -> Text,
        project_id -> Text,
        lot_id -> Text,
        bid_id -> Text,
        supplier_id -> Text,
        amount_fen -> BigInt,
        signed_on -> Date,
        sme_credit_fen -> BigInt,
        small_micro_credit_fen -> BigInt,
        credit_basis -> Text,
        status -> Text,
        created_at -> Timestamp,
        void_reason -> Nullable<Text>,
        voided_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    challenges (id) {
        id -> Text,
        project_id -> Text,
        lot_id -> Nullable<Text>,
        enterprise_id -> Text,
        filed_by -> Text,
        kind -> Text,
        step -> Nullable<Text>,
        facts -> Text,
        grounds -> Text,
        requests -> Text,
        known_on -> Date,
        known_basis -> Text,
        deadline -> Date,
        filed_at -> Timestamp,
        answer_due -> Date,
        state -> Text,
        outcome -> Nullable<Text>,
        answer -> Nullable<Text>,
        answered_by -> Nullable<Text>,
        answered_at -> Nullable<Timestamp>,
        withdrawn_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    complaints (id) {
        id -> Text,
        challenge_id -> Text,
        project_id -> Text,
        lot_id -> Nullable<Text>,
        enterprise_id -> Text,
        filed_by -> Text,
        facts -> Text,
        grounds -> Text,
        requests -> Text,
        deadline -> Date,
        filed_at -> Timestamp,
        acceptance_due -> Date,
        ruling_due -> Date,
        state -> Text,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        decision_reason -> Nullable<Text>,
        suspended_from -> Nullable<Date>,
        suspended_until -> Nullable<Date>,
        suspension_lifted_at -> Nullable<Timestamp>,
        ruling -> Nullable<Text>,
        remedy -> Nullable<Text>,
        ruling_text -> Nullable<Text>,
        ruled_by -> Nullable<Text>,
        ruled_at -> Nullable<Timestamp>,
        notice_id -> Nullable<Text>,
    }
}

diesel::table! {
    remedy_documents (id) {
        id -> Text,
        owner -> Text,
        owner_id -> Text,
        project_id -> Text,
        filename -> Text,
        media_type -> Text,
        size_bytes -> BigInt,
        sha256 -> Text,
        location -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    award_changes (id) {
        id -> Text,
        lot_id -> Text,
        from_bid_id -> Text,
        to_bid_id -> Nullable<Text>,
        reason -> Text,
        text -> Text,
        actor -> Text,
        at -> Timestamp,
        notice_id -> Nullable<Text>,
    }
}

diesel::table! {
    debarments (id) {
        id -> Text,
        enterprise_id -> Text,
        reason -> Text,
        text -> Text,
        from_on -> Date,
        until_on -> Date,
        years -> Integer,
        project_id -> Nullable<Text>,
        complaint_id -> Nullable<Text>,
        recorded_by -> Text,
        recorded_at -> Timestamp,
        lifted_at -> Nullable<Timestamp>,
        lifted_by -> Nullable<Text>,
        lift_reason -> Nullable<Text>,
    }
}

diesel::table! {
    audit_head (id) {
        id -> Integer,
        seq -> BigInt,
        hash -> Text,
    }
}

diesel::table! {
    audit_events (seq) {
        seq -> BigInt,
        at -> Timestamp,
        actor -> Text,
        action -> Text,
        entity -> Text,
        entity_id -> Text,
        before_sha256 -> Nullable<Text>,
        after_sha256 -> Nullable<Text>,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    budget_plans (id) {
        id -> Text,
        department_id -> Text,
        year -> Integer,
        total_budget_fen -> BigInt,
        reserved_pct -> BigInt,
        small_micro_pct -> BigInt,
        policy_id -> Text,
        below_minimum_reason -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    subcontracts (id) {
        id -> Text,
        contract_id -> Text,
        enterprise_id -> Text,
        scale -> Text,
        share_pct -> BigInt,
        amount_fen -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    payment_schedules (id) {
        id -> Text,
        contract_id -> Text,
        subcontract_id -> Nullable<Text>,
        payable_id -> Text,
        payer -> Text,
        payee_id -> Text,
        payee_scale -> Text,
        regime -> Nullable<Text>,
        interest_basis -> Text,
        interest_rate_e4 -> BigInt,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    instalments (id) {
        id -> Text,
        schedule_id -> Text,
        number -> Integer,
        kind -> Text,
        description -> Text,
        amount_fen -> BigInt,
        runs_from -> Text,
        term_days -> Nullable<Integer>,
        acceptance_days -> Nullable<Integer>,
        warranty_days -> Nullable<Integer>,
        fixed_due_on -> Nullable<Date>,
        delivered_on -> Nullable<Date>,
        accepted_on -> Nullable<Date>,
        acceptance_result -> Nullable<Text>,
        milestone_note -> Nullable<Text>,
        milestone_by -> Nullable<Text>,
        milestone_at -> Nullable<Timestamp>,
        confirmed_by -> Nullable<Text>,
        confirmed_at -> Nullable<Timestamp>,
        disputed_by -> Nullable<Text>,
        disputed_at -> Nullable<Timestamp>,
        dispute_reason -> Nullable<Text>,
        due_on -> Nullable<Date>,
        settled_on -> Nullable<Date>,
    }
}

diesel::table! {
    instalment_payments (id) {
        id -> Text,
        instalment_id -> Text,
        amount_fen -> BigInt,
        paid_on -> Date,
        reference -> Text,
        recorded_by -> Text,
        recorded_at -> Timestamp,
        confirmed_by -> Nullable<Text>,
        confirmed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    payment_reports (id) {
        id -> Text,
        instalment_id -> Text,
        enterprise_id -> Text,
        body -> Text,
        filed_by -> Text,
        filed_at -> Timestamp,
        closed_by -> Nullable<Text>,
        closed_at -> Nullable<Timestamp>,
        closing_note -> Nullable<Text>,
    }
}

diesel::table! {
    payment_documents (id) {
        id -> Text,
        owner -> Text,
        owner_id -> Text,
        contract_id -> Text,
        filename -> Text,
        media_type -> Text,
        size_bytes -> BigInt,
        sha256 -> Text,
        location -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    rate_counters (bucket, key) {
        bucket -> Text,
        key -> Text,
        window_start -> Timestamp,
        count -> BigInt,
    }
}

diesel::table! {
    audit_checkpoints (seq) {
        seq -> BigInt,
        head_hash -> Text,
        signed_at -> Timestamp,
        key_id -> Text,
        public_key -> Text,
        signature -> Text,
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
    products_fts,
    projects,
    lots,
    notices,
    bids,
    key_plans,
    key_holders,
    lot_keys,
    key_shares,
    sealed_bids,
    documents,
    project_documents,
    documents_obtained,
    document_chunks,
    calendar_years,
    challenges,
    complaints,
    remedy_documents,
    award_changes,
    debarments,
    scores,
    evaluation_runs,
    contracts,
    audit_head,
    audit_events,
    audit_checkpoints,
    rate_counters,
    budget_plans,
    subcontracts,
    payment_schedules,
    instalments,
    instalment_payments,
    payment_reports,
    payment_documents
);
diesel::joinable!(subcontracts -> contracts (contract_id));
diesel::joinable!(payment_schedules -> contracts (contract_id));
diesel::joinable!(instalments -> payment_schedules (schedule_id));
diesel::joinable!(instalment_payments -> instalments (instalment_id));
diesel::joinable!(payment_reports -> instalments (instalment_id));
diesel::joinable!(lots -> projects (project_id));
diesel::joinable!(bids -> lots (lot_id));
diesel::joinable!(sealed_bids -> lots (lot_id));
diesel::joinable!(lot_keys -> lots (lot_id));
diesel::joinable!(project_documents -> projects (project_id));
diesel::joinable!(documents_obtained -> project_documents (document_id));
diesel::joinable!(key_holders -> users (user_id));
diesel::joinable!(scores -> bids (bid_id));
diesel::joinable!(evaluation_runs -> lots (lot_id));
diesel::joinable!(price_history -> products (product_id));

// SQLite only: the FTS5 trigram index over products (rowid = products.id); see db/products.rs.
diesel::table! {
    products_fts (rowid) {
        rowid -> BigInt,
    }
}
