// Screenshots the real page after "Try with sample logs" into docs/screenshot.png (the
// report, as a person first sees it) and docs/geography.png (where the downloads come
// from: the days chooser and the map), and writes the CLI's chart of the
// same logs per month into docs/chart.png.
// Usage (after cargo build --release && trunk build --release): node scripts/screenshot.mjs
import { serve, launch, openPage, waitDone, root, runCli } from '../tests/e2e/support.mjs';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const server = await serve();
const browser = await launch();
const { page } = await openPage(browser, server.url);
await page.evaluate(() => { document.getElementById('method').open = false; });
await page.click('[data-testid=sample-button]');
await waitDone(page);
await page.selectOption('[data-testid=period]', 'month');
await page.waitForTimeout(300);
/** Screenshots the page from above `from` (minus `above` px) to below `to`, into docs/`name`. */
async function shot(name, from, to, above) {
  const box = await page.evaluate(([f, t, a]) => ({
    top: document.querySelector(f).getBoundingClientRect().top + window.scrollY - a,
    bottom: document.querySelector(t).getBoundingClientRect().bottom + window.scrollY + 8,
  }), [from, to, above]);
  await page.screenshot({
    path: path.join(root, 'docs', name),
    fullPage: true,
    clip: { x: 0, y: Math.round(box.top), width: 1280, height: Math.round(box.bottom - box.top) },
  });
}
await shot('screenshot.png', '#results', '#dataset-table tbody tr:nth-child(6)', 16);
// Where the downloads come from: the days chooser and the map.
await page.waitForSelector('[data-testid=map][data-drawn="true"]');
await shot('geography.png', '#countries-h', '#map', 12);
// Leave the period as it was for whoever uses this browser profile next (a fresh one here).
await page.selectOption('[data-testid=period]', 'week');
await browser.close();
await server.close();

const out = fs.mkdtempSync(path.join(os.tmpdir(), 's3logdrop-chart-'));
runCli([path.join(root, 'www', 'samples', 'sample-logs')], out, ['--period', 'month']);
fs.copyFileSync(path.join(out, 'downloads_over_time.png'), path.join(root, 'docs', 'chart.png'));
fs.rmSync(out, { recursive: true, force: true });
console.log('docs/screenshot.png, docs/geography.png, docs/chart.png');
