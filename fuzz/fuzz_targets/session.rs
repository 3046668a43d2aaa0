//! The whole session on arbitrary files cut into arbitrary chunks: never panics, every
//! line gets exactly one outcome, and the result does not depend on the chunking; read
//! in two byte ranges (as the page's workers read a big plain file) and put together, it
//! equals the file read in one piece, whether each range has a session of its own or
//! one session reads both (`Session::end_part`).
#![no_main]
use libfuzzer_sys::fuzz_target;
use s3logdrop::range::RangeCutter;
use s3logdrop::session::Session;
use s3logdrop::settings::Settings;
use s3logdrop::summary::{Parts, Summary};

fuzz_target!(|data: &[u8]| {
    if data.is_empty() {
        return;
    }
    let mut settings = Settings::default();
    settings.max_line_bytes = 200;
    settings.max_inflated_bytes = 1 << 20;
    let cut = data[0] as usize;
    let body = &data[1..];
    let whole = {
        let mut s = Session::new(&settings).unwrap();
        s.begin_file("f");
        s.push(body);
        s.finish().0
    };
    let pieces = {
        let mut s = Session::new(&settings).unwrap();
        s.begin_file("f");
        for c in body.chunks(cut.max(1)) {
            s.push(c);
        }
        s.finish().0
    };
    assert_eq!(whole.lines, whole.parsed + whole.rejected + whole.blank);
    assert_eq!(whole, pieces);

    // Ranges are only for plain text (gzip, zip and binary go whole to one worker).
    if !s3logdrop::session::can_split(body) {
        return;
    }
    let at = (cut * body.len() / 256) as u64;
    let parts: Vec<Summary> = [(0, at), (at, body.len() as u64)]
        .into_iter()
        .map(|(start, end)| {
            let mut cutter = RangeCutter::new(start, end);
            let mut s = Session::new(&settings).unwrap();
            s.begin_part("f");
            for c in body[cutter.read_from() as usize..].chunks(cut.max(1)) {
                if cutter.done() {
                    break;
                }
                s.push(cutter.feed(c));
            }
            s.finish().0
        })
        .collect();
    assert_eq!(Summary::from_parts("f", parts, settings.reject_samples), whole);

    // The same ranges through one session, as a worker or a CLI thread reads them, each
    // part's own numbers taken out with end_part.
    let mut one = Session::new(&settings).unwrap();
    let mut file = Parts::new("f", 2, settings.reject_samples);
    for (i, (start, end)) in [(0, at), (at, body.len() as u64)].into_iter().enumerate() {
        let mut cutter = RangeCutter::new(start, end);
        one.begin_part("f");
        for c in body[cutter.read_from() as usize..].chunks(cut.max(1)) {
            if cutter.done() {
                break;
            }
            one.push(cutter.feed(c));
        }
        assert!(file.add(i, one.end_part().unwrap()));
    }
    let mut got = file.finish().unwrap();
    got.merge(one.finish().0, settings.reject_samples);
    assert_eq!(got, whole);
});
