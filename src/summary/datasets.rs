//! Downloads per dataset and day: the time-resolved part of the summary. Every period's
//! numbers (all datasets, or one) are sums and unions of days, so one set of days serves
//! the day, week, month, quarter and year tables alike.

use crate::time::Day;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Counted downloads of one dataset on one UTC day.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DayAgg {
    /// The day (days since 1970-01-01).
    pub day: Day,
    /// Counted downloads.
    pub downloads: u64,
    /// Sum of their bytes_sent.
    pub bytes_sent: u64,
    /// The users (ids of the summary's `Users`) who downloaded that day, in increasing
    /// order, each once. A sorted list rather than a bitmap: most (dataset, day) pairs
    /// have a handful of users, and a list costs one allocation where a bitmap costs two
    /// or more, and is read without decoding.
    users: Vec<u32>,
}

impl DayAgg {
    /// A day with no download yet.
    pub fn new(day: Day) -> DayAgg {
        DayAgg {
            day,
            ..DayAgg::default()
        }
    }

    /// Adds users (ids in any order, repeats allowed).
    pub fn add_ids(&mut self, users: impl IntoIterator<Item = u32>) {
        let before = self.users.len();
        self.users.extend(users);
        let added = &self.users[before..];
        let in_order = added.windows(2).all(|w| w[0] < w[1])
            && added
                .first()
                .is_none_or(|&f| self.users[..before].last().is_none_or(|&l| l < f));
        if !in_order {
            self.users.sort_unstable();
            self.users.dedup();
        }
    }

    /// A day with these totals and users (ids in any order, repeats allowed).
    pub fn with_users(day: Day, downloads: u64, bytes_sent: u64, users: Vec<u32>) -> DayAgg {
        let mut d = DayAgg {
            day,
            downloads,
            bytes_sent,
            users,
        };
        d.users.sort_unstable();
        d.users.dedup();
        d
    }

    /// The ids of the day's users, to change: the caller keeps them sorted, each once.
    pub(crate) fn users_mut(&mut self) -> &mut Vec<u32> {
        &mut self.users
    }

    /// The ids of the day's users, in increasing order, taken.
    pub(crate) fn into_users(self) -> Vec<u32> {
        self.users
    }

    /// The ids of the day's users, in increasing order.
    pub fn users(&self) -> &[u32] {
        &self.users
    }
}

/// Serialised as (day, downloads, bytes_sent, the gaps between successive user ids): the
/// gaps are small numbers, which postcard writes in one or two bytes.
impl Serialize for DayAgg {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (self.day, self.downloads, self.bytes_sent, Gaps(&self.users)).serialize(s)
    }
}

/// Sorted ids written as the gaps between them.
struct Gaps<'a>(&'a [u32]);

impl Serialize for Gaps<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut prev = 0;
        s.collect_seq(self.0.iter().map(|&u| u - std::mem::replace(&mut prev, u)))
    }
}

impl<'de> Deserialize<'de> for DayAgg {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<DayAgg, D::Error> {
        let (day, downloads, bytes_sent, mut users) = <(Day, u64, u64, Vec<u32>)>::deserialize(d)?;
        let mut prev = 0u32;
        for (i, u) in users.iter_mut().enumerate() {
            if i > 0 && *u == 0 {
                return Err(D::Error::custom("a day names a user twice"));
            }
            prev = prev
                .checked_add(*u)
                .ok_or_else(|| D::Error::custom("a day's user id is out of range"))?;
            *u = prev;
        }
        Ok(DayAgg {
            day,
            downloads,
            bytes_sent,
            users,
        })
    }
}

/// A dataset: its name, DOI and days.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct DatasetAgg {
    /// Its name (a key folder, or a name from the mapping file).
    pub name: String,
    /// Its DOI (from the mapping file), or empty.
    pub doi: String,
    /// Its days with a counted download, in order.
    pub days: Vec<DayAgg>,
    /// Where the last download went (logs arrive mostly in time order). A cache only.
    #[serde(skip)]
    last: usize,
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

    /// The day `day`, added if it is new.
    #[inline]
    pub fn day_mut(&mut self, day: Day) -> &mut DayAgg {
        if self.days.get(self.last).is_none_or(|d| d.day != day) {
            self.find_day(day);
        }
        &mut self.days[self.last]
    }

    /// Points `last` at the day `day`, added if it is new: once per (dataset, day) when
    /// the logs come in time order, so kept out of the inlined path.
    #[cold]
    #[inline(never)]
    fn find_day(&mut self, day: Day) {
        // Logs come mostly in time order: a new day is usually after every other.
        if self.days.last().is_none_or(|d| d.day < day) {
            self.days.push(DayAgg::new(day));
            self.last = self.days.len() - 1;
            return;
        }
        self.last = match self.days.binary_search_by_key(&day, |d| d.day) {
            Ok(i) => i,
            Err(i) => {
                self.days.insert(i, DayAgg::new(day));
                i
            }
        };
    }
}

