// The page in Firefox: Debian's Firefox ESR, driven by puppeteer-core over WebDriver BiDi
// (playwright-core drives only Chromium here; it cannot drive a stock Firefox). The page
// says it works in Firefox; these tests hold it to that with what a person does: pick
// files (good, gzip, broken, hostile), try the samples, change a setting, cancel, pick a
// big file that the workers share in byte ranges, read the report by period, dataset and
// mapping, rounded for publication. Each result must equal the native CLI's for the same
// files, byte for byte.
//
// Downloads: puppeteer has no download events for Firefox, so the Blob the page hands to
// its download link is caught by wrapping URL.createObjectURL before the page loads, and
// its SHA-256 is compared with the CLI's file. That checks the bytes the person would get;
// that Firefox saves a Blob link's bytes as they are is Firefox's business.
//
// Needs Firefox ESR (`bash .ci/setup` installs it from Debian; FIREFOX=path overrides),
// `trunk build --release` and the release CLI: run through `bash scripts/test.sh`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import puppeteer from 'puppeteer-core';
import {
  root, dist, cli, serve, runCli, METRICS, SUMMARY_EXPORTS, ROW_EXPORTS, assertPrivate,
  generate, XSS, hostileLog, crlfBigFile, weeklyRows, PNG_MAGIC, csvRows, periodTable, datasetTable, delivery,
  countryTable, countryRows, checkGeography, networkTable, networkRows, counterTable,
} from './support.mjs';

const FIREFOX = process.env.FIREFOX || '/usr/bin/firefox-esr';
const env = {};

before(async () => {
  for (const p of [path.join(dist, 'index.html'), cli, FIREFOX]) {
    assert.ok(fs.existsSync(p), `${p} is missing: run bash scripts/test.sh (it installs Firefox ESR and builds the page and the CLI)`);
  }
  env.work = fs.mkdtempSync(path.join(os.tmpdir(), 's3logdrop-firefox-'));
  env.server = await serve();
  env.browser = await puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX, headless: true });
});

after(async () => {
  if (env.browser) await env.browser.close();
  if (env.server) await env.server.close();
  if (env.work) fs.rmSync(env.work, { recursive: true, force: true });
});

/** A new tab on the page in a context of its own (its own storage: a remembered analysis
 * does not reach the next test), its errors, dialogs and requests recorded, downloads caught. */
