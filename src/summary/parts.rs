//! A big plain file analysed in byte ranges: what each range says about its file as a
//! whole ([`PartOfFile`], taken out of a session by `Session::end_part`), and how the
//! parts of one file are put together ([`Parts`]) into what one session reading the
//! whole file would have said about it.

use super::{FileNote, RejectSample, Summary};
use crate::parse::Reject;
use serde::{Deserialize, Serialize};

/// What one byte-range part says about its file as a whole: the file is counted, its
/// rejected-line samples numbered and its notes made only once every part is in (see
/// [`Parts`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartOfFile {
    /// Lines of the part (the samples of the parts after it are numbered from here).
    pub lines: u64,
    /// Lines parsed in the part.
    pub parsed: u64,
    /// Lines rejected in the part.
    pub rejected: u64,
    /// Bytes of the part.
    pub bytes: u64,
    /// The part's rejected-line samples, numbered from the part's first line.
    pub samples: Vec<(Reject, RejectSample)>,
    /// The part's notes on the file.
    pub notes: Vec<FileNote>,
}

impl PartOfFile {
    /// In the compact binary form that workers post to the page.
    pub fn to_bytes(&self) -> Vec<u8> {
        postcard::to_stdvec(self).expect("a part serialises")
    }

    /// From [`PartOfFile::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<PartOfFile, String> {
        postcard::from_bytes(bytes).map_err(|e| format!("a part was not understood: {e}"))
    }
}

impl Summary {
    /// Takes out the rejected-line samples and the notes of `file` (what a part says
    /// about its file as a whole; the session's `end_part` calls it).
    pub(crate) fn take_file(&mut self, file: &str) -> (Vec<(Reject, RejectSample)>, Vec<FileNote>) {
        let mut samples = Vec::new();
        for (reason, agg) in self.rejects.iter_mut() {
            for s in std::mem::take(&mut agg.samples) {
                if s.file == file {
                    samples.push((*reason, s));
                } else {
                    agg.samples.push(s);
                }
            }
        }
        let (notes, others) = std::mem::take(&mut self.file_notes)
            .into_iter()
            .partition(|n| n.file == file);
        self.file_notes = others;
        (samples, notes)
    }
}

/// The byte-range parts of one file, gathered as they arrive in any order: when the last
/// is in, [`Parts::finish`] makes the file's own summary (the file counted once, its
/// rejected-line samples numbered from the file's first line, its notes made as a
/// whole-file session would). Added to the summaries the parts' sessions are left with,
/// it equals the summary of the file read in one piece.
#[derive(Debug)]
pub struct Parts {
    file: String,
    max_samples: u32,
    got: Vec<Option<PartOfFile>>,
    missing: usize,
}

impl Parts {
    /// Waits for `count` parts of `file`.
    pub fn new(file: &str, count: usize, max_samples: u32) -> Parts {
        Parts {
            file: file.into(),
            max_samples,
            got: vec![None; count],
            missing: count,
        }
    }

    /// Adds part `index` (from 0, in file order). A part given twice or out of range is
    /// ignored and returns false.
    pub fn add(&mut self, index: usize, part: PartOfFile) -> bool {
        match self.got.get_mut(index) {
            Some(slot @ None) => {
                *slot = Some(part);
                self.missing -= 1;
                true
            }
            _ => false,
        }
    }

    /// True when every part is in.
    pub fn complete(&self) -> bool {
        self.missing == 0
    }

    /// The file's own summary; `None` while a part is missing.
    pub fn finish(self) -> Option<Summary> {
        let mut total = Summary::default();
        total.read.files = 1;
        let (mut offset, mut bytes, mut parsed, mut rejected) = (0u64, 0u64, 0u64, 0u64);
        let mut first: Option<(u64, Reject)> = None;
        for got in self.got {
            let part = got?;
            for (reason, mut s) in part.samples {
                s.line += offset;
                if first.is_none_or(|(line, _)| s.line < line) {
                    first = Some((s.line, reason));
                }
                total.rejects.entry(reason).or_default().samples.push(s);
            }
            total.file_notes.extend(part.notes);
            offset += part.lines;
            bytes += part.bytes;
            parsed += part.parsed;
            rejected += part.rejected;
        }
        total.file_notes.sort();
        total.file_notes.dedup();
        if let Some(note) =
            FileNote::whole_file(&self.file, bytes, parsed, rejected, first.map(|f| f.1))
        {
            total.file_notes.push(note);
        }
        total.normalize_to(self.max_samples);
        Some(total)
    }
}
