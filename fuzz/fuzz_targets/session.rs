//! The whole session on arbitrary files cut into arbitrary chunks: never panics, every
//! line gets exactly one outcome, and the result does not depend on the chunking.
#![no_main]
use libfuzzer_sys::fuzz_target;
use s3logdrop::session::Session;
use s3logdrop::settings::Settings;

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
});
