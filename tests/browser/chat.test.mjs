// chat.test.mjs - the chat example (weft-chat) in headless chromium: two
// pages join, each says something through the form, and each sees both
// messages, in order, over its WebSocket; a page opened later gets the
// history. A message with markup in it shows as text. Usage:
// node chat.test.mjs CHAT_URL SCREENSHOT_DIR
import { check, finish, launch } from './harness.mjs';
import { mkdirSync } from 'node:fs';

const [chat, shots] = process.argv.slice(2);
mkdirSync(shots, { recursive: true });

const browser = await launch();
try {
  const open = async (name) => {
    const page = await (await browser.newContext()).newPage({ viewport: { width: 800, height: 600 } });
    const resp = await page.goto(`${chat}/`);
    check(resp.status() === 200, `${name}: the page answers 200`);
    await page.waitForSelector('#status.up', { timeout: 5000 });
    await page.fill('#name', name);
    return page;
  };
  const say = async (page, text) => {
    await page.fill('#text', text);
    await page.click('form button');
  };
  const lines = (page) => page.$$eval('#messages li', lis => lis.map(li =>
    `${li.querySelector('b').textContent}: ${li.querySelector('span').textContent}`));
  const waitFor = (page, n) => page.waitForFunction(
    k => document.querySelectorAll('#messages li').length >= k, n, { timeout: 5000 });

  const ann = await open('ann');
  const bob = await open('bob');
  await say(ann, 'hello bob');
  await waitFor(bob, 1);
  await say(bob, 'hi ann <b>bold?</b>');
  await waitFor(ann, 2);
  await waitFor(bob, 2);
  const a = await lines(ann), b = await lines(bob);
  console.log('ann sees:', a, '\nbob sees:', b);
  const want = ['ann: hello bob', 'bob: hi ann <b>bold?</b>'];
  check(JSON.stringify(a) === JSON.stringify(want), 'ann sees both messages in order');
  check(JSON.stringify(b) === JSON.stringify(want), 'bob sees both messages in order');
  check((await ann.$$('#messages li span b')).length === 0, 'markup in a message stays text');
  await ann.screenshot({ path: `${shots}/chat-ann.png` });
  await bob.screenshot({ path: `${shots}/chat-bob.png` });

  const cy = await open('cy');  // joins later: the history comes first
  await waitFor(cy, 2);
  check(JSON.stringify(await lines(cy)) === JSON.stringify(want), 'a late page gets the history');
} finally {
  await browser.close();
}
finish();
