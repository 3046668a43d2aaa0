//! The mergeable summary: everything the outputs need, bounded by what is distinct
//! (IPs, objects, weeks), never by the number of lines. `merge` of the summaries of two
//! parts of an input equals the summary of the whole.
//!
//! - this file: the summary, its aggregates, and how lines are added and summaries merged;
//! - [`users`]: each user (remote IP) with a small id and their first download;
//! - [`notes`]: problems with whole files, by kind;
//! - [`parts`]: a big file read in byte ranges, put together;
//! - `canonical`: summaries compared by what they say (`PartialEq`).

mod canonical;
pub mod notes;
pub mod parts;
pub mod users;

pub use notes::{FileNote, FileNoteKind};
pub use parts::{PartOfFile, Parts};
pub use users::{FirstDownload, Users};

use crate::parse::{Record, Reject};
use crate::settings::Removal;
use crate::time::{day_of, week_start, Day};
use roaring::RoaringBitmap;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Hash maps and sets with foldhash: seeded per process (no crafted-collision slowdowns),
/// several times faster than SipHash on IPs and keys. Outputs never depend on their order.
pub type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
/// See [`HashMap`].
pub type HashSet<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;

/// Downloads and bytes of one week (keyed by its Monday).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeekAgg {
    /// Counted downloads.
    pub downloads: u64,
    /// Sum of their bytes_sent.
    pub bytes_sent: u64,
}

/// Downloads, bytes and distinct users of one object key or key prefix.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjAgg {
    /// Counted downloads.
    pub downloads: u64,
    /// Sum of bytes_sent.
    pub bytes_sent: u64,
    /// Distinct users, by their id in the summary's [`Users`]: a compressed bitmap
    /// (2 bytes an id while sparse, a bitmap when dense), a quarter of a hash set's size.
    pub users: RoaringBitmap,
}

/// How many candidate downloads each filter removed, in the order they apply.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Removed {
    /// bytes_sent or object_size was `-`.
    pub missing_size: u64,
    /// Outside the date range.
    pub outside_dates: u64,
    /// Key outside the prefix.
    pub outside_prefix: u64,
    /// AWS-internal requests.
    pub aws_internal: u64,
    /// Excluded IPs and ranges.
    pub excluded_ip: u64,
    /// The bot rule.
    pub bot: u64,
}

impl Removed {
    fn add(&mut self, r: Removal) {
        *match r {
            Removal::MissingSize => &mut self.missing_size,
            Removal::OutsideDates => &mut self.outside_dates,
            Removal::OutsidePrefix => &mut self.outside_prefix,
            Removal::AwsInternal => &mut self.aws_internal,
            Removal::ExcludedIp => &mut self.excluded_ip,
            Removal::Bot => &mut self.bot,
        } += 1;
    }

    fn merge(&mut self, o: &Removed) {
        self.missing_size += o.missing_size;
        self.outside_dates += o.outside_dates;
        self.outside_prefix += o.outside_prefix;
        self.aws_internal += o.aws_internal;
        self.excluded_ip += o.excluded_ip;
        self.bot += o.bot;
    }
}

/// One rejected line kept as an example.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RejectSample {
    /// File name as given.
    pub file: String,
    /// 1-based line number in that file.
    pub line: u64,
    /// The line as printable text (cut at 512 bytes for over-long lines).
    pub text: String,
}

/// Count and first examples of one rejection reason.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectAgg {
    /// Lines rejected for this reason.
    pub count: u64,
    /// The first few, by (file, line).
    pub samples: Vec<RejectSample>,
}

/// Everything counted so far.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Summary {
    /// Files read.
    pub files: u64,
    /// Bytes read (as stored: compressed bytes for gzip files).
    pub bytes: u64,
    /// Lines read (parsed + rejected + blank).
    pub lines: u64,
    /// Lines parsed.
    pub parsed: u64,
    /// Lines rejected.
    pub rejected: u64,
    /// Blank lines.
    pub blank: u64,
    /// Parsed lines whose user agent split was ambiguous (still parsed and counted).
    pub ambiguous_user_agent: u64,
    /// Downloads by operation and status, before any filter (rows of parsed_output.csv).
    pub candidates: u64,
    /// Counted downloads.
    pub downloads: u64,
    /// bytes_sent of counted downloads.
    pub bytes_sent: u64,
    /// What each filter removed.
    pub removed: Removed,
    /// Weeks by their Monday (days since 1970-01-01).
    pub weeks: BTreeMap<Day, WeekAgg>,
    /// Each user (remote IP with a counted download) and its first download.
    pub users: Users,
    /// Per week (by its Monday), the ids of the users with at least one counted download
    /// in it.
    pub active: BTreeMap<Day, RoaringBitmap>,
    /// Per raw object key.
    pub objects: HashMap<String, ObjAgg>,
    /// Rejections by reason.
    pub rejects: BTreeMap<Reject, RejectAgg>,
    /// Problems with whole files.
    pub file_notes: Vec<FileNote>,
}

