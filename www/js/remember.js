// Keep counting: the analysis is remembered in this browser (a snapshot in the
// origin-private file system) after each run, shown again on the next visit, and can be
// saved as a file and opened again. A snapshot holds the settings it was counted with and
// the log files counted (name and size): dropping the same folder again reads only the
// new files. Nothing here leaves the computer.

import { download, el, setState, text } from './dom.js';
import { plural } from './format.js';
import { render } from './render.js';
import { fillForm, saveSettings } from './settings.js';
import { state } from './state.js';

/** The remembered analysis in the private file system (not `s3logdrop-…`: those are the row exports, cleared when replaced). */
const NAME = 'remembered-analysis.s3ld';

async function storageRoot() {
  if (!navigator.storage || !navigator.storage.getDirectory) throw new Error('this browser has no private file system');
  return navigator.storage.getDirectory();
}

function when(seconds) {
  return new Date(seconds * 1000).toISOString().slice(0, 16).replace('T', ' ');
}

/** Says what is remembered (or why nothing is). */
function say(message) {
  text(el.memoryText, message);
  el.saveAnalysis.disabled = !state.analysis;
}

/** True when the run's files are only the built-in samples (not worth remembering over a real analysis). */
function samplesOnly(files) {
  return files.length > 0 && files.every((f) => f.name.startsWith('sample-logs/'));
}

/** After a run: keeps the analysis in this browser; says so, or why it cannot. */
export async function remember(files) {
  const analysis = state.analysis;
  if (!analysis) return;
  if (samplesOnly(files) && analysis.file_count() === files.length) {
    say('The sample logs are not remembered. Your own logs will be, in this browser only.');
    return;
  }
  try {
    const bytes = analysis.to_snapshot(Date.now() / 1000);
    const root = await storageRoot();
    const handle = await root.getFileHandle(NAME, { create: true });
    if (!handle.createWritable) throw new Error('this browser cannot write files here');
    const w = await handle.createWritable();
    await w.write(bytes);
    await w.close();
    if (state.analysis !== analysis) return;
    say(`Remembered in this browser: the analysis of ${plural(analysis.file_count(), 'log file')}. ` +
      (files.some((f) => f.s3)
        ? 'Next time, read the bucket again: only the new files are read.'
        : 'Next time, drop the same folder again: only the new files are read.'));
    el.body.dataset.remembered = 'true';
  } catch (e) {
    say(`This browser could not remember the analysis (${e.message || e}): everything else works, but next time the logs must be read again.`);
    el.body.dataset.remembered = 'false';
  }
}

/** Shows an analysis from a snapshot's bytes; `from` says where it came from. */
function open(bytes, from) {
  const analysis = state.wasm.Analysis.from_snapshot(bytes);
  if (state.analysis) state.analysis.free();
  state.analysis = analysis;
  state.files = [];
  state.analysedCount = 0;
  state.exported = null;
  // The counted settings are the snapshot's; rounding for publication is a way of
  // showing, and stays as the person last chose it.
  const publication = !!(state.settings && state.settings.publication_rounding);
  state.settings = { ...JSON.parse(analysis.settings_json()), publication_rounding: publication };
  analysis.set_publication(publication);
  saveSettings();
  fillForm(state.settings);
  render();
  const made = analysis.made_at() > 0 ? `, counted on ${when(analysis.made_at())} UTC` : '';
  say(`${from}: ${plural(analysis.file_count(), 'log file')}${made}. ` +
    'Drop the same folder again, or read the bucket again, to add the new log files: those already counted are skipped.');
  setState('done');
}

/** At start: the remembered analysis, if there is one. */
export async function restore() {
  let bytes;
  try {
    const file = await (await (await storageRoot()).getFileHandle(NAME)).getFile();
    bytes = new Uint8Array(await file.arrayBuffer());
  } catch (_) {
    return false; // nothing remembered, or no storage
  }
  if (state.files.length > 0 || state.run || state.analysis) return false; // the person was quicker
  try {
    open(bytes, 'Your last analysis is back');
    text(el.statusText, 'Your last analysis is back, below. Drop logs to add to it, or “Clear and forget” to start anew.');
    return true;
  } catch (e) {
    await forget();
    say(`The remembered analysis could not be read (${e.message || e}) and was forgotten.`);
    return false;
  }
}

/** Forgets the remembered analysis (Clear, or counts it can no longer hold). */
export async function forget() {
  say('');
  try {
    await (await storageRoot()).removeEntry(NAME);
  } catch (_) { /* nothing remembered */ }
  el.body.dataset.remembered = 'false';
}

/** "Save the analysis…": the snapshot as a file. */
export function saveAnalysis() {
  if (!state.analysis || state.run) return;
  const bytes = state.analysis.to_snapshot(Date.now() / 1000);
  download(new Blob([bytes], { type: 'application/octet-stream' }), `s3logdrop-analysis-${new Date().toISOString().slice(0, 10)}.s3ld`);
}

/** "Open an analysis…": a snapshot file, shown and remembered; new logs add to it. */
export async function openAnalysis(input) {
  const file = input.files && input.files[0];
  input.value = '';
  if (!file || state.run) return;
  try {
    open(new Uint8Array(await file.arrayBuffer()), `Opened ${file.name}`);
    text(el.statusText, `${file.name} is open. Drop logs to add to it.`);
  } catch (e) {
    text(el.statusText, `${file.name} could not be opened: ${e.message || e}`);
    return;
  }
  await remember([]);
}
