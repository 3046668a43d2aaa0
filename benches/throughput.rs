//! Throughput on generated logs: the newline-count floor (memchr over the same bytes), the
//! first pass of a structural-index parser (a bound for any parser), parse-only, and the
//! full analysis, in MB/s on one core; then the full analysis on all
//! cores (byte ranges, as the CLI runs it) and the CLI's whole job (row exports written to
//! a sink) on one thread and on all. Every timed run asserts the counts it computed
//! against what the generator knows it wrote.
//!
//! `cargo bench --bench throughput` (size: S3LOGDROP_BENCH_MB, default 1024; runs:
//! S3LOGDROP_BENCH_RUNS, default 3, the best is reported). `S3LOGDROP_BENCH_ONLY=counter`:
//! the full analysis with COUNTER off and on, from memory, and what COUNTER remembered;
//! `memory` (`file`): the full analysis from memory (the file) only; `pool`: on all cores only; `report`: the
//! report and the merge of two halves only.

use s3logdrop::gen::{GenConfig, Generator, Truth};
use s3logdrop::line::{LineBuffer, LineEvent};
use s3logdrop::parse::{is_blank, Parser};
use s3logdrop::session::Session;
use s3logdrop::settings::Settings;
use std::hint::black_box;
use std::time::Instant;

const CHUNK: usize = 256 * 1024;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn best<T>(runs: usize, mut f: impl FnMut() -> T, check: impl Fn(&T)) -> f64 {
    let mut best = f64::INFINITY;
    for _ in 0..runs {
        let t = Instant::now();
        let out = black_box(f());
        let secs = t.elapsed().as_secs_f64();
        check(&out);
        best = best.min(secs);
    }
    best
}

/// Something that hands out the input in chunks: from memory, or read from the file.
type Feed<'a> = &'a dyn Fn(&mut dyn FnMut(&[u8]));

fn newline_floor(feed: Feed<'_>) -> u64 {
    let mut n = 0u64;
    feed(&mut |c| n += memchr::memchr_iter(b'\n', c).count() as u64);
    n
}

fn parse_only(feed: Feed<'_>) -> (u64, u64, u64) {
    let mut lines = LineBuffer::default();
    let mut parser = Parser::new();
    let mut out = (0, 0, 0);
    let mut on = |e: LineEvent<'_>| count(&mut parser, e, &mut out);
    feed(&mut |c| lines.push(c, &mut on));
    lines.finish(&mut on);
    out
}

/// The first pass of a structural-index parser (simdjson's first stage, for this format):
/// the lines split as the engine splits them, and for each line a bitmap of its spaces and
/// one of its quotes, 64 bytes a step. Nothing is parsed or counted: a bound on what any
/// parser that looks at every byte of a line can reach before it checks a single field.
/// Returns (lines, spaces + quotes).
fn marks(feed: Feed<'_>) -> (u64, u64) {
    let mut lines = LineBuffer::default();
    let (mut space, mut quote) = (Vec::new(), Vec::new());
    let mut out = (0, 0);
    let mut on = |e: LineEvent<'_>| {
        out.0 += 1;
        if let LineEvent::Line(l) = e {
            line_marks(l, &mut space, &mut quote);
            out.1 += space
                .iter()
                .chain(&quote)
                .map(|w| w.count_ones() as u64)
                .sum::<u64>();
        }
    };
    feed(&mut |c| lines.push(c, &mut on));
    lines.finish(&mut on);
    out
}

/// Bit `k % 64` of word `k / 64` is set when byte `k` of the line is a space (a quote).
fn line_marks(line: &[u8], space: &mut Vec<u64>, quote: &mut Vec<u64>) {
    space.clear();
    quote.clear();
    let mut i = 0;
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 was detected just above.
        i = unsafe { line_marks_avx2(line, space, quote) };
    }
    for block in line[i..].chunks(64) {
        let (mut s, mut q) = (0u64, 0u64);
        for (k, &c) in block.iter().enumerate() {
            s |= ((c == b' ') as u64) << k;
            q |= ((c == b'"') as u64) << k;
        }
        space.push(s);
        quote.push(q);
    }
}

