// The page's pure helpers (www/js/format.js), under node --test: no browser needed.
import test from 'node:test';
import assert from 'node:assert/strict';
import { byCodePoint, count, csvLine, decimal2, duration, middleEllipsis, plural, ranges, size } from '../../www/js/format.js';

test('numbers and sizes for people', () => {
  assert.equal(count(0), '0');
  assert.equal(count(12345), '12,345');
  assert.equal(count(1234567), '1,234,567');
  assert.equal(size(0), '0 bytes');
  assert.equal(size(1), '1 byte');
  assert.equal(size(999), '999 bytes');
  assert.equal(size(1500), '1.5 kB');
  assert.equal(size(4.7e12), '4.7 TB');
  assert.equal(size(452e9), '452 GB');
  assert.equal(decimal2(1234.5), '1,234.50');
});

test('long keys are cut in the middle, whole when short', () => {
  assert.equal(middleEllipsis('zarr/ab12', 20), 'zarr/ab12');
  const cut = middleEllipsis('zarr/0123456789abcdef/0/0/1/5/19', 16);
  assert.equal(Array.from(cut).length, 16);
  assert.ok(cut.startsWith('zarr/01') && cut.endsWith('/5/19') && cut.includes('…'), cut);
  // Characters, not UTF-16 halves.
  assert.equal(middleEllipsis('😀😀😀😀😀😀', 5), '😀😀…😀😀');
});

test('dataset rows are written back as CSV lines', () => {
  assert.equal(csvLine(['zarr/', 'Zarr', '']), 'zarr/,Zarr,');
  assert.equal(csvLine(['a,b/', 'Say "hi"', '10.1/x']), '"a,b/","Say ""hi""",10.1/x');
});

test('durations', () => {
  assert.equal(duration(Infinity), '…');
  assert.equal(duration(-1), '…');
  assert.equal(duration(0.2), '1 s');
  assert.equal(duration(59), '59 s');
  assert.equal(duration(185), '3 min 5 s');
});

test('plural', () => {
  assert.equal(plural(1, 'file'), '1 file');
  assert.equal(plural(0, 'file'), '0 files');
  assert.equal(plural(2, 'line'), '2 lines');
});

test('names sort by code point, as the CLI sorts UTF-8 bytes', () => {
  // U+FF5E sorts before U+1F600 by code point, after it by UTF-16 code unit.
  const names = ['b', 'a/😀', 'a/～', 'a', 'A', 'a/b'];
  const sorted = names.map((name) => ({ name })).sort(byCodePoint).map((x) => x.name);
  const bytes = names.slice().sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
  assert.deepEqual(sorted, bytes);
  assert.deepEqual(sorted, ['A', 'a', 'a/b', 'a/～', 'a/😀', 'b']);
});

test('ranges from the engine\'s flat list', () => {
  assert.deepEqual(ranges([]), []);
  assert.deepEqual(ranges([0, 10, 10, 25]), [{ start: 0, end: 10, index: 0 }, { start: 10, end: 25, index: 1 }]);
});
