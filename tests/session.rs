//! The session: results never depend on how the bytes arrive (every split point, 1-byte
//! chunks), on file order, or on how the input is divided between sessions (merge); bad
//! input gets a clear note and loses nothing else.

mod common;
use common::*;
use s3logdrop::gen::{GenConfig, Generator};
use s3logdrop::parse::Reject;
use s3logdrop::report::Report;
use s3logdrop::session::Session;
use s3logdrop::settings::Settings;
use s3logdrop::summary::{FileNoteKind, PartOfFile, Parts, Summary};
use std::io::Write;

fn own(name: &str) -> Vec<u8> {
    read(&root().join("fixtures/own").join(name))
}

fn all_fixtures() -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = corpus_logs().iter().map(|p| (name(p), read(p))).collect();
    for n in [
        "edge_cases.log",
        "edge_cases.multi.gz",
        "image.png",
        "empty.log",
        "not_a_log.csv",
    ] {
        v.push((n.to_string(), own(n)));
    }
    v
}

#[test]
fn every_split_point_and_one_byte_chunks_give_the_same_result() {
    let settings = Settings::default();
    for (name, bytes) in all_fixtures() {
        let (want_sum, want_rec) =
            run_files(&settings, &[(name.clone(), bytes.clone())], usize::MAX);
        for split in 0..=bytes.len() {
            let (sum, rec) = run_split(&settings, &name, &bytes, split);
            assert_eq!(rec.lines, want_rec.lines, "{name} split at {split}");
            assert_eq!(sum, want_sum, "{name} split at {split}");
        }
        let (sum, rec) = run_files(&settings, &[(name.clone(), bytes.clone())], 1);
        assert_eq!(rec.lines, want_rec.lines, "{name} in 1-byte chunks");
        assert_eq!(sum, want_sum, "{name} in 1-byte chunks");
    }
}

#[test]
fn edge_cases_fixture() {
    let (s, rec) = run_files(
        &Settings::default(),
        &[("edge_cases.log".into(), own("edge_cases.log"))],
        1 << 16,
    );
    assert_eq!(
        (s.read.lines, s.read.parsed, s.read.rejected, s.read.blank),
        (17, 13, 2, 2)
    );
    assert_eq!(s.rejects[&Reject::BadTime].count, 1);
    assert_eq!(s.rejects[&Reject::BadRemoteIp].count, 1);
    // Candidates: lines 1-9 and 15 (REST.GET.OBJECT 200); the 206 and 304 are not.
    assert_eq!(
        rec.candidates.iter().map(|c| c.1).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 15]
    );
    // Googlebot is the only bot; boto3 counts.
    assert_eq!(s.removed.bot, 1);
    assert_eq!(s.downloads, 9);
    // 2001:db8::1 written two ways is one user.
    assert_eq!(s.users.len(), 8);
    let w = Report::new(&s).weeks;
    // The +0200 Monday 01:30 line is Sunday 23:30 UTC: it belongs to the week of Feb 5.
    assert_eq!(w[0].week_start, "2024-02-05");
    assert_eq!(w[0].week_end, "2024-02-11");
    assert_eq!(
        (
            w[0].downloads,
            w[0].new_unique_users,
            w[0].active_unique_users
        ),
        (5, 4, 4)
    );
    assert_eq!(w[1].week_start, "2024-02-12");
    assert_eq!((w[1].downloads, w[1].new_unique_users), (4, 4));
    // 206 included: one more candidate and one more download.
    let with206 = Settings {
        include_206: true,
        ..Settings::default()
    };
    let (s2, _) = run_files(&with206, &[("e".into(), own("edge_cases.log"))], 1 << 16);
    assert_eq!(s2.downloads, 10);
    // The lab's rule drops the boto3 user too.
    let lab = Settings {
        bots: s3logdrop::bots::BotRule::Lab,
        ..Settings::default()
    };
    let (s3, _) = run_files(&lab, &[("e".into(), own("edge_cases.log"))], 1 << 16);
    assert_eq!(s3.removed.bot, 2);
    // Excluding 192.0.2.0/28 and an IPv6 range.
    let ex = Settings {
        exclude_ips: vec!["192.0.2.0/28".into(), "2001:db8::/32".into()],
        ..Settings::default()
    };
    let (s4, _) = run_files(&ex, &[("e".into(), own("edge_cases.log"))], 1 << 16);
    assert_eq!(s4.removed.excluded_ip, 8);
    assert_eq!(s4.downloads, 1);
}

