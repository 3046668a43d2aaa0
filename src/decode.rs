//! What a file is, decided by its first bytes, and its content: plain text passed on,
//! gzip (multi-member too) inflated within the limits that stop a gzip bomb, zip and
//! binary files refused with a note. The session feeds the bytes of one file as stored
//! and gets content back through a closure, whatever the chunking.

use crate::summary::FileNoteKind;
use std::io::Write;

/// How many bytes of content are looked at before deciding that a file is binary.
pub const SNIFF_BYTES: usize = 1024;

/// The ratio limit (`max_inflate_ratio`) applies only past this many inflated bytes: a
/// small file that inflates a lot costs nothing.
pub const INFLATE_RATIO_FLOOR: u64 = 1 << 30;

/// Gzip is inflated this many stored bytes at a time, so that one chunk cannot inflate
/// into an unbounded buffer.
const INFLATE_PIECE: usize = 16 * 1024;

fn is_gzip(head: &[u8]) -> bool {
    head.starts_with(&[0x1f, 0x8b])
}

fn is_zip(head: &[u8]) -> bool {
    head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06")
}

/// True when a file that starts with `head` (its first [`SNIFF_BYTES`] bytes, or all of
/// it if shorter) may be analysed in byte ranges (`Session::begin_part`): plain text, as
/// a session reading it whole takes it. Gzip, zip and binary files are not: read whole,
/// they are decoded or refused exactly as the CLI does (a range from the middle of a
/// binary file could look like text).
pub fn can_split(head: &[u8]) -> bool {
    !is_gzip(head) && !is_zip(head) && !looks_binary(&head[..head.len().min(SNIFF_BYTES)])
}

/// A NUL byte, or mostly control characters, in the first bytes: not a text log.
fn looks_binary(b: &[u8]) -> bool {
    if b.contains(&0) {
        return true;
    }
    let control = b
        .iter()
        .filter(|&&c| c < 0x20 && !matches!(c, b'\n' | b'\r' | b'\t' | 0x0c))
        .count();
    control * 10 > b.len()
}

enum Format {
    /// The first bytes of the file, until there are enough to recognise gzip or zip.
    Magic(Vec<u8>),
    Plain,
    Gzip(Box<flate2::write::MultiGzDecoder<Vec<u8>>>),
    /// The rest of the file is ignored (zip, binary, corrupt gzip, or no file open).
    Refused,
}

/// Decodes one file at a time; the problems it finds wait in [`Decoder::take_notes`].
pub(crate) struct Decoder {
    format: Format,
    /// Content held until the binary check has seen [`SNIFF_BYTES`] of it.
    sniff: Option<Vec<u8>>,
    inflated: u64,
    /// The stored size, when the reader knows it (bounds the inflate ratio).
    size: Option<u64>,
    max_inflated_bytes: u64,
    max_inflate_ratio: u64,
    notes: Vec<(FileNoteKind, String)>,
}

impl Decoder {
    /// A decoder with the inflate limits of the settings; no file is open.
    pub(crate) fn new(max_inflated_bytes: u64, max_inflate_ratio: u64) -> Decoder {
        Decoder {
            format: Format::Refused,
            sniff: None,
            inflated: 0,
            size: None,
            max_inflated_bytes,
            max_inflate_ratio,
            notes: Vec::new(),
        }
    }

    /// Starts a file: a whole one is recognised by its first bytes and checked for
    /// binary content; a byte range of a plain file (`whole == false`) is plain text.
    pub(crate) fn begin(&mut self, whole: bool) {
        self.format = if whole {
            Format::Magic(Vec::new())
        } else {
            Format::Plain
        };
        self.sniff = whole.then(Vec::new);
        self.inflated = 0;
        self.size = None;
        self.notes.clear();
    }

    /// The stored size of the file (see `Session::file_size`).
    pub(crate) fn set_size(&mut self, size: u64) {
        self.size = Some(size);
    }

