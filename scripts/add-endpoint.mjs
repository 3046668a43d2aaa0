// Lets a built page read logs from an S3-compatible store (MinIO, Ceph, a local S3 for
// tests) besides Amazon S3: adds the store's origin to the connect-src of the page's
// Content-Security-Policy, in place. The page itself checks a bucket's address against
// that policy and names what it allows.
//
//   node scripts/add-endpoint.mjs dist https://minio.example.org [more origins...]
import fs from 'node:fs';
import path from 'node:path';

const [dir, ...urls] = process.argv.slice(2);
if (!dir || urls.length === 0) {
  console.error('usage: node scripts/add-endpoint.mjs DIST_FOLDER URL [URL...]');
  process.exit(2);
}
const file = path.join(dir, 'index.html');
let html = fs.readFileSync(file, 'utf8');
const origins = urls.map((u) => {
  const url = new URL(u);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`${u}: not an http(s) address`);
  return url.origin;
});
const re = /(http-equiv="Content-Security-Policy" content="[^"]*connect-src)([^;"]*)/;
if (!re.test(html)) throw new Error(`${file}: no connect-src in its Content-Security-Policy`);
html = html.replace(re, (_, head, list) => {
  const have = list.trim().split(/\s+/).filter(Boolean);
  for (const o of origins) if (!have.includes(o)) have.push(o);
  return `${head} ${have.join(' ')}`;
});
fs.writeFileSync(file, html);
console.log(`${file}: connect-src now allows ${origins.join(', ')}`);
