// End-to-end tests of the page in headless Chromium: what a person does (pick a folder,
// drop files, change a setting, cancel, download) gives what the native CLI gives for
// the same files, byte for byte, and no request leaves the page after it has loaded.
//
// Needs `trunk build --release` (dist/) and `cargo build --release` (the CLI): run through
// `bash scripts/test.sh`, which builds both first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import {
  root, useBrowser, openPage, waitDone, runCli, downloadBytes, METRICS, assertPrivate, compareWithCli,
  generate, XSS, hostileLog, crlfBigFile,
} from './support.mjs';

// The served page, a browser, a scratch folder, for this file's tests.
const env = useBrowser('s3logdrop-e2e-');

// A delivery laid out like a real one: many small files in nested folders, gzip, and the
// files that must get a message (not a log, an image, empty, a truncated gzip).
function makeDelivery(dir) {
  const d = path.join(dir, 'delivery');
  generate(path.join(d, '2024', 'small'), ['--bytes', '400000', '--files', '60', '--seed', '3', '--mean-gap', '4000', '--clients', '300']);
  generate(path.join(d, '2024', 'gz'), ['--bytes', '300000', '--files', '3', '--seed', '4', '--gzip', '--mean-gap', '4000']);
  fs.mkdirSync(path.join(d, 'corpus'), { recursive: true });
  for (const f of fs.readdirSync(path.join(root, 'fixtures', 'corpus'))) {
    if (f.endsWith('.log')) fs.copyFileSync(path.join(root, 'fixtures', 'corpus', f), path.join(d, 'corpus', f));
  }
  const own = path.join(d, 'own');
  fs.mkdirSync(own);
  for (const f of ['edge_cases.log', 'edge_cases.multi.gz', 'not_a_log.csv', 'image.png', 'empty.log']) {
    fs.copyFileSync(path.join(root, 'fixtures', 'own', f), path.join(own, f));
  }
  const gz = zlib.gzipSync(fs.readFileSync(path.join(root, 'fixtures', 'own', 'edge_cases.log')));
  fs.writeFileSync(path.join(own, 'truncated.gz'), gz.subarray(0, Math.floor(gz.length * 0.6)));
  fs.writeFileSync(path.join(own, 'hostile.log'), hostileLog());
  return d;
}

test('a folder picked with the folder input gives the CLI numbers and files, byte for byte', async () => {
  const delivery = makeDelivery(path.join(env.work, 'folder'));
  const cliOut = path.join(env.work, 'folder-cli');
  const cliReport = runCli([delivery], cliOut);
  assert.ok(cliReport.files > 70 && cliReport.downloads > 100, 'a real input');
  const { page, context, requests, loadedAt, errors } = await openPage(env.browser, env.server.url);
  let dialogs = 0;
  page.on('dialog', (d) => { dialogs++; d.dismiss(); });
  await page.setInputFiles('[data-testid=folder-input]', delivery);
  await compareWithCli(page, cliReport, cliOut);

  // Each bad file has a message naming it; the others were analysed.
  const notes = await page.$$eval('[data-testid=file-notes] li', (lis) => lis.map((li) => [li.dataset.kind, li.textContent]));
  const kinds = Object.fromEntries(notes.map(([k, t]) => [t.split(':')[0], k]));
  assert.equal(kinds['delivery/own/not_a_log.csv'], 'no_log_lines');
  assert.equal(kinds['delivery/own/image.png'], 'binary');
  assert.equal(kinds['delivery/own/empty.log'], 'empty');
  assert.equal(kinds['delivery/own/truncated.gz'], 'gzip_truncated');

  assert.equal(dialogs, 0, 'no script from the log ran');
  assert.deepEqual(errors, [], 'no error in the console');
  assertPrivate(requests, loadedAt, env.server.url);
  // The workers' engine is fetched and compiled once by the page, whatever the pool size.
  const fetched = requests.filter((r) => !r.fromServiceWorker && r.url.endsWith('/worker_bg.wasm'));
  assert.equal(fetched.length, 1, JSON.stringify(requests.map((r) => r.url)));
  assert.ok(await page.evaluate(() => Math.min(navigator.hardwareConcurrency, 8)) >= 2, 'a pool of several workers');
  await context.close();
});

