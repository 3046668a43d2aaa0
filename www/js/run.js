// A run: the files dealt out to the workers (whole, or in byte ranges for a big plain
// file), the workers' answers merged into the engine's Analysis, progress, cancel.
// Also the export run, which streams the row exports in one worker.

import { el, setState, text } from './dom.js';
import { count, duration, plural, ranges, size } from './format.js';
import { broadcast } from './pool.js';
import { remember } from './remember.js';
import { render } from './render.js';
import { nextJob, settle, state } from './state.js';

// Files per worker at a time: the next read is queued while one is parsed. Small files
// (the worker reads them whole as soon as they arrive) go up to IN_FLIGHT_SMALL at a time:
// each read is a round trip to the browser's process, and they overlap.
const IN_FLIGHT = 2;
const IN_FLIGHT_SMALL = 8;

/** Analyses the files (all of them when `fresh`, else only those added since the last run). */
export function startRun(fresh) {
  const { wasm, pool } = state;
  if (!wasm || pool.length === 0 || !el.body.dataset.ready) return; // main() starts it once ready
  if (state.run) cancelRun(false);
  clearTimeout(state.cancelTimer);
  const anew = fresh || !state.analysis;
  const queue = state.files.slice(anew ? 0 : state.analysedCount);
  if (queue.length === 0) return;
  // Adding files merges into what is there (files of this visit, or a remembered analysis).
  const target = anew ? new wasm.Analysis(JSON.stringify(state.settings)) : state.analysis;
  const job = nextJob();
  // Big files first, so the pool does not wait on one big file at the end.
  const order = queue.slice().sort((a, b) => b.size - a.size);
  const run = {
    kind: 'analyse', job, queue: [], next: 0, analysis: target, upTo: state.files.length, split: new Map(),
    bytes: 0, lines: 0, filesDone: 0, summaries: 0, ending: false, mergeMs: 0,
    totalBytes: queue.reduce((s, f) => s + f.size, 0), totalFiles: queue.length,
    started: performance.now(), small: wasm.small_file_bytes(), files: queue, unread: new Set(), skipped: fresh ? 0 : state.skipped || 0,
  };
  el.body.dataset.filesRead = String(queue.length); // for tests: the files this run reads
  state.run = run;
  setState('running');
  el.cancel.hidden = false;
  el.progress.hidden = false;
  text(el.statusText, `Analysing ${plural(queue.length, 'file')}…`);
  for (const s of pool) s.inFlight = 0;
  broadcast({ type: 'begin', job, settings: JSON.stringify(state.settings) });
  plan(order, run).then((items) => {
    if (state.run !== run) return;
    run.queue = items;
    run.planned = true;
    el.body.dataset.parts = String(items.filter((i) => i.part).length); // for tests: ranges in this run
    for (const s of pool) dispatch(s);
    // The address tables are unpacked while the workers read (this thread waits anyway),
    // not when the report is due.
    setTimeout(() => wasm.prepare_tables(), 0);
  }).catch((e) => { if (state.run === run) fail(e.message || String(e)); });
  showProgress();
}

// The work items: whole files, and byte ranges of big plain files (the engine's cut,
// the same as the CLI's).
async function plan(order, run) {
  const items = [];
  for (const item of order) {
    // An object of a bucket is read whole by one worker, as the CLI reads it.
    if (item.s3) {
      items.push(item);
      continue;
    }
    const cuts = ranges(state.wasm.split_ranges(item.file.size, state.pool.length));
    if (cuts.length > 0 && await splittable(item.file)) {
      run.split.set(item.name, { count: cuts.length, done: 0 });
      for (const part of cuts) items.push({ file: item.file, name: item.name, part });
    } else {
      items.push(item);
    }
  }
  return items;
}

// Plain text by its first bytes, as the engine decides: gzip, zip and binary files are
// read whole by one worker, so that they are decoded or refused exactly as the CLI does.
async function splittable(file) {
  const head = new Uint8Array(await file.slice(0, state.wasm.split_sniff_bytes()).arrayBuffer());
  return state.wasm.can_split(head);
}