/// The folder of a key, cut to `n` path segments; keys at the top level are their own group.
pub fn key_prefix(key: &[u8], n: u32) -> &[u8] {
    let folder_end = match memchr::memrchr(b'/', key) {
        Some(i) => i,
        None => return key,
    };
    let mut seen = 0;
    for (i, &c) in key[..folder_end].iter().enumerate() {
        if c == b'/' {
            seen += 1;
            if seen == n {
                return &key[..i];
            }
        }
    }
    &key[..folder_end]
}

fn bump(map: &mut HashMap<String, ObjAgg>, key: &[u8], user: Option<u32>, bytes: u64) {
    let agg = match std::str::from_utf8(key) {
        Ok(k) => match map.get_mut(k) {
            Some(a) => a,
            None => map.entry(k.to_string()).or_default(),
        },
        // Keys are URL-encoded ASCII; invalid UTF-8 only comes from damaged lines.
        Err(_) => map
            .entry(String::from_utf8_lossy(key).into_owned())
            .or_default(),
    };
    agg.downloads += 1;
    agg.bytes_sent += bytes;
    if let Some(u) = user {
        agg.users.insert(u);
    }
}

impl Summary {
    /// Records a rejected line.
    pub fn reject(
        &mut self,
        reason: Reject,
        file: &str,
        line_no: u64,
        text: &[u8],
        max_samples: u32,
    ) {
        self.rejected += 1;
        let agg = self.rejects.entry(reason).or_default();
        agg.count += 1;
        // Keep the smallest (file, line) pairs, so the examples do not depend on the order
        // in which files arrive.
        let k = max_samples as usize;
        let beats_last = |s: &RejectSample| (s.file.as_str(), s.line) > (file, line_no);
        if agg.samples.len() < k || agg.samples.last().is_some_and(beats_last) {
            agg.samples.push(RejectSample {
                file: file.to_string(),
                line: line_no,
                text: crate::text::printable(text),
            });
            agg.samples.sort();
            agg.samples.truncate(k);
        }
    }

