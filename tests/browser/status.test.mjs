// status.test.mjs - the live status page of the sample application in
// headless chromium: the charts render, and the figures move the way the
// seeds say while load is scripted against the front (loopback, bounded):
// sync requests fill the pool and its queue; async requests are in flight
// with no pool thread busy. Usage: node status.test.mjs FRONT_URL SCREENSHOT_DIR
import { check, finish, launch } from './harness.mjs';
import http from 'node:http';
import { mkdirSync } from 'node:fs';

const [front, shots] = process.argv.slice(2);
mkdirSync(shots, { recursive: true });

// n clients, each requesting path again as soon as it has its answer,
// until ms have passed; resolves when all are done.
function load(path, n, ms) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: n });
  const until = Date.now() + ms;
  const one = () => new Promise(resolve => {
    const go = () => {
      if (Date.now() > until) return resolve();
      http.get(`${front}${path}`, { agent }, res => { res.resume(); res.on('end', go); })
        .on('error', go);
    };
    go();
  });
  return Promise.all(Array.from({ length: n }, one)).finally(() => agent.destroy());
}
const sleep = ms => new Promise(r => setTimeout(r, ms));

const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const num = async id => parseFloat((await page.textContent(`#${id}`)) || 'NaN');
  const resp = await page.goto(`${front}/_status`);
  check(resp.status() === 200, '/_status answers 200');
  await sleep(2500); // two polls: the first rates and lines
  check((await page.$$eval('svg polyline', p => p.length)) >= 5, 'the charts are drawn');
  check(await num('v-threads') === 64, 'the pool size shows (64 workers)');
  check(await num('v-busy') === 0, 'idle: no pool thread busy');

  // Sync load: 150 clients on /gizmos (a 500 ms backend call on a worker).
  const sync = load('/gizmos', 150, 3500);
  await sleep(2200);
  const busy = await num('v-busy'), queue = await num('v-queue'), inSync = await num('v-sync');
  await page.screenshot({ path: `${shots}/status-sync-load.png`, fullPage: true });
  check(busy === 64, `sync load fills the pool (busy ${busy})`);
  check(queue > 0, `sync load queues requests (queue ${queue})`);
  check(inSync > 64, `sync requests in flight (${inSync})`);
  await sync;

  // Async load: 300 clients on /gizmos-async hold no pool thread.
  const asyncLoad = load('/gizmos-async', 300, 3500);
  await sleep(2200);
  const inAsync = await num('v-async'), busyNow = await num('v-busy');
  const rate = await num('v-rate');
  await page.screenshot({ path: `${shots}/status-async-load.png`, fullPage: true });
  check(inAsync > 100, `async requests in flight (${inAsync})`);
  check(busyNow === 0, `async load holds no pool thread (busy ${busyNow})`);
  check(rate > 100, `the answers-per-second figure moves (${rate})`);
  await asyncLoad;
  const routes = await page.$$eval('#routes tbody tr td:first-child', t => t.map(c => c.textContent));
  check(routes.includes('GET /gizmos') && routes.includes('GET /gizmos-async'),
        `the slowest-routes table lists both pages (${routes.join(', ')})`);
  const backends = await page.$$eval('#backends tbody tr', r => r.length);
  check(backends === 1, `the backends table shows the backend (${backends} rows)`);

  // The load lab on the index page: its buttons make the server load
  // itself, and the status frame beside them shows it.
  await page.goto(`${front}/`);
  const frame = () => page.frame({ url: /\/_status$/ });
  const fnum = async id => parseFloat((await frame().textContent(`#${id}`)) || 'NaN');
  await sleep(1500);
  await page.click('#lab-sync');
  await sleep(3500);
  const labBusy = await fnum('v-busy'), labQueue = await fnum('v-queue');
  await page.screenshot({ path: `${shots}/lab-sync.png`, fullPage: true });
  check((await page.textContent('#lab-state')).includes('200 clients on /gizmos'),
        'the sync button started a lab run');
  check(labBusy === 64 && labQueue > 0,
        `the lab's sync load fills the pool beside the buttons (busy ${labBusy}, queue ${labQueue})`);
  // the run stops starting requests after 10 s; the queue then drains
  for (let t = 0; t < 40 && (await fnum('v-sync')) > 0; t++) await sleep(500);
  await sleep(1500);
  await page.click('#lab-async');
  await sleep(3500);
  const labAsync = await fnum('v-async'), labBusyAsync = await fnum('v-busy');
  await page.screenshot({ path: `${shots}/lab-async.png`, fullPage: true });
  check((await page.textContent('#lab-state')).includes('200 clients on /gizmos-async'),
        'the async button started a lab run');
  check(labAsync > 100 && labBusyAsync === 0,
        `the lab's async load holds no thread (async ${labAsync}, busy ${labBusyAsync})`);
  for (let t = 0; t < 40 && (await fnum('v-async')) > 0; t++) await sleep(500);
} finally {
  await browser.close();
}
finish();
