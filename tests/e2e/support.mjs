// Shared by the end-to-end tests and the browser benchmark: serve dist/ on 127.0.0.1
// (optionally under a sub-path, as GitHub Pages does), start Debian's Chromium with
// playwright-core, record every request, run the native CLI.
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, after } from 'node:test';
import { execFileSync, spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const dist = path.join(root, 'dist');
export const cli = path.join(root, 'target', 'release', 's3logdrop');

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript',
  '.wasm': 'application/wasm', '.css': 'text/css; charset=utf-8', '.png': 'image/png', '.svg': 'image/svg+xml',
  '.json': 'application/json', '.txt': 'text/plain; charset=utf-8', '.webmanifest': 'application/manifest+json',
};

/** Serves `dir` under `base` (e.g. '/' or '/s3logdrop/') on 127.0.0.1, a free port;
 * `mounts` serves more folders under other paths (`{'/bench/': folder}`). */
export async function serve(dir = dist, base = '/', mounts = {}) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    let p = decodeURIComponent(url.pathname);
    const mount = Object.keys(mounts).find((m) => p.startsWith(m));
    const [from, at] = mount ? [mounts[mount], mount] : [dir, base];
    if (!p.startsWith(at)) { res.writeHead(404).end('not under the base path'); return; }
    p = p.slice(at.length);
    if (p === '' || p.endsWith('/')) p += 'index.html';
    const file = path.join(from, p);
    if (!file.startsWith(from) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream', 'cache-control': 'no-cache' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return { server, url: `http://127.0.0.1:${port}${base}`, close: () => new Promise((r) => server.close(r)) };
}

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function launch(extraArgs = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS.concat(extraArgs),
  });
}

/** A page with every request recorded (page and workers): `requests` is [{url, method, time, fromServiceWorker}]. */
export async function openPage(browser, url, opts = {}) {
  const context = await browser.newContext({ acceptDownloads: true, deviceScaleFactor: opts.dpr || 1, viewport: { width: 1280, height: 900 } });
  const requests = [];
  context.on('request', (r) => requests.push({ url: r.url(), method: r.method(), time: Date.now(), fromServiceWorker: !!r.serviceWorker() }));
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.addInitScript(catchDownloads);
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  const loadedAt = Date.now();
  // The settings are in the folded 'How these numbers are counted': a person opens it.
  await page.evaluate(() => { document.getElementById('method').open = true; });
  return { context, page, requests, errors, loadedAt };
}

/** Waits for the run to end in `state` (default done) and returns the summary metrics. */
export async function waitDone(page, state = 'done', timeout = 120_000) {
  await page.waitForSelector(`body[data-state="${state}"]`, { timeout });
  return page.evaluate(() => Object.fromEntries(
    Array.from(document.querySelectorAll('[data-testid=results] [data-metric]'), (d) => [d.dataset.metric, Number(d.dataset.value)])));
}

/** The weekly table's rows as the page shows them, from the CLI's report. */
export function weeklyRows(cliReport) {
  return cliReport.weeks.map((w) => [w.week_start, String(w.downloads), String(w.new_unique_users),
    String(w.active_unique_users), String(w.bytes_sent)]);
}

export const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The period table's rows as the page shows them: the start, then each number's raw value. */
export async function weeklyTable(page) {
  return page.evaluate(() => Array.from(document.querySelectorAll('[data-testid=period-table] tbody tr'),
    (tr) => [tr.dataset.periodStart, ...Array.from(tr.querySelectorAll('[data-col]'), (c) => c.dataset.value)]));
}

/** Runs `s3logdrop analyze` and returns {report, out}. */
export function runCli(paths, out, args = [], cwd = root) {
  fs.rmSync(out, { recursive: true, force: true });
  // The summary holds every day and dataset: it can be megabytes.
  const stdout = execFileSync(cli, ['analyze', ...paths, '--out', out, ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30 });
  return JSON.parse(stdout);
}

/**
 * Keeps each Blob the page hands to a download link, with the name the link gives it.
 * Chromium stops a page's downloads after ten in a row until the person allows more, so
 * the tests read the bytes the page offers instead of the browser's downloaded file.
 */
