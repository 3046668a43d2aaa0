// Browser benchmark: the release page in headless Chromium, end to end (File.stream() in
// the workers, parse, merge, report, chart), on generated logs, beside the browser's read
// floor (the same files read and discarded in workers: scripts/bench/floor.html), the
// native CLI on the same files, and GoAccess when it is installed. Prints figures; asserts
// only that the page counted the lines the CLI counted.
//
// Inputs (generated once into target/bench-browser/ with the project's generator, seed 42):
//   big   one plain file of MB megabytes (default 1024)
//   small MB/5 megabytes as 20,000 files (default ~200 MB)
//   gzip  the big file's logs in one gzip file
//   huge  4 x MB in one plain file, for peak memory (skip with --no-huge)
// Peak memory: the peak resident set (VmHWM) of the tab's renderer process (the page and
// its workers) and of the browser process, read from /proc, one fresh browser per input.
//
// The read floor and the page take turns, 3 times (--runs N); each keeps its fastest run.
//
// Usage: cargo build --release && trunk build --release && node scripts/bench-browser.mjs [MB] [--no-huge] [--only big|small|gzip] [--runs N]
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { root, cli, serve, launch } from '../tests/e2e/support.mjs';
import { timeGoaccess } from './bench-goaccess.mjs';

const args = process.argv.slice(2);
// The size is the bare number that is not the value of a flag (`--runs 3` is not 3 MB).
const mb = Number(args.find((a, i) => /^\d+$/.test(a) && !/^--(runs|only)$/.test(args[i - 1] || '')) || 1024);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : null;
const runs = args.includes('--runs') ? Number(args[args.indexOf('--runs') + 1]) : 3;
const withHuge = !args.includes('--no-huge') && !only;
const dir = path.join(root, 'target', 'bench-browser');

function input(name, genArgs) {
  const d = path.join(dir, name);
  if (!fs.existsSync(`${d}.complete`)) {
    fs.rmSync(d, { recursive: true, force: true });
    execFileSync(cli, ['generate', '--out', d, '--seed', '42', ...genArgs], { stdio: ['ignore', 'ignore', 'inherit'] });
    fs.writeFileSync(`${d}.complete`, '');
  }
  const files = [];
  const walk = (p) => {
    for (const e of fs.readdirSync(p, { withFileTypes: true })) {
      const q = path.join(p, e.name);
      if (e.isDirectory()) walk(q); else files.push(q);
    }
  };
  walk(d);
  files.sort();
  return { name, dir: d, files, bytes: files.reduce((s, f) => s + fs.statSync(f).size, 0) };
}

const inputs = {
  big: input(`big-${mb}MB`, ['--bytes', String(mb * 1e6), '--files', '1']),
  small: input(`small-${Math.round(mb / 5)}MB-20000`, ['--bytes', String((mb / 5) * 1e6), '--files', '20000']),
  gzip: input(`gzip-${mb}MB`, ['--bytes', String(mb * 1e6), '--files', '1', '--gzip']),
};
if (withHuge) inputs.huge = input(`huge-${4 * mb}MB`, ['--bytes', String(4 * mb * 1e6), '--files', '1']);

const server = await serve(undefined, '/', { '/bench/': path.join(root, 'scripts', 'bench') });

/** Peak RSS in bytes of Chromium's processes: {renderer (largest), browser}. */
function peaks() {
  const out = { renderer: 0, browser: 0 };
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let cmd;
    let status;
    try {
      cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    } catch (_) { continue; }
    if (!/chrom/.test(cmd.split('\0')[0])) continue;
    const hwm = Number((/VmHWM:\s+(\d+) kB/.exec(status) || [0, 0])[1]) * 1024;
    if (cmd.includes('--type=renderer')) out.renderer = Math.max(out.renderer, hwm);
    else if (!cmd.includes('--type=')) out.browser = Math.max(out.browser, hwm);
  }
  return out;
}

/** CPU seconds (user + system) used so far by all of Chromium's processes. */
function chromiumCpu() {
  let ticks = 0;
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (!/chrom/.test(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0])) continue;
      // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
      const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch (_) { /* gone */ }
  }
  return ticks / 100; // USER_HZ is 100 on Linux
}

/** Runs `url` (the page or the floor page) on the files in a fresh browser; seconds as the page measured them. */
async function timed(url, inp, selector, doneSel) {
  const browser = await launch();
  try {
    const page = await (await browser.newContext()).newPage();
    await page.goto(url);
    if (url.includes('/bench/')) await page.waitForSelector('#files');
    else await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
    const before = peaks();
    const cpu0 = chromiumCpu();
    const wall0 = process.hrtime.bigint();
    await page.setInputFiles(selector, inp.files);
    await page.waitForSelector(doneSel, { timeout: 1_800_000 });
    // CPU over the whole window seen from here (handing the files over included), so
    // measured against this window's own wall time, not the page's seconds.
    const cpu = { secs: chromiumCpu() - cpu0, wall: Number(process.hrtime.bigint() - wall0) / 1e9 };
    const secs = Number(await page.getAttribute('body', 'data-seconds'));
    const metric = (m) => page.$eval(`[data-metric=${m}]`, (e) => Number(e.dataset.value));
    const lines = url.includes('/bench/') ? null : await metric('lines');
    const files = url.includes('/bench/') ? null : await metric('files');
    const mem = peaks();
    // The page's own thread: merging the workers' summaries, and the report and chart.
    const merge = Number(await page.getAttribute('body', 'data-merge-seconds'));
    const render = Number(await page.getAttribute('body', 'data-render-seconds'));
    return { secs, lines, files, mem, idle: before, merge, render, cpu };
  } finally {
    await browser.close();
  }
}

