//! Downloads per dataset and day: the time-resolved part of the summary. Every period's
//! numbers (all datasets, or one) are sums and unions of days, so one set of days serves
//! the day, week, month, quarter and year tables alike. A day keeps each of its users'
//! downloads and bytes too: where the downloads came from (a user's country) is added up
//! from those when the report is made.

use crate::time::Day;
use serde::de::{DeserializeSeed, Error as _, SeqAccess, Visitor};
use serde::ser::SerializeTuple;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Counted downloads of one dataset on one UTC day, as read from its dataset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DayAgg<'a> {
    /// The day (days since 1970-01-01).
    pub day: Day,
    /// Counted downloads.
    pub downloads: u64,
    /// Sum of their bytes_sent.
    pub bytes_sent: u64,
    /// The users (ids of the summary's `Users`) who downloaded that day, in increasing
    /// order, each once.
    pub users: &'a [u32],
    /// Each of those users' downloads and bytes that day (`counts[i]` is `users[i]`'s).
    pub counts: &'a [UserCount],
}

/// One user's downloads and bytes of a dataset on a day.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UserCount {
    /// Counted downloads.
    pub downloads: u64,
    /// Sum of their bytes_sent.
    pub bytes_sent: u64,
}

impl UserCount {
    fn add(&mut self, o: UserCount) {
        self.downloads += o.downloads;
        self.bytes_sent += o.bytes_sent;
    }
}

/// A day's totals; its users are `users[end of the day before..end]` of its dataset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct DayHead {
    day: Day,
    downloads: u64,
    bytes_sent: u64,
    end: usize,
}

/// A dataset: its name, DOI and days. The days' users are kept end to end in one list
/// (each day's sorted, each id once in a day): most (dataset, day) pairs have a handful
/// of users, and a list each cost an allocation each, tens of thousands of them to make,
/// send, merge and free for a gigabyte of logs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DatasetAgg {
    /// Its name (a key folder, or a name from the mapping file).
    pub name: String,
    /// Its DOI (from the mapping file), or empty.
    pub doi: String,
    /// Its days with a counted download, in order.
    heads: Vec<DayHead>,
    /// The days' users, day after day.
    users: Vec<u32>,
    /// Beside `users`: each one's downloads and bytes that day.
    counts: Vec<UserCount>,
}

impl DatasetAgg {
    /// A dataset with no download yet.
    pub fn new(name: String, doi: String) -> DatasetAgg {
        DatasetAgg {
            name,
            doi,
            ..DatasetAgg::default()
        }
    }

    /// Its days, in order.
    pub fn days(&self) -> impl ExactSizeIterator<Item = DayAgg<'_>> + Clone + '_ {
        self.heads.iter().enumerate().map(|(i, h)| DayAgg {
            day: h.day,
            downloads: h.downloads,
            bytes_sent: h.bytes_sent,
            users: &self.users[self.start(i)..h.end],
            counts: &self.counts[self.start(i)..h.end],
        })
    }

    /// True when it has no day.
    pub fn is_empty(&self) -> bool {
        self.heads.is_empty()
    }

    /// Room for `days` more days and `users` more (day, user) entries.
    fn reserve(&mut self, days: usize, users: usize) {
        self.heads.reserve(days);
        self.users.reserve(users);
        self.counts.reserve(users);
    }

    /// About as many bytes as its serialisation takes, or more: a user's gap and counts
    /// take 8 bytes or fewer but for the largest downloads.
    pub(super) fn bytes_estimate(&self) -> usize {
        self.name.len() + self.doi.len() + 16 + self.heads.len() * 16 + self.users.len() * 8
    }

    /// Where day `i`'s users start.
    fn start(&self, i: usize) -> usize {
        start(&self.heads, i)
    }

    /// Adds to the day `day` these downloads, bytes and users (sorted, each once) with
    /// their downloads and bytes (`counts[i]` is `users[i]`'s). Logs come mostly in time
    /// order: a day after every other is appended; an earlier day is found and its users
    /// merged.
    pub fn add_day(
        &mut self,
        day: Day,
        downloads: u64,
        bytes_sent: u64,
        users: &[u32],
        counts: &[UserCount],
    ) {
        debug_assert!(users.windows(2).all(|w| w[0] < w[1]));
        debug_assert_eq!(users.len(), counts.len());
        if self.heads.last().is_none_or(|h| h.day < day) {
            self.users.extend_from_slice(users);
            self.counts.extend_from_slice(counts);
            self.heads.push(DayHead {
                day,
                downloads,
                bytes_sent,
                end: self.users.len(),
            });
            return;
        }
        self.add_earlier(day, downloads, bytes_sent, users, counts);
    }

