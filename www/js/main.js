// s3logdrop's page script, the entry point: checks the browser, loads the engine (wasm)
// on this thread, starts the worker pool, wires the page. The engine does the parsing and
// counting: in Web Workers for the logs, here for merging their partial summaries and
// drawing the chart.
//
// - format.js: pure helpers (tested under node --test);
// - dom.js: the page's elements and DOM helpers; state.js: the shared state;
// - settings.js: the settings form; pool.js: the workers;
// - run.js: a run over the files, the workers' answers, progress, cancel;
// - render.js: the results; downloads.js: the output files; input.js: files in;
// - bucket.js: files in from a log bucket (csp.js: where the page may connect).

import { base, el, script, setState, text } from './dom.js';
import { initBucket } from './bucket.js';
import { rememberDsr, saveOutput } from './downloads.js';
import { addSamples, clearAll, fromDrop, fromInput } from './input.js';
import { startWorkers } from './pool.js';
import { drawChart, drawMap, renderGeography, renderPeriod } from './render.js';
import { cancelRun, fail, onWorkerMessage, startRun } from './run.js';
import { openAnalysis, restore, saveAnalysis } from './remember.js';
import { fillForm, loadSettings, onSettingsChange, readDatasetsFile, resetSettings, setPublication } from './settings.js';
import { state } from './state.js';

const PERIOD_KEY = 's3logdrop.period.v1';

function wire() {
  el.fileInput.addEventListener('change', () => fromInput(el.fileInput));
  el.folderInput.addEventListener('change', () => fromInput(el.folderInput));
  el.sample.addEventListener('click', addSamples);
  el.clear.addEventListener('click', clearAll);
  el.cancel.addEventListener('click', () => {
    if (state.listing) state.listing.cancelled = true; // a bucket being listed (bucket.js)
    cancelRun(true);
  });
  el.form.addEventListener('change', onSettingsChange);
  el.form.addEventListener('submit', (e) => e.preventDefault());
  el.reset.addEventListener('click', resetSettings);
  el.showBytes.addEventListener('change', () => drawChart());
  el.publication.addEventListener('change', setPublication);
  el.saveAnalysis.addEventListener('click', saveAnalysis);
  el.openAnalysis.addEventListener('change', () => openAnalysis(el.openAnalysis));
  el.period.addEventListener('change', () => {
    state.period = el.period.value;
    try { localStorage.setItem(PERIOD_KEY, state.period); } catch (_) { /* private mode */ }
    renderPeriod();
  });
  el.dataset.addEventListener('change', () => {
    state.dataset = el.dataset.value;
    renderPeriod();
  });
  el.datasetsFile.addEventListener('change', () => readDatasetsFile(el.datasetsFile));
  el.geoDays.addEventListener('change', () => renderGeography());
  el.copyMethods.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(el.methods.textContent);
      text(el.copyStatus, 'Copied.');
    } catch (_) {
      // No clipboard (an insecure page, or refused): select it for the person to copy.
      getSelection().selectAllChildren(el.methods);
      text(el.copyStatus, 'Selected: press Ctrl+C (⌘C) to copy.');
    }
  });
  el.printReport.addEventListener('click', () => window.print());
  // Printing: the method is part of the report, even when its section is folded.
  let wasOpen = false;
  window.addEventListener('beforeprint', () => {
    wasOpen = el.method.open;
    el.method.open = true;
    drawChart(true);
    drawMap(true);
  });
  window.addEventListener('afterprint', () => {
    el.method.open = wasOpen;
    drawChart();
    drawMap();
  });
  for (const b of document.querySelectorAll('#downloads button, #downloads-all button, #counter button[data-file]')) {
    b.addEventListener('click', () => saveOutput(b.dataset.file));
  }
  let resizeTimer = null;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => { drawChart(); drawMap(); }, 150);
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
    state.wasm = bindings;
  } catch (e) {
    fail(`the analyser could not be loaded (${e.message || e})`);
    return;
  }
  state.settings = loadSettings();
  fillForm(state.settings);
  rememberDsr();
  initBucket();
  try {
    const p = localStorage.getItem(PERIOD_KEY);
    if (['day', 'week', 'month', 'quarter', 'year'].includes(p)) state.period = p;
  } catch (_) { /* private mode */ }
  el.period.value = state.period;
  try {
    await startWorkers(onWorkerMessage);
  } catch (e) {
    fail(`the workers could not start (${e.message || e})`);
    return;
  }
  await offline();
  text(el.statusText, 'Ready. Drop logs, choose files or a folder, or try the sample logs.');
  setState('idle');
  // The analysis remembered from the last visit (files chosen meanwhile come first).
  el.body.dataset.ready = 'restoring';
  if (state.files.length === 0) await restore();
  el.body.dataset.ready = 'true';
  if (state.files.length > 0) startRun(true); // files chosen while the page was loading
}

wire();
main();