/** The fastest of several runs, with the highest peak memory of them all. */
function fastest(list) {
  const best = list.reduce((a, b) => (b.secs < a.secs ? b : a));
  const mem = { renderer: Math.max(...list.map((x) => x.mem.renderer)), browser: Math.max(...list.map((x) => x.mem.browser)) };
  return { ...best, mem, all: list.map((x) => x.secs), peaks: list.map((x) => x.mem.renderer), runs: list };
}

const page = (inp, workers) => timed(`${server.url}?workers=${workers}`, inp, '[data-testid=file-input]', 'body[data-state="done"]');
const floor = (inp, workers) => timed(`${server.url.replace(/\/$/, '')}/bench/floor.html?workers=${workers}`, inp, '#files', 'body[data-state="done"]');

function native(inp, jobs) {
  const t0 = process.hrtime.bigint();
  const out = execFileSync(cli, ['analyze', ...(inp.name.startsWith('small') ? [inp.dir] : inp.files), '--out', path.join(dir, 'cli-out'), '--jobs', String(jobs)],
    { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 1 << 28 });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const report = JSON.parse(out);
  return { secs, lines: report.lines, files: report.files };
}

const probe = await launch();
const cores = await (async () => { const p = await (await probe.newContext()).newPage(); return p.evaluate(() => navigator.hardwareConcurrency); })();
const version = probe.version();
await probe.close();
const all = Math.min(cores, 8);

const mbs = (bytes, s) => bytes / 1e6 / s;
const fmt = (x, d = 0) => x.toLocaleString('en', { minimumFractionDigits: d, maximumFractionDigits: d });
const results = {};
for (const [key, inp] of Object.entries(inputs)) {
  if (key === 'huge' || (only && key !== only)) continue;
  const nat = native(inp, 1);
  await page(inp, all).catch(() => null); // warm-up: page cache, compile caches
  const r = { native: nat, nativeAll: all > 1 ? native(inp, all) : null };
  // The floor and the page take turns, `runs` times; each keeps its fastest run (this
  // machine is shared and a single run of either can be 25% slow), and the page's peak
  // memory is the highest of its runs.
  const tries = { floor1: [], floorAll: [], page1: [], pageAll: [] };
  for (let i = 0; i < runs; i++) {
    tries.floor1.push(await floor(inp, 1));
    tries.floorAll.push(await floor(inp, all));
    tries.page1.push(await page(inp, 1));
    tries.pageAll.push(await page(inp, all));
  }
  for (const [k, list] of Object.entries(tries)) r[k] = fastest(list);
  if (r.nativeAll && (r.nativeAll.lines !== nat.lines || r.nativeAll.files !== nat.files)) throw new Error(`${key}: the CLI counted ${r.nativeAll.lines} lines on ${all} threads, ${nat.lines} on one`);
  for (const k of ['page1', 'pageAll']) {
    if (r[k].lines !== nat.lines || r[k].files !== nat.files) throw new Error(`${key} ${k}: the page counted ${r[k].lines} lines in ${r[k].files} files, the CLI ${nat.lines} in ${nat.files}`);
  }
  results[key] = r;
}
if (inputs.huge) {
  // Memory only; as many runs as the others, so that both peaks are the highest of as many.
  const list = [];
  for (let i = 0; i < runs; i++) list.push(await page(inputs.huge, all));
  results.huge = { pageAll: fastest(list) };
}
const goaccess = results.big ? timeGoaccess(inputs.big.files) : { missing: 'GoAccess: runs with the big file only' };
await server.close();

