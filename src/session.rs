//! The push-style session that the CLI, the workers, the tests and the benchmarks all
//! drive: `begin_file(name)`, `push(chunk)` any number of times with chunks of any size,
//! `end_file()`, and finally `finish()`.
//!
//! bytes -> [`decode`](crate::decode) (gzip inflated, zip and binary refused) -> lines ->
//! parse -> filter -> aggregate, with an optional [`Sink`] that receives the per-row
//! exports. A sink that fails (a full disk) stops the session: every later call returns
//! the error.

use crate::decode::Decoder;
use crate::line::{LineBuffer, LineEvent};
use crate::parse::{is_blank, Parser, Record, Reject};
use crate::settings::{Compiled, Settings};
use crate::summary::{FileNote, PartOfFile, Summary};
use std::io;

/// Where a line is: its file (as named in the outputs) and its 1-based line number.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct At<'a> {
    /// The file.
    pub file: &'a str,
    /// The line number, from 1.
    pub line: u64,
}

/// Receives what is exported row by row (so that no export is held in memory).
/// Every method has an empty default, which the compiler removes for sinks that do not
/// use it. An error stops the session.
pub trait Sink {
    /// Any parsed line (`s3logdrop parse`).
    fn parsed(&mut self, _rec: &Record<'_>, _at: At<'_>) -> io::Result<()> {
        Ok(())
    }
    /// A blank line.
    fn blank(&mut self, _at: At<'_>) -> io::Result<()> {
        Ok(())
    }
    /// A download by operation and status, before any other filter (`parsed_output.csv`).
    fn candidate(&mut self, _rec: &Record<'_>, _at: At<'_>) -> io::Result<()> {
        Ok(())
    }
    /// A rejected line (`rejected_lines.txt`).
    fn rejected(&mut self, _reason: Reject, _at: At<'_>, _text: &[u8]) -> io::Result<()> {
        Ok(())
    }
}

/// A sink that keeps nothing.
#[derive(Default, Debug, Clone, Copy)]
pub struct NoSink;
impl Sink for NoSink {}

/// A sink that may be absent (`None` keeps nothing).
impl<S: Sink> Sink for Option<S> {
    fn parsed(&mut self, rec: &Record<'_>, at: At<'_>) -> io::Result<()> {
        self.as_mut().map_or(Ok(()), |s| s.parsed(rec, at))
    }
    fn blank(&mut self, at: At<'_>) -> io::Result<()> {
        self.as_mut().map_or(Ok(()), |s| s.blank(at))
    }
    fn candidate(&mut self, rec: &Record<'_>, at: At<'_>) -> io::Result<()> {
        self.as_mut().map_or(Ok(()), |s| s.candidate(rec, at))
    }
    fn rejected(&mut self, reason: Reject, at: At<'_>, text: &[u8]) -> io::Result<()> {
        self.as_mut()
            .map_or(Ok(()), |s| s.rejected(reason, at, text))
    }
}

/// The file being read.
struct FileState {
    name: String,
    line_no: u64,
    parsed: u64,
    rejected: u64,
    first_reject: Option<Reject>,
    raw_bytes: u64,
    /// A byte range of a bigger file (see [`Session::begin_part`]).
    part: bool,
}

/// What reads the lines: everything of the session but its decoder and line buffer, so
/// that the line buffer can hand it lines while the decoder hands the buffer content.
struct Lines<S> {
    compiled: Compiled,
    /// COUNTER's lists, when the setting is on.
    counter: Option<crate::counter::Scan>,
    parser: Parser,
    summary: Summary,
    sink: S,
    file: Option<FileState>,
    /// The sink's first error; nothing is read after it.
    error: Option<io::Error>,
}

