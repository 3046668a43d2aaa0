//! What a summary means to a person: the series of every period (every period from the
//! first to the last counted download, zeros included, the ones the logs cover only in
//! part marked), the datasets, top objects, totals. Pure functions.

use crate::geo::tally::{self, ByUser, CountryRow, NetworkRow, Place, Scope, Tables, Totals};
use crate::geo::Source;
use crate::period::Period;
use crate::summary::HashMap;
use crate::summary::{DatasetAgg, FileNote, ObjAgg, Read, RejectSample, Removed, Summary};
use crate::time::{day_of, iso_date, rfc3339, Day};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// One period of a series.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PeriodRow {
    /// Its first day, `YYYY-MM-DD`.
    pub period_start: String,
    /// Its last day, `YYYY-MM-DD`.
    pub period_end: String,
    /// Counted downloads.
    pub downloads: u64,
    /// Users whose first counted download (of the series: all datasets, or one) falls in it.
    pub new_unique_users: u64,
    /// Distinct users with a counted download in it.
    pub active_unique_users: u64,
    /// Sum of bytes_sent.
    pub bytes_sent: u64,
    /// The logs cover it only in part (it starts before the first day they cover, or ends
    /// after the last): a low count there is not a drop.
    pub partial: bool,
}

/// The series of every period.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Periods {
    /// Days.
    pub day: Vec<PeriodRow>,
    /// Weeks, Monday to Sunday.
    pub week: Vec<PeriodRow>,
    /// Months.
    pub month: Vec<PeriodRow>,
    /// Quarters from January, April, July, October.
    pub quarter: Vec<PeriodRow>,
    /// Years.
    pub year: Vec<PeriodRow>,
}

impl Periods {
    /// The series of `period`.
    pub fn get(&self, period: Period) -> &[PeriodRow] {
        match period {
            Period::Day => &self.day,
            Period::Week => &self.week,
            Period::Month => &self.month,
            Period::Quarter => &self.quarter,
            Period::Year => &self.year,
        }
    }
}

/// One dataset with its totals.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DatasetRow {
    /// Its name: a key folder as in the log (URL-encoded), or a name from the mapping.
    pub dataset: String,
    /// The name URL-decoded, for display.
    pub dataset_decoded: String,
    /// Its DOI, or empty.
    pub doi: String,
    /// Counted downloads.
    pub downloads: u64,
    /// Distinct users.
    pub unique_users: u64,
    /// Sum of bytes_sent.
    pub bytes_sent: u64,
    /// The sum of bytes_sent / object_size: what its downloads add up to in whole files.
    pub full_download_equivalents: f64,
    /// The first counted download, `YYYY-MM-DDTHH:MM:SSZ`.
    pub first_download: String,
    /// The last counted download.
    pub last_download: String,
}

/// The days the logs cover: from the day of the earliest parsed line to the day of the
/// latest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Coverage {
    /// `YYYY-MM-DD`.
    pub first_day: String,
    /// `YYYY-MM-DD`.
    pub last_day: String,
}

/// One week, Monday 00:00 UTC to Sunday 23:59:59 UTC.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WeekRow {
    /// The Monday, `YYYY-MM-DD`.
    pub week_start: String,
    /// The Sunday, `YYYY-MM-DD` (pandas `freq='W'` labels weeks by it).
    pub week_end: String,
    /// Counted downloads.
    pub downloads: u64,
    /// Users whose first download falls in this week.
    pub new_unique_users: u64,
    /// Distinct users with a download in this week.
    pub active_unique_users: u64,
    /// Sum of bytes_sent.
    pub bytes_sent: u64,
}

/// One object key or key prefix with its counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ObjectRow {
    /// The raw key (or prefix), as in the log.
    pub key: String,
    /// The key URL-decoded, for display.
    pub key_decoded: String,
    /// Counted downloads.
    pub downloads: u64,
    /// Distinct users.
    pub unique_users: u64,
    /// Sum of bytes_sent.
    pub bytes_sent: u64,
}

/// The rejection reasons with counts and examples.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RejectRow {
    /// The reason (`bad_time`).
    pub reason: String,
    /// What it means.
    pub explanation: String,
    /// Lines rejected for it.
    pub count: u64,
    /// First examples.
    pub samples: Vec<RejectSample>,
}

