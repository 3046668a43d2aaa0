//! The mergeable summary: everything the outputs need, bounded by what is distinct
//! (IPs, objects, weeks), never by the number of lines. `merge` of the summaries of two
//! parts of an input equals the summary of the whole.

use crate::ip::IpKey;
use crate::parse::{Record, Reject};
use crate::settings::Removal;
use crate::time::{day_of, week_start, Day, UnixSeconds};
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

/// A user's earliest counted download. Ties on time go to the smallest line, so the
/// choice does not depend on the order in which lines arrive.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FirstDownload {
    /// UTC seconds.
    pub time: UnixSeconds,
    /// The whole line (lossy UTF-8), re-parsed for `parsed_output_filt.csv`.
    pub line: String,
    /// The week of this user's last counted download seen by this summary: logs arrive
    /// mostly in time order, so most downloads skip the (week, user) set. A cache only.
    #[serde(skip)]
    last_week: Option<Day>,
}

impl PartialEq for FirstDownload {
    fn eq(&self, o: &FirstDownload) -> bool {
        (self.time, &self.line) == (o.time, &o.line)
    }
}
impl Eq for FirstDownload {}

impl FirstDownload {
    fn earlier_than(&self, other: &FirstDownload) -> bool {
        (self.time, &self.line) < (other.time, &other.line)
    }
}

/// Downloads, bytes and distinct users of one object key or key prefix.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjAgg {
    /// Counted downloads.
    pub downloads: u64,
    /// Sum of bytes_sent.
    pub bytes_sent: u64,
    /// Distinct remote IPs.
    #[serde(with = "sorted_set")]
    pub users: HashSet<IpKey>,
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

/// A problem with a whole file (not a log, truncated gzip...), shown by name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FileNote {
    /// File name as given.
    pub file: String,
    /// `empty`, `binary`, `zip`, `gzip_truncated`, `gzip_corrupt`, `gzip_limit`, `no_log_lines`, `read_error`.
    pub kind: String,
    /// One sentence for people.
    pub message: String,
}

/// Everything counted so far.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
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
    /// Each user's first download.
    #[serde(with = "sorted_map")]
    pub users: HashMap<IpKey, FirstDownload>,
    /// (week, user) pairs with at least one download.
    #[serde(with = "sorted_set")]
    pub active: HashSet<(Day, IpKey)>,
    /// Per raw object key.
    #[serde(with = "sorted_map")]
    pub objects: HashMap<String, ObjAgg>,
    /// Per key prefix of `prefix_segments` folders.
    #[serde(with = "sorted_map")]
    pub prefixes: HashMap<String, ObjAgg>,
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