    #[cold]
    #[inline(never)]
    fn add_earlier(
        &mut self,
        day: Day,
        downloads: u64,
        bytes_sent: u64,
        users: &[u32],
        counts: &[UserCount],
    ) {
        let (i, range) = match self.heads.binary_search_by_key(&day, |h| h.day) {
            Ok(i) => (i, self.start(i)..self.heads[i].end),
            Err(i) => {
                let at = self.start(i);
                let end = at;
                self.heads.insert(
                    i,
                    DayHead {
                        day,
                        end,
                        ..DayHead::default()
                    },
                );
                (i, at..end)
            }
        };
        let (old, old_counts) = (&self.users[range.clone()], &self.counts[range.clone()]);
        let mut merged = Vec::with_capacity(old.len() + users.len());
        let mut merged_counts = Vec::with_capacity(old.len() + users.len());
        union(
            (old, old_counts),
            (users, counts),
            &mut merged,
            &mut merged_counts,
        );
        let grown = merged.len() - range.len();
        self.users.splice(range.clone(), merged);
        self.counts.splice(range, merged_counts);
        let h = &mut self.heads[i];
        h.downloads += downloads;
        h.bytes_sent += bytes_sent;
        for h in &mut self.heads[i..] {
            h.end += grown;
        }
    }

    /// Adds another summary's days of this dataset, its users as ids of this summary
    /// (their id `u` is our `ids[u]`; `scratch` is scratch): their users are renumbered
    /// and each of their days sorted again, then the two lists of days are merged, a day
    /// that both have by the union of its users.
    pub(super) fn absorb(
        &mut self,
        theirs: &DatasetAgg,
        ids: &[u32],
        scratch: &mut (Vec<(u32, UserCount)>, Vec<u32>, Vec<UserCount>),
    ) {
        let (pairs, b_users, b_counts) = scratch;
        pairs.clear();
        pairs.extend(
            theirs
                .users
                .iter()
                .zip(&theirs.counts)
                .map(|(&u, &c)| (ids[u as usize], c)),
        );
        let b = &theirs.heads[..];
        for j in 0..b.len() {
            pairs[start(b, j)..b[j].end].sort_unstable_by_key(|p| p.0);
        }
        b_users.clear();
        b_counts.clear();
        b_users.extend(pairs.iter().map(|p| p.0));
        b_counts.extend(pairs.iter().map(|p| p.1));
        let after = |h: &DayHead| b.first().is_none_or(|f| h.day < f.day);
        if self.heads.last().is_none_or(after) {
            // Their days all come after ours: appended.
            let at = self.users.len();
            self.heads.extend(b.iter().map(|h| DayHead {
                end: h.end + at,
                ..*h
            }));
            self.users.extend_from_slice(b_users);
            self.counts.extend_from_slice(b_counts);
            return;
        }
        // The merged days are written in place, from the back: first their number and
        // their users' (a day both have counts its users' union), then each of ours moved
        // to where it ends up and each of theirs copied in. No new lists (growing ours
        // reuses memory freed where they were made).
        let (a_days, a_users) = (self.heads.len(), self.users.len());
        let (mut days, mut users) = (a_days + b.len(), a_users + b_users.len());
        let (mut i, mut j) = (0, 0);
        while i < a_days && j < b.len() {
            match self.heads[i].day.cmp(&b[j].day) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    days -= 1;
                    let x = &self.users[self.start(i)..self.heads[i].end];
                    users -= shared(x, &b_users[start(b, j)..b[j].end]);
                    (i, j) = (i + 1, j + 1);
                }
            }
        }
        self.heads.resize(days, DayHead::default());
        self.users.resize(users, 0);
        self.counts.resize(users, UserCount::default());
        // Ours are in 0..i, theirs in 0..j, and the merged days are written below (days,
        // users): never below where ours are read.
        let (mut i, mut j) = (a_days, b.len());
        while j > 0 {
            let end = users;
            let (ours, theirs) = (i.checked_sub(1).map(|i| self.heads[i]), b[j - 1]);
            let head = match ours {
                Some(h) if h.day > theirs.day => {
                    let from = self.start(i - 1);
                    users -= h.end - from;
                    self.users.copy_within(from..h.end, users);
                    self.counts.copy_within(from..h.end, users);
                    i -= 1;
                    h
                }
                Some(h) if h.day == theirs.day => {
                    let (mut x, from) = (h.end, self.start(i - 1));
                    let (mut y, b_from) = (theirs.end, start(b, j - 1));
                    while x > from || y > b_from {
                        users -= 1;
                        let (u, c) = match (x > from, y > b_from) {
                            (true, true) if self.users[x - 1] == b_users[y - 1] => {
                                let mut c = self.counts[x - 1];
                                c.add(b_counts[y - 1]);
                                (x, y) = (x - 1, y - 1);
                                (b_users[y], c)
                            }
                            (true, false) => {
                                x -= 1;
                                (self.users[x], self.counts[x])
                            }
                            (true, true) if self.users[x - 1] > b_users[y - 1] => {
                                x -= 1;
                                (self.users[x], self.counts[x])
                            }
                            _ => {
                                y -= 1;
                                (b_users[y], b_counts[y])
                            }
                        };
                        self.users[users] = u;
                        self.counts[users] = c;
                    }
                    (i, j) = (i - 1, j - 1);
                    DayHead {
                        downloads: h.downloads + theirs.downloads,
                        bytes_sent: h.bytes_sent + theirs.bytes_sent,
                        ..h
                    }
                }
                _ => {
                    let from = start(b, j - 1);
                    users -= theirs.end - from;
                    let to = users..end;
                    self.users[to.clone()].copy_from_slice(&b_users[from..theirs.end]);
                    self.counts[to].copy_from_slice(&b_counts[from..theirs.end]);
                    j -= 1;
                    theirs
                }
            };
            days -= 1;
            self.heads[days] = DayHead { end, ..head };
        }
        // What is left of ours is where it was.
        debug_assert_eq!((days, users), (i, self.start(i)));
    }
}