    /// Records the outcome of a candidate download: removed by a filter, or counted.
    pub fn candidate(&mut self, rec: &Record<'_>, line: &[u8], removal: Option<Removal>) {
        self.candidates += 1;
        if let Some(r) = removal {
            self.removed.add(r);
            return;
        }
        let bytes = rec.bytes_sent.unwrap_or(0);
        self.downloads += 1;
        self.bytes_sent += bytes;
        let week = week_start(day_of(rec.time));
        let w = self.weeks.entry(week).or_default();
        w.downloads += 1;
        w.bytes_sent += bytes;
        let user = rec.remote_ip.map(|ip| {
            let new_first = |rec: &Record<'_>| FirstDownload {
                time: rec.time,
                line: String::from_utf8_lossy(line).into_owned(),
                last_week: Some(week),
            };
            match self.users.index.get(&ip) {
                None => {
                    let id = self.users.push(ip, new_first(rec));
                    self.active.entry(week).or_default().insert(id);
                    id
                }
                Some(&id) => {
                    let first = &mut self.users.list[id as usize].1;
                    if first.last_week != Some(week) {
                        first.last_week = Some(week);
                        self.active.entry(week).or_default().insert(id);
                    }
                    if rec.time <= first.time {
                        let new = new_first(rec);
                        if new.earlier_than(first) {
                            *first = new;
                        }
                    }
                    id
                }
            }
        });
        let key = rec.key().unwrap_or(b"-");
        bump(&mut self.objects, key, user, bytes);
    }

    /// Adds another summary into this one.
    pub fn merge(&mut self, mut other: Summary, max_samples: u32) {
        if self.is_empty() {
            // Nothing to add to: take theirs as it is (no copy of the big sets).
            other.normalize_to(max_samples);
            *self = other;
            return;
        }
        self.files += other.files;
        self.bytes += other.bytes;
        self.lines += other.lines;
        self.parsed += other.parsed;
        self.rejected += other.rejected;
        self.blank += other.blank;
        self.ambiguous_user_agent += other.ambiguous_user_agent;
        self.candidates += other.candidates;
        self.downloads += other.downloads;
        self.bytes_sent += other.bytes_sent;
        self.removed.merge(&other.removed);
        for (w, a) in other.weeks {
            let e = self.weeks.entry(w).or_default();
            e.downloads += a.downloads;
            e.bytes_sent += a.bytes_sent;
        }
        // Their user ids, as ids of this summary.
        let mut ids = Vec::with_capacity(other.users.list.len());
        for (ip, first) in other.users.list {
            ids.push(match self.users.index.get(&ip) {
                Some(&id) => {
                    let mine = &mut self.users.list[id as usize].1;
                    if first.earlier_than(mine) {
                        *mine = first;
                    }
                    id
                }
                None => self.users.push(ip, first),
            });
        }
        // Their sets of ids, as sets of this summary's ids.
        let translate = |theirs: RoaringBitmap, mine: &mut RoaringBitmap| {
            let mut v: Vec<u32> = theirs.iter().map(|u| ids[u as usize]).collect();
            v.sort_unstable();
            let v = RoaringBitmap::from_sorted_iter(v).expect("sorted ids");
            if mine.is_empty() {
                *mine = v;
            } else {
                *mine |= v;
            }
        };
        for (w, theirs) in other.active {
            translate(theirs, self.active.entry(w).or_default());
        }
        for (k, a) in other.objects {
            let e = self.objects.entry(k).or_default();
            e.downloads += a.downloads;
            e.bytes_sent += a.bytes_sent;
            translate(a.users, &mut e.users);
        }
        for (r, a) in other.rejects {
            let e = self.rejects.entry(r).or_default();
            e.count += a.count;
            e.samples.extend(a.samples);
            e.samples.sort();
            e.samples.truncate(max_samples as usize);
        }
        self.file_notes.extend(other.file_notes);
        self.file_notes.sort();
    }

    /// Per key prefix of `segments` path segments (a dataset folder): downloads,
    /// bytes and distinct users, put together from the objects (each download counts
    /// once for its object and so once for its prefix).
    pub fn prefixes(&self, segments: u32) -> HashMap<String, ObjAgg> {
        let mut out: HashMap<String, ObjAgg> = HashMap::default();
        for (k, a) in &self.objects {
            let prefix = key_prefix(k.as_bytes(), segments);
            // A key is valid UTF-8 and cut at a '/', so its prefix is too.
            let prefix = std::str::from_utf8(prefix).expect("cut at an ASCII byte");
            let e = match out.get_mut(prefix) {
                Some(e) => e,
                None => out.entry(prefix.to_string()).or_default(),
            };
            e.downloads += a.downloads;
            e.bytes_sent += a.bytes_sent;
            e.users |= &a.users;
        }
        out
    }

    /// The summary in the compact binary form that workers post to the page.
    pub fn to_bytes(&self) -> Vec<u8> {
        postcard::to_stdvec(self).expect("a summary serialises")
    }

    /// A summary from [`Summary::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Summary, String> {
        let s: Summary = postcard::from_bytes(bytes)
            .map_err(|e| format!("a summary was not understood: {e}"))?;
        let n = s.users.len();
        let bad = |set: &RoaringBitmap| set.max().is_some_and(|u| u as usize >= n);
        if s.objects.values().any(|a| bad(&a.users)) || s.active.values().any(bad) {
            return Err("a summary names a user it does not have".into());
        }
        Ok(s)
    }

    /// True for a summary of nothing (as `Summary::default()`).
    pub fn is_empty(&self) -> bool {
        self.files == 0
            && self.bytes == 0
            && self.lines == 0
            && self.candidates == 0
            && self.users.is_empty()
            && self.weeks.is_empty()
            && self.objects.is_empty()
            && self.rejects.is_empty()
            && self.file_notes.is_empty()
    }

    /// Puts the parts whose order depends on arrival (samples, notes) in canonical order.
    pub fn normalize(&mut self) {
        for a in self.rejects.values_mut() {
            a.samples.sort();
        }
        self.file_notes.sort();
    }

    /// [`Summary::normalize`], keeping the first `max_samples` samples of each reason.
    pub(crate) fn normalize_to(&mut self, max_samples: u32) {
        self.normalize();
        for a in self.rejects.values_mut() {
            a.samples.truncate(max_samples as usize);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::key_prefix;

    #[test]
    fn prefixes() {
        assert_eq!(key_prefix(b"zarr/cb65/0/0/1/5/19", 2), b"zarr/cb65");
        assert_eq!(key_prefix(b"blobs/11e/c89/11ec", 2), b"blobs/11e");
        assert_eq!(key_prefix(b"ds001161/participants.tsv", 2), b"ds001161");
        assert_eq!(key_prefix(b"file.txt", 2), b"file.txt");
        assert_eq!(key_prefix(b"a/b/c.txt", 1), b"a");
    }
}