function dispatch(slot) {
  const run = state.run;
  if (!run || !run.planned || run.kind !== 'analyse') return;
  const small = (item) => !item.part && item.size <= run.small;
  while (run.next < run.queue.length
    && (slot.inFlight < IN_FLIGHT || (slot.inFlight < IN_FLIGHT_SMALL && small(run.queue[run.next])))) {
    const item = run.queue[run.next++];
    slot.inFlight++;
    if (item.s3) {
      // Signed now, with the keys only this thread holds: the worker gets a URL for one object.
      slot.worker.postMessage({ type: 'url', job: run.job, name: item.name, url: item.s3.get_url(item.name), size: item.size });
    } else if (item.part) {
      slot.worker.postMessage({ type: 'part', job: run.job, file: item.file, name: item.name, ...item.part });
    } else {
      slot.worker.postMessage({ type: 'file', job: run.job, file: item.file, name: item.name });
    }
  }
  if (run.next >= run.queue.length && state.pool.every((s) => s.inFlight === 0) && !run.ending) {
    run.ending = true;
    broadcast({ type: 'end', job: run.job });
  }
}

/** What a worker posts (see src/web/worker/protocol.rs). */
export function onWorkerMessage(slot, msg) {
  // A message the worker could not understand is a bug, shown whatever the run.
  if (msg && msg.type === 'error' && msg.job == null) {
    fail(msg.message);
    return;
  }
  const run = state.run;
  if (!msg || !run || msg.job !== run.job) return; // an old, cancelled job
  switch (msg.type) {
    case 'progress':
      run.bytes += msg.bytes;
      run.lines += msg.lines;
      if (msg.unread) run.unread.add(msg.unread);
      if (msg.file_done) {
        if (!msg.part) run.filesDone++;
        if (run.kind === 'analyse') {
          slot.inFlight--;
          dispatch(slot);
        }
      }
      scheduleProgress();
      break;
    case 'summary':
      // Merged as they arrive into the run's pending summary, which is added to the
      // analysis when every worker has answered (a cancelled run leaves nothing half-merged).
      if (!merge(() => run.analysis.add(msg.summary))) break;
      if (++run.summaries === state.pool.length) finishRun();
      break;
    case 'part': {
      const whole = run.split.get(msg.name);
      if (!merge(() => run.analysis.add_part(msg.name, msg.index, whole.count, msg.part))) break;
      whole.done++;
      if (whole.done === whole.count) run.filesDone++;
      scheduleProgress();
      break;
    }
    case 'exported':
      run.resolve();
      break;
    case 'error':
      if (run.kind === 'export') run.reject(new Error(msg.message));
      else fail(msg.message);
      break;
    default:
      break;
  }
}

// Merges a worker's result into the run; on failure, says so and ends the run.
function merge(f) {
  const t0 = performance.now();
  try {
    f();
    state.run.mergeMs += performance.now() - t0;
    return true;
  } catch (e) {
    fail(`A worker's result could not be merged: ${e.message || e}`);
    return false;
  }
}

function finishRun() {
  const r = state.run;
  state.run = null;
  const t0 = performance.now();
  try {
    r.analysis.commit();
    // A file that could not be read at all (an object refused, or the connection lost) is
    // not counted as read: the next run reads it.
    const read = r.files.filter((f) => !r.unread.has(f.name));
    r.analysis.count_files(read.map((f) => f.name), read.map((f) => f.size));
  } catch (e) {
    if (r.analysis !== state.analysis) r.analysis.free();
    state.analysis = null;
    state.analysedCount = 0;
    fail(`A worker's result could not be merged: ${e.message || e}`);
    return;
  }
  if (r.unread.size > 0) {
    state.files = state.files.filter((f) => !r.unread.has(f.name) || !r.files.includes(f));
    r.upTo -= r.unread.size;
  }
  state.analysis = r.analysis;
  state.analysedCount = r.upTo;
  state.exported = null;
  el.cancel.hidden = true;
  el.progress.hidden = true;
  const t1 = performance.now();
  try {
    render();
  } catch (e) {
    fail(`The results could not be shown: ${e.message || e}`);
    return;
  }
  const t2 = performance.now();
  const secs = (t2 - r.started) / 1000;
  // For the benchmark: files in to results shown, and the page thread's share of it.
  el.body.dataset.seconds = String(secs);
  el.body.dataset.mergeSeconds = String((r.mergeMs + t1 - t0) / 1000);
  el.body.dataset.renderSeconds = String((t2 - t1) / 1000);
  const unread = r.unread.size > 0
    ? ` ${plural(r.unread.size, 'file')} could not be read (see "Files with a problem"): the next run reads ${r.unread.size === 1 ? 'it' : 'them'}.` : '';
  text(el.statusText, (r.skipped > 0
    ? `Done: ${plural(r.totalFiles, 'new file')} read; ${plural(r.skipped, 'file')} already counted, skipped.`
    : `Done: ${plural(state.analysis.file_count(), 'file')} analysed.`) + unread);
  text(el.progressText, `${size(r.totalBytes)} in ${secs.toFixed(1)} s (${size(r.totalBytes / Math.max(secs, 1e-3))}/s).`);
  setState('done');
  settle();
  remember(r.files);
}

