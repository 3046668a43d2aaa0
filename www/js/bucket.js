// Reading the logs straight from their S3 bucket: the panel, the listing (on this
// thread), and the objects handed to the run as items that the workers fetch from URLs
// presigned here. The keys live in the engine's memory on this thread (a LogBucket) and
// in the form; they are stored only when the person ticks "remember", never in a snapshot
// or an export, and never shown again in full. The only requests are GETs to the bucket
// the person named, after they press "Read the bucket".

import { el, setState, text } from './dom.js';
import { plural } from './format.js';
import { allowedOrigins, connectAllowed } from './csp.js';
import { addFiles } from './input.js';
import { state } from './state.js';

const STORE = 's3logdrop.bucket.v1';
const TRIES = 6;
const $ = (id) => document.getElementById(id);
const f = {
  form: $('bucket-form'), panel: $('bucket-panel'), bucket: $('s3-bucket'), prefix: $('s3-prefix'),
  region: $('s3-region'), key: $('s3-key'), secret: $('s3-secret'), token: $('s3-token'),
  endpoint: $('s3-endpoint'), remember: $('s3-remember'), remembered: $('s3-remembered'),
  read: $('s3-read'), forget: $('s3-forget'), error: $('s3-error'), setup: $('s3-setup'),
  cors: $('cors-rule'), policy: $('iam-policy'), allowed: $('s3-allowed'), copyStatus: $('s3-copy-status'),
};

/** Keys remembered on this computer (only when the person asked). */
let stored = null;

const csp = () => {
  const meta = document.querySelector('meta[http-equiv="Content-Security-Policy"]');
  return meta ? meta.content : '';
};

/** Wires the panel: remembered fields back, the CORS rule and the policy kept up to date. */
export function initBucket() {
  let saved = {};
  try { saved = JSON.parse(localStorage.getItem(STORE) || '{}') || {}; } catch (_) { saved = {}; }
  for (const k of ['bucket', 'prefix', 'region', 'endpoint']) if (typeof saved[k] === 'string') f[k].value = saved[k];
  if (saved.keys && typeof saved.keys.key === 'string' && typeof saved.keys.secret === 'string') {
    stored = saved.keys;
    f.remember.checked = true;
  }
  showRemembered();
  text(f.allowed, allowedOrigins(csp(), location.origin).join(', '));
  const explain = () => {
    text(f.cors, state.wasm.cors_rule(location.origin));
    text(f.policy, state.wasm.iam_policy(f.bucket.value.trim(), f.prefix.value.trim()));
  };
  explain();
  f.bucket.addEventListener('input', explain);
  f.prefix.addEventListener('input', explain);
  f.form.addEventListener('submit', (e) => { e.preventDefault(); readBucket(); });
  f.forget.addEventListener('click', () => {
    stored = null;
    f.remember.checked = false;
    saveFields();
    showRemembered();
  });
  for (const b of f.setup.querySelectorAll('button[data-copy]')) {
    b.addEventListener('click', async () => {
      const node = $(b.dataset.copy);
      try {
        await navigator.clipboard.writeText(node.textContent);
        text(f.copyStatus, 'Copied.');
      } catch (_) {
        getSelection().selectAllChildren(node);
        text(f.copyStatus, 'Selected: press Ctrl+C (⌘C) to copy.');
      }
    });
  }
}

function showRemembered() {
  f.remembered.hidden = !stored;
  f.forget.hidden = !stored;
  if (stored) {
    const k = stored.key;
    text(f.remembered, `Keys remembered on this computer: ${k.slice(0, 4)}…${k.slice(-4)} (leave the key fields empty to use them).`);
  }
}

/** The fields are remembered (not the keys, unless asked). */
function saveFields() {
  const out = {};
  for (const k of ['bucket', 'prefix', 'region', 'endpoint']) out[k] = f[k].value.trim();
  if (f.remember.checked && stored) out.keys = stored;
  try { localStorage.setItem(STORE, JSON.stringify(out)); } catch (_) { /* private mode */ }
}

function say(message) {
  text(f.error, message);
  f.error.hidden = !message;
}

