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

    /// Where day `i`'s users start.
    fn start(&self, i: usize) -> usize {
        i.checked_sub(1).map_or(0, |j| self.heads[j].end)
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
        let (mut a, mut b) = (0, 0);
        while a < old.len() && b < users.len() {
            match old[a].cmp(&users[b]) {
                std::cmp::Ordering::Less => {
                    merged.push(old[a]);
                    merged_counts.push(old_counts[a]);
                    a += 1;
                }
                std::cmp::Ordering::Greater => {
                    merged.push(users[b]);
                    merged_counts.push(counts[b]);
                    b += 1;
                }
                std::cmp::Ordering::Equal => {
                    let mut c = old_counts[a];
                    c.add(counts[b]);
                    merged.push(old[a]);
                    merged_counts.push(c);
                    (a, b) = (a + 1, b + 1);
                }
            }
        }
        merged.extend_from_slice(&old[a..]);
        merged.extend_from_slice(&users[b..]);
        merged_counts.extend_from_slice(&old_counts[a..]);
        merged_counts.extend_from_slice(&counts[b..]);
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

/// What the scan adds to the datasets' days, held back until they are read: each
/// dataset's downloads and users on its current day (the day of its last download).
/// Touching a dataset's day record for every download costs a cache miss or two, and
/// adding to a user's entry in a day's sorted list costs a search; here a download adds
/// to a small record per dataset and to the last user entry (or appends one), and the
/// day's users are sorted and added up once, when the dataset's day changes or the
/// summary is read. Logs come in time order, mostly, so that is about once per
/// (dataset, day).
#[derive(Clone, Debug, Default)]
pub struct Pending {
    /// By dataset.
    current: Vec<Current>,
}

/// A user's downloads and bytes, not yet in a day.
#[derive(Clone, Copy, Debug)]
struct Entry {
    user: u32,
    count: UserCount,
}

/// A dataset's downloads and users on one day, not yet in its days.
#[derive(Clone, Debug, Default)]
pub struct Current {
    day: Day,
    downloads: u64,
    bytes_sent: u64,
    /// Users with their downloads, repeats allowed (a user who downloads from two
    /// datasets in turn gets an entry each time); added up whenever it doubles, so that
    /// it stays within twice the day's distinct users.
    entries: Vec<Entry>,
    /// The length of `entries` after it was last added up.
    distinct: usize,
    /// Scratch lists for moving a day into its dataset.
    users: Vec<u32>,
    counts: Vec<UserCount>,
}

/// A day's entries are added up when they reach this length, at least.
const DEDUP_MIN: usize = 64;

impl Current {
    /// Counts a download of `bytes` with no user.
    #[inline]
    pub fn count(&mut self, bytes: u64) {
        self.downloads += 1;
        self.bytes_sent += bytes;
    }

    /// Counts a download of `bytes` by `user`.
    #[inline]
    pub fn count_user(&mut self, user: u32, bytes: u64) {
        self.count(bytes);
        match self.entries.last_mut() {
            // A user's downloads of one dataset mostly come in a row.
            Some(e) if e.user == user => {
                e.count.downloads += 1;
                e.count.bytes_sent += bytes;
            }
            _ => {
                self.entries.push(Entry {
                    user,
                    count: UserCount {
                        downloads: 1,
                        bytes_sent: bytes,
                    },
                });
                if self.entries.len() >= DEDUP_MIN.max(2 * self.distinct) {
                    self.add_up();
                }
            }
        }
    }

    /// Sorts the entries by user and adds up each user's.
    fn add_up(&mut self) {
        self.entries.sort_unstable_by_key(|e| e.user);
        let mut out: usize = 0;
        for i in 0..self.entries.len() {
            let e = self.entries[i];
            match out.checked_sub(1).map(|o| &mut self.entries[o]) {
                Some(last) if last.user == e.user => last.count.add(e.count),
                _ => {
                    self.entries[out] = e;
                    out += 1;
                }
            }
        }
        self.entries.truncate(out);
        self.distinct = out;
    }

    /// Moves all of it into the dataset's days (the lists kept for the next day).
    fn flush(&mut self, d: &mut DatasetAgg) {
        if self.downloads == 0 && self.entries.is_empty() {
            return;
        }
        self.add_up();
        self.users.clear();
        self.counts.clear();
        self.users.extend(self.entries.iter().map(|e| e.user));
        self.counts.extend(self.entries.iter().map(|e| e.count));
        d.add_day(
            self.day,
            std::mem::take(&mut self.downloads),
            std::mem::take(&mut self.bytes_sent),
            &self.users,
            &self.counts,
        );
        self.entries.clear();
        self.distinct = 0;
    }
}

impl Pending {
    /// True when everything is in the days.
    pub fn is_empty(&self) -> bool {
        self.current
            .iter()
            .all(|c| c.downloads == 0 && c.entries.is_empty())
    }

    /// The current record of `dataset` for `day`: the one before it goes to its days if
    /// it was of another day.
    #[inline]
    pub fn day(&mut self, datasets: &mut [DatasetAgg], dataset: u32, day: Day) -> &mut Current {
        let i = dataset as usize;
        if self.current.get(i).is_none_or(|c| c.day != day) {
            self.new_day(datasets, i, day);
        }
        &mut self.current[i]
    }

    #[cold]
    #[inline(never)]
    fn new_day(&mut self, datasets: &mut [DatasetAgg], i: usize, day: Day) {
        if i >= self.current.len() {
            self.current.resize_with(i + 1, Current::default);
        }
        let c = &mut self.current[i];
        c.flush(&mut datasets[i]);
        c.day = day;
    }

    /// Puts everything held back into the days.
    pub fn settle(&mut self, datasets: &mut [DatasetAgg]) {
        for (c, d) in self.current.iter_mut().zip(datasets.iter_mut()) {
            c.flush(d);
        }
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
                let c = pending.day(&mut datasets, dataset, day);
                c.count_user(user, bytes);
                let e = naive.entry((dataset, day)).or_default();
                e.0 += 1;
                e.1 += bytes;
                let u = e.2.entry(user).or_default();
                u.0 += 1;
                u.1 += bytes;
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
