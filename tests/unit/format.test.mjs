// The page's pure helpers (www/js/format.js), under node --test: no browser needed.
import test from 'node:test';
import assert from 'node:assert/strict';
import { byCodePoint, duration, human, plural, ranges } from '../../www/js/format.js';

test('human sizes', () => {
  assert.equal(human(0), '0 B');
  assert.equal(human(1023), '1023 B');
  assert.equal(human(1024), '1.0 KiB');
  assert.equal(human(1536), '1.5 KiB');
  assert.equal(human(5 * 1024 ** 3), '5.0 GiB');
  assert.equal(human(3 * 1024 ** 5), '3072.0 TiB');
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
