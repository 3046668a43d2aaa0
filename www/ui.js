// s3logdrop's page script: the DOM, the worker pool, downloads. The engine (wasm) does
// the parsing and counting: in Web Workers for the logs, on this thread for merging the
// workers' partial summaries and drawing the chart.
//
// Log text comes from strangers: it only ever reaches the page through textContent.

const script = document.querySelector('script[data-app-js]');
const base = new URL('.', script ? script.src : document.baseURI);
const SETTINGS_KEY = 's3logdrop.settings.v1';
// Files per worker at a time: the next read is queued while one is parsed. Small files
// (the worker reads them whole as soon as they arrive) go up to IN_FLIGHT_SMALL at a time:
// each read is a round trip to the browser's process, and they overlap.
const IN_FLIGHT = 2;
const IN_FLIGHT_SMALL = 8;
const SMALL_FILE = 4 * 1024 * 1024; // the worker's PREFETCH_MAX
// A plain file at least this big is cut into byte ranges (at line boundaries) so that all
// workers share it; gzip cannot be cut, it goes to one worker.
const SPLIT_MIN = 64 * 1024 * 1024;
const PART_MIN = 32 * 1024 * 1024;

const $ = (id) => document.getElementById(id);
const el = {
  body: document.body,
  drop: $('drop-zone'),
  fileInput: $('file-input'),
  folderInput: $('folder-input'),
  sample: $('sample-button'),
  clear: $('clear-button'),
  statusText: $('status-text'),
  progress: $('progress'),
  progressText: $('progress-text'),
  cancel: $('cancel-button'),
  support: $('support'),
  form: $('settings'),
  settingsError: $('settings-error'),
  reset: $('reset-settings'),
  results: $('results'),
  summary: $('summary'),
  removed: $('removed'),
  notes: $('file-notes'),
  chart: $('chart'),
  showBytes: $('show-bytes'),
  weekly: $('weekly-table').querySelector('tbody'),
  objects: $('top-objects').querySelector('tbody'),
  prefixes: $('top-prefixes').querySelector('tbody'),
  objectsNote: $('objects-note'),
  rejects: $('rejects'),
  exportStatus: $('export-status'),
};

let wasm = null; // the main-thread bindings
let pool = []; // {worker, ready, inFlight}
let files = []; // {file, name}, sorted by name, what the analysis covers
let analysis = null; // wasm Analysis of the last finished run
let analysedCount = 0; // how many of `files` the finished analysis covers
let run = null; // the run in progress
let jobCounter = 0;
let settings = null; // current settings object
let exported = null; // {job, key, names: {csv, txt}} the row exports written for this analysis
let cancelTimer = null;
let idleWaiters = []; // resolved when no run is in progress (see whenIdle)

// ---------- helpers ----------

function setState(state) {
  el.body.dataset.state = state;
}

function text(node, value) {
  node.textContent = value;
  return node;
}

function make(tag, value, cls) {
  const n = document.createElement(tag);
  if (value !== undefined && value !== null) n.textContent = String(value);
  if (cls) n.className = cls;
  return n;
}

function human(bytes) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

function duration(seconds) {
  if (!isFinite(seconds) || seconds < 0) return '…';
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  const m = Math.floor(seconds / 60);
  return `${m} min ${Math.round(seconds - m * 60)} s`;
}

// Compares names by code point, which is the byte order of their UTF-8 (the CLI's order).
function byCodePoint(a, b) {
  const x = a.name;
  const y = b.name;
  let i = 0;
  let j = 0;
  while (i < x.length && j < y.length) {
    const c = x.codePointAt(i);
    const d = y.codePointAt(j);
    if (c !== d) return c < d ? -1 : 1;
    i += c > 0xffff ? 2 : 1;
    j += d > 0xffff ? 2 : 1;
  }
  return (x.length - i) - (y.length - j);
}

function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

// A download asked for while a run is in progress (a settings field re-runs the analysis
// when it loses focus to the download button) waits for the run instead of being lost.
function whenIdle() {
  return run ? new Promise((resolve) => idleWaiters.push(resolve)) : Promise.resolve();
}

function settle() {
  if (run) return;
  const waiters = idleWaiters;
  idleWaiters = [];
  for (const w of waiters) w();
}

// ---------- settings ----------