/// Where day `i` of `heads` starts in its lists of users.
fn start(heads: &[DayHead], i: usize) -> usize {
    i.checked_sub(1).map_or(0, |j| heads[j].end)
}

/// The number of users two sorted lists have in common.
fn shared(a: &[u32], b: &[u32]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => (i, j, n) = (i + 1, j + 1, n + 1),
        }
    }
    n
}

/// Appends to `users` and `counts` the union of two sorted lists of users with their
/// counts; a user in both gets the sum of the two.
fn union(
    (a_users, a_counts): (&[u32], &[UserCount]),
    (b_users, b_counts): (&[u32], &[UserCount]),
    users: &mut Vec<u32>,
    counts: &mut Vec<UserCount>,
) {
    let (mut a, mut b) = (0, 0);
    while a < a_users.len() && b < b_users.len() {
        match a_users[a].cmp(&b_users[b]) {
            std::cmp::Ordering::Less => {
                users.push(a_users[a]);
                counts.push(a_counts[a]);
                a += 1;
            }
            std::cmp::Ordering::Greater => {
                users.push(b_users[b]);
                counts.push(b_counts[b]);
                b += 1;
            }
            std::cmp::Ordering::Equal => {
                let mut c = a_counts[a];
                c.add(b_counts[b]);
                users.push(a_users[a]);
                counts.push(c);
                (a, b) = (a + 1, b + 1);
            }
        }
    }
    users.extend_from_slice(&a_users[a..]);
    users.extend_from_slice(&b_users[b..]);
    counts.extend_from_slice(&a_counts[a..]);
    counts.extend_from_slice(&b_counts[b..]);
}

/// Serialised as (name, doi, days), a day as (day, downloads, bytes_sent, users), a user
/// as (the gap from the user before, downloads, bytes_sent): the gaps and most counts are
/// small numbers, which postcard writes in one or two bytes.
impl Serialize for DatasetAgg {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut t = s.serialize_tuple(3)?;
        t.serialize_element(&self.name)?;
        t.serialize_element(&self.doi)?;
        t.serialize_element(&Days(self))?;
        t.end()
    }
}