async function open() {
  const context = await env.browser.createBrowserContext();
  const page = await context.newPage();
  page.once('close', () => { context.close().catch(() => {}); });
  const seen = { errors: [], requests: [], dialogs: 0 };
  page.on('pageerror', (e) => seen.errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') seen.errors.push(m.text()); });
  page.on('request', (r) => seen.requests.push({ url: r.url(), time: Date.now() }));
  page.on('dialog', (d) => { seen.dialogs++; d.dismiss(); });
  await page.evaluateOnNewDocument(() => {
    window.caughtDownloads = [];
    const create = URL.createObjectURL;
    URL.createObjectURL = (blob) => { window.caughtDownloads.push(blob); return create.call(URL, blob); };
    // The link's name goes with the Blob made just before it is clicked.
    const click = HTMLAnchorElement.prototype.click;
    HTMLAnchorElement.prototype.click = function () {
      if (this.download) window.caughtDownloads[window.caughtDownloads.length - 1].savedAs = this.download;
      return click.call(this);
    };
  });
  await page.goto(env.server.url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  await page.evaluate(() => { document.getElementById('method').open = true; });
  seen.loadedAt = Date.now();
  return { page, seen };
}

async function waitDone(page, timeout = 120_000) {
  await page.waitForSelector('body[data-state="done"]', { timeout });
  return page.evaluate(() => Object.fromEntries(
    Array.from(document.querySelectorAll('[data-testid=results] [data-metric]'), (d) => [d.dataset.metric, Number(d.dataset.value)])));
}

/** Clicks a download button; returns the name the link gave and the bytes' size and SHA-256. */
async function download(page, name) {
  const n = await page.evaluate(() => window.caughtDownloads.length);
  await page.click(`[data-testid="download-${name}"]`);
  await page.waitForFunction((k) => window.caughtDownloads.length > k && window.caughtDownloads.at(-1).savedAs,
    { timeout: 120_000 }, n);
  return page.evaluate(async () => {
    const blob = window.caughtDownloads.at(-1);
    const bytes = new Uint8Array(await blob.arrayBuffer());
    const head = Array.from(bytes.subarray(0, 8));
    const sha = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
    return { name: blob.savedAs, size: bytes.length, head, sha256: Array.from(sha, (b) => b.toString(16).padStart(2, '0')).join('') };
  });
}

async function compareWithCli(page, cliReport, outDir) {
  const shown = await waitDone(page);
  for (const m of METRICS) assert.equal(shown[m], cliReport[m], `summary ${m}`);
  const rows = await page.$$eval('[data-testid=period-table] tbody tr',
    (trs) => trs.map((tr) => [tr.dataset.periodStart, ...Array.from(tr.querySelectorAll('[data-col]'), (c) => c.dataset.value)]));
  assert.deepEqual(rows, weeklyRows(cliReport), 'weekly table');
  await page.evaluate(() => { document.querySelector('.more-downloads').open = true; });
  for (const name of [...SUMMARY_EXPORTS, ...ROW_EXPORTS]) {
    const got = await download(page, name);
    const want = fs.readFileSync(path.join(outDir, name));
    assert.equal(got.name, name);
    assert.deepEqual([got.size, got.sha256], [want.length, crypto.createHash('sha256').update(want).digest('hex')],
      `${name}: the page's bytes equal the CLI's`);
  }
  const png = await download(page, 'downloads_over_time.png');
  assert.deepEqual(png.head, PNG_MAGIC, 'a PNG');
  assert.ok(png.size > 5000, 'a PNG with a chart in it');
}

test('Firefox: picked files (logs, gzip, broken files, hostile text) give the CLI numbers and files, byte for byte', async () => {
  const dir = path.join(env.work, 'picked');
  generate(dir, ['--bytes', '400000', '--files', '8', '--seed', '13', '--mean-gap', '4000', '--clients', '300']);
  generate(path.join(env.work, 'gz'), ['--bytes', '300000', '--files', '2', '--seed', '14', '--gzip']);
  for (const f of fs.readdirSync(path.join(env.work, 'gz'))) fs.copyFileSync(path.join(env.work, 'gz', f), path.join(dir, `gz-${f}`));
  for (const f of ['edge_cases.log', 'edge_cases.multi.gz', 'not_a_log.csv', 'image.png', 'empty.log']) {
    fs.copyFileSync(path.join(root, 'fixtures', 'own', f), path.join(dir, f));
  }
  const gz = zlib.gzipSync(fs.readFileSync(path.join(root, 'fixtures', 'own', 'edge_cases.log')));
  fs.writeFileSync(path.join(dir, 'truncated.gz'), gz.subarray(0, Math.floor(gz.length * 0.6)));
  fs.writeFileSync(path.join(dir, 'hostile.log'), hostileLog());
  const names = fs.readdirSync(dir).sort();
  const cliOut = path.join(env.work, 'picked-cli');
  const cliReport = runCli(names, cliOut, [], dir);
  assert.ok(cliReport.files > 12 && cliReport.downloads > 100, 'a real input');

  const { page, seen } = await open();
  const input = await page.$('[data-testid=file-input]');
  await input.uploadFile(...names.map((n) => path.join(dir, n)));
  await compareWithCli(page, cliReport, cliOut);

  const notes = await page.$$eval('[data-testid=file-notes] li', (lis) => lis.map((li) => [li.textContent.split(':')[0], li.dataset.kind]));
  assert.deepEqual(Object.fromEntries(notes), {
    'empty.log': 'empty', 'image.png': 'binary', 'not_a_log.csv': 'no_log_lines', 'truncated.gz': 'gzip_truncated',
  });
  // Log text is shown as text: the hostile user agent appears, no element is made.
  assert.ok((await page.$eval('[data-testid=rejects]', (e) => e.textContent)).includes(XSS));
  assert.equal(await page.$$eval('main img', (imgs) => imgs.length), 0, 'no element was made from log text');
  assert.equal(seen.dialogs, 0, 'no script from the log ran');
  assert.deepEqual(seen.errors, [], 'no error in the console');
  assertPrivate(seen.requests, seen.loadedAt, env.server.url);
  assert.ok(await page.evaluate(() => Math.min(navigator.hardwareConcurrency, 8)) >= 2, 'a pool of several workers');
  await page.close();
});

test('Firefox: a big plain file is shared by the workers in byte ranges, one cut inside a CRLF, and gives the CLI result', async () => {
  const dir = path.join(env.work, 'bigfile');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'big.log'), crlfBigFile());
  const cliOut = path.join(env.work, 'bigfile-cli');
  const cliReport = runCli(['big.log'], cliOut, [], dir);
  const { page, seen } = await open();
  const input = await page.$('[data-testid=file-input]');
  await input.uploadFile(path.join(dir, 'big.log'));
  await compareWithCli(page, cliReport, cliOut);
  assert.equal(await page.$eval('body', (b) => b.dataset.parts), '2', 'the file was read as two ranges');
  assert.deepEqual(seen.errors, []);
  await page.close();
});

