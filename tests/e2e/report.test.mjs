// The usage report in headless Chromium: for a delivery spread over months, each
// period's table equals the CLI's CSV for that period; the dataset table equals
// downloads_per_dataset.csv; choosing a dataset shows its months from
// downloads_per_dataset_per_month.csv; dataset names from a mapping change the datasets
// as --datasets does; the method paragraph names the settings in force and follows a
// change; printing gives at most three pages (the totals and the period table, the
// datasets, the map and the countries) holding the totals, the map and the method; the SVG
// is valid SVG with the title's totals; rounded for publication, the tables and files
// equal the CLI's with --publication-rounding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import {
  useBrowser, openPage, waitDone, runCli, downloadBytes, assertPrivate, csvRows, periodTable, datasetTable, delivery,
  countryTable, countryRows, checkGeography, networkTable, networkRows, mapColoured, counterTable,
} from './support.mjs';

const env = useBrowser('s3logdrop-report-');

async function choose(page, testid, value) {
  await page.selectOption(`[data-testid=${testid}]`, value);
}

test('each period table, the datasets and a chosen dataset equal the CLI files', async () => {
  const d = delivery(env.work);
  const out = path.join(env.work, 'cli');
  const cli = runCli([d], out);
  assert.ok(cli.periods.month.length >= 3, `the delivery spans months: ${cli.periods.month.length}`);
  const { page, context, requests, loadedAt, errors } = await openPage(env.browser, env.server.url);
  await page.setInputFiles('[data-testid=folder-input]', d);
  const shown = await waitDone(page);
  assert.equal(shown.downloads, cli.downloads);
  assert.equal(shown.datasets, cli.datasets.length);
  // The headline numbers are for people; their raw value is beside.
  const downloadsText = await page.textContent('[data-testid=summary] [data-metric=downloads]');
  assert.equal(downloadsText, cli.downloads.toLocaleString('en-US'));
  assert.match(await page.textContent('[data-testid=summary] [data-metric=bytes_sent]'), /^\d+(\.\d)? (kB|MB|GB|TB)$/);
  for (const p of ['day', 'week', 'month', 'quarter', 'year']) {
    await choose(page, 'period', p);
    assert.deepEqual(await periodTable(page), csvRows(path.join(out, `downloads_per_${p}.csv`)), `${p} table`);
  }
  // The dataset table: its first rows equal downloads_per_dataset.csv's.
  const datasets = await datasetTable(page);
  const want = csvRows(path.join(out, 'downloads_per_dataset.csv'));
  assert.ok(datasets.length > 3);
  assert.deepEqual(datasets, want.slice(0, datasets.length), 'dataset table');
  // The countries equal downloads_by_country.csv, and their number is in the headline.
  const countries = countryRows(path.join(out, 'downloads_by_country.csv'));
  assert.ok(countries.length > 5, `the delivery's addresses are in several countries: ${countries.length}`);
  assert.deepEqual(await countryTable(page), countries, 'country table');
  assert.equal(await page.textContent('[data-testid=summary] [data-metric=countries]'),
    String(cli.countries.filter((c) => c.country_code).length));
  assert.match(await page.textContent('[data-testid=countries-note]'), /no address is sent anywhere/);
  assert.match(await page.textContent('[data-testid=countries-source]'), new RegExp(`CC BY 4\\.0.*data of ${cli.country_data.date}`));
  const csvCountries = await downloadBytes(page, 'downloads_by_country.csv');
  assert.equal(csvCountries.bytes.toString(), fs.readFileSync(path.join(out, 'downloads_by_country.csv'), 'utf8'));
  // The networks, the cloud share, the map, and a dataset's month.
  await checkGeography(page, (id, v) => choose(page, id, v), out, cli);
  const csvNetworks = await downloadBytes(page, 'downloads_by_network.csv');
  assert.equal(csvNetworks.bytes.toString(), fs.readFileSync(path.join(out, 'downloads_by_network.csv'), 'utf8'));
  const png = await downloadBytes(page, 'world_map.png');
  assert.equal(png.bytes.subarray(0, 8).toString('hex'), '89504e470d0a1a0a');
  const svgMap = (await downloadBytes(page, 'world_map.svg')).bytes.toString();
  assert.match(svgMap, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(svgMap, new RegExp(`in ${cli.countries.filter((c) => c.country_code).length} countries`));
  // Choosing a dataset shows its months, and its countries, which add up to its row of
  // downloads_per_dataset.csv (a user is in one country).
  await choose(page, 'period', 'month');
  const name = want[0][0];
  await choose(page, 'dataset', name);
  const months = csvRows(path.join(out, 'downloads_per_dataset_per_month.csv'))
    .filter((r) => r[0] === name).map((r) => r.slice(1));
  assert.deepEqual(await periodTable(page), months, `months of ${name}`);
  const mine = await countryTable(page);
  assert.notDeepEqual(mine, countries);
  const sum = (i) => String(mine.reduce((n, r) => n + Number(r[i]), 0));
  assert.deepEqual([sum(1), sum(2), sum(3)], [want[0][2], want[0][3], want[0][4]], `countries of ${name}`);
  assert.match(await page.textContent('#period-note'), new RegExp(`^${name.replace(/[/.]/g, '\\$&')}: downloads per month`));
  assertPrivate(requests, loadedAt, env.server.url);
  // The chosen period is remembered.
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]');
  assert.equal(await page.inputValue('[data-testid=period]'), 'month');
  assert.deepEqual(errors, []);
  await context.close();
});