struct Days<'a>(&'a DatasetAgg);

impl Serialize for Days<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(
            self.0
                .days()
                .map(|d| (d.day, d.downloads, d.bytes_sent, Gaps(d.users, d.counts))),
        )
    }
}

/// Sorted ids written as the gaps between them, each with its counts.
struct Gaps<'a>(&'a [u32], &'a [UserCount]);

impl Serialize for Gaps<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut prev = 0;
        s.collect_seq(self.0.iter().zip(self.1).map(|(&u, c)| {
            let gap = u - std::mem::replace(&mut prev, u);
            (gap, c.downloads, c.bytes_sent)
        }))
    }
}

/// Read straight into the dataset's lists (no list per day on the way).
impl<'de> Deserialize<'de> for DatasetAgg {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<DatasetAgg, D::Error> {
        struct Whole;
        impl<'de> Visitor<'de> for Whole {
            type Value = DatasetAgg;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a dataset: name, doi, days")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<DatasetAgg, A::Error> {
                let missing = || A::Error::custom("a dataset is cut short");
                let name: String = seq.next_element()?.ok_or_else(missing)?;
                let doi: String = seq.next_element()?.ok_or_else(missing)?;
                let mut out = DatasetAgg::new(name, doi);
                seq.next_element_seed(DaysSeed(&mut out))?
                    .ok_or_else(missing)?;
                Ok(out)
            }
        }
        d.deserialize_tuple(3, Whole)
    }
}

/// The days of a dataset, read into it.
struct DaysSeed<'a>(&'a mut DatasetAgg);

impl<'de> DeserializeSeed<'de> for DaysSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for DaysSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a dataset's days")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if let Some(n) = seq.size_hint() {
            self.0.heads.reserve(n.min(1 << 16));
        }
        while seq.next_element_seed(DaySeed(&mut *self.0))?.is_some() {}
        Ok(())
    }
}

/// One day, appended to its dataset: after every day before it, its ids in increasing
/// order, each once (a repeat is a gap of 0).
struct DaySeed<'a>(&'a mut DatasetAgg);

impl<'de> DeserializeSeed<'de> for DaySeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_tuple(4, self)
    }
}

impl<'de> Visitor<'de> for DaySeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a day: day, downloads, bytes_sent, users")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let missing = || A::Error::custom("a day is cut short");
        let day: Day = seq.next_element()?.ok_or_else(missing)?;
        let downloads: u64 = seq.next_element()?.ok_or_else(missing)?;
        let bytes_sent: u64 = seq.next_element()?.ok_or_else(missing)?;
        let d = self.0;
        if d.heads.last().is_some_and(|h| h.day >= day) {
            return Err(A::Error::custom("a dataset's days are out of order"));
        }
        seq.next_element_seed(GapsSeed(&mut d.users, &mut d.counts))?
            .ok_or_else(missing)?;
        d.heads.push(DayHead {
            day,
            downloads,
            bytes_sent,
            end: d.users.len(),
        });
        Ok(())
    }
}

/// A day's users from their gaps, appended to `.0`, their counts to `.1`.
struct GapsSeed<'a>(&'a mut Vec<u32>, &'a mut Vec<UserCount>);

impl<'de> DeserializeSeed<'de> for GapsSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for GapsSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a day's users")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if let Some(n) = seq.size_hint() {
            self.0.reserve(n.min(1 << 20));
            self.1.reserve(n.min(1 << 20));
        }
        let mut prev: Option<u32> = None;
        while let Some((gap, downloads, bytes_sent)) = seq.next_element::<(u32, u64, u64)>()? {
            let u = match prev {
                None => gap,
                Some(_) if gap == 0 => return Err(A::Error::custom("a day names a user twice")),
                Some(p) => p
                    .checked_add(gap)
                    .ok_or_else(|| A::Error::custom("a day's user id is out of range"))?,
            };
            self.0.push(u);
            self.1.push(UserCount {
                downloads,
                bytes_sent,
            });
            prev = Some(u);
        }
        Ok(())
    }
}

/// A download's user when it has no address (AWS-internal requests, when kept).
const NOBODY: u32 = u32::MAX;

