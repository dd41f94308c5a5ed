//! Why a request conflicts with what is stored (HTTP 409): one stable code per cause, so a
//! client can tell a passed deadline from a duplicate bid from a step taken out of order.

/// The cause of a 409.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// A record with the same unique value exists (a username, credit code, sku, contract number).
    Duplicate,
    /// The supplier already has a submitted bid on the lot (replace or withdraw it instead).
    DuplicateBid,
    /// The bid deadline has passed: no bid is accepted, replaced or withdrawn, no correction.
    BidDeadlinePassed,
    /// Bids are sealed until the opening time.
    BidsSealed,
    /// The lot is past its opening time but its key holders have not yet given k shares.
    NotOpened,
    /// The project, lot, bid, declaration or payment is not in a state that allows the action.
    WrongState,
    /// An earlier step is missing (the qualification review, scores, a ranked evaluation, every
    /// lot decided before the result).
    StepMissing,
    /// The policy profile pinned at publication is not the one this build has.
    PolicyChanged,
    /// The last active admin cannot be disabled.
    LastAdmin,
    /// The demo fills only an empty database.
    DatabaseNotEmpty,
    /// The audit log has nothing to sign yet.
    AuditLogEmpty,
    /// A legal clock reaches a year the working-day calendar does not know (an admin imports it).
    CalendarMissing,
    /// A legal period (质疑, 投诉) has ended: the refusal names its last day.
    PeriodOver,
    /// A pending challenge or a complaint's suspension holds this step of the procurement.
    Suspended,
}

impl Cause {
    /// Every cause, for the API document and docs/api.md.
    pub const ALL: &'static [Cause] = &[
        Cause::Duplicate,
        Cause::DuplicateBid,
        Cause::BidDeadlinePassed,
        Cause::BidsSealed,
        Cause::NotOpened,
        Cause::WrongState,
        Cause::StepMissing,
        Cause::PolicyChanged,
        Cause::LastAdmin,
        Cause::DatabaseNotEmpty,
        Cause::AuditLogEmpty,
        Cause::CalendarMissing,
        Cause::PeriodOver,
        Cause::Suspended,
    ];

    /// Stable snake_case code, the problem's `code`.
    pub fn code(self) -> &'static str {
        match self {
            Cause::Duplicate => "duplicate",
            Cause::DuplicateBid => "duplicate_bid",
            Cause::BidDeadlinePassed => "bid_deadline_passed",
            Cause::BidsSealed => "bids_sealed",
            Cause::NotOpened => "not_opened",
            Cause::WrongState => "wrong_state",
            Cause::StepMissing => "step_missing",
            Cause::PolicyChanged => "policy_changed",
            Cause::LastAdmin => "last_active_admin",
            Cause::DatabaseNotEmpty => "database_not_empty",
            Cause::AuditLogEmpty => "audit_log_empty",
            Cause::CalendarMissing => "calendar_missing",
            Cause::PeriodOver => "period_over",
            Cause::Suspended => "suspended",
        }
    }

    /// The problem's `title`.
    pub fn title(self) -> &'static str {
        match self {
            Cause::Duplicate => "Already exists",
            Cause::DuplicateBid => "Bid already submitted",
            Cause::BidDeadlinePassed => "Bid deadline passed",
            Cause::BidsSealed => "Bids sealed",
            Cause::NotOpened => "Lot not opened",
            Cause::WrongState => "Wrong state",
            Cause::StepMissing => "Earlier step missing",
            Cause::PolicyChanged => "Policy changed",
            Cause::LastAdmin => "Last active admin",
            Cause::DatabaseNotEmpty => "Database not empty",
            Cause::AuditLogEmpty => "Audit log empty",
            Cause::CalendarMissing => "Working-day calendar missing",
            Cause::PeriodOver => "Period over",
            Cause::Suspended => "Suspended",
        }
    }
}

/// What a refusal says: the English text of the API's `detail`, and where the service gave it
/// one, the same as a message code with its parameters for the pages' languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    pub text: String,
    pub say: Option<super::json::Say>,
}

impl Reason {
    /// Attaches the message's code and parameters (the English text stays as it is).
    pub fn said(mut self, code: &'static str, params: Vec<(&'static str, String)>) -> Self {
        self.say = Some(super::json::Say { code, params });
        self
    }
}

impl From<String> for Reason {
    fn from(text: String) -> Self {
        Reason { text, say: None }
    }
}

impl From<&str> for Reason {
    fn from(text: &str) -> Self {
        Reason {
            text: text.to_string(),
            say: None,
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}
