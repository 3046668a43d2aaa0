//! Downloads per dataset and day: the time-resolved part of the summary. Every period's
//! numbers (all datasets, or one) are sums and unions of days, so one set of days serves
//! the day, week, month, quarter and year tables alike.

use crate::time::Day;
use roaring::RoaringBitmap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;

/// Counted downloads of one dataset on one UTC day.
#[derive(Clone, Debug, Default)]
pub struct DayAgg {
    /// The day (days since 1970-01-01).
    pub day: Day,
    /// Counted downloads.
    pub downloads: u64,
    /// Sum of their bytes_sent.
    pub bytes_sent: u64,
    /// The users (ids of the summary's `Users`) who downloaded that day; see [`DayAgg::users`].
    set: RoaringBitmap,
    /// Users added since the set was last brought up to date: appending is several times
    /// cheaper than a sorted insert into the set, which happens once per download of a new
    /// (dataset, day, user). Never longer than about the set, so memory stays bounded by
    /// what is distinct.
    pending: Vec<u32>,
}

/// Users appended before the set is brought up to date, at least.
const PENDING_MIN: usize = 64;

impl DayAgg {
    /// A day with no download yet.
    pub fn new(day: Day) -> DayAgg {
        DayAgg {
            day,
            ..DayAgg::default()
        }
    }

    /// Adds a user.
    #[inline]
    pub fn add_user(&mut self, user: u32) {
        self.pending.push(user);
        if self.pending.len() >= PENDING_MIN.max(self.set.len() as usize) {
            self.settle();
        }
    }

    /// Adds users, repeats allowed (a merged summary's, in one go).
    pub fn add_ids(&mut self, users: impl Iterator<Item = u32>) {
        self.pending.extend(users);
        if self.pending.len() >= PENDING_MIN.max(self.set.len() as usize) {
            self.settle();
        }
    }

    /// A day with these totals and users (ids in any order, repeats allowed).
    pub fn with_users(day: Day, downloads: u64, bytes_sent: u64, mut users: Vec<u32>) -> DayAgg {
        users.sort_unstable();
        users.dedup();
        DayAgg {
            day,
            downloads,
            bytes_sent,
            set: RoaringBitmap::from_sorted_iter(users).expect("sorted"),
            pending: Vec::new(),
        }
    }

    /// The ids of the day's users, with repeats (cheaper than [`DayAgg::users`] when they
    /// are gathered into a larger set anyway).
    pub fn user_ids(&self) -> impl Iterator<Item = u32> + '_ {
        self.set.iter().chain(self.pending.iter().copied())
    }

    /// Brings the set up to date with the users appended.
    pub fn settle(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        self.pending.sort_unstable();
        self.pending.dedup();
        let added = RoaringBitmap::from_sorted_iter(self.pending.drain(..)).expect("sorted");
        if self.set.is_empty() {
            self.set = added;
        } else {
            self.set |= added;
        }
    }

    /// The users of the day.
    pub fn users(&self) -> Cow<'_, RoaringBitmap> {
        if self.pending.is_empty() {
            return Cow::Borrowed(&self.set);
        }
        let mut all = self.set.clone();
        all.extend(self.pending.iter().copied());
        Cow::Owned(all)
    }
}

/// Serialised as (day, downloads, bytes_sent, users): the users appended included.
impl Serialize for DayAgg {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (
            self.day,
            self.downloads,
            self.bytes_sent,
            self.users().as_ref(),
        )
            .serialize(s)
    }
}

impl<'de> Deserialize<'de> for DayAgg {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<DayAgg, D::Error> {
        let (day, downloads, bytes_sent, set) = <(Day, u64, u64, RoaringBitmap)>::deserialize(d)?;
        Ok(DayAgg {
            day,
            downloads,
            bytes_sent,
            set,
            pending: Vec::new(),
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

    /// Counts one download of `bytes` on `day`; the day, for its user.
    #[inline]
    pub fn count(&mut self, day: Day, bytes: u64) -> &mut DayAgg {
        let d = self.day_mut(day);
        d.downloads += 1;
        d.bytes_sent += bytes;
        d
    }
}
