//! Snapshots: the analysis so far, kept so that next month only the new log files are
//! read. A snapshot holds the mergeable summary, the settings it was made with and the
//! identity of every log file counted (its name, as the CLI and the page name files, and
//! its size: S3 never rewrites a log object, so a known name with another size is an
//! error, not a new file).
//!
//! The file format, version 4 (integers little-endian; version 1 wrote each day's users
//! as a Roaring bitmap, where 2 writes the gaps between sorted ids, and ended on a SHA-256
//! of the body, where 2 ends on a CRC-32: the checksum is there to catch a damaged file,
//! and SHA-256 in WebAssembly held the page for a quarter of a second per 10 MB; 3 adds
//! each dataset's downloads and bytes per user, which the countries are counted from; 4
//! counts the downloads the "exclude cloud and hosting networks" setting removed):
//!
//! | offset | size | what |
//! |---|---|---|
//! | 0 | 8 | the magic `S3LDSNAP` |
//! | 8 | 4 | the format version, `3` |
//! | 12 | 8 | N, the length of the body |
//! | 20 | N | the body: postcard of (settings as JSON, made at (Unix seconds), [(file name, size)], summary in `Summary::to_bytes` form) |
//! | 20 + N | 4 | CRC-32 (IEEE, as gzip's) of the body |
//!
//! Nothing else follows. A file with another magic, another version, another length, or
//! a checksum that does not match is refused whole, with a sentence saying which; a body
//! that decodes to a summary naming users or datasets it does not have is refused too.
//!
//! Two snapshots merge only when made with the same settings (the ones that decide what
//! is counted; publication rounding is a way of showing and does not count), and only
//! when each log file is counted once in the result: files in one or the other, or the
//! files of one all in the other (then the larger is the result).

use crate::settings::Settings;
use crate::summary::Summary;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The first bytes of a snapshot file.
pub const MAGIC: &[u8; 8] = b"S3LDSNAP";
/// The format version this build writes and reads.
pub const VERSION: u32 = 5;
const HEADER: usize = 8 + 4 + 8;
const CHECKSUM: usize = 4;

/// The analysis of a set of log files.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// The settings it was made with.
    pub settings: Settings,
    /// When it was last added to, in Unix seconds (0: unknown).
    pub made_at: i64,
    /// Every log file counted: name -> size in bytes.
    pub files: BTreeMap<String, u64>,
    /// The summary of those files.
    pub summary: Summary,
}

/// The body, as stored.
#[derive(Serialize, Deserialize)]
struct Body {
    settings: String,
    made_at: i64,
    files: Vec<(String, u64)>,
    summary: Vec<u8>,
}

/// What to do with the files of a new run, given a snapshot.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Indexes of the files not counted yet: to read.
    pub read: Vec<usize>,
    /// Indexes of the files already counted (same name, same size): skipped.
    pub skipped: Vec<usize>,
    /// Files with a counted name and another size: (index, size counted): not read, reported.
    pub changed: Vec<(usize, u64)>,
}

