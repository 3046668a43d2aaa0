//! Reporting periods, all in UTC: day, week (Monday to Sunday, as pandas `freq='W'` bins
//! them), month, quarter (from January, April, July and October) and year.

use crate::time::{civil_from_days, days_from_civil, week_start, Day};
use serde::{Deserialize, Serialize};

/// A length of reporting period.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(clap::ValueEnum))]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// One UTC day.
    Day,
    /// Monday 00:00 to Sunday 23:59:59 UTC.
    Week,
    /// A calendar month.
    Month,
    /// January–March, April–June, July–September, October–December.
    Quarter,
    /// A calendar year.
    Year,
}

impl Period {
    /// Every period, shortest first.
    pub const ALL: [Period; 5] = [
        Period::Day,
        Period::Week,
        Period::Month,
        Period::Quarter,
        Period::Year,
    ];

    /// The name as in settings, flags and file names (`day`, `week`, …).
    pub fn name(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
            Period::Quarter => "quarter",
            Period::Year => "year",
        }
    }

    /// The period's name from [`Period::name`].
    pub fn from_name(name: &str) -> Option<Period> {
        Period::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The first day of the period that holds `day`.
    pub fn start(self, day: Day) -> Day {
        let (y, m, _) = civil_from_days(day);
        match self {
            Period::Day => day,
            Period::Week => week_start(day),
            Period::Month => days_from_civil(y, m, 1),
            Period::Quarter => days_from_civil(y, (m - 1) / 3 * 3 + 1, 1),
            Period::Year => days_from_civil(y, 1, 1),
        }
    }

    /// The first day of the period after the one that starts on `start`.
    pub fn next(self, start: Day) -> Day {
        let (y, m, _) = civil_from_days(start);
        let months = |n: u32| {
            let m0 = m - 1 + n;
            days_from_civil(y + i64::from(m0 / 12), m0 % 12 + 1, 1)
        };
        match self {
            Period::Day => start + 1,
            Period::Week => start + 7,
            Period::Month => months(1),
            Period::Quarter => months(3),
            Period::Year => days_from_civil(y + 1, 1, 1),
        }
    }

    /// The starts of every period from the one holding `first` to the one holding `last`.
    pub fn starts(self, first: Day, last: Day) -> impl Iterator<Item = Day> {
        let mut at = self.start(first);
        std::iter::from_fn(move || {
            (at <= last).then(|| {
                let s = at;
                at = self.next(at);
                s
            })
        })
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{iso_date, parse_iso_date};

    fn d(s: &str) -> Day {
        parse_iso_date(s).unwrap()
    }

    #[test]
    fn periods_start_and_end_where_the_calendar_says() {
        let day = d("2024-11-20"); // a Wednesday
        let bounds = |p: Period| {
            let s = p.start(day);
            (iso_date(s), iso_date(p.next(s) - 1))
        };
        assert_eq!(
            bounds(Period::Day),
            ("2024-11-20".into(), "2024-11-20".into())
        );
        assert_eq!(
            bounds(Period::Week),
            ("2024-11-18".into(), "2024-11-24".into())
        );
        assert_eq!(
            bounds(Period::Month),
            ("2024-11-01".into(), "2024-11-30".into())
        );
        assert_eq!(
            bounds(Period::Quarter),
            ("2024-10-01".into(), "2024-12-31".into())
        );
        assert_eq!(
            bounds(Period::Year),
            ("2024-01-01".into(), "2024-12-31".into())
        );
        assert_eq!(Period::Month.next(d("2024-12-01")), d("2025-01-01"));
        assert_eq!(Period::Month.next(d("2024-02-01")), d("2024-03-01"));
        assert_eq!(Period::Quarter.start(d("2024-03-31")), d("2024-01-01"));
        assert_eq!(Period::Quarter.start(d("2024-04-01")), d("2024-04-01"));
    }

    #[test]
    fn every_day_is_in_exactly_one_period_of_each_kind() {
        for p in Period::ALL {
            let starts: Vec<Day> = p.starts(d("2023-12-25"), d("2025-01-07")).collect();
            for day in d("2023-12-25")..=d("2025-01-07") {
                let holding: Vec<&Day> = starts
                    .iter()
                    .filter(|&&s| s <= day && day < p.next(s))
                    .collect();
                assert_eq!(holding, vec![&p.start(day)], "{p} {}", iso_date(day));
            }
            assert_eq!(Period::from_name(p.name()), Some(p));
        }
    }
}