/// Everything shown to a person, as the CLI prints it and the page draws it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// What was read (its fields at the top level of the JSON).
    #[serde(flatten)]
    pub read: Read,
    /// Counted downloads.
    pub downloads: u64,
    /// Distinct users among counted downloads.
    pub unique_users: u64,
    /// bytes_sent of counted downloads.
    pub bytes_sent: u64,
    /// Downloads by operation and status before the filters.
    pub candidates: u64,
    /// What each filter removed.
    pub removed: Removed,
    /// Parsed lines whose referer/user agent split was ambiguous.
    pub ambiguous_user_agent: u64,
    /// The weekly series (as `periods.week`, in the lab's columns).
    pub weeks: Vec<WeekRow>,
    /// The days the logs cover.
    pub coverage: Option<Coverage>,
    /// The series of every period.
    pub periods: Periods,
    /// The datasets, most downloaded first.
    pub datasets: Vec<DatasetRow>,
    /// The countries of all the downloads, most downloaded first, "Unknown" last.
    pub countries: Vec<CountryRow>,
    /// Where the country table comes from (name and version, date, licence).
    pub country_data: Source,
    /// The networks of all the downloads, most downloaded first, the unknown last.
    pub networks: Vec<NetworkRow>,
    /// The part of the downloads from cloud and hosting networks (all of them count
    /// unless the setting `exclude_cloud` removed them in the scan).
    pub cloud: Totals,
    /// Where the network, AWS and cloud tables come from.
    pub network_data: Vec<Source>,
    /// Rejected lines per reason.
    pub rejected_by_reason: BTreeMap<String, u64>,
    /// Reasons with examples.
    pub rejects: Vec<RejectRow>,
    /// Problems with whole files.
    pub file_notes: Vec<FileNote>,
    /// The COUNTER metrics, when the setting is on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counter: Option<CounterReport>,
}

/// The COUNTER metrics (see [`crate::counter`]) and what the rules removed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CounterReport {
    /// Lines COUNTER would count by operation and status (GET or HEAD of an object, 200
    /// or 304), before any rule.
    pub actions: u64,
    /// Of those, removed as robots (the COUNTER robots list).
    pub robots: u64,
    /// Of those, removed by the settings (dates, prefix, excluded IPs, AWS-internal).
    pub filtered: u64,
    /// Per dataset, month and access method (ordered so).
    pub rows: Vec<crate::counter::CounterRow>,
}

impl CounterReport {
    /// The report of a counter: the country of each user's IP from `countries`.
    pub fn new(c: &crate::counter::Counter, countries: &crate::geo::Countries) -> CounterReport {
        CounterReport {
            actions: c.actions,
            robots: c.robots,
            filtered: c.filtered,
            rows: c.metrics(&mut |ip| match countries.lookup(ip) {
                0 => "Unknown".to_string(),
                id => countries.code(id).to_string(),
            }),
        }
    }
}

/// Objects by downloads (most first; ties by key), the first `limit` of them (all with
/// `usize::MAX`). Rows are made only for those: the page shows 25 of maybe a million.
pub fn top_objects(s: &Summary, limit: usize) -> Vec<ObjectRow> {
    let order = |a: &(&String, &ObjAgg), b: &(&String, &ObjAgg)| {
        b.1.downloads.cmp(&a.1.downloads).then_with(|| a.0.cmp(b.0))
    };
    let mut all: Vec<(&String, &ObjAgg)> = s.objects.iter().collect();
    if limit < all.len() {
        all.select_nth_unstable_by(limit, order);
        all.truncate(limit);
    }
    all.sort_unstable_by(order);
    all.into_iter()
        .map(|(k, a)| ObjectRow {
            key: k.clone(),
            key_decoded: crate::text::url_decode(k.as_bytes()),
            downloads: a.downloads,
            unique_users: a.users.len(),
            bytes_sent: a.bytes_sent,
        })
        .collect()
}

/// One day of a series (all datasets, or one): its totals and its distinct users.
#[derive(Clone, Debug)]
pub struct SeriesDay<'a> {
    /// The day.
    pub day: Day,
    /// Counted downloads.
    pub downloads: u64,
    /// Sum of bytes_sent.
    pub bytes_sent: u64,
    /// The users, each once, in no particular order.
    pub users: Cow<'a, [u32]>,
}

