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
  reportSpan: $('report-span'),
  summary: $('summary'),
  removed: $('removed'),
  notes: $('file-notes'),
  period: $('period'),
  dataset: $('dataset'),
  printReport: $('print-report'),
  chart: $('chart'),
  showBytes: $('show-bytes'),
  publication: $('publication'),
  periodTable: $('period-table').querySelector('tbody'),
  periodCaption: $('period-caption'),
  periodNote: $('period-note'),
  datasetTable: $('dataset-table').querySelector('tbody'),
  datasetsNote: $('datasets-note'),
  countryTable: $('country-table').querySelector('tbody'),
  countriesNote: $('countries-note'),
  countriesSource: $('countries-source'),
  geoDays: $('geo-days'),
  map: $('map'),
  networkTable: $('network-table').querySelector('tbody'),
  networksNote: $('networks-note'),
  networksSource: $('networks-source'),
  cloudNote: $('cloud-note'),
  counter: $('counter'),
  counterNote: $('counter-note'),
  counterTable: $('counter-table').querySelector('tbody'),
  counterMethod: $('counter-method'),
  dsrPlatform: $('dsr-platform'),
  dsrPublisher: $('dsr-publisher'),
  dsrPublisherId: $('dsr-publisher-id'),
  method: $('method'),
  methods: $('methods'),
  copyMethods: $('copy-methods'),
  copyStatus: $('copy-status'),
  datasetsFile: $('datasets-file'),
  objects: $('top-objects').querySelector('tbody'),
  objectsNote: $('objects-note'),
  rejects: $('rejects'),
  exportStatus: $('export-status'),
  made: $('made'),
  memoryText: $('memory-text'),
  saveAnalysis: $('save-analysis'),
  openAnalysis: $('open-analysis'),
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

/** A cell showing `shown` for a number whose raw value is `value`, named by its CSV column. */
export function numberCell(shown, value, col) {
  const td = make('td', shown);
  td.dataset.value = String(value);
  if (col) td.dataset.col = col;
  return td;
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
