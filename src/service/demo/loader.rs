//! The deterministic generator and the loader that writes firms, users and products through the use cases.
use super::*;
use crate::clock::ManualClock;
use crate::db::DbConnection;
use crate::domain::credit_code::with_check_character;
use crate::error::{Error, Result};
use crate::service::accounts::{self, CreateOrgRequest, CreateUserRequest};
use crate::service::audit::CLI;
use crate::service::catalogue::{self, ProductInput, ProductPatch};
use crate::service::registry::{self, EnterpriseInput};
use crate::service::Actor;
use chrono::{DateTime, Duration, Utc};

/// A small deterministic generator: the same dataset every time.
pub(super) struct Rng(pub(super) u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub(super) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

pub(super) struct Firm {
    pub(super) id: String,
    pub(super) code: String,
    pub(super) scale: &'static str,
}

pub(super) struct Loader<'a> {
    pub(super) conn: &'a mut DbConnection,
    pub(super) keys: &'a crate::service::auth::keys::ServerKeys,
    pub(super) store: &'a crate::db::files::FileStore,
    pub(super) now: DateTime<Utc>,
    pub(super) rng: Rng,
    pub(super) serial: u64,
    pub(super) firms: Vec<Firm>,
    pub(super) summary: Summary,
}

/// A clock standing at `days` (fractional allowed via hours) before the real now.
fn at(now: DateTime<Utc>, days_ago: i64, hours: i64) -> ManualClock {
    ManualClock::new(now - Duration::days(days_ago) + Duration::hours(hours))
}

pub(super) fn beijing_rfc3339(t: DateTime<Utc>) -> String {
    t.with_timezone(&crate::domain::beijing::offset())
        .format("%Y-%m-%dT%H:%M:00+08:00")
        .to_string()
}

