//! The output files of DESIGN.md, written through the `csv` crate (RFC 4180, CRLF) with
//! every text cell made spreadsheet-safe (see [`crate::text::spreadsheet_safe`]).

use crate::ip::IpKey;
use crate::parse::{Parser, Record, Reject};
use crate::report::{self, ObjectRow, Report, WeekRow};
use crate::session::{At, Sink};
use crate::settings::Settings;
use crate::summary::Summary;
use crate::text::{lossy, printable, spreadsheet_safe};
use crate::time::{day_of, push_iso_date, push_rfc3339};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::io::{self, Write};

/// How remote IPs appear in the row exports.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Anonymize {
    /// As in the log.
    #[default]
    None,
    /// SHA-256 of a per-run random salt and the address: the same user has the same
    /// pseudonym within one export, and the salt is never written anywhere.
    Hash {
        /// The per-run salt.
        salt: [u8; 16],
    },
    /// The /24 (IPv4) or /48 (IPv6) network.
    Network,
}

impl Anonymize {
    fn ip<'a>(&self, raw: &'a [u8], key: Option<IpKey>) -> Cow<'a, str> {
        Cow::Owned(match (self, key) {
            (Anonymize::None, _) | (_, None) => return lossy(raw),
            (Anonymize::Hash { salt }, Some(k)) => {
                let mut h = Sha256::new();
                h.update(salt);
                h.update(k.0.to_be_bytes());
                let d = h.finalize();
                d[..16].iter().map(|b| format!("{b:02x}")).collect()
            }
            (Anonymize::Network, Some(k)) => k.network(),
        })
    }
}

/// Header of `parsed_output.csv` and `parsed_output_filt.csv` (the lab's columns first).
pub const ROW_HEADER: [&str; 9] = [
    "date",
    "remote_ip",
    "operation",
    "status",
    "bytes",
    "user_agent",
    "object_size",
    "time",
    "key",
];

