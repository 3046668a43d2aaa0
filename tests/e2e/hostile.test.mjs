// Hostile input through the worker boundary, in headless Chromium: what strangers can put
// in a log, and what a disk can do to a file, gives a clear message, no crash and no hang,
// and loses nothing from the other files. Where the native CLI can read the same bytes,
// the page's results and files must equal its results byte for byte.
//
// Needs `trunk build --release` and the release CLI: run through `bash scripts/test.sh`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import {
  root, useBrowser, openPage, waitDone, runCli, downloadBytes, METRICS, assertPrivate, compareWithCli,
  generate, PNG_MAGIC,
} from './support.mjs';

// The served page, a browser, a scratch folder, for this file's tests.
const env = useBrowser('s3logdrop-hostile-');

const OWNER = '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be';

/** A download line: key, IP and user agent as given (the key raw, as S3 writes it). */
function line(key, ip, ua = 'curl/8.5.0', referer = '-') {
  return `${OWNER} bucket [06/Feb/2019:00:00:38 +0000] ${ip} - 3E57427F3EXAMPLE REST.GET.OBJECT ${key} "GET /bucket/${key} HTTP/1.1" 200 - 113 113 7 - "${referer}" "${ua}" -\n`;
}

// A small deterministic PRNG (mulberry32): the fuzzed files are the same on every run.
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// What strangers type into URLs and user agents.
const HOSTILE = [
  '<script>alert(1)</script>', '<img src=x onerror=alert(1)>', '"><svg onload=alert(1)>', 'javascript:alert(1)',
  '=HYPERLINK("http://evil.example","click")', '+cmd|\' /C calc\'!A0', '@SUM(1+1)*cmd|\' /C calc\'!A0', '-2+3+cmd|\' /C calc\'!A0',
  '\t=1+1', '\r=1+1', '\x1b[31mred\x1b[0m', '\x07\x08\x0b\x0c', '\u202eevil\u202c', '%3Cscript%3Ealert(1)%3C/script%3E',
  '%00%ff%fe', '%E2%80%AE', '"', '""', '\\"', '  ', '[', ']', '\u{1F600}', 'ﬀ', 'Ω',
].map((s) => Buffer.from(s, 'utf8')).concat([
  // Invalid UTF-8: a lone continuation byte, a cut sequence, an encoded surrogate, an overlong '/', 0xff.
  Buffer.from([0x80]), Buffer.from([0xc3]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xc0, 0xaf]), Buffer.from([0xff, 0xfe]),
]);

/** Mutates log lines the ways a broken or malicious writer would. */
function fuzzLines(lines, rand) {
  const pick = (list) => list[Math.floor(rand() * list.length)];
  const out = [];
  for (const l of lines) {
    let b = Buffer.from(l, 'latin1');
    const r = rand();
    if (r < 0.55) { out.push(b); continue; }
    const at = Math.floor(rand() * b.length);
    switch (Math.floor(rand() * 9)) {
      case 0: b = Buffer.from(b); b[at] = Math.floor(rand() * 256); break; // any byte, also \n and \0
      case 1: b = Buffer.concat([b.subarray(0, at), pick(HOSTILE), b.subarray(at)]); break;
      case 2: b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + Math.floor(rand() * 40)))]); break;
      case 3: b = b.subarray(0, at); break; // cut short (joins the next line)
      case 4: { // a 100 KB user agent, key or referer
        const big = Buffer.concat([pick(HOSTILE), Buffer.alloc(100_000, pick(['A', '<', '"', '=', ' ']))]);
        const quote = b.lastIndexOf('" ');
        b = quote > 0 ? Buffer.concat([b.subarray(0, quote), big, b.subarray(quote)]) : Buffer.concat([big, b]);
        break;
      }
      case 5: b = Buffer.concat([b.subarray(0, b.length - 1), Buffer.from('\r\n')]); break; // CRLF
      case 6: b = Buffer.from(b.toString('latin1').replace(/ /g, () => (rand() < 0.1 ? '  ' : ' ')), 'latin1'); break;
      case 7: b = Buffer.from(b.toString('latin1').replace(/"/g, () => (rand() < 0.3 ? '"x"' : '"')), 'latin1'); break;
      default: b = Buffer.concat([pick(HOSTILE), Buffer.from(' '), b]); break;
    }
    out.push(b);
  }
  return Buffer.concat(out);
}

async function notes(page) {
  return page.$$eval('[data-testid=file-notes] li', (lis) => lis.map((li) => ({ kind: li.dataset.kind, text: li.textContent })));
}

