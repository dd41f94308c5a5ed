//! The states of a procurement as types: what a project, a lot, a bid, a notice, a declaration
//! and a contract can be, each stored as its snake_case text (the database's CHECK constraints
//! list the same words), and the project's phase on the clock.
//!
//! The phase is the stored state with the timeline applied: a published project is `closed`
//! from the bid deadline and `opened` from the opening time without anyone writing to it.

use chrono::NaiveDateTime;

/// A stored text that names no value of the enum (a database row written by something else).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownValue {
    pub kind: &'static str,
    pub value: String,
}

impl std::fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?} is not a {}", self.value, self.kind)
    }
}

impl std::error::Error for UnknownValue {}

/// An enum stored and shown as fixed snake_case words.
macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident, $kind:literal { $($(#[$vm:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vm])* $variant,)+ }

        impl $name {
            /// Every value, in lifecycle order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text,)+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::domain::lifecycle::UnknownValue;
            fn from_str(s: &str) -> Result<Self, $crate::domain::lifecycle::UnknownValue> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::domain::lifecycle::UnknownValue { kind: $kind, value: s.to_string() }),
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::domain::lifecycle::UnknownValue;
            fn try_from(s: String) -> Result<Self, $crate::domain::lifecycle::UnknownValue> {
                s.parse()
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.as_str().to_string()
            }
        }
    };
}
pub(crate) use text_enum;

text_enum!(
    /// A project as stored; `closed` and `opened` are phases, not states (see [`Phase`]).
    ProjectState, "project state" {
        Draft = "draft",
        Published = "published",
        Evaluated = "evaluated",
        Awarded = "awarded",
        Failed = "failed",
        Contracted = "contracted",
    }
);

text_enum!(
    /// A lot as stored.
    LotState, "lot state" {
        /// Taking bids, or opened and not yet evaluated.
        Open = "open",
        Evaluated = "evaluated",
        Failed = "failed",
        Awarded = "awarded",
        Contracted = "contracted",
    }
);

impl LotState {
    /// Awarded or failed: the lot's outcome is known and the result can be published.
    pub fn is_decided(self) -> bool {
        matches!(self, LotState::Awarded | LotState::Failed)
    }

    /// Awarded (with or without its contract): the qualification review can no longer change.
    pub fn has_winner(self) -> bool {
        matches!(self, LotState::Awarded | LotState::Contracted)
    }
}

text_enum!(
    /// A bid as stored: only a submitted bid counts; a replaced or withdrawn one is kept closed.
    BidState, "bid state" {
        Submitted = "submitted",
        Replaced = "replaced",
        Withdrawn = "withdrawn",
    }
);

text_enum!(
    /// What a published notice announces.
    NoticeKind, "notice kind" {
        /// 采购公告
        Procurement = "procurement",
        /// 更正公告
        Correction = "correction",
        /// 中标（成交）结果公告
        Result = "result",
        /// 废标公告
        Failure = "failure",
        /// 终止公告: the agency ended the project or some of its lots.
        Termination = "termination",
        /// 投诉处理结果公告: the finance department's ruling on a complaint.
        ComplaintRuling = "complaint_ruling",
    }
);

text_enum!(
    /// A supplier's SME declaration letter (中小企业声明函) as reviewed.
    DeclarationStatus, "declaration status" {
        Pending = "pending",
        Verified = "verified",
        Rejected = "rejected",
    }
);

text_enum!(
    /// A contract's state.
    ContractStatus, "contract status" {
        Signed = "signed",
        /// Voided with the award it rested on (a complaint's ruling): no credit, no financing.
        Void = "void",
    }
);