test('log text from strangers is shown as text, never run', async () => {
  const dir = path.join(env.work, 'hostile');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'hostile.log'), hostileLog());
  const { page, context, requests, loadedAt } = await openPage(env.browser, env.server.url);
  let dialogs = 0;
  page.on('dialog', (d) => { dialogs++; d.dismiss(); });
  await page.setInputFiles('[data-testid=file-input]', path.join(dir, 'hostile.log'));
  const shown = await waitDone(page);
  assert.equal(shown.downloads, 1);
  assert.equal(shown.rejected, 1);
  const rejectsText = await page.textContent('[data-testid=rejects]');
  assert.ok(rejectsText.includes(XSS), 'the hostile user agent is shown, as text');
  const objectsText = await page.textContent('[data-testid=top-objects]');
  assert.ok(objectsText.includes(XSS), 'the hostile key is shown decoded, as text');
  assert.equal(await page.locator('main img').count(), 0, 'no element was made from log text');
  assert.equal(dialogs, 0, 'no script from the log ran');
  // The CSV export cannot run as a formula either: the CLI's tests check the apostrophe;
  // here the page's file equals the CLI's.
  const cliOut = path.join(env.work, 'hostile-cli');
  runCli(['hostile.log'], cliOut, [], dir);
  const got = await downloadBytes(page, 'top_objects.csv');
  assert.ok(got.bytes.equals(fs.readFileSync(path.join(cliOut, 'top_objects.csv'))));
  assertPrivate(requests, loadedAt, env.server.url);
  await context.close();
});

test('files dropped on the drop zone, then more files dropped later, add up to the CLI result', async () => {
  const dir = path.join(env.work, 'drop');
  generate(dir, ['--bytes', '200000', '--files', '12', '--seed', '9', '--mean-gap', '5000']);
  fs.copyFileSync(path.join(root, 'fixtures', 'own', 'edge_cases.multi.gz'), path.join(dir, 'edge_cases.multi.gz'));
  fs.copyFileSync(path.join(root, 'fixtures', 'own', 'not_a_log.csv'), path.join(dir, 'not_a_log.csv'));
  const names = fs.readdirSync(dir).sort();
  const cliOut = path.join(env.work, 'drop-cli');
  const cliReport = runCli(names, cliOut, [], dir);
  const { page, context, requests, loadedAt } = await openPage(env.browser, env.server.url);
  const drop = async (list) => {
    const payload = list.map((n) => ({ name: n, b64: fs.readFileSync(path.join(dir, n)).toString('base64') }));
    const dt = await page.evaluateHandle((items) => {
      const t = new DataTransfer();
      for (const it of items) {
        const bytes = Uint8Array.from(atob(it.b64), (c) => c.charCodeAt(0));
        t.items.add(new File([bytes], it.name));
      }
      return t;
    }, payload);
    for (const type of ['dragenter', 'dragover', 'drop']) {
      await page.dispatchEvent('[data-testid=drop-zone]', type, { dataTransfer: dt });
    }
  };
  await drop(names.slice(0, 5));
  await waitDone(page);
  await drop(names.slice(5)); // dropping more adds them to the analysis
  await page.waitForFunction(() => document.body.dataset.state === 'running' || document.body.dataset.state === 'done');
  await compareWithCli(page, cliReport, cliOut);
  assertPrivate(requests, loadedAt, env.server.url);
  await context.close();
});

test('a dropped folder is walked to the end: readEntries is called until it returns nothing', async () => {
  const { page, context } = await openPage(env.browser, env.server.url);
  // A fake directory tree (a real one cannot be made from a test): 2 levels, 250 files in
  // one folder, handed out at most 100 per readEntries() call as Chromium does.
  const count = await page.evaluate(async () => {
    const line = '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be b [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - 3E5 REST.GET.OBJECT k "GET /b/k HTTP/1.1" 200 - 10 10 7 - "-" "curl/8" -\n';
    const file = (p, i) => ({ isFile: true, isDirectory: false, fullPath: p, file: (ok) => ok(new File([line.replace('192.0.2.3', `192.0.2.${i % 250}`)], p.split('/').pop())) });
    const dir = (p, children) => ({
      isFile: false, isDirectory: true, fullPath: p,
      createReader: () => { let at = 0; return { readEntries: (ok) => { const b = children.slice(at, at + 100); at += b.length; setTimeout(() => ok(b), 0); } }; },
    });
    const many = Array.from({ length: 250 }, (_, i) => file(`/logs/a/f${String(i).padStart(3, '0')}.log`, i));
    const tree = dir('/logs', [dir('/logs/a', many), file('/logs/top.log', 7)]);
    const dt = { items: [{ kind: 'file', webkitGetAsEntry: () => tree, getAsFile: () => null }], files: [] };
    const ev = new Event('drop', { bubbles: true, cancelable: true });
    Object.defineProperty(ev, 'dataTransfer', { value: dt });
    document.querySelector('[data-testid=drop-zone]').dispatchEvent(ev);
    return 251;
  });
  const shown = await waitDone(page);
  assert.equal(shown.files, count);
  assert.equal(shown.downloads, count);
  assert.equal(shown.unique_users, 250);
  await context.close();
});

