// The page reads the logs straight from a log bucket (issue 18): a local S3 (moto's
// server, started here) holds a generated delivery; the page lists and reads it in its
// workers and its report equals the CLI's over the same bucket; a second read after new
// objects reads only those; every request after load is a GET or HEAD to the bucket's
// endpoint and none carries the secret; the keys are stored only when asked; and the
// errors people meet (wrong keys, no CORS rule, no such bucket, an empty folder, an object
// deleted after the listing, a store the page's policy leaves out) each say what happened.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import {
  cli, del, delivery, dist, downloadBytes, freePort, launch, METRICS, openPage, put, serve, startMoto, SUMMARY_EXPORTS, upload,
  waitDone, weeklyRows, weeklyTable,
} from './support.mjs';

const KEY = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const WRONG_KEY = 'AKIAWRONGKEY00000000';

/**
 * A second endpoint in front of moto, as a real bucket can answer: with `cors` false,
 * without the CORS headers (a bucket with no CORS rule); a request signed with WRONG_KEY
 * is refused as S3 refuses an unknown key (403 InvalidAccessKeyId); with `deleteAfterList`,
 * that object is deleted once the listing has been answered.
 */
async function proxy(target, { cors, deleteAfterList = null }) {
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, target);
    const credential = url.searchParams.get('X-Amz-Credential') || '';
    const allow = cors ? { 'access-control-allow-origin': req.headers.origin || '*', vary: 'Origin' } : {};
    if (credential.startsWith(WRONG_KEY)) {
      res.writeHead(403, { 'content-type': 'application/xml', ...allow });
      res.end('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InvalidAccessKeyId</Code><Message>The AWS Access Key Id you provided does not exist in our records.</Message></Error>');
      return;
    }
    // The bucket "slow" answers its listing after two seconds (time to press Cancel).
    if (url.pathname.startsWith('/slow')) await new Promise((r) => setTimeout(r, 2000));
    const r = await fetch(url, { method: req.method });
    const body = Buffer.from(await r.arrayBuffer());
    if (deleteAfterList && url.searchParams.get('list-type') === '2') {
      const d = await del(target, deleteAfterList);
      if (!d.ok) console.error(`DELETE ${deleteAfterList}: ${d.status}`);
    }
    res.writeHead(r.status, { 'content-type': r.headers.get('content-type') || 'application/xml', ...allow });
    res.end(body);
  });
  const port = await freePort();
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)) };
}

const env = {};

test.before(async () => {
  assert.ok(fs.existsSync(path.join(dist, 'index.html')) && fs.existsSync(cli), 'run bash scripts/test.sh (it builds the page and the CLI)');
  env.work = fs.mkdtempSync(path.join(os.tmpdir(), 's3ld-bucket-'));
  env.moto = await startMoto();
  env.noCors = await proxy(env.moto.url, { cors: false });
  env.refusing = await proxy(env.moto.url, { cors: true, deleteAfterList: 'gone/logs/b' });
  // The page as a deployer of an S3-compatible store publishes it: the store's address
  // added to the Content-Security-Policy by the script the docs give.
  env.dist = path.join(env.work, 'dist');
  fs.cpSync(dist, env.dist, { recursive: true });
  execFileSync('node', [path.join(path.dirname(dist), 'scripts/add-endpoint.mjs'), env.dist, env.moto.url, env.noCors.url, env.refusing.url]);
  env.server = await serve(env.dist);
  env.browser = await launch();
  const d = delivery(env.work);
  await put(env.moto.url, 'lab-logs', '');
  env.keys = await upload(env.moto.url, 'lab-logs', d, 'logs/');
});

test.after(async () => {
  if (env.browser) await env.browser.close();
  if (env.server) await env.server.close();
  for (const p of [env.noCors, env.refusing]) if (p) await p.close();
  if (env.moto) env.moto.child.kill();
  if (env.work) fs.rmSync(env.work, { recursive: true, force: true });
});

