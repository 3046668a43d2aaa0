// Pure helpers: numbers, sizes and durations for people, and the CLI's file order.
// No DOM here, so node --test can test them (tests/unit/).

/** Bytes for people: `452 B`, `1.5 KiB`, `4.7 GiB`. */
export function human(bytes) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** Seconds for people: `42 s`, `3 min 5 s`, `…` when unknown. */
export function duration(seconds) {
  if (!isFinite(seconds) || seconds < 0) return '…';
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  const m = Math.floor(seconds / 60);
  return `${m} min ${Math.round(seconds - m * 60)} s`;
}

/** `1 file`, `2 files`. */
export function plural(n, word) {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * Compares `{name}` items by code point, which is the byte order of their UTF-8: the
 * order the CLI reads files in (JavaScript's `<` compares UTF-16 code units instead).
 */
export function byCodePoint(a, b) {
  const x = a.name;
  const y = b.name;
  let i = 0;
  let j = 0;
  while (i < x.length && j < y.length) {
    const c = x.codePointAt(i);
    const d = y.codePointAt(j);
    if (c !== d) return c < d ? -1 : 1;
    i += c > 0xffff ? 2 : 1;
    j += d > 0xffff ? 2 : 1;
  }
  return (x.length - i) - (y.length - j);
}

/** The `[start, end, start, end, …]` of the engine's `split_ranges`, as `[{start, end, index}]`. */
export function ranges(flat) {
  const out = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push({ start: flat[i], end: flat[i + 1], index: i / 2 });
  return out;
}
