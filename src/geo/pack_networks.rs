//! Packing the network table (`networks.bin`) and the cloud table (`cloud.bin`) from
//! ip-location-db's ASN CSVs, AWS's `ip-ranges.json` prefixes and the list `cloud.csv`
//! (`scripts/update-geo.sh` runs it through `examples/pack_geo.rs`). Native only.
//!
//! Overlaps are settled as for the countries ([`flatten`]: the narrowest range wins), and
//! the special-purpose blocks are in no network.

use super::cloud::{self, ProviderId};
use super::networks::{self, AwsId, NetworkId, NAMED_V4};
use super::pack::{
    cut, deflate, flatten, gaps, gaps_v4, read_ranges, starts_and_ids, SPECIAL_V4, SPECIAL_V6,
};
use super::Source;
use std::collections::{BTreeMap, HashMap};

/// A range of one family's addresses as numbers, inclusive, with its AS number.
pub type AsnRange = (u128, u128, u32);

/// One prefix AWS publishes: `address/bits`, region, service (a prefix can be listed for
/// several services).
pub struct AwsPrefix {
    /// `3.5.140.0/22`
    pub prefix: String,
    /// `ap-northeast-2`
    pub region: String,
    /// `EC2`, `S3`, `AMAZON` (Amazon's ranges of no one service)…
    pub service: String,
}

/// Reads a `start,end,asn,name` CSV of addresses written as numbers (ip-location-db's
/// `asn-ipv4-num.csv`), adding each AS number's name (its first) to `names`.
pub fn read_asn_csv(
    text: &str,
    max: u128,
    names: &mut HashMap<u32, String>,
) -> Result<Vec<AsnRange>, String> {
    read_ranges(text, max, "start,end,asn,name", |row| {
        let asn: u32 = row[2].parse().ok().filter(|&a| a != 0)?;
        names
            .entry(asn)
            .or_insert_with(|| row[3].trim().to_string());
        Some(asn)
    })
}

/// The cloud list: `provider,asn,name_in_asn_table` rows; providers numbered from 1 in
/// the order they first appear.
pub fn read_cloud_list(text: &str) -> Result<(Vec<String>, BTreeMap<u32, ProviderId>), String> {
    let mut providers = vec![String::new()];
    let mut by_asn = BTreeMap::new();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    for (i, row) in r.records().enumerate() {
        let row = row.map_err(|e| format!("cloud list row {}: {e}", i + 2))?;
        let bad = || format!("cloud list row {}: not provider,asn,name: {:?}", i + 2, row);
        if row.len() != 3 || row[0].trim().is_empty() {
            return Err(bad());
        }
        let asn: u32 = row[1].parse().map_err(|_| bad())?;
        let provider = row[0].trim();
        let id = match providers.iter().position(|p| p == provider) {
            Some(i) => i,
            None => {
                providers.push(provider.to_string());
                providers.len() - 1
            }
        };
        let id = ProviderId::try_from(id).map_err(|_| "more than 255 cloud providers")?;
        if by_asn.insert(asn, id).is_some() {
            return Err(format!("cloud list: AS{asn} is listed twice"));
        }
    }
    Ok((providers, by_asn))
}

/// How many addresses a family's disjoint ranges of each AS number hold.
fn sizes(flat: &[(u128, u128, &u32)]) -> HashMap<u32, u128> {
    let mut out: HashMap<u32, u128> = HashMap::new();
    for &(a, b, &asn) in flat {
        let n = out.entry(asn).or_default();
        *n = n.saturating_add(b - a + 1);
    }
    out
}

/// The packed network and cloud tables: (networks.bin, cloud.bin).
pub struct Inputs<'a> {
    /// ip-location-db's `asn-ipv4-num.csv`.
    pub v4_csv: &'a str,
    /// ip-location-db's `asn-ipv6-num.csv`.
    pub v6_csv: &'a str,
    /// Where they come from.
    pub source: Source,
    /// AWS's prefixes (IPv4 and IPv6).
    pub aws: Vec<AwsPrefix>,
    /// Where those come from.
    pub aws_source: Source,
    /// `cloud.csv`.
    pub cloud_list: &'a str,
}