#[test]
fn gzip_multi_member_equals_plain() {
    let (plain, _) = run_files(
        &Settings::default(),
        &[("x".into(), own("edge_cases.log"))],
        1 << 16,
    );
    let (gz, _) = run_files(
        &Settings::default(),
        &[("x".into(), own("edge_cases.multi.gz"))],
        7,
    );
    assert_eq!(gz.read.lines, plain.read.lines);
    assert_eq!(gz.downloads, plain.downloads);
    assert_eq!(Report::new(&gz).weeks, Report::new(&plain).weeks);
    assert!(gz.file_notes.is_empty(), "{:?}", gz.file_notes);
}

#[test]
fn bad_input_is_explained_and_loses_nothing_else() {
    let good = own("edge_cases.log");
    let gz = own("edge_cases.multi.gz");
    let truncated_gz = gz[..gz.len() - 30].to_vec();
    let mut long = good.clone();
    long.extend(std::iter::repeat_n(b'x', 2 << 20));
    long.extend_from_slice(b"\n");
    long.extend_from_slice(&good);
    let mut zip = b"PK\x03\x04".to_vec();
    zip.extend_from_slice(&[0u8; 100]);
    let inputs = vec![
        ("a_good.log".to_string(), good.clone()),
        ("b_image.png".to_string(), own("image.png")),
        ("c_empty.log".to_string(), Vec::new()),
        ("d_not_a_log.csv".to_string(), own("not_a_log.csv")),
        ("e_truncated.gz".to_string(), truncated_gz),
        ("f_long_line.log".to_string(), long),
        ("g_archive.zip".to_string(), zip),
    ];
    let (s, _) = run_files(&Settings::default(), &inputs, 4096);
    let notes: Vec<(&str, &str)> = s
        .file_notes
        .iter()
        .map(|n| (n.file.as_str(), n.kind.name()))
        .collect();
    assert_eq!(
        notes,
        [
            ("b_image.png", "binary"),
            ("c_empty.log", "empty"),
            ("d_not_a_log.csv", "no_log_lines"),
            ("e_truncated.gz", "gzip_truncated"),
            ("g_archive.zip", "zip"),
        ]
    );
    // The good file and the long-line file are analysed in full: 3 copies of edge_cases
    // minus what the truncated gzip lost.
    let (one, _) = run_files(&Settings::default(), &[("x".into(), good)], 4096);
    assert!(
        s.downloads >= 3 * one.downloads,
        "{} < 3 x {}",
        s.downloads,
        one.downloads
    );
    assert_eq!(s.rejects[&Reject::LineTooLong].count, 1);
    let sample = &s.rejects[&Reject::LineTooLong].samples[0];
    assert_eq!((sample.file.as_str(), sample.line), ("f_long_line.log", 18));
    assert!(sample.text.len() <= 512);
}

#[test]
fn gzip_bomb_stops_at_the_limit() {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![b'\n'; 1 << 20];
    for _ in 0..64 {
        enc.write_all(&zeros).unwrap();
    }
    let bomb = enc.finish().unwrap();
    let settings = Settings {
        max_inflated_bytes: 8 << 20,
        ..Settings::default()
    };
    let (s, _) = run_files(&settings, &[("bomb.gz".into(), bomb)], 1 << 16);
    assert_eq!(s.file_notes.len(), 1);
    assert_eq!(s.file_notes[0].kind, FileNoteKind::GzipLimit);
    assert_eq!(s.read.blank, 8 << 20);
}

