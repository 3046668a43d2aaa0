//! IP → network: the autonomous system (ASN and the organisation's name) that announces
//! an address, and for Amazon's addresses the AWS region and service. Used when the report
//! is made, once per distinct user, never in the scan.
//!
//! `networks.bin` is made by `scripts/update-geo.sh` from the npm package
//! `@ip-location-db/asn` (RouteViews and DB-IP data, CC BY 4.0) and AWS's published
//! `ip-ranges.json` (as shipped by the crate `aws-ip-ranges`). To stay small it keeps the
//! organisation names of the networks that hold at least [`NAMED_V4`] IPv4 addresses or a
//! /48 of IPv6; the others are known by their number only.

use super::ranges::Ranges;
use super::{builtin_bytes, unpack, Source};
use crate::ip::IpKey;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// A network's number in a table: 0 is "no network known".
pub type NetworkId = u32;

/// An AWS (region, service) pair's number in a table: 0 is "not an AWS range".
pub type AwsId = u16;

/// Networks holding fewer IPv4 addresses than this (and less than a /48 of IPv6) are
/// packed without their name.
pub const NAMED_V4: u64 = 1024;

/// The packed form's version: [`Networks::from_packed`] refuses any other.
pub(super) const FORMAT: u32 = 1;

/// An IP → network table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Networks {
    source: Source,
    aws_source: Source,
    /// AS numbers by network number; number 0 is 0 (unknown).
    asns: Vec<u32>,
    /// Organisation names by network number; empty when not kept (and for 0).
    names: Vec<String>,
    ranges: Ranges<NetworkId>,
    /// (region, service) by AWS number; number 0 is ("", "").
    aws_labels: Vec<(String, String)>,
    aws: Ranges<AwsId>,
}

/// The packed form, before deflate.
#[derive(Serialize, Deserialize)]
pub(super) struct Packed {
    pub format: u32,
    pub source: Source,
    pub aws_source: Source,
    pub asns: Vec<u32>,
    pub names: Vec<String>,
    pub v4_gaps: Vec<u32>,
    pub v4_ids: Vec<NetworkId>,
    pub v6_gaps: Vec<u128>,
    pub v6_ids: Vec<NetworkId>,
    pub aws_labels: Vec<(String, String)>,
    pub aws_v4_gaps: Vec<u32>,
    pub aws_v4_ids: Vec<AwsId>,
    pub aws_v6_gaps: Vec<u128>,
    pub aws_v6_ids: Vec<AwsId>,
}

impl Networks {
    /// The table built into the program, unpacked on first use.
    pub fn builtin() -> &'static Networks {
        static TABLE: OnceLock<Networks> = OnceLock::new();
        TABLE.get_or_init(|| {
            Networks::from_packed(builtin_bytes().1).expect("the built-in network table unpacks")
        })
    }

    /// The network of an address: its number, 0 when no range holds it.
    #[inline]
    pub fn lookup(&self, ip: IpKey) -> NetworkId {
        self.ranges.lookup(ip)
    }

    /// The AWS range of an address: its number, 0 when it is in none.
    #[inline]
    pub fn aws(&self, ip: IpKey) -> AwsId {
        self.aws.lookup(ip)
    }

    /// The AS number of a network number (`None` for 0).
    pub fn asn(&self, id: NetworkId) -> Option<u32> {
        Some(self.asns[id as usize]).filter(|&a| a != 0)
    }

    /// The organisation's name (`None` for 0 and for networks packed without a name).
    pub fn name(&self, id: NetworkId) -> Option<&str> {
        Some(self.names[id as usize].as_str()).filter(|n| !n.is_empty())
    }

    /// The AWS region of an AWS number (`None` for 0).
    pub fn aws_region(&self, id: AwsId) -> Option<&str> {
        Some(self.aws_labels[id as usize].0.as_str()).filter(|r| !r.is_empty())
    }

    /// The AWS service of an AWS number (`AMAZON` for Amazon's ranges of no one service).
    pub fn aws_service(&self, id: AwsId) -> Option<&str> {
        Some(self.aws_labels[id as usize].1.as_str()).filter(|r| !r.is_empty())
    }

    /// Where the network data comes from.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// Where the AWS ranges come from.
    pub fn aws_source(&self) -> &Source {
        &self.aws_source
    }

    /// How many networks the table knows (by number) and how many of them are named.
    pub fn counts(&self) -> (usize, usize) {
        let named = self.names.iter().filter(|n| !n.is_empty()).count();
        (self.asns.len() - 1, named)
    }

    /// How many starts each family has: (IPv4, IPv6), networks and AWS ranges.
    pub fn ranges(&self) -> ((usize, usize), (usize, usize)) {
        (self.ranges.len(), self.aws.len())
    }

    /// Reads a packed table, checking everything a lookup relies on.
    pub fn from_packed(bytes: &[u8]) -> Result<Networks, String> {
        let what = "the network table";
        let p: Packed = unpack(bytes, what)?;
        if p.format != FORMAT {
            return Err(format!(
                "network table format {} (this program reads {FORMAT})",
                p.format
            ));
        }
        if p.asns.len() != p.names.len()
            || p.asns.first() != Some(&0)
            || p.aws_labels.first().is_none_or(|l| !l.0.is_empty())
            || p.aws_labels.len() > AwsId::MAX as usize + 1
        {
            return Err(format!("{what}'s numbers and names do not match"));
        }
        let (n, a) = (p.asns.len(), p.aws_labels.len());
        let ranges =
            Ranges::from_gaps(what, (&p.v4_gaps, p.v4_ids), (&p.v6_gaps, p.v6_ids), |i| {
                (i as usize) < n
            })?;
        let aws = Ranges::from_gaps(
            what,
            (&p.aws_v4_gaps, p.aws_v4_ids),
            (&p.aws_v6_gaps, p.aws_v6_ids),
            |i| (i as usize) < a,
        )?;
        Ok(Networks {
            source: p.source,
            aws_source: p.aws_source,
            asns: p.asns,
            names: p.names,
            ranges,
            aws_labels: p.aws_labels,
            aws,
        })
    }
}