/// The days of every dataset put together: the series of all datasets. A day's users are
/// the distinct users of its datasets, found without sorting or sets: in a bit per (day,
/// user) when those bits take no more room than the days' user lists already do, else by
/// marking users day by day.
pub fn all_days(s: &Summary) -> Vec<SeriesDay<'_>> {
    let every = || s.datasets.iter().flat_map(|ds| ds.days());
    // The distinct days, in order (radix-sorted: one (dataset, day) pair each).
    let mut distinct: Vec<Day> = every().map(|d| d.day).collect();
    radsort::sort(&mut distinct);
    distinct.dedup();
    let index = |day: Day| distinct.partition_point(|&d| d < day);
    let mut totals = vec![(0u64, 0u64); distinct.len()];
    let mut entries = 0usize;
    for d in every() {
        let t = &mut totals[index(d.day)];
        t.0 += d.downloads;
        t.1 += d.bytes_sent;
        entries += d.users.len();
    }
    // A day's bits are 8 bytes per 64 users; the lists take 4 bytes a (day, dataset, user).
    let words = s.users.len().div_ceil(64);
    let users = if distinct.len().saturating_mul(words) <= entries / 2 {
        users_by_bits(&s.datasets, &distinct, s.users.len())
    } else {
        users_by_marks(&s.datasets, &distinct, s.users.len())
    };
    distinct
        .into_iter()
        .zip(totals)
        .zip(users)
        .map(|((day, (downloads, bytes_sent)), users)| SeriesDay {
            day,
            downloads,
            bytes_sent,
            users,
        })
        .collect()
}

/// Each of the days `distinct`'s distinct users (of ids below `users`; in order of id),
/// from a bit per (day, user) set in one pass over the datasets as they lie in memory.
fn users_by_bits<'a>(
    datasets: &'a [DatasetAgg],
    distinct: &[Day],
    users: usize,
) -> Vec<Cow<'a, [u32]>> {
    let words = users.div_ceil(64);
    let mut bits = vec![0u64; distinct.len() * words];
    for ds in datasets {
        set_bits(ds, distinct, &mut bits, words);
    }
    (0..distinct.len())
        .map(|i| {
            let row = &bits[i * words..(i + 1) * words];
            let ones = row.iter().map(|w| w.count_ones() as usize).sum();
            let mut users = Vec::with_capacity(ones);
            for (w, &word) in row.iter().enumerate() {
                let mut x = word;
                while x != 0 {
                    users.push((w as u32) << 6 | x.trailing_zeros());
                    x &= x - 1;
                }
            }
            Cow::Owned(users)
        })
        .collect()
}

/// Sets the bits of one dataset's days in `bits` (`words` a day, the days `distinct`).
///
/// The report's loops over the datasets call a function a dataset, never inlined: in the
/// page, a WebAssembly function runs as first compiled (quickly, and slower) until it
/// returns, and the better code made meanwhile serves its next calls; a loop over every
/// dataset in one call would run all of them in the first.
#[inline(never)]
fn set_bits(ds: &DatasetAgg, distinct: &[Day], bits: &mut [u64], words: usize) {
    // A dataset's days are in order: each found from the one before.
    let mut i = 0;
    for d in ds.days() {
        i += distinct[i..].partition_point(|&x| x < d.day);
        let row = &mut bits[i * words..(i + 1) * words];
        for &u in d.users {
            row[(u >> 6) as usize] |= 1 << (u & 63);
        }
    }
}

/// Each of the days `distinct`'s distinct users (of ids below `users`), by marking each
/// user with the day's number as its datasets' lists are read, day by day (a day of one
/// dataset borrows its list).
fn users_by_marks<'a>(
    datasets: &'a [DatasetAgg],
    distinct: &[Day],
    users: usize,
) -> Vec<Cow<'a, [u32]>> {
    let every = || datasets.iter().flat_map(|ds| ds.days());
    // The datasets' lists grouped by day in one array: day i's are start[i]..start[i + 1].
    let mut start = vec![0usize; distinct.len() + 1];
    for d in every() {
        start[distinct.partition_point(|&x| x < d.day) + 1] += 1;
    }
    for i in 1..start.len() {
        start[i] += start[i - 1];
    }
    let mut lists: Vec<&[u32]> = vec![&[]; start[distinct.len()]];
    let mut next = start.clone();
    for d in every() {
        let i = distinct.partition_point(|&x| x < d.day);
        lists[next[i]] = d.users;
        next[i] += 1;
    }
    let mut marks = vec![0u32; users];
    (0..distinct.len())
        .map(|i| match &lists[start[i]..start[i + 1]] {
            [one] => Cow::Borrowed(*one),
            day => {
                let mark = u32::try_from(i + 1).expect("fewer than 2^32 days");
                let most = day.iter().map(|l| l.len()).max().unwrap_or(0);
                let mut all = Vec::with_capacity(most);
                for list in day {
                    for &u in *list {
                        if marks.set(u, mark) != mark {
                            all.push(u);
                        }
                    }
                }
                Cow::Owned(all)
            }
        })
        .collect()
}