/// The lifecycle state of a project at a moment: the stored state with the timeline applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    Draft,
    /// Open for bids.
    Published,
    /// Past the bid deadline, before the opening time: sealed.
    Closed,
    /// Bids opened: they can be read, qualified, scored and evaluated.
    Opened,
    Evaluated,
    Awarded,
    Failed,
    Contracted,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Draft => "draft",
            Phase::Published => "published",
            Phase::Closed => "closed",
            Phase::Opened => "opened",
            Phase::Evaluated => "evaluated",
            Phase::Awarded => "awarded",
            Phase::Failed => "failed",
            Phase::Contracted => "contracted",
        }
    }

    /// The phase at `now` of a project stored as `state` with this timeline (UTC). The opening
    /// time wins over the deadline; both are inclusive (at the deadline bidding is over).
    pub fn at(
        state: ProjectState,
        bid_deadline: Option<NaiveDateTime>,
        opening_at: Option<NaiveDateTime>,
        now: NaiveDateTime,
    ) -> Phase {
        match state {
            ProjectState::Draft => Phase::Draft,
            ProjectState::Published => match (bid_deadline, opening_at) {
                (_, Some(open)) if now >= open => Phase::Opened,
                (Some(deadline), _) if now >= deadline => Phase::Closed,
                _ => Phase::Published,
            },
            ProjectState::Evaluated => Phase::Evaluated,
            ProjectState::Awarded => Phase::Awarded,
            ProjectState::Failed => Phase::Failed,
            ProjectState::Contracted => Phase::Contracted,
        }
    }

    /// Bids are open to their readers (past the opening time).
    pub fn is_opened(self) -> bool {
        self >= Phase::Opened
    }
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn t(h: u32, m: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 3, 2)
            .unwrap()
            .and_hms_opt(h, m, 0)
            .unwrap()
    }

    #[test]
    fn the_phase_follows_the_clock_only_while_published() {
        let deadline = Some(t(10, 0));
        let opening = Some(t(10, 30));
        let cases = [
            (ProjectState::Draft, t(11, 0), Phase::Draft),
            (ProjectState::Published, t(9, 59), Phase::Published),
            (ProjectState::Published, t(10, 0), Phase::Closed),
            (ProjectState::Published, t(10, 29), Phase::Closed),
            (ProjectState::Published, t(10, 30), Phase::Opened),
            (ProjectState::Evaluated, t(9, 0), Phase::Evaluated),
            (ProjectState::Awarded, t(9, 0), Phase::Awarded),
            (ProjectState::Failed, t(9, 0), Phase::Failed),
            (ProjectState::Contracted, t(9, 0), Phase::Contracted),
        ];
        for (state, now, want) in cases {
            assert_eq!(
                Phase::at(state, deadline, opening, now),
                want,
                "{state} at {now}"
            );
        }
        // Without a timeline a published project stays open; an opening time alone still opens.
        assert_eq!(
            Phase::at(ProjectState::Published, None, None, t(23, 0)),
            Phase::Published
        );
        assert_eq!(
            Phase::at(ProjectState::Published, None, opening, t(10, 30)),
            Phase::Opened
        );
        assert!(Phase::Opened.is_opened() && Phase::Contracted.is_opened());
        assert!(!Phase::Closed.is_opened());
    }

    #[test]
    fn every_state_reads_back_from_its_text_and_nothing_else_does() {
        for s in ProjectState::ALL {
            assert_eq!(s.as_str().parse::<ProjectState>(), Ok(*s));
        }
        for s in LotState::ALL {
            assert_eq!(LotState::try_from(s.to_string()), Ok(*s));
        }
        for s in BidState::ALL {
            assert_eq!(String::from(*s).parse::<BidState>(), Ok(*s));
        }
        for k in NoticeKind::ALL {
            assert_eq!(k.as_str().parse::<NoticeKind>(), Ok(*k));
        }
        let e = "closed".parse::<ProjectState>().unwrap_err();
        assert_eq!(e.to_string(), "\"closed\" is not a project state");
        assert!("Draft".parse::<ProjectState>().is_err());
    }

    #[test]
    fn a_lot_is_decided_when_awarded_or_failed() {
        let decided: Vec<_> = LotState::ALL.iter().filter(|s| s.is_decided()).collect();
        assert_eq!(decided, [&LotState::Failed, &LotState::Awarded]);
        let won: Vec<_> = LotState::ALL.iter().filter(|s| s.has_winner()).collect();
        assert_eq!(won, [&LotState::Awarded, &LotState::Contracted]);
    }
}
