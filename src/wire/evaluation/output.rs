//! The evaluation's output in the JSON shape of CONTRACTS.md, with its explanation lines.

use super::*;
use crate::domain::evaluation::{self, Evaluation, Method, Outcome};
use crate::domain::messages::Lang;
use crate::domain::{Fen, Hundredths};
use serde::ser::SerializeSeq;
use serde::{Serialize, Serializer};
use std::fmt;

/// The output of CONTRACTS.md. `Serialize` writes it through any serde serializer (pretty
/// printing, tests); [`EvaluationOutput::write_compact`] writes the same bytes as compact JSON
/// with the ranking rendered on every core in bounded chunks.
pub struct EvaluationOutput<'a> {
    pub input: &'a ValidEvaluation,
    pub evaluation: &'a Evaluation<'a>,
    /// Carry `explanation_zh` and `reason_zh` beside the English (the API, stored runs, pages);
    /// `false` writes the CONTRACTS.md shape alone (`smeproc evaluate --lang en`).
    pub chinese: bool,
}

/// Everything before the ranking.
#[derive(Serialize)]
struct Header<'a> {
    policy: PolicyRef<'a>,
    method: &'static str,
    outcome: &'static str,
    failure_reason: Option<String>,
    rerun_unreserved_allowed: bool,
    /// Comprehensive only (null when no bid was ranked); absent for lowest price.
    #[serde(skip_serializing_if = "Option::is_none")]
    benchmark_price: Option<Option<AsText<Fen>>>,
}

#[derive(Serialize)]
struct Full<'a> {
    #[serde(flatten)]
    header: Header<'a>,
    ranking: RankingOut<'a>,
    excluded: Vec<ExcludedOut<'a>>,
}

impl<'a> EvaluationOutput<'a> {
    fn header(&self) -> Header<'a> {
        let e = self.evaluation;
        let (outcome, failure_reason, rerun) = match e.outcome {
            Outcome::Ranked => ("ranked", None, false),
            Outcome::Failed {
                qualified,
                minimum,
                reserved,
                rerun_unreserved,
            } => {
                let what = if reserved {
                    "qualified SME bids on a lot reserved for SMEs"
                } else {
                    "qualified bids"
                };
                let mut reason = format!("fewer than {minimum} {what} ({qualified})");
                if rerun_unreserved {
                    reason.push_str("; the lot may be procured again without the reservation");
                }
                ("failed", Some(reason), rerun_unreserved)
            }
        };
        Header {
            policy: PolicyRef {
                id: &e.policy_id,
                version: &e.policy_version,
            },
            method: e.method.as_str(),
            outcome,
            failure_reason,
            rerun_unreserved_allowed: rerun,
            benchmark_price: (e.method == Method::Comprehensive)
                .then(|| e.benchmark_price.map(AsText)),
        }
    }

    fn excluded(&self) -> Vec<ExcludedOut<'a>> {
        self.evaluation
            .excluded
            .iter()
            .map(|x| ExcludedOut {
                bid_id: x.bid_id,
                reason: evaluation::exclusion_reason(x.exclusion, Lang::En),
                reason_zh: self
                    .chinese
                    .then(|| evaluation::exclusion_reason(x.exclusion, Lang::Zh)),
            })
            .collect()
    }

    /// Writes compact JSON (the bytes `serde_json::to_writer` would write), rendering chunks of
    /// the ranking in parallel; memory stays bounded by the chunk size times the cores.
    pub fn write_compact<W: std::io::Write>(&self, w: &mut W) -> std::io::Result<()> {
        const CHUNK: usize = 512;
        let mut head = serde_json::to_vec(&self.header())?;
        head.pop(); // the closing brace
        head.extend_from_slice(b",\"ranking\":[");
        w.write_all(&head)?;
        let ranking = &self.evaluation.ranking;
        let workers = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 8);
        let mut buffers: Vec<Vec<u8>> = vec![Vec::new(); workers];
        let mut start = 0;
        while start < ranking.len() {
            let ends: Vec<(usize, usize)> = (0..workers)
                .map(|k| {
                    (
                        (start + k * CHUNK).min(ranking.len()),
                        (start + (k + 1) * CHUNK).min(ranking.len()),
                    )
                })
                .collect();
            std::thread::scope(|scope| {
                for (buf, &(from, to)) in buffers.iter_mut().zip(&ends) {
                    buf.clear();
                    if from < to {
                        scope.spawn(move || self.render_range(from, to, buf));
                    }
                }
            });
            for buf in &buffers {
                w.write_all(buf)?;
            }
            start = ends.last().map_or(ranking.len(), |&(_, to)| to);
        }
        w.write_all(b"],\"excluded\":")?;
        serde_json::to_writer(&mut *w, &self.excluded())?;
        w.write_all(b"}")
    }

    /// Ranking entries `from..to`, comma-separated (with a leading comma unless `from` is 0).
    fn render_range(&self, from: usize, to: usize, buf: &mut Vec<u8>) {
        let mut lines = [evaluation::Lines::default(), evaluation::Lines::default()];
        for position in from..to {
            if position > 0 {
                buf.push(b',');
            }
            // Writing to a Vec cannot fail, and every field serializes.
            let _ = serde_json::to_writer(&mut *buf, &self.ranked(position, &mut lines));
        }
    }

    /// The ranking entry at `position`, its explanation written into `lines` (English, Chinese).
    fn ranked<'l>(
        &self,
        position: usize,
        lines: &'l mut [evaluation::Lines; 2],
    ) -> RankedOut<'a, 'l>
    where
        'a: 'l,
    {
        let EvaluationOutput {
            input,
            evaluation,
            chinese,
        } = self;
        let [en, zh] = lines;
        let explain = |lang, out: &mut evaluation::Lines| {
            evaluation::explain_into(
                input.profile,
                &input.project,
                &input.bids,
                evaluation,
                position,
                lang,
                out,
            )
        };
        explain(Lang::En, en);
        if *chinese {
            explain(Lang::Zh, zh);
        }
        let r = &evaluation.ranking[position];
        RankedOut {
            bid_id: r.bid_id,
            rank: r.rank,
            tied: r.tied,
            effective_scale: r.effective_scale.as_str(),
            sme: r.sme,
            minority_region: r.minority_region,
            preference: r.preference.as_str(),
            deduction_pct: r.deduction_pct,
            price: AsText(r.price),
            evaluated_price: AsText(r.evaluated_price),
            price_score: r.scores.map(|s| AsText(s.price)),
            technical_score: r.scores.map(|s| AsText(s.technical)),
            commercial_score: r.scores.map(|s| AsText(s.commercial)),
            bonus: r.scores.map(|s| AsText(s.bonus)),
            total: r.scores.map(|s| AsText(s.total)),
            explanation: LinesOut(en),
            explanation_zh: chinese.then_some(LinesOut(zh)),
        }
    }
}