/** The page's row of the datasets table for `prefix`: the dataset, downloads, unique users, bytes sent. */
async function prefixRow(page, prefix) {
  return page.$$eval('[data-testid=dataset-table] tbody tr', (trs, p) => {
    const tr = trs.find((t) => t.dataset.dataset === p);
    if (!tr) return null;
    const v = (col) => tr.querySelector(`[data-col=${col}]`).dataset.value;
    return [tr.dataset.dataset, v('downloads'), v('unique_users'), v('bytes_sent')];
  }, prefix);
}

test('fuzzed lines and files through the workers give the CLI result byte for byte, shown as text', async () => {
  const dir = path.join(env.work, 'fuzz');
  const base = path.join(env.work, 'fuzz-base');
  generate(base, ['--bytes', '3000000', '--files', '1', '--seed', '21', '--nasty', '60', '--mean-gap', '20']);
  const lines = fs.readFileSync(path.join(base, fs.readdirSync(base)[0]), 'latin1').split(/(?<=\n)/);
  fs.mkdirSync(dir);
  const rand = prng(7);
  const per = Math.ceil(lines.length / 12);
  for (let i = 0; i < 12; i++) {
    const data = fuzzLines(lines.slice(i * per, (i + 1) * per), rand);
    const name = `f${String(i).padStart(2, '0')}`;
    if (i % 4 === 3) {
      // gzip in two members; one of them also cut short
      const cut = Math.floor(data.length / 2);
      let gz = Buffer.concat([zlib.gzipSync(data.subarray(0, cut)), zlib.gzipSync(data.subarray(cut))]);
      if (i === 7) gz = gz.subarray(0, gz.length - 100);
      fs.writeFileSync(path.join(dir, `${name}.gz`), gz);
    } else {
      fs.writeFileSync(path.join(dir, `${name}.log`), data);
    }
  }
  // Whole files that are not logs: random bytes, random text, a NUL after a good start,
  // a gzip of random bytes, a gzip header alone, a lone "\r".
  const noise = Buffer.alloc(200_000);
  for (let i = 0; i < noise.length; i++) noise[i] = Math.floor(rand() * 256);
  fs.writeFileSync(path.join(dir, 'random.bin'), noise);
  fs.writeFileSync(path.join(dir, 'random.txt'), Buffer.from(Array.from(noise.subarray(0, 50_000), (x) => (x % 10 === 0 ? 10 : 32 + (x % 95)))));
  fs.writeFileSync(path.join(dir, 'nul.log'), Buffer.concat([Buffer.from(lines.slice(0, 30).join(''), 'latin1'), Buffer.from([0]), Buffer.from(lines.slice(30, 60).join(''), 'latin1')]));
  fs.writeFileSync(path.join(dir, 'random.gz'), zlib.gzipSync(noise));
  fs.writeFileSync(path.join(dir, 'header.gz'), Buffer.from([0x1f, 0x8b, 0x08, 0x00]));
  fs.writeFileSync(path.join(dir, 'cr.log'), '\r');
  // And lines made of hostile strings in every text field, the key starting with one.
  fs.writeFileSync(path.join(dir, 'strangers.log'), HOSTILE.map((h, i) => {
    const t = h.toString('latin1').replace(/[\s"]/g, 'q');
    return Buffer.from(line(`${t}${i}/${encodeURIComponent(h.toString('utf8'))}`, `192.0.2.${i}`, h.toString('latin1'), h.toString('latin1')), 'latin1');
  }).reduce((a, b) => Buffer.concat([a, b]), Buffer.alloc(0)));

  const names = fs.readdirSync(dir).sort();
  const cliOut = path.join(env.work, 'fuzz-cli');
  const cliReport = runCli(names, cliOut, [], dir);
  assert.ok(cliReport.rejected > 100 && cliReport.downloads > 100, `a mixed input (${cliReport.rejected} rejected, ${cliReport.downloads} downloads)`);
  const { page, context, requests, loadedAt, errors } = await openPage(env.browser, env.server.url);
  let dialogs = 0;
  page.on('dialog', (d) => { dialogs++; d.dismiss(); });
  await page.setInputFiles('[data-testid=file-input]', names.map((n) => path.join(dir, n)));
  await compareWithCli(page, cliReport, cliOut);

  // Open every rejected-line box: 100 KB samples and control characters are text in <pre>.
  await page.$$eval('[data-testid=rejects] details', (ds) => ds.forEach((d) => { d.open = true; }));
  const made = await page.evaluate(() => document.querySelectorAll('#results script, #results img, #results svg, #results iframe, #results a[href]').length);
  assert.equal(made, 0, 'no element was made from log text');
  const text = await page.textContent('[data-testid=rejects]');
  assert.ok(text.includes('line_too_long') || text.includes('<'), 'the rejected samples are shown');
  assert.equal(dialogs, 0, 'no script from the logs ran');
  assert.deepEqual(errors, [], 'no error in the console');
  const kinds = Object.fromEntries((await notes(page)).map((n) => [n.text.split(':')[0], n.kind]));
  assert.equal(kinds['random.bin'], 'binary');
  assert.equal(kinds['random.gz'], 'binary');
  assert.equal(kinds['random.txt'], 'no_log_lines');
  assert.equal(kinds['header.gz'], 'gzip_truncated');
  assert.equal(kinds['f07.gz'], 'gzip_truncated');

  // No cell of the CSVs can start a formula: a cell that starts with = + - @ tab or CR gets
  // an apostrophe (the page's files are the CLI's; this checks them for what a
  // spreadsheet would run).
  for (const name of ['parsed_output_filt.csv', 'top_objects.csv']) {
    const csv = fs.readFileSync(path.join(cliOut, name), 'utf8');
    const cells = csvCells(csv);
    assert.ok(cells.length > 100);
    const risky = cells.filter((c) => /^[=+@\t\r]/.test(c) || /^-[^0-9]/.test(c));
    assert.deepEqual(risky.slice(0, 3), [], `${name}: no cell starts a formula`);
    assert.ok(cells.some((c) => c.startsWith("'=")), `${name}: the formula keys are there, defused`);
  }
  assertPrivate(requests, loadedAt, env.server.url);
  await context.close();
});

/** The cells of an RFC 4180 CSV text (quoted cells unquoted). */
function csvCells(text) {
  const cells = [];
  let i = 0;
  while (i < text.length) {
    let cell = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (text[q + 1] === '"') { cell += text.slice(i, q + 1); i = q + 2; } else { cell += text.slice(i, q); i = q + 1; break; }
      }
    } else {
      const m = /[,\n]|\r\n/.exec(text.slice(i));
      const end = m ? i + m.index : text.length;
      cell = text.slice(i, end);
      i = end;
    }
    cells.push(cell);
    if (text[i] === ',') i++;
    else if (text[i] === '\r') i += 2;
    else if (text[i] === '\n') i++;
  }
  return cells;
}

