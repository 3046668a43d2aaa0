// The report: the span and headline numbers, the chart and the table of the chosen
// period (all datasets or one), the datasets, the method paragraph, the files with a
// problem, the most downloaded files, the lines set aside. Every number is shown for
// people and carries its raw value in data-value; every text from the logs goes in as text.

import { el, make, numberCell, text } from './dom.js';
import { count, middleEllipsis, plural, published, publishedDecimal, size } from './format.js';
import { state } from './state.js';

/** Rows of the dataset and file tables on the page (the CSVs have them all). */
const SHOWN = 25;
/** Characters of a key or dataset name shown before it is cut in the middle. */
const KEY_CHARS = 60;

const PERIOD_WORDS = {
  day: ['day', 'Days'], week: ['week', 'Weeks run Monday to Sunday'], month: ['month', 'Months'],
  quarter: ['quarter', 'Quarters start in January, April, July and October'], year: ['year', 'Years'],
};

let report = null;

/** Publication rounding is on (a way of showing: the numbers stay exact underneath). */
const rounded = () => !!(state.settings && state.settings.publication_rounding);
/** A table cell of a count as shown, its CSV value in data-value. */
function countCell(n, kind, col) {
  const p = published(n, kind, rounded());
  return numberCell(p.text, p.value, col);
}
/** A count in a sentence. */
const says = (n) => published(n, 'count', rounded()).text;

/** Shows the finished analysis. */
export function render() {
  report = state.analysis.report();
  const rep = report;
  el.results.hidden = false;
  el.clear.disabled = false;
  const values = { ...rep, datasets: rep.datasets.length, countries: rep.countries.filter((c) => c.country_code).length };
  const kinds = { downloads: 'count', unique_users: 'users' };
  for (const dd of el.results.querySelectorAll('[data-metric]')) {
    const v = values[dd.dataset.metric];
    const kind = kinds[dd.dataset.metric];
    const p = kind ? published(v, kind, rounded()) : { text: count(v), value: String(v) };
    dd.dataset.value = p.value;
    text(dd, dd.dataset.format === 'size' ? size(v) : p.text);
  }
  text(el.reportSpan, rep.coverage
    ? `Logs from ${rep.coverage.first_day} to ${rep.coverage.last_day} (UTC), ${plural(rep.files, 'file')}.`
    : `${plural(rep.files, 'file')} read; no line in them is an S3 access log line.`);
  const rm = rep.removed;
  text(el.removed,
    `${says(rep.candidates)} requests matched the download definition; not counted: ${says(rm.bot)} by the robot rule, ` +
    `${says(rm.missing_size)} with missing sizes, ${says(rm.excluded_ip)} from excluded addresses, ${says(rm.aws_internal)} made by AWS itself, ` +
    `${says(rm.outside_dates)} outside the dates, ${says(rm.outside_prefix)} outside the key prefix` +
    (rm.cloud ? `, ${says(rm.cloud)} from cloud and hosting networks.` : '.') +
    (rep.ambiguous_user_agent ? ` ${count(rep.ambiguous_user_agent)} lines had an ambiguous referer/user-agent split (still counted).` : ''));

  renderNotes(rep);
  renderDatasetChooser(rep);
  renderDatasets(rep);
  renderObjects(rep);
  renderRejects(rep);
  renderPeriod();
  text(el.made, `Made with s3logdrop on ${new Date().toISOString().slice(0, 10)}, in the browser: the logs never left the computer.`);
}

/** Shows the chart, the table and the method of the chosen period and dataset. */
export function renderPeriod() {
  if (!state.analysis || !report) return;
  const period = state.period;
  const dataset = state.dataset;
  const rows = dataset ? state.analysis.dataset_periods(dataset, period) : report.periods[period];
  const [word, note] = PERIOD_WORDS[period];
  const shownName = dataset ? report.datasets.find((d) => d.dataset === dataset)?.dataset_decoded ?? dataset : '';
  text(el.periodCaption, `${dataset ? `${shownName}: downloads` : 'Downloads'} per ${word}`);
  text(el.periodNote, `${dataset ? `${shownName}: downloads` : 'Downloads'} per ${word}. ${note}; all dates UTC. ` +
    'New unique users are counted in the period of their first download' + (dataset ? ' of this dataset' : '') +
    '. A period the logs cover only in part is marked “partial”: a low count there is not a drop.');
  el.periodTable.replaceChildren();
  for (const r of rows) {
    const tr = make('tr');
    tr.dataset.periodStart = r.period_start;
    if (r.partial) tr.dataset.partial = 'true';
    const th = make('th', r.period_start === r.period_end ? r.period_start : `${r.period_start} to ${r.period_end}`);
    th.scope = 'row';
    if (r.partial) th.append(' ', make('span', 'partial', 'badge'));
    tr.append(th,
      countCell(r.downloads, 'count', 'downloads'),
      countCell(r.new_unique_users, 'users', 'new_unique_users'),
      countCell(r.active_unique_users, 'users', 'active_unique_users'),
      numberCell(size(r.bytes_sent), r.bytes_sent, 'bytes_sent'));
    el.periodTable.append(tr);
  }
  renderGeoDays(rows);
  renderGeography();
  renderCounter(report);
  el.methods.textContent = state.analysis.methods(period);
  for (const b of document.querySelectorAll('[data-file="period.csv"]')) text(b, `downloads_per_${period}.csv`);
  drawChart();
}

