//! Downloads per dataset and day: the time-resolved part of the summary. Every period's
//! numbers (all datasets, or one) are sums and unions of days, so one set of days serves
//! the day, week, month, quarter and year tables alike.

use crate::time::Day;
use roaring::RoaringBitmap;
use serde::{Deserialize, Serialize};

/// Counted downloads of one dataset on one UTC day.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DayAgg {
    /// The day (days since 1970-01-01).
    pub day: Day,
    /// Counted downloads.
    pub downloads: u64,
    /// Sum of their bytes_sent.
    pub bytes_sent: u64,
    /// The users (ids of the summary's `Users`) who downloaded that day.
    pub users: RoaringBitmap,
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
            self.last = match self.days.binary_search_by_key(&day, |d| d.day) {
                Ok(i) => i,
                Err(i) => {
                    self.days.insert(
                        i,
                        DayAgg {
                            day,
                            ..DayAgg::default()
                        },
                    );
                    i
                }
            };
        }
        &mut self.days[self.last]
    }

    /// Counts one download of `bytes` by `user` on `day`.
    #[inline]
    pub fn add(&mut self, day: Day, bytes: u64, user: Option<u32>) {
        let d = self.day_mut(day);
        d.downloads += 1;
        d.bytes_sent += bytes;
        if let Some(u) = user {
            d.users.insert(u);
        }
    }
}
