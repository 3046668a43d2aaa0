// Keep counting, in headless Chromium: the page remembers the analysis (a snapshot in the
// origin-private file system); after a reload the report is back without the files;
// the same folder dropped again with new files reads only those, and the totals and
// files equal the CLI's over everything; a saved analysis opens again; a changed
// setting asks for the logs instead of mixing counts; with storage refused the page
// still analyses and says it cannot remember.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { useBrowser, openPage, waitDone, runCli, downloadBytes, generate, METRICS } from './support.mjs';

const env = useBrowser('s3logdrop-remember-');

/** 30 log files; `logs` holds the first `n` of them (a folder that grows). */
function growing(n) {
  const all = path.join(env.work, 'all');
  if (!fs.existsSync(all)) generate(all, ['--bytes', '900000', '--files', '30', '--seed', '57', '--mean-gap', '3000']);
  const names = fs.readdirSync(all).sort();
  const dir = path.join(env.work, 'grow', 'logs');
  fs.mkdirSync(dir, { recursive: true });
  for (const f of names.slice(0, n)) fs.copyFileSync(path.join(all, f), path.join(dir, f));
  return dir;
}

/** Reloads; returns when the page is ready again (its loading requests are over). */
async function reload(page) {
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  return Date.now();
}

/** No request between two moments (a visit's work, between its load and the next). */
function quiet(requests, from, to, what) {
  const made = requests.filter((r) => r.time > from && r.time < to && !r.url.startsWith('blob:') && !r.url.startsWith('data:'));
  assert.deepEqual(made.map((r) => r.url), [], `no request ${what}`);
}

test('remembered after a reload; the folder again reads only its new files; save and open; a changed setting asks for the logs', async () => {
  const dir = growing(20);
  const first = runCli([dir], path.join(env.work, 'cli-20'), ['--period', 'month']);
  const { page, context, requests, loadedAt, errors } = await openPage(env.browser, env.server.url);
  await page.setInputFiles('[data-testid=folder-input]', dir);
  await waitDone(page);
  await page.waitForSelector('body[data-remembered="true"]');
  assert.match(await page.textContent('[data-testid=memory-text]'), /Remembered in this browser: the analysis of 20 log files/);

  // A new visit: the report is back at once, without the files.
  quiet(requests, loadedAt, Date.now(), 'while analysing and remembering');
  const visit = await reload(page);
  const back = await waitDone(page);
  for (const m of METRICS) assert.equal(back[m], first[m], `after a reload: ${m}`);
  assert.match(await page.textContent('[data-testid=memory-text]'), /Your last analysis is back: 20 log files, counted on \d{4}-\d\d-\d\d/);

  // The folder again, grown by 10 files: only those are read; the totals are those of all 30.
  growing(30);
  const all = runCli([dir], path.join(env.work, 'cli-30'), ['--period', 'month']);
  await page.setInputFiles('[data-testid=folder-input]', dir);
  await page.waitForFunction(() => document.body.dataset.filesRead === '10' && document.body.dataset.state === 'done');
  const grown = await waitDone(page);
  for (const m of METRICS) assert.equal(grown[m], all[m], `20 remembered + 10 new: ${m}`);
  assert.match(await page.textContent('[data-testid=status-text]'), /10 new files read; 20 files already counted, skipped/);
  await page.selectOption('[data-testid=period]', 'month');
  for (const name of ['downloads_per_month.csv', 'downloads_per_dataset.csv', 'top_objects.csv', 'parsed_output_filt.csv', 'methods.txt']) {
    const got = await downloadBytes(page, name);
    assert.ok(got.bytes.equals(fs.readFileSync(path.join(env.work, 'cli-30', name))), `${name} equals the CLI's over all 30 files`);
  }
  // Nothing new: nothing read.
  await page.setInputFiles('[data-testid=folder-input]', dir);
  await page.waitForFunction(() => /No new log files: all 30 files are already counted/.test(document.querySelector('[data-testid=status-text]').textContent));
  // A counted file that has grown is not a new file: said, not read, the totals unchanged.
  const grownFile = fs.readdirSync(dir).sort()[0];
  fs.appendFileSync(path.join(dir, grownFile), 'one more line\n');
  await page.setInputFiles('[data-testid=folder-input]', dir);
  await page.waitForFunction((f) => document.querySelector('#support').textContent.includes(f)
    && /another size and was not read again/.test(document.querySelector('#support').textContent), `logs/${grownFile}`);
  assert.equal((await waitDone(page)).downloads, all.downloads);

  // Saved as a file, forgotten (Clear), opened again.
  const saved = await downloadBytes(page, 'analysis.s3ld', '[data-testid=save-analysis]');
  assert.match(saved.name, /^s3logdrop-analysis-\d{4}-\d\d-\d\d\.s3ld$/);
  assert.equal(saved.bytes.subarray(0, 8).toString(), 'S3LDSNAP');
  await page.click('[data-testid=clear-button]');
  await page.waitForSelector('body[data-remembered="false"]');
  quiet(requests, visit, Date.now(), 'while adding to, saving and forgetting the analysis');
  const again = await reload(page);
  assert.equal(await page.$eval('[data-testid=results]', (r) => r.hidden), true, 'Clear forgets');
  const file = path.join(env.work, saved.name);
  fs.writeFileSync(file, saved.bytes);
  await page.setInputFiles('[data-testid=open-analysis]', file);
  const opened = await waitDone(page);
  for (const m of METRICS) assert.equal(opened[m], all[m], `opened: ${m}`);
  // A damaged file is refused with a reason, and the analysis stays.
  const damaged = path.join(env.work, 'damaged.s3ld');
  fs.writeFileSync(damaged, saved.bytes.subarray(0, saved.bytes.length - 10));
  await page.setInputFiles('[data-testid=open-analysis]', damaged);
  await page.waitForFunction(() => /could not be opened: the snapshot is cut short/.test(document.querySelector('[data-testid=status-text]').textContent));
  assert.equal((await waitDone(page)).downloads, all.downloads);

  // A setting changed: the counts cannot be redone without the logs, so the page asks for them.
  await page.evaluate(() => { document.getElementById('method').open = true; });
  await page.selectOption('select[name=bots]', 'off');
  await page.waitForFunction(() => /drop all the logs again/.test(document.querySelector('[data-testid=status-text]').textContent));
  await page.waitForSelector('body[data-remembered="false"]');
  assert.equal(await page.$eval('[data-testid=results]', (r) => r.hidden), true, 'no report mixing two definitions');
  quiet(requests, again, Date.now(), 'while opening a saved analysis');
  await reload(page);
  assert.equal(await page.$eval('[data-testid=results]', (r) => r.hidden), true, 'and nothing stale comes back');
  assert.deepEqual(requests.filter((r) => !r.url.startsWith(env.server.url) && !/^(blob|data):/.test(r.url)).map((r) => r.url), [], 'same origin only');
  assert.deepEqual(errors, []);
  await context.close();
});

test('storage refused: the page still analyses, and says it cannot remember', async () => {
  const dir = growing(20);
  const { page, context, errors } = await openPage(env.browser, `${env.server.url}`);
  await page.evaluate(() => {
    navigator.storage.getDirectory = () => Promise.reject(new DOMException('refused for the test', 'SecurityError'));
  });
  await page.setInputFiles('[data-testid=folder-input]', dir);
  const shown = await waitDone(page);
  assert.ok(shown.downloads > 0);
  await page.waitForSelector('body[data-remembered="false"]');
  assert.match(await page.textContent('[data-testid=memory-text]'), /could not remember the analysis/);
  assert.deepEqual(errors, []);
  await context.close();
});
