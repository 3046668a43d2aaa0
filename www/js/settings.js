// The settings form: filled from the engine's settings, read back, checked by the engine,
// remembered in this browser. Changing one re-runs the analysis.

import { el, text } from './dom.js';
import { csvLine } from './format.js';
import { state } from './state.js';
import { clearAll } from './input.js';
import { forget } from './remember.js';
import { render } from './render.js';
import { startRun } from './run.js';

const SETTINGS_KEY = 's3logdrop.settings.v1';

/** The remembered settings, or the defaults when there are none (or they are stale). */
export function loadSettings() {
  const defaults = JSON.parse(state.wasm.default_settings());
  let saved = null;
  try {
    saved = JSON.parse(localStorage.getItem(SETTINGS_KEY) || 'null');
  } catch (_) { saved = null; }
  if (saved && typeof saved === 'object') {
    const merged = { ...defaults, ...saved };
    try {
      return JSON.parse(state.wasm.check_settings(JSON.stringify(merged)));
    } catch (_) { /* stale or broken: defaults */ }
  }
  return defaults;
}

export function fillForm(s) {
  const f = el.form.elements;
  for (const name of ['include_website', 'include_206', 'require_sizes', 'exclude_aws_internal', 'exclude_cloud', 'counter']) {
    f[name].checked = !!s[name];
  }
  f.bots.value = s.bots;
  f.exclude_ips.value = (s.exclude_ips || []).join('\n');
  f.since.value = s.since || '';
  f.until.value = s.until || '';
  f.prefix.value = s.prefix || '';
  f.dataset_segments.value = s.dataset_segments;
  f.datasets_csv.value = (s.datasets || []).map((d) => csvLine([d.prefix, d.name, d.doi || ''])).join('\n');
  f.max_line_bytes.value = s.max_line_bytes;
  f.max_inflated_bytes.value = s.max_inflated_bytes;
  f.max_inflate_ratio.value = s.max_inflate_ratio;
  el.publication.checked = !!s.publication_rounding;
}

function readForm() {
  const f = el.form.elements;
  const num = (name, zero = false) => {
    const v = Number(f[name].value);
    return Number.isFinite(v) && (v > 0 || (zero && v === 0)) ? Math.floor(v) : state.settings[name];
  };
  return {
    ...state.settings,
    include_website: f.include_website.checked,
    include_206: f.include_206.checked,
    require_sizes: f.require_sizes.checked,
    exclude_aws_internal: f.exclude_aws_internal.checked,
    exclude_cloud: f.exclude_cloud.checked,
    counter: f.counter.checked,
    bots: f.bots.value,
    exclude_ips: f.exclude_ips.value.split(/[\s,]+/).filter((x) => x.length > 0),
    since: f.since.value || null,
    until: f.until.value || null,
    prefix: f.prefix.value || null,
    dataset_segments: num('dataset_segments'),
    datasets: JSON.parse(state.wasm.parse_datasets(f.datasets_csv.value)),
    max_line_bytes: num('max_line_bytes'),
    max_inflated_bytes: num('max_inflated_bytes'),
    max_inflate_ratio: num('max_inflate_ratio', true),
  };
}

/** A field changed: check, remember, re-run. A bad value is shown and not applied. */
export function onSettingsChange() {
  if (!state.wasm) return;
  let checked;
  try {
    checked = JSON.parse(state.wasm.check_settings(JSON.stringify(readForm())));
  } catch (e) {
    el.settingsError.hidden = false;
    text(el.settingsError, `Not applied: ${e.message || e}`);
    return;
  }
  el.settingsError.hidden = true;
  state.settings = checked;
  saveSettings();
  // Counts made under the old settings from files no longer here cannot be redone: the
  // analysis is dropped (never mixed) and the logs asked for again.
  if (state.analysis && state.analysis.file_count() > state.analysedCount) {
    clearAll();
    forget().then(() => text(el.memoryText,
      'The settings changed, and the remembered analysis was counted under the old ones: drop all the logs again to count them under the new settings.'));
    text(el.statusText, 'The settings changed: drop all the logs again (the remembered analysis was counted under the old settings).');
    return;
  }
  if (state.files.length > 0) startRun(true);
}

/** Keeps the settings in this browser. */
export function saveSettings() {
  try { localStorage.setItem(SETTINGS_KEY, JSON.stringify(state.settings)); } catch (_) { /* private mode */ }
}

/**
 * The "rounded for publication" box: a way of showing the numbers (the tables, the CSVs,
 * the method, the chart's title), remembered with the settings; nothing is read again.
 */
export function setPublication() {
  state.settings = { ...state.settings, publication_rounding: el.publication.checked };
  saveSettings();
  if (!state.analysis) return;
  state.analysis.set_publication(el.publication.checked);
  if (!el.results.hidden) render();
}

/** Back to the engine's defaults. */
export function resetSettings() {
  fillForm(JSON.parse(state.wasm.default_settings()));
  onSettingsChange();
}

/** A CSV file of dataset names picked: its text goes into the form, and applies. */
export async function readDatasetsFile(input) {
  const file = input.files && input.files[0];
  input.value = '';
  if (!file) return;
  if (file.size > 10 * 1024 * 1024) {
    el.settingsError.hidden = false;
    text(el.settingsError, `Not applied: ${file.name} is larger than 10 MB; a list of datasets is a few lines.`);
    return;
  }
  el.form.elements.datasets_csv.value = await file.text();
  onSettingsChange();
}
