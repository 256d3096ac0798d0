// harness.mjs - what every browser test shares: headless chromium as
// Debian ships it, a tally of checks, and the exit status from it.
import { chromium } from 'playwright-core';

let passed = 0, failed = 0;

// Counts one check; prints it when it fails (or always, with verbose).
export function check(ok, what, verbose = false) {
  if (ok) passed++; else failed++;
  if (!ok || verbose) console.log(`${ok ? 'ok' : 'FAIL'}: ${what}`);
}

export function launch() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
           '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
}

// Prints the tally and exits 1 if a check failed.
export function finish() {
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}
