// trunk post-build hook: writes the list of the page's files and a version (a hash of
// their bytes) into sw.js in trunk's staging folder.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';

const dir = process.env.TRUNK_STAGING_DIR;
if (!dir) throw new Error('TRUNK_STAGING_DIR is not set: run through trunk build');
const files = [];
const walk = (d) => {
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.name !== 'sw.js') files.push(path.relative(dir, p).split(path.sep).join('/'));
  }
};
walk(dir);
files.sort();
const hash = crypto.createHash('sha256');
for (const f of files) hash.update(f).update('\0').update(fs.readFileSync(path.join(dir, f)));
const version = hash.digest('hex').slice(0, 16);
const sw = path.join(dir, 'sw.js');
const list = ['./', ...files.filter((f) => f !== 'index.html')];
const text = fs.readFileSync(sw, 'utf8')
  .replace('__S3LOGDROP_VERSION__', version)
  .replace("['__S3LOGDROP_FILES__']", JSON.stringify(list));
fs.writeFileSync(sw, text);
console.log(`sw.js: ${list.length} files, version ${version}`);