#[test]
fn gzip_bomb_stops_at_the_ratio_limit_when_the_size_is_known() {
    // One 64 MiB member repeated: 1.25 GiB of log lines from a file of about 1 MB.
    let line = b"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be b [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - 3E57 REST.GET.OBJECT k \"GET /b/k HTTP/1.1\" 200 - 113 113 7 - \"-\" \"curl/8\" -\n";
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let mut written = 0;
    while written < 64 << 20 {
        enc.write_all(line).unwrap();
        written += line.len();
    }
    let member = enc.finish().unwrap();
    let bomb = member.repeat(20);
    let inflated = (written * 20) as u64;
    let settings = Settings::default();
    assert!(inflated > s3logdrop::decode::INFLATE_RATIO_FLOOR);
    assert!(inflated > bomb.len() as u64 * settings.max_inflate_ratio);

    let run = |size: Option<u64>| {
        let mut s = Session::new(&settings).unwrap();
        s.begin_file("bomb.gz");
        if let Some(size) = size {
            s.file_size(size);
        }
        for piece in bomb.chunks(1 << 16) {
            s.push(piece).unwrap();
        }
        s.finish().unwrap().0
    };
    let stopped = run(Some(bomb.len() as u64));
    assert_eq!(stopped.file_notes.len(), 1, "{:?}", stopped.file_notes);
    assert_eq!(stopped.file_notes[0].kind, FileNoteKind::GzipLimit);
    assert!(stopped.file_notes[0].message.contains("250 times its size"));
    // Exactly the first `limit` bytes were read: whole lines, then the cut one.
    let limit = (bomb.len() as u64 * settings.max_inflate_ratio)
        .max(s3logdrop::decode::INFLATE_RATIO_FLOOR);
    let lines = limit / line.len() as u64;
    assert!(
        stopped.read.lines == lines || stopped.read.lines == lines + 1,
        "{}",
        stopped.read.lines
    );
    // Without the size (a pipe), only the absolute limit applies: all of it is read.
    let whole = run(None);
    assert!(whole.file_notes.is_empty(), "{:?}", whole.file_notes);
    assert_eq!(whole.read.lines, inflated / line.len() as u64);
}

fn generated_files(seed: u64, n: usize, lines_each: usize) -> Vec<(String, Vec<u8>)> {
    let mut g = Generator::new(GenConfig {
        seed,
        nasty_per_mille: 30,
        clients: 300,
        objects: 200,
        ..GenConfig::default()
    });
    (0..n)
        .map(|i| {
            let mut buf = Vec::new();
            for _ in 0..lines_each {
                g.write_line(&mut buf);
            }
            (format!("logs/{:04}", i), buf)
        })
        .collect()
}

fn merged(settings: &Settings, parts: &[Vec<(String, Vec<u8>)>]) -> Summary {
    let mut total = Summary::default();
    for p in parts {
        let (s, _) = run_files(settings, p, 1 << 12);
        total.merge(s, settings.reject_samples);
    }
    total
}

#[test]
fn generator_truth_is_what_the_engine_finds() {
    let mut g = Generator::new(GenConfig {
        seed: 7,
        nasty_per_mille: 50,
        ..GenConfig::default()
    });
    let mut buf = Vec::new();
    g.fill(&mut buf, 3 << 20);
    let (s, _) = run_files(&Settings::default(), &[("g".into(), buf)], 1 << 16);
    let t = &g.truth;
    assert_eq!(
        (s.read.lines, s.read.blank, s.read.rejected),
        (t.lines, t.blank, t.rejected)
    );
    assert_eq!(s.downloads, t.downloads);
    assert!(s.downloads > 1000 && s.read.rejected > 100);
}

