//! Where the downloads come from: each user's address looked up once in every table when
//! the report is made (never once per line) — its [`Place`] — and each day's per-user
//! downloads added up by country and by network, for all datasets or one, over all days
//! or some.

use super::cloud::ProviderId;
use super::networks::{AwsId, NetworkId};
use super::{Cloud, Countries, CountryId, Networks};
use crate::summary::{DatasetAgg, HashMap, Summary};
use crate::time::Day;
use serde::Serialize;
use std::hash::Hash;

/// The tables a report looks addresses up in.
#[derive(Clone, Copy)]
pub struct Tables<'a> {
    /// IP → country.
    pub countries: &'a Countries,
    /// IP → network and AWS range.
    pub networks: &'a Networks,
    /// IP → cloud or hosting provider.
    pub cloud: &'a Cloud,
}

impl Tables<'static> {
    /// The tables built into the program.
    pub fn builtin() -> Tables<'static> {
        Tables {
            countries: Countries::builtin(),
            networks: Networks::builtin(),
            cloud: Cloud::builtin(),
        }
    }
}

/// Where one user's address is, by the numbers of each table (0: unknown, or none).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Place {
    /// Its country.
    pub country: CountryId,
    /// Its cloud or hosting provider (0: none).
    pub cloud: ProviderId,
    /// Its AWS range (region and service; 0: none).
    pub aws: AwsId,
    /// Its network.
    pub network: NetworkId,
}

/// Each user's place, by user id: each distinct user looked up once.
pub fn places(s: &Summary, t: Tables<'_>) -> Vec<Place> {
    s.users
        .iter()
        .map(|(ip, _)| Place {
            country: t.countries.lookup(ip),
            cloud: t.cloud.lookup(ip),
            aws: t.networks.aws(ip),
            network: t.networks.lookup(ip),
        })
        .collect()
}

/// Which downloads a table adds up: those of some datasets (all of the summary's, or
/// one), on the days from `.0` to `.1` (inclusive; all days with `None`).
pub struct Scope<'a, D: IntoIterator<Item = &'a DatasetAgg>> {
    /// The datasets.
    pub datasets: D,
    /// The days.
    pub days: Option<(Day, Day)>,
}

/// One country's downloads, users and bytes (of all datasets or of one).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CountryRow {
    /// ISO 3166 two-letter code; empty for addresses no range holds (and downloads with
    /// no address, which the AWS-internal setting can keep).
    pub country_code: String,
    /// English name (`Unknown` for the empty code).
    pub country: String,
    /// Counted downloads.
    pub downloads: u64,
    /// Distinct users (a user is one address, so in one country).
    pub unique_users: u64,
    /// Sum of bytes_sent.
    pub bytes_sent: u64,
}

/// One network's downloads, users and bytes: an organisation's AS, split by AWS region
/// for Amazon's addresses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NetworkRow {
    /// The AS number (`None`: no range holds the address, or no address).
    pub asn: Option<u32>,
    /// The organisation's name; empty when the table gives none (or no AS is known).
    pub network: String,
    /// The cloud or hosting provider; empty for other networks.
    pub cloud: String,
    /// The AWS region, for addresses in AWS's published ranges; empty otherwise.
    pub aws_region: String,
    /// Counted downloads.
    pub downloads: u64,
    /// Distinct users.
    pub unique_users: u64,
    /// Sum of bytes_sent.
    pub bytes_sent: u64,
}

/// Downloads, distinct users and bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Counted downloads.
    pub downloads: u64,
    /// Distinct users.
    pub unique_users: u64,
    /// Sum of bytes_sent.
    pub bytes_sent: u64,
}

/// The downloads in a scope, user by user: read once from the (dataset, day, user)
/// entries, then added up by country, by network, or by anything else a user's place
/// decides, one user at a time.
pub struct ByUser {
    /// Each user's downloads and bytes, `unique_users` 1 when the scope has any of theirs.
    users: Vec<Totals>,
    /// The downloads with no address (AWS-internal ones, when kept).
    nobody: Totals,
}