/** A percentage of a whole, one decimal: `12.3%`. */
const percent = (n, of) => `${(of ? (100 * n) / of : 0).toFixed(1)}%`;

/**
 * Offers the periods of the table shown (`rows`) as the days whose downloads the
 * countries and networks count; the choice stays while it is still offered.
 */
function renderGeoDays(rows) {
  const keep = el.geoDays.value;
  el.geoDays.replaceChildren(new Option('all the days of the logs', ''));
  const options = document.createDocumentFragment();
  for (const r of rows) {
    const label = r.period_start === r.period_end ? r.period_start : `${r.period_start} to ${r.period_end}`;
    options.append(new Option(label + (r.partial ? ' (partial)' : ''), `${r.period_start}/${r.period_end}`));
  }
  el.geoDays.append(options);
  el.geoDays.value = rows.some((r) => `${r.period_start}/${r.period_end}` === keep) ? keep : '';
}

/** Where the chosen dataset's downloads on the chosen days come from: countries and networks. */
export function renderGeography() {
  if (!state.analysis || !report) return;
  const dataset = state.dataset;
  const [from, to] = geoDays();
  const geo = dataset || from ? state.analysis.geography(dataset, from, to) : report;
  const shownName = dataset ? report.datasets.find((d) => d.dataset === dataset)?.dataset_decoded ?? dataset : '';
  const days = from ? (from === to ? ` on ${from}` : ` from ${from} to ${to}`) : '';
  const whose = `${dataset ? `${shownName}: downloads` : 'Downloads'}${days}`;
  renderCountries(geo.countries, whose);
  renderNetworks(geo, whose);
  drawMap();
}

/** The days chosen for the countries, networks and map: `[from, to]`, `['', '']` for all. */
export function geoDays() {
  return el.geoDays.value ? el.geoDays.value.split('/') : ['', ''];
}

let mapFrame = 0;

/**
 * Draws the map of the chosen dataset and days, after the report is on the screen (the
 * next frame: the tables do not wait for it), or at once for print. The canvas says when
 * it is drawn (`data-drawn`).
 */
export function drawMap(print = false) {
  if (print) {
    paintMap(true);
    return;
  }
  el.map.dataset.drawn = 'false';
  const frame = ++mapFrame;
  requestAnimationFrame(() => setTimeout(() => { if (frame === mapFrame) paintMap(false); }, 0));
}

/** Draws the map at the canvas's size in device pixels (for print: the layout's size, twice). */
function paintMap(print) {
  if (!state.analysis || !report) return;
  const dpr = window.devicePixelRatio || 1;
  const width = print ? 800 : Math.max(300, el.map.parentElement.clientWidth || 800);
  const height = Math.round(width * 0.5625);
  const scale = print ? 2 : dpr * Math.min(1.3, Math.max(0.8, width / 800));
  el.map.style.width = print ? '100%' : `${width}px`;
  el.map.style.height = print ? 'auto' : `${height}px`;
  el.map.width = Math.round(width * (print ? 2 : dpr));
  el.map.height = Math.round(height * (print ? 2 : dpr));
  const [from, to] = geoDays();
  try {
    state.analysis.draw_map(el.map, state.dataset, from, to, scale);
    el.map.dataset.drawn = 'true';
  } catch (e) {
    text(el.exportStatus, `The map could not be drawn: ${e.message || e}`);
  }
}