mod merge_property {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn any_partition_and_order_gives_the_same_summary(seed in 0u64..1000, cuts in proptest::collection::vec(0usize..12, 0..4), rotate in 0usize..12) {
            // Half the cases with COUNTER on: its chains merge like the rest.
            let settings = Settings { counter: seed % 2 == 0, ..Settings::default() };
            let files = generated_files(seed, 12, 40);
            let (mut whole, _) = run_files(&settings, &files, 1 << 20);
            whole.normalize();
            // Deal the files, in another order, into parts cut at `cuts`.
            let mut order = files.clone();
            order.rotate_left(rotate);
            let mut cuts = cuts.clone();
            cuts.sort();
            let mut parts = Vec::new();
            let mut prev = 0;
            for c in cuts.into_iter().chain([order.len()]) {
                parts.push(order[prev..c.max(prev)].to_vec());
                prev = c.max(prev);
            }
            let m = merged(&settings, &parts);
            prop_assert_eq!(&m, &whole);
            prop_assert_eq!(Report::new(&m), Report::new(&whole));
        }
    }
}

/// Found by the `session` fuzz target: a gzip stream whose inflated bytes are binary was
/// refused as "binary" early in 6-byte chunks but also noted "gzip_truncated" when pushed
/// whole, because flate2 held back inflated output until the next write. The decoder is
/// now flushed after every piece.
#[test]
fn regression_gzip_output_does_not_depend_on_chunking() {
    // The second find: corrupt deflate data right after binary output was noted
    // "gzip_corrupt" as well when pushed whole; the first problem found is now the one.
    // The third: an over-long line's sample kept fewer bytes when it arrived in pieces.
    // Settings as in the fuzz target.
    let settings = Settings {
        max_line_bytes: 200,
        max_inflated_bytes: 1 << 20,
        ..Settings::default()
    };
    for name in [
        "gzip_binary_sniff_vs_chunking.bin",
        "gzip_corrupt_after_binary.bin",
        "long_line_prefix_vs_chunking.bin",
    ] {
        let data = read(&root().join("fixtures/fuzz").join(name));
        let body = &data[1..];
        let (whole, _) = run_files(&settings, &[("f".into(), body.to_vec())], usize::MAX);
        for chunk in [1, 2, 3, 6, 7, 100, data[0] as usize] {
            let (pieces, _) = run_files(&settings, &[("f".into(), body.to_vec())], chunk);
            assert_eq!(pieces, whole, "{name} chunk {chunk}");
        }
    }
}

#[test]
fn regression_a_range_is_not_sniffed_on_its_own() {
    // Found by the session fuzz target once it compared byte ranges with the whole file:
    // a range from the middle of a text file was sniffed on its own first bytes and
    // refused as binary. What a file is, is decided by its first bytes only.
    let data = read(&root().join("fixtures/fuzz/range_sniffed_as_binary.bin"));
    let body = &data[1..];
    assert!(s3logdrop::decode::can_split(body));
    let want = whole("f", body);
    for at in 1..body.len() as u64 {
        assert_eq!(in_ranges("f", body, &[at], 3), want, "cut at {at}");
    }
}

/// One file analysed in byte ranges as the CLI's threads and the page's workers read it:
/// the ranges through one session, each part's own numbers taken out with
/// `Session::end_part` and put together by `Parts`.
fn in_ranges(name: &str, data: &[u8], cuts: &[u64], chunk: usize) -> Summary {
    let bounds = bounds(data, cuts);
    let max = Settings::default().reject_samples;
    let mut session = s3logdrop::Session::new(&Settings::default()).unwrap();
    let mut file = Parts::new(name, bounds.len() - 1, max);
    for (i, w) in bounds.windows(2).enumerate() {
        assert!(file.add(i, read_range(&mut session, name, data, w, chunk)));
    }
    let mut got = file.finish().unwrap();
    got.merge(session.finish().unwrap().0, max);
    got
}

/// 0, the cuts, the end.
fn bounds(data: &[u8], cuts: &[u64]) -> Vec<u64> {
    let mut bounds = vec![0u64];
    bounds.extend_from_slice(cuts);
    bounds.push(data.len() as u64);
    bounds
}

