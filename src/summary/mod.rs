//! The mergeable summary: everything the outputs need, bounded by what is distinct
//! (IPs, objects, weeks), never by the number of lines. `merge` of the summaries of two
//! parts of an input equals the summary of the whole.
//!
//! - this file: the summary, its aggregates, and how lines are added and summaries merged;
//! - [`users`]: each user (remote IP) with a small id and their first download;
//! - [`datasets`]: downloads per dataset and day, from which every period is made;
//! - [`notes`]: problems with whole files, by kind;
//! - [`parts`]: a big file read in byte ranges, put together;
//! - `canonical`: summaries compared by what they say (`PartialEq`).

mod canonical;
pub mod datasets;
pub mod notes;
pub mod parts;
mod renumber;
pub mod users;

use datasets::Pending;
pub use datasets::{DatasetAgg, DayAgg, UserCount};
pub use notes::{FileNote, FileNoteKind};
pub use parts::{PartOfFile, Parts};
pub use users::{FirstDownload, Users};

use crate::datasets::Datasets;
use crate::parse::{Record, Reject};
use crate::settings::Removal;
use crate::time::{day_of, UnixSeconds};
use roaring::RoaringBitmap;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Hash maps and sets with foldhash: seeded per process (no crafted-collision slowdowns),
/// several times faster than SipHash on IPs and keys. Outputs never depend on their order.
pub type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
/// See [`HashMap`].
pub type HashSet<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;

/// Downloads, bytes and distinct users of one object key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjAgg {
    /// Counted downloads.
    pub downloads: u64,
    /// Sum of bytes_sent.
    pub bytes_sent: u64,
    /// Distinct users, by their id in the summary's [`Users`]: a compressed bitmap
    /// (2 bytes an id while sparse, a bitmap when dense), a quarter of a hash set's size.
    pub users: RoaringBitmap,
    /// The key's dataset: an index into the summary's `datasets`.
    pub dataset: u32,
    /// Time of the first and the last counted download.
    pub first: UnixSeconds,
    /// See `first`.
    pub last: UnixSeconds,
    /// bytes_sent summed by object_size: the full-download equivalents are the sum of
    /// bytes / size, worked out when reported, so that they do not depend on the order of
    /// additions.
    pub sizes: SizeSums,
}

/// bytes_sent summed by object_size. A key almost always has one size, kept in place (no
/// pointer to follow on the hot path); an object overwritten with another size adds more.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SizeSums {
    first: Option<(u64, u64)>,
    more: Vec<(u64, u64)>,
}

impl SizeSums {
    /// Counts `bytes` sent of an object of `size` bytes.
    #[inline]
    pub fn add(&mut self, size: u64, bytes: u64) {
        match &mut self.first {
            Some((s, b)) if *s == size => *b += bytes,
            None => self.first = Some((size, bytes)),
            Some(_) => match self.more.iter_mut().find(|(s, _)| *s == size) {
                Some((_, b)) => *b += bytes,
                None => self.more.push((size, bytes)),
            },
        }
    }

    /// Each (size, bytes sent) in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.first.into_iter().chain(self.more.iter().copied())
    }
}

impl ObjAgg {
    /// An object of dataset `dataset` with no download yet.
    pub fn new(dataset: u32) -> ObjAgg {
        ObjAgg {
            downloads: 0,
            bytes_sent: 0,
            users: RoaringBitmap::new(),
            dataset,
            first: UnixSeconds::MAX,
            last: UnixSeconds::MIN,
            sizes: SizeSums::default(),
        }
    }
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
    /// Cloud and hosting networks (when excluded).
    pub cloud: u64,
}

impl Removed {
    fn add(&mut self, r: Removal) {
        *match r {
            Removal::MissingSize => &mut self.missing_size,
            Removal::OutsideDates => &mut self.outside_dates,
            Removal::OutsidePrefix => &mut self.outside_prefix,
            Removal::AwsInternal => &mut self.aws_internal,
            Removal::ExcludedIp => &mut self.excluded_ip,
            Removal::Cloud => &mut self.cloud,
            Removal::Bot => &mut self.bot,
        } += 1;
    }