test('a 2 GiB file without a newline is one rejected line, read once, next to a good file', async () => {
  const dir = path.join(env.work, 'nonewline');
  fs.mkdirSync(dir);
  const fd = fs.openSync(path.join(dir, 'huge.log'), 'w');
  const block = Buffer.alloc(16 << 20, 'x');
  for (let i = 0; i < 128; i++) fs.writeSync(fd, block);
  fs.closeSync(fd);
  fs.writeFileSync(path.join(dir, 'good.log'), line('good/a/1', '192.0.2.1') + line('good/b/1', '192.0.2.2'));
  const cliOut = path.join(env.work, 'nonewline-cli');
  const cliReport = runCli(['good.log', 'huge.log'], cliOut, [], dir);
  assert.equal(cliReport.rejected_by_reason.line_too_long, 1);
  assert.equal(cliReport.downloads, 2);
  const { page, context, errors } = await openPage(env.browser, env.server.url);
  await page.setInputFiles('[data-testid=file-input]', [path.join(dir, 'good.log'), path.join(dir, 'huge.log')]);
  const shown = await waitDone(page, 'done', 300_000);
  for (const m of METRICS) assert.equal(shown[m], cliReport[m], `summary ${m}`);
  const summary = await downloadBytes(page, 'summary.json');
  assert.ok(summary.bytes.equals(fs.readFileSync(path.join(cliOut, 'summary.json'))), 'summary.json = CLI');
  const n = await notes(page);
  assert.deepEqual(n.map((x) => [x.text.split(':')[0], x.kind]), [['huge.log', 'no_log_lines']]);
  // The file was cut into byte ranges; those after the first stop at their end instead of
  // scanning to the end of the file for a newline (src/range.rs tests that natively).
  assert.ok(Number(await page.getAttribute('body', 'data-parts')) >= 2, 'the file was cut into ranges');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a big file that starts binary is refused as a whole, as the CLI does, not cut into ranges that look like logs', async () => {
  const dir = path.join(env.work, 'binarystart');
  fs.mkdirSync(dir);
  // A PNG header and zero bytes, then 96 MB of good log lines: a range from the middle
  // would read as a log; the file as a whole is binary.
  const fd = fs.openSync(path.join(dir, 'photo.log'), 'w');
  fs.writeSync(fd, Buffer.concat([Buffer.from(PNG_MAGIC), Buffer.alloc(2048)]));
  const block = Buffer.from(line('data/a/1', '192.0.2.7').repeat(Math.ceil((8 << 20) / 300)));
  for (let i = 0; i < 12; i++) fs.writeSync(fd, block);
  fs.closeSync(fd);
  fs.writeFileSync(path.join(dir, 'good.log'), line('good/a/1', '192.0.2.1'));
  const cliReport = runCli(['good.log', 'photo.log'], path.join(env.work, 'binarystart-cli'), [], dir);
  assert.equal(cliReport.downloads, 1);
  const { page, context, errors } = await openPage(env.browser, env.server.url);
  await page.setInputFiles('[data-testid=file-input]', [path.join(dir, 'good.log'), path.join(dir, 'photo.log')]);
  const shown = await waitDone(page, 'done', 120_000);
  for (const m of METRICS) assert.equal(shown[m], cliReport[m], `summary ${m}`);
  assert.deepEqual((await notes(page)).map((x) => [x.text.split(':')[0], x.kind]), [['photo.log', 'binary']]);
  assert.equal(Number(await page.getAttribute('body', 'data-parts')), 0, 'read whole, not in ranges');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a gzip bomb stops at the limit shown in the settings, with a message, and the limit can be changed', async () => {
  const dir = path.join(env.work, 'bomb');
  fs.mkdirSync(dir);
  // One member of 64 MiB of log lines, repeated: 1.3 GB of logs in a file of about 5 MB.
  const unit = line('bomb/x', '198.51.100.7');
  const member = zlib.gzipSync(Buffer.from(unit.repeat(Math.ceil((64 << 20) / unit.length))), { level: 9 });
  fs.writeFileSync(path.join(dir, 'bomb.gz'), Buffer.concat(Array(20).fill(member)));
  fs.writeFileSync(path.join(dir, 'good.log'), line('good/a/1', '192.0.2.1') + line('good/b/1', '192.0.2.2'));
  const names = ['bomb.gz', 'good.log'];
  const { page, context } = await openPage(env.browser, env.server.url);
  assert.equal(await page.inputValue('input[name=max_inflate_ratio]'), '250', 'the ratio limit is shown');
  await page.setInputFiles('[data-testid=file-input]', names.map((n) => path.join(dir, n)));
  const cliOut = path.join(env.work, 'bomb-cli');
  const cliReport = runCli(names, cliOut, [], dir);
  await compareWithCli(page, cliReport, cliOut);
  let n = await notes(page);
  assert.equal(n.length, 1);
  assert.equal(n[0].kind, 'gzip_limit');
  assert.match(n[0].text, /^bomb\.gz: the file inflates to more than 250 times its size/);
  assert.deepEqual(await prefixRow(page, 'good/a'), ['good/a', '1', '1', '113']);

  // Change the limits: no ratio, 100 MB at most.
  await page.fill('input[name=max_inflate_ratio]', '0');
  await page.fill('input[name=max_inflated_bytes]', '100000000');
  await page.dispatchEvent('input[name=max_inflated_bytes]', 'change');
  await page.waitForFunction(() => document.body.dataset.state === 'done'
    && /100000000 bytes/.test(document.querySelector('[data-testid=file-notes]').textContent), null, { timeout: 120_000 });
  const cliOut2 = path.join(env.work, 'bomb-cli-2');
  const cliReport2 = runCli(names, cliOut2, ['--max-inflate-ratio', '0', '--max-inflated-bytes', '100000000'], dir);
  await compareWithCli(page, cliReport2, cliOut2);
  n = await notes(page);
  assert.match(n[0].text, /more than 100000000 bytes \(the inflate limit/);
  await context.close();
});

test('100,000 files in nested folders are all read, each counted once', async () => {
  const dir = path.join(env.work, 'many', 'bucket-logs');
  let count = 0;
  for (let a = 0; a < 10; a++) {
    for (let b = 0; b < 10; b++) {
      const d = path.join(dir, `20${10 + a}`, `${String(b + 1).padStart(2, '0')}`);
      fs.mkdirSync(d, { recursive: true });
      for (let c = 0; c < 1000; c++) {
        fs.writeFileSync(path.join(d, `${c}.log`), line(`many/${a}/${b}`, `10.${a}.${b}.${c % 250}`));
        count++;
      }
    }
  }
  const cliReport = runCli([dir], path.join(env.work, 'many-cli'));
  assert.equal(cliReport.files, 100_000);
  assert.equal(cliReport.downloads, 100_000);
  const { page, context, errors } = await openPage(env.browser, env.server.url);
  const started = Date.now();
  await page.setInputFiles('[data-testid=folder-input]', dir, { timeout: 180_000 }); // 100,000 paths: slow on a busy machine
  const shown = await waitDone(page, 'done', 600_000);
  const secs = (Date.now() - started) / 1000;
  for (const m of METRICS) assert.equal(shown[m], cliReport[m], `summary ${m}`);
  assert.equal(shown.files, count);
  assert.equal(shown.unique_users, 25_000);
  console.log(`# 100,000 files through the folder input: ${secs.toFixed(1)} s (${Math.round(count / secs)} files/s)`);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a file removed or changed while the page reads it gets a message; the other files are all counted', async () => {
  const dir = path.join(env.work, 'vanish');
  fs.mkdirSync(dir);
  // One worker reads the files one after another, biggest first: the big file is read
  // while the small ones wait, and they are changed and removed in that time.
  generate(path.join(dir, 'big'), ['--bytes', String(400 << 20), '--files', '1', '--seed', '31']);
  const big = path.join(dir, 'big', fs.readdirSync(path.join(dir, 'big'))[0]);
  const good = [];
  for (let i = 0; i < 5; i++) {
    const p = path.join(dir, `good${i}.log`);
    fs.writeFileSync(p, line(`good/${i}/x`, `192.0.2.${i}`).repeat(1000));
    good.push(p);
  }
  const changed = path.join(dir, 'changed.log');
  const removed = path.join(dir, 'removed.log');
  // Over 4 MiB: streamed when their turn comes (smaller files are read as soon as they
  // are handed to a worker).
  fs.writeFileSync(changed, line('victim/changed/x', '203.0.113.1').repeat(30_000));
  fs.writeFileSync(removed, line('victim/removed/x', '203.0.113.2').repeat(30_000));
  const { page, context, errors } = await openPage(env.browser, `${env.server.url}?workers=1`);
  await page.setInputFiles('[data-testid=file-input]', [big, changed, removed, ...good]);
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=progress]').value) > 0.05, null, { timeout: 60_000 });
  fs.appendFileSync(changed, line('victim/changed/x', '203.0.113.1'));
  fs.rmSync(removed);
  // The big file itself is cut short while it is read.
  fs.truncateSync(big, 300 << 20);
  await waitDone(page, 'done', 300_000);
  const n = Object.fromEntries((await notes(page)).map((x) => [x.text.split(':')[0], x]));
  for (const name of ['changed.log', 'removed.log', path.basename(big)]) {
    assert.equal(n[name] && n[name].kind, 'read_error', `${name} has a read-error message: ${JSON.stringify(n)}`);
    assert.match(n[name].text, /could not be read: .*(moved, changed or deleted|changed while being read)/);
  }
  // Every good file counted in full.
  for (let i = 0; i < 5; i++) assert.deepEqual(await prefixRow(page, `good/${i}`), [`good/${i}`, '1000', '1', '113000']);
  assert.equal(await prefixRow(page, 'victim/removed'), null);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a malformed message to a worker is refused with a visible error, and the page goes on', async () => {
  const { page, context } = await openPage(env.browser, env.server.url);
  const workers = page.workers();
  assert.ok(workers.length >= 1, 'the pool has started');
  // A wrong type, then a missing field: each is refused by the worker's decoder, and the
  // page shows what it said.
  for (const [data, said] of [
    [{ type: 'part', job: 1, name: 'a.log', start: 'zero', end: 10, index: 0 }, /refused: .*invalid type/],
    [{ type: 'begin', job: 1 }, /refused: .*missing field `settings`/],
  ]) {
    await workers[0].evaluate((d) => self.dispatchEvent(new MessageEvent('message', { data: d })), data);
    await page.waitForSelector('body[data-state="error"]', { timeout: 10_000 });
    assert.match(await page.textContent('[data-testid=status-text]'), said);
    await page.evaluate(() => { document.body.dataset.state = 'idle'; });
  }
  // The workers still work.
  await page.click('[data-testid=sample-button]');
  const shown = await waitDone(page);
  assert.ok(shown.downloads > 0, 'the samples are analysed after the refused messages');
  await context.close();
});