/// [`line_marks`] with AVX2; returns how many bytes it did (all).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn line_marks_avx2(line: &[u8], space: &mut Vec<u64>, quote: &mut Vec<u64>) -> usize {
    use std::arch::x86_64::*;
    let (sp, qu) = (_mm256_set1_epi8(b' ' as i8), _mm256_set1_epi8(b'"' as i8));
    let mut i = 0;
    let mut last = [0u8; 64];
    while i < line.len() {
        // The last block, padded with zeros, from a copy.
        let block = if i + 64 <= line.len() {
            &line[i..i + 64]
        } else {
            last[..line.len() - i].copy_from_slice(&line[i..]);
            &last[..]
        };
        // SAFETY: `block` has 64 bytes: both loads are inside it (no alignment needed).
        let (a, b) = unsafe {
            (
                _mm256_loadu_si256(block.as_ptr().cast()),
                _mm256_loadu_si256(block.as_ptr().add(32).cast()),
            )
        };
        space.push(
            (_mm256_movemask_epi8(_mm256_cmpeq_epi8(a, sp)) as u32 as u64)
                | (_mm256_movemask_epi8(_mm256_cmpeq_epi8(b, sp)) as u32 as u64) << 32,
        );
        quote.push(
            (_mm256_movemask_epi8(_mm256_cmpeq_epi8(a, qu)) as u32 as u64)
                | (_mm256_movemask_epi8(_mm256_cmpeq_epi8(b, qu)) as u32 as u64) << 32,
        );
        i += 64;
    }
    line.len()
}

fn full(feed: Feed<'_>) -> s3logdrop::Summary {
    full_with(feed, &Settings::default())
}

/// The full analysis with these settings.
fn full_with(feed: Feed<'_>, settings: &Settings) -> s3logdrop::Summary {
    let mut s = Session::new(settings).unwrap();
    s.begin_file("bench.log");
    feed(&mut |c| s.push(c).expect("no sink to fail"));
    s.finish().expect("no sink to fail").0
}

/// Reads the file in CHUNK-sized reads, as the CLI does, handing each chunk to `f`.
fn read_chunks(path: &std::path::Path, f: &mut dyn FnMut(&[u8])) {
    use std::io::Read;
    let mut file = std::fs::File::open(path).unwrap();
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = file.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        f(&buf[..n]);
    }
}

