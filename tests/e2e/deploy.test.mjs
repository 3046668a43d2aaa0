// The page as deployed: under a GitHub Pages sub-path (worker and wasm URLs resolved
// against the page's base URL), and offline after one visit (service worker).
// Needs `trunk build --release --public-url /s3logdrop/ --dist target/dist-subpath`
// (bash scripts/test.sh builds it).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { root, serve, launch, openPage, waitDone, runCli } from './support.mjs';

const subpathDist = path.join(root, 'target', 'dist-subpath');
let server;
let browser;

before(async () => {
  assert.ok(fs.existsSync(path.join(subpathDist, 'index.html')), `${subpathDist} is missing: run bash scripts/test.sh`);
  server = await serve(subpathDist, '/s3logdrop/');
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.close();
});

test('under /s3logdrop/ the page, its workers and its wasm load and analyse; nothing is asked of the site root', async () => {
  const { page, context, requests, errors } = await openPage(browser, server.url);
  await page.click('[data-testid=sample-button]');
  const shown = await waitDone(page);
  const cli = runCli([path.join(root, 'www', 'samples', 'sample-logs')], path.join(root, 'target', 'e2e-subpath-cli'));
  assert.equal(shown.downloads, cli.downloads);
  assert.equal(shown.unique_users, cli.unique_users);
  const outside = requests.filter((r) => r.url.startsWith('http') && !new URL(r.url).pathname.startsWith('/s3logdrop/'));
  assert.deepEqual(outside.map((r) => r.url), []);
  assert.deepEqual(errors, []);
  await context.close();
});

test('after one visit the page works offline: reload with the network off and analyse a file', async () => {
  const { page, context } = await openPage(browser, server.url);
  const controlled = await page.evaluate(async () => {
    const reg = await navigator.serviceWorker.ready;
    return Boolean(reg.active);
  });
  assert.ok(controlled, 'a service worker is active');
  await context.setOffline(true);
  const down = await page.evaluate(() => fetch(`not-cached-${Date.now()}`).then(() => false, () => true));
  assert.ok(down, 'the network is really off');
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
  await page.setInputFiles('[data-testid=file-input]', path.join(root, 'fixtures', 'own', 'edge_cases.log'));
  const shown = await waitDone(page);
  const cli = runCli([path.join(root, 'fixtures', 'own', 'edge_cases.log')], path.join(root, 'target', 'e2e-offline-cli'));
  assert.equal(shown.lines, cli.lines);
  assert.equal(shown.downloads, cli.downloads);
  await context.setOffline(false);
  await context.close();
});
