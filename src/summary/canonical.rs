//! Summaries compared by what they say, not by the ids they gave their users: the
//! summaries of one input split, chunked or ordered differently are equal.

use super::{FileNote, HashMap, ObjAgg, RejectAgg, Removed, Summary, Users, WeekAgg};
use crate::ip::IpKey;
use crate::parse::Reject;
use crate::time::{Day, UnixSeconds};
use std::collections::BTreeMap;

/// What a summary says, independent of the ids it gave users: for comparing summaries
/// of the same input split or ordered differently.
#[derive(Debug, PartialEq)]
struct Canonical<'a> {
    counts: [u64; 10],
    removed: Removed,
    weeks: &'a BTreeMap<Day, WeekAgg>,
    users: BTreeMap<IpKey, (UnixSeconds, &'a str)>,
    active: std::collections::BTreeSet<(Day, IpKey)>,
    objects: CanonicalAggs<'a>,
    rejects: &'a BTreeMap<Reject, RejectAgg>,
    file_notes: &'a Vec<FileNote>,
}

type CanonicalAggs<'a> = BTreeMap<&'a str, (u64, u64, Vec<IpKey>)>;

fn canonical_aggs<'a>(users: &Users, m: &'a HashMap<String, ObjAgg>) -> CanonicalAggs<'a> {
    m.iter()
        .map(|(k, a)| {
            let mut ips: Vec<IpKey> = a.users.iter().map(|u| users.ip(u)).collect();
            ips.sort();
            (k.as_str(), (a.downloads, a.bytes_sent, ips))
        })
        .collect()
}

impl Summary {
    fn canonical(&self) -> Canonical<'_> {
        Canonical {
            counts: [
                self.files,
                self.bytes,
                self.lines,
                self.parsed,
                self.rejected,
                self.blank,
                self.ambiguous_user_agent,
                self.candidates,
                self.downloads,
                self.bytes_sent,
            ],
            removed: self.removed,
            weeks: &self.weeks,
            users: self
                .users
                .iter()
                .map(|(ip, f)| (ip, (f.time, f.line.as_str())))
                .collect(),
            active: self
                .active
                .iter()
                .flat_map(|(&w, set)| set.iter().map(move |u| (w, self.users.ip(u))))
                .collect(),
            objects: canonical_aggs(&self.users, &self.objects),
            rejects: &self.rejects,
            file_notes: &self.file_notes,
        }
    }
}

/// Equal when they say the same: same counts, weeks, users and their first downloads,
/// active weeks, objects with the same users (and so the same prefixes), rejects and
/// notes — whatever ids each gave its users.
impl PartialEq for Summary {
    fn eq(&self, other: &Summary) -> bool {
        self.canonical() == other.canonical()
    }
}
