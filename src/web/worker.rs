//! A Web Worker's message loop. The page sends, for one job (a number that only grows):
//!
//! - `{type: "begin", job, settings}` (settings as JSON text), then
//! - `{type: "file", job, file, name}` any number of times (the `File` itself: no copy),
//! - `{type: "part", job, file, name, start, end, index}`: the byte range `[start, end)`
//!   of a big plain file, cut at line boundaries, answered by
//!   `{type: "part", job, index, name, part}` (a `Uint8Array`, `PartOfFile::to_bytes`:
//!   what the range says about its file as a whole); the rest stays in the worker's one
//!   session for the job's ranges (see `Session::end_part`), so the page merges one
//!   summary per worker however many ranges there are;
//! - `{type: "end", job}`, answered by `{type: "summary", job, summary}` (a `Uint8Array`,
//!   `Summary::to_bytes`): the job's files and ranges;
//! - `{type: "export", job, settings, files: [{file, name}], parsed, rejected}`: one pass
//!   over the files in the given order that streams `parsed_output.csv` and
//!   `rejected_lines.txt` into the origin-private file system under the names given,
//!   answered by `{type: "exported", job}`;
//! - `{type: "cancel", job}`: drop that job and every older one at the next chunk.
//!
//! It posts `{type: "ready"}` once, then `progress` (bytes and lines since the last one),
//! `file_done`, and `error` (a sentence) messages.

use super::{get_f64, get_str, js_error_text, message};
use crate::outputs::{Anonymize, FileSink};
use crate::range::RangeCutter;
use crate::session::{NoSink, Session, Sink};
use crate::settings::Settings;
use js_sys::{Reflect, Uint8Array};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, BufWriter, Write};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{
    Blob, DedicatedWorkerGlobalScope, FileSystemDirectoryHandle, FileSystemFileHandle,
    FileSystemGetFileOptions, FileSystemReadWriteOptions, FileSystemSyncAccessHandle, MessageEvent,
    ReadableStream, ReadableStreamByobReader, ReadableStreamDefaultReader,
};

/// Progress is posted after at least this many bytes.
const PROGRESS_BYTES: u64 = 4 << 20;

/// A file up to this size is read whole with `arrayBuffer()` as soon as its message
/// arrives, so the next small files are read while this one is parsed: each read is a
/// round trip to the browser's process, and many small files would otherwise wait on
/// them one at a time. The page keeps at most a few files in flight per worker, so this
/// holds at most a few of these at a time.
const PREFETCH_MAX: f64 = (4 << 20) as f64;

enum Task {
    Begin {
        job: f64,
        settings: String,
    },
    File {
        job: f64,
        file: Blob,
        name: String,
        /// A small file's bytes, asked for when the message arrived (see `PREFETCH_MAX`).
        prefetch: Option<js_sys::Promise>,
    },
    Part {
        job: f64,
        file: Blob,
        name: String,
        start: f64,
        end: f64,
        index: f64,
    },
    End {
        job: f64,
    },
    Export(Export),
}

struct Export {
    job: f64,
    settings: String,
    files: Vec<(Blob, String)>,
    parsed: String,
    rejected: String,
}

impl Task {
    fn job(&self) -> f64 {
        match self {
            Task::Begin { job, .. }
            | Task::File { job, .. }
            | Task::Part { job, .. }
            | Task::End { job } => *job,
            Task::Export(e) => e.job,
        }
    }
}

