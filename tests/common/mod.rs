//! Helpers shared by the integration tests.
#![allow(dead_code)]

use s3logdrop::gen::{GenConfig, Generator};
use s3logdrop::parse::{Record, Reject, FIELD_NAMES};
use s3logdrop::session::{At, Session, Sink};
use s3logdrop::settings::Settings;
use s3logdrop::summary::Summary;
use std::path::{Path, PathBuf};

/// A parsed line with owned field values (None for `-`) and its typed values.
#[derive(Clone, Debug, PartialEq)]
pub struct ParsedLine {
    pub fields: Vec<Option<String>>,
    pub time: i64,
    pub status: Option<u16>,
    pub bytes_sent: Option<u64>,
    pub object_size: Option<u64>,
    pub total_time: Option<u64>,
    pub turn_around_time: Option<u64>,
}

/// What happened to one line.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Parsed(ParsedLine),
    Rejected(Reject),
    Blank,
}

/// Records every line outcome, keyed by (file, line).
#[derive(Default)]
pub struct Recorder {
    pub lines: Vec<(String, u64, Outcome)>,
    pub candidates: Vec<(String, u64)>,
}

impl Sink for Recorder {
    fn parsed(&mut self, rec: &Record<'_>, at: At<'_>) -> std::io::Result<()> {
        let fields = (0..FIELD_NAMES.len())
            .map(|i| {
                rec.field(i)
                    .map(|b| String::from_utf8_lossy(b).into_owned())
            })
            .collect();
        self.lines.push((
            at.file.to_string(),
            at.line,
            Outcome::Parsed(ParsedLine {
                fields,
                time: rec.time,
                status: rec.http_status,
                bytes_sent: rec.bytes_sent,
                object_size: rec.object_size,
                total_time: rec.total_time,
                turn_around_time: rec.turn_around_time,
            }),
        ));
        Ok(())
    }
    fn blank(&mut self, at: At<'_>) -> std::io::Result<()> {
        self.lines
            .push((at.file.to_string(), at.line, Outcome::Blank));
        Ok(())
    }
    fn candidate(&mut self, _rec: &Record<'_>, at: At<'_>) -> std::io::Result<()> {
        self.candidates.push((at.file.to_string(), at.line));
        Ok(())
    }
    fn rejected(&mut self, reason: Reject, at: At<'_>, _text: &[u8]) -> std::io::Result<()> {
        self.lines
            .push((at.file.to_string(), at.line, Outcome::Rejected(reason)));
        Ok(())
    }
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The corpus log files, sorted.
pub fn corpus_logs() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("fixtures/corpus"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    v.sort();
    assert_eq!(v.len(), 14, "the corpus has 14 log files");
    v
}

pub fn name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

/// Runs files through one session, each split into chunks of `chunk` bytes.
pub fn run_files(
    settings: &Settings,
    files: &[(String, Vec<u8>)],
    chunk: usize,
) -> (Summary, Recorder) {
    let mut s = Session::with_sink(settings, Recorder::default()).unwrap();
    for (name, bytes) in files {
        s.begin_file(name);
        for c in bytes.chunks(chunk.max(1)) {
            s.push(c).unwrap();
        }
        if bytes.is_empty() {
            s.push(&[]).unwrap();
        }
        s.end_file().unwrap();
    }
    s.finish().unwrap()
}

/// Runs one file fed as `bytes[..split]` then `bytes[split..]`.
pub fn run_split(
    settings: &Settings,
    name: &str,
    bytes: &[u8],
    split: usize,
) -> (Summary, Recorder) {
    let mut s = Session::with_sink(settings, Recorder::default()).unwrap();
    s.begin_file(name);
    s.push(&bytes[..split]).unwrap();
    s.push(&bytes[split..]).unwrap();
    s.end_file().unwrap();
    s.finish().unwrap()
}

pub fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap()
}

/// Generated logs in `files` files of `lines` lines (`gap`: mean seconds between lines),
/// named `logs/0000`…, with nasty lines among them.
pub fn generated_logs(seed: u64, files: usize, lines: usize, gap: u32) -> Vec<(String, Vec<u8>)> {
    let mut g = Generator::new(GenConfig {
        seed,
        nasty_per_mille: 30,
        clients: 150,
        objects: 120,
        mean_gap: gap,
        ..GenConfig::default()
    });
    (0..files)
        .map(|i| {
            let mut buf = Vec::new();
            for _ in 0..lines {
                g.write_line(&mut buf);
            }
            (format!("logs/{i:04}"), buf)
        })
        .collect()
}
