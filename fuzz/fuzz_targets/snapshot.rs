//! The snapshot reader on arbitrary bytes: refused with a sentence or read whole, never a
//! panic; a snapshot it reads writes back to the same bytes. The checksum stops most
//! random inputs early, so inputs whose checksum is made right are tried too.
#![no_main]
use libfuzzer_sys::fuzz_target;
use s3logdrop::snapshot::{checksum, Snapshot, MAGIC, VERSION};

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = Snapshot::from_bytes(data) {
        assert_eq!(Snapshot::from_bytes(&s.to_bytes()).map(|t| t.files), Ok(s.files));
    }
    // The same bytes as a body with a right header and checksum: the decoder's turn.
    let mut framed = Vec::with_capacity(data.len() + 24);
    framed.extend_from_slice(MAGIC);
    framed.extend_from_slice(&VERSION.to_le_bytes());
    framed.extend_from_slice(&(data.len() as u64).to_le_bytes());
    framed.extend_from_slice(data);
    framed.extend_from_slice(&checksum(data));
    let _ = Snapshot::from_bytes(&framed);
});
