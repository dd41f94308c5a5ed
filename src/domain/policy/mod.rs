//! Policy profiles as data: the TOML files under `profiles/` and the size-standard table under
//! `data/`, embedded in the binary and checked when first used.

pub mod profile;

use crate::domain::classify::{IndustryStandard, SizeStandard, TierLimits};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

pub use profile::Profile;

/// The profile used when a request names none (CONTRACTS.md).
pub const DEFAULT_PROFILE: &str = "xinjiang-2011";

const PROFILE_FILES: [(&str, &str); 4] = [
    ("national-2011", include_str!("profiles/national-2011.toml")),
    ("xinjiang-2011", include_str!("profiles/xinjiang-2011.toml")),
    ("national-2020", include_str!("profiles/national-2020.toml")),
    ("national-2022", include_str!("profiles/national-2022.toml")),
];

const SIZE_STANDARD_CSV: &str = include_str!("data/sme-size-standard-2011.csv");

/// Parses and checks one profile file; the version is derived from its bytes.
pub fn parse_profile(file_id: &str, text: &str) -> Result<Profile, String> {
    let mut profile: Profile =
        toml::from_str(text).map_err(|e| format!("profile {file_id}: {e}"))?;
    if profile.id != file_id {
        return Err(format!(
            "profile {file_id}: id {:?} does not match its file",
            profile.id
        ));
    }
    let problems = profile.problems();
    if !problems.is_empty() {
        return Err(format!("profile {file_id}: {}", problems.join("; ")));
    }
    let digest = Sha256::digest(text.as_bytes());
    profile.version = format!("sha256:{}", &crate::domain::digest::hex(&digest)[..16]);
    Ok(profile)
}

/// Every embedded profile, in the order of the table in POLICY.md. The files are part of the
/// binary and a test loads them all, so a failure here is a build defect, reported loudly.
pub fn profiles() -> &'static [Profile] {
    static PROFILES: OnceLock<Vec<Profile>> = OnceLock::new();
    PROFILES.get_or_init(|| {
        PROFILE_FILES
            .iter()
            .map(|(id, text)| parse_profile(id, text))
            .collect::<Result<Vec<_>, _>>()
            .unwrap_or_else(|e| panic!("embedded policy profile is invalid: {e}"))
    })
}

pub fn profile(id: &str) -> Option<&'static Profile> {
    profiles().iter().find(|p| p.id == id)
}

pub fn profile_ids() -> Vec<&'static str> {
    profiles().iter().map(|p| p.id.as_str()).collect()
}

/// The 工信部联企业〔2011〕300号 table.
pub fn size_standard() -> &'static SizeStandard {
    static STANDARD: OnceLock<SizeStandard> = OnceLock::new();
    STANDARD.get_or_init(|| {
        parse_size_standard(SIZE_STANDARD_CSV)
            .unwrap_or_else(|e| panic!("embedded size standard is invalid: {e}"))
    })
}

#[derive(serde::Deserialize)]
struct SizeRow {
    industry: String,
    name_zh: String,
    tier: String,
    min_employees: Option<u64>,
    min_revenue_wan: Option<u64>,
    min_assets_wan: Option<u64>,
}

/// Parses the size-standard CSV; every industry needs exactly a large, a medium and a small row.
pub fn parse_size_standard(text: &str) -> Result<SizeStandard, String> {
    let mut standard = SizeStandard::default();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    for (i, row) in reader.deserialize::<SizeRow>().enumerate() {
        let row = row.map_err(|e| format!("line {}: {e}", i + 2))?;
        let limits = TierLimits {
            min_employees: row.min_employees,
            min_revenue_wan: row.min_revenue_wan,
            min_assets_wan: row.min_assets_wan,
        };
        let entry = standard
            .industries
            .entry(row.industry.clone())
            .or_insert_with(|| IndustryStandard {
                code: row.industry.clone(),
                name_zh: row.name_zh.clone(),
                large: TierLimits::default(),
                medium: TierLimits::default(),
                small: TierLimits::default(),
            });
        let slot = match row.tier.as_str() {
            "large" => &mut entry.large,
            "medium" => &mut entry.medium,
            "small" => &mut entry.small,
            other => return Err(format!("line {}: unknown tier {other:?}", i + 2)),
        };
        if *slot != TierLimits::default() {
            return Err(format!(
                "line {}: {} {} given twice",
                i + 2,
                row.industry,
                row.tier
            ));
        }
        *slot = limits;
    }
    for s in standard.industries.values() {
        if [s.large, s.medium, s.small].contains(&TierLimits::default()) {
            return Err(format!("industry {} lacks a tier", s.code));
        }
    }
    Ok(standard)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_profile_loads_with_a_version() {
        let ids = profile_ids();
        assert_eq!(
            ids,
            [
                "national-2011",
                "xinjiang-2011",
                "national-2020",
                "national-2022"
            ]
        );
        for p in profiles() {
            assert!(
                p.version.starts_with("sha256:") && p.version.len() == 23,
                "{}",
                p.version
            );
        }
        assert_ne!(profiles()[2].version, profiles()[3].version);
    }

    #[test]
    fn a_default_outside_its_range_is_refused() {
        let text = PROFILE_FILES[1].1.replace(
            "small_micro_works = { min = 6, max = 10, default = 6 }",
            "small_micro_works = { min = 6, max = 10, default = 11 }",
        );
        let err = parse_profile("xinjiang-2011", &text).unwrap_err();
        assert!(
            err.contains("deduction.small_micro_works: default 11.00 outside"),
            "{err}"
        );
        let swapped = PROFILE_FILES[0].1.replace(
            "goods = { min = 30, max = 60 }",
            "goods = { min = 60, max = 30 }",
        );
        assert!(parse_profile("national-2011", &swapped)
            .unwrap_err()
            .contains("price_weight.goods"));
    }

    #[test]
    fn a_misspelt_key_is_refused() {
        let text = PROFILE_FILES[0]
            .1
            .replace("subcontract = false", "subcontracts = false");
        assert!(parse_profile("national-2011", &text).is_err());
    }

    #[test]
    fn size_standard_has_sixteen_industries() {
        let s = size_standard();
        assert_eq!(s.industries.len(), 16);
        assert_eq!(s.industries["industry"].large.min_employees, Some(1000));
        assert_eq!(s.industries["other"].small.min_revenue_wan, None);
    }
}