function renderCountries(rows, whose) {
  const known = rows.filter((c) => c.country_code);
  const unknown = rows.find((c) => !c.country_code);
  // The most downloaded countries, then always the downloads of no known country.
  const shown = known.slice(0, SHOWN).concat(unknown ? [unknown] : []);
  const total = rows.reduce((n, c) => n + c.downloads, 0);
  el.countryTable.replaceChildren();
  for (const c of shown) {
    const tr = make('tr');
    tr.dataset.country = c.country_code;
    const name = make('th', c.country_code ? c.country : 'Unknown');
    name.scope = 'row';
    name.dataset.value = c.country_code;
    if (c.country_code) name.append(make('span', c.country_code, 'code'));
    const share = total ? (100 * c.downloads) / total : 0;
    tr.append(name,
      countCell(c.downloads, 'count', 'downloads'),
      countCell(c.unique_users, 'users', 'unique_users'),
      numberCell(size(c.bytes_sent), c.bytes_sent, 'bytes_sent'),
      cellOf(`${share.toFixed(1)}%`, share.toFixed(3), 'share'));
    el.countryTable.append(tr);
  }
  const more = known.length > SHOWN ? ` The ${SHOWN} with the most downloads are shown; downloads_by_country.csv has them all.` : '';
  text(el.countriesNote, `${whose} from ${count(known.length)} ${known.length === 1 ? 'country' : 'countries'}, by the country of the user's address. ` +
    'Addresses are looked up in a table inside this page: no address is sent anywhere. ' +
    '“Unknown” is an address in no country\'s range (a private network, as requests through a VPC endpoint show) ' +
    `or a request with no address.${more}`);
  const src = report.country_data;
  text(el.countriesSource, `Country data: ${src.licence} (${src.name}, data of ${src.date}). Registry countries are where a network is registered, ` +
    'which is usually, not always, where its users are.');
}

/** A network as people read it: its organisation's name (or its number), the AS number beside it. */
function networkName(n) {
  if (n.asn === null) return n.cloud ? 'Unknown network' : 'Unknown';
  return n.network || `AS${n.asn}`;
}

function renderNetworks(geo, whose) {
  const rows = geo.networks;
  const known = rows.filter((n) => n.asn !== null || n.cloud);
  const unknown = rows.filter((n) => n.asn === null && !n.cloud);
  const shown = known.slice(0, SHOWN).concat(unknown);
  const total = rows.reduce((x, n) => x + n.downloads, 0);
  const users = rows.reduce((x, n) => x + n.unique_users, 0);
  el.networkTable.replaceChildren();
  for (const n of shown) {
    const tr = make('tr');
    tr.dataset.asn = n.asn === null ? '' : String(n.asn);
    tr.dataset.region = n.aws_region;
    const name = make('th', networkName(n));
    name.scope = 'row';
    name.dataset.value = n.network;
    if (n.asn !== null) name.append(make('span', `AS${n.asn}`, 'code'));
    const cloud = n.cloud ? (n.aws_region ? `${n.cloud}, ${n.aws_region}` : n.cloud) : '—';
    tr.append(name,
      countCell(n.downloads, 'count', 'downloads'),
      countCell(n.unique_users, 'users', 'unique_users'),
      numberCell(size(n.bytes_sent), n.bytes_sent, 'bytes_sent'),
      cellOf(percent(n.downloads, total), (total ? (100 * n.downloads) / total : 0).toFixed(3), 'share'),
      cellOf(cloud, n.cloud, 'cloud'));
    el.networkTable.append(tr);
  }
  const excluded = !!(state.settings && state.settings.exclude_cloud);
  const c = geo.cloud;
  text(el.cloudNote, excluded
    ? `Downloads from cloud and hosting networks are not counted (${says(report.removed.cloud)} in all the logs were left out, as the definitions below say).`
    : `${percent(c.downloads, total)} of the downloads (${says(c.downloads)}) and ${percent(c.unique_users, users)} of the unique users came from ` +
      'cloud and hosting networks: machines at AWS, Google Cloud, Microsoft Azure and other providers, such as pipelines, mirrors and notebooks, ' +
      'rather than people at their own computers. They are counted; the definitions below can leave them out.');
  el.cloudNote.dataset.downloads = String(c.downloads);
  el.cloudNote.dataset.users = String(c.unique_users);
  const more = known.length > SHOWN ? ` The ${SHOWN} with the most downloads are shown; downloads_by_network.csv has them all.` : '';
  text(el.networksNote, `${whose}, by the network (autonomous system) that announces the user's address; ` +
    'Amazon\'s addresses by AWS region too. “Unknown” is an address in no announced network, or a request with no address.' + more);
  const [asn, aws, list] = report.network_data;
  text(el.networksSource, `Network data: ${asn.licence} (${asn.name}, data of ${asn.date}); ` +
    `AWS regions: ${aws.licence} (${aws.date}); cloud and hosting providers: ${list.name.replace(/ \(.*\)$/, '')}, by AS number.`);
}