function catchDownloads() {
  window.caughtDownloads = [];
  const create = URL.createObjectURL;
  URL.createObjectURL = (blob) => { window.caughtDownloads.push(blob); return create.call(URL, blob); };
  const click = HTMLAnchorElement.prototype.click;
  HTMLAnchorElement.prototype.click = function () {
    const last = window.caughtDownloads[window.caughtDownloads.length - 1];
    if (this.download && last) last.savedAs = this.download;
    return click.call(this);
  };
}

/** Clicks a download button (`[data-testid=download-NAME]`, or `selector`) and returns the name and the bytes the page offers. */
export async function downloadBytes(page, name, selector = `[data-testid="download-${name}"]`) {
  // A file in the folded full list: open it, as a person would.
  const before = await page.evaluate(([n, catcher]) => {
    // eslint-disable-next-line no-new-func
    if (!window.caughtDownloads) new Function(`(${catcher})()`)();
    const details = document.querySelector(`[data-testid="download-${n}"]`)?.closest('details');
    if (details) details.open = true;
    return window.caughtDownloads.length;
  }, [name, catchDownloads.toString()]);
  await page.click(selector);
  await page.waitForFunction((k) => window.caughtDownloads.length > k && window.caughtDownloads.at(-1).savedAs,
    before, { timeout: 120_000 }).catch(async (e) => {
    const said = await page.textContent('[data-testid=export-status]').catch(() => '');
    throw new Error(`${name}: no download (${e.message}); the page says: ${said}`);
  });
  const { savedAs, size } = await page.evaluate(() => {
    window.caughtBlob = window.caughtDownloads.pop();
    return { savedAs: window.caughtBlob.savedAs, size: window.caughtBlob.size };
  });
  // Read in slices: a big export does not fit in one string.
  const parts = [];
  const SLICE = 8 << 20;
  for (let at = 0; at < size; at += SLICE) {
    const b64 = await page.evaluate(async ([from, to]) => {
      const bytes = new Uint8Array(await window.caughtBlob.slice(from, to).arrayBuffer());
      let s = '';
      for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return btoa(s);
    }, [at, at + SLICE]);
    parts.push(Buffer.from(b64, 'base64'));
  }
  await page.evaluate(() => { window.caughtBlob = null; });
  return { name: savedAs, bytes: Buffer.concat(parts) };
}

export const METRICS = ['files', 'lines', 'parsed', 'rejected', 'blank', 'downloads', 'unique_users'];
export const ROW_EXPORTS = ['parsed_output.csv', 'rejected_lines.txt'];
export const SUMMARY_EXPORTS = ['downloads_per_day.csv', 'downloads_per_week.csv', 'downloads_per_month.csv',
  'downloads_per_quarter.csv', 'downloads_per_year.csv', 'downloads_per_dataset.csv', 'downloads_per_dataset_per_month.csv', 'downloads_by_country.csv',
  'downloads_by_network.csv',
  'parsed_output_filt.csv', 'top_objects.csv', 'methods.txt', 'summary.json'];

export function assertPrivate(requests, loadedAt, pageUrl) {
  const origin = new URL(pageUrl).origin;
  const net = requests.filter((r) => !r.url.startsWith('blob:') && !r.url.startsWith('data:'));
  const foreign = net.filter((r) => new URL(r.url).origin !== origin);
  assert.deepEqual(foreign.map((r) => r.url), [], 'no request to another origin');
  const late = net.filter((r) => r.time > loadedAt);
  assert.deepEqual(late.map((r) => r.url), [], 'no request after the page and its workers loaded');
}

/** Waits for the run, then checks the summary, the weekly table and every download against the CLI's. */
export async function compareWithCli(page, cliReport, outDir) {
  const shown = await waitDone(page);
  for (const m of METRICS) assert.equal(shown[m], cliReport[m], `summary ${m}`);
  assert.deepEqual(await weeklyTable(page), weeklyRows(cliReport), 'weekly table');
  // The full list of files is one click away.
  await page.evaluate(() => { document.querySelector('.more-downloads').open = true; });
  for (const name of [...SUMMARY_EXPORTS, ...ROW_EXPORTS]) {
    const got = await downloadBytes(page, name);
    assert.equal(got.name, name);
    const want = fs.readFileSync(path.join(outDir, name));
    assert.ok(got.bytes.equals(want), `${name}: the page's bytes equal the CLI's (${got.bytes.length} vs ${want.length} bytes)`);
  }
  const png = await downloadBytes(page, 'downloads_over_time.png');
  assert.ok(png.bytes.subarray(0, 8).equals(Buffer.from(PNG_MAGIC)), 'a PNG');
  assert.ok(png.bytes.length > 5000, 'a PNG with a chart in it');
}