/// Downloads held back from the datasets' days, at most this many at a time (1 MiB; a
/// few in the tests, so that a day added up in several goes is tested).
const HELD_MAX: usize = if cfg!(test) { 64 } else { 1 << 16 };

/// What the scan adds to the datasets' days, held back until they are read. A download
/// is 16 bytes written at the end of one list (no record of its dataset or its user to
/// find, which on a gigabyte of logs cost a cache miss or two per download and slowed
/// the lookups around them). When the day changes, or the list is full, it is sorted by
/// (dataset, user) and added up, once, into one store for every dataset, also written
/// in order; the store goes into the datasets' own days when the summary is read.
#[derive(Clone, Debug, Default)]
pub struct Pending {
    /// The day of the downloads in `held`.
    day: Day,
    /// Downloads of `day`, not yet added up.
    held: Vec<Held>,
    /// Downloads added up: each (dataset, day)'s totals, in the order they were added up.
    heads: Vec<StoreHead>,
    /// Their users (each head's after the one before's), sorted within a head.
    users: Vec<u32>,
    /// Beside `users`: each one's downloads and bytes.
    counts: Vec<UserCount>,
}

/// One download: `dataset << 32 | user` (the sort key) and its bytes.
#[derive(Clone, Copy, Debug)]
struct Held {
    key: u64,
    bytes: u64,
}

/// One (dataset, day)'s downloads as added up from `held` (a day can have several, when
/// its downloads did not come together).
#[derive(Clone, Copy, Debug)]
struct StoreHead {
    dataset: u32,
    day: Day,
    downloads: u64,
    bytes_sent: u64,
    /// The end of its users in the store.
    end: usize,
}

impl Pending {
    /// Counts a download of `bytes` of `dataset` on `day`, by `user` if it has one.
    #[inline]
    pub fn add(&mut self, dataset: u32, day: Day, user: Option<u32>, bytes: u64) {
        if day != self.day || self.held.len() >= HELD_MAX {
            self.new_day(day);
        }
        let user = user.unwrap_or(NOBODY);
        self.held.push(Held {
            key: u64::from(dataset) << 32 | u64::from(user),
            bytes,
        });
    }

    #[cold]
    #[inline(never)]
    fn new_day(&mut self, day: Day) {
        self.add_up();
        self.day = day;
        if self.held.capacity() == 0 {
            self.held.reserve_exact(HELD_MAX);
        }
    }

    /// Adds up the held downloads into the store: sorted by (dataset, user), then each
    /// dataset's run is one head and each user's run one entry.
    fn add_up(&mut self) {
        if self.held.is_empty() {
            return;
        }
        radsort::sort_by_key(&mut self.held, |h| h.key);
        let held = &self.held;
        let mut i = 0;
        while i < held.len() {
            let dataset = (held[i].key >> 32) as u32;
            let (mut downloads, mut bytes_sent) = (0, 0);
            while i < held.len() && (held[i].key >> 32) as u32 == dataset {
                let key = held[i].key;
                let mut c = UserCount::default();
                while i < held.len() && held[i].key == key {
                    c.downloads += 1;
                    c.bytes_sent += held[i].bytes;
                    i += 1;
                }
                downloads += c.downloads;
                bytes_sent += c.bytes_sent;
                if key as u32 != NOBODY {
                    self.users.push(key as u32);
                    self.counts.push(c);
                }
            }
            self.heads.push(StoreHead {
                dataset,
                day: self.day,
                downloads,
                bytes_sent,
                end: self.users.len(),
            });
        }
        self.held.clear();
    }

    /// True when everything is in the days.
    pub fn is_empty(&self) -> bool {
        self.held.is_empty() && self.heads.is_empty()
    }