impl Serialize for EvaluationOutput<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Full {
            header: self.header(),
            ranking: RankingOut(self),
            excluded: self.excluded(),
        }
        .serialize(serializer)
    }
}

#[derive(Serialize)]
struct PolicyRef<'a> {
    id: &'a str,
    version: &'a str,
}

#[derive(Serialize)]
struct ExcludedOut<'a> {
    bid_id: &'a str,
    reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason_zh: Option<String>,
}

struct RankingOut<'a>(&'a EvaluationOutput<'a>);

impl Serialize for RankingOut<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let output = self.0;
        let ranking = &output.evaluation.ranking;
        let mut seq = serializer.serialize_seq(Some(ranking.len()))?;
        // One buffer for every bid's explanation: no allocation per line.
        let mut lines = [evaluation::Lines::default(), evaluation::Lines::default()];
        for position in 0..ranking.len() {
            seq.serialize_element(&output.ranked(position, &mut lines))?;
        }
        seq.end()
    }
}

/// A value written as a JSON string through its `Display` (two decimals), without a temporary.
#[derive(Clone, Copy)]
struct AsText<T>(T);

impl<T: fmt::Display> Serialize for AsText<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

struct LinesOut<'l>(&'l evaluation::Lines);

impl Serialize for LinesOut<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter())
    }
}

#[derive(Serialize)]
struct RankedOut<'a, 'l> {
    bid_id: &'a str,
    rank: u32,
    tied: bool,
    effective_scale: &'static str,
    sme: bool,
    minority_region: bool,
    preference: &'static str,
    deduction_pct: Hundredths,
    price: AsText<Fen>,
    evaluated_price: AsText<Fen>,
    #[serde(skip_serializing_if = "Option::is_none")]
    price_score: Option<AsText<Hundredths>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    technical_score: Option<AsText<Hundredths>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    commercial_score: Option<AsText<Hundredths>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bonus: Option<AsText<Hundredths>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    total: Option<AsText<Hundredths>>,
    explanation: LinesOut<'l>,
    /// The same lines in Chinese, the rules' own terms.
    #[serde(skip_serializing_if = "Option::is_none")]
    explanation_zh: Option<LinesOut<'l>>,
}

/// Documents the output shape in OpenAPI (the real output is written by [`EvaluationOutput`]).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct EvaluateResponse {
    /// `{"id": …, "version": "sha256:…"}`
    #[schema(value_type = Object)]
    policy: (),
    /// comprehensive | lowest_price
    method: String,
    /// ranked | failed
    outcome: String,
    failure_reason: Option<String>,
    rerun_unreserved_allowed: bool,
    /// Comprehensive only: lowest evaluated price, yuan.
    benchmark_price: Option<String>,
    /// In rank order: bid_id, rank, tied, effective_scale, sme, minority_region, preference,
    /// deduction_pct, price, evaluated_price, price_score, technical_score, commercial_score,
    /// bonus, total, explanation, explanation_zh (the same lines in Chinese).
    #[schema(value_type = Vec<Object>)]
    ranking: (),
    /// `{"bid_id", "reason", "reason_zh"}` for each bid outside the ranking.
    #[schema(value_type = Vec<Object>)]
    excluded: (),
}