/// The days of one dataset, as a series.
pub fn dataset_days(d: &DatasetAgg) -> Vec<SeriesDay<'_>> {
    d.days()
        .map(|d| SeriesDay {
            day: d.day,
            downloads: d.downloads,
            bytes_sent: d.bytes_sent,
            users: Cow::Borrowed(d.users),
        })
        .collect()
}

/// For each user id, the number (from 1) of the last period or dataset that counted it,
/// 0 for none yet: distinct users are counted in one pass over the lists, without
/// sorting or building sets. An array when the ids are dense enough, a map otherwise (a
/// small dataset of a summary with millions of users).
enum Marks {
    Dense(Vec<u32>),
    Sparse(HashMap<u32, u32>),
}

impl Marks {
    /// Marks for ids up to `max` (none if `None`), `entries` of which will be marked.
    fn new(max: Option<u32>, entries: usize) -> Marks {
        match max {
            Some(m) if (m as usize) < entries.saturating_mul(8).saturating_add(4096) => {
                Marks::Dense(vec![0; m as usize + 1])
            }
            _ => Marks::Sparse(HashMap::default()),
        }
    }
}

/// A user's mark, set to a new one; the mark before returned (0: never marked).
trait Mark {
    fn set(&mut self, user: u32, mark: u32) -> u32;
}

impl Mark for [u32] {
    #[inline]
    fn set(&mut self, user: u32, mark: u32) -> u32 {
        std::mem::replace(&mut self[user as usize], mark)
    }
}

impl Mark for HashMap<u32, u32> {
    #[inline]
    fn set(&mut self, user: u32, mark: u32) -> u32 {
        self.insert(user, mark).unwrap_or(0)
    }
}

/// The days the logs cover (from the earliest to the latest parsed line).
pub fn covered_days(s: &Summary) -> Option<(Day, Day)> {
    s.coverage.map(|(a, b)| (day_of(a), day_of(b)))
}