/** Before this file's tests: checks the builds, serves dist/, starts the browser, makes a
 * scratch folder; after them, closes and removes all. The returned object holds
 * {server, browser, work} once the tests run. */
export function useBrowser(prefix) {
  const env = {};
  before(async () => {
    for (const p of [path.join(dist, 'index.html'), cli]) {
      assert.ok(fs.existsSync(p), `${p} is missing: run bash scripts/test.sh (it builds the page and the CLI)`);
    }
    env.work = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    env.server = await serve();
    env.browser = await launch();
  });
  after(async () => {
    if (env.browser) await env.browser.close();
    if (env.server) await env.server.close();
    if (env.work) fs.rmSync(env.work, { recursive: true, force: true });
  });
  return env;
}

/** A CSV file's rows, without its header (the CLI's files have no quoted numbers). */
export function csvRows(file) {
  return fs.readFileSync(file, 'utf8').trimEnd().split('\r\n').slice(1).map((l) => l.split(','));
}

/** The period table as rows of the CSV's columns (partial as true/false). Playwright's and puppeteer's `$$eval` alike. */
export function periodTable(page) {
  return page.$$eval('[data-testid=period-table] tbody tr', (trs) => trs.map((tr) => {
    const v = (c) => tr.querySelector(`[data-col=${c}]`).dataset.value;
    const start = tr.dataset.periodStart;
    const end = tr.querySelector('th').textContent.match(/(\d{4}-\d{2}-\d{2})(?!.*\d{4}-\d{2}-\d{2})/)[1];
    return [start, end, v('downloads'), v('new_unique_users'), v('active_unique_users'), v('bytes_sent'),
      tr.dataset.partial === 'true' ? 'true' : 'false'];
  }));
}

/** The dataset table as rows of downloads_per_dataset.csv (the DOI column left empty). */
export function datasetTable(page) {
  return page.$$eval('[data-testid=dataset-table] tbody tr', (trs) => trs.map((tr) => {
    const v = (c) => tr.querySelector(`[data-col=${c}]`).dataset.value;
    return [tr.dataset.dataset, '', v('downloads'), v('unique_users'), v('bytes_sent'), v('full_download_equivalents'),
      v('first_download'), v('last_download')];
  }));
}

/** The country table as [country_code, downloads, unique_users, bytes_sent] rows. */
export function countryTable(page) {
  return page.$$eval('[data-testid=country-table] tbody tr', (trs) => trs.map((tr) => {
    const v = (c) => tr.querySelector(`[data-col=${c}]`).dataset.value;
    return [tr.dataset.country, v('downloads'), v('unique_users'), v('bytes_sent')];
  }));
}

/** The rows of downloads_by_country.csv the page shows: the 25 most downloaded countries, then the unknown ones. */
export function countryRows(file) {
  // The code is first and the numbers last: a country's name may hold a comma.
  const rows = csvRows(file).map((r) => [r[0], ...r.slice(-3)]);
  return rows.filter((r) => r[0]).slice(0, 25).concat(rows.filter((r) => !r[0]));
}

/** The network table as [asn, cloud, aws_region, downloads, unique_users, bytes_sent] rows. */
export function networkTable(page) {
  return page.$$eval('[data-testid=network-table] tbody tr', (trs) => trs.map((tr) => {
    const v = (c) => tr.querySelector(`[data-col=${c}]`).dataset.value;
    return [tr.dataset.asn, v('cloud'), tr.dataset.region, v('downloads'), v('unique_users'), v('bytes_sent')];
  }));
}