fn main() {
    // `cargo test --benches` runs this without --bench: keep that quick.
    let quick = !std::env::args().any(|a| a == "--bench");
    let mb = if quick {
        8
    } else {
        env("S3LOGDROP_BENCH_MB", 1024)
    };
    let runs = if quick {
        1
    } else {
        env("S3LOGDROP_BENCH_RUNS", 3)
    };
    let only = std::env::var("S3LOGDROP_BENCH_ONLY").unwrap_or_default();
    let t = Instant::now();
    let mut g = Generator::new(GenConfig {
        seed: 42,
        ..GenConfig::default()
    });
    let mut data = Vec::with_capacity(mb << 20 | 4096);
    g.fill(&mut data, mb << 20);
    let truth: Truth = g.truth.clone();
    let size = data.len() as f64;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("generated-{mb}MB.log"));
    if std::fs::metadata(&path).map(|m| m.len()).ok() != Some(data.len() as u64) {
        std::fs::write(&path, &data).unwrap();
    }
    println!(
        "generated {:.1} MB, {} lines ({} blank, {} to reject, {} downloads) in {:.1} s -> {}",
        size / 1e6,
        truth.lines,
        truth.blank,
        truth.rejected,
        truth.downloads,
        t.elapsed().as_secs_f64(),
        path.display()
    );
    let check_full = |s: &s3logdrop::Summary| {
        assert_eq!(
            (s.read.lines, s.read.rejected, s.read.blank),
            (truth.lines, truth.rejected, truth.blank)
        );
        assert_eq!(s.downloads, truth.downloads);
    };
    let from_memory = |f: &mut dyn FnMut(&[u8])| data.chunks(CHUNK).for_each(&mut *f);
    let from_file = |f: &mut dyn FnMut(&[u8])| read_chunks(&path, f);
    if only == "full" {
        // For profilers: the full analysis from the file, nothing else.
        check_full(&full(&from_file));
        return;
    }
    let counter_on = Settings {
        counter: true,
        ..Settings::default()
    };
    if only == "counter" {
        // COUNTER off and on, from memory, best of the runs; what COUNTER remembered.
        let off = best(runs, || full(&from_memory), check_full);
        let on = best(runs, || full_with(&from_memory, &counter_on), check_full);
        let s = full_with(&from_memory, &counter_on);
        let c = s.counter.as_ref().expect("COUNTER was on");
        println!(
            "memory: full analysis {:.0} MB/s; with COUNTER {:.0} MB/s ({} actions, {} robots; {} sessions, {} (session, object) entries, {} with more than one chain)",
            size / off / 1e6,
            size / on / 1e6,
            c.actions,
            c.robots,
            c.sessions(),
            c.size().0,
            c.size().1
        );
        return;
    }
    if only == "memory" || only == "file" {
        // For quick comparisons: the full analysis from memory (or the file), best of the
        // runs.
        let feed: Feed<'_> = if only == "file" {
            &from_file
        } else {
            &from_memory
        };
        let secs = best(runs, || full(feed), check_full);
        println!("{only}: full analysis {:.0} MB/s", size / secs / 1e6);
        return;
    }
    // All cores, as the CLI runs by default: the file cut into byte ranges, one session a
    // thread, the parts merged; then the CLI's whole job (row exports written, to a sink).
    let jobs = s3logdrop::pool::default_jobs();
    let input = [s3logdrop::pool::Input::file(
        path.clone(),
        "bench.log".into(),
    )];
    let settings = Settings::default();
    let pooled = |jobs: usize, exports: bool| {
        let opts = s3logdrop::pool::PoolOptions {
            exports,
            ..s3logdrop::pool::PoolOptions::new(jobs, &dir)
        };
        let (mut rows, mut rejected) = (std::io::sink(), std::io::sink());
        if jobs == 1 {
            let sink = s3logdrop::outputs::FileSink::new(rows, rejected, Default::default());
            let mut session = Session::with_sink(&settings, sink.unwrap()).unwrap();
            s3logdrop::pool::run_serial(&mut session, &input, CHUNK).unwrap();
            session.finish().unwrap().0
        } else {
            s3logdrop::pool::run_parallel(
                &input,
                &settings,
                &Default::default(),
                &opts,
                &mut rows,
                &mut rejected,
            )
            .unwrap()
        }
    };
    if only == "pool" {
        // For quick comparisons: the full analysis on all cores, best of the runs.
        let secs = best(runs, || pooled(jobs, false), check_full);
        println!(
            "file: full analysis, {jobs} threads {:.0} MB/s",
            size / secs / 1e6
        );
        return;
    }
    // The report of the analysis (every period, every dataset, countries, networks): what
    // the CLI and the page do once at the end, in seconds, not MB/s (the address tables
    // unpacked before: best of the runs).
    let mut summary = full(&from_file);
    summary.normalize();
    let report_secs = best(
        runs,
        || s3logdrop::Report::new(&summary),
        |r| assert_eq!(r.downloads, truth.downloads),
    );
    println!(
        "the report of it ({} datasets, {} days, {} users): {:.3} s",
        summary.datasets.len(),
        s3logdrop::report::all_days(&summary).len(),
        summary.users.len(),
        report_secs
    );
    // What the page's thread does with two workers' summaries: read them from their
    // bytes and merge them (each worker read half of the file).
    let half = data.len() / 2;
    let cut = half + data[half..].iter().position(|&b| b == b'\n').unwrap_or(0) + 1;
    let halves: Vec<Vec<u8>> = [&data[..cut], &data[cut..]]
        .iter()
        .map(|part| {
            let feed = |f: &mut dyn FnMut(&[u8])| part.chunks(CHUNK).for_each(&mut *f);
            full(&feed).to_bytes()
        })
        .collect();
    let merge_secs = best(
        runs,
        || {
            let mut s = s3logdrop::Summary::default();
            for h in &halves {
                s.merge(s3logdrop::Summary::from_bytes(h).unwrap(), 5);
            }
            s.normalize();
            s
        },
        |s| assert_eq!(s.downloads, truth.downloads),
    );
    println!(
        "two halves' summaries ({:.1} + {:.1} MB) read and merged: {:.3} s",
        halves[0].len() as f64 / 1e6,
        halves[1].len() as f64 / 1e6,
        merge_secs
    );
    if only == "report" {
        return;
    }
    let check_parse = |&(p, r, b): &(u64, u64, u64)| {
        assert_eq!(
            (p + r + b, r, b),
            (truth.lines, truth.rejected, truth.blank)
        )
    };
    let mut rows = Vec::new();
    // "file": from the page cache in 256 KiB reads, as the CLI reads; "memory": no read() copy.
    let _warm = newline_floor(&from_file);
    for (source, feed) in [("file", &from_file as Feed<'_>), ("memory", &from_memory)] {
        rows.push((
            format!("{source}: newline count floor"),
            best(
                runs,
                || newline_floor(feed),
                |&n| assert_eq!(n, truth.lines),
            ),
        ));
        rows.push((
            format!("{source}: lines + space/quote bitmaps"),
            best(runs, || marks(feed), |&(n, _)| assert_eq!(n, truth.lines)),
        ));
        rows.push((
            format!("{source}: parse only"),
            best(runs, || parse_only(feed), check_parse),
        ));
        rows.push((
            format!("{source}: full analysis"),
            best(runs, || full(feed), check_full),
        ));
        rows.push((
            format!("{source}: full analysis, COUNTER on"),
            best(runs, || full_with(feed, &counter_on), check_full),
        ));
    }
    if jobs > 1 {
        rows.push((
            format!("file: full analysis, {jobs} threads"),
            best(runs, || pooled(jobs, false), check_full),
        ));
    }
    rows.push((
        "file: + row exports, 1 thread".into(),
        best(runs, || pooled(1, true), check_full),
    ));
    if jobs > 1 {
        rows.push((
            format!("file: + row exports, {jobs} threads"),
            best(runs, || pooled(jobs, true), check_full),
        ));
    }
    let floor = rows[0].1;
    let mbs = |secs: f64| size / secs / 1e6;
    println!(
        "{:<36} {:>9} {:>12} {:>14}",
        "best of runs (one core unless said)", "MB/s", "lines/s", "of file floor"
    );
    for (name, secs) in rows {
        println!(
            "{:<36} {:>9.0} {:>12.0} {:>13.0}%",
            name,
            mbs(secs),
            truth.lines as f64 / secs,
            100.0 * floor / secs
        );
    }
}

fn count(parser: &mut Parser, e: LineEvent<'_>, out: &mut (u64, u64, u64)) {
    match e {
        LineEvent::Line(l) if is_blank(l) => out.2 += 1,
        LineEvent::Line(l) => match parser.parse(l) {
            Ok(r) => {
                black_box(&r);
                out.0 += 1
            }
            Err(_) => out.1 += 1,
        },
        LineEvent::TooLong { .. } => out.1 += 1,
    }
}
