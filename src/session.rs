//! The push-style session that the CLI, the workers, the tests and the benchmarks all
//! drive: `begin_file(name)`, `push(chunk)` any number of times with chunks of any size,
//! `end_file()`, and finally `finish()`.
//!
//! bytes -> (gzip inflate, detected by magic bytes) -> content sniff -> lines -> parse ->
//! filter -> aggregate, with an optional [`Sink`] that receives the per-row exports.

use crate::line::{LineBuffer, LineEvent};
use crate::parse::{is_blank, Parser, Record, Reject};
use crate::settings::{Compiled, Settings, INFLATE_RATIO_FLOOR};
use crate::summary::{FileNote, PartOfFile, Summary};
use std::io::Write;

/// Receives what is exported row by row (so that no export is held in memory).
/// Every method has an empty default, which the compiler removes for sinks that do not
/// use it.
pub trait Sink {
    /// Any parsed line (`s3logdrop parse`).
    fn parsed(&mut self, _rec: &Record<'_>, _file: &str, _line_no: u64) {}
    /// A blank line.
    fn blank(&mut self, _file: &str, _line_no: u64) {}
    /// A download by operation and status, before any other filter (`parsed_output.csv`).
    fn candidate(&mut self, _rec: &Record<'_>, _file: &str, _line_no: u64) {}
    /// A rejected line (`rejected_lines.txt`).
    fn rejected(&mut self, _reason: Reject, _file: &str, _line_no: u64, _text: &[u8]) {}
}

/// A sink that keeps nothing.
#[derive(Default, Debug, Clone, Copy)]
pub struct NoSink;
impl Sink for NoSink {}

/// A sink that may be absent (`None` keeps nothing).
impl<S: Sink> Sink for Option<S> {
    fn parsed(&mut self, rec: &Record<'_>, file: &str, line_no: u64) {
        if let Some(s) = self {
            s.parsed(rec, file, line_no)
        }
    }
    fn blank(&mut self, file: &str, line_no: u64) {
        if let Some(s) = self {
            s.blank(file, line_no)
        }
    }
    fn candidate(&mut self, rec: &Record<'_>, file: &str, line_no: u64) {
        if let Some(s) = self {
            s.candidate(rec, file, line_no)
        }
    }
    fn rejected(&mut self, reason: Reject, file: &str, line_no: u64, text: &[u8]) {
        if let Some(s) = self {
            s.rejected(reason, file, line_no, text)
        }
    }
}

/// How many bytes of content are looked at before deciding that a file is binary.
pub const SNIFF_BYTES: usize = 1024;

fn is_gzip(head: &[u8]) -> bool {
    head.starts_with(&[0x1f, 0x8b])
}

fn is_zip(head: &[u8]) -> bool {
    head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06")
}

/// True when a file that starts with `head` (its first [`SNIFF_BYTES`] bytes, or all of
/// it if shorter) may be analysed in byte ranges ([`Session::begin_part`]): plain text, as
/// a session reading it whole takes it. Gzip, zip and binary files are not: read whole,
/// they are decoded or refused exactly as the CLI does (a range from the middle of a
/// binary file could look like text).
pub fn can_split(head: &[u8]) -> bool {
    !is_gzip(head) && !is_zip(head) && !looks_binary(&head[..head.len().min(SNIFF_BYTES)])
}

enum Decoder {
    /// The first bytes of the file, until there are enough to recognise gzip or zip.
    Magic(Vec<u8>),
    Plain,
    Gzip(Box<flate2::write::MultiGzDecoder<Vec<u8>>>),
    /// The rest of the file is ignored (zip, binary, corrupt gzip).
    Refused,
}

struct FileState {
    name: String,
    decoder: Decoder,
    /// Content bytes held until the binary check has seen enough.
    sniff: Option<Vec<u8>>,
    line_no: u64,
    inflated: u64,
    /// The stored size, when the reader knows it (bounds the inflate ratio).
    size: Option<u64>,
    parsed: u64,
    rejected: u64,
    first_reject: Option<Reject>,
    raw_bytes: u64,
    /// A byte range of a bigger file (see [`Session::begin_part`]).
    part: bool,
}

/// The note on an empty file.
pub const EMPTY_NOTE: &str = "the file is empty";

/// The note on a file none of whose lines parsed.
pub fn no_log_lines_note(rejected: u64, first_reject: Option<Reject>) -> String {
    let why = first_reject.map_or("", Reject::explain);
    format!(
        "no line of this file is an S3 access log line ({rejected} rejected; first reason: {why})"
    )
}

/// Parses, filters and aggregates the files pushed into it.
pub struct Session<S: Sink = NoSink> {
    compiled: Compiled,
    parser: Parser,
    lines: LineBuffer,
    summary: Summary,
    sink: S,
    file: Option<FileState>,
}

impl Session<NoSink> {
    /// A session with no row exports.
    pub fn new(settings: &Settings) -> Result<Session<NoSink>, String> {
        Session::with_sink(settings, NoSink)
    }
}

impl<S: Sink> Session<S> {
    /// A session that hands rows to `sink`.
    pub fn with_sink(settings: &Settings, sink: S) -> Result<Session<S>, String> {
        let compiled = Compiled::new(settings)?;
        let max_line = usize::try_from(settings.max_line_bytes).unwrap_or(usize::MAX);
        Ok(Session {
            compiled,
            parser: Parser::new(),
            lines: LineBuffer::new(max_line),
            summary: Summary::default(),
            sink,
            file: None,
        })
    }

    /// The settings in force.
    pub fn settings(&self) -> &Settings {
        &self.compiled.settings
    }

    /// The summary so far (for progress reports).
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// Starts a file; ends the previous one if it was not ended.
    pub fn begin_file(&mut self, name: &str) {
        self.begin(name, false);
    }

    /// Starts one part of a big plain file that is analysed in byte ranges (each range
    /// in its own session; the caller pushes whole lines, from a line start to a line
    /// end). Only for a file that [`can_split`] accepts: the part is read as plain text,
    /// since what a file is (gzip, zip, binary) is decided by its first bytes, not by
    /// those of a range from its middle. Line numbers count from the part's first line
    /// and the per-file notes (`empty`, `no_log_lines`) are left out:
    /// [`Summary::from_parts`] puts the parts' summaries together in order and makes
    /// them right.
    pub fn begin_part(&mut self, name: &str) {
        self.begin(name, true);
    }

    fn begin(&mut self, name: &str, part: bool) {
        if self.file.is_some() {
            self.end_file();
        }
        self.summary.files += 1;
        self.file = Some(FileState {
            name: name.to_string(),
            decoder: if part {
                Decoder::Plain
            } else {
                Decoder::Magic(Vec::new())
            },
            sniff: (!part).then(Vec::new),
            line_no: 0,
            inflated: 0,
            parsed: 0,
            rejected: 0,
            first_reject: None,
            raw_bytes: 0,
            size: None,
            part,
        });
    }

    /// Feeds the next bytes of the current file, as stored (plain or gzip).
    pub fn push(&mut self, chunk: &[u8]) {
        if self.file.is_none() {
            self.begin_file("(input)");
        }
        self.summary.bytes += chunk.len() as u64;
        let f = self.file.as_mut().expect("a file is open");
        f.raw_bytes += chunk.len() as u64;
        match &mut f.decoder {
            Decoder::Magic(head) => {
                head.extend_from_slice(chunk);
                if head.len() >= 4 {
                    let head = std::mem::take(head);
                    self.decide(&head);
                }
            }
            Decoder::Plain => self.content(chunk),
            Decoder::Gzip(_) => self.inflate(chunk),
            Decoder::Refused => {}
        }
    }

    /// Ends the current file: flushes its last line and notes what went wrong with it.
    pub fn end_file(&mut self) {
        self.end();
    }

    /// Ends the current part (see [`Session::begin_part`]) and takes out of the summary
    /// what belongs to its file as a whole, as [`Summary::split_part`] does, but in place:
    /// the rest of the part stays in this session's summary, which goes on gathering the
    /// next parts without a summary (and a merge) per part. `None` if no part was open.
    pub fn end_part(&mut self) -> Option<PartOfFile> {
        if !self.file.as_ref().is_some_and(|f| f.part) {
            return None;
        }
        let f = self.end()?;
        let (samples, notes) = self.summary.take_file(&f.name);
        self.summary.files -= 1;
        Some(PartOfFile {
            lines: f.line_no,
            parsed: f.parsed,
            rejected: f.rejected,
            bytes: f.raw_bytes,
            samples,
            notes,
        })
    }

    fn end(&mut self) -> Option<FileState> {
        let f = self.file.as_mut()?;
        if let Decoder::Magic(head) = &mut f.decoder {
            let head = std::mem::take(head);
            self.decide(&head);
        }
        let f = self.file.as_mut().expect("a file is open");
        if let Decoder::Gzip(gz) = &mut f.decoder {
            let result = gz.try_finish();
            let out = std::mem::take(gz.get_mut());
            self.content(&out);
            if result.is_err() {
                self.note("gzip_truncated", "the gzip file ends before its compressed data does (cut short while copying?); the lines before the cut were analysed");
            }
        }
        // Content shorter than the sniff window is checked now.
        if self.file.as_ref().is_some_and(|f| f.sniff.is_some()) {
            self.release_sniff();
        }
        let mut lines = std::mem::take(&mut self.lines);
        lines.finish(|e| self.line(e));
        self.lines = lines;
        let f = self.file.take().expect("a file is open");
        if f.part {
            // The whole file's notes are made when its parts are put together.
        } else if f.raw_bytes == 0 {
            self.note_for(&f.name, "empty", EMPTY_NOTE);
        } else if f.parsed == 0 && f.rejected > 0 {
            self.note_for(
                &f.name,
                "no_log_lines",
                &no_log_lines_note(f.rejected, f.first_reject),
            );
        }
        Some(f)
    }

    /// Gives the stored size of the current file, when the reader knows it: a gzip file
    /// is then stopped once it inflates past `max_inflate_ratio` times that size (and
    /// past [`INFLATE_RATIO_FLOOR`]).
    pub fn file_size(&mut self, size: u64) {
        if let Some(f) = self.file.as_mut() {
            f.size = Some(size);
        }
    }

    /// Notes that the current file could not be read to its end (it was moved, removed or
    /// changed while being read). What was read of it stays counted.
    pub fn read_error(&mut self, error: &str) {
        self.note("read_error", &format!("could not be read: {error}"));
    }

    /// The sink, for a caller that sends each file's rows somewhere else.
    pub fn sink_mut(&mut self) -> &mut S {
        &mut self.sink
    }

    /// Ends the input and returns the summary and the sink.
    pub fn finish(mut self) -> (Summary, S) {
        self.end_file();
        self.summary.normalize();
        (self.summary, self.sink)
    }

    fn note(&mut self, kind: &str, message: &str) {
        let name = self.file.as_ref().map_or(String::new(), |f| f.name.clone());
        self.note_for(&name, kind, message);
    }

    fn note_for(&mut self, file: &str, kind: &str, message: &str) {
        self.summary.file_notes.push(FileNote {
            file: file.to_string(),
            kind: kind.to_string(),
            message: message.to_string(),
        });
    }

    fn refuse(&mut self, kind: &str, message: &str) {
        self.note(kind, message);
        if let Some(f) = self.file.as_mut() {
            f.decoder = Decoder::Refused;
            f.sniff = None;
        }
    }

    /// Picks the decoder from the first bytes of the file.
    fn decide(&mut self, head: &[u8]) {
        let f = self.file.as_mut().expect("a file is open");
        if is_gzip(head) {
            f.decoder = Decoder::Gzip(Box::new(flate2::write::MultiGzDecoder::new(Vec::new())));
            self.inflate(head);
        } else if is_zip(head) {
            self.refuse(
                "zip",
                "this is a zip archive: please unzip it first and drop the folder",
            );
        } else {
            f.decoder = Decoder::Plain;
            self.content(head);
        }
    }

    fn inflate(&mut self, chunk: &[u8]) {
        // Feed in slices so that one chunk cannot inflate into an unbounded buffer.
        for piece in chunk.chunks(16 * 1024) {
            let f = self.file.as_mut().expect("a file is open");
            let Decoder::Gzip(gz) = &mut f.decoder else {
                return;
            };
            // Flush after every piece (and after an error): what comes out must depend only
            // on the bytes read so far, never on how they were chunked.
            let result = gz.write_all(piece).and_then(|_| gz.flush());
            if result.is_err() {
                let _ = gz.flush();
            }
            let out = std::mem::take(gz.get_mut());
            if !self.inflated_content(&out) {
                return;
            }
            // Refused on what it inflated to (binary): the first problem found is the one
            // reported, whatever the chunking.
            if matches!(
                self.file.as_ref().map(|f| &f.decoder),
                Some(Decoder::Refused)
            ) {
                return;
            }
            if let Err(e) = result {
                self.refuse(
                    "gzip_corrupt",
                    &format!(
                        "the gzip data is corrupt ({e}); the lines before the damage were analysed"
                    ),
                );
                return;
            }
        }
    }

    /// Passes inflated bytes on, enforcing the inflate limits; false once the file is refused.
    fn inflated_content(&mut self, bytes: &[u8]) -> bool {
        let (mut limit, ratio) = (
            self.compiled.settings.max_inflated_bytes,
            self.compiled.settings.max_inflate_ratio,
        );
        let mut by_ratio = false;
        let f = self.file.as_mut().expect("a file is open");
        if let (Some(size), 1..) = (f.size, ratio) {
            let bound = size.saturating_mul(ratio).max(INFLATE_RATIO_FLOOR);
            if bound < limit {
                limit = bound;
                by_ratio = true;
            }
        }
        let room = limit.saturating_sub(f.inflated);
        f.inflated += bytes.len() as u64;
        if (bytes.len() as u64) > room {
            self.content(&bytes[..room as usize]);
            let why = if by_ratio {
                format!("the file inflates to more than {ratio} times its size (the inflate ratio limit, a guard against gzip bombs); the first {limit} bytes were analysed")
            } else {
                format!("the file inflates to more than {limit} bytes (the inflate limit, a guard against gzip bombs); the first {limit} bytes were analysed")
            };
            self.refuse("gzip_limit", &why);
            return false;
        }
        self.content(bytes);
        true
    }

    /// Decoded content: held for the binary check, then split into lines.
    fn content(&mut self, bytes: &[u8]) {
        let f = self.file.as_mut().expect("a file is open");
        if let Some(buf) = f.sniff.as_mut() {
            if !buf.is_empty() || bytes.len() < SNIFF_BYTES {
                buf.extend_from_slice(bytes);
                if buf.len() >= SNIFF_BYTES {
                    self.release_sniff();
                }
                return;
            }
            // The whole window came at once (as it nearly always does): checked where it
            // is, without a copy of the chunk.
            f.sniff = None;
            if looks_binary(&bytes[..SNIFF_BYTES]) {
                self.refuse_binary();
                return;
            }
        }
        let mut lines = std::mem::take(&mut self.lines);
        lines.push(bytes, |e| self.line(e));
        self.lines = lines;
    }

    fn release_sniff(&mut self) {
        let f = self.file.as_mut().expect("a file is open");
        let Some(buf) = f.sniff.take() else { return };
        let window = &buf[..buf.len().min(SNIFF_BYTES)];
        if looks_binary(window) {
            self.refuse_binary();
            return;
        }
        let mut lines = std::mem::take(&mut self.lines);
        lines.push(&buf, |e| self.line(e));
        self.lines = lines;
    }

    fn refuse_binary(&mut self) {
        self.refuse(
            "binary",
            "this is a binary file, not a text log (an image, an archive or a program?)",
        );
    }

    #[inline]
    fn line(&mut self, e: LineEvent<'_>) {
        let f = self.file.as_mut().expect("a file is open");
        f.line_no += 1;
        let line_no = f.line_no;
        self.summary.lines += 1;
        let mut rec = Record::empty();
        let (line, result) = match e {
            LineEvent::TooLong { prefix, .. } => (prefix, Err(Reject::LineTooLong)),
            LineEvent::Line(l) => {
                if is_blank(l) {
                    self.summary.blank += 1;
                    self.sink.blank(&f.name, line_no);
                    return;
                }
                (l, self.parser.parse_into(l, &mut rec))
            }
        };
        match result {
            Ok(()) => {
                f.parsed += 1;
                self.summary.parsed += 1;
                self.sink.parsed(&rec, &f.name, line_no);
                if rec.ambiguous_user_agent {
                    self.summary.ambiguous_user_agent += 1;
                }
                if self.compiled.is_candidate(rec.operation(), rec.http_status) {
                    self.sink.candidate(&rec, &f.name, line_no);
                    let removal = self.compiled.removal(&rec);
                    let line = line.strip_suffix(b"\r").unwrap_or(line);
                    self.summary.candidate(&rec, line, removal);
                }
            }
            Err(reason) => {
                f.rejected += 1;
                f.first_reject.get_or_insert(reason);
                self.sink.rejected(reason, &f.name, line_no, line);
                let k = self.compiled.settings.reject_samples;
                self.summary.reject(reason, &f.name, line_no, line, k);
            }
        }
    }
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