/** The COUNTER table as rows of counter_metrics.csv. */
export function counterTable(page) {
  return page.$$eval('[data-testid=counter-table] tbody tr', (trs) => trs.map((tr) => {
    const v = (c) => tr.querySelector(`[data-col=${c}]`).dataset.value;
    return [tr.dataset.dataset, tr.dataset.doi, tr.dataset.month, tr.dataset.access,
      v('total_dataset_investigations'), v('unique_dataset_investigations'), v('total_dataset_requests'),
      v('unique_dataset_requests'), v('volume_bytes')];
  }));
}

/** The rows of downloads_by_network.csv the page shows: the 25 most downloaded networks, then the unknown ones. */
export function networkRows(file) {
  // Only the network's name may hold a comma: the number first, the rest counted from the end.
  const rows = csvRows(file).map((r) => [r[0], ...r.slice(-5)]);
  const known = (r) => r[0] || r[1];
  return rows.filter(known).slice(0, 25).concat(rows.filter((r) => !known(r)));
}

/** Pixels of the map canvas in the map's class colours (countries with users), once it is drawn. */
export async function mapColoured(page) {
  await page.waitForSelector('[data-testid=map][data-drawn="true"]');
  return page.$eval('[data-testid=map]', (c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const classes = ['198,219,239', '158,202,225', '107,174,214', '49,130,189', '8,81,156'];
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (classes.includes(`${d[i]},${d[i + 1]},${d[i + 2]}`)) n++;
    return n;
  });
}

/**
 * Where the downloads come from, in a browser (`choose(testid, value)` picks an option):
 * the network table and the cloud share equal the CLI's, the map draws, and for a dataset
 * and a month with a handful of downloads (so that every country and network is shown)
 * the countries and networks add up to that month's row of downloads_per_dataset_per_month.csv.
 */
export async function checkGeography(page, choose, out, cli) {
  const networks = networkRows(path.join(out, 'downloads_by_network.csv'));
  assert.ok(networks.length > 10, `the delivery's addresses are in many networks: ${networks.length}`);
  assert.deepEqual(await networkTable(page), networks, 'network table');
  assert.ok(cli.cloud.downloads > 0, 'some downloads come from cloud networks');
  assert.deepEqual(await page.$eval('[data-testid=cloud-note]', (e) => [e.dataset.downloads, e.dataset.users]),
    [String(cli.cloud.downloads), String(cli.cloud.unique_users)], 'the cloud share');
  assert.ok(await mapColoured(page) > 2000, 'the map shows countries with users');
  const months = csvRows(path.join(out, 'downloads_per_dataset_per_month.csv'));
  const pick = months.find((r) => Number(r[3]) >= 2 && Number(r[3]) <= 25);
  assert.ok(pick, 'a dataset month with a handful of downloads');
  const [name, from, to, downloads, , active, bytes] = pick;
  await choose('period', 'month');
  await choose('dataset', name);
  await choose('geo-days', `${from}/${to}`);
  const sum = (rows, i) => String(rows.reduce((n, r) => n + Number(r[i]), 0));
  const countries = await countryTable(page);
  assert.deepEqual([sum(countries, 1), sum(countries, 2), sum(countries, 3)], [downloads, active, bytes], `countries of ${name} in ${from}`);
  const nets = await networkTable(page);
  assert.deepEqual([sum(nets, 3), sum(nets, 4), sum(nets, 5)], [downloads, active, bytes], `networks of ${name} in ${from}`);
  assert.match(await page.$eval('[data-testid=countries-note]', (e) => e.textContent), new RegExp(`from ${from} to ${to}`));
  await choose('geo-days', '');
  await choose('dataset', '');
  assert.deepEqual(await networkTable(page), networks, 'all the networks again');
}

/** A delivery folder spread over months, with hundreds of users and many datasets (made once per scratch folder). */
export function delivery(work) {
  const d = path.join(work, 'delivery');
  if (!fs.existsSync(d)) {
    generate(path.join(d, 'a'), ['--bytes', '1500000', '--files', '40', '--seed', '31', '--mean-gap', '2500', '--clients', '400']);
  }
  return d;
}