    /// Problems found since the last call: each stops the file, but for a truncated gzip.
    pub(crate) fn take_notes(&mut self) -> Option<std::vec::Drain<'_, (FileNoteKind, String)>> {
        (!self.notes.is_empty()).then(|| self.notes.drain(..))
    }

    /// The next stored bytes; their content goes to `out`.
    #[inline]
    pub(crate) fn push(&mut self, chunk: &[u8], out: &mut impl FnMut(&[u8])) {
        match &mut self.format {
            Format::Plain => self.content(chunk, out),
            Format::Magic(head) => {
                head.extend_from_slice(chunk);
                if head.len() >= 4 {
                    let head = std::mem::take(head);
                    self.decide(&head, out);
                }
            }
            Format::Gzip(_) => self.inflate(chunk, out),
            Format::Refused => {}
        }
    }

    /// Ends the file: what a short file, the gzip stream and the binary check still hold
    /// goes to `out`.
    pub(crate) fn finish(&mut self, out: &mut impl FnMut(&[u8])) {
        if let Format::Magic(head) = &mut self.format {
            let head = std::mem::take(head);
            self.decide(&head, out);
        }
        if let Format::Gzip(gz) = &mut self.format {
            let result = gz.try_finish();
            let rest = std::mem::take(gz.get_mut());
            self.content(&rest, out);
            if result.is_err() {
                self.notes.push((FileNoteKind::GzipTruncated, "the gzip file ends before its compressed data does (cut short while copying?); the lines before the cut were analysed".into()));
            }
        }
        // Content shorter than the sniff window is checked now.
        if self.sniff.is_some() {
            self.release_sniff(out);
        }
        self.format = Format::Refused;
    }

    fn refuse(&mut self, kind: FileNoteKind, message: String) {
        self.notes.push((kind, message));
        self.format = Format::Refused;
        self.sniff = None;
    }

    /// Picks the format from the first bytes of the file.
    fn decide(&mut self, head: &[u8], out: &mut impl FnMut(&[u8])) {
        if is_gzip(head) {
            self.format = Format::Gzip(Box::new(flate2::write::MultiGzDecoder::new(Vec::new())));
            self.inflate(head, out);
        } else if is_zip(head) {
            self.refuse(
                FileNoteKind::Zip,
                "this is a zip archive: please unzip it first and drop the folder".into(),
            );
        } else {
            self.format = Format::Plain;
            self.content(head, out);
        }
    }

    fn inflate(&mut self, chunk: &[u8], out: &mut impl FnMut(&[u8])) {
        for piece in chunk.chunks(INFLATE_PIECE) {
            let Format::Gzip(gz) = &mut self.format else {
                return;
            };
            // Flush after every piece (and after an error): what comes out must depend only
            // on the bytes read so far, never on how they were chunked.
            let result = gz.write_all(piece).and_then(|_| gz.flush());
            if result.is_err() {
                let _ = gz.flush();
            }
            let inflated = std::mem::take(gz.get_mut());
            if !self.inflated_content(&inflated, out) {
                return;
            }
            // Refused on what it inflated to (binary): the first problem found is the one
            // reported, whatever the chunking.
            if matches!(self.format, Format::Refused) {
                return;
            }
            if let Err(e) = result {
                self.refuse(
                    FileNoteKind::GzipCorrupt,
                    format!(
                        "the gzip data is corrupt ({e}); the lines before the damage were analysed"
                    ),
                );
                return;
            }
        }
    }

    /// Passes inflated bytes on, enforcing the inflate limits; false once the file is refused.
    fn inflated_content(&mut self, bytes: &[u8], out: &mut impl FnMut(&[u8])) -> bool {
        let (mut limit, ratio) = (self.max_inflated_bytes, self.max_inflate_ratio);
        let mut by_ratio = false;
        if let (Some(size), 1..) = (self.size, ratio) {
            let bound = size.saturating_mul(ratio).max(INFLATE_RATIO_FLOOR);
            if bound < limit {
                limit = bound;
                by_ratio = true;
            }
        }
        let room = limit.saturating_sub(self.inflated);
        self.inflated += bytes.len() as u64;
        if (bytes.len() as u64) > room {
            self.content(&bytes[..room as usize], out);
            let why = if by_ratio {
                format!("the file inflates to more than {ratio} times its size (the inflate ratio limit, a guard against gzip bombs); the first {limit} bytes were analysed")
            } else {
                format!("the file inflates to more than {limit} bytes (the inflate limit, a guard against gzip bombs); the first {limit} bytes were analysed")
            };
            self.refuse(FileNoteKind::GzipLimit, why);
            return false;
        }
        self.content(bytes, out);
        true
    }

    /// Decoded content: held for the binary check, then passed on.
    #[inline]
    fn content(&mut self, bytes: &[u8], out: &mut impl FnMut(&[u8])) {
        if let Some(buf) = self.sniff.as_mut() {
            if !buf.is_empty() || bytes.len() < SNIFF_BYTES {
                buf.extend_from_slice(bytes);
                if buf.len() >= SNIFF_BYTES {
                    self.release_sniff(out);
                }
                return;
            }
            // The whole window came at once (as it nearly always does): checked where it
            // is, without a copy of the chunk.
            self.sniff = None;
            if looks_binary(&bytes[..SNIFF_BYTES]) {
                self.refuse_binary();
                return;
            }
        }
        out(bytes);
    }

    fn release_sniff(&mut self, out: &mut impl FnMut(&[u8])) {
        let Some(buf) = self.sniff.take() else { return };
        if looks_binary(&buf[..buf.len().min(SNIFF_BYTES)]) {
            self.refuse_binary();
            return;
        }
        out(&buf);
    }

    fn refuse_binary(&mut self) {
        self.refuse(
            FileNoteKind::Binary,
            "this is a binary file, not a text log (an image, an archive or a program?)".into(),
        );
    }
}
