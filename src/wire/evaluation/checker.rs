//! The JSON path of a field and the collector of field problems the evaluation request is
//! checked with.

use super::FieldProblem;
use super::*;
use crate::domain::evaluation::{Firm, Participant};
use crate::domain::policy::{self, Profile};
use crate::domain::{Hundredths, RegionCode, Scale};
use std::borrow::Cow;
use std::fmt;

/// A JSON path built on the stack and written out only when a problem is reported.
#[derive(Clone, Copy)]
pub(super) struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    key: Option<&'a str>,
    index: usize,
}

impl<'a> Path<'a> {
    pub(super) const fn root(key: &'a str) -> Self {
        Path {
            parent: None,
            key: Some(key),
            index: 0,
        }
    }
    pub(super) fn key(&'a self, key: &'a str) -> Path<'a> {
        Path {
            parent: Some(self),
            key: Some(key),
            index: 0,
        }
    }
    pub(super) fn index(&'a self, index: usize) -> Path<'a> {
        Path {
            parent: Some(self),
            key: None,
            index,
        }
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(parent) = self.parent {
            write!(f, "{parent}")?;
        }
        match (self.key, self.parent) {
            (Some(k), None) => f.write_str(k),
            (Some(k), Some(_)) => write!(f, ".{k}"),
            (None, _) => write!(f, "[{}]", self.index),
        }
    }
}

pub(super) struct Checker {
    pub(super) problems: Vec<FieldProblem>,
}

impl Checker {
    pub(super) fn push(&mut self, path: &Path<'_>, message: impl Into<String>) {
        self.problems
            .push(FieldProblem::new(path.to_string(), message));
    }

    pub(super) fn required<'v, T>(
        &mut self,
        value: &'v Option<T>,
        path: &Path<'_>,
    ) -> Option<&'v T> {
        if value.is_none() {
            self.push(path, "is required");
        }
        value.as_ref()
    }

    fn scale(&mut self, value: &Option<Cow<'_, str>>, path: &Path<'_>) -> Option<Scale> {
        let text = self.required(value, path)?;
        text.parse::<Scale>()
            .map_err(|e| self.push(path, e.to_string()))
            .ok()
    }

    /// A firm; bidders and consortium members need a name and a region.
    pub(super) fn firm(
        &mut self,
        input: &FirmInput<'_>,
        path: &Path<'_>,
        full: bool,
    ) -> Option<Firm> {
        let mut ok = true;
        match input.name.as_deref().map(str::trim) {
            Some("") => {
                self.push(&path.key("name"), "must not be empty");
                ok = false;
            }
            None if full => {
                self.push(&path.key("name"), "is required");
                ok = false;
            }
            _ => {}
        }
        let scale = self.scale(&input.scale, &path.key("scale"));
        let region = match &input.region {
            Some(text) => match text.parse::<RegionCode>() {
                Ok(r) => Some(r),
                Err(e) => {
                    self.push(&path.key("region"), e.to_string());
                    ok = false;
                    None
                }
            },
            None if full => {
                self.push(&path.key("region"), "is required");
                ok = false;
                None
            }
            None => None,
        };
        if ok {
            scale.map(|scale| Firm { scale, region })
        } else {
            None
        }
    }

    fn share(&mut self, value: Option<Hundredths>, path: &Path<'_>) -> Option<Hundredths> {
        let share = *self.required(&value, path)?;
        if share <= Hundredths::ZERO || share > Hundredths::whole(100) {
            self.push(
                path,
                format!("{} must be above 0 and at most 100", share.short()),
            );
            return None;
        }
        Some(share)
    }

    pub(super) fn participants(
        &mut self,
        list: &[FirmInput<'_>],
        path: &Path<'_>,
        full: bool,
    ) -> Option<Vec<Participant>> {
        let mut out = Vec::with_capacity(list.len());
        let mut ok = true;
        for (j, input) in list.iter().enumerate() {
            let p = path.index(j);
            let firm = self.firm(input, &p, full);
            let share = self.share(input.share_pct, &p.key("share_pct"));
            match (firm, share) {
                (Some(firm), Some(share_pct)) => out.push(Participant { firm, share_pct }),
                _ => ok = false,
            }
        }
        ok.then_some(out)
    }

    pub(super) fn rate(
        &mut self,
        value: Option<Hundredths>,
        range: &policy::profile::RateRange,
        path: &Path<'_>,
        what: &str,
        profile: &Profile,
    ) -> Hundredths {
        match value {
            None => range.default,
            Some(v) if range.contains(v) => v,
            Some(v) => {
                self.push(
                    path,
                    format!(
                        "{} is outside the {what} range {}–{} of {}",
                        v.short(),
                        range.min.short(),
                        range.max.short(),
                        profile.id
                    ),
                );
                range.default
            }
        }
    }
}