/// Reads the byte range `[range[0], range[1])` of `data` into a session as a part of the
/// file, and takes out what the part says about the file as a whole.
fn read_range(
    s: &mut s3logdrop::Session,
    name: &str,
    data: &[u8],
    range: &[u64],
    chunk: usize,
) -> PartOfFile {
    let mut cutter = s3logdrop::range::RangeCutter::new(range[0], range[1]);
    s.begin_part(name);
    for piece in data[cutter.read_from() as usize..].chunks(chunk) {
        if cutter.done() {
            break;
        }
        s.push(cutter.feed(piece)).unwrap();
    }
    s.end_part().unwrap().expect("a part is open")
}

/// The own edge cases and every corpus log, as one file (CRLF lines, rejects, blanks).
fn edge_and_corpus() -> Vec<u8> {
    let mut data = own("edge_cases.log");
    for p in corpus_logs() {
        data.extend(std::fs::read(p).unwrap());
    }
    data
}

fn whole(name: &str, data: &[u8]) -> Summary {
    let mut s = s3logdrop::Session::new(&Settings::default()).unwrap();
    s.begin_file(name);
    s.push(data).unwrap();
    s.finish().unwrap().0
}

#[test]
fn a_file_in_byte_ranges_equals_the_file_in_one_piece() {
    // CRLF lines, rejects, blank lines; every cut point, so cuts fall inside lines and
    // between \r and \n.
    let data = edge_and_corpus();
    let want = whole("big.log", &data);
    assert!(want.read.rejected > 0 && want.downloads > 10);
    for at in (1..data.len() as u64).step_by(7) {
        assert_eq!(
            in_ranges("big.log", &data, &[at], 4096),
            want,
            "one cut at {at}"
        );
    }
    let n = data.len() as u64;
    for k in 1..40u64 {
        let cuts = [n * k / 120, n * (k + 40) / 120, n * (k + 80) / 120];
        assert_eq!(
            in_ranges("big.log", &data, &cuts, 333),
            want,
            "cuts {cuts:?}"
        );
    }
    // A file with no log line gets its note once, as a whole.
    let csv = own("not_a_log.csv");
    let want = whole("x.csv", &csv);
    assert_eq!(want.file_notes.len(), 1);
    for at in 1..csv.len() as u64 {
        assert_eq!(in_ranges("x.csv", &csv, &[at], 5), want, "cut at {at}");
    }
}

#[test]
fn only_plain_text_is_cut_into_byte_ranges() {
    use s3logdrop::decode::{can_split, SNIFF_BYTES};
    assert!(can_split(&own("edge_cases.log")));
    assert!(can_split(&own("not_a_log.csv")));
    assert!(!can_split(&own("edge_cases.multi.gz")));
    assert!(!can_split(&own("image.png")));
    assert!(!can_split(b"PK\x03\x04 and the rest"));
    // Binary first and log lines after: read whole, the file is refused; a range from its
    // middle would have looked like a log. It is not cut, so the page says what the CLI says.
    let mut data = own("image.png");
    data.extend(edge_and_corpus());
    assert!(!can_split(&data[..SNIFF_BYTES]));
    let w = whole("x.bin", &data);
    assert_eq!((w.read.lines, w.read.parsed), (0, 0));
    assert!(w.file_notes.iter().any(|n| n.kind == FileNoteKind::Binary));
    let cut = data.len() as u64 / 2;
    let ranges = in_ranges("x.bin", &data, &[cut], 4096);
    assert!(
        ranges.read.parsed > 0,
        "the second range alone reads as a log"
    );
}

