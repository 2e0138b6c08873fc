/**
 * The policy the OC puts on the console, as real Chromium enforces it, with a fixture build shaped
 * like Vite's (a module script with `crossorigin`, a stylesheet under /assets): the console's own
 * files, and its WebSocket to the OC, are allowed; inline <style>, style attributes and inline scripts, and any other host, are not; styles set
 * through the DOM (element.style, as React's style prop does) are.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserMissing, launchBrowser, type TestBrowser } from '../support/browser.js';
import { fixtureDist } from '../support/console.js';
import { createToken, startTestOc, type TestOc } from '../support/oc.js';

const INDEX = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>console fixture</title>
<script type="module" crossorigin src="/assets/app-abc123.js"></script>
<link rel="stylesheet" crossorigin href="/assets/app-abc123.css">
</head><body><div id="root"></div><script>document.body.dataset.inlineScript = 'ran';</script></body></html>
`;

// What the console does at start: read the token from the fragment, open graphql-ws with it.
const APP = `
const token = new URLSearchParams(location.hash.slice(1)).get('token');
const root = document.getElementById('root');
root.dataset.route = location.pathname;
const ws = new WebSocket(\`\${location.protocol === 'https:' ? 'wss' : 'ws'}://\${location.host}/graphql\`, 'graphql-transport-ws');
ws.onopen = () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: \`Bearer \${token}\` } }));
ws.onmessage = (m) => { root.dataset.ws = JSON.parse(m.data).type; ws.close(); };
ws.onerror = () => { root.dataset.ws = 'error'; };
const style = document.createElement('style');
style.textContent = '#root { color: red; }';
document.head.append(style);
root.setAttribute('style', 'color: red');
// What React's style prop does (CSSOM, not an attribute): allowed.
root.style.minWidth = '5px';
fetch('http://example.invalid/x').then(() => { root.dataset.foreign = 'reached'; }, () => { root.dataset.foreign = 'blocked'; });
`;

describe.skipIf(browserMissing)(`the console's policy in a browser${browserMissing ? ` (skipped: ${browserMissing})` : ''}`, () => {
  let oc: TestOc;
  let browser: TestBrowser;
  let dist: string;
  beforeAll(async () => {
    dist = fixtureDist({ 'index.html': INDEX, 'assets/app-abc123.js': APP, 'assets/app-abc123.css': '#root { font-family: system-ui; min-height: 10px; }\n' });
    [oc, browser] = await Promise.all([startTestOc({}, { consoleDir: dist }), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await oc?.stop();
    rmSync(dist, { recursive: true, force: true });
  });

  it("runs the console's files and its WebSocket to the OC, from a deep link, and blocks inline code and other hosts", async () => {
    const { token } = await createToken(oc.url, 'VIEWER');
    const { page, requests } = await browser.newPage();
    const violations: string[] = [];
    await page.exposeFunction('reportViolation', (v: string) => violations.push(v));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => (window as any).reportViolation(`${e.violatedDirective} ${e.blockedURI}`));
    });

    await page.goto(`${oc.url}/clusters/as-1#token=${token}`);
    const root = page.locator('#root');
    await page.waitForFunction(() => {
      const d = document.getElementById('root')?.dataset;
      return d?.ws && d.foreign;
    });
    expect(await root.getAttribute('data-route')).toBe('/clusters/as-1');
    expect(await root.getAttribute('data-ws')).toBe('connection_ack');
    expect(await root.getAttribute('data-foreign')).toBe('blocked');
    expect(await page.evaluate(() => document.body.dataset.inlineScript)).toBeUndefined();
    expect(await root.evaluate((e) => getComputedStyle(e).color)).not.toBe('rgb(255, 0, 0)');
    expect(await root.evaluate((e) => getComputedStyle(e).minHeight)).toBe('10px'); // its stylesheet applies
    expect(await root.evaluate((e) => getComputedStyle(e).minWidth)).toBe('5px'); // and styles set through the DOM (React's style prop)
    expect(violations.map((v) => v.split(' ')[0]).sort()).toEqual(['connect-src', 'script-src-elem', 'style-src-attr', 'style-src-elem']);
    expect(violations.find((v) => v.startsWith('connect-src'))).toContain('example.invalid');
    expect(requests.filter((u) => !u.startsWith(oc.url) && !u.startsWith(oc.url.replace(/^http/, 'ws')))).toEqual([]);
  }, 60_000);
});
