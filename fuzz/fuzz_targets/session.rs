//! The whole session on arbitrary files cut into arbitrary chunks: never panics, every
//! line gets exactly one outcome, and the result does not depend on the chunking; read
//! in two byte ranges (as the page's workers and the CLI's threads read a big plain
//! file: one session, each part's own numbers taken out with `Session::end_part`) and
//! put together, it equals the file read in one piece.
#![no_main]
use libfuzzer_sys::fuzz_target;
use s3logdrop::range::RangeCutter;
use s3logdrop::session::Session;
use s3logdrop::settings::Settings;
use s3logdrop::summary::Parts;

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
        s.push(body).unwrap();
        s.finish().unwrap().0
    };
    let pieces = {
        let mut s = Session::new(&settings).unwrap();
        s.begin_file("f");
        for c in body.chunks(cut.max(1)) {
            s.push(c).unwrap();
        }
        s.finish().unwrap().0
    };
    let r = whole.read;
    assert_eq!(r.lines, r.parsed + r.rejected + r.blank);
    assert_eq!(whole, pieces);

    // Ranges are only for plain text (gzip, zip and binary go whole to one worker).
    if !s3logdrop::decode::can_split(body) {
        return;
    }
    let at = (cut * body.len() / 256) as u64;
    // The ranges through one session, as a worker or a CLI thread reads them.
    let mut one = Session::new(&settings).unwrap();
    let mut file = Parts::new("f", 2, settings.reject_samples);
    for (i, (start, end)) in [(0, at), (at, body.len() as u64)].into_iter().enumerate() {
        let mut cutter = RangeCutter::new(start, end);
        one.begin_part("f");
        for c in body[cutter.read_from() as usize..].chunks(cut.max(1)) {
            if cutter.done() {
                break;
            }
            one.push(cutter.feed(c)).unwrap();
        }
        assert!(file.add(i, one.end_part().unwrap().unwrap()));
    }
    let mut got = file.finish().unwrap();
    got.merge(one.finish().unwrap().0, settings.reject_samples);
    assert_eq!(got, whole);
});