/** `s3logdrop generate --out OUT ARGS...`: generated logs for a test. */
export function generate(out, args) {
  execFileSync(cli, ['generate', '--out', out, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
}

export const XSS = '<img src=x onerror=alert(1)>';

/** A download whose key is HTML, and a rejected line whose user agent is HTML. */
export function hostileLog() {
  const owner = '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be';
  const key = encodeURIComponent(XSS);
  return [
    `${owner} awsexamplebucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - 3E57427F3EXAMPLE REST.GET.OBJECT ${key} "GET /awsexamplebucket1/${key} HTTP/1.1" 200 - 113 113 7 - "-" "${XSS}" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader awsexamplebucket1.s3.us-west-1.amazonaws.com TLSV1.2`,
    `${owner} awsexamplebucket1 [06/Feb/2019:00:00:39 +0000] 192.0.2.4 - 3E57427F3EXAMPLE REST.GET.OBJECT x "GET /awsexamplebucket1/x HTTP/1.1" 200 - 113 113 7 - "-" "${XSS}`,
    '',
  ].join('\n');
}

/** ~70 MiB of CRLF lines (the fixtures: rejects, blank lines, no gzip), built so that the
 * page's cut into two halves falls between a \r and its \n. */
export function crlfBigFile() {
  const unit = Buffer.concat([fs.readFileSync(path.join(root, 'fixtures', 'own', 'edge_cases.log')),
    ...fs.readdirSync(path.join(root, 'fixtures', 'corpus')).filter((f) => f.endsWith('.log'))
      .map((f) => Buffer.from(`${fs.readFileSync(path.join(root, 'fixtures', 'corpus', f), 'latin1').replace(/\r?\n$/, '').replace(/\r?\n/g, '\r\n')}\r\n`, 'latin1'))]);
  const a = Buffer.concat(Array(Math.ceil((35 << 20) / unit.length)).fill(unit));
  assert.equal(a.subarray(-2).toString(), '\r\n');
  const b = Buffer.concat([Buffer.from('abc'), a.subarray(5)]);
  const data = Buffer.concat([a, b]);
  const cut = Math.floor(data.length / 2);
  assert.equal(data[cut - 1], 0x0d);
  assert.equal(data[cut], 0x0a);
  return data;
}

// A local S3 for the bucket tests and benchmark: moto's server, which .ci/setup installs.

/** A free port on 127.0.0.1. */
export const freePort = () => new Promise((resolve) => {
  const s = net.createServer();
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

/** moto's server: S3LOGDROP_MOTO_SERVER, the venv .ci/setup makes, or the PATH's. */
function motoServer() {
  if (process.env.S3LOGDROP_MOTO_SERVER) return process.env.S3LOGDROP_MOTO_SERVER;
  const venv = path.join(os.homedir(), '.cache/s3logdrop/moto/bin/moto_server');
  return fs.existsSync(venv) ? venv : 'moto_server';
}

/** moto's server (a local S3) on a free port: `{child, url}`. */
export async function startMoto() {
  const port = await freePort();
  const child = spawn(motoServer(), ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let t = 0; ; t++) {
    try { await fetch(url); break; } catch (_) { /* not up yet */ }
    assert.ok(t < 600, "moto's server did not start: run bash .ci/setup");
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, url };
}

/** PUTs a bucket or an object (moto takes unsigned requests). */
export async function put(s3, p, body) {
  const r = await fetch(`${s3}/${p}`, { method: 'PUT', body });
  assert.ok(r.ok, `PUT ${p}: ${r.status}`);
}

/** Uploads every file under `dir` as `prefix` + its path there; returns the keys. */
export async function upload(s3, bucket, dir, prefix) {
  const keys = [];
  const walk = async (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else {
        const key = prefix + path.relative(dir, p).split(path.sep).join('/');
        await put(s3, `${bucket}/${key}`, fs.readFileSync(p));
        keys.push(key);
      }
    }
  };
  await walk(dir);
  return keys.sort();
}

/** DELETEs an object (moto wants an Authorization header on a DELETE, any will do). */
export function del(s3, p) {
  return fetch(`${s3}/${p}`, {
    method: 'DELETE',
    headers: { authorization: 'AWS4-HMAC-SHA256 Credential=AKIATEST/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0' },
  });
}

