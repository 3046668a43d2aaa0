//! Reading a `File` (or a byte range of one) through a session: `File.stream()` with a
//! BYOB reader into one reused buffer, never the whole file at once; small files read
//! whole as soon as they arrive. Read errors become notes on the file.

use super::is_cancelled;
use super::protocol::SMALL_FILE_BYTES;
use super::protocol::{post, Reply};
use crate::range::RangeCutter;
use crate::session::{Session, Sink};
use crate::web::js_error_text;
use js_sys::{Reflect, Uint8Array};
use std::io;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Blob, ReadableStream, ReadableStreamByobReader, ReadableStreamDefaultReader, Response,
};

/// Progress is posted after at least this many bytes.
const PROGRESS_BYTES: u64 = 4 << 20;

/// Bytes and lines not yet reported.
#[derive(Default)]
pub(super) struct Progress {
    pub(super) bytes: u64,
    pub(super) lines_reported: u64,
    /// The reads were a part of a file (the page counts the file when all parts are in).
    pub(super) part: bool,
    /// The file that could not be read: the page does not count it as read.
    pub(super) unread: Option<String>,
}

impl Progress {
    pub(super) fn post<S: Sink>(&mut self, job: f64, session: &Session<S>, file_done: bool) {
        let lines = session.summary().read.lines;
        post(&Reply::Progress {
            job,
            bytes: self.bytes as f64,
            lines: (lines - self.lines_reported) as f64,
            file_done,
            part: self.part,
            unread: self.unread.take(),
        });
        self.bytes = 0;
        self.lines_reported = lines;
    }
}

/// Streams a `File` (or any `Blob`) through the session as one input file, as the
/// workers do: `File.stream()`, never read whole.
pub async fn stream_blob<S: Sink>(
    blob: &Blob,
    name: &str,
    session: &mut Session<S>,
) -> io::Result<()> {
    read_file(None, blob, name, session, &mut Progress::default(), None).await
}

/// Streams the byte range `[start, end)` of a plain file, cut at line boundaries, through
/// a session as one part of that file (see `Session::begin_part`).
pub async fn stream_part<S: Sink>(
    blob: &Blob,
    name: &str,
    start: u64,
    end: u64,
    session: &mut Session<S>,
) -> io::Result<()> {
    let cutter = RangeCutter::new(start, end);
    read_file(
        None,
        blob,
        name,
        session,
        &mut Progress::default(),
        Some(cutter),
    )
    .await
}

/// Streams one file through the session (`File.stream()`: never read whole). A read
/// error (the file was moved or changed while being read) becomes a note on the file.
/// With a job, stops when it is cancelled and posts progress. With a cutter, reads one
/// byte range as a part of the file and leaves the part open (for `Session::end_part`).
/// An error is the sink's: the session has stopped.
pub(super) async fn read_file<S: Sink>(
    job: Option<f64>,
    file: &Blob,
    name: &str,
    session: &mut Session<S>,
    progress: &mut Progress,
    cutter: Option<RangeCutter>,
) -> io::Result<()> {
    let stream = match &cutter {
        Some(c) => {
            session.begin_part(name);
            match file.slice_with_f64(c.read_from() as f64) {
                Ok(b) => b.stream(),
                Err(e) => {
                    session.read_error(&js_error_text(&e));
                    return Ok(());
                }
            }
        }
        None => {
            session.begin_file(name);
            session.file_size(file.size() as u64);
            file.stream()
        }
    };
    let expected = cutter.is_none().then(|| file.size() as u64);
    read_stream(
        job,
        &stream,
        expected,
        session,
        progress,
        cutter,
        stopped_reading,
    )
    .await
}