test('Firefox: the sample logs, a changed setting (remembered), cancel, and a run after it', async () => {
  const { page, seen } = await open();
  await page.click('[data-testid=sample-button]');
  const shown = await waitDone(page);
  const samples = runCli([path.join(root, 'www', 'samples', 'sample-logs')], path.join(env.work, 'samples-cli'));
  for (const m of METRICS) assert.equal(shown[m], samples[m], `sample ${m}`);

  await page.select('select[name=bots]', 'off');
  await page.waitForFunction((d) => document.body.dataset.state === 'done'
    && Number(document.querySelector('[data-metric=downloads]').dataset.value) !== d, {}, shown.downloads);
  const off = await waitDone(page);
  const samplesOff = runCli([path.join(root, 'www', 'samples', 'sample-logs')], path.join(env.work, 'samples-cli-off'), ['--bots', 'off']);
  for (const m of METRICS) assert.equal(off[m], samplesOff[m], `sample with --bots off: ${m}`);
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]');
  await page.evaluate(() => { document.getElementById('method').open = true; });
  assert.equal(await page.$eval('select[name=bots]', (s) => s.value), 'off', 'remembered in localStorage');
  await page.click('#reset-settings');

  // Cancel a long run: the page goes back to idle, and runs again.
  const dir = path.join(env.work, 'long');
  generate(dir, ['--bytes', String(300 << 20), '--files', '3', '--seed', '16']);
  const input = await page.$('[data-testid=file-input]');
  await input.uploadFile(...fs.readdirSync(dir).sort().map((n) => path.join(dir, n)));
  await page.waitForFunction(() => /lines/.test(document.querySelector('[data-testid=progress-text]').textContent), { timeout: 30_000 });
  await page.click('[data-testid=cancel-button]');
  await page.waitForSelector('body[data-state="idle"]', { timeout: 5000 });
  assert.equal(await page.$eval('[data-testid=results]', (r) => r.hidden), true);
  await page.click('[data-testid=sample-button]');
  const again = await waitDone(page);
  for (const m of METRICS) assert.equal(again[m], samples[m], `sample after cancel: ${m}`);
  assert.deepEqual(seen.errors, []);
  await page.close();
});

/** The bytes of a caught download, as text. */
async function downloadText(page, name) {
  await download(page, name);
  return page.evaluate(() => window.caughtDownloads.at(-1).text());
}