/**
 * COUNTER's four metrics per dataset, month and access method: the chosen dataset's, or
 * those of the 25 datasets with the most investigations (COUNTER numbers are not rounded).
 */
function renderCounter(rep) {
  const c = rep.counter;
  el.counter.hidden = !c;
  el.counterMethod.hidden = !c;
  el.counterTable.replaceChildren();
  if (!c) return;
  const byDataset = new Map();
  for (const r of c.rows) byDataset.set(r.dataset, (byDataset.get(r.dataset) || 0) + r.total_investigations);
  const chosen = state.dataset && byDataset.has(state.dataset) ? new Set([state.dataset])
    : new Set([...byDataset].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, SHOWN).map((x) => x[0]));
  for (const r of c.rows.filter((x) => chosen.has(x.dataset))) {
    const tr = make('tr');
    const name = keyCell(r.dataset, r.dataset, 'th');
    name.scope = 'row';
    if (r.doi) name.append(make('span', r.doi, 'code'));
    tr.append(name, cellOf(r.month, r.month, 'month'), cellOf(r.access, r.access, 'access_method'),
      numberCell(count(r.total_investigations), r.total_investigations, 'total_dataset_investigations'),
      numberCell(count(r.unique_investigations), r.unique_investigations, 'unique_dataset_investigations'),
      numberCell(count(r.total_requests), r.total_requests, 'total_dataset_requests'),
      numberCell(count(r.unique_requests), r.unique_requests, 'unique_dataset_requests'),
      numberCell(size(r.volume), r.volume, 'volume_bytes'));
    Object.assign(tr.dataset, { dataset: r.dataset, doi: r.doi, month: r.month, access: r.access });
    el.counterTable.append(tr);
  }
  const kept = c.actions - c.robots - c.filtered;
  const some = byDataset.size > chosen.size
    ? (state.dataset && chosen.has(state.dataset) ? ' The dataset chosen above is shown;'
      : ` The ${SHOWN} datasets with the most investigations are shown;`) + ' counter_metrics.csv has them all.'
    : '';
  text(el.counterNote, c.rows.length === 0
    ? `No GET or HEAD of a file succeeded in these logs (${count(c.actions)} were left out), so there is nothing to report by COUNTER.`
    : `${count(c.actions)} requests were a successful GET or HEAD of a file; ${count(c.robots)} came from robots by COUNTER's list and ` +
      `${count(c.filtered)} were outside the settings, which leaves ${count(kept)} before double-clicks. ` +
      'An investigation is any look at a file (GET or HEAD), a request a download (GET); “unique” counts each visit of an hour once per dataset. ' +
      'The numbers are exact (COUNTER reports are not rounded). counter_report.json is the monthly report DataCite takes; it lists the datasets that have a DOI.' + some);
}

function renderNotes(rep) {
  el.notes.replaceChildren();
  if (rep.file_notes.length === 0) return;
  el.notes.append(make('h3', 'Files with a problem'));
  const ul = make('ul', null, 'notes');
  for (const n of rep.file_notes) {
    const li = make('li');
    li.dataset.kind = n.kind;
    li.append(make('strong', n.file), document.createTextNode(`: ${n.message}`));
    ul.append(li);
  }
  el.notes.append(ul);
}

function renderDatasetChooser(rep) {
  const keep = state.dataset;
  el.dataset.replaceChildren(make('option', 'all datasets'));
  el.dataset.firstChild.value = '';
  // Built apart and added at once (an archive can have thousands of datasets).
  const options = document.createDocumentFragment();
  for (const d of rep.datasets) options.append(new Option(middleEllipsis(d.dataset_decoded, KEY_CHARS), d.dataset));
  el.dataset.append(options);
  state.dataset = rep.datasets.some((d) => d.dataset === keep) ? keep : '';
  el.dataset.value = state.dataset;
}