test('dataset names from a mapping, the method paragraph, print and SVG', async () => {
  const d = delivery(env.work);
  const mapping = path.join(env.work, 'datasets.csv');
  fs.writeFileSync(mapping, 'prefix,name,doi\nzarr/,Zarr stores,10.48324/dandi.000026\ndataset00,"First ten, early",\n');
  const out = path.join(env.work, 'cli-mapped');
  runCli([d], out, ['--datasets', mapping]);
  const { page, context, errors } = await openPage(env.browser, env.server.url);
  await page.setInputFiles('[data-testid=folder-input]', d);
  await waitDone(page);
  const before = await page.textContent('[data-testid=methods]');
  assert.match(before, /first 2 folders/);
  assert.match(before, /"bot" or "crawl"/);
  // The mapping, read from a file: the datasets follow, as the CLI's with --datasets.
  await page.setInputFiles('[data-testid=datasets-file]', mapping);
  await page.waitForFunction(() => document.querySelector('[data-testid=dataset-table] tr[data-dataset="Zarr stores"]'));
  await waitDone(page);
  const shown = await page.$$eval('[data-testid=dataset-table] tbody tr', (trs) => trs.map((tr) => [tr.dataset.dataset,
    tr.querySelector('[data-col=downloads]').dataset.value]));
  const names = shown.map((r) => r[0]);
  for (const n of ['Zarr stores', 'First ten, early', 'other']) assert.ok(names.includes(n), `${n} in ${names}`);
  assert.match(await page.textContent('[data-testid=dataset-table]'), /doi:10\.48324\/dandi\.000026/);
  const csv = await downloadBytes(page, 'downloads_per_dataset.csv');
  assert.equal(csv.bytes.toString(), fs.readFileSync(path.join(out, 'downloads_per_dataset.csv'), 'utf8'));
  // The method names the mapping and the robot rule in force, and follows a change.
  assert.match(await page.textContent('[data-testid=methods]'), /named by a list of 2 key prefixes/);
  await page.selectOption('select[name=bots]', 'counter');
  await page.waitForFunction(() => /COUNTER robots list/.test(document.querySelector('[data-testid=methods]').textContent));
  await waitDone(page);
  const methods = await page.textContent('[data-testid=methods]');
  const total = await page.$eval('[data-testid=summary] [data-metric=downloads]', (e) => e.textContent);
  // Print: at most three pages, with the totals, the map and the method.
  const pdf = path.join(env.work, 'report.pdf');
  await page.emulateMedia({ media: 'print' });
  await page.pdf({ path: pdf, format: 'A4' });
  await page.emulateMedia({ media: 'screen' });
  const bytes = fs.readFileSync(pdf);
  const pages = (bytes.toString('latin1').match(/\/Type\s*\/Page[^s]/g) || []).length;
  assert.ok(pages >= 1 && pages <= 3, `${pages} pages`);
  // Its text, as a PDF reader extracts it (poppler's pdftotext): the totals and the method.
  const text = execFileSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
  assert.ok(text.includes(total), `the total ${total} is printed`);
  assert.ok(text.includes(methods.replace(/\s+/g, ' ').slice(0, 60)), 'the method is printed');
  assert.ok(!text.includes('Try with sample logs'), 'none of the page controls');
  assert.ok(text.includes('came from cloud and hosting networks'), 'the share from cloud machines is printed');
  // The SVG: valid, vector, with the title's totals.
  const svg = (await downloadBytes(page, 'downloads_over_time.svg')).bytes.toString();
  assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  const parsed = await page.evaluate((t) => {
    const doc = new DOMParser().parseFromString(t, 'image/svg+xml');
    return { error: !!doc.querySelector('parsererror'), text: doc.documentElement.textContent };
  }, svg);
  assert.equal(parsed.error, false, 'the SVG parses as XML');
  assert.ok(parsed.text.includes(`${total} downloads`), 'the title has the total');
  const png = (await downloadBytes(page, 'downloads_over_time.png')).bytes;
  assert.equal(png.readUInt32BE(16), 1600, 'the PNG is twice the layout');
  assert.deepEqual(errors, []);
  await context.close();
});