    fn merge(&mut self, o: &Removed) {
        self.missing_size += o.missing_size;
        self.outside_dates += o.outside_dates;
        self.outside_prefix += o.outside_prefix;
        self.aws_internal += o.aws_internal;
        self.excluded_ip += o.excluded_ip;
        self.cloud += o.cloud;
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

/// What was read: files, bytes, and lines by outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Read {
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
}

impl Read {
    fn merge(&mut self, o: &Read) {
        self.files += o.files;
        self.bytes += o.bytes;
        self.lines += o.lines;
        self.parsed += o.parsed;
        self.rejected += o.rejected;
        self.blank += o.blank;
    }
}

/// Everything counted so far.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Summary {
    /// What was read.
    pub read: Read,
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
    /// Each user (remote IP with a counted download) and its first download.
    pub users: Users,
    /// The datasets, with their downloads per day.
    pub datasets: Vec<DatasetAgg>,
    /// A dataset's index in `datasets`, by name.
    #[serde(skip)]
    dataset_index: HashMap<String, u32>,
    /// Downloads and users not yet in the datasets' days (until [`Summary::normalize`]).
    #[serde(skip)]
    pending: Pending,
    /// The times of the earliest and the latest parsed line (any line, not only
    /// downloads): which days the logs cover.
    pub coverage: Option<(UnixSeconds, UnixSeconds)>,
    /// Per raw object key.
    pub objects: HashMap<String, ObjAgg>,
    /// Rejections by reason.
    pub rejects: BTreeMap<Reject, RejectAgg>,
    /// Problems with whole files.
    pub file_notes: Vec<FileNote>,
    /// What COUNTER's rules remember, when the setting is on (see [`crate::counter`]).
    pub counter: Option<Box<crate::counter::Counter>>,
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
        self.read.rejected += 1;
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

    /// Notes that a parsed line has time `t` (for the days the logs cover).
    #[inline]
    pub fn saw(&mut self, t: UnixSeconds) {
        match &mut self.coverage {
            Some((first, last)) => {
                *first = (*first).min(t);
                *last = (*last).max(t);
            }
            None => self.coverage = Some((t, t)),
        }
    }

    /// The index of the dataset `name`, added if it is new.
    fn dataset_id(&mut self, name: String, doi: String) -> u32 {
        if let Some(&id) = self.dataset_index.get(&name) {
            return id;
        }
        let id = u32::try_from(self.datasets.len()).expect("fewer than 2^32 datasets");
        self.dataset_index.insert(name.clone(), id);
        self.datasets.push(DatasetAgg::new(name, doi));
        id
    }

