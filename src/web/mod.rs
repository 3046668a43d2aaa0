//! The page's glue, wasm32 only, kept thin: the engine does the work.
//!
//! - [`app`]: what the page's main thread calls (merge the workers' partial summaries,
//!   the report, the summary outputs, the chart on a canvas).
//! - [`bucket`]: a log bucket's presigned URLs (the keys stay in the page's memory).
//! - [`worker`]: a Web Worker's message loop (stream `File`s through a [`Session`],
//!   post progress and a partial summary; stream the row exports into the origin-private
//!   file system).
//!
//! Messages are typed (`worker::protocol`): objects with a `type`, decoded with
//! serde-wasm-bindgen; summaries cross as the bytes of `Summary::to_bytes` (postcard) in
//! a transferred `Uint8Array`: exact for 128-bit IP keys, several times smaller than
//! JSON, and no million small objects.
//!
//! [`Session`]: crate::session::Session

pub mod app;
pub mod bucket;
mod samples;
pub mod worker;

use wasm_bindgen::JsValue;

/// A JavaScript error's message, or its text.
pub(crate) fn js_error_text(e: &JsValue) -> String {
    if let Some(s) = e.as_string() {
        return s;
    }
    let field = |key: &str| {
        js_sys::Reflect::get(e, &JsValue::from_str(key))
            .ok()
            .and_then(|x| x.as_string())
            .unwrap_or_default()
    };
    let (m, n) = (field("message"), field("name"));
    match (n.is_empty(), m.is_empty()) {
        (false, false) => format!("{n}: {m}"),
        (true, false) => m,
        _ => format!("{e:?}"),
    }
}
