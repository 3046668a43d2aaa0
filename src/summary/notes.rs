//! Problems with a whole file (not a log, a truncated gzip, …), by kind, each with one
//! sentence for people. The kinds are an enum, so a misspelt kind does not compile; on
//! the wire and in `summary.json` each is its snake_case name.

use crate::parse::Reject;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// What went wrong with a whole file.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileNoteKind {
    /// No byte at all.
    Empty,
    /// A binary file (an image, a program…), not a text log.
    Binary,
    /// A zip archive (not read: the person must unzip it).
    Zip,
    /// A gzip file that ends before its compressed data does.
    GzipTruncated,
    /// Damaged gzip data.
    GzipCorrupt,
    /// A gzip file that inflates past the limits (a gzip bomb?).
    GzipLimit,
    /// Text, but not one line of it is an S3 access log line.
    NoLogLines,
    /// The file could not be read to its end.
    ReadError,
    /// A file already counted (in a snapshot) under this name, now with another size.
    ChangedSize,
}

impl FileNoteKind {
    /// The snake_case name, as in `summary.json` and on the page.
    pub fn name(self) -> &'static str {
        match self {
            FileNoteKind::Empty => "empty",
            FileNoteKind::Binary => "binary",
            FileNoteKind::Zip => "zip",
            FileNoteKind::GzipTruncated => "gzip_truncated",
            FileNoteKind::GzipCorrupt => "gzip_corrupt",
            FileNoteKind::GzipLimit => "gzip_limit",
            FileNoteKind::NoLogLines => "no_log_lines",
            FileNoteKind::ReadError => "read_error",
            FileNoteKind::ChangedSize => "changed_size",
        }
    }
}

/// Ordered by name, so that notes sort as their text does in the outputs.
impl Ord for FileNoteKind {
    fn cmp(&self, other: &Self) -> Ordering {
        self.name().cmp(other.name())
    }
}

impl PartialOrd for FileNoteKind {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl std::fmt::Display for FileNoteKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A problem with a whole file, shown by name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FileNote {
    /// File name as given.
    pub file: String,
    /// What went wrong.
    pub kind: FileNoteKind,
    /// One sentence for people.
    pub message: String,
}

impl FileNote {
    /// A note of `kind` on `file`.
    pub fn new(file: &str, kind: FileNoteKind, message: impl Into<String>) -> FileNote {
        FileNote {
            file: file.to_string(),
            kind,
            message: message.into(),
        }
    }

    /// The file has no byte.
    pub fn empty(file: &str) -> FileNote {
        FileNote::new(file, FileNoteKind::Empty, "the file is empty")
    }

    /// None of the file's `rejected` lines parsed; `first` is the first line's reason.
    pub fn no_log_lines(file: &str, rejected: u64, first: Option<Reject>) -> FileNote {
        let why = first.map_or("", Reject::explain);
        FileNote::new(
            file,
            FileNoteKind::NoLogLines,
            format!("no line of this file is an S3 access log line ({rejected} rejected; first reason: {why})"),
        )
    }

    /// The file could not be read to its end.
    pub fn read_error(file: &str, error: &str) -> FileNote {
        FileNote::new(
            file,
            FileNoteKind::ReadError,
            format!("could not be read: {error}"),
        )
    }

    /// A file counted before with `counted` bytes, now `size`: not read again.
    pub fn changed_size(file: &str, counted: u64, size: u64) -> FileNote {
        FileNote::new(
            file,
            FileNoteKind::ChangedSize,
            format!("counted before with {counted} bytes, now {size} bytes; S3 does not rewrite log files, so it was not read again (analyse from scratch if it really changed)"),
        )
    }

    /// The note a file gets as a whole once it is read (every part of it, when it was
    /// read in byte ranges): empty, or no log line in it; none when it held a log line.
    pub fn whole_file(
        file: &str,
        bytes: u64,
        parsed: u64,
        rejected: u64,
        first_reject: Option<Reject>,
    ) -> Option<FileNote> {
        if bytes == 0 {
            Some(FileNote::empty(file))
        } else if parsed == 0 && rejected > 0 {
            Some(FileNote::no_log_lines(file, rejected, first_reject))
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_sort_and_serialise_by_name() {
        let all = [
            FileNoteKind::Empty,
            FileNoteKind::Binary,
            FileNoteKind::Zip,
            FileNoteKind::GzipTruncated,
            FileNoteKind::GzipCorrupt,
            FileNoteKind::GzipLimit,
            FileNoteKind::NoLogLines,
            FileNoteKind::ReadError,
            FileNoteKind::ChangedSize,
        ];
        let mut sorted = all;
        sorted.sort();
        let names: Vec<&str> = sorted.iter().map(|k| k.name()).collect();
        let mut by_name = names.clone();
        by_name.sort();
        assert_eq!(names, by_name);
        for k in all {
            assert_eq!(
                serde_json::to_string(&k).unwrap(),
                format!("\"{}\"", k.name())
            );
        }
    }
}