/// Streams `stream` through the session: the body of `read_file` and of an object of a
/// bucket. `expected`: the size the whole file should have (a shorter read is noted).
async fn read_stream<S: Sink>(
    job: Option<f64>,
    stream: &ReadableStream,
    expected: Option<u64>,
    session: &mut Session<S>,
    progress: &mut Progress,
    mut cutter: Option<RangeCutter>,
    stopped: fn(&JsValue) -> String,
) -> io::Result<()> {
    let mut reader = Reader::new(stream);
    let mut buf = Vec::new();
    let mut read = 0u64;
    loop {
        let result = reader.next().await;
        if job.is_some_and(is_cancelled) {
            reader.cancel();
            return Ok(());
        }
        let value = match result {
            Ok(Some(v)) => v,
            Ok(None) => {
                // A file that shrank under the reader can end early without an error.
                if let Some(size) = expected.filter(|&s| s != read) {
                    session.read_error(&short_read(read, size));
                }
                break;
            }
            Err(e) => {
                session.read_error(&stopped(&e));
                break;
            }
        };
        let n = value.length() as usize;
        read += n as u64;
        buf.resize(n, 0);
        value.copy_to(&mut buf[..n]);
        reader.give_back(&value);
        let owned = match cutter.as_mut() {
            Some(c) => c.feed(&buf[..n]),
            None => &buf[..n],
        };
        if let Err(e) = session.push(owned) {
            reader.cancel();
            return Err(e);
        }
        progress.bytes += owned.len() as u64;
        if let Some(job) = job.filter(|_| progress.bytes >= PROGRESS_BYTES) {
            progress.post(job, session, false);
        }
        if cutter.as_ref().is_some_and(RangeCutter::done) {
            reader.cancel();
            break;
        }
    }
    if cutter.is_none() {
        session.end_file()?;
    }
    Ok(())
}

/// Reads an object of a log bucket through the session as one file named `name`:
/// `fetched` is the `fetch()` of its presigned URL, started when its message arrived (so
/// the requests of the next objects are in flight while this one is parsed). An object up
/// to [`SMALL_FILE_BYTES`] is read whole, a bigger one streamed. A refusal or a lost
/// connection becomes a note on the file, and `progress.unread` is set when nothing of it
/// was read: the page then leaves it out of what the analysis counts, and the next run
/// reads it.
pub(super) async fn read_url<S: Sink>(
    job: f64,
    fetched: js_sys::Promise,
    name: &str,
    size: u64,
    session: &mut Session<S>,
    progress: &mut Progress,
) -> io::Result<()> {
    session.begin_file(name);
    session.file_size(size);
    let response: Response = match JsFuture::from(fetched).await {
        Ok(r) => r.unchecked_into(),
        Err(e) => {
            progress.unread = Some(name.to_string());
            session.read_error(&format!(
                "the bucket could not be reached (was the connection lost?); the next run reads it ({})",
                js_error_text(&e)
            ));
            return session.end_file();
        }
    };
    if !response.ok() {
        let body = match response.text() {
            Ok(p) => JsFuture::from(p).await.ok().and_then(|t| t.as_string()),
            Err(_) => None,
        };
        let why = crate::s3::refusal(response.status(), &body.unwrap_or_default(), name, "");
        progress.unread = Some(name.to_string());
        session.read_error(&format!("{why}; it was not read"));
        return session.end_file();
    }
    if size <= SMALL_FILE_BYTES {
        let bytes = match response.array_buffer() {
            Ok(p) => JsFuture::from(p).await,
            Err(e) => Err(e),
        };
        match bytes {
            Ok(buffer) => push_whole(&buffer, size, session, progress)?,
            Err(e) => {
                progress.unread = Some(name.to_string());
                session.read_error(&connection_lost(&e));
            }
        }
        return session.end_file();
    }
    match response.body() {
        Some(stream) => {
            read_stream(
                Some(job),
                &stream,
                Some(size),
                session,
                progress,
                None,
                connection_lost,
            )
            .await
        }
        None => session.end_file(),
    }
}

fn connection_lost(e: &JsValue) -> String {
    format!(
        "the connection to the bucket was lost while it was read; what was read is counted ({})",
        js_error_text(e)
    )
}

/// Bytes read into one buffer at a time by a BYOB reader.
const READ_CHUNK: u32 = 1 << 20;

