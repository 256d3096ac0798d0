// pgw.test.mjs - opens the sample application in headless chromium the way
// a person would: the index, then every page through its link; checks the
// tables, the elapsed times and the cancellation demo; saves a screenshot
// of each page. Usage: node pgw.test.mjs FRONT_URL SCREENSHOT_DIR
import { check, finish, launch } from './harness.mjs';
import { mkdirSync } from 'node:fs';

const [front, shots] = process.argv.slice(2);
mkdirSync(shots, { recursive: true });

const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const elapsed = async () => parseInt((await page.textContent('#elapsed')) || '-1', 10);

  let resp = await page.goto(`${front}/`);
  check(resp.status() === 200, 'index answers 200');
  const links = await page.$$eval('ul li a', as => as.map(a => a.getAttribute('href')));
  check(links.length === 6, `index lists 6 pages (got ${links.length})`);
  await page.screenshot({ path: `${shots}/index.png`, fullPage: true });

  const expect = {
    '/gizmos': { tables: 1, min: 450, max: 1400 },
    '/gizmos-async': { tables: 1, min: 450, max: 1400 },
    '/pwg': { tables: 3, min: 1450, max: 3000 },
    '/pwg-async': { tables: 3, min: 450, max: 1000 },
    '/pwg-callback': { tables: 3, min: 450, max: 1000 },
  };
  for (const href of links) {
    await page.goto(`${front}/`);
    const [nav] = await Promise.all([page.waitForNavigation(), page.click(`ul li a[href="${href}"]`)]);
    const name = href.replace(/^\//, '') || 'index';
    await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
    const status = nav.status();
    const tables = await page.$$eval('table', t => t.length);
    const rows = await page.$$eval('tbody tr', r => r.length);
    const ms = await elapsed();
    const e = expect[href];
    if (e) {
      check(status === 200, `${href}: 200 (got ${status})`);
      check(tables === e.tables, `${href}: ${e.tables} tables (got ${tables})`);
      check(rows === 10 * e.tables, `${href}: ${10 * e.tables} rows (got ${rows})`);
      check(ms >= e.min && ms <= e.max, `${href}: elapsed ${ms} ms within ${e.min}..${e.max}`);
      const cells = await page.$$eval('tbody td', t => t.map(c => c.textContent));
      check(cells.every(c => c.length > 0), `${href}: no empty cells`);
    } else {
      // the cancellation demo: the table within 150 ms, or the timeout page
      const text = await page.textContent('body');
      if (status === 200)
        check(tables === 1 && ms < 150, `${href}: table within 150 ms (${ms} ms)`);
      else
        check(status === 504 && text.includes('Timeout Error'), `${href}: 504 timeout page`);
    }
    console.log(`${href}: ${status}, ${tables} tables, ${rows} rows, elapsed ${ms} ms`);
  }
  // both outcomes of the demo, forced with ?delay=
  resp = await page.goto(`${front}/gizmos-cancel-async?delay=10`);
  check(resp.status() === 200 && (await page.$$eval('table', t => t.length)) === 1,
        'cancel demo with a fast backend shows the table');
  resp = await page.goto(`${front}/gizmos-cancel-async?delay=800`);
  await page.screenshot({ path: `${shots}/timeout-page.png`, fullPage: true });
  check(resp.status() === 504 && (await page.textContent('h1')).includes('Timeout Error'),
        'cancel demo with a slow backend shows the timeout page');
} finally {
  await browser.close();
}
finish();
