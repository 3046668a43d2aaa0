// The page's pure helpers (www/js/format.js), under node --test: no browser needed.
import test from 'node:test';
import assert from 'node:assert/strict';
import { byCodePoint, count, csvLine, decimal2, duration, middleEllipsis, plural, published, publishedDecimal, ranges, size } from '../../www/js/format.js';

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

test('publication rounding: the engine\'s rule (tests/report.rs checks the same cells in the CSVs)', () => {
  assert.deepEqual(published(12345, 'users', false), { text: '12,345', value: '12345' });
  assert.deepEqual(published(0, 'users', true), { text: '0', value: '0' });
  assert.deepEqual(published(9, 'count', true), { text: '< 10', value: '<10' });
  assert.deepEqual(published(11, 'count', true), { text: '11', value: '11' });
  assert.deepEqual(published(14, 'users', true), { text: '10', value: '10' });
  assert.deepEqual(published(15, 'users', true), { text: '20', value: '20' });
  assert.deepEqual(published(12345, 'users', true), { text: '12,350', value: '12350' });
  assert.deepEqual(publishedDecimal(3, true), { text: '< 10', value: '<10' });
  assert.deepEqual(publishedDecimal(0.001, true), { text: '0.00', value: '0.00' });
  assert.deepEqual(publishedDecimal(25, true), { text: '25.00', value: '25.00' });
  assert.deepEqual(publishedDecimal(3, false), { text: '3.00', value: '3.00' });
});