/// Reads a `File.stream()`: with a BYOB reader into one buffer that goes back and forth
/// (no garbage per chunk, so the tab's memory does not grow with the input), or with a
/// default reader where the stream is not a byte stream.
enum Reader {
    Byob {
        reader: ReadableStreamByobReader,
        buffer: Option<js_sys::ArrayBuffer>,
    },
    Default(ReadableStreamDefaultReader),
}

impl Reader {
    fn new(stream: &ReadableStream) -> Reader {
        match ReadableStreamByobReader::new(stream) {
            Ok(reader) => Reader::Byob {
                reader,
                buffer: Some(js_sys::ArrayBuffer::new(READ_CHUNK)),
            },
            Err(_) => Reader::Default(stream.get_reader().unchecked_into()),
        }
    }

    /// The next bytes, or None at the end.
    async fn next(&mut self) -> Result<Option<Uint8Array>, JsValue> {
        let promise = match self {
            Reader::Byob { reader, buffer } => {
                let buffer = buffer
                    .take()
                    .unwrap_or_else(|| js_sys::ArrayBuffer::new(READ_CHUNK));
                let view = Uint8Array::new_with_byte_offset_and_length(&buffer, 0, READ_CHUNK);
                reader.read_with_array_buffer_view(&view)
            }
            Reader::Default(reader) => reader.read(),
        };
        let chunk = JsFuture::from(promise).await?;
        let done = Reflect::get(&chunk, &"done".into())
            .ok()
            .and_then(|d| d.as_bool())
            .unwrap_or(true);
        let value = Reflect::get(&chunk, &"value".into()).unwrap_or(JsValue::UNDEFINED);
        if done {
            if let Some(v) = value.dyn_ref::<Uint8Array>() {
                self.give_back(v);
            }
            return Ok(None);
        }
        Ok(Some(value.unchecked_into()))
    }

    /// Hands the buffer of bytes already copied out back for the next read.
    fn give_back(&mut self, value: &Uint8Array) {
        if let Reader::Byob { buffer, .. } = self {
            let b = value.buffer();
            if b.byte_length() >= READ_CHUNK {
                *buffer = Some(b);
            }
        }
    }

    fn cancel(&self) {
        let _ = match self {
            Reader::Byob { reader, .. } => reader.cancel(),
            Reader::Default(reader) => reader.cancel(),
        };
    }
}

/// Puts a small file read whole (its `arrayBuffer()` promise) through the session, with
/// the same notes as `read_file` when the read fails or comes back short.
pub(super) async fn read_prefetched<S: Sink>(
    file: &Blob,
    name: &str,
    bytes: js_sys::Promise,
    session: &mut Session<S>,
    progress: &mut Progress,
) -> io::Result<()> {
    session.begin_file(name);
    let size = file.size() as u64;
    session.file_size(size);
    match JsFuture::from(bytes).await {
        Ok(buffer) => push_whole(&buffer, size, session, progress)?,
        Err(e) => session.read_error(&stopped_reading(&e)),
    }
    session.end_file()
}

/// Pushes a file read whole (an `ArrayBuffer`) through the session; one shorter than
/// `size` gets a note.
fn push_whole<S: Sink>(
    buffer: &JsValue,
    size: u64,
    session: &mut Session<S>,
    progress: &mut Progress,
) -> io::Result<()> {
    let data = Uint8Array::new(buffer).to_vec();
    session.push(&data)?;
    progress.bytes += data.len() as u64;
    if data.len() as u64 != size {
        session.read_error(&short_read(data.len() as u64, size));
    }
    Ok(())
}

fn stopped_reading(e: &JsValue) -> String {
    format!(
        "the browser stopped reading it; was it moved, changed or deleted while being read? ({})",
        js_error_text(e)
    )
}

fn short_read(read: u64, size: u64) -> String {
    format!(
        "{read} bytes were read of the {size} it had when chosen; was it changed while being read?"
    )
}