/// Packs both tables: (networks.bin, cloud.bin).
pub fn pack(inputs: Inputs<'_>) -> Result<(Vec<u8>, Vec<u8>), String> {
    let mut names = HashMap::new();
    let v4 = read_asn_csv(inputs.v4_csv, u32::MAX as u128, &mut names)
        .map_err(|e| format!("IPv4 network table: {e}"))?;
    let v6 = read_asn_csv(inputs.v6_csv, u128::MAX, &mut names)
        .map_err(|e| format!("IPv6 network table: {e}"))?;
    let (f4, f6) = (
        cut(flatten(&v4), &SPECIAL_V4),
        cut(flatten(&v6), &SPECIAL_V6),
    );
    // Numbers: the AS numbers with the most ranges first (their numbers are the shortest).
    let mut count: HashMap<u32, usize> = HashMap::new();
    for &(_, _, &asn) in f4.iter().chain(&f6) {
        *count.entry(asn).or_default() += 1;
    }
    let mut order: Vec<u32> = count.keys().copied().collect();
    order.sort_by_key(|a| (std::cmp::Reverse(count[a]), *a));
    let number: HashMap<u32, NetworkId> = order
        .iter()
        .enumerate()
        .map(|(i, &a)| (a, (i + 1) as NetworkId))
        .collect();
    let (s4, s6) = (sizes(&f4), sizes(&f6));
    let named = |a: &u32| {
        s4.get(a).copied().unwrap_or(0) >= NAMED_V4 as u128
            || s6.get(a).copied().unwrap_or(0) >= 1 << 80
    };
    let mut asns = vec![0];
    let mut kept = vec![String::new()];
    for a in &order {
        asns.push(*a);
        kept.push(if named(a) {
            names[a].clone()
        } else {
            String::new()
        });
    }
    let (n4, v4_ids) = starts_and_ids(&f4, |a: &u32| number[a], u32::MAX as u128);
    let (n6, v6_ids) = starts_and_ids(&f6, |a: &u32| number[a], u128::MAX);

    // AWS: (region, service) pairs numbered from 1, in order.
    let mut labels: Vec<(String, String)> = inputs
        .aws
        .iter()
        .map(|p| (p.region.clone(), p.service.clone()))
        .collect();
    labels.sort();
    labels.dedup();
    labels.insert(0, (String::new(), String::new()));
    if labels.len() > AwsId::MAX as usize {
        return Err("too many AWS regions and services".into());
    }
    let (mut a4, mut a6) = (Vec::new(), Vec::new());
    for p in &inputs.aws {
        let id = labels
            .binary_search(&(p.region.clone(), p.service.clone()))
            .expect("listed") as AwsId;
        let (a, b) = super::pack::block(&p.prefix);
        match p.prefix.contains(':') {
            false => a4.push((a, b, id)),
            true => a6.push((a, b, id)),
        }
    }
    // A prefix listed for several services (most are AMAZON and EC2, some S3 too) is
    // named by the one a client's requests come from: EC2 first, AMAZON (Amazon's ranges
    // of no one service) last. Ties go to the later row, so the preferred come last.
    let rank = |id: &AwsId| match labels[*id as usize].1.as_str() {
        "AMAZON" => 0,
        "EC2" => 2,
        _ => 1,
    };
    a4.sort_by_key(|r| (r.0, r.1, rank(&r.2), r.2));
    a6.sort_by_key(|r| (r.0, r.1, rank(&r.2), r.2));
    let (fa4, fa6) = (flatten(&a4), flatten(&a6));
    let (as4, aws_v4_ids) = starts_and_ids(&fa4, |i: &AwsId| *i, u32::MAX as u128);
    let (as6, aws_v6_ids) = starts_and_ids(&fa6, |i: &AwsId| *i, u128::MAX);
    let networks = networks::Packed {
        format: networks::FORMAT,
        source: inputs.source.clone(),
        aws_source: inputs.aws_source.clone(),
        asns,
        names: kept,
        v4_gaps: gaps_v4(&n4),
        v4_ids,
        v6_gaps: gaps(&n6),
        v6_ids,
        aws_labels: labels,
        aws_v4_gaps: gaps_v4(&as4),
        aws_v4_ids,
        aws_v6_gaps: gaps(&as6),
        aws_v6_ids,
    };

    // Cloud: the listed networks' ranges and AWS's, the narrowest winning where they meet.
    let (providers, by_asn) = read_cloud_list(inputs.cloud_list)?;
    if let Some(a) = by_asn.keys().find(|a| !count.contains_key(a)) {
        return Err(format!(
            "cloud list: AS{a} is in no range of the network table"
        ));
    }
    let aws = providers
        .iter()
        .position(|p| p == "Amazon Web Services")
        .ok_or("cloud list: no \"Amazon Web Services\" provider for AWS's ranges")?
        as ProviderId;
    let cloud_ranges = |flat: &[(u128, u128, &u32)], amazon: &[(u128, u128, &AwsId)]| {
        let mut all: Vec<(u128, u128, ProviderId)> = flat
            .iter()
            .filter_map(|&(a, b, asn)| by_asn.get(asn).map(|&p| (a, b, p)))
            .collect();
        all.extend(amazon.iter().map(|&(a, b, _)| (a, b, aws)));
        all.sort();
        flatten(&all)
            .into_iter()
            .map(|(a, b, &p)| (a, b, p))
            .collect::<Vec<_>>()
    };
    let (c4, c6) = (cloud_ranges(&f4, &fa4), cloud_ranges(&f6, &fa6));
    let (cs4, cv4_ids) = starts_and_ids(&c4, |p| p, u32::MAX as u128);
    let (cs6, cv6_ids) = starts_and_ids(&c6, |p| p, u128::MAX);
    let cloud = cloud::Packed {
        format: cloud::FORMAT,
        sources: vec![
            inputs.source,
            inputs.aws_source,
            Source {
                name: "s3logdrop's list of cloud and hosting networks (src/geo/cloud.csv)".into(),
                date: String::new(),
                licence: "part of s3logdrop".into(),
            },
        ],
        providers,
        v4_gaps: gaps_v4(&cs4),
        v4_ids: cv4_ids,
        v6_gaps: gaps(&cs6),
        v6_ids: cv6_ids,
    };
    Ok((deflate(&networks)?, deflate(&cloud)?))
}
