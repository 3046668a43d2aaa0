// Pure helpers: numbers, sizes and durations for people, and the CLI's file order.
// No DOM here, so node --test can test them (tests/unit/).

// One formatter each, made once: toLocaleString with options makes a new one per call,
// which costs more than the page's whole table of numbers.
const COUNT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const DECIMAL2 = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** A count for people: `12,345`. */
export function count(n) {
  return COUNT.format(Number(n));
}

/** A size for people, in decimal units as disks and providers count them: `452 bytes`, `1.5 kB`, `4.7 TB`. */
export function size(bytes) {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  let v = Number(bytes);
  let i = 0;
  while (v >= 1000 && i < units.length - 1) { v /= 1000; i++; }
  if (i === 0) return `${count(v)} ${v === 1 ? 'byte' : 'bytes'}`;
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}

/** A number with two decimals and thousands separators: `1,234.50`. */
export function decimal2(n) {
  return DECIMAL2.format(Number(n));
}

/** `text` cut in the middle to at most `max` characters (`zarr/ab…/0/0/1`), whole when short. */
export function middleEllipsis(text, max) {
  if (text.length <= max) return text; // no more characters than UTF-16 units
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  const keep = max - 1;
  const head = Math.ceil(keep / 2);
  return `${chars.slice(0, head).join('')}…${chars.slice(chars.length - (keep - head)).join('')}`;
}

/** One CSV line (RFC 4180 quoting): for the dataset names the person gave. */
export function csvLine(cells) {
  return cells.map((c) => (/[",\r\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',');
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

/** Publication rounding, as the engine's `publish` module does it: counts from 1 to 9 hidden, unique users rounded to 10. */
export const PUBLICATION = { threshold: 10, step: 10 };

/**
 * A number as shown: `{ text, value }`, the text for people (`12,350`, `< 10`) and the
 * value as the CSV has it (`12350`, `<10`). `kind` is `count` (downloads: hidden under
 * the threshold) or `users` (also rounded); `on` false: the number itself.
 */
export function published(n, kind, on) {
  const v = Number(n);
  if (!on || v === 0) return { text: count(v), value: String(v) };
  const { threshold, step } = PUBLICATION;
  if (v < threshold) return { text: `< ${threshold}`, value: `<${threshold}` };
  const r = kind === 'users' ? Math.floor((v + step / 2) / step) * step : v;
  return { text: count(r), value: String(r) };
}

/** Full-download equivalents as shown: two decimals, or hidden under the threshold when `on`. */
export function publishedDecimal(x, on) {
  const value = Number(x).toFixed(2);
  if (on && value !== '0.00' && x < PUBLICATION.threshold) return { text: `< ${PUBLICATION.threshold}`, value: `<${PUBLICATION.threshold}` };
  return { text: decimal2(x), value };
}