#[derive(Default)]
struct State {
    queue: VecDeque<Task>,
    running: bool,
    /// Jobs up to this number are cancelled.
    cancelled: f64,
    /// The session of the job in progress (taken out while a file is read).
    session: Option<(f64, Session<NoSink>)>,
    /// The settings of the job in progress (for the session of its byte ranges).
    settings: String,
    /// The session of the job's byte ranges (one for all of them: `Session::end_part`
    /// takes out what belongs to each range's file as a whole, which goes to the page
    /// with each range; the rest stays and goes with the job's summary).
    ranges: Option<(f64, Session<NoSink>)>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn post(v: &JsValue) {
    let _ = scope().post_message(v);
}

fn post_error(job: f64, text: &str) {
    post(&message(&[
        ("type", "error".into()),
        ("job", job.into()),
        ("message", text.into()),
    ]));
}

/// Posts a message with `bytes` as its field `field`, a `Uint8Array` whose buffer is
/// transferred, not copied.
fn post_bytes(pairs: &[(&str, JsValue)], field: &str, bytes: &[u8]) {
    let bytes = Uint8Array::from(bytes);
    let msg = message(pairs);
    let _ = Reflect::set(&msg, &field.into(), &bytes);
    let transfer = js_sys::Array::of1(&bytes.buffer());
    let _ = scope().post_message_with_transfer(&msg, &transfer);
}

/// The `file` field of a message object, when it is a `File` or `Blob`.
fn get_blob(v: &JsValue) -> Option<Blob> {
    Reflect::get(v, &"file".into())
        .ok()?
        .dyn_into::<Blob>()
        .ok()
}

/// Takes the session of `job` out of the state (None if another job's, or none).
fn take_session(job: f64) -> Option<Session<NoSink>> {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        match s.session.take() {
            Some((j, session)) if j == job => Some(session),
            other => {
                s.session = other;
                None
            }
        }
    })
}

fn is_cancelled(job: f64) -> bool {
    STATE.with(|s| job <= s.borrow().cancelled)
}

/// Starts the loop: installs the message handler, warms the engine up, then says "ready".
pub fn start() {
    let handler = Closure::<dyn FnMut(MessageEvent)>::new(|ev: MessageEvent| on_message(ev.data()));
    scope().set_onmessage(Some(handler.as_ref().unchecked_ref()));
    handler.forget();
    warm_up();
    post(&message(&[("type", "ready".into())]));
}

/// Runs the engine over a little generated log before the first file arrives. The
/// browser first runs wasm with a quick baseline compiler and optimizes what turns out
/// to be hot in the background: done here, while the person picks their files, that
/// costs a few tens of milliseconds once instead of slowing the start of their analysis.
fn warm_up() {
    // Few clients and objects and a small buffer: the memory it takes stays small, and
    // wasm memory, once grown, is never given back.
    let mut g = crate::gen::Generator::new(crate::gen::GenConfig {
        clients: 64,
        objects: 64,
        ..crate::gen::GenConfig::default()
    });
    let Ok(mut session) = Session::new(&Settings::default()) else {
        return;
    };
    session.begin_file("warm-up");
    let mut data = Vec::new();
    for _ in 0..WARM_UP_BYTES / WARM_UP_CHUNK {
        data.clear();
        g.fill(&mut data, WARM_UP_CHUNK);
        session.push(&data);
    }
    let _ = session.finish();
}

const WARM_UP_CHUNK: usize = 64 * 1024;
/// How much [`warm_up`] analyses.
const WARM_UP_BYTES: usize = 4 << 20;

