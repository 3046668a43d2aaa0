//! The page's glue, wasm32 only, kept thin: the engine does the work.
//!
//! - [`app`]: what the page's main thread calls (merge the workers' partial summaries,
//!   the report, the summary outputs, the chart on a canvas).
//! - [`worker`]: a Web Worker's message loop (stream `File`s through a [`Session`],
//!   post progress and a partial summary; stream the row exports into the origin-private
//!   file system).
//!
//! Messages are plain objects with a `type`; summaries cross as the bytes of
//! `Summary::to_bytes` (postcard) in a transferred `Uint8Array`: exact for 128-bit IP
//! keys, several times smaller than JSON, and no million small objects.
//!
//! [`Session`]: crate::session::Session

pub mod app;
mod samples;
pub mod worker;

use wasm_bindgen::JsValue;

/// A field of a message object, as a string ("" when absent).
pub(crate) fn get_str(v: &JsValue, key: &str) -> String {
    js_sys::Reflect::get(v, &JsValue::from_str(key))
        .ok()
        .and_then(|x| x.as_string())
        .unwrap_or_default()
}

/// A numeric field of a message object (0 when absent).
pub(crate) fn get_f64(v: &JsValue, key: &str) -> f64 {
    js_sys::Reflect::get(v, &JsValue::from_str(key))
        .ok()
        .and_then(|x| x.as_f64())
        .unwrap_or(0.0)
}

/// Builds a message object from pairs.
pub(crate) fn message(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in pairs {
        let _ = js_sys::Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o.into()
}

/// A JavaScript error's message, or its text.
pub(crate) fn js_error_text(e: &JsValue) -> String {
    if let Some(s) = e.as_string() {
        return s;
    }
    let m = get_str(e, "message");
    let n = get_str(e, "name");
    match (n.is_empty(), m.is_empty()) {
        (false, false) => format!("{n}: {m}"),
        (true, false) => m,
        _ => format!("{e:?}"),
    }
}
