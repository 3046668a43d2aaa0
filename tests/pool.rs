//! The CLI's threads: whatever the number of threads, the range size and where the row
//! exports are kept, the summary and every byte of `parsed_output.csv` and
//! `rejected_lines.txt` equal those of one session reading the files in order.

mod common;
use common::root;
use s3logdrop::gen::{GenConfig, Generator};
use s3logdrop::outputs::{self, Anonymize, FileSink};
use s3logdrop::pool::{run_parallel, run_serial, Input, PoolOptions};
use s3logdrop::settings::Settings;
use s3logdrop::summary::FileNoteKind;
use s3logdrop::{Session, Summary};
use std::path::{Path, PathBuf};

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("s3logdrop-pool-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn generated(config: GenConfig, bytes: usize) -> Vec<u8> {
    let mut g = Generator::new(config);
    let mut v = Vec::new();
    g.fill(&mut v, bytes);
    v
}

/// A delivery with what the pool must get right: big plain files with nasty lines (cut
/// into many ranges), CRLF, a line longer than the cap spanning many ranges, no final
/// newline, a big file that starts binary (never cut), gzip, the corpus, bad files.
/// The test inputs, written into their own folder `name` (tests run at the same time).
fn inputs(name: &str) -> Vec<Input> {
    let d = tmp(name);
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let nasty = GenConfig {
        seed: 7,
        nasty_per_mille: 80,
        ..GenConfig::default()
    };
    files.push(("a_nasty.log".into(), generated(nasty.clone(), 400_000)));
    files.push((
        "b_crlf.log".into(),
        generated(
            GenConfig {
                seed: 8,
                crlf: true,
                nasty_per_mille: 40,
                ..GenConfig::default()
            },
            200_000,
        ),
    ));
    let mut long = generated(
        GenConfig {
            seed: 9,
            ..nasty.clone()
        },
        100_000,
    );
    long.extend(std::iter::repeat_n(b'x', (1 << 20) + 5000));
    long.push(b'\n');
    long.extend(generated(
        GenConfig {
            seed: 10,
            ..nasty.clone()
        },
        100_000,
    ));
    // No final newline.
    while long.last() == Some(&b'\n') {
        long.pop();
    }
    files.push(("c_long_line.log".into(), long));
    let mut binary = std::fs::read(root().join("fixtures/own/image.png")).unwrap();
    binary.extend(generated(GenConfig { seed: 11, ..nasty }, 100_000));
    files.push(("d_binary_head.log".into(), binary));
    for f in [
        "edge_cases.log",
        "edge_cases.multi.gz",
        "empty.log",
        "not_a_log.csv",
    ] {
        files.push((
            format!("e_{f}"),
            std::fs::read(root().join("fixtures/own").join(f)).unwrap(),
        ));
    }
    for entry in std::fs::read_dir(root().join("fixtures/corpus")).unwrap() {
        let p = entry.unwrap().path();
        if p.is_file() {
            let name = format!("f_{}", p.file_name().unwrap().to_string_lossy());
            files.push((name, std::fs::read(&p).unwrap()));
        }
    }
    files.sort();
    files
        .into_iter()
        .map(|(name, bytes)| {
            let path = d.join(&name);
            std::fs::write(&path, bytes).unwrap();
            Input::file(path, name)
        })
        .collect()
}

/// (summary, parsed_output.csv, rejected_lines.txt) of one session.
fn serial(inputs: &[Input], settings: &Settings) -> (Summary, Vec<u8>, Vec<u8>) {
    let sink = FileSink::new(Vec::new(), Vec::new(), Anonymize::None).unwrap();
    let mut session = Session::with_sink(settings, sink).unwrap();
    run_serial(&mut session, inputs, 4096).unwrap();
    let (summary, sink) = session.finish().unwrap();
    let (rows, rejected) = sink.into_inner().unwrap();
    (summary, rows, rejected)
}

fn parallel(
    inputs: &[Input],
    settings: &Settings,
    opts: &PoolOptions,
) -> (Summary, Vec<u8>, Vec<u8>) {
    let (mut rows, mut rejected) = (Vec::new(), Vec::new());
    let s = run_parallel(
        inputs,
        settings,
        &Anonymize::None,
        opts,
        &mut rows,
        &mut rejected,
    )
    .unwrap();
    (s, rows, rejected)
}