/// Parses, filters and aggregates the files pushed into it.
pub struct Session<S: Sink = NoSink> {
    decoder: Decoder,
    buffer: LineBuffer,
    lines: Lines<S>,
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
            decoder: Decoder::new(settings.max_inflated_bytes, settings.max_inflate_ratio),
            buffer: LineBuffer::new(max_line),
            lines: Lines {
                counter: settings.counter.then(crate::counter::Scan::new),
                compiled,
                parser: Parser::new(),
                summary: Summary::default(),
                sink,
                file: None,
                error: None,
            },
        })
    }

    /// The settings in force.
    pub fn settings(&self) -> &Settings {
        &self.lines.compiled.settings
    }

    /// The summary so far (for progress reports).
    pub fn summary(&self) -> &Summary {
        &self.lines.summary
    }

    /// Starts a file; ends the previous one if it was not ended.
    pub fn begin_file(&mut self, name: &str) {
        self.begin(name, false);
    }

    /// Starts one part of a big plain file that is analysed in byte ranges (the caller
    /// pushes whole lines, from a line start to a line end, and ends it with
    /// [`Session::end_part`]). Only for a file that
    /// [`can_split`](crate::decode::can_split) accepts: the part is read as plain text,
    /// since what a file is (gzip, zip, binary) is decided by its first bytes, not by
    /// those of a range from its middle. Line numbers count from the part's first line,
    /// and what the part says about its file as a whole is taken out by `end_part` and
    /// put together with the other parts' by [`Parts`](crate::summary::Parts).
    pub fn begin_part(&mut self, name: &str) {
        self.begin(name, true);
    }

    fn begin(&mut self, name: &str, part: bool) {
        if self.lines.file.is_some() {
            self.end();
        }
        self.lines.summary.read.files += 1;
        self.lines.file = Some(FileState {
            name: name.to_string(),
            line_no: 0,
            parsed: 0,
            rejected: 0,
            first_reject: None,
            raw_bytes: 0,
            part,
        });
        self.decoder.begin(!part);
    }

    /// Feeds the next bytes of the current file, as stored (plain or gzip). An error is
    /// the sink's: the session has stopped.
    #[inline]
    pub fn push(&mut self, chunk: &[u8]) -> io::Result<()> {
        if self.lines.file.is_none() {
            self.begin_file("(input)");
        }
        self.check()?;
        self.lines.summary.read.bytes += chunk.len() as u64;
        let f = self.lines.file.as_mut().expect("a file is open");
        f.raw_bytes += chunk.len() as u64;
        let Session {
            decoder,
            buffer,
            lines,
        } = self;
        decoder.push(chunk, &mut |content| {
            buffer.push(content, |e| lines.line(e))
        });
        self.take_notes();
        self.check()
    }

    /// Ends the current file: flushes its last line and notes what went wrong with it.
    pub fn end_file(&mut self) -> io::Result<()> {
        self.end();
        self.check()
    }

    /// Ends the current part (see [`Session::begin_part`]) and takes out of the summary
    /// what belongs to its file as a whole: its rejected-line samples and notes. The rest
    /// of the part stays in this session's summary, which goes on gathering the next
    /// parts without a summary (and a merge) per part. `None` if no part was open.
    pub fn end_part(&mut self) -> io::Result<Option<PartOfFile>> {
        if !self.lines.file.as_ref().is_some_and(|f| f.part) {
            return Ok(None);
        }
        let f = self.end().expect("a part is open");
        self.check()?;
        let summary = &mut self.lines.summary;
        let (samples, notes) = summary.take_file(&f.name);
        summary.read.files -= 1;
        Ok(Some(PartOfFile {
            lines: f.line_no,
            parsed: f.parsed,
            rejected: f.rejected,
            bytes: f.raw_bytes,
            samples,
            notes,
        }))
    }

    fn end(&mut self) -> Option<FileState> {
        self.lines.file.as_ref()?;
        let Session {
            decoder,
            buffer,
            lines,
        } = self;
        decoder.finish(&mut |content| buffer.push(content, |e| lines.line(e)));
        buffer.finish(|e| lines.line(e));
        self.take_notes();
        let f = self.lines.file.take().expect("a file is open");
        // A part's file gets its notes as a whole when its parts are put together.
        if !f.part {
            let note =
                FileNote::whole_file(&f.name, f.raw_bytes, f.parsed, f.rejected, f.first_reject);
            self.lines.summary.file_notes.extend(note);
        }
        Some(f)
    }

    /// Gives the stored size of the current file, when the reader knows it: a gzip file
    /// is then stopped once it inflates past `max_inflate_ratio` times that size (and
    /// past [`INFLATE_RATIO_FLOOR`](crate::decode::INFLATE_RATIO_FLOOR)).
    pub fn file_size(&mut self, size: u64) {
        if self.lines.file.is_some() {
            self.decoder.set_size(size);
        }
    }

    /// Notes that the current file could not be read to its end (it was moved, removed or
    /// changed while being read). What was read of it stays counted.
    pub fn read_error(&mut self, error: &str) {
        let note = FileNote::read_error(self.file_name(), error);
        self.lines.summary.file_notes.push(note);
    }

    /// The sink, for a caller that sends each file's rows somewhere else.
    pub fn sink_mut(&mut self) -> &mut S {
        &mut self.lines.sink
    }

    /// Ends the input and returns the summary and the sink, or the sink's error.
    pub fn finish(mut self) -> io::Result<(Summary, S)> {
        self.end_file()?;
        let Lines {
            mut summary, sink, ..
        } = self.lines;
        summary.normalize();
        Ok((summary, sink))
    }

    /// The sink's error, if it failed (a copy: the session keeps it).
    fn check(&self) -> io::Result<()> {
        match &self.lines.error {
            None => Ok(()),
            Some(e) => Err(io::Error::new(e.kind(), e.to_string())),
        }
    }

    fn file_name(&self) -> &str {
        self.lines.file.as_ref().map_or("", |f| f.name.as_str())
    }

    /// Notes the problems the decoder found with the current file.
    fn take_notes(&mut self) {
        let Some(found) = self.decoder.take_notes() else {
            return;
        };
        let name = self.lines.file.as_ref().map_or("", |f| f.name.as_str());
        for (kind, message) in found {
            self.lines
                .summary
                .file_notes
                .push(FileNote::new(name, kind, message));
        }
    }
}

