// The downloads: the summary outputs made on this thread by the engine (the same bytes
// as the CLI), the chart as PNG, and the two row exports, which a worker streams into the
// origin-private file system (disk, not memory) before the browser downloads them.

import { download, el, text } from './dom.js';
import { size } from './format.js';
import { geoDays } from './render.js';
import { exportRun } from './run.js';
import { state, whenIdle } from './state.js';

const DSR_KEY = 's3logdrop.dsr.v1';
const DSR_FIELDS = [['platform', 'dsrPlatform'], ['publisher', 'dsrPublisher'], ['publisher_id', 'dsrPublisherId']];

/** Fills the COUNTER report's publisher fields from the last visit and remembers them as they are typed. */
export function rememberDsr() {
  let saved = {};
  try { saved = JSON.parse(localStorage.getItem(DSR_KEY) || '{}') || {}; } catch (_) { saved = {}; }
  for (const [key, id] of DSR_FIELDS) {
    if (typeof saved[key] === 'string') el[id].value = saved[key];
    el[id].addEventListener('change', () => {
      const now = Object.fromEntries(DSR_FIELDS.map(([k, i]) => [k, el[i].value.trim()]));
      try { localStorage.setItem(DSR_KEY, JSON.stringify(now)); } catch (_) { /* private mode */ }
    });
  }
}

/** Downloads the output called `name` (a button's `data-file`). */
export async function saveOutput(name) {
  while (state.run) {
    text(el.exportStatus, `${name}: waiting for the analysis to finish…`);
    await whenIdle();
  }
  if (!state.analysis) {
    text(el.exportStatus, `${name}: there is no finished analysis to save.`);
    return;
  }
  text(el.exportStatus, '');
  try {
    if (name === 'period.csv') name = `downloads_per_${state.period}.csv`;
    if (name === 'downloads_over_time.png') {
      download(await chartPng(), name);
    } else if (name === 'world_map.png') {
      download(await mapPng(), name);
    } else if (name === 'world_map.svg') {
      const [from, to] = geoDays();
      const svg = state.analysis.map_svg(state.dataset, from, to);
      download(new Blob([svg], { type: 'image/svg+xml' }), name);
    } else if (name === 'downloads_over_time.svg') {
      const svg = state.analysis.chart_svg(state.period, state.dataset, el.showBytes.checked);
      download(new Blob([svg], { type: 'image/svg+xml' }), name);
    } else if (name === 'counter_metrics.csv' || name === 'counter_report.json') {
      const info = {
        platform: el.dsrPlatform.value.trim(),
        publisher: el.dsrPublisher.value.trim(),
        publisher_id: el.dsrPublisherId.value.trim(),
        created: new Date().toISOString().slice(0, 10),
      };
      const type = name.endsWith('.json') ? 'application/json' : 'text/csv';
      download(new Blob([state.analysis.counter_output(name, JSON.stringify(info))], { type }), name);
    } else if (name === 'parsed_output.csv' || name === 'rejected_lines.txt') {
      await saveRowExport(name);
    } else {
      const type = name.endsWith('.json') ? 'application/json' : name.endsWith('.txt') ? 'text/plain' : 'text/csv';
      download(new Blob([state.analysis.output(name, state.period)], { type }), name);
    }
  } catch (e) {
    text(el.exportStatus, `${name} could not be made: ${e.message || e}`);
  }
}

/** The chart as the CLI's PNG: its layout at twice the pixels, for a document. */
async function chartPng() {
  const canvas = document.createElement('canvas');
  canvas.width = 1600;
  canvas.height = 900;
  state.analysis.draw(canvas, state.period, state.dataset, el.showBytes.checked, 2);
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
  if (!blob) throw new Error('the chart could not be encoded');
  return blob;
}

/** The map as the CLI's PNG: its layout at twice the pixels, of the chosen dataset and days. */
async function mapPng() {
  const canvas = document.createElement('canvas');
  canvas.width = 1600;
  canvas.height = 900;
  const [from, to] = geoDays();
  state.analysis.draw_map(canvas, state.dataset, from, to, 2);
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
  if (!blob) throw new Error('the map could not be encoded');
  return blob;
}

async function saveRowExport(name) {
  if (!navigator.storage || !navigator.storage.getDirectory) {
    throw new Error('this browser has no origin-private file system to write large exports into');
  }
  if (state.files.slice(0, state.analysedCount).some((f) => f.s3) && !state.exported) {
    throw new Error('the row exports are made from log files on this computer, and these logs were read from a bucket: '
      + 'make them with the command line (s3logdrop analyze s3://BUCKET/PREFIX), or copy the logs here and drop them');
  }
  const root = await navigator.storage.getDirectory();
  if (!state.exported) {
    const names = await exportRun(state.files.slice(0, state.analysedCount),
      (job) => ({ csv: `s3logdrop-${job}-parsed_output.csv`, txt: `s3logdrop-${job}-rejected_lines.txt` }));
    // Earlier exports are no longer needed.
    for await (const key of root.keys()) {
      if (key.startsWith('s3logdrop-') && key !== names.csv && key !== names.txt) {
        await root.removeEntry(key).catch(() => {});
      }
    }
    state.exported = names;
    text(el.statusText, 'Exports written.');
  }
  const handle = await root.getFileHandle(name === 'parsed_output.csv' ? state.exported.csv : state.exported.txt);
  const file = await handle.getFile();
  download(file, name);
  text(el.exportStatus, `${name}: ${size(file.size)}.`);
}
