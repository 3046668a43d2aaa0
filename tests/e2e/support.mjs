// Shared by the end-to-end tests and the browser benchmark: serve dist/ on 127.0.0.1
// (optionally under a sub-path, as GitHub Pages does), start Debian's Chromium with
// playwright-core, record every request, run the native CLI.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const dist = path.join(root, 'dist');
export const cli = path.join(root, 'target', 'release', 's3logdrop');

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript',
  '.wasm': 'application/wasm', '.css': 'text/css; charset=utf-8', '.png': 'image/png', '.svg': 'image/svg+xml',
  '.json': 'application/json', '.txt': 'text/plain; charset=utf-8', '.webmanifest': 'application/manifest+json',
};

/** Serves `dir` under `base` (e.g. '/' or '/s3logdrop/') on 127.0.0.1, a free port. */
export async function serve(dir = dist, base = '/') {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    let p = decodeURIComponent(url.pathname);
    if (!p.startsWith(base)) { res.writeHead(404).end('not under the base path'); return; }
    p = p.slice(base.length);
    if (p === '' || p.endsWith('/')) p += 'index.html';
    const file = path.join(dir, p);
    if (!file.startsWith(dir) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
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

/** A page with every request recorded (page and workers): `requests` is [{url, time}]. */
export async function openPage(browser, url, opts = {}) {
  const context = await browser.newContext({ acceptDownloads: true, deviceScaleFactor: opts.dpr || 1, viewport: { width: 1280, height: 900 } });
  const requests = [];
  context.on('request', (r) => requests.push({ url: r.url(), time: Date.now() }));
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  return { context, page, requests, errors, loadedAt: Date.now() };
}

/** Waits for the run to end in `state` (default done) and returns the summary metrics. */
export async function waitDone(page, state = 'done', timeout = 120_000) {
  await page.waitForSelector(`body[data-state="${state}"]`, { timeout });
  return page.evaluate(() => Object.fromEntries(
    Array.from(document.querySelectorAll('[data-testid=summary] [data-metric]'), (d) => [d.dataset.metric, Number(d.textContent)])));
}

export async function weeklyTable(page) {
  return page.evaluate(() => Array.from(document.querySelectorAll('[data-testid=weekly-table] tbody tr'),
    (tr) => Array.from(tr.children, (c) => c.textContent)));
}

/** Runs `s3logdrop analyze` and returns {report, out}. */
export function runCli(paths, out, args = [], cwd = root) {
  fs.rmSync(out, { recursive: true, force: true });
  const stdout = execFileSync(cli, ['analyze', ...paths, '--out', out, ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return JSON.parse(stdout);
}

/** Clicks a download button and returns the downloaded bytes. */
export async function downloadBytes(page, name) {
  const [dl] = await Promise.all([
    page.waitForEvent('download', { timeout: 120_000 }),
    page.click(`[data-testid="download-${name}"]`),
  ]);
  const p = await dl.path();
  return { name: dl.suggestedFilename(), bytes: fs.readFileSync(p) };
}
