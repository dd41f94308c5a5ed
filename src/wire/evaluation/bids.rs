//! The bids of an evaluation request, read as a stream (a large request never sits in memory
//! twice): firms, consortia and scores.

use super::*;
use super::{path_problem, strip_position, FieldProblem, JsonProblem};
use crate::domain::evaluation::{Bid, Bidder, Category, Firm, Method, Project};
use crate::domain::{Fen, Hundredths};
use serde::de::{DeserializeSeed, SeqAccess};
use serde_json::value::RawValue;
use std::fmt;

/// Streams the raw bids array: each element is checked and converted, then dropped.
pub(super) fn bids(
    c: &mut Checker,
    project: Option<&Project>,
    raw: &RawValue,
) -> Result<Option<Vec<Bid>>, InputError> {
    let before = c.problems.len();
    // Count first (a skip over the slice, no allocation: the elements are zero-sized) so the
    // bids vector is allocated once instead of doubling next to the file's bytes.
    let count =
        serde_json::from_str::<Vec<serde::de::IgnoredAny>>(raw.get()).map_or(0, |v| v.len());
    let mut state = BidsState {
        checker: c,
        project,
        out: Vec::with_capacity(count),
        positions: Vec::with_capacity(count),
        rejected_ids: Vec::new(),
        evaluators: None,
        seen: 0,
    };
    let mut de = serde_json::Deserializer::from_str(raw.get());
    if let Err(e) = (&mut state).deserialize(&mut de) {
        return Err(InputError::Json(bids_json_problem(raw, e)));
    }
    let BidsState {
        checker: c,
        out,
        positions,
        rejected_ids,
        seen,
        ..
    } = state;
    if seen == 0 {
        c.push(&Path::root("bids"), "must hold at least one bid");
    }
    // Duplicate ids over every bid read, named at each later occurrence.
    let mut ids: Vec<(&str, usize)> = out
        .iter()
        .zip(&positions)
        .map(|(b, &i)| (&*b.id, i as usize))
        .chain(rejected_ids.iter().map(|(id, i)| (id.as_str(), *i)))
        .collect();
    ids.sort_unstable();
    let root = Path::root("bids");
    let mut first = 0;
    for k in 1..ids.len() {
        if ids[k].0 == ids[first].0 {
            let (id, later) = ids[k];
            c.push(
                &root.index(later).key("id"),
                format!("{id:?} is already the id of bids[{}]", ids[first].1),
            );
        } else {
            first = k;
        }
    }
    drop(ids);
    Ok((c.problems.len() == before).then_some(out))
}

/// Re-reads the bids with path tracking to name where a JSON type error is.
fn bids_json_problem(raw: &RawValue, first: serde_json::Error) -> JsonProblem {
    let mut de = serde_json::Deserializer::from_str(raw.get());
    JsonProblem::Shape(
        match serde_path_to_error::deserialize::<_, Vec<BidInput<'_>>>(&mut de) {
            Err(e) => path_problem(e, "bids", "bids"),
            Ok(_) => FieldProblem::new("bids", strip_position(&first.to_string())),
        },
    )
}

struct BidsState<'c, 'p> {
    checker: &'c mut Checker,
    project: Option<&'p Project>,
    out: Vec<Bid>,
    /// Input index of each bid in `out`.
    positions: Vec<u32>,
    /// Ids of bids refused for other reasons, still checked for duplicates.
    rejected_ids: Vec<(String, usize)>,
    /// (evaluator count, index of the first bid that had it)
    evaluators: Option<(usize, usize)>,
    /// Elements read, valid or not.
    seen: usize,
}

impl<'de> DeserializeSeed<'de> for &mut BidsState<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for &mut BidsState<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of bids")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if let Some(n) = seq.size_hint() {
            self.out.reserve(n);
        }
        let mut i = 0;
        while let Some(input) = seq.next_element::<BidInput<'de>>()? {
            self.bid(i, input);
            i += 1;
        }
        self.seen = i;
        Ok(())
    }
}