#[test]
fn parts_arriving_in_any_order_as_bytes_equal_the_file_in_one_piece() {
    // As on the page: each worker reads the ranges it is given through one session and
    // posts what each range says about the file as a whole at once, as bytes; the page
    // gathers the parts in any order and merges one summary per worker.
    let data = edge_and_corpus().repeat(3);
    let want = whole("big.log", &data);
    let n = data.len() as u64;
    let cuts: Vec<u64> = (1..6).map(|k| n * k / 6 + k).collect();
    let bounds = bounds(&data, &cuts);
    let max = Settings::default().reject_samples;
    for (order, workers) in [
        (vec![0, 1, 2, 3, 4, 5], 1),
        (vec![5, 4, 3, 2, 1, 0], 2),
        (vec![3, 0, 5, 1, 4, 2], 3),
    ] {
        let mut sessions: Vec<_> = (0..workers)
            .map(|_| s3logdrop::Session::new(&Settings::default()).unwrap())
            .collect();
        let mut page = Parts::new("big.log", 6, max);
        for (k, &i) in order.iter().enumerate() {
            let range = &bounds[i..i + 2];
            let mine = read_range(&mut sessions[k % workers], "big.log", &data, range, 1000);
            let bytes = mine.to_bytes();
            assert_eq!(PartOfFile::from_bytes(&bytes).unwrap(), mine);
            assert!(PartOfFile::from_bytes(&bytes[..bytes.len() - 1]).is_err());
            assert!(!page.complete());
            assert!(page.add(i, PartOfFile::from_bytes(&bytes).unwrap()));
            assert!(!page.add(i, mine), "twice");
        }
        assert!(!page.add(6, PartOfFile::default()), "out of range");
        assert!(page.complete());
        let mut total = Summary::default();
        for s in sessions {
            let worker = s.finish().unwrap().0;
            total.merge(Summary::from_bytes(&worker.to_bytes()).unwrap(), max);
        }
        total.merge(page.finish().unwrap(), max);
        assert_eq!(total, want, "order {order:?}, {workers} workers");
    }
    let mut short = Parts::new("big.log", 6, max);
    let mut s = s3logdrop::Session::new(&Settings::default()).unwrap();
    short.add(0, read_range(&mut s, "big.log", &data, &bounds[0..2], 1000));
    assert!(short.finish().is_none(), "a missing part");
}

#[test]
fn summaries_cross_as_bytes_and_bad_bytes_are_refused() {
    let data = edge_and_corpus();
    let s = whole("all.log", &data);
    assert!(s.users.len() > 5 && !s.objects.is_empty() && !s.rejects.is_empty());
    let bytes = s.to_bytes();
    assert_eq!(Summary::from_bytes(&bytes).unwrap(), s);
    assert!(bytes.len() < serde_json::to_vec(&s).unwrap().len());
    // Cut short, or a byte changed: an error or a summary, never a panic; cut short is
    // always an error.
    for cut in 0..bytes.len() {
        assert!(Summary::from_bytes(&bytes[..cut]).is_err(), "cut at {cut}");
    }
    for i in 0..bytes.len() {
        let mut b = bytes.clone();
        b[i] ^= 0x5a;
        let _ = Summary::from_bytes(&b);
    }
    // A set that names a user the summary does not have.
    let mut bad = s.clone();
    bad.objects
        .values_mut()
        .next()
        .unwrap()
        .users
        .insert(1 << 30);
    assert!(Summary::from_bytes(&bad.to_bytes()).is_err());
}

#[test]
fn summaries_that_differ_only_in_who_downloaded_what_are_not_equal() {
    // The same users, counts, first downloads and one user per object; only who took
    // z and w differs: per-object users are compared by address, not by id.
    let line = |ip: &str, key: &str, sec: u32| {
        format!(
            "o b [06/Feb/2019:00:00:{sec:02} +0000] {ip} - R{sec} REST.GET.OBJECT {key} \"GET /{key} HTTP/1.1\" 200 - 10 10 1 1 \"-\" \"curl/8\" -\n"
        )
    };
    let (one, two) = ("1.1.1.1", "2.2.2.2");
    let a = [
        line(one, "x", 1),
        line(two, "y", 2),
        line(one, "z", 3),
        line(two, "w", 4),
    ];
    let b = [
        line(one, "x", 1),
        line(two, "y", 2),
        line(two, "z", 3),
        line(one, "w", 4),
    ];
    let (a, b) = (a.concat(), b.concat());
    let (sa, sb) = (whole("f", a.as_bytes()), whole("f", b.as_bytes()));
    assert_eq!((sa.downloads, sa.users.len()), (4, 2));
    assert_eq!((sb.downloads, sb.users.len()), (4, 2));
    assert_ne!(sa, sb);
}
