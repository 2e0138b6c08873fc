/**
 * GraphiQL in real Chromium, as an operator uses it: it loads from the OC alone (no CDN: it works
 * without internet), and a subscription run with the token in its Headers pane receives events
 * over the WebSocket (the pane's headers are the socket's connectionParams).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserMissing, launchBrowser, type TestBrowser } from '../support/browser.js';
import { metricValue } from '../support/client.js';
import { register } from '../support/fleet.js';
import { createToken, startTestOc, type TestOc } from '../support/oc.js';
import { waitFor } from '../support/wait.js';

const SUBSCRIPTION = 'subscription WatchTopology { topologyChanged { change cluster { name kind } } }';

describe.skipIf(browserMissing)(`GraphiQL in a browser${browserMissing ? ` (skipped: ${browserMissing})` : ''}`, () => {
  let oc: TestOc;
  let browser: TestBrowser;
  beforeAll(async () => {
    [oc, browser] = await Promise.all([startTestOc(), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await oc?.stop();
  });

  it('loads from the OC alone, and a subscription with the token in the Headers pane receives an event', async () => {
    const { token } = await createToken(oc.url, 'OPERATOR');
    const { token: enrollment } = await createToken(oc.url, 'MANAGER');
    const { page, context, requests } = await browser.newPage();
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: oc.url });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) problems.push(m.text());
    });

    // The editor's text is kept in ?query= by GraphiQL: a reload of such a URL is a page too, not a 401.
    await page.goto(`${oc.url}/graphql?query=${encodeURIComponent(SUBSCRIPTION)}`);
    const headersPane = page.locator('section.graphiql-editor-tool .graphiql-editor:not(.hidden) .monaco-editor');
    const response = page.locator('.graphiql-response');
    const responseText = async () => ((await response.innerText()) ?? '').replace(/\s+/g, ' ');
    await headersPane.waitFor({ timeout: 30_000 });
    await page.locator('.graphiql-query-editor .monaco-editor').getByText('WatchTopology').waitFor();

    // Without a token the socket is refused, and GraphiQL says so in words.
    await page.locator('.graphiql-execute-button').click();
    await waitFor(async () => (await responseText()).includes('4401'), 'the refusal in the response pane', 20_000, 100);
    expect(await responseText()).toContain('Headers pane');

    // The token in the Headers pane, as a person pastes it.
    await headersPane.click();
    await page.evaluate((text) => navigator.clipboard.writeText(text), `{"Authorization": "Bearer ${token}"}`);
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('ControlOrMeta+V');
    const started = async () => (await metricValue(oc.url, 'oc_graphql_requests_total', { operation: 'WatchTopology', outcome: 'ok' })) ?? 0;
    await page.locator('.graphiql-execute-button').click();
    await waitFor(async () => (await started()) > 0, 'the subscription to be live on the OC', 20_000, 100);

    await register(oc.url, enrollment, { clusterName: 'graphiql-1', kind: 'ESB' });
    await waitFor(async () => (await responseText()).includes('graphiql-1'), 'the event in the response pane', 20_000, 100);
    // GraphiQL shows the latest event: the cluster was added, then its manager connected.
    expect(await responseText()).toMatch(/"change": "(CLUSTER_ADDED|MANAGER_CONNECTED)".*"name": "graphiql-1".*"kind": "ESB"/);
    await browser.screenshot(page, 'graphiql-subscription');
    // The token lasts as long as the browser tab (sessionStorage), never in localStorage.
    expect(await page.evaluate(() => JSON.stringify(localStorage))).not.toContain(token);
    // GraphiQL writes its tabs to storage after a debounce: wait for it.
    await waitFor(async () => (await page.evaluate(() => JSON.stringify(sessionStorage))).includes(token), 'the token in sessionStorage', 10_000, 100);
    expect(await page.evaluate(() => JSON.stringify(localStorage))).not.toContain(token);

    const origin = new URL(oc.url);
    const foreign = requests.filter((u) => {
      const url = new URL(u);
      return url.host !== origin.host || !['http:', 'ws:'].includes(url.protocol);
    });
    expect(foreign, 'requests to another host').toEqual([]);
    expect(requests.some((u) => u.startsWith(`ws://${origin.host}/graphql`))).toBe(true);
    expect(problems).toEqual([]);
  }, 120_000);
});