test('Firefox: the report — each period, the datasets, a chosen dataset, a mapping, the method, rounding and the SVG equal the CLI', async () => {
  const d = delivery(env.work);
  const files = fs.readdirSync(path.join(d, 'a')).sort().map((n) => path.join(d, 'a', n));
  const out = path.join(env.work, 'report-cli');
  const cli = runCli([d], out);
  const { page, seen } = await open();
  await (await page.$('[data-testid=file-input]')).uploadFile(...files);
  const shown = await waitDone(page);
  assert.equal(shown.downloads, cli.downloads);
  for (const p of ['day', 'week', 'month', 'quarter', 'year']) {
    await page.select('[data-testid=period]', p);
    assert.deepEqual(await periodTable(page), csvRows(path.join(out, `downloads_per_${p}.csv`)), `${p} table`);
  }
  const want = csvRows(path.join(out, 'downloads_per_dataset.csv'));
  const datasets = await datasetTable(page);
  assert.ok(datasets.length > 3);
  assert.deepEqual(datasets, want.slice(0, datasets.length), 'dataset table');
  assert.deepEqual(await countryTable(page), countryRows(path.join(out, 'downloads_by_country.csv')), 'country table');
  assert.equal(await downloadText(page, 'downloads_by_country.csv'), fs.readFileSync(path.join(out, 'downloads_by_country.csv'), 'utf8'));
  await checkGeography(page, (id, v) => page.select(`[data-testid=${id}]`, v), out, cli);
  assert.equal(await downloadText(page, 'downloads_by_network.csv'), fs.readFileSync(path.join(out, 'downloads_by_network.csv'), 'utf8'));
  await page.select('[data-testid=period]', 'month');
  await page.select('[data-testid=dataset]', want[0][0]);
  assert.deepEqual(await periodTable(page), csvRows(path.join(out, 'downloads_per_dataset_per_month.csv'))
    .filter((r) => r[0] === want[0][0]).map((r) => r.slice(1)), 'the chosen dataset\'s months');
  // The chosen dataset's countries add up to its row of downloads_per_dataset.csv.
  const mine = await countryTable(page);
  const sum = (i) => String(mine.reduce((n, r) => n + Number(r[i]), 0));
  assert.deepEqual([sum(1), sum(2), sum(3)], [want[0][2], want[0][3], want[0][4]], 'the chosen dataset\'s countries');
  const svg = await downloadText(page, 'downloads_over_time.svg');
  assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.equal(await page.evaluate((t) => !!new DOMParser().parseFromString(t, 'image/svg+xml').querySelector('parsererror'), svg), false);
  await page.select('[data-testid=dataset]', '');

  // Rounded for publication: as the CLI with --publication-rounding.
  const outPublic = path.join(env.work, 'report-cli-public');
  runCli([d], outPublic, ['--publication-rounding', '--period', 'month']);
  await page.click('[data-testid=publication]');
  await page.waitForFunction(() => /rounded to the nearest 10/.test(document.querySelector('[data-testid=methods]').textContent));
  assert.deepEqual(await periodTable(page), csvRows(path.join(outPublic, 'downloads_per_month.csv')), 'rounded months');
  const rounded = await datasetTable(page);
  assert.deepEqual(rounded, csvRows(path.join(outPublic, 'downloads_per_dataset.csv')).slice(0, rounded.length), 'rounded datasets');
  assert.equal(await downloadText(page, 'methods.txt'), fs.readFileSync(path.join(outPublic, 'methods.txt'), 'utf8'));
  await page.click('[data-testid=publication]');

  // Dataset names from a mapping file: as --datasets.
  const mapping = path.join(env.work, 'firefox-datasets.csv');
  fs.writeFileSync(mapping, 'prefix,name,doi\nzarr/,Zarr stores,10.48324/dandi.000026\n');
  const outMapped = path.join(env.work, 'report-cli-mapped');
  runCli([d], outMapped, ['--datasets', mapping]);
  await (await page.$('[data-testid=datasets-file]')).uploadFile(mapping);
  await page.waitForSelector('[data-testid=dataset-table] tr[data-dataset="Zarr stores"]', { timeout: 60_000 });
  await waitDone(page);
  assert.equal(await downloadText(page, 'downloads_per_dataset.csv'), fs.readFileSync(path.join(outMapped, 'downloads_per_dataset.csv'), 'utf8'));
  assert.match(await page.$eval('[data-testid=methods]', (e) => e.textContent), /named by a list of 1 key prefix \(/);

  // Cloud and hosting networks left out: as --exclude-cloud.
  const outCloud = path.join(env.work, 'report-cli-no-cloud');
  const noCloud = runCli([d], outCloud, ['--datasets', mapping, '--exclude-cloud', '--period', 'month']);
  await page.click('[data-testid=exclude-cloud]');
  await page.waitForFunction(() => /from cloud and hosting networks \(/.test(document.querySelector('[data-testid=methods]').textContent), { timeout: 60_000 });
  const left = await waitDone(page);
  assert.equal(left.downloads, noCloud.downloads);
  assert.ok(noCloud.removed.cloud > 0);
  assert.deepEqual(await networkTable(page), networkRows(path.join(outCloud, 'downloads_by_network.csv')), 'networks without cloud');
  assert.equal(await downloadText(page, 'methods.txt'), fs.readFileSync(path.join(outCloud, 'methods.txt'), 'utf8'));

  // COUNTER: its table and counter_metrics.csv as the CLI's with --counter (the cloud
  // setting does not apply to it: COUNTER keeps machines).
  const outCounter = path.join(env.work, 'report-cli-counter');
  runCli([d], outCounter, ['--datasets', mapping, '--exclude-cloud', '--counter']);
  await page.evaluate(() => { document.getElementById('method').open = true; });
  await page.click('[data-testid=counter-setting]');
  await page.waitForSelector('[data-testid=counter]:not([hidden])', { timeout: 60_000 });
  await waitDone(page);
  assert.deepEqual(await counterTable(page), csvRows(path.join(outCounter, 'counter_metrics.csv')), 'COUNTER table');
  assert.equal(await downloadText(page, 'counter_metrics.csv'), fs.readFileSync(path.join(outCounter, 'counter_metrics.csv'), 'utf8'));
  assert.deepEqual(seen.errors, []);
  assertPrivate(seen.requests, seen.loadedAt, env.server.url);
  await page.close();
});

test('Firefox: the analysis is remembered; after a reload the files added are the only ones read, and the totals are the CLI\'s', async () => {
  const all = path.join(env.work, 'remember-all');
  generate(all, ['--bytes', '600000', '--files', '12', '--seed', '58', '--mean-gap', '3000']);
  const names = fs.readdirSync(all).sort();
  const dir = path.join(env.work, 'remember', 'logs');
  fs.mkdirSync(dir, { recursive: true });
  for (const f of names.slice(0, 8)) fs.copyFileSync(path.join(all, f), path.join(dir, f));
  const { page, seen } = await open();
  await (await page.$('[data-testid=file-input]')).uploadFile(...names.slice(0, 8).map((n) => path.join(dir, n)));
  await waitDone(page);
  await page.waitForSelector('body[data-remembered="true"]', { timeout: 30_000 });
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  const back = await waitDone(page);
  const first = runCli(names.slice(0, 8), path.join(env.work, 'remember-cli-8'), [], dir);
  for (const m of METRICS) assert.equal(back[m], first[m], `after a reload: ${m}`);
  for (const f of names.slice(8)) fs.copyFileSync(path.join(all, f), path.join(dir, f));
  await (await page.$('[data-testid=file-input]')).uploadFile(...names.map((n) => path.join(dir, n)));
  await page.waitForFunction(() => document.body.dataset.filesRead === '4' && document.body.dataset.state === 'done', { timeout: 60_000 });
  const grown = await waitDone(page);
  const whole = runCli(names, path.join(env.work, 'remember-cli-12'), [], dir);
  for (const m of METRICS) assert.equal(grown[m], whole[m], `8 remembered + 4 new: ${m}`);
  assert.deepEqual(seen.errors, []);
  await page.close();
});