/// The settings that decide what is counted, as JSON fields (publication rounding left
/// out: it only changes how numbers are shown).
fn counted_fields(s: &Settings) -> serde_json::Map<String, serde_json::Value> {
    let mut v = match serde_json::to_value(s) {
        Ok(serde_json::Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    };
    v.remove("publication_rounding");
    v
}

/// The names of the settings that differ between `a` and `b` (empty: the same counts).
pub fn settings_differ(a: &Settings, b: &Settings) -> Vec<String> {
    let (a, b) = (counted_fields(a), counted_fields(b));
    a.iter()
        .filter(|(k, v)| b.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .collect()
}

/// The bytes of a snapshot of these parts (what [`Snapshot::to_bytes`] writes), for a
/// caller that keeps them apart.
pub fn encode(
    settings: &Settings,
    made_at: i64,
    files: &BTreeMap<String, u64>,
    summary: &Summary,
) -> Vec<u8> {
    let body = Body {
        settings: serde_json::to_string(settings).expect("settings serialise"),
        made_at,
        files: files.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        summary: summary.to_bytes(),
    };
    // The body written after the header, in a buffer made once (the summary's bytes are
    // nearly all of it), its length filled in after.
    let names: usize = body.files.iter().map(|(k, _)| k.len() + 12).sum();
    let room = HEADER + body.settings.len() + names + body.summary.len() + 64 + CHECKSUM;
    let mut out = Vec::with_capacity(room);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    let mut out = postcard::to_extend(&body, out).expect("a snapshot serialises");
    let len = (out.len() - HEADER) as u64;
    out[12..HEADER].copy_from_slice(&len.to_le_bytes());
    let sum = checksum(&out[HEADER..]);
    out.extend_from_slice(&sum);
    out
}

/// The checksum that ends a snapshot: the CRC-32 of its body, little-endian.
pub fn checksum(body: &[u8]) -> [u8; CHECKSUM] {
    crc32fast::hash(body).to_le_bytes()
}

/// Which of `files` (name, size) to read, skip as `counted`, or report as changed.
pub fn plan(counted: &BTreeMap<String, u64>, files: &[(&str, u64)]) -> Plan {
    let mut plan = Plan::default();
    for (i, (name, size)) in files.iter().enumerate() {
        match counted.get(*name) {
            None => plan.read.push(i),
            Some(s) if s == size => plan.skipped.push(i),
            Some(s) => plan.changed.push((i, *s)),
        }
    }
    plan
}

impl Snapshot {
    /// An empty analysis under `settings`.
    pub fn new(settings: Settings) -> Snapshot {
        Snapshot {
            settings,
            made_at: 0,
            files: BTreeMap::new(),
            summary: Summary::default(),
        }
    }

    /// The snapshot as a file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        encode(&self.settings, self.made_at, &self.files, &self.summary)
    }

    /// A snapshot from its file's bytes, or a sentence saying why it cannot be used.
    pub fn from_bytes(bytes: &[u8]) -> Result<Snapshot, String> {
        if bytes.len() < 8 || &bytes[..8] != MAGIC {
            return Err("this is not an s3logdrop snapshot (it does not start as one)".into());
        }
        if bytes.len() < HEADER {
            return Err("the snapshot is cut short (its header is incomplete)".into());
        }
        let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
        if version != VERSION {
            return Err(format!(
                "the snapshot is in format {version}, made by another version of s3logdrop; this one reads format {VERSION}: analyse the logs again"
            ));
        }
        let len = u64::from_le_bytes(bytes[12..20].try_into().expect("8 bytes"));
        let want = (HEADER as u64)
            .checked_add(len)
            .and_then(|n| n.checked_add(CHECKSUM as u64));
        if want != Some(bytes.len() as u64) {
            return Err(if want.is_some_and(|w| w > bytes.len() as u64) {
                "the snapshot is cut short (a download or copy that did not finish?)".into()
            } else {
                "the snapshot has bytes after its end: it is damaged".into()
            });
        }
        let body = &bytes[HEADER..HEADER + len as usize];
        if checksum(body) != bytes[HEADER + len as usize..] {
            return Err("the snapshot is damaged (its checksum does not match)".into());
        }
        let damaged = |what: String| format!("the snapshot is damaged ({what})");
        let body: Body = postcard::from_bytes(body).map_err(|e| damaged(e.to_string()))?;
        let settings: Settings =
            serde_json::from_str(&body.settings).map_err(|e| damaged(e.to_string()))?;
        let summary = Summary::from_bytes(&body.summary).map_err(damaged)?;
        let n = body.files.len();
        let files: BTreeMap<String, u64> = body.files.into_iter().collect();
        if files.len() != n {
            return Err(damaged("a file is listed twice".into()));
        }
        Ok(Snapshot {
            settings,
            made_at: body.made_at,
            files,
            summary,
        })
    }

    /// Which of `files` (name, size) to read, skip, or report as changed.
    pub fn plan(&self, files: &[(&str, u64)]) -> Plan {
        plan(&self.files, files)
    }

    /// Adds the summary of a run over `files` (none of them counted yet).
    pub fn add(&mut self, files: impl IntoIterator<Item = (String, u64)>, run: Summary) {
        self.files.extend(files);
        self.summary.merge(run, self.settings.reject_samples);
        self.summary.normalize();
    }

    /// The snapshot of both: refused when made with other settings, or when it would
    /// count a file twice or with two sizes.
    pub fn merge(self, other: Snapshot) -> Result<Snapshot, String> {
        let differ = settings_differ(&self.settings, &other.settings);
        if !differ.is_empty() {
            return Err(format!(
                "these analyses were made with different settings ({}): counts made under two definitions are not mixed",
                differ.join(", ")
            ));
        }
        let mut shared = 0usize;
        for (name, size) in &other.files {
            match self.files.get(name) {
                Some(s) if s != size => {
                    return Err(format!(
                        "{name} is counted in both with different sizes ({s} and {size} bytes): S3 does not rewrite log files, so one of them is not the same file"
                    ))
                }
                Some(_) => shared += 1,
                None => {}
            }
        }
        let made_at = self.made_at.max(other.made_at);
        let mut out = if shared == other.files.len() {
            self // theirs are all in mine
        } else if shared == self.files.len() {
            other // mine are all in theirs
        } else if shared == 0 {
            let mut merged = self;
            merged.files.extend(other.files);
            merged
                .summary
                .merge(other.summary, merged.settings.reject_samples);
            merged.summary.normalize();
            merged
        } else {
            return Err(format!(
                "these analyses share {shared} log files, and each also has files the other lacks: counting the shared ones once needs the logs (analyse them again, adding to one of the two)"
            ));
        };
        out.made_at = made_at;
        Ok(out)
    }
}