/** The CLI over the same bucket: its report, and its outputs in `out`. */
function cliOverBucket(out) {
  fs.rmSync(out, { recursive: true, force: true });
  const stdout = execFileSync(cli, ['analyze', 's3://lab-logs/logs/', '--endpoint-url', env.moto.url, '--out', out], {
    encoding: 'utf8', maxBuffer: 1 << 30,
    env: { ...process.env, AWS_ACCESS_KEY_ID: KEY, AWS_SECRET_ACCESS_KEY: SECRET, AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' },
  });
  return JSON.parse(stdout);
}

/** Fills the panel and presses "Read the bucket". */
async function readBucket(page, { bucket = 'lab-logs', prefix = 'logs/', endpoint = env.moto.url, key = KEY, secret = SECRET, remember = false } = {}) {
  await page.evaluate(() => { document.getElementById('bucket-panel').open = true; document.querySelector('#bucket-panel details.deeper').open = true; });
  await page.fill('[data-testid=s3-bucket]', bucket);
  await page.fill('[data-testid=s3-prefix]', prefix);
  await page.fill('[data-testid=s3-endpoint]', endpoint);
  await page.fill('[data-testid=s3-key]', key);
  await page.fill('[data-testid=s3-secret]', secret);
  await page.setChecked('[data-testid=s3-remember]', remember);
  await page.click('[data-testid=s3-read]');
}

/** The error the panel shows, once it shows one. */
async function panelError(page) {
  await page.waitForSelector('[data-testid=s3-error]:not([hidden])', { timeout: 30_000 });
  return page.textContent('[data-testid=s3-error]');
}

test('the page reads the bucket in its workers, and its report equals the CLI over the same bucket', async () => {
  const { context, page, requests, loadedAt } = await openPage(env.browser, env.server.url);
  try {
    await readBucket(page, { remember: false });
    const shown = await waitDone(page);
    const out = path.join(env.work, 'cli-bucket');
    const want = cliOverBucket(out);
    for (const m of METRICS) assert.equal(shown[m], want[m], `summary ${m}`);
    assert.equal(shown.files, env.keys.length, 'every object read');
    assert.deepEqual(await weeklyTable(page), weeklyRows(want), 'weekly table');
    await page.evaluate(() => { document.querySelector('.more-downloads').open = true; });
    for (const name of SUMMARY_EXPORTS) {
      const got = await downloadBytes(page, name);
      assert.ok(got.bytes.equals(fs.readFileSync(path.join(out, name))), `${name}: the page's bytes equal the CLI's`);
    }
    // The request recorder: after load, only GETs (or HEADs) to the bucket's endpoint;
    // the listing and one GET per object; the secret in none of them.
    const late = requests.filter((r) => r.time > loadedAt && !r.url.startsWith('blob:') && !r.url.startsWith('data:'));
    assert.deepEqual(late.filter((r) => new URL(r.url).origin !== env.moto.url).map((r) => r.url), [], 'no request elsewhere');
    assert.deepEqual([...new Set(late.map((r) => r.method))].filter((m) => m !== 'GET' && m !== 'HEAD'), [], 'only GET and HEAD');
    const objectGets = late.filter((r) => new URL(r.url).pathname.startsWith('/lab-logs/logs/'));
    assert.equal(objectGets.length, env.keys.length, 'one GET per object');
    for (const r of late) {
      assert.ok(!r.url.includes(encodeURIComponent(SECRET)) && !r.url.includes(SECRET), 'the secret is never sent');
      assert.ok(new URL(r.url).searchParams.has('X-Amz-Signature'), 'every request is signed');
    }
    // Not remembered: no key in the page's storage.
    const stored = await page.evaluate(() => JSON.stringify(localStorage));
    assert.ok(!stored.includes(SECRET) && !stored.includes(KEY), 'the keys are not stored unless asked');

    // A month later: three new log objects; the next read lists all and reads only those.
    const fresh = ['logs/zz-new-1', 'logs/zz-new-2', 'logs/zz-new-3'];
    const sample = fs.readFileSync(path.join(delivery(env.work), 'a', fs.readdirSync(path.join(delivery(env.work), 'a'))[0]));
    for (const k of fresh) await put(env.moto.url, `lab-logs/${k}`, sample);
    const before = requests.length;
    await readBucket(page, { remember: true });
    await page.waitForFunction(() => document.getElementById('status-text').textContent.includes('already counted, skipped'), null, { timeout: 60_000 });
    const shownAgain = await waitDone(page);
    const gets = requests.slice(before).filter((r) => /\/lab-logs\/logs\/./.test(new URL(r.url).pathname));
    assert.deepEqual(gets.map((r) => new URL(r.url).pathname).sort(), fresh.map((k) => `/lab-logs/${k}`), 'only the new objects read');
    const all = cliOverBucket(path.join(env.work, 'cli-bucket-2'));
    for (const m of ['downloads', 'unique_users', 'files', 'lines']) assert.equal(shownAgain[m], all[m], `after the second read: ${m}`);
    for (const k of fresh) assert.ok((await del(env.moto.url, `lab-logs/${k}`)).ok);

    // Remembered when asked: back after a reload, not shown in full, used when the fields are empty.
    const saved = await page.evaluate(() => localStorage.getItem('s3logdrop.bucket.v1'));
    assert.ok(saved.includes(SECRET), 'remembered on this computer when ticked');
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    assert.equal(await page.inputValue('[data-testid=s3-secret]'), '', 'the secret is not put back in a field');
    assert.equal(await page.inputValue('[data-testid=s3-bucket]'), 'lab-logs');
    const note = await page.textContent('[data-testid=s3-remembered]');
    assert.ok(note.includes('AKIA…MPLE') && !note.includes(KEY), `the key shown cut: ${note}`);
    await page.evaluate(() => { document.getElementById('bucket-panel').open = true; });
    await page.click('[data-testid=s3-forget]');
    const after = await page.evaluate(() => localStorage.getItem('s3logdrop.bucket.v1'));
    assert.ok(!after.includes(SECRET) && !after.includes(KEY), 'forgotten');
  } finally {
    await context.close();
  }
});

test('each problem with the bucket says what happened, in words', async () => {
  const { context, page } = await openPage(env.browser, env.server.url);
  try {
    await readBucket(page, { endpoint: env.refusing.url, key: WRONG_KEY });
    assert.match(await panelError(page), /does not know this access key ID/);

    await readBucket(page, { endpoint: env.noCors.url });
    const cors = await panelError(page);
    assert.match(cors, /CORS rule must allow this page/, cors);
    assert.ok(await page.evaluate(() => document.getElementById('s3-setup').open), 'the CORS rule is shown');
    const rule = JSON.parse(await page.textContent('[data-testid=cors-rule]'));
    assert.deepEqual(rule[0].AllowedOrigins, [new URL(env.server.url).origin]);
    assert.deepEqual(rule[0].AllowedMethods, ['GET', 'HEAD']);
    assert.match(await page.textContent('[data-testid=iam-policy]'), /arn:aws:s3:::lab-logs\/logs\/\*/);

    await readBucket(page, { bucket: 'no-such-bucket' });
    assert.match(await panelError(page), /there is no bucket called no-such-bucket/);

    await readBucket(page, { prefix: 'nothing-here/' });
    assert.match(await panelError(page), /There is no file under s3:\/\/lab-logs\/nothing-here\//);

    await readBucket(page, { endpoint: 'http://127.0.0.1:1' });
    assert.match(await panelError(page), /may not connect to http:\/\/127\.0\.0\.1:1/);
    assert.equal(await page.evaluate(() => document.body.dataset.state), 'idle', 'nothing ran');

    // Cancel while a bucket is listed: nothing read, the page as it was.
    await readBucket(page, { bucket: 'slow', endpoint: env.refusing.url });
    await page.waitForSelector('[data-testid=cancel-button]:not([hidden])');
    await page.click('[data-testid=cancel-button]');
    await page.waitForFunction(() => document.getElementById('status-text').textContent === 'Cancelled: the bucket was not read.', null, { timeout: 10_000 });
    assert.equal(await page.evaluate(() => document.body.dataset.state), 'idle');
    assert.ok(await page.isHidden('[data-testid=s3-error]'), 'a cancel is not an error');

    // An object deleted between the listing and its read: a note on it, the rest read.
    await put(env.moto.url, 'gone', '');
    const d = path.join(delivery(env.work), 'a');
    const files = fs.readdirSync(d).slice(0, 2);
    await put(env.moto.url, 'gone/logs/a', fs.readFileSync(path.join(d, files[0])));
    await put(env.moto.url, 'gone/logs/b', fs.readFileSync(path.join(d, files[1])));
    await readBucket(page, { bucket: 'gone', endpoint: env.refusing.url });
    const shown = await waitDone(page);
    assert.equal(shown.files, 2);
    const notes = await page.textContent('[data-testid=file-notes]');
    assert.match(notes, /logs\/b.*deleted after it was listed/s, notes);
    assert.match(await page.textContent('[data-testid=status-text]'), /1 file could not be read/);
  } finally {
    await context.close();
  }
});

test('Firefox reads the bucket too, and tells a missing CORS rule from no connection', async () => {
  const puppeteer = (await import('puppeteer-core')).default;
  const executablePath = process.env.FIREFOX || '/usr/bin/firefox-esr';
  assert.ok(fs.existsSync(executablePath), 'Firefox ESR is installed (bash .ci/setup)');
  const browser = await puppeteer.launch({ browser: 'firefox', executablePath, headless: true });
  try {
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(env.server.url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
    const fill = (fields) => page.evaluate((f) => {
      document.getElementById('bucket-panel').open = true;
      for (const [id, v] of Object.entries(f)) document.getElementById(id).value = v;
      document.getElementById('s3-read').click();
    }, fields);
    await fill({ 's3-bucket': 'lab-logs', 's3-prefix': 'logs/', 's3-endpoint': env.noCors.url, 's3-key': KEY, 's3-secret': SECRET });
    await page.waitForSelector('[data-testid=s3-error]:not([hidden])', { timeout: 30_000 });
    assert.match(await page.$eval('[data-testid=s3-error]', (n) => n.textContent), /CORS rule must allow this page/);
    await fill({ 's3-endpoint': env.moto.url });
    await page.waitForSelector('body[data-state="done"]', { timeout: 120_000 });
    const shown = await page.evaluate(() => Object.fromEntries(
      Array.from(document.querySelectorAll('[data-testid=results] [data-metric]'), (d) => [d.dataset.metric, Number(d.dataset.value)])));
    const want = cliOverBucket(path.join(env.work, 'cli-bucket-firefox'));
    for (const m of METRICS) assert.equal(shown[m], want[m], `Firefox: summary ${m}`);
    // Firefox reports the CORS refusal asked for above in the console; nothing else.
    assert.deepEqual(errors.filter((e) => !e.includes('Cross-Origin Request Blocked')), []);
    await context.close();
  } finally {
    await browser.close();
  }
});