test('rounded for publication: the tables, the files and the method as the CLI writes them with --publication-rounding', async () => {
  const d = delivery(env.work);
  const out = path.join(env.work, 'cli-public');
  const cli = runCli([d], out, ['--publication-rounding', '--period', 'month']);
  const hidden = csvRows(path.join(out, 'downloads_per_dataset.csv')).filter((r) => r[2] === '<10');
  assert.ok(hidden.length > 0, 'some datasets have fewer than 10 downloads');
  const { page, context, errors } = await openPage(env.browser, env.server.url);
  await page.setInputFiles('[data-testid=folder-input]', d);
  await waitDone(page);
  await page.check('[data-testid=publication]');
  await page.waitForFunction(() => /rounded to the nearest 10/.test(document.querySelector('[data-testid=methods]').textContent));
  const users = await page.$eval('[data-testid=summary] [data-metric=unique_users]', (e) => [e.textContent, e.dataset.value]);
  assert.equal(users[1], String(Math.round(cli.unique_users / 10) * 10), 'the total of users, rounded');
  for (const p of ['week', 'month']) {
    await choose(page, 'period', p);
    assert.deepEqual(await periodTable(page), csvRows(path.join(out, `downloads_per_${p}.csv`)), `${p} table`);
  }
  const want = csvRows(path.join(out, 'downloads_per_dataset.csv'));
  const shown = await datasetTable(page);
  assert.deepEqual(shown, want.slice(0, shown.length), 'dataset table');
  assert.match(await page.textContent('[data-testid=dataset-table]'), /< 10/, 'hidden counts read "< 10"');
  for (const name of ['downloads_per_dataset.csv', 'downloads_per_dataset_per_month.csv', 'top_objects.csv', 'methods.txt']) {
    const got = await downloadBytes(page, name);
    assert.ok(got.bytes.equals(fs.readFileSync(path.join(out, name))), `${name} equals the CLI's`);
  }
  // summary.json stays exact; the choice is remembered.
  assert.equal(JSON.parse((await downloadBytes(page, 'summary.json')).bytes).unique_users, cli.unique_users);
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]');
  assert.equal(await page.isChecked('[data-testid=publication]'), true);
  assert.deepEqual(errors, []);
  await context.close();
});

test('on a phone-width screen nothing is wider than the screen: wide tables scroll in their own box', async () => {
  const { page, context } = await openPage(env.browser, env.server.url);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.click('[data-testid=sample-button]');
  await waitDone(page);
  // Every section open, the settings too: all of it must fit.
  await page.evaluate(() => { for (const d of document.querySelectorAll('details')) d.open = true; });
  const wide = await page.evaluate(() => {
    const out = [];
    for (const e of document.querySelectorAll('body *')) {
      const r = e.getBoundingClientRect();
      if (r.width === 0 || r.right <= window.innerWidth + 1) continue;
      // Inside a box that scrolls sideways (a table's), it is that box's to show.
      let p = e.parentElement;
      while (p && !['auto', 'scroll', 'hidden'].includes(getComputedStyle(p).overflowX)) p = p.parentElement;
      if (!p) out.push(`${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''} reaches ${Math.round(r.right)} px`);
    }
    return { page: document.documentElement.scrollWidth, out };
  });
  assert.deepEqual(wide.out, [], 'elements wider than a 390 px screen');
  assert.ok(wide.page <= 390, `the page is ${wide.page} px wide`);
  await context.close();
});

