// Times GoAccess (Debian's package, --log-format=AWSS3) on log files, for the benchmark
// table, with a monotonic clock; says so when GoAccess is not installed.
// Usage: node scripts/bench-goaccess.mjs FILE...   (also used by bench-browser.mjs)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** {mbPerS, seconds, mb, version} or {missing: sentence}. */
export function timeGoaccess(files) {
  const which = spawnSync('sh', ['-c', 'command -v goaccess'], { encoding: 'utf8' });
  if (which.status !== 0) return { missing: 'goaccess: not installed (Debian: apt-get install goaccess); skipped' };
  const version = execFileSync('goaccess', ['--version'], { encoding: 'utf8' }).split('\n')[0].trim();
  const bytes = files.reduce((s, f) => s + fs.statSync(f).size, 0);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'goaccess-'));
  const t0 = process.hrtime.bigint();
  const run = spawnSync('goaccess', [...files, '--log-format=AWSS3', '--no-progress', '--no-global-config', '-o', path.join(out, 'report.csv')],
    { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', maxBuffer: 1 << 26 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  fs.rmSync(out, { recursive: true, force: true });
  if (run.status !== 0) return { missing: `goaccess failed: ${(run.stderr || '').slice(0, 300)}` };
  return { version, seconds, mb: bytes / 1e6, mbPerS: bytes / 1e6 / seconds };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = timeGoaccess(process.argv.slice(2));
  if (r.missing) console.log(r.missing);
  else console.log(`${r.version}, --log-format=AWSS3: ${r.mb.toFixed(1)} MB in ${r.seconds.toFixed(2)} s = ${r.mbPerS.toFixed(1)} MB/s`);
}
