// Browser benchmark (first part of it): the release page in headless Chromium, end to
// end (File.stream() in the workers, parse, merge, render) on generated logs, with one
// worker and with all workers, beside the native CLI on the same files.
// Usage: cargo build --release && trunk build --release && node scripts/bench-browser.mjs [MB]
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { root, cli, serve, launch } from '../tests/e2e/support.mjs';

const mb = Number(process.argv[2] || 1024);
const dir = path.join(root, 'target', 'bench-browser');
const big = path.join(dir, `big-${mb}MB`);
if (!fs.existsSync(big)) {
  execFileSync(cli, ['generate', '--out', big, '--bytes', String(mb * 1e6), '--files', '1', '--seed', '42'], { stdio: 'inherit' });
}
const files = fs.readdirSync(big).map((f) => path.join(big, f));
const bytes = files.reduce((s, f) => s + fs.statSync(f).size, 0);

const server = await serve();
const browser = await launch();
async function endToEnd(workers) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${server.url}?workers=${workers}`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  const t0 = Date.now();
  await page.setInputFiles('[data-testid=file-input]', files);
  await page.waitForSelector('body[data-state="done"]', { timeout: 600_000 });
  const wall = (Date.now() - t0) / 1000;
  const secs = Number(await page.getAttribute('body', 'data-seconds'));
  const lines = Number(await page.textContent('[data-metric=lines]'));
  await context.close();
  return { secs, wall, lines };
}
const all = await endToEnd(0).catch(() => null); // warm-up (page cache, compile)
void all;
const cores = await (async () => { const c = await browser.newContext(); const p = await c.newPage(); const n = await p.evaluate(() => navigator.hardwareConcurrency); await c.close(); return n; })();
const one = await endToEnd(1);
const many = await endToEnd(Math.min(cores, 8));
await browser.close();
await server.close();

const t0 = process.hrtime.bigint();
execFileSync(cli, ['analyze', ...files, '--out', path.join(dir, 'cli-out')], { stdio: ['ignore', 'ignore', 'inherit'] });
const native = Number(process.hrtime.bigint() - t0) / 1e9;

const row = (label, s, lines) => console.log(`${label.padEnd(34)} ${(bytes / 1e6 / s).toFixed(0).padStart(7)} MB/s ${(lines / s / 1e6).toFixed(2).padStart(6)} M lines/s  ${s.toFixed(2)} s`);
console.log(`${(bytes / 1e6).toFixed(1)} MB in ${files.length} file(s), ${one.lines} lines; Chromium ${cores} cores`);
row('page, 1 worker (end to end)', one.secs, one.lines);
row(`page, ${Math.min(cores, 8)} workers (end to end)`, many.secs, many.lines);
row('native CLI analyze (all outputs)', native, one.lines);
console.log(`all workers / one worker: ${(one.secs / many.secs).toFixed(2)}x; one worker / native CLI: ${(native / one.secs * 100).toFixed(0)}%`);