impl BidsState<'_, '_> {
    fn bid(&mut self, i: usize, input: BidInput<'_>) {
        let root = Path::root("bids");
        let path = root.index(i);
        let c = &mut *self.checker;
        let id = match input.id.as_deref().map(str::trim) {
            None => {
                c.push(&path.key("id"), "is required");
                None
            }
            Some("") => {
                c.push(&path.key("id"), "must not be empty");
                None
            }
            Some(id) => Some(id),
        };
        let price_path = path.key("price");
        let price = match &input.price {
            None => {
                c.push(&price_path, "is required");
                None
            }
            Some(AmountField::Wrong(kind)) => {
                c.push(
                    &price_path,
                    format!("must be a decimal string in yuan such as \"980000.00\", not {kind} (no floats for money)"),
                );
                None
            }
            Some(AmountField::Text(t)) => Fen::parse_positive_yuan(t)
                .map_err(|e| c.push(&price_path, format!("{t:?} {e}")))
                .ok(),
        };
        let bidder = match (&input.bidder, &input.consortium) {
            (Some(_), Some(_)) | (None, None) => {
                c.push(&path, "give exactly one of bidder or consortium");
                None
            }
            (Some(firm), None) => {
                if input.related_parties == Some(true) {
                    c.push(&path.key("related_parties"), "applies only to a consortium");
                }
                c.firm(firm, &path.key("bidder"), true).map(Bidder::Single)
            }
            (None, Some(members)) => {
                consortium(c, &path, members, input.related_parties.unwrap_or(false))
            }
        };
        let subs_path = path.key("subcontracts");
        let subcontracts = c.participants(
            input.subcontracts.as_deref().unwrap_or_default(),
            &subs_path,
            false,
        );
        if let Some(subs) = &subcontracts {
            let total: Hundredths = subs.iter().map(|s| s.share_pct).sum();
            if total > Hundredths::whole(100) {
                c.push(
                    &subs_path,
                    format!("shares sum to {}, more than 100", total.short()),
                );
            }
        }
        let makers_path = path.key("goods_manufacturers");
        let manufacturers = match (&input.goods_manufacturers, self.project.map(|p| p.category)) {
            (Some(list), Some(cat)) if cat != Category::Goods && !list.is_empty() => {
                c.push(
                    &makers_path,
                    format!("applies only to goods, not {}", cat.as_str()),
                );
                None
            }
            (Some(list), _) => {
                let firms: Vec<Option<Firm>> = list
                    .iter()
                    .enumerate()
                    .map(|(j, m)| c.firm(m, &makers_path.index(j), false))
                    .collect();
                firms.into_iter().collect::<Option<Vec<_>>>()
            }
            (None, _) => Some(Vec::new()),
        };
        let qualified = input.qualified.unwrap_or(true);
        let (technical, commercial) = match self.project {
            Some(p) => scores(
                c,
                p,
                &path,
                input.technical,
                input.commercial,
                &mut self.evaluators,
                i,
            ),
            None => (Some(Vec::new()), Some(Vec::new())),
        };
        match (
            id,
            price,
            bidder,
            subcontracts,
            manufacturers,
            technical,
            commercial,
        ) {
            (
                Some(id),
                Some(price),
                Some(bidder),
                Some(subcontracts),
                Some(manufacturers),
                Some(technical),
                Some(commercial),
            ) => {
                self.out.push(Bid {
                    id: id.into(),
                    price,
                    bidder,
                    subcontracts: subcontracts.into(),
                    manufacturers: manufacturers.into(),
                    technical: technical.into(),
                    commercial: commercial.into(),
                    qualified,
                });
                self.positions.push(u32::try_from(i).unwrap_or(u32::MAX));
            }
            (Some(id), ..) => self.rejected_ids.push((id.to_string(), i)),
            _ => {}
        }
    }
}

fn consortium(
    c: &mut Checker,
    path: &Path<'_>,
    members: &[FirmInput<'_>],
    related_parties: bool,
) -> Option<Bidder> {
    let cpath = path.key("consortium");
    if members.len() < 2 {
        c.push(&cpath, "a consortium needs at least two members");
    }
    let members = c.participants(members, &cpath, true)?;
    let total: Hundredths = members.iter().map(|m| m.share_pct).sum();
    if total != Hundredths::whole(100) {
        c.push(
            &cpath,
            format!(
                "member shares (share_pct) sum to {}, must be 100",
                total.short()
            ),
        );
        return None;
    }
    Some(Bidder::Consortium {
        members: members.into(),
        related_parties,
    })
}

type Scores = (Option<Vec<Hundredths>>, Option<Vec<Hundredths>>);

fn scores(
    c: &mut Checker,
    project: &Project,
    path: &Path<'_>,
    technical: Option<Vec<Hundredths>>,
    commercial: Option<Vec<Hundredths>>,
    evaluators: &mut Option<(usize, usize)>,
    index: usize,
) -> Scores {
    let Some(weights) = project.weights else {
        if project.method == Method::LowestPrice {
            for (name, v) in [("technical", &technical), ("commercial", &commercial)] {
                if v.is_some() {
                    c.push(
                        &path.key(name),
                        "scores apply only to comprehensive scoring",
                    );
                }
            }
        }
        return (Some(Vec::new()), Some(Vec::new()));
    };
    let mut check = |name: &str,
                     list: Option<Vec<Hundredths>>,
                     max: Hundredths|
     -> Option<Vec<Hundredths>> {
        let p = path.key(name);
        let Some(list) = list else {
            c.push(
                &p,
                "is required for comprehensive scoring: one score per evaluator",
            );
            return None;
        };
        if list.is_empty() {
            c.push(&p, "needs one score per evaluator, got none");
            return None;
        }
        match *evaluators {
            None => *evaluators = Some((list.len(), index)),
            Some((n, first)) if n != list.len() => {
                c.push(
                    &p,
                    format!("has {} evaluator scores, but bids[{first}] has {n}: every bid needs one score per evaluator", list.len()),
                );
                return None;
            }
            Some(_) => {}
        }
        let mut ok = true;
        for (j, s) in list.iter().enumerate() {
            if *s < Hundredths::ZERO || *s > max {
                c.push(
                    &p.index(j),
                    format!(
                        "{} is outside 0–{}, the {name} weight",
                        s.short(),
                        max.short()
                    ),
                );
                ok = false;
            }
        }
        ok.then_some(list)
    };
    (
        check("technical", technical, weights.technical),
        check("commercial", commercial, weights.commercial),
    )
}