    /// Puts everything held back into the days, a dataset at a time.
    pub fn settle(&mut self, datasets: &mut [DatasetAgg]) {
        self.add_up();
        if self.heads.is_empty() {
            return;
        }
        // Each dataset's heads by day (a day's in the order they were added up): each is
        // appended, or added to the last day.
        let first_day = self.heads.iter().map(|h| h.day).min().unwrap_or_default();
        let mut by_dataset: Vec<u32> = (0..self.heads.len() as u32).collect();
        // A radix sort is stable. A log's days lie within `time::YEARS`: the day since
        // the first fits in 32 bits.
        radsort::sort_by_key(&mut by_dataset, |&h| {
            let h = &self.heads[h as usize];
            u64::from(h.dataset) << 32 | (h.day - first_day) as u32 as u64
        });
        let start = |h: usize| h.checked_sub(1).map_or(0, |p| self.heads[p].end);
        for run in by_dataset
            .chunk_by(|&a, &b| self.heads[a as usize].dataset == self.heads[b as usize].dataset)
        {
            let d = &mut datasets[self.heads[run[0] as usize].dataset as usize];
            let users: usize = run
                .iter()
                .map(|&h| self.heads[h as usize].end - start(h as usize))
                .sum();
            d.reserve(run.len(), users);
            for &h in run {
                let (head, from) = (self.heads[h as usize], start(h as usize));
                d.add_day(
                    head.day,
                    head.downloads,
                    head.bytes_sent,
                    &self.users[from..head.end],
                    &self.counts[from..head.end],
                );
            }
        }
        // The store is freed: a settled summary is read, sent or merged, not added to.
        *self = Pending::default();
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    /// (dataset, day, user, bytes) of counted downloads.
    fn events() -> impl Strategy<Value = Vec<(u32, Day, u32, u64)>> {
        // Few datasets, days and users, many events: repeats, returns to an earlier
        // day and lists past the de-duplication length are common.
        prop::collection::vec((0u32..4, 0i64..6, 0u32..300, 0u64..1000), 0..3000)
    }

    proptest! {
        /// Whatever the order, the days hold each (dataset, day)'s downloads, bytes and
        /// distinct users, as counted naively, once the pending records are settled
        /// (also part way through, as a merge or a snapshot would read them).
        #[test]
        fn pending_days_equal_a_naive_count(events in events(), settle_at in 0usize..3000) {
            let mut datasets: Vec<DatasetAgg> =
                (0..4).map(|i| DatasetAgg::new(format!("d{i}"), String::new())).collect();
            let mut pending = Pending::default();
            type Naive = BTreeMap<(u32, Day), (u64, u64, BTreeMap<u32, (u64, u64)>)>;
            let mut naive = Naive::new();
            for (i, &(dataset, day, user, bytes)) in events.iter().enumerate() {
                if i == settle_at {
                    pending.settle(&mut datasets);
                    prop_assert!(pending.is_empty());
                }
                // Some downloads have no user (no address).
                let user = (user % 50 != 7).then_some(user);
                pending.add(dataset, day, user, bytes);
                let e = naive.entry((dataset, day)).or_default();
                e.0 += 1;
                e.1 += bytes;
                if let Some(user) = user {
                    let u = e.2.entry(user).or_default();
                    u.0 += 1;
                    u.1 += bytes;
                }
            }
            pending.settle(&mut datasets);
            prop_assert!(pending.is_empty());
            let mut got = Naive::new();
            for (i, d) in datasets.iter().enumerate() {
                prop_assert!(d.days().collect::<Vec<_>>().windows(2).all(|w| w[0].day < w[1].day));
                for x in d.days() {
                    prop_assert!(x.users.windows(2).all(|w| w[0] < w[1]));
                    let users = x
                        .users
                        .iter()
                        .zip(x.counts)
                        .map(|(&u, c)| (u, (c.downloads, c.bytes_sent)))
                        .collect();
                    got.insert((i as u32, x.day), (x.downloads, x.bytes_sent, users));
                }
            }
            prop_assert_eq!(got, naive);
        }

        /// Days added in any order (earlier days merged in place) hold what was added,
        /// and a dataset survives the round trip through its serialised form (gaps).
        #[test]
        fn days_in_any_order_and_their_round_trip(
            adds in prop::collection::vec(
                (0i64..8, 0u64..9, prop::collection::btree_set(any::<u32>(), 0..40)), 0..30),
        ) {
            let mut d = DatasetAgg::new("a".into(), "10.1/x".into());
            type Naive = BTreeMap<Day, (u64, BTreeMap<u32, (u64, u64)>)>;
            let mut naive = Naive::new();
            for (day, n, users) in adds {
                let users: Vec<u32> = users.into_iter().collect();
                // Each user's counts from its id and the day: repeats add up.
                let count = |u: u32| UserCount { downloads: 1 + u as u64 % 3, bytes_sent: u as u64 + day as u64 };
                let counts: Vec<UserCount> = users.iter().map(|&u| count(u)).collect();
                d.add_day(day, n, 2 * n, &users, &counts);
                let e = naive.entry(day).or_default();
                e.0 += n;
                for &u in &users {
                    let x = e.1.entry(u).or_default();
                    x.0 += count(u).downloads;
                    x.1 += count(u).bytes_sent;
                }
            }
            let got: Naive = d
                .days()
                .map(|x| {
                    assert_eq!(x.bytes_sent, 2 * x.downloads);
                    assert!(x.users.windows(2).all(|w| w[0] < w[1]));
                    let users = x
                        .users
                        .iter()
                        .zip(x.counts)
                        .map(|(&u, c)| (u, (c.downloads, c.bytes_sent)))
                        .collect();
                    (x.day, (x.downloads, users))
                })
                .collect();
            prop_assert_eq!(got, naive);
            let back: DatasetAgg = postcard::from_bytes(&postcard::to_stdvec(&d).unwrap()).unwrap();
            prop_assert_eq!(back, d);
        }
    }

    proptest! {
        /// Another summary's days absorbed (their ids renumbered by a permutation, their
        /// days before, after or among ours) equal every day added to one dataset.
        #[test]
        fn absorbed_days_equal_all_days_added(
            adds in prop::collection::vec(
                (0i64..8, 0u64..9, prop::collection::btree_set(0u32..64, 0..20), any::<bool>()), 0..30),
            shift in 0u32..64,
        ) {
            // Their id u is our id (u + shift) % 64.
            let ids: Vec<u32> = (0..64).map(|u| (u + shift) % 64).collect();
            let count = |u: u32, day: Day| UserCount { downloads: 1 + u as u64 % 3, bytes_sent: u as u64 * 7 + day as u64 };
            let (mut mine, mut theirs, mut all) = (
                DatasetAgg::new("a".into(), String::new()),
                DatasetAgg::new("a".into(), String::new()),
                DatasetAgg::new("a".into(), String::new()),
            );
            for (day, n, users, is_theirs) in adds {
                let users: Vec<u32> = users.into_iter().collect();
                let counts: Vec<UserCount> = users.iter().map(|&u| count(u, day)).collect();
                let ours = |u: &u32| (u + shift) % 64;
                let mut as_ours: Vec<(u32, UserCount)> = users.iter().map(ours).zip(counts.iter().copied()).collect();
                as_ours.sort_unstable_by_key(|p| p.0);
                let (u, c): (Vec<u32>, Vec<UserCount>) = as_ours.into_iter().unzip();
                all.add_day(day, n, n + 1, &u, &c);
                if is_theirs {
                    theirs.add_day(day, n, n + 1, &users, &counts);
                } else {
                    mine.add_day(day, n, n + 1, &u, &c);
                }
            }
            mine.absorb(&theirs, &ids, &mut Default::default());
            prop_assert_eq!(mine, all);
        }
    }

    #[test]
    fn a_day_naming_a_user_twice_or_days_out_of_order_are_refused() {
        let read = |days: Vec<(i64, u64, u64, Vec<u32>)>| {
            // Each user with one download of 10 bytes.
            type Day = (i64, u64, u64, Vec<(u32, u64, u64)>);
            let days: Vec<Day> = days
                .into_iter()
                .map(|(d, n, b, gaps)| (d, n, b, gaps.into_iter().map(|g| (g, 1, 10)).collect()))
                .collect();
            postcard::from_bytes::<DatasetAgg>(&postcard::to_stdvec(&("a", "", days)).unwrap())
        };
        let d = read(vec![(1, 2, 3, vec![5, 1]), (2, 1, 1, vec![0])]).unwrap();
        let first = d.days().next().unwrap();
        assert_eq!((first.users, first.counts[1].bytes_sent), (&[5, 6][..], 10));
        // Gaps of 5 then 0: the same id twice.
        assert!(read(vec![(1, 2, 3, vec![5, 0])]).is_err());
        assert!(read(vec![(1, 2, 3, vec![u32::MAX, 1])]).is_err());
        assert!(read(vec![(2, 2, 3, vec![5]), (1, 1, 1, vec![1])]).is_err());
        assert!(read(vec![(2, 2, 3, vec![5]), (2, 1, 1, vec![1])]).is_err());
    }
}