#[test]
fn threads_ranges_and_spilling_change_nothing() {
    let inputs = inputs("in");
    let spill = tmp("spill");
    let settings = Settings::default();
    let (want, want_rows, want_rejected) = serial(&inputs, &settings);
    // The inputs exercise what they should.
    eprintln!(
        "{} rejected, {} downloads",
        want.read.rejected, want.downloads
    );
    assert!(want.read.rejected > 100, "{}", want.read.rejected);
    assert!(want.downloads > 300, "{}", want.downloads);
    assert!(want
        .file_notes
        .iter()
        .any(|n| n.kind == FileNoteKind::Binary));
    let too_long = want.rejects.keys().any(|r| r.name() == "line_too_long");
    assert!(too_long);
    for (jobs, range_bytes, spill_bytes) in [
        (2, 4096, 1000),
        (3, 997, 8 << 20),
        (5, 65_536, 0),
        (2, 32 << 20, 8 << 20),
    ] {
        let opts = PoolOptions {
            chunk_size: 1000,
            range_bytes,
            spill_bytes,
            ..PoolOptions::new(jobs, &spill)
        };
        let (got, rows, rejected) = parallel(&inputs, &settings, &opts);
        let what = format!("{jobs} threads, ranges of {range_bytes}, spill past {spill_bytes}");
        assert_eq!(got, want, "{what}");
        assert_eq!(got.rejects, want.rejects, "{what}");
        assert_eq!(got.file_notes, want.file_notes, "{what}");
        assert!(rows == want_rows, "{what}: parsed_output.csv differs");
        assert!(
            rejected == want_rejected,
            "{what}: rejected_lines.txt differs"
        );
    }
    // Without row exports (as the benchmark runs it): the same summary, no rows.
    let opts = PoolOptions {
        range_bytes: 4096,
        exports: false,
        ..PoolOptions::new(2, &spill)
    };
    let (got, rows, rejected) = parallel(&inputs, &settings, &opts);
    assert_eq!(got, want);
    assert_eq!(String::from_utf8(rows).unwrap().lines().count(), 1);
    assert_eq!(rejected, outputs::REJECTED_HEADER.as_bytes());
    // Nothing left behind in the spill folder.
    assert_eq!(std::fs::read_dir(&spill).unwrap().count(), 0);
}

#[test]
fn a_missing_file_is_noted_the_same_way() {
    let d = tmp("missing");
    let mut inputs = Vec::new();
    for i in 0..5 {
        let path = d.join(format!("{i}.log"));
        if i != 2 {
            std::fs::write(
                &path,
                generated(
                    GenConfig {
                        seed: i,
                        ..GenConfig::default()
                    },
                    50_000,
                ),
            )
            .unwrap();
        }
        inputs.push(Input::file(path, format!("{i}.log")));
    }
    let settings = Settings::default();
    let want = serial(&inputs, &settings);
    let got = parallel(
        &inputs,
        &settings,
        &PoolOptions {
            range_bytes: 8192,
            ..PoolOptions::new(3, Path::new(&d))
        },
    );
    assert_eq!(got.0, want.0);
    assert_eq!((got.1, got.2), (want.1, want.2));
    assert!(want
        .0
        .file_notes
        .iter()
        .any(|n| n.file == "2.log" && n.kind == FileNoteKind::ReadError));
}

/// A writer that takes `room` bytes and then fails as a full disk does.
struct FullDisk {
    room: usize,
}

impl std::io::Write for FullDisk {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        if self.room == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::StorageFull,
                "no space left on device",
            ));
        }
        let n = b.len().min(self.room);
        self.room -= n;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_full_disk_stops_the_analysis_with_its_error() {
    let inputs = inputs("in-full");
    let settings = Settings::default();
    let (want, _, _) = serial(&inputs, &settings);
    // One session: the first failed write stops it; nothing more is read.
    let sink = FileSink::new(
        FullDisk { room: 10_000 },
        FullDisk { room: usize::MAX },
        Anonymize::None,
    )
    .unwrap();
    let mut session = Session::with_sink(&settings, sink).unwrap();
    let err = run_serial(&mut session, &inputs, 4096).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::StorageFull);
    assert!(
        session.summary().read.lines < want.read.lines / 2,
        "reading went on"
    );
    assert!(session.push(b"more").is_err(), "the session stays stopped");
    assert!(session.finish().is_err());
    // Threads: the error comes back instead of a summary.
    let mut opts = PoolOptions::new(3, &tmp("full"));
    opts.range_bytes = 997;
    let err = run_parallel(
        &inputs,
        &settings,
        &Anonymize::None,
        &opts,
        &mut FullDisk { room: 10_000 },
        &mut Vec::new(),
    )
    .unwrap_err();
    assert!(err.contains("no space left"), "{err}");
}