test('leaving out cloud and hosting networks counts as --exclude-cloud does', async () => {
  const d = delivery(env.work);
  const out = path.join(env.work, 'cli-no-cloud');
  const cli = runCli([d], out, ['--exclude-cloud']);
  assert.ok(cli.removed.cloud > 0, 'the delivery has downloads from cloud networks');
  const { page, context, requests, loadedAt, errors } = await openPage(env.browser, env.server.url);
  await page.setInputFiles('[data-testid=folder-input]', d);
  const before = await waitDone(page);
  assert.equal(before.downloads, cli.downloads + cli.removed.cloud);
  await page.check('[data-testid=exclude-cloud]');
  await page.waitForFunction(() => /from cloud and hosting networks \(/.test(document.querySelector('[data-testid=methods]').textContent));
  const after = await waitDone(page);
  assert.equal(after.downloads, cli.downloads);
  assert.equal(after.unique_users, cli.unique_users);
  assert.deepEqual(await networkTable(page), networkRows(path.join(out, 'downloads_by_network.csv')));
  assert.ok((await networkTable(page)).every((r) => r[1] === ''), 'no cloud network left');
  assert.match(await page.textContent('[data-testid=cloud-note]'), new RegExp(`${cli.removed.cloud.toLocaleString('en-US')} in all the logs were left out`));
  const methods = await downloadBytes(page, 'methods.txt');
  assert.equal(methods.bytes.toString(), fs.readFileSync(path.join(out, 'methods.txt'), 'utf8'));
  assert.ok(await mapColoured(page) > 2000);
  assertPrivate(requests, loadedAt, env.server.url);
  // The setting is remembered with the others.
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]');
  assert.equal(await page.isChecked('[data-testid=exclude-cloud]'), true);
  assert.deepEqual(errors, []);
  await context.close();
});

test('COUNTER mode: the table and both files equal the CLI\'s with --counter', async () => {
  const d = delivery(env.work);
  const mapping = path.join(env.work, 'counter-datasets.csv');
  fs.writeFileSync(mapping, 'dataset000/,First dataset,10.1234/first\ndataset001/,Second dataset,10.1234/second\n');
  const out = path.join(env.work, 'cli-counter');
  const cli = runCli([d], out, ['--counter', '--datasets', mapping, '--counter-platform', 'Lab archive',
    '--counter-publisher', 'The Lab', '--counter-publisher-id', 'lab.archive']);
  assert.ok(cli.counter.rows.length > 4, 'the delivery has COUNTER rows');
  assert.ok(cli.counter.rows.some((r) => r.access === 'Machine'), 'machine access among them');
  const { page, context, requests, loadedAt, errors } = await openPage(env.browser, env.server.url);
  await page.setInputFiles('[data-testid=folder-input]', d);
  await waitDone(page);
  assert.equal(await page.isHidden('[data-testid=counter]'), true, 'no COUNTER table until it is asked for');
  await page.evaluate(() => { document.getElementById('method').open = true; });
  await page.check('[data-testid=counter-setting]');
  await page.waitForSelector('[data-testid=counter]:not([hidden])');
  await page.setInputFiles('[data-testid=datasets-file]', mapping);
  await page.waitForFunction(() => document.querySelector('[data-testid=counter-table] tr[data-doi="10.1234/first"]'));
  await waitDone(page);
  assert.deepEqual(await counterTable(page), csvRows(path.join(out, 'counter_metrics.csv')));
  assert.equal(await page.isVisible('[data-testid=counter-method]'), true);
  const csv = await downloadBytes(page, 'counter_metrics.csv');
  assert.equal(csv.bytes.toString(), fs.readFileSync(path.join(out, 'counter_metrics.csv'), 'utf8'));
  await page.click('#dsr-info summary');
  await page.fill('[data-testid=dsr-platform]', 'Lab archive');
  await page.fill('[data-testid=dsr-publisher]', 'The Lab');
  await page.fill('[data-testid=dsr-publisher-id]', 'lab.archive');
  const json = JSON.parse((await downloadBytes(page, 'counter_report.json')).bytes.toString());
  const cliJson = JSON.parse(fs.readFileSync(path.join(out, 'counter_report.json'), 'utf8'));
  // The day it was made may differ across midnight; everything else is the CLI's.
  delete json['report-header'].created;
  delete cliJson['report-header'].created;
  assert.deepEqual(json, cliJson);
  assert.deepEqual(json['report-datasets'].map((x) => x['dataset-id'][0].value), ['10.1234/first', '10.1234/second']);
  assertPrivate(requests, loadedAt, env.server.url);
  // The publisher fields are remembered in this browser.
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]');
  assert.equal(await page.inputValue('[data-testid=dsr-publisher-id]'), 'lab.archive');
  assert.deepEqual(errors, []);
  await context.close();
});