fn bump(map: &mut HashMap<String, ObjAgg>, key: &[u8], ip: Option<IpKey>, bytes: u64) {
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
    if let Some(ip) = ip {
        agg.users.insert(ip);
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
    pub fn candidate(
        &mut self,
        rec: &Record<'_>,
        line: &[u8],
        removal: Option<Removal>,
        prefix_segments: u32,
    ) {
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
        if let Some(ip) = rec.remote_ip {
            let new_first = |rec: &Record<'_>| FirstDownload {
                time: rec.time,
                line: String::from_utf8_lossy(line).into_owned(),
                last_week: Some(week),
            };
            match self.users.get_mut(&ip) {
                None => {
                    self.users.insert(ip, new_first(rec));
                    self.active.insert((week, ip));
                }
                Some(first) => {
                    if first.last_week != Some(week) {
                        first.last_week = Some(week);
                        self.active.insert((week, ip));
                    }
                    if rec.time <= first.time {
                        let new = new_first(rec);
                        if new.earlier_than(first) {
                            *first = new;
                        }
                    }
                }
            }
        }
        let key = rec.key().unwrap_or(b"-");
        bump(&mut self.objects, key, rec.remote_ip, bytes);
        bump(
            &mut self.prefixes,
            key_prefix(key, prefix_segments),
            rec.remote_ip,
            bytes,
        );
    }

    /// Adds another summary into this one.
    pub fn merge(&mut self, other: Summary, max_samples: u32) {
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
        for (ip, first) in other.users {
            match self.users.get_mut(&ip) {
                Some(mine) if !first.earlier_than(mine) => {}
                Some(mine) => *mine = first,
                None => {
                    self.users.insert(ip, first);
                }
            }
        }
        self.active.extend(other.active);
        for (map, theirs) in [
            (&mut self.objects, other.objects),
            (&mut self.prefixes, other.prefixes),
        ] {
            for (k, a) in theirs {
                let e = map.entry(k).or_default();
                e.downloads += a.downloads;
                e.bytes_sent += a.bytes_sent;
                e.users.extend(a.users);
            }
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

    /// Puts together the summaries of the parts of one file analysed in byte ranges
    /// (each from [`Session::begin_part`](crate::session::Session::begin_part)), given in
    /// file order: shifts each part's sample line numbers by the lines before it, counts
    /// the file once and makes its notes as a whole-file session would. The result
    /// equals the summary of the file read in one piece.
    pub fn from_parts(file: &str, parts: Vec<Summary>, max_samples: u32) -> Summary {
        let mut total = Summary::default();
        let mut offset = 0u64;
        let mut first: Option<(u64, Reject)> = None;
        for mut p in parts {
            for (reason, agg) in p.rejects.iter_mut() {
                for s in agg.samples.iter_mut().filter(|s| s.file == file) {
                    s.line += offset;
                    if first.is_none_or(|(line, _)| s.line < line) {
                        first = Some((s.line, *reason));
                    }
                }
            }
            offset += p.lines;
            total.merge(p, max_samples);
        }
        total.files = 1;
        total.file_notes.dedup();
        if total.bytes == 0 {
            total.file_notes.push(FileNote {
                file: file.into(),
                kind: "empty".into(),
                message: crate::session::EMPTY_NOTE.into(),
            });
        } else if total.parsed == 0 && total.rejected > 0 {
            total.file_notes.push(FileNote {
                file: file.into(),
                kind: "no_log_lines".into(),
                message: crate::session::no_log_lines_note(total.rejected, first.map(|f| f.1)),
            });
        }
        total.normalize();
        total
    }

    /// Puts the parts whose order depends on arrival (samples, notes) in canonical order.
    pub fn normalize(&mut self) {
        for a in self.rejects.values_mut() {
            a.samples.sort();
        }
        self.file_notes.sort();
    }
}

/// Serialises a hash map as a list of pairs sorted by key, so the output is stable.
mod sorted_map {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::HashMap;
    use std::hash::{BuildHasher, Hash};

    pub fn serialize<S: Serializer, K: Serialize + Ord, V: Serialize, H>(
        m: &HashMap<K, V, H>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let mut v: Vec<(&K, &V)> = m.iter().collect();
        v.sort_by(|a, b| a.0.cmp(b.0));
        v.serialize(s)
    }

    pub fn deserialize<'de, D, K, V, H>(d: D) -> Result<HashMap<K, V, H>, D::Error>
    where
        D: Deserializer<'de>,
        K: Deserialize<'de> + Eq + Hash,
        V: Deserialize<'de>,
        H: BuildHasher + Default,
    {
        Ok(Vec::<(K, V)>::deserialize(d)?.into_iter().collect())
    }
}

/// Serialises a hash set as a sorted list.
mod sorted_set {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::HashSet;
    use std::hash::{BuildHasher, Hash};

    pub fn serialize<S: Serializer, T: Serialize + Ord, H>(
        m: &HashSet<T, H>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let mut v: Vec<&T> = m.iter().collect();
        v.sort();
        v.serialize(s)
    }

    pub fn deserialize<'de, D, T, H>(d: D) -> Result<HashSet<T, H>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de> + Eq + Hash,
        H: BuildHasher + Default,
    {
        Ok(Vec::<T>::deserialize(d)?.into_iter().collect())
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
