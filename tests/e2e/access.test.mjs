// Accessibility and browser support, in headless Chromium: an axe-core audit (WCAG 2.1 A
// and AA, contrast included) of the page with results in the light and the dark theme;
// everything done from the keyboard alone; and a browser that lacks something (folder
// picking, folder drop, SIMD, File.stream, the private file system) gets a sentence and,
// where there is one, a way round.
//
// Needs `trunk build --release`: run through `bash scripts/test.sh`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { root, serve, launch, waitDone, downloadBytes } from './support.mjs';

const AXE = fs.readFileSync(path.join(root, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

let server;
let browser;

before(async () => {
  assert.ok(fs.existsSync(path.join(root, 'dist', 'index.html')), 'dist/ is missing: run bash scripts/test.sh');
  server = await serve();
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.close();
});

/** A page in a context with `options` (colorScheme, …) and `init` run before the page's scripts. */
async function open(options = {}, init = null, url = server.url) {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 }, ...options });
  if (init) await context.addInitScript(init);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  return { context, page, errors };
}

async function audit(page) {
  // Evaluated through the debugging protocol: the page's CSP (no inline script) stays on.
  await page.evaluate(AXE);
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
}

for (const scheme of ['light', 'dark']) {
  test(`axe finds no WCAG 2.1 AA violation, contrast included, in the ${scheme} theme`, async () => {
    const { page, context } = await open({ colorScheme: scheme });
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
    await page.evaluate(() => { document.getElementById('method').open = true; });
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(bg, scheme === 'dark' ? 'rgb(21, 23, 26)' : 'rgb(255, 255, 255)', 'the theme follows the system setting');
    assert.deepEqual(await audit(page), [], 'before a run');
    await page.click('[data-testid=sample-button]');
    await waitDone(page);
    // Everything shown: the rejected lines, a settings error, the support warning.
    await page.$$eval('details', (ds) => ds.forEach((d) => { d.open = true; }));
    await page.fill('textarea[name=exclude_ips]', 'not an address');
    await page.dispatchEvent('textarea[name=exclude_ips]', 'change');
    await page.waitForSelector('[data-testid=settings-error]:not([hidden])');
    await page.evaluate(() => {
      const s = document.getElementById('support'); s.textContent = 'A warning.'; s.hidden = false;
      // The log bucket's panel (opened above with every details) with its error and its remembered keys.
      for (const id of ['s3-error', 's3-remembered', 's3-forget']) document.getElementById(id).hidden = false;
      document.getElementById('s3-error').textContent = 'The bucket was not read.';
      document.getElementById('s3-remembered').textContent = 'Keys remembered on this computer: AKIA…MPLE.';
    });
    assert.deepEqual(await audit(page), [], 'with results, an error and a warning, the bucket panel open');
    // The audit can fail: text of too little contrast is found.
    await page.evaluate(() => { const p = document.createElement('p'); p.textContent = 'faint text'; p.style.color = '#cccccc'; p.style.background = '#ffffff'; document.querySelector('main').append(p); });
    assert.ok((await audit(page)).some((v) => v.id === 'color-contrast'), 'axe reports poor contrast');
    await context.close();
  });
}

test('everything works from the keyboard alone, with a visible focus', async () => {
  const { page, context } = await open();
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  await page.evaluate(() => { document.getElementById('method').open = true; });
  // Tab through the page: what gets the focus, and whether it shows.
  const focusable = async () => page.evaluate(() => {
    const a = document.activeElement;
    const shown = (n) => { const s = getComputedStyle(n); return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2; };
    const label = a.closest('label');
    return {
      id: a.id || a.dataset.testid || a.name || a.tagName,
      visible: shown(a) || (label !== null && shown(label)),
    };
  });
  const order = [];
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    const f = await focusable();
    if (f.id === 'BODY') break; // past the last one
    order.push(f);
    assert.ok(f.visible, `${f.id} shows that it has the focus`);
  }
  const ids = order.map((f) => f.id);
  for (const id of ['drop-zone', 'file-input', 'folder-input', 'sample-button', 'include_website', 'bots', 'exclude_ips', 'max_inflate_ratio', 'reset-settings']) {
    assert.ok(ids.includes(id), `${id} is reached with Tab (order: ${ids.join(', ')})`);
  }
  assert.ok(ids.indexOf('drop-zone') < ids.indexOf('sample-button') && ids.indexOf('sample-button') < ids.indexOf('bots'), 'in reading order');

  // Choose files from the keyboard: Enter or Space on the drop zone opens the file chooser
  // (seen as a click on the file input; the chooser itself is the browser's, then filled
  // here as a person would).
  await page.evaluate(() => {
    window.chooserOpened = 0;
    document.getElementById('file-input').addEventListener('click', (e) => { window.chooserOpened++; e.preventDefault(); });
  });
  await page.focus('#drop-zone');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Space');
  assert.equal(await page.evaluate(() => window.chooserOpened), 2, 'Enter and Space on the drop zone open the chooser');
  await page.setInputFiles('[data-testid=file-input]', path.join(root, 'fixtures', 'own', 'edge_cases.log'));
  const first = await waitDone(page);
  assert.ok(first.downloads > 0);

  // The sample logs, from the keyboard.
  await page.focus('#sample-button');
  await page.keyboard.press('Enter');
  await page.waitForFunction((n) => document.body.dataset.state === 'done' && Number(document.querySelector('[data-metric=files]').dataset.value) > n, first.files);

  // A setting changed with the keyboard re-runs the analysis.
  const before = await waitDone(page);
  await page.focus('#bots');
  await page.keyboard.press('End'); // "Off"
  await page.waitForFunction((d) => document.body.dataset.state === 'done'
    && Number(document.querySelector('[data-metric=downloads]').dataset.value) > d, before.downloads);
  assert.equal(await page.inputValue('#bots'), 'off');

  // A download from the keyboard; the rejected lines open with the keyboard.
  await page.focus('[data-testid="download-downloads_per_dataset.csv"]');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
  assert.equal(dl.suggestedFilename(), 'downloads_per_dataset.csv');
  await page.focus('[data-testid=rejects] details summary');
  await page.keyboard.press('Enter');
  assert.equal(await page.$eval('[data-testid=rejects] details', (d) => d.open), true);
  // And Cancel is a button that takes the focus while a run goes.
  await context.close();
});

