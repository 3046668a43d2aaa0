//! The worker's glue in a real dedicated worker (wasm-bindgen-test in Chromium): a `Blob`
//! streamed through `File.stream()` gives the same summary as the bytes pushed natively,
//! for plain, multi-member gzip and truncated gzip input.
#![cfg(target_arch = "wasm32")]

use s3logdrop::web::worker::protocol::{decode, Message};
use s3logdrop::web::worker::stream_blob;
use s3logdrop::{Session, Settings, Summary};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

fn blob(bytes: &[u8]) -> web_sys::Blob {
    let parts = js_sys::Array::new();
    parts.push(&js_sys::Uint8Array::from(bytes));
    web_sys::Blob::new_with_u8_array_sequence(&parts).unwrap()
}

fn native(files: &[(&str, &[u8])]) -> Summary {
    let mut s = Session::new(&Settings::default()).unwrap();
    for (name, bytes) in files {
        s.begin_file(name);
        for chunk in bytes.chunks(7) {
            s.push(chunk).unwrap();
        }
        s.end_file().unwrap();
    }
    s.finish().unwrap().0
}

async fn streamed(files: &[(&str, &[u8])]) -> Summary {
    let mut s = Session::new(&Settings::default()).unwrap();
    for (name, bytes) in files {
        stream_blob(&blob(bytes), name, &mut s).await.unwrap();
    }
    s.finish().unwrap().0
}

const EDGE: &[u8] = include_bytes!("../fixtures/own/edge_cases.log");
const MULTI_GZ: &[u8] = include_bytes!("../fixtures/own/edge_cases.multi.gz");
const CORPUS: &[u8] = include_bytes!("../fixtures/corpus/dandi-s3-log-parser__tests.log");
const PNG: &[u8] = include_bytes!("../fixtures/own/image.png");

#[wasm_bindgen_test]
async fn a_streamed_blob_equals_native_pushes() {
    let big: Vec<u8> = CORPUS.repeat(2000); // several stream chunks
    let files: Vec<(&str, &[u8])> = vec![
        ("edge_cases.log", EDGE),
        ("edge_cases.multi.gz", MULTI_GZ),
        ("truncated.gz", &MULTI_GZ[..MULTI_GZ.len() / 2]),
        ("big.log", &big),
        ("image.png", PNG),
        ("empty.log", b""),
    ];
    let got = streamed(&files).await;
    assert_eq!(got, native(&files));
    assert!(got.downloads > 1000, "{} downloads", got.downloads);
    let kinds: Vec<&str> = got.file_notes.iter().map(|n| n.kind.name()).collect();
    assert!(
        kinds.contains(&"gzip_truncated") && kinds.contains(&"binary") && kinds.contains(&"empty"),
        "{kinds:?}"
    );
}

#[wasm_bindgen_test]
async fn byte_range_parts_streamed_in_a_worker_equal_the_whole_file() {
    use s3logdrop::web::worker::stream_part;
    let data: Vec<u8> = [EDGE, CORPUS].concat().repeat(300);
    let want = native(&[("big.log", &data)]);
    let n = data.len() as u64;
    // A cut between \r and \n, and cuts at arbitrary places.
    let crlf = data.windows(2).position(|w| w == b"\r\n").unwrap() as u64 + 1;
    for cuts in [
        vec![crlf],
        vec![n / 3, n / 2, 2 * n / 3 + 1],
        vec![1, n - 1],
    ] {
        let mut bounds = vec![0];
        bounds.extend(cuts.iter().copied());
        bounds.push(n);
        let b = blob(&data);
        let max = Settings::default().reject_samples;
        // As the worker reads a job's ranges: one session, each part's own numbers taken
        // out with end_part.
        let mut one = Session::new(&Settings::default()).unwrap();
        let mut file = s3logdrop::summary::Parts::new("big.log", bounds.len() - 1, max);
        for (i, w) in bounds.windows(2).enumerate() {
            stream_part(&b, "big.log", w[0], w[1], &mut one)
                .await
                .unwrap();
            assert!(file.add(i, one.end_part().unwrap().unwrap()));
        }
        let mut got = file.finish().unwrap();
        got.merge(one.finish().unwrap().0, max);
        assert_eq!(got, want, "cuts {cuts:?}, one session");
    }
}

/// A message object from `(field, value)` pairs.
fn msg(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in pairs {
        js_sys::Reflect::set(&o, &JsValue::from_str(k), v).unwrap();
    }
    o.into()
}

#[wasm_bindgen_test]
fn messages_are_decoded_and_malformed_ones_refused_with_a_reason() {
    let file = JsValue::from(blob(b"x"));
    let part = |start: JsValue| {
        msg(&[
            ("type", "part".into()),
            ("job", 3.into()),
            ("file", file.clone()),
            ("name", "a.log".into()),
            ("start", start),
            ("end", 10.into()),
            ("index", 0.into()),
        ])
    };
    let ok = decode(&part(0.into())).unwrap();
    assert_eq!(
        ok.message,
        Message::Part {
            job: 3.0,
            name: "a.log".into(),
            start: 0.0,
            end: 10.0,
            index: 0
        }
    );
    assert_eq!(ok.files.len(), 1);
    // A wrong type, a missing field, no file, an unknown type: each refused, saying what.
    let wrong = decode(&part("zero".into())).err().unwrap();
    assert!(wrong.contains("invalid type"), "{wrong}");
    let missing = msg(&[("type", "begin".into()), ("job", 1.into())]);
    let missing = decode(&missing).err().unwrap();
    assert!(missing.contains("settings"), "{missing}");
    let no_file = msg(&[
        ("type", "file".into()),
        ("job", 1.into()),
        ("name", "a".into()),
    ]);
    let no_file = decode(&no_file).err().unwrap();
    assert!(no_file.contains("no file"), "{no_file}");
    let unknown = decode(&msg(&[("type", "fil".into()), ("job", 1.into())]));
    assert!(unknown.err().unwrap().contains("fil"));
    assert!(decode(&JsValue::from_str("begin")).is_err());
}