/// What the scan adds to the datasets' days, held back until they are read: each
/// dataset's downloads and users on its current day (the day of its last download).
/// Touching a dataset's day record for every download costs a cache miss or two, and
/// adding a user to a day's sorted list costs a search; here a download adds to a small
/// record per dataset and appends its user, and the day's users are sorted once, when
/// the dataset's day changes or the summary is read. Logs come in time order, mostly, so
/// that is about once per (dataset, day).
#[derive(Clone, Debug, Default)]
pub struct Pending {
    /// By dataset.
    current: Vec<Current>,
}

/// A dataset's downloads and users on one day, not yet in its days.
#[derive(Clone, Debug, Default)]
pub struct Current {
    day: Day,
    downloads: u64,
    bytes_sent: u64,
    /// Users, repeats allowed (a user who downloads from two datasets in turn is added
    /// each time); de-duplicated whenever it doubles, so that it stays within twice the
    /// day's distinct users.
    users: Vec<u32>,
    /// The length of `users` after the last de-duplication.
    distinct: usize,
}

/// A day's list of users is de-duplicated when it reaches this length, at least.
const DEDUP_MIN: usize = 64;

impl Current {
    /// Counts a download of `bytes`.
    #[inline]
    pub fn count(&mut self, bytes: u64) {
        self.downloads += 1;
        self.bytes_sent += bytes;
    }

    /// Adds a user (repeats allowed).
    #[inline]
    pub fn add_user(&mut self, user: u32) {
        self.users.push(user);
        if self.users.len() >= DEDUP_MIN.max(2 * self.distinct) {
            self.dedup();
        }
    }

    fn dedup(&mut self) {
        self.users.sort_unstable();
        self.users.dedup();
        self.distinct = self.users.len();
    }

    /// Moves all of it into the dataset's days.
    fn flush(&mut self, d: &mut DatasetAgg) {
        if self.downloads == 0 && self.users.is_empty() {
            return;
        }
        let day = d.day_mut(self.day);
        day.downloads += std::mem::take(&mut self.downloads);
        day.bytes_sent += std::mem::take(&mut self.bytes_sent);
        self.dedup();
        self.distinct = 0;
        if day.users.is_empty() {
            // The next day's users will be about as many: room for them in one go.
            let next = Vec::with_capacity(self.users.len());
            day.users = std::mem::replace(&mut self.users, next);
        } else {
            day.add_ids(self.users.drain(..));
        }
    }
}

impl Pending {
    /// True when everything is in the days.
    pub fn is_empty(&self) -> bool {
        self.current
            .iter()
            .all(|c| c.downloads == 0 && c.users.is_empty())
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
    use std::collections::{BTreeMap, BTreeSet};

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
            type Naive = BTreeMap<(u32, Day), (u64, u64, BTreeSet<u32>)>;
            let mut naive = Naive::new();
            for (i, &(dataset, day, user, bytes)) in events.iter().enumerate() {
                if i == settle_at {
                    pending.settle(&mut datasets);
                    prop_assert!(pending.is_empty());
                }
                let c = pending.day(&mut datasets, dataset, day);
                c.count(bytes);
                c.add_user(user);
                let e = naive.entry((dataset, day)).or_default();
                e.0 += 1;
                e.1 += bytes;
                e.2.insert(user);
            }
            pending.settle(&mut datasets);
            prop_assert!(pending.is_empty());
            let mut got = Naive::new();
            for (i, d) in datasets.iter().enumerate() {
                prop_assert!(d.days.windows(2).all(|w| w[0].day < w[1].day));
                for x in &d.days {
                    prop_assert!(x.users().windows(2).all(|w| w[0] < w[1]));
                    let users = x.users().iter().copied().collect();
                    got.insert((i as u32, x.day), (x.downloads, x.bytes_sent, users));
                }
            }
            prop_assert_eq!(got, naive);
        }

        /// A day's users survive the round trip through their serialised form (gaps).
        #[test]
        fn day_users_round_trip(users in prop::collection::vec(any::<u32>(), 0..200)) {
            let d = DayAgg::with_users(3, 7, 11, users);
            let back: DayAgg = postcard::from_bytes(&postcard::to_stdvec(&d).unwrap()).unwrap();
            prop_assert_eq!(back, d);
        }
    }

    #[test]
    fn a_day_naming_a_user_twice_is_refused() {
        // Gaps of 5 then 0: the same id twice.
        let bytes = postcard::to_stdvec(&(1i64, 2u64, 3u64, vec![5u32, 0])).unwrap();
        assert!(postcard::from_bytes::<DayAgg>(&bytes).is_err());
        let bytes = postcard::to_stdvec(&(1i64, 2u64, 3u64, vec![u32::MAX, 1])).unwrap();
        assert!(postcard::from_bytes::<DayAgg>(&bytes).is_err());
    }
}