test('a browser that cannot pick folders says so, and files can still be chosen', async () => {
  const { page, context } = await open({}, () => {
    delete HTMLInputElement.prototype.webkitdirectory;
    Object.defineProperty(HTMLInputElement.prototype, 'webkitdirectory', { get: undefined, configurable: true });
    delete HTMLInputElement.prototype.webkitdirectory;
  });
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  await page.evaluate(() => { document.getElementById('method').open = true; });
  const note = await page.textContent('#support');
  assert.match(note, /cannot pick folders: choose the files instead/);
  assert.equal(await page.isVisible('#support'), true);
  await page.setInputFiles('[data-testid=file-input]', path.join(root, 'fixtures', 'own', 'edge_cases.log'));
  const shown = await waitDone(page);
  assert.ok(shown.downloads > 0);
  await context.close();
});

test('a browser whose drop has no folder entries still takes dropped files', async () => {
  const { page, context } = await open({}, () => { delete DataTransferItem.prototype.webkitGetAsEntry; });
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  await page.evaluate(() => { document.getElementById('method').open = true; });
  const bytes = fs.readFileSync(path.join(root, 'fixtures', 'own', 'edge_cases.log')).toString('base64');
  const dt = await page.evaluateHandle((b64) => {
    const t = new DataTransfer();
    t.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], 'edge_cases.log'));
    return t;
  }, bytes);
  for (const type of ['dragenter', 'dragover', 'drop']) await page.dispatchEvent('[data-testid=drop-zone]', type, { dataTransfer: dt });
  const shown = await waitDone(page);
  assert.equal(shown.files, 1);
  assert.ok(shown.downloads > 0);
  await context.close();
});

for (const [what, init, pattern] of [
  ['WebAssembly SIMD', () => { const v = WebAssembly.validate; WebAssembly.validate = (b) => (b.length === 31 ? false : v(b)); }, /lacks WebAssembly SIMD\. s3logdrop needs .*Safari 16\.4/],
  ['File.stream()', () => { delete Blob.prototype.stream; }, /lacks File\.stream\(\)\./],
]) {
  test(`a browser without ${what} is told what it lacks and which browsers work`, async () => {
    const { page, context, errors } = await open({}, init);
    await page.waitForSelector('body[data-state="error"]', { timeout: 30_000 });
    assert.match(await page.textContent('#support'), pattern);
    assert.equal(await page.isVisible('#support'), true);
    assert.deepEqual(errors, [], 'no uncaught error');
    await context.close();
  });
}

test('a browser without the private file system analyses, and says why a row export cannot be made', async () => {
  const { page, context } = await open({}, () => { delete StorageManager.prototype.getDirectory; });
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  await page.evaluate(() => { document.getElementById('method').open = true; });
  await page.click('[data-testid=sample-button]');
  await waitDone(page);
  const ok = await downloadBytes(page, 'downloads_per_dataset.csv');
  assert.ok(ok.bytes.length > 50, 'the summary files still download');
  await page.evaluate(() => { document.querySelector('.more-downloads').open = true; });
  await page.click('[data-testid="download-parsed_output.csv"]');
  await page.waitForFunction(() => /parsed_output\.csv could not be made: .*private file system/.test(document.querySelector('[data-testid=export-status]').textContent));
  await context.close();
});