const pause = (ms) => new Promise((r) => setTimeout(r, ms));
const options = { cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer' };

/** Why a request to `url` failed without an answer: the bucket's CORS rule, or no connection. */
async function unreachable(url, origin) {
  try {
    // An opaque answer means the bucket is there and answered, but not to this page.
    await fetch(url, { ...options, mode: 'no-cors' });
    f.setup.open = true;
    return `The bucket answered, but does not let this page read it: its CORS rule must allow this page (${location.origin}). Add the rule shown under "First time" below in the S3 console, then try again.`;
  } catch (_) {
    return `The bucket could not be reached at ${origin}: check the internet connection${f.endpoint.value.trim() ? ' and the address of the store' : ''}.`;
  }
}

/** Lists the log objects under the prefix and analyses those not yet counted. */
export async function readBucket() {
  say('');
  const { wasm } = state;
  if (!wasm || !el.body.dataset.ready) return;
  if (state.run) { say('An analysis is running: wait for it, or cancel it, then read the bucket.'); return; }
  let key = f.key.value.trim();
  let secret = f.secret.value.trim();
  let token = f.token.value.trim();
  if (!key && !secret && stored) ({ key, secret, token = '' } = stored);
  let bucket;
  try {
    bucket = new wasm.LogBucket(f.bucket.value, f.prefix.value, f.region.value || 'us-east-1', f.endpoint.value, key, secret, token);
  } catch (e) {
    say(`Not read: ${e.message || e}.`);
    return;
  }
  const origin = bucket.origin();
  if (!connectAllowed(csp(), location.origin, origin)) {
    say(`This page may not connect to ${origin}: its security policy allows ${allowedOrigins(csp(), location.origin).join(', ')}. An S3-compatible store must be added where the page is published (node scripts/add-endpoint.mjs dist ${origin}).`);
    bucket.free();
    return;
  }
  if (f.remember.checked && key && secret) stored = { key, secret, token };
  if (!f.remember.checked) stored = null;
  saveFields();
  showRemembered();
  const where = `s3://${f.bucket.value.trim()}/${bucket.prefix()}`;
  setState('running');
  f.read.disabled = true;
  // A big bucket lists for a while (1,000 keys a request): Cancel stops it between pages.
  const listing = { cancelled: false };
  state.listing = listing;
  el.cancel.hidden = false;
  text(el.statusText, `Listing the log files in ${where}…`);
  let objects;
  try {
    objects = await list(bucket, origin, listing);
  } catch (e) {
    bucket.free();
    setState(state.analysis ? 'done' : 'idle');
    text(el.statusText, listing.cancelled ? 'Cancelled: the bucket was not read.' : 'The bucket was not read.');
    if (!listing.cancelled) say(e.message || String(e));
    return;
  } finally {
    f.read.disabled = false;
    state.listing = null;
    el.cancel.hidden = true;
  }
  if (objects.length === 0) {
    bucket.free();
    setState(state.analysis ? 'done' : 'idle');
    text(el.statusText, 'The bucket was not read.');
    say(`There is no file under ${where}. Check the folder: S3 writes the logs under the "target prefix" set in the source bucket's server access logging settings.`);
    return;
  }
  if (state.bucket && state.bucket !== bucket && !state.files.some((i) => i.s3 === state.bucket)) state.bucket.free();
  state.bucket = bucket;
  // The report comes first: the panel folds away, naming what it read.
  f.panel.open = false;
  text(f.panel.querySelector('summary'), `Read from the S3 bucket: ${where} (read it again for new logs)`);
  text(el.statusText, `${plural(objects.length, 'log file')} in ${where}.`);
  setState(state.analysis ? 'done' : 'idle');
  addFiles(objects.map(([name, size]) => ({ name, size, s3: bucket })));
}

/** Every object under the prefix, [key, size], in key order (as S3 lists them). */
async function list(bucket, origin, listing) {
  const objects = [];
  let token = '';
  let moved = false;
  for (let tries = 1; ; tries++) {
    if (listing.cancelled) throw new Error('cancelled');
    let resp;
    try {
      resp = await fetch(bucket.list_url(token), options);
    } catch (_) {
      throw new Error(await unreachable(bucket.list_url(token), origin));
    }
    if (!resp.ok) {
      const body = await resp.text().catch(() => '');
      const region = resp.headers.get('x-amz-bucket-region') || bucket.other_region(body);
      if (region && region !== bucket.region() && !moved && bucket.move_to(region)) {
        // The bucket is in another region: ask there (and show it).
        moved = true;
        f.region.value = region;
        tries--;
        continue;
      }
      if (state.wasm.retryable(resp.status) && tries < TRIES) {
        await pause(Math.min(200 * 2 ** tries, 10_000));
        continue;
      }
      throw new Error(`The bucket was not read: ${bucket.listing_refusal(resp.status, body)}.`);
    }
    const page = bucket.parse_listing(await resp.text());
    for (const o of page.objects) objects.push(o);
    text(el.statusText, `Listing the log files… ${plural(objects.length, 'file')} so far`);
    if (!page.next) return objects;
    token = page.next;
    tries = 0;
  }
}