console.log(`\ns3logdrop browser benchmark, ${new Date().toISOString().slice(0, 10)}: Chromium ${version}, ${cores} cores (pool of ${all}), ${fmt(mb)} MB base size, floor and page best of ${runs} runs`);
console.log('input                                   how                      MB/s    lines/s   files/s   seconds');
for (const [key, r] of Object.entries(results)) {
  const inp = inputs[key];
  const label = `${key}: ${fmt(inp.bytes / 1e6, 1)} MB, ${fmt(inp.files.length)} file${inp.files.length > 1 ? 's' : ''}`;
  const row = (how, x, lines) => console.log(`${label.padEnd(40)}${how.padEnd(22)}${fmt(mbs(inp.bytes, x.secs)).padStart(7)}${(lines ? fmt(lines / x.secs / 1e6, 2) + ' M' : '').padStart(11)}${fmt(inp.files.length / x.secs).padStart(10)}${fmt(x.secs, 2).padStart(10)}`);
  if (r.floor1) row('read floor, 1 worker', r.floor1);
  if (r.floorAll) row(`read floor, ${all} workers`, r.floorAll);
  if (r.page1) row('page, 1 worker', r.page1, r.page1.lines);
  row(`page, ${all} workers`, r.pageAll, r.pageAll.lines);
  if (r.native) row('native CLI, 1 thread', r.native, r.native.lines);
  if (r.nativeAll) row(`native CLI, ${all} threads`, r.nativeAll, r.nativeAll.lines);
}
console.log(`\nseconds of each run (floor and page took turns):`);
for (const [key, r] of Object.entries(results)) {
  for (const [how, x] of [['read floor, 1 worker', r.floor1], [`read floor, ${all} workers`, r.floorAll], ['page, 1 worker', r.page1], [`page, ${all} workers`, r.pageAll]]) {
    if (x && x.all) console.log(`  ${key.padEnd(6)} ${how.padEnd(22)} ${x.all.map((t) => fmt(t, 2)).join(', ')}`);
  }
}
console.log('\npage thread (of the seconds above): merging the workers\' summaries + report and chart, each run (steadier than the runs\' seconds)');
for (const [key, r] of Object.entries(results)) {
  for (const [how, x] of [['1 worker', r.page1], [`${all} workers`, r.pageAll]]) {
    if (x) console.log(`  ${key.padEnd(6)} ${how.padEnd(10)} ${x.runs.map((y) => `merge ${fmt(y.merge, 2)} s, report and chart ${fmt(y.render, 2)} s of ${fmt(y.secs, 2)} s`).join('; ')}`);
  }
}
console.log(`\nCPU seconds of all of Chromium's processes, from handing the files over to the results shown: on ${cores} cores no run can take less than CPU / ${cores}`);
for (const [key, r] of Object.entries(results)) {
  for (const [how, x] of [['read floor, 1 worker', r.floor1], [`read floor, ${all} workers`, r.floorAll], ['page, 1 worker', r.page1], [`page, ${all} workers`, r.pageAll]]) {
    if (x) console.log(`  ${key.padEnd(6)} ${how.padEnd(22)} ${fmt(x.cpu.secs, 2)} CPU s (at least ${fmt(x.cpu.secs / cores, 2)} s on ${cores} cores; took ${fmt(x.secs, 2)} s, ${fmt(x.cpu.wall, 2)} s with the hand-over)`);
  }
}
console.log('\npeak memory (VmHWM), page with all workers, the highest of its runs:');
for (const [key, r] of Object.entries(results)) {
  console.log(`  ${key.padEnd(6)} ${fmt(inputs[key].bytes / 1e6).padStart(6)} MB: tab renderer ${fmt(r.pageAll.mem.renderer / 2 ** 20)} MiB (highest of ${r.pageAll.peaks.map((m) => fmt(m / 2 ** 20)).join(', ')}; ${fmt(r.pageAll.idle.renderer / 2 ** 20)} MiB when ready), browser process ${fmt(r.pageAll.mem.browser / 2 ** 20)} MiB`);
}
const b = results.big;
const s = results.small;
console.log('\nagainst the goals:');
if (b) console.log(`  big file, end to end / read floor: 1 worker ${fmt(100 * b.floor1.secs / b.page1.secs)}%, ${all} workers ${fmt(100 * b.floorAll.secs / b.pageAll.secs)}% (goal 80%)`);
if (b) console.log(`  big file, ${all} workers / 1 worker: ${fmt(b.page1.secs / b.pageAll.secs, 2)}x (goal 1.7x)`);
if (s) console.log(`  small files, files/s / read floor's files/s (${all} workers): ${fmt(100 * s.floorAll.secs / s.pageAll.secs)}% (goal 80%)`);
if (results.huge) console.log(`  peak tab memory, ${fmt(inputs.huge.bytes / 1e6)} MB / ${fmt(inputs.big.bytes / 1e6)} MB: ${fmt(100 * results.huge.pageAll.mem.renderer / b.pageAll.mem.renderer)}% (goal within 125%)`);
for (const key of ['big', 'small', 'gzip'].filter((k) => results[k])) {
  const r = results[key];
  console.log(`  ${key}: one wasm worker / native CLI one thread: ${fmt(100 * r.native.secs / r.page1.secs)}% (goal 60%)`);
}
if (goaccess.missing) console.log(`  ${goaccess.missing}`);
else {
  for (const [how, x] of [['1 thread', b.native], [`${all} threads`, b.nativeAll]]) {
    if (x) console.log(`  big file: ${goaccess.version} ${fmt(goaccess.mbPerS, 1)} MB/s; native CLI (every output written), ${how}, ${fmt(mbs(inputs.big.bytes, x.secs))} MB/s = ${fmt(mbs(inputs.big.bytes, x.secs) / goaccess.mbPerS, 1)}x GoAccess (goal 50x)`);
  }
}