/// An error of the csv crate as the I/O error it wraps (a full disk stays a full disk).
fn csv_error(e: csv::Error) -> io::Error {
    if !e.is_io_error() {
        return io::Error::other(e);
    }
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// A CSV writer with the project's dialect: RFC 4180 quoting, CRLF line ends.
pub fn csv_writer<W: Write>(w: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(w)
}

/// A text cell, spreadsheet-safe; written without a copy when it is valid UTF-8 and safe
/// as it is (most cells: `lossy` and `spreadsheet_safe` borrow then).
fn text_field<W: Write>(w: &mut csv::Writer<W>, v: Option<&[u8]>) -> csv::Result<()> {
    let Some(b) = v else {
        return w.write_field(b"");
    };
    let text = lossy(b);
    w.write_field(spreadsheet_safe(&text).as_bytes())
}

fn num_field<W: Write>(w: &mut csv::Writer<W>, v: Option<u64>) -> csv::Result<()> {
    match v {
        Some(v) => w.write_field(itoa::Buffer::new().format(v)),
        None => w.write_field(b""),
    }
}

/// Writes one download row. Row exports have a row per download (millions), so the
/// fields are written as they are, allocating only for text that must change (invalid
/// UTF-8, a formula-like cell, an anonymised IP); `scratch` holds the dates.
pub fn write_row<W: Write>(
    w: &mut csv::Writer<W>,
    rec: &Record<'_>,
    anon: &Anonymize,
    scratch: &mut Vec<u8>,
) -> io::Result<()> {
    let ip = anon.ip(rec.head[crate::parse::f::REMOTE_IP], rec.remote_ip);
    let mut row = || -> csv::Result<()> {
        scratch.clear();
        push_iso_date(scratch, day_of(rec.time));
        w.write_field(&scratch[..])?;
        w.write_field(spreadsheet_safe(&ip).as_bytes())?;
        text_field(w, Some(rec.operation()))?;
        num_field(w, rec.http_status.map(u64::from))?;
        num_field(w, rec.bytes_sent)?;
        text_field(w, rec.user_agent())?;
        num_field(w, rec.object_size)?;
        scratch.clear();
        push_rfc3339(scratch, rec.time);
        w.write_field(&scratch[..])?;
        text_field(w, rec.key())?;
        w.write_record(None::<&[u8]>)
    };
    row().map_err(csv_error)
}

/// Streams `parsed_output.csv` and `rejected_lines.txt` while the session runs.
pub struct FileSink<P: Write, R: Write> {
    rows: csv::Writer<P>,
    rejected: R,
    anon: Anonymize,
    scratch: Vec<u8>,
}

impl<P: Write, R: Write> FileSink<P, R> {
    /// Writes both headers.
    pub fn new(parsed_output: P, mut rejected_lines: R, anon: Anonymize) -> io::Result<Self> {
        rejected_lines.write_all(REJECTED_HEADER.as_bytes())?;
        let mut sink = FileSink::headless(parsed_output, rejected_lines, anon);
        sink.rows.write_record(ROW_HEADER).map_err(csv_error)?;
        Ok(sink)
    }

    /// Writes no header: for rows that are appended to files already started.
    pub fn headless(parsed_output: P, rejected_lines: R, anon: Anonymize) -> Self {
        FileSink {
            rows: csv_writer(parsed_output),
            rejected: rejected_lines,
            anon,
            scratch: Vec::new(),
        }
    }

    /// Flushes both writers and hands them back.
    pub fn into_inner(mut self) -> io::Result<(P, R)> {
        self.flush()?;
        let rows = self
            .rows
            .into_inner()
            .map_err(|e| io::Error::other(e.to_string()))?;
        Ok((rows, self.rejected))
    }

    /// Flushes both files.
    pub fn flush(&mut self) -> io::Result<()> {
        self.rows.flush()?;
        self.rejected.flush()
    }
}

/// First line of `rejected_lines.txt`.
pub const REJECTED_HEADER: &str = "reason\tfile\tline_number\tline\n";

/// One line of `rejected_lines.txt`: tab-separated, the text made printable.
pub fn rejected_line(reason: Reject, file: &str, line_no: u64, text: &[u8]) -> String {
    format!(
        "{}\t{}\t{}\t{}\n",
        reason.name(),
        printable(file.as_bytes()),
        line_no,
        printable(text)
    )
}

impl<P: Write, R: Write> Sink for FileSink<P, R> {
    fn candidate(&mut self, rec: &Record<'_>, _at: At<'_>) -> io::Result<()> {
        write_row(&mut self.rows, rec, &self.anon, &mut self.scratch)
    }

    fn rejected(&mut self, reason: Reject, at: At<'_>, text: &[u8]) -> io::Result<()> {
        let line = rejected_line(reason, at.file, at.line, text);
        self.rejected.write_all(line.as_bytes())
    }
}

/// `parsed_output_filt.csv`: each user's first counted download, earliest first.
pub fn write_filtered<W: Write>(w: W, s: &Summary, anon: &Anonymize) -> io::Result<()> {
    let mut firsts: Vec<_> = s.users.iter().map(|(_, f)| f).collect();
    firsts.sort_by(|a, b| (a.time, &a.line).cmp(&(b.time, &b.line)));
    let mut out = csv_writer(w);
    out.write_record(ROW_HEADER).map_err(io::Error::other)?;
    let mut parser = Parser::new();
    let mut scratch = Vec::new();
    for f in firsts {
        let rec = parser.parse(f.line.as_bytes()).map_err(|r| {
            io::Error::other(format!("a stored line no longer parses ({})", r.name()))
        })?;
        write_row(&mut out, &rec, anon, &mut scratch)?;
    }
    out.flush()
}

/// `downloads_per_week.csv`.
pub fn write_weeks<W: Write>(w: W, weeks: &[WeekRow]) -> io::Result<()> {
    let mut out = csv_writer(w);
    out.write_record([
        "week_start",
        "week_end",
        "downloads",
        "new_unique_users",
        "active_unique_users",
        "bytes_sent",
    ])
    .map_err(io::Error::other)?;
    for r in weeks {
        out.write_record([
            r.week_start.clone(),
            r.week_end.clone(),
            r.downloads.to_string(),
            r.new_unique_users.to_string(),
            r.active_unique_users.to_string(),
            r.bytes_sent.to_string(),
        ])
        .map_err(io::Error::other)?;
    }
    out.flush()
}

/// `top_objects.csv` (first column `key`) or `top_prefixes.csv` (first column `prefix`).
pub fn write_objects<W: Write>(w: W, first_column: &str, rows: &[ObjectRow]) -> io::Result<()> {
    let mut out = csv_writer(w);
    let decoded = format!("{first_column}_decoded");
    out.write_record([
        first_column,
        decoded.as_str(),
        "downloads",
        "unique_users",
        "bytes_sent",
    ])
    .map_err(io::Error::other)?;
    for r in rows {
        out.write_record([
            spreadsheet_safe(&r.key).into_owned(),
            spreadsheet_safe(&r.key_decoded).into_owned(),
            r.downloads.to_string(),
            r.unique_users.to_string(),
            r.bytes_sent.to_string(),
        ])
        .map_err(io::Error::other)?;
    }
    out.flush()
}

/// The outputs made from the summary alone (not by a pass over the lines), by file name.
/// The CLI writes them all; the page offers each as a download. One function for both,
/// so their bytes are the same.
pub const SUMMARY_OUTPUTS: [&str; 5] = [
    "parsed_output_filt.csv",
    "downloads_per_week.csv",
    "top_objects.csv",
    "top_prefixes.csv",
    "summary.json",
];

/// Writes the summary output called `name` (one of [`SUMMARY_OUTPUTS`]).
pub fn write_summary_output<W: Write>(
    name: &str,
    mut w: W,
    summary: &Summary,
    report: &Report,
    settings: &Settings,
    anon: &Anonymize,
) -> io::Result<()> {
    match name {
        "parsed_output_filt.csv" => write_filtered(w, summary, anon),
        "downloads_per_week.csv" => write_weeks(w, &report.weeks),
        "top_objects.csv" => write_objects(w, "key", &report::top_objects(summary)),
        "top_prefixes.csv" => write_objects(
            w,
            "prefix",
            &report::top_prefixes(summary, settings.prefix_segments),
        ),
        "summary.json" => {
            serde_json::to_writer_pretty(&mut w, report).map_err(io::Error::other)?;
            w.flush()
        }
        other => Err(io::Error::other(format!("no output called {other}"))),
    }
}
