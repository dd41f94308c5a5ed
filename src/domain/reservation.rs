//! Reserved-share accounting (POLICY.md §5): how much of a contract counts toward a department's
//! SME share, and how much toward its small/micro part.
//!
//! - SME winner (its effective scale, as the evaluation found it) → the whole amount; a
//!   consortium that is an SME bid (all members SMEs, or xinjiang-2011's local large firms with an
//!   SME, 视同中小企业) → the whole amount.
//! - Otherwise the SME members' agreement shares plus the shares subcontracted to SMEs.
//! - Small/micro likewise, counting small/micro parties only: a small/micro winner (or an
//!   all-small/micro consortium) → the whole amount; otherwise small/micro members' and
//!   subcontractors' shares.
//!
//! Each share is `amount × share ÷ 100`, rounded half-up to the fen; the sum never exceeds the amount.

use super::decimal::div_round_half_up;
use super::{Fen, Hundredths, Scale};

/// A consortium member or a subcontractor, with its declared scale and share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Party {
    pub scale: Scale,
    pub share_pct: Hundredths,
}

/// The winning bid as the accounting sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Winner {
    /// The bid's effective scale (evaluation step 1).
    pub effective_scale: Scale,
    /// The bid counted as an SME bid (this includes 视同中小企业).
    pub sme: bool,
    /// Consortium members; empty for a single firm.
    pub members: Vec<Party>,
    pub subcontracts: Vec<Party>,
}

/// Where one part of a credit comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    WholeAmount,
    Member { index: usize },
    Subcontract { index: usize },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credit {
    pub total: Fen,
    pub parts: Vec<(Basis, Fen)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credits {
    pub sme: Credit,
    pub small_micro: Credit,
}

fn share_of(amount: Fen, share: Hundredths) -> Fen {
    Fen(div_round_half_up(i128::from(amount.0) * i128::from(share.0), 10_000) as i64)
}

fn credit(amount: Fen, whole: bool, w: &Winner, counts: impl Fn(Scale) -> bool) -> Credit {
    if whole {
        return Credit {
            total: amount,
            parts: vec![(Basis::WholeAmount, amount)],
        };
    }
    let mut parts = Vec::new();
    let members = w
        .members
        .iter()
        .enumerate()
        .map(|(i, p)| (Basis::Member { index: i }, p));
    let subs = w
        .subcontracts
        .iter()
        .enumerate()
        .map(|(i, p)| (Basis::Subcontract { index: i }, p));
    let mut total = 0i64;
    for (basis, p) in members.chain(subs) {
        if counts(p.scale) && p.share_pct > Hundredths::ZERO {
            let part = Fen(share_of(amount, p.share_pct).0.min(amount.0 - total));
            total += part.0;
            parts.push((basis, part));
        }
    }
    Credit {
        total: Fen(total),
        parts,
    }
}

/// The SME and small/micro credits of a contract of `amount` won by `winner`.
pub fn credits(amount: Fen, winner: &Winner) -> Credits {
    Credits {
        sme: credit(amount, winner.sme, winner, Scale::is_sme),
        small_micro: credit(
            amount,
            winner.effective_scale.is_small_micro(),
            winner,
            Scale::is_small_micro,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn y(text: &str) -> Fen {
        Fen::parse_yuan(text).unwrap()
    }

    fn party(scale: Scale, pct: i64) -> Party {
        Party {
            scale,
            share_pct: Hundredths::whole(pct),
        }
    }

    #[test]
    fn an_sme_winner_credits_the_whole_amount_and_small_micro_only_what_small_firms_hold() {
        let w = Winner {
            effective_scale: Scale::Medium,
            sme: true,
            members: vec![],
            subcontracts: vec![party(Scale::Micro, 30)],
        };
        let c = credits(y("1000000.00"), &w);
        assert_eq!(c.sme.total, y("1000000.00"));
        assert_eq!(c.small_micro.total, y("300000.00"));
    }

    #[test]
    fn a_large_consortium_credits_its_sme_members_and_sme_subcontracts() {
        let w = Winner {
            effective_scale: Scale::Large,
            sme: false,
            members: vec![
                party(Scale::Large, 60),
                party(Scale::Medium, 25),
                party(Scale::Small, 15),
            ],
            subcontracts: vec![party(Scale::Micro, 10), party(Scale::Large, 5)],
        };
        let c = credits(y("333333.33"), &w);
        // 25 % + 15 % + 10 % of 333 333.33, each rounded half-up to the fen.
        assert_eq!(
            c.sme.total,
            Fen(y("83333.33").0 + y("50000.00").0 + y("33333.33").0)
        );
        assert_eq!(c.small_micro.total, Fen(y("50000.00").0 + y("33333.33").0));
        assert_eq!(c.sme.parts.len(), 3);
    }

    #[test]
    fn a_treated_as_sme_consortium_credits_the_whole_amount_as_sme_but_not_as_small_micro() {
        let w = Winner {
            effective_scale: Scale::Medium,
            sme: true,
            members: vec![party(Scale::Large, 70), party(Scale::Micro, 30)],
            subcontracts: vec![],
        };
        let c = credits(y("500.00"), &w);
        assert_eq!(c.sme.total, y("500.00"));
        assert_eq!(c.small_micro.total, y("150.00"));
    }

    #[test]
    fn credits_never_exceed_the_amount() {
        let w = Winner {
            effective_scale: Scale::Large,
            sme: false,
            members: vec![party(Scale::Small, 100)],
            subcontracts: vec![party(Scale::Small, 99)],
        };
        let c = credits(Fen(101), &w);
        assert_eq!(c.sme.total, Fen(101));
        assert_eq!(c.small_micro.total, Fen(101));
    }
}