/// The series of `period` over `days` (in order): every period from the first to the last
/// day with a download, zeros included. A user is new in the first period they are
/// active in; a period is partial when it reaches outside the days `covered`.
pub fn period_rows(
    days: &[SeriesDay<'_>],
    period: Period,
    covered: Option<(Day, Day)>,
) -> Vec<PeriodRow> {
    let (Some(first), Some(last)) = (days.first(), days.last()) else {
        return Vec::new();
    };
    let ids = || days.iter().flat_map(|d| d.users.iter().copied());
    let (first, last) = (first.day, last.day);
    match Marks::new(ids().max(), days.iter().map(|d| d.users.len()).sum()) {
        Marks::Dense(mut v) => rows_marked(days, period, covered, (first, last), &mut v[..]),
        Marks::Sparse(mut m) => rows_marked(days, period, covered, (first, last), &mut m),
    }
}

/// [`period_rows`] from the day `span.0` to `span.1` with the marks chosen (a loop for
/// each kind, the choice made once).
fn rows_marked<M: Mark + ?Sized>(
    days: &[SeriesDay<'_>],
    period: Period,
    covered: Option<(Day, Day)>,
    span: (Day, Day),
    marks: &mut M,
) -> Vec<PeriodRow> {
    let mut rows = Vec::new();
    let mut i = 0;
    for (n, start) in period.starts(span.0, span.1).enumerate() {
        let mark = u32::try_from(n + 1).expect("fewer than 2^32 periods");
        let next = period.next(start);
        let (mut downloads, mut bytes_sent, mut active, mut new) = (0, 0, 0, 0);
        while let Some(d) = days.get(i).filter(|d| d.day < next) {
            downloads += d.downloads;
            bytes_sent += d.bytes_sent;
            let (a, n) = mark_day(&d.users, marks, mark);
            active += a;
            new += n;
            i += 1;
        }
        rows.push(PeriodRow {
            period_start: iso_date(start),
            period_end: iso_date(next - 1),
            downloads,
            new_unique_users: new,
            active_unique_users: active,
            bytes_sent,
            partial: covered.is_none_or(|(a, b)| start < a || next - 1 > b),
        });
    }
    rows
}

/// Marks a day's users with `mark`: how many were not marked so yet (active in the
/// period), and how many never were (new). A call a day: see [`set_bits`].
#[inline(never)]
fn mark_day<M: Mark + ?Sized>(users: &[u32], marks: &mut M, mark: u32) -> (u64, u64) {
    let (mut active, mut new) = (0, 0);
    for &u in users {
        let before = marks.set(u, mark);
        active += u64::from(before != mark);
        new += u64::from(before == 0);
    }
    (active, new)
}

/// Every period's series over `days`.
pub fn all_periods(days: &[SeriesDay<'_>], covered: Option<(Day, Day)>) -> Periods {
    let rows = |p| period_rows(days, p, covered);
    Periods {
        day: rows(Period::Day),
        week: rows(Period::Week),
        month: rows(Period::Month),
        quarter: rows(Period::Quarter),
        year: rows(Period::Year),
    }
}

/// The datasets with their totals, most downloaded first (ties by name).
pub fn datasets(s: &Summary) -> Vec<DatasetRow> {
    struct Acc {
        first: i64,
        last: i64,
        sizes: BTreeMap<u64, u64>,
    }
    let mut acc: Vec<Acc> = s
        .datasets
        .iter()
        .map(|_| Acc {
            first: i64::MAX,
            last: i64::MIN,
            sizes: BTreeMap::new(),
        })
        .collect();
    for o in s.objects.values() {
        let a = &mut acc[o.dataset as usize];
        a.first = a.first.min(o.first);
        a.last = a.last.max(o.last);
        for (size, bytes) in o.sizes.iter() {
            *a.sizes.entry(size).or_default() += bytes;
        }
    }
    // A dataset's distinct users, counted in one pass over its days' lists.
    let mut marks = vec![0u32; s.users.len()];
    let mut rows: Vec<DatasetRow> = s
        .datasets
        .iter()
        .zip(acc)
        .enumerate()
        .filter(|(_, (d, _))| !d.is_empty())
        .map(|(i, (d, a))| {
            let users = distinct_users(d, &mut marks, i as u32 + 1);
            DatasetRow {
                dataset: d.name.clone(),
                dataset_decoded: crate::text::url_decode(d.name.as_bytes()),
                doi: d.doi.clone(),
                downloads: d.days().map(|x| x.downloads).sum(),
                unique_users: users as u64,
                bytes_sent: d.days().map(|x| x.bytes_sent).sum(),
                full_download_equivalents: a
                    .sizes
                    .iter()
                    .filter(|(&size, _)| size > 0)
                    .map(|(&size, &bytes)| bytes as f64 / size as f64)
                    .sum(),
                first_download: rfc3339(a.first),
                last_download: rfc3339(a.last),
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        b.downloads
            .cmp(&a.downloads)
            .then_with(|| a.dataset.cmp(&b.dataset))
    });
    rows
}

/// The distinct users of a dataset, each marked with `mark` when first met (a call a
/// dataset: see [`set_bits`]).
#[inline(never)]
fn distinct_users(d: &DatasetAgg, marks: &mut [u32], mark: u32) -> usize {
    let mut users = 0;
    for x in d.days() {
        for &u in x.users {
            users += usize::from(marks.set(u, mark) != mark);
        }
    }
    users
}

/// The series of `period` of the dataset `name` (empty for a dataset it does not have).
pub fn dataset_periods(s: &Summary, name: &str, period: Period) -> Vec<PeriodRow> {
    s.datasets
        .iter()
        .find(|d| d.name == name)
        .map_or(Vec::new(), |d| {
            period_rows(&dataset_days(d), period, covered_days(s))
        })
}

/// The datasets in a table's scope: all (`""`) or the one named (none for a name the
/// summary does not have).
fn named<'a>(s: &'a Summary, name: &'a str) -> impl Iterator<Item = &'a DatasetAgg> + 'a {
    s.datasets
        .iter()
        .filter(move |d| name.is_empty() || d.name == name)
}

/// The downloads of the dataset `name` (`""`: all) on the days `days` (all with `None`),
/// user by user, for the tables of where they come from.
fn by_user(s: &Summary, name: &str, days: Option<(Day, Day)>) -> ByUser {
    let datasets = named(s, name);
    ByUser::new(s, Scope { datasets, days })
}

/// The countries of the downloads of the dataset `name` (`""`: all) on the days `days`
/// (all with `None`); `places` is [`tally::places`]'s.
pub fn dataset_countries(
    s: &Summary,
    t: Tables<'_>,
    places: &[Place],
    name: &str,
    days: Option<(Day, Day)>,
) -> Vec<CountryRow> {
    tally::countries(t.countries, places, &by_user(s, name, days))
}

/// The networks of the downloads of the dataset `name` (`""`: all) on the days `days`,
/// with the part from cloud and hosting networks; `places` is [`tally::places`]'s.
pub fn dataset_networks(
    s: &Summary,
    t: Tables<'_>,
    places: &[Place],
    name: &str,
    days: Option<(Day, Day)>,
) -> (Vec<NetworkRow>, Totals) {
    let rows = tally::networks(t, places, &by_user(s, name, days));
    let cloud = tally::cloud_share(&rows);
    (rows, cloud)
}

/// Where the downloads of a dataset and days come from: countries, networks, and the part
/// from cloud and hosting networks.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Geography {
    /// As [`dataset_countries`].
    pub countries: Vec<CountryRow>,
    /// As [`dataset_networks`].
    pub networks: Vec<NetworkRow>,
    /// The part from cloud and hosting networks.
    pub cloud: Totals,
}

/// [`dataset_countries`] and [`dataset_networks`] together, from one pass over the
/// downloads.
pub fn dataset_geography(
    s: &Summary,
    t: Tables<'_>,
    places: &[Place],
    name: &str,
    days: Option<(Day, Day)>,
) -> Geography {
    let by = by_user(s, name, days);
    let networks = tally::networks(t, places, &by);
    Geography {
        countries: tally::countries(t.countries, places, &by),
        cloud: tally::cloud_share(&networks),
        networks,
    }
}

/// The lab's weekly columns, from the week series.
fn weeks(rows: &[PeriodRow]) -> Vec<WeekRow> {
    rows.iter()
        .map(|r| WeekRow {
            week_start: r.period_start.clone(),
            week_end: r.period_end.clone(),
            downloads: r.downloads,
            new_unique_users: r.new_unique_users,
            active_unique_users: r.active_unique_users,
            bytes_sent: r.bytes_sent,
        })
        .collect()
}

impl Report {
    /// Builds the report of a summary, with the address tables built in.
    pub fn new(s: &Summary) -> Report {
        Report::with_tables(s, Tables::builtin())
    }

    /// Builds the report of a summary, with these address tables.
    pub fn with_tables(s: &Summary, t: Tables<'_>) -> Report {
        Report::with_places(s, t, &tally::places(s, t))
    }

    /// Builds the report of a summary, with each user's place already looked up in the
    /// tables `t` (`places`, [`tally::places`]'s).
    pub fn with_places(s: &Summary, t: Tables<'_>, places: &[Place]) -> Report {
        let covered = covered_days(s);
        let periods = all_periods(&all_days(s), covered);
        let where_from = dataset_geography(s, t, places, "", None);
        Report {
            read: s.read,
            downloads: s.downloads,
            unique_users: s.users.len() as u64,
            bytes_sent: s.bytes_sent,
            candidates: s.candidates,
            removed: s.removed,
            ambiguous_user_agent: s.ambiguous_user_agent,
            weeks: weeks(&periods.week),
            coverage: covered.map(|(a, b)| Coverage {
                first_day: iso_date(a),
                last_day: iso_date(b),
            }),
            periods,
            datasets: datasets(s),
            countries: where_from.countries,
            country_data: t.countries.source().clone(),
            networks: where_from.networks,
            cloud: where_from.cloud,
            network_data: {
                let mut v = vec![t.networks.source().clone(), t.networks.aws_source().clone()];
                v.extend(t.cloud.sources().iter().skip(2).cloned());
                v
            },
            rejected_by_reason: s
                .rejects
                .iter()
                .map(|(r, a)| (r.name().to_string(), a.count))
                .collect(),
            rejects: s
                .rejects
                .iter()
                .map(|(r, a)| RejectRow {
                    reason: r.name().to_string(),
                    explanation: r.explain().to_string(),
                    count: a.count,
                    samples: a.samples.clone(),
                })
                .collect(),
            file_notes: s.file_notes.clone(),
            counter: s
                .counter
                .as_ref()
                .map(|c| CounterReport::new(c, t.countries)),
        }
    }
}

#[cfg(test)]
mod marks_tests {
    use super::*;

    /// Users counted with the map (ids far apart) and with the array (the same users as
    /// small ids) give the same series.
    #[test]
    fn sparse_and_dense_marks_count_alike() {
        let small: Vec<Vec<u32>> = vec![vec![0, 1, 2], vec![1, 3], vec![], vec![0, 4], vec![4]];
        let big: Vec<Vec<u32>> = small
            .iter()
            .map(|l| l.iter().map(|&u| u * 50_000_000 + 7).collect())
            .collect();
        let series = |lists: &[Vec<u32>]| -> Vec<PeriodRow> {
            // Days 0, 1, 2, 9, 9 (two datasets on day 9), from 1970-01-01.
            let day_of = [0, 1, 2, 9, 9];
            let mut days: Vec<SeriesDay<'_>> = Vec::new();
            for (l, &day) in lists.iter().zip(&day_of) {
                match days.last_mut().filter(|d| d.day == day) {
                    Some(d) => {
                        let mut all = d.users.to_vec();
                        all.extend(l.iter().filter(|u| !d.users.contains(u)));
                        d.users = Cow::Owned(all);
                    }
                    None => days.push(SeriesDay {
                        day,
                        downloads: l.len() as u64,
                        bytes_sent: 0,
                        users: Cow::Borrowed(l),
                    }),
                }
            }
            period_rows(&days, Period::Week, Some((0, 9)))
        };
        assert!(matches!(
            Marks::new(Some(200_000_007), 11),
            Marks::Sparse(_)
        ));
        assert!(matches!(Marks::new(Some(4), 11), Marks::Dense(_)));
        let (a, b) = (series(&small), series(&big));
        assert_eq!(a, b);
        // Week of 1969-12-29: users 0-3 (4 new); week of 1970-01-05: users 0 and 4 (1 new).
        let got: Vec<(u64, u64)> = a
            .iter()
            .map(|r| (r.active_unique_users, r.new_unique_users))
            .collect();
        assert_eq!(got, vec![(4, 4), (2, 1)]);
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod day_users_tests {
    use super::*;
    use crate::summary::UserCount;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    proptest! {
        /// A day's distinct users over every dataset, from the bits and from the marks,
        /// are the union a set makes; a day of one dataset, or of none with a user, too.
        #[test]
        fn bits_and_marks_find_each_days_users(
            lists in proptest::collection::vec(
                proptest::collection::btree_map(-3i64..40, proptest::collection::btree_set(0u32..150, 0..12), 0..8),
                0..6,
            ),
            extra_users in 0usize..70,
        ) {
            let mut datasets = Vec::new();
            let mut naive: BTreeMap<Day, BTreeSet<u32>> = BTreeMap::new();
            for days in &lists {
                let mut d = DatasetAgg::new(String::new(), String::new());
                for (&day, users) in days {
                    let users: Vec<u32> = users.iter().copied().collect();
                    let counts = vec![UserCount { downloads: 1, bytes_sent: 1 }; users.len()];
                    d.add_day(day, users.len() as u64, 0, &users, &counts);
                    naive.entry(day).or_default().extend(&users);
                }
                datasets.push(d);
            }
            let distinct: Vec<Day> = naive.keys().copied().collect();
            let users = 150 + extra_users;
            let want: Vec<BTreeSet<u32>> = naive.into_values().collect();
            for got in [
                users_by_bits(&datasets, &distinct, users),
                users_by_marks(&datasets, &distinct, users),
            ] {
                prop_assert_eq!(got.len(), want.len());
                for (g, w) in got.iter().zip(&want) {
                    // Each user once.
                    let set: BTreeSet<u32> = g.iter().copied().collect();
                    prop_assert_eq!(set.len(), g.len());
                    prop_assert_eq!(&set, w);
                }
            }
        }
    }
}