fn on_message(data: JsValue) {
    let job = get_f64(&data, "job");
    let task = match get_str(&data, "type").as_str() {
        "cancel" => {
            STATE.with(|s| {
                let mut s = s.borrow_mut();
                s.cancelled = s.cancelled.max(job);
                let c = s.cancelled;
                s.queue.retain(|t| t.job() > c);
                if s.session.as_ref().is_some_and(|(j, _)| *j <= c) {
                    s.session = None;
                }
            });
            return;
        }
        "begin" => Task::Begin {
            job,
            settings: get_str(&data, "settings"),
        },
        "file" => match get_blob(&data) {
            Some(file) => Task::File {
                job,
                prefetch: (file.size() <= PREFETCH_MAX).then(|| file.array_buffer()),
                file,
                name: get_str(&data, "name"),
            },
            _ => return post_error(job, "a file message without a file"),
        },
        "part" => match get_blob(&data) {
            Some(file) => Task::Part {
                job,
                file,
                name: get_str(&data, "name"),
                start: get_f64(&data, "start"),
                end: get_f64(&data, "end"),
                index: get_f64(&data, "index"),
            },
            _ => return post_error(job, "a part message without a file"),
        },
        "end" => Task::End { job },
        "export" => {
            let mut files = Vec::new();
            let list = Reflect::get(&data, &"files".into()).unwrap_or(JsValue::UNDEFINED);
            for item in js_sys::Array::from(&list).iter() {
                match get_blob(&item) {
                    Some(file) => files.push((file, get_str(&item, "name"))),
                    _ => return post_error(job, "an export message without its files"),
                }
            }
            Task::Export(Export {
                job,
                settings: get_str(&data, "settings"),
                files,
                parsed: get_str(&data, "parsed"),
                rejected: get_str(&data, "rejected"),
            })
        }
        other => return post_error(job, &format!("unknown message type {other:?}")),
    };
    let start = STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.queue.push_back(task);
        !std::mem::replace(&mut s.running, true)
    });
    if start {
        spawn_local(run_queue());
    }
}

async fn run_queue() {
    loop {
        let Some(task) = STATE.with(|s| {
            let mut s = s.borrow_mut();
            let t = s.queue.pop_front();
            if t.is_none() {
                s.running = false;
            }
            t
        }) else {
            return;
        };
        let job = task.job();
        if is_cancelled(job) {
            continue;
        }
        if let Err(e) = run_task(task).await {
            if !is_cancelled(job) {
                post_error(job, &e);
            }
        }
    }
}

fn parse_settings(text: &str) -> Result<Settings, String> {
    if text.is_empty() {
        return Ok(Settings::default());
    }
    serde_json::from_str(text).map_err(|e| format!("the settings were not understood: {e}"))
}

async fn run_task(task: Task) -> Result<(), String> {
    match task {
        Task::Begin { job, settings } => {
            let session = Session::new(&parse_settings(&settings)?)?;
            STATE.with(|s| {
                let mut s = s.borrow_mut();
                s.session = Some((job, session));
                s.settings = settings;
                s.ranges = None;
            });
            Ok(())
        }
        Task::File {
            job,
            file,
            name,
            prefetch,
        } => {
            let Some(mut session) = take_session(job) else {
                return Err("a file arrived before its job began".into());
            };
            let mut progress = Progress::default();
            match prefetch {
                Some(bytes) => {
                    read_prefetched(&file, &name, bytes, &mut session, &mut progress).await
                }
                None => read_file(Some(job), &file, &name, &mut session, &mut progress, None).await,
            }
            progress.post(job, &session, true);
            STATE.with(|s| {
                if !is_cancelled(job) {
                    s.borrow_mut().session = Some((job, session));
                }
            });
            Ok(())
        }
        Task::Part {
            job,
            file,
            name,
            start,
            end,
            index,
        } => {
            let mut session = match STATE.with(|s| s.borrow_mut().ranges.take()) {
                Some((j, session)) if j == job => session,
                _ => {
                    let settings = STATE.with(|s| s.borrow().settings.clone());
                    Session::new(&parse_settings(&settings)?)?
                }
            };
            let cutter = RangeCutter::new(start as u64, end as u64);
            let mut progress = Progress {
                lines_reported: session.summary().lines,
                ..Progress::default()
            };
            read_file(
                Some(job),
                &file,
                &name,
                &mut session,
                &mut progress,
                Some(cutter),
            )
            .await;
            if is_cancelled(job) {
                return Ok(());
            }
            progress.part = true;
            progress.post(job, &session, true);
            let mine = session.end_part().ok_or("a range ended before it began")?;
            STATE.with(|s| s.borrow_mut().ranges = Some((job, session)));
            post_bytes(
                &[
                    ("type", "part".into()),
                    ("job", job.into()),
                    ("index", index.into()),
                    ("name", name.as_str().into()),
                ],
                "part",
                &mine.to_bytes(),
            );
            Ok(())
        }
        Task::End { job } => {
            let session = take_session(job).ok_or("the job ended before it began")?;
            let max = session.settings().reject_samples;
            let (mut summary, _) = session.finish();
            if let Some((j, ranges)) = STATE.with(|s| s.borrow_mut().ranges.take()) {
                if j == job {
                    summary.merge(ranges.finish().0, max);
                }
            }
            post_bytes(
                &[("type", "summary".into()), ("job", job.into())],
                "summary",
                &summary.to_bytes(),
            );
            Ok(())
        }
        Task::Export(e) => export(e).await,
    }
}

