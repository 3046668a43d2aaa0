//! The line parser on arbitrary bytes: never panics; a parsed line's fields are slices
//! of the input, and field access past the known fields is absent, not a crash.
#![no_main]
use libfuzzer_sys::fuzz_target;
use s3logdrop::parse::{Parser, FIELD_NAMES};

fuzz_target!(|data: &[u8]| {
    let mut p = Parser::new();
    if let Ok(r) = p.parse(data) {
        let range = data.as_ptr_range();
        for i in 0..FIELD_NAMES.len() + 3 {
            if let Some(f) = r.field(i) {
                assert!(range.contains(&f.as_ptr()) || f.is_empty());
            }
        }
        assert!(r.http_status.is_none_or(|s| s <= 999));
    }
});
