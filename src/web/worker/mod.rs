//! A Web Worker's message loop. The messages are typed in [`protocol`]; for one job the
//! page sends `begin`, then `file`s (the `File` itself: no copy) and `part`s (byte ranges
//! of a big plain file, each answered with what the range says about its file as a
//! whole) and `url`s (an object of a log bucket, fetched by the worker from a URL the
//! page presigned), then `end`, answered with the job's summary; or one `export`; `cancel` drops
//! a job. The worker posts `ready` once, then `progress`, `part`, `summary`, `exported`
//! and `error` replies.
//!
//! - [`protocol`]: the messages, decoded and checked;
//! - [`read`]: a `File` through a session (streamed, or read whole when small);
//! - `opfs`: the row exports written into the origin-private file system.

mod opfs;
pub mod protocol;
pub mod read;

pub use read::{stream_blob, stream_part};

use crate::range::RangeCutter;
use crate::session::{NoSink, Session};
use crate::settings::Settings;
use protocol::{decode, post, post_bytes, Incoming, Message, Reply, SMALL_FILE_BYTES};
use read::{read_file, read_prefetched, read_url, Progress};
use std::cell::RefCell;
use std::collections::VecDeque;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Blob, DedicatedWorkerGlobalScope, MessageEvent};

/// A message waiting its turn, with its `File`s.
struct Task {
    message: Message,
    files: Vec<Blob>,
    /// A small file's bytes, asked for when its message arrived (see
    /// [`SMALL_FILE_BYTES`]).
    prefetch: Option<js_sys::Promise>,
}

impl Task {
    fn new(incoming: Incoming) -> Task {
        let prefetch = match (&incoming.message, incoming.files.first()) {
            (Message::File { .. }, Some(file)) if file.size() <= SMALL_FILE_BYTES as f64 => {
                Some(file.array_buffer())
            }
            // An object of a bucket: its request goes out now.
            (Message::Url { url, .. }, _) => Some(scope().fetch_with_str(url)),
            _ => None,
        };
        Task {
            message: incoming.message,
            files: incoming.files,
            prefetch,
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

fn post_error(job: Option<f64>, text: &str) {
    post(&Reply::Error {
        job,
        message: text.to_string(),
    });
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
    post(&Reply::Ready);
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
        let _ = session.push(&data);
    }
    let _ = session.finish();
}

const WARM_UP_CHUNK: usize = 64 * 1024;
/// How much [`warm_up`] analyses.
const WARM_UP_BYTES: usize = 4 << 20;

fn on_message(data: JsValue) {
    let incoming = match decode(&data) {
        Ok(m) => m,
        // Not understood: a bug on the page's side, shown there whatever job it is in.
        Err(e) => return post_error(None, &e),
    };
    if let Message::Cancel { job } = incoming.message {
        STATE.with(|s| {
            let mut s = s.borrow_mut();
            s.cancelled = s.cancelled.max(job);
            let c = s.cancelled;
            s.queue.retain(|t| t.message.job() > c);
            if s.session.as_ref().is_some_and(|(j, _)| *j <= c) {
                s.session = None;
            }
        });
        return;
    }
    let task = Task::new(incoming);
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
        let job = task.message.job();
        if is_cancelled(job) {
            continue;
        }
        if let Err(e) = run_task(task).await {
            if !is_cancelled(job) {
                post_error(Some(job), &e);
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

/// A session without a sink cannot fail; this says so where its results are read.
const NO_SINK: &str = "a session without a sink does not fail";

async fn run_task(task: Task) -> Result<(), String> {
    let Task {
        message,
        files,
        prefetch,
    } = task;
    let mut files = files.into_iter();
    match message {
        Message::Begin { job, settings } => {
            let session = Session::new(&parse_settings(&settings)?)?;
            STATE.with(|s| {
                let mut s = s.borrow_mut();
                s.session = Some((job, session));
                s.settings = settings;
                s.ranges = None;
            });
            Ok(())
        }
        Message::File { job, name } => {
            let file = files.next().ok_or("a file message without its file")?;
            let Some(mut session) = take_session(job) else {
                return Err("a file arrived before its job began".into());
            };
            let mut progress = Progress::default();
            let read = match prefetch {
                Some(bytes) => {
                    read_prefetched(&file, &name, bytes, &mut session, &mut progress).await
                }
                None => read_file(Some(job), &file, &name, &mut session, &mut progress, None).await,
            };
            read.expect(NO_SINK);
            progress.post(job, &session, true);
            STATE.with(|s| {
                if !is_cancelled(job) {
                    s.borrow_mut().session = Some((job, session));
                }
            });
            Ok(())
        }
        Message::Url {
            job,
            name,
            url,
            size,
        } => {
            let Some(mut session) = take_session(job) else {
                return Err("an object arrived before its job began".into());
            };
            let fetched = prefetch.unwrap_or_else(|| scope().fetch_with_str(&url));
            let mut progress = Progress::default();
            read_url(
                job,
                fetched,
                &name,
                size as u64,
                &mut session,
                &mut progress,
            )
            .await
            .expect(NO_SINK);
            progress.post(job, &session, true);
            STATE.with(|s| {
                if !is_cancelled(job) {
                    s.borrow_mut().session = Some((job, session));
                }
            });
            Ok(())
        }
        Message::Part {
            job,
            name,
            start,
            end,
            index,
        } => {
            let file = files.next().ok_or("a part message without its file")?;
            let mut session = match STATE.with(|s| s.borrow_mut().ranges.take()) {
                Some((j, session)) if j == job => session,
                _ => {
                    let settings = STATE.with(|s| s.borrow().settings.clone());
                    Session::new(&parse_settings(&settings)?)?
                }
            };
            let cutter = RangeCutter::new(start as u64, end as u64);
            let mut progress = Progress {
                lines_reported: session.summary().read.lines,
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
            .await
            .expect(NO_SINK);
            if is_cancelled(job) {
                return Ok(());
            }
            progress.part = true;
            progress.post(job, &session, true);
            let mine = session
                .end_part()
                .expect(NO_SINK)
                .ok_or("a range ended before it began")?;
            STATE.with(|s| s.borrow_mut().ranges = Some((job, session)));
            post_bytes(&Reply::Part { job, index, name }, "part", &mine.to_bytes());
            Ok(())
        }
        Message::End { job } => {
            let session = take_session(job).ok_or("the job ended before it began")?;
            let max = session.settings().reject_samples;
            let (mut summary, _) = session.finish().expect(NO_SINK);
            if let Some((j, ranges)) = STATE.with(|s| s.borrow_mut().ranges.take()) {
                if j == job {
                    summary.merge(ranges.finish().expect(NO_SINK).0, max);
                }
            }
            post_bytes(&Reply::Summary { job }, "summary", &summary.to_bytes());
            Ok(())
        }
        Message::Export {
            job,
            settings,
            files: names,
            parsed,
            rejected,
        } => {
            let files = files.zip(names.into_iter().map(|n| n.name)).collect();
            opfs::export(opfs::Export {
                job,
                settings,
                files,
                parsed,
                rejected,
            })
            .await
        }
        // Acted on when it arrives.
        Message::Cancel { .. } => Ok(()),
    }
}