/** A key or dataset name as people read it: decoded, cut in the middle when long, whole on hover. */
function keyCell(raw, decoded, tag = 'td') {
  const cell = make(tag, middleEllipsis(decoded, KEY_CHARS), 'key');
  if (decoded.length > KEY_CHARS || raw !== decoded) {
    cell.title = decoded === raw ? raw : `${decoded}\n(in the log: ${raw})`;
  }
  if (decoded.length > KEY_CHARS) cell.setAttribute('aria-label', decoded);
  return cell;
}

function renderDatasets(rep) {
  el.datasetTable.replaceChildren();
  for (const d of rep.datasets.slice(0, SHOWN)) {
    const fde = publishedDecimal(d.full_download_equivalents, rounded());
    const tr = make('tr');
    tr.dataset.dataset = d.dataset;
    const name = keyCell(d.dataset, d.dataset_decoded, 'th');
    name.scope = 'row';
    if (d.doi) name.append(make('span', `doi:${d.doi}`, 'doi'));
    tr.append(name,
      countCell(d.downloads, 'count', 'downloads'),
      countCell(d.unique_users, 'users', 'unique_users'),
      numberCell(size(d.bytes_sent), d.bytes_sent, 'bytes_sent'),
      numberCell(fde.text, fde.value, 'full_download_equivalents'),
      cellOf(d.first_download.slice(0, 10), d.first_download, 'first_download'),
      cellOf(d.last_download.slice(0, 10), d.last_download, 'last_download'));
    el.datasetTable.append(tr);
  }
  const n = rep.datasets.length;
  text(el.datasetsNote, (n > SHOWN
    ? `The ${SHOWN} most downloaded of ${count(n)} datasets; downloads_per_dataset.csv has them all.`
    : `${plural(n, 'dataset')}.`) +
    ' “Full downloads” adds up the bytes sent as fractions of each file: partial (range) downloads of a file add up to one.');
}

function cellOf(shown, value, col) {
  const td = make('td', shown);
  td.dataset.value = value;
  td.dataset.col = col;
  return td;
}

function renderObjects(rep) {
  el.objects.replaceChildren();
  for (const o of rep.top_objects) {
    const tr = make('tr');
    tr.append(keyCell(o.key, o.key_decoded),
      countCell(o.downloads, 'count', 'downloads'),
      countCell(o.unique_users, 'users', 'unique_users'),
      numberCell(size(o.bytes_sent), o.bytes_sent, 'bytes_sent'));
    el.objects.append(tr);
  }
  text(el.objectsNote, rep.objects > rep.top_objects.length
    ? `The first ${rep.top_objects.length} of ${count(rep.objects)} files; top_objects.csv has them all.`
    : `${plural(rep.objects, 'file')} downloaded.`);
}

function renderRejects(rep) {
  el.rejects.replaceChildren();
  if (rep.rejects.length === 0) el.rejects.append(make('p', 'Every line was read.', 'muted'));
  for (const r of rep.rejects) {
    const box = make('details', null, 'reject');
    box.dataset.reason = r.reason;
    const sum = make('summary');
    sum.append(make('code', r.reason), document.createTextNode(` — ${plural(r.count, 'line')}: ${r.explanation}`));
    box.append(sum);
    const ul = make('ul');
    for (const s of r.samples) {
      const li = make('li');
      li.append(make('span', `${s.file}, line ${s.line}:`, 'where'), make('pre', s.text, 'sample'));
      ul.append(li);
    }
    box.append(ul);
    el.rejects.append(box);
  }
}

/**
 * Draws the chart at the canvas's size in device pixels (sharp on HiDPI screens); text
 * grows a little with a wide screen. `print` draws it for paper: the layout's size, twice.
 */
export function drawChart(print = false) {
  if (!state.analysis) return;
  const dpr = window.devicePixelRatio || 1;
  const width = print ? 800 : Math.max(300, el.chart.parentElement.clientWidth || 800);
  const height = Math.round(print ? 450 : Math.min(560, Math.max(300, width * 0.5625)));
  const scale = print ? 2 : dpr * Math.min(1.3, Math.max(0.8, width / 800));
  el.chart.style.width = print ? '100%' : `${width}px`;
  el.chart.style.height = print ? 'auto' : `${height}px`;
  el.chart.width = Math.round(width * (print ? 2 : dpr));
  el.chart.height = Math.round(height * (print ? 2 : dpr));
  try {
    state.analysis.draw(el.chart, state.period, state.dataset, el.showBytes.checked, scale);
  } catch (e) {
    text(el.exportStatus, `The chart could not be drawn: ${e.message || e}`);
  }
}
