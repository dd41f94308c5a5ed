//! Evaluating one lot (评标): effective scale → eligibility → one deduction → scores → order.
//!
//! [`evaluate`] is a pure function of the profile, the project and the bids. It records the facts
//! each rule used on the ranked bid; [`explain`] turns those facts into the explanation lines, so
//! the core stays cheap and the wording can change without touching a number.

mod engine;
mod explain;

pub use engine::{effective_scale, evaluate};
pub use explain::{exclusion_reason, explain, explain_into, Lines};

use super::{Fen, Hundredths, RegionCode, Scale};

/// 采购品目类别.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    /// 货物
    Goods,
    /// 服务
    Services,
    /// 工程
    Works,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Goods => "goods",
            Category::Services => "services",
            Category::Works => "works",
        }
    }
}

/// 评标方法.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// 综合评分法
    Comprehensive,
    /// 最低评标价法
    LowestPrice,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Comprehensive => "comprehensive",
            Method::LowestPrice => "lowest_price",
        }
    }
}

/// Points for price, technical and commercial criteria; they sum to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Weights {
    pub price: Hundredths,
    pub technical: Hundredths,
    pub commercial: Hundredths,
}

/// The lot as the evaluation sees it. Rates are already resolved against the profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    pub category: Category,
    pub method: Method,
    /// 专门面向中小企业采购
    pub reserved_for_smes: bool,
    /// Required for [`Method::Comprehensive`].
    pub weights: Option<Weights>,
    /// 小微企业价格扣除 rate, percent.
    pub small_micro_rate: Hundredths,
    /// 联合体 / 分包 rate, percent.
    pub consortium_rate: Hundredths,
    /// 少数民族地区加分 rate, percent (zero when the profile has no bonus).
    pub minority_bonus_rate: Hundredths,
}

/// A firm named in a bid, as far as the rules look at it (its name plays no part).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Firm {
    /// Declared scale (中小企业声明函).
    pub scale: Scale,
    pub region: Option<RegionCode>,
}

/// A firm with its share of the consortium agreement (联合体协议) or of the subcontracted work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    pub firm: Firm,
    pub share_pct: Hundredths,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bidder {
    Single(Firm),
    /// 联合体: members' shares sum to 100.
    Consortium {
        members: Box<[Participant]>,
        /// 关联关系: voids the consortium preferences.
        related_parties: bool,
    },
}

/// One bid. Lists are boxed slices: a lot can hold 100 000 bids, and they never grow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bid {
    pub id: Box<str>,
    pub price: Fen,
    pub bidder: Bidder,
    /// 分包 to other firms.
    pub subcontracts: Box<[Participant]>,
    /// 货物制造商 (goods only).
    pub manufacturers: Box<[Firm]>,
    /// One score per evaluator (comprehensive).
    pub technical: Box<[Hundredths]>,
    pub commercial: Box<[Hundredths]>,
    /// Passed the qualification / compliance review (资格性、符合性审查).
    pub qualified: bool,
}

/// How the effective scale of a bid was reached (POLICY.md §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScaleBasis {
    SingleFirm,
    /// Every member small or micro.
    AllSmallMicro,
    /// Every member an SME, some medium.
    AllSme,
    /// xinjiang-2011: local large members with an SME, no related parties → 视同中小企业.
    LocalLargeTreatedAsSme,
    /// A large member the rules do not excuse.
    LargeMember {
        related_parties: bool,
        non_local: bool,
    },
}

/// The single price preference a bid got (POLICY.md §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preference {
    SmallMicroDeduction,
    ConsortiumDeduction,
    SubcontractDeduction,
    None,
}

impl Preference {
    pub fn as_str(self) -> &'static str {
        match self {
            Preference::SmallMicroDeduction => "small_micro_deduction",
            Preference::ConsortiumDeduction => "consortium_deduction",
            Preference::SubcontractDeduction => "subcontract_deduction",
            Preference::None => "none",
        }
    }
}

/// Comprehensive-scoring figures, each rounded half-up to two decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scores {
    pub price: Hundredths,
    pub technical: Hundredths,
    pub commercial: Hundredths,
    pub bonus: Hundredths,
    pub total: Hundredths,
}

/// A bid that takes part in the ranking, with every fact the rules used. Borrows the bid id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankedBid<'a> {
    /// Index of the bid in the input, to reach its details when explaining.
    pub input_index: usize,
    pub bid_id: &'a str,
    pub rank: u32,
    pub tied: bool,
    pub declared_scale: Scale,
    pub effective_scale: Scale,
    pub basis: ScaleBasis,
    /// The manufacturer scale that raised the effective scale, if any.
    pub raised_by_manufacturer: Option<Scale>,
    pub sme: bool,
    pub minority_region: bool,
    /// Share held by SME members in minority regions (100 for a qualifying single firm).
    pub minority_share_pct: Hundredths,
    pub preference: Preference,
    /// Share of the small/micro members, or of small/micro subcontracts, behind the preference.
    pub preference_share_pct: Hundredths,
    /// Total rate taken off the price: the preference plus, under lowest price, the minority rate.
    pub deduction_pct: Hundredths,
    pub price: Fen,
    pub evaluated_price: Fen,
    pub scores: Option<Scores>,
}

/// Why a bid takes no part in the ranking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exclusion {
    /// Failed the qualification / compliance review.
    Unqualified,
    /// Reserved lot, effective scale large.
    NotSme { effective_scale: Scale },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excluded<'a> {
    pub input_index: usize,
    pub bid_id: &'a str,
    pub exclusion: Exclusion,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ranked,
    /// Fewer qualified bids than the profile's minimum (on a reserved lot: SME bids).
    Failed {
        qualified: usize,
        minimum: u32,
        reserved: bool,
        /// The profile lets a reserved lot be re-run without the reservation.
        rerun_unreserved: bool,
    },
}

/// The result of evaluating one lot; borrows the bids' ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation<'a> {
    pub policy_id: String,
    pub policy_version: String,
    pub method: Method,
    pub outcome: Outcome,
    /// Lowest evaluated price among ranked bids (comprehensive only).
    pub benchmark_price: Option<Fen>,
    /// In rank order; tied bids in bid-id order.
    pub ranking: Vec<RankedBid<'a>>,
    /// In bid-id order.
    pub excluded: Vec<Excluded<'a>>,
}
