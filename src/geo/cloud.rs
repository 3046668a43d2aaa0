//! Which addresses are cloud and hosting machines: the ranges of the networks listed in
//! `cloud.csv` (the big cloud and hosting providers, by AS number) and every range AWS
//! publishes. One table decides it everywhere: the scan's "exclude cloud and hosting
//! networks" setting, the networks table's `cloud` column and the share of downloads from
//! them. It is small, built into the engine (the workers too).
//!
//! `cloud.bin` is made by `scripts/update-geo.sh` with the network table, from the same
//! sources and the list.

use super::ranges::Ranges;
use super::{unpack, Source};
use crate::ip::IpKey;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// A provider's number in the table: 0 is "not a cloud or hosting network".
pub type ProviderId = u8;

/// The packed form's version: [`Cloud::from_packed`] refuses any other.
pub(super) const FORMAT: u32 = 1;

static BUILTIN: &[u8] = include_bytes!("cloud.bin");

/// The cloud and hosting ranges, with their provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cloud {
    sources: Vec<Source>,
    /// Provider names by number; number 0 is "".
    providers: Vec<String>,
    ranges: Ranges<ProviderId>,
}

/// The packed form, before deflate.
#[derive(Serialize, Deserialize)]
pub(super) struct Packed {
    pub format: u32,
    pub sources: Vec<Source>,
    pub providers: Vec<String>,
    pub v4_gaps: Vec<u32>,
    pub v4_ids: Vec<ProviderId>,
    pub v6_gaps: Vec<u128>,
    pub v6_ids: Vec<ProviderId>,
}

impl Cloud {
    /// The table built into the program, unpacked on first use.
    pub fn builtin() -> &'static Cloud {
        static TABLE: OnceLock<Cloud> = OnceLock::new();
        TABLE.get_or_init(|| Cloud::from_packed(BUILTIN).expect("the built-in cloud table unpacks"))
    }

    /// The provider of an address: its number, 0 when it is no cloud or hosting machine.
    #[inline]
    pub fn lookup(&self, ip: IpKey) -> ProviderId {
        self.ranges.lookup(ip)
    }

    /// The provider's name (`None` for 0).
    pub fn provider(&self, id: ProviderId) -> Option<&str> {
        Some(self.providers[id as usize].as_str()).filter(|p| !p.is_empty())
    }

    /// The providers, by number from 1.
    pub fn providers(&self) -> &[String] {
        &self.providers[1..]
    }

    /// Where the ranges come from.
    pub fn sources(&self) -> &[Source] {
        &self.sources
    }

    /// How many starts each family has: (IPv4, IPv6).
    pub fn ranges(&self) -> (usize, usize) {
        self.ranges.len()
    }

    /// Reads a packed table, checking everything a lookup relies on.
    pub fn from_packed(bytes: &[u8]) -> Result<Cloud, String> {
        let what = "the cloud table";
        let p: Packed = unpack(bytes, what)?;
        if p.format != FORMAT {
            return Err(format!(
                "cloud table format {} (this program reads {FORMAT})",
                p.format
            ));
        }
        if p.providers.first().is_none_or(|p| !p.is_empty()) || p.providers.len() > 256 {
            return Err(format!("{what}'s providers are not as expected"));
        }
        let n = p.providers.len();
        let ranges =
            Ranges::from_gaps(what, (&p.v4_gaps, p.v4_ids), (&p.v6_gaps, p.v6_ids), |i| {
                (i as usize) < n
            })?;
        Ok(Cloud {
            sources: p.sources,
            providers: p.providers,
            ranges,
        })
    }
}
