// The results: summary, notes, the weekly table and chart, top objects and datasets,
// rejected lines with their samples. Every text from the logs goes in as text.

import { el, make, text } from './dom.js';
import { human, plural } from './format.js';
import { state } from './state.js';

/** Shows the finished analysis. */
export function render() {
  const rep = state.analysis.report();
  el.results.hidden = false;
  el.clear.disabled = false;
  for (const dd of el.summary.querySelectorAll('[data-metric]')) {
    text(dd, String(rep[dd.dataset.metric]));
  }
  const rm = rep.removed;
  text(el.removed,
    `${rep.candidates} requests matched the download definition; removed: ${rm.bot} by the bot rule, ` +
    `${rm.missing_size} with missing sizes, ${rm.excluded_ip} from excluded IPs, ${rm.aws_internal} AWS-internal, ` +
    `${rm.outside_dates} outside the dates, ${rm.outside_prefix} outside the key prefix. ` +
    `${human(rep.bytes_sent)} sent by counted downloads.` +
    (rep.ambiguous_user_agent ? ` ${rep.ambiguous_user_agent} lines had an ambiguous referer/user-agent split (still counted).` : ''));

  el.notes.replaceChildren();
  if (rep.file_notes.length > 0) {
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

  el.weekly.replaceChildren();
  for (const w of rep.weeks) {
    const tr = make('tr');
    const th = make('th', w.week_start);
    th.scope = 'row';
    th.title = `${w.week_start} to ${w.week_end}`;
    tr.append(th, make('td', w.downloads), make('td', w.new_unique_users), make('td', w.active_unique_users), make('td', w.bytes_sent));
    el.weekly.append(tr);
  }

  objectRows(el.objects, rep.top_objects);
  objectRows(el.prefixes, rep.top_prefixes);
  text(el.objectsNote, rep.objects > rep.top_objects.length
    ? `The first ${rep.top_objects.length} of ${rep.objects} objects; top_objects.csv has them all.`
    : `${plural(rep.objects, 'object')} downloaded.`);

  el.rejects.replaceChildren();
  if (rep.rejects.length === 0) el.rejects.append(make('p', 'No line was rejected.', 'muted'));
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
  drawChart();
}

function objectRows(tbody, list) {
  tbody.replaceChildren();
  for (const o of list) {
    const tr = make('tr');
    const key = make('td', o.key_decoded, 'key');
    if (o.key !== o.key_decoded) key.title = o.key;
    tr.append(key, make('td', o.downloads), make('td', o.unique_users), make('td', o.bytes_sent));
    tbody.append(tr);
  }
}

/** Draws the chart at the canvas's size in device pixels (sharp on HiDPI screens). */
export function drawChart() {
  if (!state.analysis) return;
  const dpr = window.devicePixelRatio || 1;
  const width = Math.max(320, el.chart.parentElement.clientWidth || 800);
  const height = Math.round(Math.min(520, Math.max(260, width * 0.55)));
  el.chart.style.width = `${width}px`;
  el.chart.style.height = `${height}px`;
  el.chart.width = Math.round(width * dpr);
  el.chart.height = Math.round(height * dpr);
  try {
    state.analysis.draw(el.chart, el.showBytes.checked, dpr);
  } catch (e) {
    text(el.exportStatus, `The chart could not be drawn: ${e.message || e}`);
  }
}