function loadSettings() {
  const defaults = JSON.parse(wasm.default_settings());
  let saved = null;
  try {
    saved = JSON.parse(localStorage.getItem(SETTINGS_KEY) || 'null');
  } catch (_) { saved = null; }
  if (saved && typeof saved === 'object') {
    const merged = { ...defaults, ...saved };
    try {
      return JSON.parse(wasm.check_settings(JSON.stringify(merged)));
    } catch (_) { /* stale or broken: defaults */ }
  }
  return defaults;
}

function fillForm(s) {
  const f = el.form.elements;
  for (const name of ['include_website', 'include_206', 'require_sizes', 'exclude_aws_internal']) {
    f[name].checked = !!s[name];
  }
  f.bots.value = s.bots;
  f.exclude_ips.value = (s.exclude_ips || []).join('\n');
  f.since.value = s.since || '';
  f.until.value = s.until || '';
  f.prefix.value = s.prefix || '';
  f.prefix_segments.value = s.prefix_segments;
  f.max_line_bytes.value = s.max_line_bytes;
  f.max_inflated_bytes.value = s.max_inflated_bytes;
  f.max_inflate_ratio.value = s.max_inflate_ratio;
}

function readForm() {
  const f = el.form.elements;
  const num = (name, zero = false) => {
    const v = Number(f[name].value);
    return Number.isFinite(v) && (v > 0 || (zero && v === 0)) ? Math.floor(v) : settings[name];
  };
  return {
    ...settings,
    include_website: f.include_website.checked,
    include_206: f.include_206.checked,
    require_sizes: f.require_sizes.checked,
    exclude_aws_internal: f.exclude_aws_internal.checked,
    bots: f.bots.value,
    exclude_ips: f.exclude_ips.value.split(/[\s,]+/).filter((x) => x.length > 0),
    since: f.since.value || null,
    until: f.until.value || null,
    prefix: f.prefix.value || null,
    prefix_segments: num('prefix_segments'),
    max_line_bytes: num('max_line_bytes'),
    max_inflated_bytes: num('max_inflated_bytes'),
    max_inflate_ratio: num('max_inflate_ratio', true),
  };
}

function onSettingsChange() {
  if (!wasm) return;
  const next = readForm();
  let checked;
  try {
    checked = JSON.parse(wasm.check_settings(JSON.stringify(next)));
  } catch (e) {
    el.settingsError.hidden = false;
    text(el.settingsError, `Not applied: ${e.message || e}`);
    return;
  }
  el.settingsError.hidden = true;
  settings = checked;
  try { localStorage.setItem(SETTINGS_KEY, JSON.stringify(settings)); } catch (_) { /* private mode */ }
  if (files.length > 0) startRun(true);
}

// ---------- the worker pool ----------

async function startWorkers() {
  // ?workers=N sets the pool size (benchmarks compare one worker with all).
  const asked = Number(new URLSearchParams(location.search).get('workers'));
  const n = asked >= 1 && asked <= 64 ? Math.floor(asked) : Math.max(1, Math.min(navigator.hardwareConcurrency || 2, 8));
  const url = new URL('worker-boot.js', base);
  // The engine is compiled once, here, and the module posted to every worker.
  const module = await compileWorkerModule();
  const readies = [];
  for (let i = 0; i < n; i++) {
    const worker = new Worker(url);
    const slot = { worker, inFlight: 0, index: i };
    readies.push(new Promise((resolve, reject) => {
      worker.onmessage = (ev) => {
        if (ev.data && ev.data.type === 'ready') {
          worker.onmessage = (e) => onWorkerMessage(slot, e.data);
          resolve();
        } else if (ev.data && ev.data.type === 'error') {
          reject(new Error(ev.data.message));
        }
      };
      worker.onerror = (ev) => reject(new Error(ev.message || 'the worker failed to start'));
    }));
    worker.postMessage({ type: 'module', module });
    pool.push(slot);
  }
  return Promise.all(readies);
}

async function compileWorkerModule() {
  const wasmUrl = new URL('worker_bg.wasm', base);
  const response = await fetch(wasmUrl);
  if (!response.ok) throw new Error(`${wasmUrl.pathname}: HTTP ${response.status}`);
  // compileStreaming needs the application/wasm type; a server that sends another one
  // still works through the slower path.
  if (WebAssembly.compileStreaming && (response.headers.get('content-type') || '').startsWith('application/wasm')) {
    return WebAssembly.compileStreaming(response);
  }
  return WebAssembly.compile(await response.arrayBuffer());
}