/// Bytes and lines not yet reported.
#[derive(Default)]
struct Progress {
    bytes: u64,
    lines_reported: u64,
    /// The reads were a part of a file (the page counts the file when all parts are in).
    part: bool,
}

impl Progress {
    fn post<S: Sink>(&mut self, job: f64, session: &Session<S>, file_done: bool) {
        let lines = session.summary().lines;
        post(&message(&[
            ("type", "progress".into()),
            ("job", job.into()),
            ("bytes", (self.bytes as f64).into()),
            ("lines", ((lines - self.lines_reported) as f64).into()),
            ("file_done", file_done.into()),
            ("part", self.part.into()),
        ]));
        self.bytes = 0;
        self.lines_reported = lines;
    }
}

/// Streams a `File` (or any `Blob`) through the session as one input file, as the
/// workers do: `File.stream()`, never read whole.
pub async fn stream_blob<S: Sink>(blob: &Blob, name: &str, session: &mut Session<S>) {
    read_file(None, blob, name, session, &mut Progress::default(), None).await;
}

/// Streams the byte range `[start, end)` of a plain file, cut at line boundaries, through
/// a session as one part of that file (see `Session::begin_part`).
pub async fn stream_part<S: Sink>(
    blob: &Blob,
    name: &str,
    start: u64,
    end: u64,
    session: &mut Session<S>,
) {
    let cutter = RangeCutter::new(start, end);
    read_file(
        None,
        blob,
        name,
        session,
        &mut Progress::default(),
        Some(cutter),
    )
    .await;
}