impl ByUser {
    /// The downloads of `scope` by user.
    pub fn new<'a>(
        s: &Summary,
        scope: Scope<'a, impl IntoIterator<Item = &'a DatasetAgg>>,
    ) -> ByUser {
        let mut by = ByUser {
            users: vec![Totals::default(); s.users.len()],
            nobody: Totals::default(),
        };
        let days = scope.days.unwrap_or((Day::MIN, Day::MAX));
        for d in scope.datasets {
            by.add(d, days);
        }
        by
    }

    /// Adds a dataset's downloads on the days from `days.0` to `days.1`. A call a dataset,
    /// never inlined: in the page, a WebAssembly function runs as first compiled (quickly,
    /// and slower) until it returns; the better code made meanwhile serves its next calls.
    #[inline(never)]
    fn add(&mut self, d: &DatasetAgg, (from, to): (Day, Day)) {
        for x in d.days().filter(|x| (from..=to).contains(&x.day)) {
            let (mut downloads, mut bytes_sent) = (0, 0);
            for (&u, c) in x.users.iter().zip(x.counts) {
                let a = &mut self.users[u as usize];
                a.downloads += c.downloads;
                a.bytes_sent += c.bytes_sent;
                a.unique_users = 1;
                downloads += c.downloads;
                bytes_sent += c.bytes_sent;
            }
            self.nobody.downloads += x.downloads.saturating_sub(downloads);
            self.nobody.bytes_sent += x.bytes_sent.saturating_sub(bytes_sent);
        }
    }

    /// The downloads added up by `key(place)`; those with no address go to `nobody`. A
    /// user counts once, in the key of their place.
    fn tally<K: Hash + Eq + Copy>(
        &self,
        places: &[Place],
        key: impl Fn(&Place) -> K,
        nobody: K,
    ) -> HashMap<K, Totals> {
        let mut acc: HashMap<K, Totals> = HashMap::default();
        let mut add = |k: K, t: &Totals| {
            let a = acc.entry(k).or_default();
            a.downloads += t.downloads;
            a.bytes_sent += t.bytes_sent;
            a.unique_users += t.unique_users;
        };
        for (t, p) in self.users.iter().zip(places) {
            if t.unique_users > 0 {
                add(key(p), t);
            }
        }
        if self.nobody != Totals::default() {
            add(nobody, &self.nobody);
        }
        acc
    }
}

/// Most downloaded first, ties by `name`, the unknown last.
fn order<T, N: Ord>(
    rows: &mut [T],
    unknown: impl Fn(&T) -> bool,
    downloads: impl Fn(&T) -> u64,
    name: impl Fn(&T) -> N,
) {
    rows.sort_by_cached_key(|r| (unknown(r), std::cmp::Reverse(downloads(r)), name(r)));
}

/// The countries of the downloads `by` user, most downloaded first (ties by name),
/// "Unknown" last; `places` is [`places`]'s.
pub fn countries(t: &Countries, places: &[Place], by: &ByUser) -> Vec<CountryRow> {
    let acc = by.tally(places, |p| p.country, 0);
    let mut rows: Vec<CountryRow> = acc
        .into_iter()
        .map(|(id, a)| CountryRow {
            country_code: t.code(id).to_string(),
            country: t.name(id).to_string(),
            downloads: a.downloads,
            unique_users: a.unique_users,
            bytes_sent: a.bytes_sent,
        })
        .collect();
    order(
        &mut rows,
        |r| r.country_code.is_empty(),
        |r| r.downloads,
        |r| r.country.clone(),
    );
    rows
}

/// The networks of the downloads `by` user, most downloaded first (ties by name, AS
/// number, region), the unknown last; `places` is [`places`]'s.
pub fn networks(t: Tables<'_>, places: &[Place], by: &ByUser) -> Vec<NetworkRow> {
    let n = t.networks;
    let region = |p: &Place| n.aws_region(p.aws).unwrap_or("");
    let acc = by.tally(places, |p| (p.network, region(p), p.cloud), (0, "", 0));
    let mut rows: Vec<NetworkRow> = acc
        .into_iter()
        .map(|((id, region, cloud), a)| NetworkRow {
            asn: n.asn(id),
            network: n.name(id).unwrap_or_default().to_string(),
            cloud: t.cloud.provider(cloud).unwrap_or_default().to_string(),
            aws_region: region.to_string(),
            downloads: a.downloads,
            unique_users: a.unique_users,
            bytes_sent: a.bytes_sent,
        })
        .collect();
    order(
        &mut rows,
        |r| r.asn.is_none() && r.cloud.is_empty(),
        |r| r.downloads,
        |r| {
            (
                r.network.clone(),
                r.asn,
                r.aws_region.clone(),
                r.cloud.clone(),
            )
        },
    );
    rows
}

/// The part of network rows from cloud and hosting networks: a user is in one row (their
/// place decides it), so the rows' users add up to the distinct users.
pub fn cloud_share(rows: &[NetworkRow]) -> Totals {
    rows.iter()
        .filter(|r| !r.cloud.is_empty())
        .fold(Totals::default(), |t, r| Totals {
            downloads: t.downloads + r.downloads,
            unique_users: t.unique_users + r.unique_users,
            bytes_sent: t.bytes_sent + r.bytes_sent,
        })
}