/** Stops the run in progress; `byUser` when the person pressed Cancel. */
export function cancelRun(byUser) {
  const r = state.run;
  if (!r) return;
  state.run = null;
  for (const s of state.pool) s.inFlight = 0;
  broadcast({ type: 'cancel', job: r.job });
  if (r.kind === 'export') r.reject(new Error('cancelled'));
  if (r.kind === 'analyse') {
    if (r.analysis !== state.analysis) r.analysis.free();
    else r.analysis.discard();
    // The files of a cancelled run are set aside: the next run does not read them again.
    if (byUser) state.files = state.files.slice(0, state.analysedCount);
  }
  el.cancel.hidden = true;
  el.progress.hidden = true;
  if (byUser) {
    text(el.statusText, r.kind === 'analyse'
      ? 'Cancelled: the files of that run were set aside. Drop or choose files to run again.'
      : 'Cancelled.');
    text(el.progressText, '');
    setState('cancelled');
    state.cancelTimer = setTimeout(() => { if (!state.run) setState(state.analysis ? 'done' : 'idle'); }, 1000);
  }
  settle();
}

/** Ends any run and says what went wrong. */
export function fail(message) {
  if (state.run) cancelRun(false);
  text(el.statusText, `Something went wrong: ${message}`);
  setState('error');
  settle();
}

/**
 * Runs the row exports in the first worker: `parsed_output.csv` and `rejected_lines.txt`
 * streamed into the private file system under the names `namesFor(job)` gives, over
 * `files` in order. Resolves to those names.
 */
export function exportRun(files, namesFor) {
  const job = nextJob();
  const names = namesFor(job);
  setState('running');
  el.cancel.hidden = false;
  el.progress.hidden = false;
  text(el.statusText, 'Writing parsed_output.csv and rejected_lines.txt…');
  return new Promise((resolve, reject) => {
    state.run = {
      kind: 'export', job, resolve, reject, bytes: 0, lines: 0, filesDone: 0,
      totalBytes: files.reduce((s, f) => s + f.size, 0), totalFiles: files.length,
      started: performance.now(),
    };
    state.pool[0].worker.postMessage({
      type: 'export', job, settings: JSON.stringify(state.settings),
      files: files.map((f) => ({ file: f.file, name: f.name })), parsed: names.csv, rejected: names.txt,
    });
  }).then(() => names).finally(() => {
    if (state.run && state.run.job === job) state.run = null;
    el.cancel.hidden = true;
    el.progress.hidden = true;
    setState(state.analysis ? 'done' : 'idle');
    settle();
  });
}

let progressPending = false;
function scheduleProgress() {
  if (progressPending) return;
  progressPending = true;
  requestAnimationFrame(() => { progressPending = false; showProgress(); });
}

function showProgress() {
  const run = state.run;
  if (!run) return;
  const secs = (performance.now() - run.started) / 1000;
  const rate = run.bytes / Math.max(secs, 1e-3);
  el.progress.value = run.totalBytes > 0 ? Math.min(run.bytes / run.totalBytes, 1) : 0;
  const left = rate > 0 ? (run.totalBytes - run.bytes) / rate : Infinity;
  text(el.progressText,
    `${size(run.bytes)} of ${size(run.totalBytes)} · ${count(run.lines)} lines · ` +
    `${run.filesDone} of ${run.totalFiles} files · ${size(rate)}/s · ${duration(left)} left`);
}
