//! `s3logdrop parse`: every line's outcome and fields, in input order.

use super::args::Format;
use super::walk::collect;
use s3logdrop::bots::BotRule;
use s3logdrop::outputs;
use s3logdrop::parse::{f, Record, Reject, FIELD_NAMES};
use s3logdrop::pool;
use s3logdrop::session::{At, Session, Sink};
use s3logdrop::settings::Settings;
use s3logdrop::text::{lossy, spreadsheet_safe};
use s3logdrop::time::rfc3339;
use serde_json::{json, Map, Value};
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

/// Writes one line's outcome per input line.
struct LineWriter<W: Write> {
    out: W,
    csv: Option<csv::Writer<W>>,
}

fn fields_json(rec: &Record<'_>) -> Value {
    let mut m = Map::new();
    for (i, name) in FIELD_NAMES.iter().enumerate() {
        let v = match i {
            f::TIME => json!(rfc3339(rec.time)),
            f::HTTP_STATUS => json!(rec.http_status),
            f::BYTES_SENT => json!(rec.bytes_sent),
            f::OBJECT_SIZE => json!(rec.object_size),
            f::TOTAL_TIME => json!(rec.total_time),
            f::TURN_AROUND_TIME => json!(rec.turn_around_time),
            _ => rec
                .field(i)
                .map_or(Value::Null, |b| Value::String(lossy(b).into_owned())),
        };
        m.insert(name.to_string(), v);
    }
    Value::Object(m)
}

impl<W: Write> LineWriter<W> {
    fn emit(
        &mut self,
        At { file, line }: At<'_>,
        outcome: &str,
        reason: Option<Reject>,
        rec: Option<&Record<'_>>,
    ) -> io::Result<()> {
        if let Some(csv) = self.csv.as_mut() {
            let mut row = vec![
                spreadsheet_safe(file).into_owned(),
                line.to_string(),
                outcome.to_string(),
                reason.map_or(String::new(), |r| r.name().to_string()),
            ];
            for i in 0..FIELD_NAMES.len() {
                row.push(match (rec, i) {
                    (None, _) => String::new(),
                    (Some(r), f::TIME) => rfc3339(r.time),
                    (Some(r), _) => r
                        .field(i)
                        .map_or(String::new(), |b| spreadsheet_safe(&lossy(b)).into_owned()),
                });
            }
            csv.write_record(&row).map_err(io::Error::other)
        } else {
            let mut v = json!({"file": file, "line": line, "outcome": outcome});
            if let Some(r) = reason {
                v["reason"] = json!(r.name());
            }
            if let Some(rec) = rec {
                v["fields"] = fields_json(rec);
            }
            serde_json::to_writer(&mut self.out, &v)
                .map_err(io::Error::other)
                .and_then(|_| self.out.write_all(b"\n"))
        }
    }
}

impl<W: Write> Sink for LineWriter<W> {
    fn parsed(&mut self, rec: &Record<'_>, at: At<'_>) -> io::Result<()> {
        self.emit(at, "parsed", None, Some(rec))
    }
    fn blank(&mut self, at: At<'_>) -> io::Result<()> {
        self.emit(at, "blank", None, None)
    }
    fn rejected(&mut self, reason: Reject, at: At<'_>, _text: &[u8]) -> io::Result<()> {
        self.emit(at, "rejected", Some(reason), None)
    }
}

pub fn parse_cmd(paths: &[PathBuf], format: Format) -> Result<(), String> {
    let stdout = io::stdout().lock();
    let (out, csv) = match format {
        Format::Jsonl => (BufWriter::new(stdout), None),
        Format::Csv => {
            let mut w = outputs::csv_writer(BufWriter::new(io::stdout().lock()));
            let mut header = vec!["file", "line", "outcome", "reason"];
            header.extend(FIELD_NAMES);
            w.write_record(&header).map_err(|e| e.to_string())?;
            (BufWriter::new(stdout), Some(w))
        }
    };
    let sink = LineWriter { out, csv };
    let settings = Settings {
        bots: BotRule::Off,
        ..Settings::default()
    };
    let mut session = Session::with_sink(&settings, sink)?;
    let (inputs, errors) = collect(paths, None);
    // A closed pipe or a full disk stops the command with the error.
    pool::run_serial(&mut session, &inputs, 256 * 1024).map_err(|e| e.to_string())?;
    let (summary, mut sink) = session.finish().map_err(|e| e.to_string())?;
    if let Some(c) = sink.csv.as_mut() {
        c.flush().map_err(|e| e.to_string())?;
    }
    sink.out.flush().map_err(|e| e.to_string())?;
    for n in &summary.file_notes {
        eprintln!("note: {}: {} ({})", n.file, n.message, n.kind);
    }
    for (file, e) in errors {
        eprintln!("note: {file}: could not be read: {e}");
    }
    Ok(())
}