    /// Records the outcome of a candidate download: removed by a filter, or counted (in
    /// the dataset `datasets` gives its key).
    pub fn candidate(
        &mut self,
        rec: &Record<'_>,
        line: &[u8],
        removal: Option<Removal>,
        datasets: &Datasets,
    ) {
        self.candidates += 1;
        if let Some(r) = removal {
            self.removed.add(r);
            return;
        }
        let bytes = rec.bytes_sent.unwrap_or(0);
        self.downloads += 1;
        self.bytes_sent += bytes;
        let user = rec.remote_ip.map(|ip| {
            let new_first = |rec: &Record<'_>| FirstDownload {
                time: rec.time,
                line: String::from_utf8_lossy(line).into_owned(),
            };
            match self.users.index.get(&ip) {
                None => self.users.push(ip, new_first(rec)),
                Some(&id) => {
                    let first = &mut self.users.list[id as usize].1;
                    if rec.time <= first.time {
                        let new = new_first(rec);
                        if new.earlier_than(first) {
                            first.time = new.time;
                            first.line = new.line;
                        }
                    }
                    id
                }
            }
        });
        let key = rec.key().unwrap_or(b"-");
        // Keys are URL-encoded ASCII; invalid UTF-8 only comes from damaged lines (and
        // checking is quicker than the lossy conversion's walk).
        let k = match std::str::from_utf8(key) {
            Ok(k) => std::borrow::Cow::Borrowed(k),
            Err(_) => String::from_utf8_lossy(key),
        };
        let obj = match self.objects.get_mut(k.as_ref()) {
            Some(o) => o,
            None => {
                // A new key: its dataset is worked out once.
                let (name, doi) = datasets.of(key);
                let d = self.dataset_id(name, doi);
                self.objects
                    .entry(k.into_owned())
                    .or_insert_with(|| ObjAgg::new(d))
            }
        };
        obj.downloads += 1;
        obj.bytes_sent += bytes;
        if let Some(u) = user {
            obj.users.insert(u);
        }
        obj.first = obj.first.min(rec.time);
        obj.last = obj.last.max(rec.time);
        if let Some(size) = rec.object_size {
            obj.sizes.add(size, bytes);
        }
        self.pending.add(obj.dataset, day_of(rec.time), user, bytes);
    }

    /// Adds another summary into this one.
    pub fn merge(&mut self, mut other: Summary, max_samples: u32) {
        if self.is_empty() {
            // Nothing to add to: take theirs as it is (no copy of the big sets).
            other.normalize_to(max_samples);
            *self = other;
            return;
        }
        other.pending.settle(&mut other.datasets);
        self.read.merge(&other.read);
        self.ambiguous_user_agent += other.ambiguous_user_agent;
        self.candidates += other.candidates;
        self.downloads += other.downloads;
        self.bytes_sent += other.bytes_sent;
        self.removed.merge(&other.removed);
        if let Some((first, last)) = other.coverage {
            self.saw(first);
            self.saw(last);
        }
        // Their user ids, as ids of this summary.
        let mut ids = Vec::with_capacity(other.users.list.len());
        for (ip, first) in other.users.list {
            ids.push(match self.users.index.get(&ip) {
                Some(&id) => {
                    let mine = &mut self.users.list[id as usize].1;
                    if first.earlier_than(mine) {
                        mine.time = first.time;
                        mine.line = first.line;
                    }
                    id
                }
                None => self.users.push(ip, first),
            });
        }
        // Their datasets, as datasets of this summary.
        let mut scratch = Default::default();
        let mut dataset_ids = Vec::with_capacity(other.datasets.len());
        for mut theirs in other.datasets {
            let name = std::mem::take(&mut theirs.name);
            let mine = self.dataset_id(name, std::mem::take(&mut theirs.doi));
            dataset_ids.push(mine);
            self.datasets[mine as usize].absorb(&theirs, &ids, &mut scratch);
        }
        // Their objects' sets of users, as sets of this summary's ids.
        let mut ids = renumber::Renumber::new(&ids, self.users.len());
        let mut scratch = Vec::new();
        let mut translate = |theirs: RoaringBitmap, mine: &mut RoaringBitmap| {
            // Ours and theirs together in one sorted list, made a set once (no union of
            // two sets, no set made only to be added).
            scratch.clear();
            scratch.extend(mine.iter());
            let n = theirs.len() as usize;
            ids.union_into(&mut scratch, theirs, n);
            *mine = RoaringBitmap::from_sorted_iter(scratch.iter().copied()).expect("sorted ids");
        };
        for (k, a) in other.objects {
            let e = self
                .objects
                .entry(k)
                .or_insert_with(|| ObjAgg::new(dataset_ids[a.dataset as usize]));
            e.downloads += a.downloads;
            e.bytes_sent += a.bytes_sent;
            e.first = e.first.min(a.first);
            e.last = e.last.max(a.last);
            for (size, bytes) in a.sizes.iter() {
                e.sizes.add(size, bytes);
            }
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
        match (&mut self.counter, other.counter) {
            (Some(mine), Some(theirs)) => mine.merge(*theirs),
            (None, Some(theirs)) => self.counter = Some(theirs),
            (_, None) => {}
        }
    }

    /// The summary in the compact binary form that workers post to the page.
    pub fn to_bytes(&self) -> Vec<u8> {
        if !self.pending.is_empty() {
            let mut settled = self.clone();
            settled.normalize();
            return settled.to_bytes();
        }
        let out = Vec::with_capacity(self.bytes_estimate());
        postcard::to_extend(self, out).expect("a summary serialises")
    }

    /// About as many bytes as [`Summary::to_bytes`] writes, or more (the datasets' days,
    /// the objects' keys and sets, the users' first lines: nearly all of them), so that its
    /// buffer is made once: in the page, growing it by doubling, copying it each time, cost
    /// as much as writing it.
    fn bytes_estimate(&self) -> usize {
        let days: usize = self.datasets.iter().map(DatasetAgg::bytes_estimate).sum();
        let objects: usize = self
            .objects
            .iter()
            .map(|(k, o)| k.len() + o.users.serialized_size() + 48)
            .sum();
        let users: usize = self.users.iter().map(|(_, f)| f.line.len() + 32).sum();
        days + objects + users + (1 << 16)
    }

    /// A summary from [`Summary::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Summary, String> {
        let mut s: Summary = postcard::from_bytes(bytes)
            .map_err(|e| format!("a summary was not understood: {e}"))?;
        let n = s.users.len();
        let bad = |set: &RoaringBitmap| set.max().is_some_and(|u| u as usize >= n);
        let bad_day = |d: DayAgg| d.users.last().is_some_and(|&u| u as usize >= n);
        let bad_days = s.datasets.iter().any(|d| d.days().any(bad_day));
        if bad_days || s.objects.values().any(|a| bad(&a.users)) {
            return Err("a summary names a user it does not have".into());
        }
        if s.objects
            .values()
            .any(|a| a.dataset as usize >= s.datasets.len())
        {
            return Err("a summary names a dataset it does not have".into());
        }
        for (id, d) in s.datasets.iter().enumerate() {
            if s.dataset_index.insert(d.name.clone(), id as u32).is_some() {
                return Err("a dataset appears twice in a summary".into());
            }
        }
        if let Some(c) = &mut s.counter {
            c.reindex()?;
        }
        Ok(s)
    }

    /// True for a summary of nothing (as `Summary::default()`).
    pub fn is_empty(&self) -> bool {
        self.read.files == 0
            && self.read.bytes == 0
            && self.read.lines == 0
            && self.candidates == 0
            && self.users.is_empty()
            && self.datasets.is_empty()
            && self.objects.is_empty()
            && self.rejects.is_empty()
            && self.file_notes.is_empty()
            && self.counter.as_ref().is_none_or(|c| c.is_empty())
    }

    /// Puts the parts whose order depends on arrival (samples, notes) in canonical order,
    /// and puts the downloads and users held back into the datasets' days: call it before
    /// reading them.
    pub fn normalize(&mut self) {
        for a in self.rejects.values_mut() {
            a.samples.sort();
        }
        self.file_notes.sort();
        self.pending.settle(&mut self.datasets);
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
