// Benchmark (docs/S3.md): objects a second read from a local S3 (moto's server) by the
// page and by the CLI, against the same files from disk. Prints figures; asserts only
// that each way counts the same downloads.
//
//   node scripts/bench-s3.mjs [OBJECTS=2000] [--latency SECONDS] [--runs N]
//
// Needs the page built (trunk build --release), the CLI (cargo build --release) and
// moto's server (bash .ci/setup). --latency puts scripts/latency-proxy.py in front of
// moto, as a network round trip to S3 would add to every request.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import { cli, dist, freePort, launch, put, root, serve, startMoto, upload } from '../tests/e2e/support.mjs';

const args = process.argv.slice(2);
const flag = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args.splice(i, 2)[1] : dflt; };
const latency = Number(flag('--latency', '0'));
const runs = Number(flag('--runs', '3'));
const objects = Number(args[0] || 2000);

const work = fs.mkdtempSync(path.join(os.tmpdir(), 's3ld-bench-s3-'));
const logs = path.join(work, 'logs');
execFileSync(cli, ['generate', '--out', logs, '--bytes', String(objects * 20_000), '--files', String(objects), '--seed', '7'], { stdio: 'ignore' });
const files = fs.readdirSync(logs).map((f) => path.join(logs, f)).sort();
const moto = await startMoto();
let endpoint = moto.url;
let proxy = null;
if (latency > 0) {
  const port = await freePort();
  proxy = spawn('python3', [path.join(root, 'scripts/latency-proxy.py'), String(port), new URL(moto.url).port, String(latency)], { stdio: 'ignore' });
  endpoint = `http://127.0.0.1:${port}`;
  for (let t = 0; ; t++) {
    try { await fetch(endpoint); break; } catch (_) { await new Promise((r) => setTimeout(r, 100)); }
    assert.ok(t < 100, 'the latency proxy did not start');
  }
}
await put(moto.url, 'bench', '');
const t0 = performance.now();
await upload(moto.url, 'bench', logs, 'logs/');
console.log(`${objects} objects (${(files.reduce((s, f) => s + fs.statSync(f).size, 0) / 1e6).toFixed(1)} MB) uploaded in ${((performance.now() - t0) / 1000).toFixed(1)} s${latency ? `; ${latency * 1000} ms added to every request` : ''}`);

const page = path.join(work, 'dist');
fs.cpSync(dist, page, { recursive: true });
execFileSync('node', [path.join(root, 'scripts/add-endpoint.mjs'), page, endpoint], { stdio: 'ignore' });
const server = await serve(page);
const browser = await launch();
const env = { ...process.env, AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: 'bench', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' };

const best = async (f) => {
  const got = [];
  for (let i = 0; i < runs; i++) got.push(await f());
  return { secs: Math.min(...got.map((g) => g.secs)), downloads: got[0].downloads };
};

async function inPage(fromBucket) {
  const context = await browser.newContext();
  const p = await context.newPage();
  await p.goto(server.url);
  await p.waitForSelector('body[data-ready="true"]');
  const start = performance.now();
  if (fromBucket) {
    await p.evaluate(() => { document.getElementById('bucket-panel').open = true; document.querySelector('#bucket-panel details.deeper').open = true; });
    await p.fill('#s3-bucket', 'bench');
    await p.fill('#s3-prefix', 'logs/');
    await p.fill('#s3-endpoint', endpoint);
    await p.fill('#s3-key', env.AWS_ACCESS_KEY_ID);
    await p.fill('#s3-secret', env.AWS_SECRET_ACCESS_KEY);
    await p.click('#s3-read');
  } else {
    await p.setInputFiles('[data-testid=file-input]', files);
  }
  await p.waitForSelector('body[data-state="done"]', { timeout: 600_000 });
  const secs = (performance.now() - start) / 1000;
  const downloads = await p.evaluate(() => Number(document.querySelector('[data-metric=downloads]').dataset.value));
  await context.close();
  return { secs, downloads };
}

function byCli(input, extra = []) {
  const out = path.join(work, 'out');
  const start = performance.now();
  const stdout = execFileSync(cli, ['analyze', input, '--out', out, ...extra], { env, encoding: 'utf8', maxBuffer: 1 << 30 });
  return { secs: (performance.now() - start) / 1000, downloads: JSON.parse(stdout).downloads };
}

const rows = [
  ['page, files from disk (file picker)', await best(() => inPage(false))],
  ['page, from the bucket (listing included)', await best(() => inPage(true))],
  ['CLI, files from disk', await best(() => byCli(logs))],
  ['CLI, from the bucket', await best(() => byCli('s3://bench/logs/', ['--endpoint-url', endpoint]))],
];
for (const [, r] of rows) assert.equal(r.downloads, rows[0][1].downloads, 'every way counts the same downloads');
console.log(`best of ${runs}, ${os.cpus().length} cores:`);
for (const [name, r] of rows) console.log(`  ${name.padEnd(42)} ${r.secs.toFixed(2).padStart(7)} s  ${Math.round(objects / r.secs).toLocaleString('en').padStart(7)} objects/s`);

await browser.close();
await server.close();
if (proxy) proxy.kill();
moto.child.kill();
fs.rmSync(work, { recursive: true, force: true });
