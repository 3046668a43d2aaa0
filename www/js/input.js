// Files in: picked with the buttons, dropped (folders walked), or the built-in samples;
// and Clear.

import { el, setState, text } from './dom.js';
import { byCodePoint, plural } from './format.js';
import { forget } from './remember.js';
import { cancelRun, startRun } from './run.js';
import { state } from './state.js';

const identity = (f) => `${f.name}\u0000${f.size}\u0000${f.file ? f.file.lastModified : 'bucket'}`;

/**
 * Adds items not already in the analysis, and analyses them: `{file, name}` for a file on
 * this computer, `{name, size, s3}` for an object of a log bucket (see bucket.js).
 */
export function addFiles(items) {
  for (const item of items) if (item.size === undefined) item.size = item.file.size;
  let list = items;
  const seen = new Set(state.files.map(identity));
  let added = 0;
  // Files the analysis already counts (a remembered one, or an earlier drop) by name
  // and size: skipped; a counted name with another size: said, not read.
  state.skipped = 0;
  if (state.analysis && state.analysis.file_count() > 0 && list.length > 0) {
    const plan = state.analysis.plan(list.map((f) => f.name), list.map((f) => f.size));
    state.skipped = plan.skipped;
    if (plan.changed.length > 0) {
      const names = plan.changed.slice(0, 3).map(([i, counted]) => `${list[i].name} (${counted} bytes counted, ${list[i].size} now)`);
      text(el.support, `${plural(plan.changed.length, 'file')} already counted under the same name now ${plan.changed.length === 1 ? 'has' : 'have'} another size and ${plan.changed.length === 1 ? 'was' : 'were'} not read again (S3 does not rewrite log files): ${names.join('; ')}${plan.changed.length > 3 ? '; …' : ''}`);
      el.support.hidden = false;
    }
    list = plan.read.map((i) => list[i]);
  }
  for (const item of list) {
    const key = identity(item);
    if (seen.has(key)) continue;
    seen.add(key);
    state.files.push(item);
    added++;
  }
  if (added === 0) {
    text(el.statusText, state.skipped > 0 ? `No new log files: all ${plural(state.skipped, 'file')} are already counted.`
      : list.length ? 'Those files are already in the analysis.' : 'No files found there.');
    return;
  }
  // A new file may sort before the analysed ones: order matters only for the row exports,
  // which are made from the sorted list, so the merged analysis stays valid.
  const fresh = state.files.slice(state.analysedCount);
  const old = state.files.slice(0, state.analysedCount).sort(byCodePoint);
  state.files = old.concat(fresh.sort(byCodePoint));
  startRun(false);
}

/** The files of a file input (named by their path inside a picked folder). */
export function fromInput(input) {
  const list = Array.from(input.files || [], (file) => ({ file, name: file.webkitRelativePath || file.name }));
  input.value = '';
  addFiles(list);
}

/**
 * Walks dropped folders with an explicit queue; readEntries() is called until it returns
 * nothing (Chromium gives at most 100 entries per call).
 */
export async function fromDrop(dataTransfer) {
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

/** The sample logs built into the page, analysed like dropped files (no request). */
export function addSamples() {
  if (!state.wasm) return;
  const list = Array.from(state.wasm.sample_logs(), ([name, bytes]) => ({ file: new File([bytes], name.split('/').pop(), { lastModified: 0 }), name }));
  addFiles(list);
}

/** Forgets the files and the analysis. */
export function clearAll() {
  if (state.run) cancelRun(false);
  forget();
  state.files = [];
  if (state.analysis) state.analysis.free();
  state.analysis = null;
  state.analysedCount = 0;
  state.exported = null;
  el.results.hidden = true;
  el.clear.disabled = true;
  text(el.statusText, 'Ready. Drop logs, choose files or a folder, or try the sample logs.');
  text(el.progressText, '');
  el.progress.hidden = true;
  setState('idle');
}
