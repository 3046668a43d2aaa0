//! Summaries compared by what they say, not by the ids they gave their users and
//! datasets: the summaries of one input split, chunked or ordered differently are equal.

use super::{FileNote, HashMap, ObjAgg, RejectAgg, Removed, Summary, Users};
use crate::ip::IpKey;
use crate::parse::Reject;
use crate::time::{Day, UnixSeconds};
use std::collections::BTreeMap;

/// What a summary says, independent of the ids it gave users and datasets: for comparing
/// summaries of the same input split or ordered differently.
#[derive(Debug, PartialEq)]
struct Canonical<'a> {
    counts: [u64; 10],
    removed: Removed,
    coverage: Option<(UnixSeconds, UnixSeconds)>,
    users: BTreeMap<IpKey, (UnixSeconds, &'a str)>,
    datasets: BTreeMap<&'a str, CanonicalDataset<'a>>,
    objects: BTreeMap<&'a str, CanonicalObject<'a>>,
    rejects: &'a BTreeMap<Reject, RejectAgg>,
    file_notes: &'a Vec<FileNote>,
    counter: Option<CanonicalCounter<'a>>,
}

/// What COUNTER's rules remember, by names rather than ids.
type CanonicalCounter<'a> = (
    [u64; 3],
    BTreeMap<
        (
            IpKey,
            &'a str,
            crate::counter::Access,
            u32,
            &'a str,
            &'a str,
            &'a str,
        ),
        (Vec<crate::counter::Chain>, Vec<crate::counter::Chain>),
    >,
);

/// A dataset: its DOI and, per day, downloads, bytes and users with their downloads and
/// bytes.
type CanonicalDataset<'a> = (&'a str, Vec<(Day, u64, u64, Vec<(IpKey, u64, u64)>)>);

/// An object: downloads, bytes, users, dataset name, first and last download, sizes.
type CanonicalObject<'a> = (
    u64,
    u64,
    Vec<IpKey>,
    &'a str,
    UnixSeconds,
    UnixSeconds,
    Vec<(u64, u64)>,
);

fn ips(users: &Users, set: impl IntoIterator<Item = u32>) -> Vec<IpKey> {
    let mut ips: Vec<IpKey> = set.into_iter().map(|u| users.ip(u)).collect();
    ips.sort();
    ips
}

fn canonical_objects<'a>(
    s: &'a Summary,
    m: &'a HashMap<String, ObjAgg>,
) -> BTreeMap<&'a str, CanonicalObject<'a>> {
    m.iter()
        .map(|(k, a)| {
            let mut sizes: Vec<(u64, u64)> = a.sizes.iter().collect();
            sizes.sort_unstable();
            let dataset = s.datasets[a.dataset as usize].name.as_str();
            let users = ips(&s.users, &a.users);
            let o = (
                a.downloads,
                a.bytes_sent,
                users,
                dataset,
                a.first,
                a.last,
                sizes,
            );
            (k.as_str(), o)
        })
        .collect()
}

impl Summary {
    fn canonical(&self) -> Canonical<'_> {
        Canonical {
            counts: [
                self.read.files,
                self.read.bytes,
                self.read.lines,
                self.read.parsed,
                self.read.rejected,
                self.read.blank,
                self.ambiguous_user_agent,
                self.candidates,
                self.downloads,
                self.bytes_sent,
            ],
            removed: self.removed,
            coverage: self.coverage,
            users: self
                .users
                .iter()
                .map(|(ip, f)| (ip, (f.time, f.line.as_str())))
                .collect(),
            datasets: self
                .datasets
                .iter()
                .map(|d| {
                    let days = d
                        .days()
                        .map(|x| {
                            let mut users: Vec<(IpKey, u64, u64)> = x
                                .users
                                .iter()
                                .zip(x.counts)
                                .map(|(&u, c)| (self.users.ip(u), c.downloads, c.bytes_sent))
                                .collect();
                            users.sort_unstable();
                            (x.day, x.downloads, x.bytes_sent, users)
                        })
                        .collect();
                    (d.name.as_str(), (d.doi.as_str(), days))
                })
                .collect(),
            objects: canonical_objects(self, &self.objects),
            rejects: &self.rejects,
            file_notes: &self.file_notes,
            counter: self.counter.as_ref().map(|c| c.canonical()),
        }
    }
}

/// Equal when they say the same: same counts, users and their first downloads, datasets
/// with the same days and users, objects with the same users, rejects and notes —
/// whatever ids each gave its users and datasets.
impl PartialEq for Summary {
    fn eq(&self, other: &Summary) -> bool {
        self.canonical() == other.canonical()
    }
}