impl Loader<'_> {
    pub(super) fn clock(&self, days_ago: i64) -> ManualClock {
        at(self.now, days_ago, 0)
    }

    pub(super) fn firm(&mut self, scale: &'static str, region: &str, city: &str) -> Result<usize> {
        self.serial += 1;
        let code = with_check_character(&format!("91{region}{:09}", 300_000_000 + self.serial))
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("credit code")))?;
        let software = self.rng.below(3) == 0;
        let (industry, employees, revenue) = match (software, scale) {
            (false, "micro") => ("industry", 8 + self.rng.below(10), 80 + self.rng.below(200)),
            (false, "small") => (
                "industry",
                40 + self.rng.below(200),
                600 + self.rng.below(1200),
            ),
            (false, "medium") => (
                "industry",
                400 + self.rng.below(500),
                5000 + self.rng.below(30000),
            ),
            (false, _) => (
                "industry",
                1500 + self.rng.below(3000),
                50_000 + self.rng.below(90_000),
            ),
            (true, "micro") => ("software", 3 + self.rng.below(6), 20 + self.rng.below(25)),
            (true, "small") => (
                "software",
                20 + self.rng.below(70),
                100 + self.rng.below(800),
            ),
            (true, "medium") => (
                "software",
                120 + self.rng.below(170),
                1500 + self.rng.below(8000),
            ),
            (true, _) => (
                "software",
                400 + self.rng.below(1000),
                12_000 + self.rng.below(50_000),
            ),
        };
        let name = format!(
            "{city}{}{}{}",
            self.rng.pick(TRADE),
            ["", "新", "金", "华"][self.rng.below(4) as usize],
            if software {
                "信息技术有限公司"
            } else {
                self.rng.pick(FORM)
            }
        );
        let input = EnterpriseInput {
            credit_code: Some(code.clone()),
            name: Some(format!("{name}（{}）", self.serial)),
            industry: Some(industry.into()),
            employees: Some(employees),
            revenue_wan: Some(revenue.to_string()),
            assets_wan: None,
            region: Some(region.into()),
            large_firm_relation: None,
        };
        let clock = self.clock(200);
        let e = registry::register(self.conn, &clock, CLI, &input)?;
        if e.scale != scale {
            return Err(Error::Internal(anyhow::anyhow!(
                "demo firm {} came out {} instead of {scale}",
                e.name,
                e.scale
            )));
        }
        self.firms.push(Firm {
            id: e.id,
            code,
            scale,
        });
        self.summary.enterprises += 1;
        Ok(self.firms.len() - 1)
    }

    pub(super) fn user(
        &mut self,
        username: &str,
        name: &str,
        role: &str,
        agency: Option<&str>,
        firm: Option<usize>,
    ) -> Result<String> {
        let req = CreateUserRequest {
            username: username.into(),
            display_name: Some(name.into()),
            role: role.into(),
            password: PASSWORD.into(),
            agency_id: agency.map(str::to_string),
            enterprise_credit_code: firm.map(|i| self.firms[i].code.clone()),
        };
        let clock = self.clock(200);
        let u = accounts::create_user(self.conn, &clock, CLI, &req)?;
        self.summary
            .logins
            .push((username.into(), role.into(), name.into()));
        Ok(u.id)
    }

    /// The supplier account of a firm, made when it has none (payments name a real user).
    pub(super) fn user_of(&mut self, enterprise_id: &str) -> Result<String> {
        let found = crate::db::users::id_of_enterprise_user(self.conn, enterprise_id)?;
        if let Some(id) = found {
            return Ok(id);
        }
        let index = self
            .firms
            .iter()
            .position(|f| f.id == enterprise_id)
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("unknown demo firm")))?;
        let username = format!("supplier{}", self.summary.logins.len() + 1);
        self.user(&username, "中标供应商", "supplier", None, Some(index))
    }

    /// An organisation with its contacts for the notices (地址、联系人、电话).
    pub(super) fn org(
        &mut self,
        kind: &str,
        name: &str,
        region: &str,
        parent: Option<&str>,
        (address, contact, phone): (&str, &str, &str),
    ) -> Result<String> {
        let clock = self.clock(200);
        let o = accounts::create_org(
            self.conn,
            &clock,
            CLI,
            &CreateOrgRequest {
                kind: kind.into(),
                name: name.into(),
                credit_code: None,
                region: Some(region.into()),
                parent_id: parent.map(str::to_string),
                address: Some(address.into()),
                contact_name: Some(contact.into()),
                contact_phone: Some(phone.into()),
            },
        )?;
        Ok(o.id)
    }

    pub(super) fn catalogue(&mut self, sellers: &[usize]) -> Result<()> {
        for (n, &seller) in sellers.iter().enumerate() {
            let supplier = self.firms[seller].id.clone();
            for k in 0..4 {
                let (code, kind, unit, low, high, specs) = *self.rng.pick(KINDS);
                let price = low + self.rng.below(high - low);
                let maker = self.rng.below(self.firms.len() as u64) as usize;
                let input = ProductInput {
                    sku: Some(format!("DEMO-{n:03}-{k}")),
                    name: Some(kind.to_string()),
                    category_code: Some(code.into()),
                    spec: Some(self.rng.pick(specs).to_string()),
                    unit: Some(unit.into()),
                    price: Some(format!("{price}.00")),
                    manufacturer_credit_code: Some(self.firms[maker].code.clone()),
                    ..ProductInput::default()
                };
                let clock = self.clock(150 - (n as i64 % 30));
                let p = catalogue::create(
                    self.conn,
                    &clock,
                    // The demo lists for the supplier from the command line.
                    &Actor::Supplier {
                        enterprise_id: &supplier,
                        user_id: CLI,
                    },
                    &input,
                )?;
                self.summary.products += 1;
                // Two later prices: the market moves a few percent either way.
                let mut current = price;
                for (step, days_ago) in [(0, 90 - (n as i64 % 20)), (1, 30 - (n as i64 % 20))] {
                    if self.rng.below(3) == 0 && step == 1 {
                        continue;
                    }
                    let pct = 90 + self.rng.below(21);
                    current = (current * pct / 100).max(1);
                    let clock = self.clock(days_ago);
                    catalogue::update(
                        self.conn,
                        &clock,
                        &Actor::Supplier {
                            enterprise_id: &supplier,
                            user_id: CLI,
                        },
                        p.id,
                        &ProductPatch {
                            price: Some(format!("{current}.00")),
                            ..ProductPatch::default()
                        },
                    )?;
                    self.summary.price_changes += 1;
                }
            }
        }
        Ok(())
    }
}