impl<S: Sink> Lines<S> {
    #[inline]
    fn line(&mut self, e: LineEvent<'_>) {
        if self.error.is_some() {
            return;
        }
        let f = self.file.as_mut().expect("a file is open");
        f.line_no += 1;
        let line_no = f.line_no;
        let at = At {
            file: &f.name,
            line: line_no,
        };
        self.summary.read.lines += 1;
        let mut rec = Record::empty();
        let (line, result) = match e {
            LineEvent::TooLong { prefix, .. } => (prefix, Err(Reject::LineTooLong)),
            LineEvent::Line(l) => {
                if is_blank(l) {
                    self.summary.read.blank += 1;
                    if let Err(e) = self.sink.blank(at) {
                        self.error = Some(e);
                    }
                    return;
                }
                (l, self.parser.parse_into(l, &mut rec))
            }
        };
        let written = match result {
            Ok(()) => {
                f.parsed += 1;
                self.summary.read.parsed += 1;
                self.summary.saw(rec.time);
                let mut written = self.sink.parsed(&rec, at);
                if rec.ambiguous_user_agent {
                    self.summary.ambiguous_user_agent += 1;
                }
                if let Some(scan) = &mut self.counter {
                    let c = self.summary.counter.get_or_insert_with(Default::default);
                    let compiled = &self.compiled;
                    scan.line(
                        &rec,
                        c,
                        |r| compiled.common_removal(r).is_some(),
                        |k| compiled.datasets.of(k),
                    );
                }
                if self.compiled.is_candidate(rec.operation(), rec.http_status) {
                    written = written.and(self.sink.candidate(&rec, at));
                    let removal = self.compiled.removal(&rec);
                    let line = line.strip_suffix(b"\r").unwrap_or(line);
                    self.summary
                        .candidate(&rec, line, removal, &self.compiled.datasets);
                }
                written
            }
            Err(reason) => {
                f.rejected += 1;
                f.first_reject.get_or_insert(reason);
                let written = self.sink.rejected(reason, at, line);
                let k = self.compiled.settings.reject_samples;
                self.summary.reject(reason, &f.name, line_no, line, k);
                written
            }
        };
        if let Err(e) = written {
            self.error = Some(e);
        }
    }
}
