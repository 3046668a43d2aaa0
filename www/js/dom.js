// The page's elements and the few DOM helpers everything uses. Log text comes from
// strangers: it only ever reaches the page through textContent.

export const script = document.querySelector('script[data-app-js]');
/** The page's own folder (this script is in its js/): workers and wasm are resolved against it, so the page works under a GitHub Pages sub-path. */
export const base = script ? new URL('..', script.src) : new URL('.', document.baseURI);

const $ = (id) => document.getElementById(id);
export const el = {
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

/** The page's state for styles and tests: idle, running, done, cancelled, error. */
export function setState(state) {
  el.body.dataset.state = state;
}

/** Sets a node's text (never HTML). */
export function text(node, value) {
  node.textContent = value;
  return node;
}

/** A new element with text (never HTML) and a class. */
export function make(tag, value, cls) {
  const n = document.createElement(tag);
  if (value !== undefined && value !== null) n.textContent = String(value);
  if (cls) n.className = cls;
  return n;
}

/** Hands a Blob to the browser as a download called `name`. */
export function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