test('changing a setting re-runs the analysis, matches the CLI with that flag, and is remembered', async () => {
  const dir = path.join(env.work, 'settings');
  generate(dir, ['--bytes', '300000', '--files', '4', '--seed', '5', '--mean-gap', '3000']);
  const names = fs.readdirSync(dir).sort();
  const { page, context } = await openPage(env.browser, env.server.url);
  await page.setInputFiles('[data-testid=file-input]', names.map((n) => path.join(dir, n)));
  const before = await waitDone(page);
  const cliDefault = runCli(names, path.join(env.work, 'settings-cli'), [], dir);
  assert.equal(before.downloads, cliDefault.downloads);
  await page.selectOption('select[name=bots]', 'off');
  await page.waitForFunction((d) => document.body.dataset.state === 'done'
    && Number(document.querySelector('[data-metric=downloads]').dataset.value) !== d, before.downloads);
  const after = await waitDone(page);
  const cliOff = runCli(names, path.join(env.work, 'settings-cli-off'), ['--bots', 'off'], dir);
  assert.equal(after.downloads, cliOff.downloads);
  assert.ok(after.downloads > before.downloads, 'bots counted again');
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]');
  await page.evaluate(() => { document.getElementById('method').open = true; });
  assert.equal(await page.inputValue('select[name=bots]'), 'off', 'remembered in localStorage');
  // A bad CIDR is refused with a sentence and changes nothing.
  await page.fill('textarea[name=exclude_ips]', '10.0.0.0/99');
  await page.dispatchEvent('textarea[name=exclude_ips]', 'change');
  await page.waitForSelector('[data-testid=settings-error]:not([hidden])');
  await page.click('#reset-settings');
  assert.equal(await page.inputValue('select[name=bots]'), 'default');
  await context.close();
});

test('cancel stops a long run at once, the page goes back to idle and runs again', async () => {
  const dir = path.join(env.work, 'big');
  generate(dir, ['--bytes', String(600 << 20), '--files', '6', '--seed', '6']);
  const names = fs.readdirSync(dir).sort();
  const { page, context } = await openPage(env.browser, env.server.url);
  await page.setInputFiles('[data-testid=file-input]', names.map((n) => path.join(dir, n)));
  await page.waitForSelector('body[data-state="running"]');
  await page.waitForFunction(() => /lines/.test(document.querySelector('[data-testid=progress-text]').textContent));
  await page.click('[data-testid=cancel-button]');
  await page.waitForSelector('body[data-state="cancelled"]', { timeout: 2000 });
  await page.waitForSelector('body[data-state="idle"]', { timeout: 5000 });
  // Nothing of the cancelled run comes back later.
  await page.waitForTimeout(1500);
  assert.equal(await page.getAttribute('body', 'data-state'), 'idle');
  assert.equal(await page.isHidden('[data-testid=results]'), true);
  // And it runs again.
  await page.click('[data-testid=sample-button]');
  const shown = await waitDone(page);
  const samples = runCli([path.join(root, 'www', 'samples', 'sample-logs')], path.join(env.work, 'samples-cli'));
  for (const m of METRICS) assert.equal(shown[m], samples[m], `sample ${m}`);
  await context.close();
});

test('a big plain file is shared by all workers in byte ranges, one cut inside a CRLF, and gives the CLI result', async () => {
  const data = crlfBigFile();
  const dir = path.join(env.work, 'bigfile');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'big.log'), data);
  const cliOut = path.join(env.work, 'bigfile-cli');
  const cliReport = runCli(['big.log'], cliOut, [], dir);
  const { page, context } = await openPage(env.browser, env.server.url);
  const workers = await page.evaluate(() => Math.min(navigator.hardwareConcurrency || 2, 8));
  assert.ok(workers > 1, 'the machine has more than one core');
  await page.setInputFiles('[data-testid=file-input]', path.join(dir, 'big.log'));
  await compareWithCli(page, cliReport, cliOut);
  assert.equal(await page.getAttribute('body', 'data-parts'), '2', 'the file was read as two ranges');
  await context.close();
});

test('the chart is drawn in device pixels on a HiDPI screen', async () => {
  const { page, context } = await openPage(env.browser, env.server.url, { dpr: 2 });
  await page.click('[data-testid=sample-button]');
  await waitDone(page);
  const c = await page.evaluate(() => {
    const canvas = document.querySelector('[data-testid=chart]');
    const ctx = canvas.getContext('2d');
    const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    let blue = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] === 0 && data[i + 1] === 90 && data[i + 2] === 181) blue++;
    return { w: canvas.width, cw: canvas.clientWidth, blue };
  });
  assert.equal(c.w, c.cw * 2, 'canvas pixels = CSS pixels x devicePixelRatio');
  assert.ok(c.blue > 100, 'the downloads series is drawn');
  await context.close();
});