/// Streams one file through the session (`File.stream()`: never read whole). A read
/// error (the file was moved or changed while being read) becomes a note on the file.
/// With a job, stops when it is cancelled and posts progress. With a cutter, reads one
/// byte range as a part of the file and leaves the part open (for `Session::end_part`).
async fn read_file<S: Sink>(
    job: Option<f64>,
    file: &Blob,
    name: &str,
    session: &mut Session<S>,
    progress: &mut Progress,
    mut cutter: Option<RangeCutter>,
) {
    let stream = match &cutter {
        Some(c) => {
            session.begin_part(name);
            match file.slice_with_f64(c.read_from() as f64) {
                Ok(b) => b.stream(),
                Err(e) => {
                    session.read_error(&js_error_text(&e));
                    return;
                }
            }
        }
        None => {
            session.begin_file(name);
            session.file_size(file.size() as u64);
            file.stream()
        }
    };
    let mut reader = Reader::new(&stream);
    let mut buf = Vec::new();
    let mut read = 0u64;
    loop {
        let result = reader.next().await;
        if job.is_some_and(is_cancelled) {
            reader.cancel();
            return;
        }
        let value = match result {
            Ok(Some(v)) => v,
            Ok(None) => {
                // A file that shrank under the reader can end early without an error.
                let size = file.size() as u64;
                if cutter.is_none() && read != size {
                    session.read_error(&short_read(read, size));
                }
                break;
            }
            Err(e) => {
                session.read_error(&stopped_reading(&e));
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
        session.push(owned);
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
        session.end_file();
    }
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
async fn read_prefetched<S: Sink>(
    file: &Blob,
    name: &str,
    bytes: js_sys::Promise,
    session: &mut Session<S>,
    progress: &mut Progress,
) {
    session.begin_file(name);
    let size = file.size() as u64;
    session.file_size(size);
    match JsFuture::from(bytes).await {
        Ok(buffer) => {
            let data = Uint8Array::new(&buffer).to_vec();
            session.push(&data);
            progress.bytes += data.len() as u64;
            if data.len() as u64 != size {
                session.read_error(&short_read(data.len() as u64, size));
            }
        }
        Err(e) => session.read_error(&stopped_reading(&e)),
    }
    session.end_file();
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

/// Writes into a file of the origin-private file system through a sync access handle
/// (dedicated workers only; Chromium, Firefox and Safari have it).
struct OpfsWriter {
    handle: FileSystemSyncAccessHandle,
    at: f64,
}

impl Write for OpfsWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let opts = FileSystemReadWriteOptions::new();
        opts.set_at(self.at);
        let n = self
            .handle
            .write_with_u8_array_and_options(buf, &opts)
            .map_err(|e| io::Error::other(js_error_text(&e)))?;
        self.at += n;
        Ok(n as usize)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.handle
            .flush()
            .map_err(|e| io::Error::other(js_error_text(&e)))
    }
}

async fn opfs_file(name: &str) -> Result<OpfsWriter, String> {
    let storage = scope().navigator().storage();
    let root: FileSystemDirectoryHandle = JsFuture::from(storage.get_directory())
        .await
        .map_err(|e| {
            format!(
                "no private file system for the export: {}",
                js_error_text(&e)
            )
        })?
        .unchecked_into();
    let opts = FileSystemGetFileOptions::new();
    opts.set_create(true);
    let file: FileSystemFileHandle = JsFuture::from(root.get_file_handle_with_options(name, &opts))
        .await
        .map_err(|e| js_error_text(&e))?
        .unchecked_into();
    let handle: FileSystemSyncAccessHandle = JsFuture::from(file.create_sync_access_handle())
        .await
        .map_err(|e| js_error_text(&e))?
        .unchecked_into();
    handle
        .truncate_with_f64(0.0)
        .map_err(|e| js_error_text(&e))?;
    Ok(OpfsWriter { handle, at: 0.0 })
}

async fn export(e: Export) -> Result<(), String> {
    let settings = parse_settings(&e.settings)?;
    let parsed = opfs_file(&e.parsed).await?;
    let rejected = match opfs_file(&e.rejected).await {
        Ok(r) => r,
        Err(err) => {
            parsed.handle.close();
            return Err(err);
        }
    };
    let (ph, rh) = (parsed.handle.clone(), rejected.handle.clone());
    let close = || {
        ph.close();
        rh.close();
    };
    let sink = FileSink::new(
        BufWriter::with_capacity(1 << 20, parsed),
        BufWriter::with_capacity(1 << 20, rejected),
        Anonymize::None,
    );
    let sink = match sink {
        Ok(s) => s,
        Err(err) => {
            close();
            return Err(err.to_string());
        }
    };
    let mut session = match Session::with_sink(&settings, sink) {
        Ok(s) => s,
        Err(err) => {
            close();
            return Err(err);
        }
    };
    let mut progress = Progress::default();
    for (file, name) in &e.files {
        read_file(Some(e.job), file, name, &mut session, &mut progress, None).await;
        if is_cancelled(e.job) {
            close();
            return Ok(());
        }
        progress.post(e.job, &session, true);
    }
    let (_, mut sink) = session.finish();
    let flushed = sink.flush();
    drop(sink);
    close();
    flushed.map_err(|err| format!("writing the export: {err}"))?;
    post(&message(&[
        ("type", "exported".into()),
        ("job", e.job.into()),
    ]));
    Ok(())
}
