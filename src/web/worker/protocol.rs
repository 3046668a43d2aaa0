//! The messages between the page and a worker, typed: what the page sends is decoded
//! into a [`Message`] (a misspelt or missing field is an error the page shows, never a
//! silent `""` or `0`), and what the worker answers is a [`Reply`]. The `File`s travel
//! beside the typed fields, as JavaScript objects (a handle, not the bytes).

use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::Blob;

/// A file up to this size is read whole with `arrayBuffer()` as soon as its message
/// arrives, so the next small files are read while this one is parsed: each read is a
/// round trip to the browser's process, and many small files would otherwise wait on
/// them one at a time. The page lets more of these be in flight per worker than big ones.
pub const SMALL_FILE_BYTES: u64 = 4 << 20;

/// What the page asks of a worker, for one job (a number that only grows).
#[derive(Debug, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Message {
    /// Starts a job under these settings (JSON text; empty for the defaults).
    Begin {
        /// The job.
        job: f64,
        /// The settings as JSON.
        settings: String,
    },
    /// A whole file (in the message's `file` field).
    File {
        /// The job.
        job: f64,
        /// The name it is reported under.
        name: String,
    },
    /// The byte range `[start, end)` of a big plain file (in `file`), cut at line
    /// boundaries; answered by [`Reply::Part`].
    Part {
        /// The job.
        job: f64,
        /// The file's name.
        name: String,
        /// First byte of the range.
        start: f64,
        /// One past its last byte.
        end: f64,
        /// The range's number in the file, from 0.
        index: u32,
    },
    /// An object of a log bucket, fetched from `url` (presigned on the page: the worker
    /// never sees the keys) and read as a whole file named `name`.
    Url {
        /// The job.
        job: f64,
        /// The name it is reported under (its key).
        name: String,
        /// The presigned GET.
        url: String,
        /// Its size in the listing.
        size: f64,
    },
    /// No more files for the job: answered by the job's summary.
    End {
        /// The job.
        job: f64,
    },
    /// One pass over `files` (each with its `file`) in the given order that streams
    /// `parsed_output.csv` and `rejected_lines.txt` into the origin-private file system
    /// under the names `parsed` and `rejected`; answered by [`Reply::Exported`].
    Export {
        /// The job.
        job: f64,
        /// The settings as JSON.
        settings: String,
        /// The files' names, in order (their `File`s beside).
        files: Vec<ExportFile>,
        /// Name of the `parsed_output.csv` file to write.
        parsed: String,
        /// Name of the `rejected_lines.txt` file to write.
        rejected: String,
    },
    /// Drops that job and every older one at the next chunk.
    Cancel {
        /// The job.
        job: f64,
    },
}

/// One file of an export (its `File` is the object's `file` field).
#[derive(Debug, Deserialize, PartialEq)]
pub struct ExportFile {
    /// The name it is reported under.
    pub name: String,
}

impl Message {
    /// The job the message belongs to.
    pub fn job(&self) -> f64 {
        match self {
            Message::Begin { job, .. }
            | Message::File { job, .. }
            | Message::Part { job, .. }
            | Message::Url { job, .. }
            | Message::End { job }
            | Message::Export { job, .. }
            | Message::Cancel { job } => *job,
        }
    }
}

/// A message with the `File`s it carries.
pub struct Incoming {
    /// The typed fields.
    pub message: Message,
    /// The `file` of a `file` or `part` message, or each file of an `export`, in order.
    pub files: Vec<Blob>,
}

/// Decodes a message from the page; the error says what is wrong with it.
pub fn decode(data: &JsValue) -> Result<Incoming, String> {
    let message: Message = serde_wasm_bindgen::from_value(data.clone())
        .map_err(|e| format!("a message to the worker was refused: {e}"))?;
    let files = match &message {
        Message::File { .. } | Message::Part { .. } => vec![blob(data, "the message")?],
        Message::Export { .. } => {
            let list = js_sys::Reflect::get(data, &"files".into()).unwrap_or_default();
            js_sys::Array::from(&list)
                .iter()
                .enumerate()
                .map(|(i, item)| blob(&item, &format!("export file {i}")))
                .collect::<Result<_, _>>()?
        }
        _ => Vec::new(),
    };
    Ok(Incoming { message, files })
}

/// The `file` field of `v`, when it is a `File` or `Blob`.
fn blob(v: &JsValue, what: &str) -> Result<Blob, String> {
    js_sys::Reflect::get(v, &"file".into())
        .ok()
        .and_then(|f| f.dyn_into::<Blob>().ok())
        .ok_or_else(|| format!("a message to the worker was refused: {what} has no file"))
}

/// What a worker posts to the page.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Reply {
    /// The engine is loaded and warm: messages may come.
    Ready,
    /// Bytes and lines read since the last progress message.
    Progress {
        /// The job.
        job: f64,
        /// Bytes read.
        bytes: f64,
        /// Lines read.
        lines: f64,
        /// A file (or a range, with `part`) is done.
        file_done: bool,
        /// The reads were a byte range of a file (the page counts the file when all are in).
        part: bool,
        /// The file that could not be read (a note says why), if any: not counted as
        /// read, so the next run tries it again.
        unread: Option<String>,
    },
    /// What a range says about its file as a whole (its `part` field: a `Uint8Array`
    /// of `PartOfFile::to_bytes`, set by [`post_bytes`]).
    Part {
        /// The job.
        job: f64,
        /// The range's number in its file.
        index: u32,
        /// The file's name.
        name: String,
    },
    /// The job's summary (its `summary` field: a `Uint8Array` of `Summary::to_bytes`).
    Summary {
        /// The job.
        job: f64,
    },
    /// The export is written.
    Exported {
        /// The job.
        job: f64,
    },
    /// Something went wrong: a sentence for people. `job` is `null` for a message the
    /// worker could not understand (the page always shows those).
    Error {
        /// The job, when known.
        job: Option<f64>,
        /// What went wrong.
        message: String,
    },
}

impl Reply {
    /// As a JavaScript object.
    pub fn to_js(&self) -> JsValue {
        serde_wasm_bindgen::to_value(self).expect("a reply serialises")
    }
}

fn scope() -> web_sys::DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

/// Posts a reply to the page.
pub fn post(reply: &Reply) {
    let _ = scope().post_message(&reply.to_js());
}

/// Posts a reply with `bytes` as its field `field`, a `Uint8Array` whose buffer is
/// transferred, not copied.
pub fn post_bytes(reply: &Reply, field: &str, bytes: &[u8]) {
    let bytes = js_sys::Uint8Array::from(bytes);
    let msg = reply.to_js();
    let _ = js_sys::Reflect::set(&msg, &field.into(), &bytes);
    let transfer = js_sys::Array::of1(&bytes.buffer());
    let _ = scope().post_message_with_transfer(&msg, &transfer);
}
