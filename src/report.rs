//! What a summary means to a person: the weekly series (every week from the first to the
//! last counted download, zeros included), top objects, totals. Pure functions.

use crate::summary::HashMap;
use crate::summary::{FileNote, ObjAgg, RejectSample, Removed, Summary};
use crate::time::{day_of, iso_date, week_start, Day};
use serde::Serialize;
use std::collections::BTreeMap;

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
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Files read.
    pub files: u64,
    /// Bytes read as stored.
    pub bytes: u64,
    /// Lines read.
    pub lines: u64,
    /// Parsed lines.
    pub parsed: u64,
    /// Rejected lines.
    pub rejected: u64,
    /// Blank lines.
    pub blank: u64,
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
    /// The weekly series.
    pub weeks: Vec<WeekRow>,
    /// Rejected lines per reason.
    pub rejected_by_reason: BTreeMap<String, u64>,
    /// Reasons with examples.
    pub rejects: Vec<RejectRow>,
    /// Problems with whole files.
    pub file_notes: Vec<FileNote>,
}

fn object_rows(map: &HashMap<String, ObjAgg>) -> Vec<ObjectRow> {
    let mut rows: Vec<ObjectRow> = map
        .iter()
        .map(|(k, a)| ObjectRow {
            key: k.clone(),
            key_decoded: crate::text::url_decode(k.as_bytes()),
            downloads: a.downloads,
            unique_users: a.users.len(),
            bytes_sent: a.bytes_sent,
        })
        .collect();
    rows.sort_by(|a, b| {
        b.downloads
            .cmp(&a.downloads)
            .then_with(|| a.key.cmp(&b.key))
    });
    rows
}

/// Objects by downloads (most first; ties by key).
pub fn top_objects(s: &Summary) -> Vec<ObjectRow> {
    object_rows(&s.objects)
}

/// Key prefixes of `segments` path segments by downloads.
pub fn top_prefixes(s: &Summary, segments: u32) -> Vec<ObjectRow> {
    object_rows(&s.prefixes(segments))
}

/// The weekly series: every week from the first to the last counted download.
pub fn weeks(s: &Summary) -> Vec<WeekRow> {
    let (Some((&first, _)), Some((&last, _))) =
        (s.weeks.first_key_value(), s.weeks.last_key_value())
    else {
        return Vec::new();
    };
    let mut new_users: HashMap<Day, u64> = HashMap::default();
    for (_, f) in s.users.iter() {
        *new_users.entry(week_start(day_of(f.time))).or_default() += 1;
    }
    let mut rows = Vec::new();
    let mut w = first;
    while w <= last {
        let agg = s.weeks.get(&w).copied().unwrap_or_default();
        rows.push(WeekRow {
            week_start: iso_date(w),
            week_end: iso_date(w + 6),
            downloads: agg.downloads,
            new_unique_users: new_users.get(&w).copied().unwrap_or(0),
            active_unique_users: s.active.get(&w).map_or(0, |set| set.len()),
            bytes_sent: agg.bytes_sent,
        });
        w += 7;
    }
    rows
}

impl Report {
    /// Builds the report of a summary.
    pub fn new(s: &Summary) -> Report {
        Report {
            files: s.files,
            bytes: s.bytes,
            lines: s.lines,
            parsed: s.parsed,
            rejected: s.rejected,
            blank: s.blank,
            downloads: s.downloads,
            unique_users: s.users.len() as u64,
            bytes_sent: s.bytes_sent,
            candidates: s.candidates,
            removed: s.removed,
            ambiguous_user_agent: s.ambiguous_user_agent,
            weeks: weeks(s),
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
        }
    }
}
