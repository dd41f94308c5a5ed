//! Who may bid and subcontract how (POLICY.md §5, seed 四.(十六)): a small or micro prime
//! subcontracts only to small and micro firms, a medium prime not to large ones; the prime of a
//! consortium is its largest member; a lot reserved for SMEs (专门面向中小企业) admits only bids
//! whose effective scale is an SME's.

use super::Scale;

/// The scale that binds a bid's subcontracting: the bidder's own, or a consortium's largest
/// member's (an empty consortium binds as large: nothing is excused).
pub fn prime_scale(bidder: Scale, consortium: Option<&[Scale]>) -> Scale {
    match consortium {
        None => bidder,
        Some(members) => members.iter().copied().max().unwrap_or(Scale::Large),
    }
}

/// Whether a prime of this scale may subcontract to a firm of that scale.
pub fn may_subcontract(prime: Scale, subcontractor: Scale) -> bool {
    match prime {
        Scale::Micro | Scale::Small => subcontractor <= Scale::Small,
        Scale::Medium => subcontractor <= Scale::Medium,
        Scale::Large => true,
    }
}

/// Whether a lot admits a bid of this effective scale.
pub fn lot_admits(reserved_for_smes: bool, effective: Scale) -> bool {
    !reserved_for_smes || effective.is_sme()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Scale::*;

    #[test]
    fn subcontracting_never_goes_up_past_the_primes_class() {
        // prime → which subcontractors are allowed, in the order micro, small, medium, large
        let table = [
            (Micro, [true, true, false, false]),
            (Small, [true, true, false, false]),
            (Medium, [true, true, true, false]),
            (Large, [true, true, true, true]),
        ];
        for (prime, allowed) in table {
            for (sub, want) in [Micro, Small, Medium, Large].into_iter().zip(allowed) {
                assert_eq!(may_subcontract(prime, sub), want, "{prime} → {sub}");
            }
        }
    }

    #[test]
    fn a_consortium_binds_as_its_largest_member() {
        assert_eq!(prime_scale(Small, None), Small);
        assert_eq!(prime_scale(Micro, Some(&[Micro, Small])), Small);
        assert_eq!(prime_scale(Micro, Some(&[Medium, Micro])), Medium);
        assert_eq!(prime_scale(Small, Some(&[Large, Small])), Large);
        assert_eq!(prime_scale(Small, Some(&[])), Large);
    }

    #[test]
    fn a_reserved_lot_admits_smes_only() {
        for (reserved, scale, want) in [
            (false, Large, true),
            (false, Micro, true),
            (true, Micro, true),
            (true, Small, true),
            (true, Medium, true),
            (true, Large, false),
        ] {
            assert_eq!(lot_admits(reserved, scale), want, "{reserved} {scale}");
        }
    }
}