function onWorkerMessage(slot, msg) {
  if (!msg || !run || msg.job !== run.job) return; // an old, cancelled job
  switch (msg.type) {
    case 'progress':
      run.bytes += msg.bytes;
      run.lines += msg.lines;
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
      if (++run.summaries === pool.length) finishRun();
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

function dispatch(slot) {
  if (!run || !run.planned) return;
  const small = (item) => !item.part && item.file.size <= SMALL_FILE;
  while (run && run.kind === 'analyse' && run.next < run.queue.length
    && (slot.inFlight < IN_FLIGHT || (slot.inFlight < IN_FLIGHT_SMALL && small(run.queue[run.next])))) {
    const item = run.queue[run.next++];
    slot.inFlight++;
    if (item.part) {
      slot.worker.postMessage({ type: 'part', job: run.job, file: item.file, name: item.name, ...item.part });
    } else {
      slot.worker.postMessage({ type: 'file', job: run.job, file: item.file, name: item.name });
    }
  }
  if (run && run.kind === 'analyse' && run.next >= run.queue.length && pool.every((s) => s.inFlight === 0) && !run.ending) {
    run.ending = true;
    for (const s of pool) s.worker.postMessage({ type: 'end', job: run.job });
  }
}

// ---------- runs ----------

// Analyses `files` (all of them when `fresh`, else only those added since the last run).
function startRun(fresh) {
  if (!wasm || pool.length === 0 || !el.body.dataset.ready) return; // main() starts it once ready
  if (run) cancelRun(false);
  clearTimeout(cancelTimer);
  const from = fresh || !analysis ? 0 : analysedCount;
  const queue = files.slice(from);
  if (queue.length === 0) return;
  let target;
  if (from === 0) {
    target = new wasm.Analysis(JSON.stringify(settings));
  } else {
    target = analysis; // adding files: merge into what is there
  }
  const job = ++jobCounter;
  // Big files first, so the pool does not wait on one big file at the end.
  const order = queue.slice().sort((a, b) => b.file.size - a.file.size);
  run = {
    kind: 'analyse', job, queue: [], next: 0, analysis: target, upTo: files.length, split: new Map(),
    bytes: 0, lines: 0, filesDone: 0, summaries: 0, ending: false, mergeMs: 0,
    totalBytes: queue.reduce((s, f) => s + f.file.size, 0), totalFiles: queue.length,
    started: performance.now(),
  };
  setState('running');
  el.cancel.hidden = false;
  el.progress.hidden = false;
  text(el.statusText, `Analysing ${queue.length} file${queue.length === 1 ? '' : 's'}…`);
  for (const s of pool) {
    s.inFlight = 0;
    s.worker.postMessage({ type: 'begin', job, settings: JSON.stringify(settings) });
  }
  const r = run;
  plan(order, r).then((items) => {
    if (run !== r) return;
    r.queue = items;
    r.planned = true;
    el.body.dataset.parts = String(items.filter((i) => i.part).length); // for tests: ranges in this run
    for (const s of pool) dispatch(s);
  }).catch((e) => { if (run === r) fail(e.message || String(e)); });
  showProgress();
}

// The work items: whole files, and byte ranges of big plain files.
async function plan(order, r) {
  const items = [];
  for (const item of order) {
    const size = item.file.size;
    if (pool.length > 1 && size >= SPLIT_MIN && await splittable(item.file)) {
      let n = Math.min(pool.length * 4, Math.floor(size / PART_MIN));
      n = Math.max(n, 2);
      r.split.set(item.name, { count: n, done: 0 });
      for (let i = 0; i < n; i++) {
        const start = Math.floor(size * i / n);
        const end = Math.floor(size * (i + 1) / n);
        items.push({ file: item.file, name: item.name, part: { start, end, index: i } });
      }
    } else {
      items.push(item);
    }
  }
  return items;
}

// Plain text by its first bytes, as the engine decides: gzip, zip and binary files are
// read whole by one worker, so that they are decoded or refused exactly as the CLI does.
async function splittable(file) {
  const head = new Uint8Array(await file.slice(0, wasm.split_sniff_bytes()).arrayBuffer());
  return wasm.can_split(head);
}

// Merges a worker's result into the run; on failure, says so and ends the run.
function merge(f) {
  const t0 = performance.now();
  try {
    f();
    run.mergeMs += performance.now() - t0;
    return true;
  } catch (e) {
    fail(`A worker's result could not be merged: ${e.message || e}`);
    return false;
  }
}

function finishRun() {
  const r = run;
  run = null;
  const t0 = performance.now();
  try {
    r.analysis.commit();
  } catch (e) {
    if (r.analysis !== analysis) r.analysis.free();
    analysis = null;
    analysedCount = 0;
    fail(`A worker's result could not be merged: ${e.message || e}`);
    return;
  }
  analysis = r.analysis;
  analysedCount = r.upTo;
  exported = null;
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
  text(el.statusText, `Done: ${files.length} file${files.length === 1 ? '' : 's'} analysed.`);
  text(el.progressText, `${human(r.totalBytes)} in ${secs.toFixed(1)} s (${human(r.totalBytes / Math.max(secs, 1e-3))}/s).`);
  setState('done');
  settle();
}

function cancelRun(byUser) {
  if (!run) return;
  const r = run;
  run = null;
  for (const s of pool) {
    s.worker.postMessage({ type: 'cancel', job: r.job });
    s.inFlight = 0;
  }
  if (r.kind === 'export') r.reject(new Error('cancelled'));
  if (r.kind === 'analyse') {
    if (r.analysis !== analysis) r.analysis.free();
    else r.analysis.discard();
    // The files of a cancelled run are set aside: the next run does not read them again.
    if (byUser) files = files.slice(0, analysedCount);
  }
  el.cancel.hidden = true;
  el.progress.hidden = true;
  if (byUser) {
    text(el.statusText, r.kind === 'analyse'
      ? 'Cancelled: the files of that run were set aside. Drop or choose files to run again.'
      : 'Cancelled.');
    text(el.progressText, '');
    setState('cancelled');
    cancelTimer = setTimeout(() => { if (!run) setState(analysis ? 'done' : 'idle'); }, 1000);
  }
  settle();
}

function fail(message) {
  if (run) cancelRun(false);
  text(el.statusText, `Something went wrong: ${message}`);
  setState('error');
  settle();
}

let progressPending = false;
function scheduleProgress() {
  if (progressPending) return;
  progressPending = true;
  requestAnimationFrame(() => { progressPending = false; showProgress(); });
}

function showProgress() {
  if (!run) return;
  const secs = (performance.now() - run.started) / 1000;
  const rate = run.bytes / Math.max(secs, 1e-3);
  const frac = run.totalBytes > 0 ? Math.min(run.bytes / run.totalBytes, 1) : 0;
  el.progress.value = frac;
  const left = rate > 0 ? (run.totalBytes - run.bytes) / rate : Infinity;
  text(el.progressText,
    `${human(run.bytes)} of ${human(run.totalBytes)} · ${run.lines.toLocaleString('en')} lines · ` +
    `${run.filesDone} of ${run.totalFiles} files · ${human(rate)}/s · ${duration(left)} left`);
}

// ---------- results ----------

function render() {
  const rep = analysis.report();
  el.results.hidden = false;
  el.clear.disabled = false;
  for (const dd of el.summary.querySelectorAll('[data-metric]')) {
    text(dd, String(rep[dd.dataset.metric]));
  }
  const rm = rep.removed;
  text(el.removed,
    `${rep.candidates} requests matched the download definition; removed: ${rm.bot} by the bot rule, ` +
    `${rm.missing_size} with missing sizes, ${rm.excluded_ip} from excluded IPs, ${rm.aws_internal} AWS-internal, ` +
    `${rm.outside_dates} outside the dates, ${rm.outside_prefix} outside the key prefix. ` +
    `${human(rep.bytes_sent)} sent by counted downloads.` +
    (rep.ambiguous_user_agent ? ` ${rep.ambiguous_user_agent} lines had an ambiguous referer/user-agent split (still counted).` : ''));

  el.notes.replaceChildren();
  if (rep.file_notes.length > 0) {
    el.notes.append(make('h3', 'Files with a problem'));
    const ul = make('ul', null, 'notes');
    for (const n of rep.file_notes) {
      const li = make('li');
      li.dataset.kind = n.kind;
      li.append(make('strong', n.file), document.createTextNode(`: ${n.message}`));
      ul.append(li);
    }
    el.notes.append(ul);
  }

  el.weekly.replaceChildren();
  for (const w of rep.weeks) {
    const tr = make('tr');
    const th = make('th', w.week_start);
    th.scope = 'row';
    th.title = `${w.week_start} to ${w.week_end}`;
    tr.append(th, make('td', w.downloads), make('td', w.new_unique_users), make('td', w.active_unique_users), make('td', w.bytes_sent));
    el.weekly.append(tr);
  }

  const rows = (tbody, list) => {
    tbody.replaceChildren();
    for (const o of list) {
      const tr = make('tr');
      const key = make('td', o.key_decoded, 'key');
      if (o.key !== o.key_decoded) key.title = o.key;
      tr.append(key, make('td', o.downloads), make('td', o.unique_users), make('td', o.bytes_sent));
      tbody.append(tr);
    }
  };
  rows(el.objects, rep.top_objects);
  rows(el.prefixes, rep.top_prefixes);
  text(el.objectsNote, rep.objects > rep.top_objects.length
    ? `The first ${rep.top_objects.length} of ${rep.objects} objects; top_objects.csv has them all.`
    : `${rep.objects} object${rep.objects === 1 ? '' : 's'} downloaded.`);

  el.rejects.replaceChildren();
  if (rep.rejects.length === 0) el.rejects.append(make('p', 'No line was rejected.', 'muted'));
  for (const r of rep.rejects) {
    const box = make('details', null, 'reject');
    box.dataset.reason = r.reason;
    const sum = make('summary');
    sum.append(make('code', r.reason), document.createTextNode(` — ${r.count} line${r.count === 1 ? '' : 's'}: ${r.explanation}`));
    box.append(sum);
    const ul = make('ul');
    for (const s of r.samples) {
      const li = make('li');
      li.append(make('span', `${s.file}, line ${s.line}:`, 'where'), make('pre', s.text, 'sample'));
      ul.append(li);
    }
    box.append(ul);
    el.rejects.append(box);
  }
  drawChart();
}

function drawChart() {
  if (!analysis) return;
  const dpr = window.devicePixelRatio || 1;
  const width = Math.max(320, el.chart.parentElement.clientWidth || 800);
  const height = Math.round(Math.min(520, Math.max(260, width * 0.55)));
  el.chart.style.width = `${width}px`;
  el.chart.style.height = `${height}px`;
  el.chart.width = Math.round(width * dpr);
  el.chart.height = Math.round(height * dpr);
  try {
    analysis.draw(el.chart, el.showBytes.checked, dpr);
  } catch (e) {
    text(el.exportStatus, `The chart could not be drawn: ${e.message || e}`);
  }
}

// ---------- downloads ----------

async function saveOutput(name) {
  while (run) {
    text(el.exportStatus, `${name}: waiting for the analysis to finish…`);
    await whenIdle();
  }
  if (!analysis) {
    text(el.exportStatus, `${name}: there is no finished analysis to save.`);
    return;
  }
  text(el.exportStatus, '');
  try {
    if (name === 'downloads_over_time.png') {
      const blob = await new Promise((resolve) => el.chart.toBlob(resolve, 'image/png'));
      if (!blob) throw new Error('the chart could not be encoded');
      download(blob, name);
    } else if (name === 'parsed_output.csv' || name === 'rejected_lines.txt') {
      await saveRowExport(name);
    } else {
      download(new Blob([analysis.output(name)], { type: name.endsWith('.json') ? 'application/json' : 'text/csv' }), name);
    }
  } catch (e) {
    text(el.exportStatus, `${name} could not be made: ${e.message || e}`);
  }
}

// The row exports grow with the input: a worker streams them into the origin-private file
// system (disk, not memory), then the browser downloads that file.
async function saveRowExport(name) {
  if (!navigator.storage || !navigator.storage.getDirectory) {
    throw new Error('this browser has no origin-private file system to write large exports into');
  }
  const root = await navigator.storage.getDirectory();
  if (!exported) {
    const job = ++jobCounter;
    const names = { csv: `s3logdrop-${job}-parsed_output.csv`, txt: `s3logdrop-${job}-rejected_lines.txt` };
    setState('running');
    el.cancel.hidden = false;
    el.progress.hidden = false;
    text(el.statusText, 'Writing parsed_output.csv and rejected_lines.txt…');
    const total = files.slice(0, analysedCount);
    await new Promise((resolve, reject) => {
      run = {
        kind: 'export', job, resolve, reject, bytes: 0, lines: 0, filesDone: 0,
        totalBytes: total.reduce((s, f) => s + f.file.size, 0), totalFiles: total.length,
        started: performance.now(),
      };
      pool[0].worker.postMessage({
        type: 'export', job, settings: JSON.stringify(settings),
        files: total.map((f) => ({ file: f.file, name: f.name })), parsed: names.csv, rejected: names.txt,
      });
    }).finally(() => {
      if (run && run.job === job) run = null;
      el.cancel.hidden = true;
      el.progress.hidden = true;
      setState(analysis ? 'done' : 'idle');
      settle();
    });
    // Earlier exports are no longer needed.
    for await (const key of root.keys()) {
      if (key.startsWith('s3logdrop-') && key !== names.csv && key !== names.txt) {
        await root.removeEntry(key).catch(() => {});
      }
    }
    exported = names;
    text(el.statusText, 'Exports written.');
  }
  const handle = await root.getFileHandle(name === 'parsed_output.csv' ? exported.csv : exported.txt);
  const file = await handle.getFile();
  download(file, name);
  text(el.exportStatus, `${name}: ${human(file.size)}.`);
}

// ---------- adding files ----------

function addFiles(list) {
  const seen = new Set(files.map((f) => `${f.name}\u0000${f.file.size}\u0000${f.file.lastModified}`));
  let added = 0;
  for (const item of list) {
    const key = `${item.name}\u0000${item.file.size}\u0000${item.file.lastModified}`;
    if (seen.has(key)) continue;
    seen.add(key);
    files.push(item);
    added++;
  }
  if (added === 0) {
    text(el.statusText, list.length ? 'Those files are already in the analysis.' : 'No files found there.');
    return;
  }
  // A new file may sort before the analysed ones: order matters only for the row exports,
  // which are made from the sorted list, so the merged analysis stays valid.
  const fresh = files.slice(analysedCount);
  const old = files.slice(0, analysedCount).sort(byCodePoint);
  files = old.concat(fresh.sort(byCodePoint));
  startRun(false);
}

function fromInput(input) {
  const list = Array.from(input.files || [], (file) => ({ file, name: file.webkitRelativePath || file.name }));
  input.value = '';
  addFiles(list);
}

// Walks dropped folders with an explicit queue; readEntries() is called until it returns
// nothing (Chromium gives at most 100 entries per call).
async function fromDrop(dataTransfer) {
  const entries = [];
  const plain = [];
  for (const item of Array.from(dataTransfer.items || [])) {
    if (item.kind !== 'file') continue;
    const entry = item.webkitGetAsEntry ? item.webkitGetAsEntry() : null;
    if (entry) entries.push(entry);
    else {
      const f = item.getAsFile();
      if (f) plain.push({ file: f, name: f.name });
    }
  }
  if (entries.length === 0 && plain.length === 0) {
    for (const f of Array.from(dataTransfer.files || [])) plain.push({ file: f, name: f.name });
  }
  const found = plain.slice();
  const problems = [];
  const queue = entries.slice();
  const show = () => text(el.statusText, `Scanning… ${found.length} files found`);
  show();
  while (queue.length > 0) {
    const entry = queue.shift();
    if (entry.isFile) {
      try {
        const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
        found.push({ file, name: entry.fullPath.replace(/^\/+/, '') });
      } catch (e) {
        problems.push(`${entry.fullPath}: ${e.message || e}`);
      }
      if (found.length % 100 === 0) show();
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      for (;;) {
        let batch;
        try {
          batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
        } catch (e) {
          problems.push(`${entry.fullPath}: ${e.message || e}`);
          break;
        }
        if (batch.length === 0) break;
        queue.push(...batch);
      }
    }
  }
  show();
  addFiles(found);
  if (problems.length > 0) {
    text(el.support, `Some dropped items could not be read: ${problems.slice(0, 5).join('; ')}`);
    el.support.hidden = false;
  }
}

function clearAll() {
  if (run) cancelRun(false);
  files = [];
  if (analysis) analysis.free();
  analysis = null;
  analysedCount = 0;
  exported = null;
  el.results.hidden = true;
  el.clear.disabled = true;
  text(el.statusText, 'Ready. Drop logs, choose files or a folder, or try the sample logs.');
  text(el.progressText, '');
  el.progress.hidden = true;
  setState('idle');
}

// ---------- start ----------

function wire() {
  el.fileInput.addEventListener('change', () => fromInput(el.fileInput));
  el.folderInput.addEventListener('change', () => fromInput(el.folderInput));
  el.sample.addEventListener('click', () => {
    if (!wasm) return;
    const list = Array.from(wasm.sample_logs(), ([name, bytes]) => ({ file: new File([bytes], name.split('/').pop(), { lastModified: 0 }), name }));
    addFiles(list);
  });
  el.clear.addEventListener('click', clearAll);
  el.cancel.addEventListener('click', () => cancelRun(true));
  el.form.addEventListener('change', onSettingsChange);
  el.form.addEventListener('submit', (e) => e.preventDefault());
  el.reset.addEventListener('click', () => {
    fillForm(JSON.parse(wasm.default_settings()));
    onSettingsChange();
  });
  el.showBytes.addEventListener('change', drawChart);
  for (const b of document.querySelectorAll('#downloads button')) {
    b.addEventListener('click', () => saveOutput(b.dataset.file));
  }
  let resizeTimer = null;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(drawChart, 150);
  });

  const zone = el.drop;
  const over = (e) => {
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    zone.classList.add('over');
  };
  zone.addEventListener('dragenter', over);
  zone.addEventListener('dragover', over);
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    if (e.dataTransfer) fromDrop(e.dataTransfer).catch((err) => fail(err.message || String(err)));
  });
  // A file dropped beside the zone must not make the browser navigate away to it.
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => e.preventDefault());
  // Enter or Space on the zone itself (not on a button inside it) opens the file chooser.
  zone.addEventListener('keydown', (e) => {
    if (e.target === zone && (e.key === 'Enter' || e.key === ' ')) { e.preventDefault(); el.fileInput.click(); }
  });
}

