// Screenshots the real page after "Try with sample logs" into docs/screenshot.png.
// Usage (after trunk build --release): node scripts/screenshot.mjs
import { serve, launch, openPage, waitDone, root } from '../tests/e2e/support.mjs';
import path from 'node:path';

const server = await serve();
const browser = await launch();
const { page } = await openPage(browser, server.url);
await page.click('[data-testid=sample-button]');
await waitDone(page);
await page.evaluate(() => { for (const d of document.querySelectorAll('.reject')) d.open = true; });
const box = await page.evaluate(() => document.querySelector('#downloads').getBoundingClientRect().bottom + window.scrollY + 60);
await page.screenshot({ path: path.join(root, 'docs', 'screenshot.png'), fullPage: true, clip: { x: 0, y: 0, width: 1280, height: Math.round(box) } });
await browser.close();
await server.close();
console.log('docs/screenshot.png');