// True when the browser runs WebAssembly SIMD (the engine is built with simd128): a
// 30-byte module with one v128 instruction, validated, not run.
function simd() {
  try {
    return WebAssembly.validate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3,
      2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]));
  } catch (_) {
    return false;
  }
}

function checkSupport() {
  const missing = [];
  if (typeof Worker === 'undefined') missing.push('Web Workers');
  if (typeof WebAssembly === 'undefined') missing.push('WebAssembly');
  if (!('stream' in Blob.prototype)) missing.push('File.stream()');
  if (typeof WebAssembly !== 'undefined' && !simd()) missing.push('WebAssembly SIMD');
  if (missing.length > 0) {
    text(el.support, `This browser lacks ${missing.join(', ')}. s3logdrop needs Chrome, Edge or another Chromium-based browser 91 or newer, Firefox 89 or newer, or Safari 16.4 or newer.`);
    el.support.hidden = false;
    return false;
  }
  if (!('webkitdirectory' in el.folderInput)) {
    text(el.support, 'This browser cannot pick folders: choose the files instead (select them all in the folder).');
    el.support.hidden = false;
  }
  return true;
}

// Registers the service worker that keeps the page's files for offline use, and waits
// (a few seconds at most) until it has them: the page makes no request after "ready".
async function offline() {
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return;
  try {
    await navigator.serviceWorker.register(new URL('sw.js', base), { scope: base.pathname });
    await Promise.race([navigator.serviceWorker.ready, new Promise((r) => setTimeout(r, 10_000))]);
  } catch (_) {
    // Works online without it.
  }
}

async function main() {
  if (!checkSupport()) { setState('error'); return; }
  try {
    const bindings = await import(script.dataset.appJs);
    await bindings.default({ module_or_path: script.dataset.appWasm });
    wasm = bindings;
  } catch (e) {
    fail(`the analyser could not be loaded (${e.message || e})`);
    return;
  }
  settings = loadSettings();
  fillForm(settings);
  try {
    await startWorkers();
  } catch (e) {
    fail(`the workers could not start (${e.message || e})`);
    return;
  }
  await offline();
  text(el.statusText, 'Ready. Drop logs, choose files or a folder, or try the sample logs.');
  el.body.dataset.ready = 'true';
  setState('idle');
  if (files.length > 0) startRun(true); // files chosen while the page was loading
}

wire();
main();
