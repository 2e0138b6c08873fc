/**
 * The operator console in real Chromium, against a real OC and the simulator's `default` fleet
 * (as-1: 4 AS workers, esb-1: 3 ESB workers) on the `fast` profile. Everything an operator does
 * goes through the page; what the OC and the fleet did is checked through the API where it matters.
 * Screenshots of every view land in test-artifacts/screenshots.
 */
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Fleet, startFleet } from '../../simulator/fleet.js';
import { loadScenario } from '../../simulator/scenario.js';
import { browserMissing, launchBrowser, type TestBrowser } from '../support/browser.js';
import { gqlOk } from '../support/client.js';
import { TERMINAL_COMMAND_STATES } from '../support/command-wait.js';
import { type ConsoleServer, ensureConsoleBuilt, serveConsole } from '../support/console.js';
import { createToken, startTestOc, type TestOc } from '../support/oc.js';
import { waitFor } from '../support/wait.js';

const LEASE_MS = 1000;
const UI_TIMEOUT = 20_000;

let oc: TestOc;
let fleet: Fleet;
let web: ConsoleServer;
let browser: TestBrowser;
let operator: string;
let viewer: string;
/** Every request any page of this file made (pages register here). */
const requests: string[] = [];

async function signedInPage(token: string, path = '/'): Promise<Page> {
  const { page, requests: r } = await browser.newPage();
  pages.push(r);
  open.push(page);
  watch(page);
  await page.goto(`${web.url}${path}#token=${encodeURIComponent(token)}`);
  await page.locator('[data-testid=who]').waitFor({ timeout: UI_TIMEOUT });
  return page;
}
const pages: string[][] = [];
/** What the browser refused under the Content-Security-Policy, and uncaught page errors. */
const refused: string[] = [];
function watch(page: Page) {
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) refused.push(m.text());
  });
  page.on('pageerror', (e) => refused.push(`page error: ${e.message}`));
}
/** Pages still open: closed after each test, passed or failed (an open page keeps its socket). */
const open: Page[] = [];

/** The command a page is showing, once it is in `state`. */
async function commandReaches(page: Page, state: string, timeout = 40_000) {
  await page.locator(`.page.command[data-command-state="${state}"]`).waitFor({ timeout });
}

/** A rolling restart of the cluster page's cluster through its dialog, with a pause between batches; ends on the command view. */
async function startRestart(page: Page, pauseBetweenBatchesMs: number) {
  await page.getByRole('button', { name: /Rolling restart/ }).click();
  const dialog = page.locator('dialog[open]');
  await dialog.locator('input[name=pauseBetweenBatchesMs]').fill(String(pauseBetweenBatchesMs));
  await dialog.getByRole('button', { name: 'Review…' }).click();
  await dialog.getByRole('button', { name: 'Start rolling restart' }).click();
  await page.locator('.page.command').waitFor({ timeout: UI_TIMEOUT });
}

async function tally(page: Page, state: string): Promise<number> {
  return Number(await page.locator(`[data-tally="${state}"] b`).textContent());
}

async function idle() {
  // Every rollout over and every worker RUNNING before the next test drives one.
  await waitFor(
    async () => {
      const d = await gqlOk(oc.url, viewer, `{ clusters(first: 10) { edges { node { name health workerCount } } } commands(first: 5) { edges { node { state } } } }`);
      const busy = d.commands.edges.some((e: any) => !TERMINAL_COMMAND_STATES.includes(e.node.state));
      return !busy && d.clusters.edges.every((e: any) => e.node.health === 'HEALTHY');
    },
    'an idle, healthy fleet',
    30_000,
    100,
  );
}

describe.skipIf(browserMissing)('the operator console', () => {
  beforeAll(async () => {
    ensureConsoleBuilt();
    oc = await startTestOc({ managerLeaseMs: LEASE_MS });
    const enrollment = await createToken(oc.url, 'MANAGER', 'sim-enrollment');
    operator = (await createToken(oc.url, 'OPERATOR', 'alice')).token;
    viewer = (await createToken(oc.url, 'VIEWER', 'victor')).token;
    fleet = startFleet({ url: oc.url, enrollmentToken: enrollment.token, scenario: await loadScenario('default'), profile: 'fast', seed: 7 });
    await fleet.ready({ timeoutMs: 20_000 });
    web = await serveConsole(oc.url);
    browser = await launchBrowser();
  }, 240_000);

  afterEach(async () => {
    for (const p of open.splice(0)) await p.close().catch(() => undefined);
  });

  afterAll(async () => {
    for (const r of pages) requests.push(...r);
    await browser?.close();
    await web?.close();
    await fleet?.stop();
    await oc?.stop();
  });

  it('signs in from the form, shows who is signed in, and signs out', async () => {
    const { page, requests: r } = await browser.newPage();
    pages.push(r);
    open.push(page);
    watch(page);
    await page.goto(web.url);
    await page.locator('#token').waitFor();
    await browser.screenshot(page, '01-sign-in');
    await page.fill('#token', 'not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('.note.error').waitFor({ timeout: UI_TIMEOUT });
    await page.fill('#token', operator);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('[data-testid=who]').waitFor({ timeout: UI_TIMEOUT });
    expect(await page.locator('[data-testid=who]').textContent()).toContain('alice');
    expect(await page.locator('[data-testid=who] .role').textContent()).toBe('OPERATOR');
    expect(await page.evaluate(() => sessionStorage.getItem('oc.token'))).toBe(operator);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.locator('#token').waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('oc.token'))).toBeNull();
    await page.close();
  });

  it('signs in from the link fragment and removes the token from the address bar at once', async () => {
    const page = await signedInPage(viewer);
    expect(page.url()).not.toContain('token');
    expect(await page.locator('[data-testid=who] .role').textContent()).toBe('VIEWER');
    await page.close();
  });

  it('lists the clusters in the fleet view, live, with the system figures', async () => {
    const page = await signedInPage(operator);
    await page.locator('.vrow[data-cluster="as-1"]').waitFor({ timeout: UI_TIMEOUT });
    await page.locator('.vrow[data-cluster="esb-1"]').waitFor({ timeout: UI_TIMEOUT });
    await page.locator('[data-testid=link][data-state=live]').waitFor({ timeout: UI_TIMEOUT });
    await waitFor(async () => (await page.locator('.vrow[data-cluster="as-1"] .cell[data-state=RUNNING]').count()) === 4, 'as-1 with 4 running cells', UI_TIMEOUT);
    expect(await page.locator('.vrow[data-cluster="esb-1"] .cell').count()).toBe(3);
    expect(await page.locator('.vrow[data-cluster="as-1"] [data-state=HEALTHY]').count()).toBe(1);
    await browser.screenshot(page, '02-fleet');
    // filters live in the URL
    await page.getByRole('combobox', { name: 'Kind' }).selectOption('ESB');
    await waitFor(async () => (await page.locator('.vrow').count()) === 1, 'one ESB row', UI_TIMEOUT);
    expect(page.url()).toContain('kind=ESB');
    await page.reload();
    await page.locator('.vrow[data-cluster="esb-1"]').waitFor({ timeout: UI_TIMEOUT });
    expect(await page.locator('.vrow[data-cluster="as-1"]').count()).toBe(0);
    await page.close();
  });

  it('goes into the AS cluster and shows its manager, workers, statistics and operations', async () => {
    const page = await signedInPage(operator);
    await page.locator('.vrow[data-cluster="as-1"] .name a').click();
    await page.locator('h1', { hasText: 'as-1' }).waitFor({ timeout: UI_TIMEOUT });
    expect(new URL(page.url()).pathname).toBe('/clusters/as-1');
    await waitFor(async () => (await page.locator('table.workers tbody tr').count()) === 4, 'four worker rows', UI_TIMEOUT);
    expect(await page.locator('[data-testid=manager-state]').textContent()).toContain('connected');
    await page.locator('.ops-list .op-name', { hasText: 'listWebApps' }).waitFor();
    await page.locator('.uplot').first().waitFor();
    await browser.screenshot(page, '03-cluster');
    await page.close();
  });

  it('starts a rolling restart from the dialog and watches it reach SUCCEEDED, worker by worker, without a reload', async () => {
    await idle();
    const page = await signedInPage(operator, '/clusters/as-1');
    await page.getByRole('button', { name: /Rolling restart/ }).click();
    const dialog = page.locator('dialog[open]');
    await dialog.waitFor();
    // the plan before it is sent: one worker a batch, in memberId order
    await dialog.locator('input[name=pauseBetweenBatchesMs]').fill('400');
    expect(await dialog.locator('[data-testid=plan] .plan-batch').allInnerTexts()).toEqual([
      expect.stringContaining('as-1-w01'),
      expect.stringContaining('as-1-w02'),
      expect.stringContaining('as-1-w03'),
      expect.stringContaining('as-1-w04'),
    ]);
    await dialog.locator('input[name=batchSize]').fill('2');
    expect(await dialog.locator('[data-testid=plan] .plan-batch').count()).toBe(2);
    await dialog.locator('input[name=batchSize]').fill('1');
    await browser.screenshot(page, '04-restart-dialog');
    await dialog.getByRole('button', { name: 'Review…' }).click();
    await dialog.locator('[data-testid=confirm]').waitFor();
    expect(await dialog.locator('[data-testid=confirm]').textContent()).toContain('4 batches');
    await browser.screenshot(page, '05-restart-confirm');
    const navigations: string[] = [];
    page.on('framenavigated', (f) => navigations.push(f.url()));
    await dialog.getByRole('button', { name: 'Start rolling restart' }).click();
    await page.locator('.page.command').waitFor({ timeout: UI_TIMEOUT });
    expect(new URL(page.url()).pathname).toMatch(/^\/commands\//);
    // Sample the succeeded count as it grows: it must pass through the workers one by one.
    const seen = new Set<number>();
    await waitFor(
      async () => {
        seen.add(await tally(page, 'SUCCEEDED'));
        if (seen.has(2) && !seen.has(4)) await browser.screenshot(page, '06-command-running');
        return (await page.locator('.page.command[data-command-state="SUCCEEDED"]').count()) === 1;
      },
      'the command view to show SUCCEEDED',
      40_000,
      50,
    );
    expect(await tally(page, 'SUCCEEDED')).toBe(4);
    expect([...seen].filter((n) => n > 0 && n < 4).length).toBeGreaterThanOrEqual(2);
    expect(await page.locator('.step[data-state=SUCCEEDED]').count()).toBe(4);
    await browser.screenshot(page, '07-command-succeeded');
    // no full reload happened (pushState only: no document navigation after the first)
    expect(navigations.filter((u) => !u.includes('/commands/'))).toEqual([]);
    await page.close();
  });

  it('pauses and resumes a rollout from the command view', async () => {
    await idle();
    const page = await signedInPage(operator, '/clusters/as-1');
    await startRestart(page, 1500);
    await page.getByRole('button', { name: /Pause/ }).click();
    await commandReaches(page, 'PAUSED');
    await page.locator('[data-testid=waiting]').waitFor();
    expect(await page.locator('[data-testid=waiting]').textContent()).toContain('Paused');
    await browser.screenshot(page, '08-command-paused');
    await page.getByRole('button', { name: /Resume/ }).click();
    await commandReaches(page, 'SUCCEEDED', 40_000);
    expect(await tally(page, 'SUCCEEDED')).toBe(4);
    await page.close();
  });

  it('shows a rollout held for its canary, and promotes it after asking for confirmation', async () => {
    await idle();
    const asId = (await gqlOk(oc.url, viewer, `{ cluster(name: "as-1") { id } }`)).cluster.id;
    const started = await gqlOk(oc.url, operator, `mutation($i: RestartClusterInput!) { restartCluster(input: $i) { ... on CommandPayload { command { id } } } }`, {
      i: { clusterId: asId, strategy: { canary: 1, batchSize: 3 } },
    });
    const page = await signedInPage(operator, `/commands/${encodeURIComponent(started.restartCluster.command.id)}`);
    await commandReaches(page, 'PAUSED');
    await page.locator('[data-testid=waiting]').waitFor();
    expect(await page.locator('[data-testid=waiting]').textContent()).toContain('Waiting for the canary to be promoted');
    expect(await page.getByRole('button', { name: /Resume/ }).count()).toBe(0);
    await page.getByRole('button', { name: /Promote/ }).click();
    const confirm = page.locator('dialog[open]');
    await confirm.getByRole('button', { name: 'Promote the canary' }).waitFor();
    await browser.screenshot(page, '09-promote-confirm');
    await confirm.getByRole('button', { name: 'Promote the canary' }).click();
    await commandReaches(page, 'SUCCEEDED', 40_000);
    expect(await tally(page, 'SUCCEEDED')).toBe(4);
    await page.getByText('canary promoted by alice').waitFor();
    await page.close();
  });

  it('cancels a rollout after asking for confirmation', async () => {
    await idle();
    const page = await signedInPage(operator, '/clusters/as-1');
    await startRestart(page, 1500);
    await page.getByRole('button', { name: /Cancel/ }).click();
    const confirm = page.locator('dialog[open]');
    await confirm.getByRole('button', { name: 'Cancel the command' }).waitFor();
    await browser.screenshot(page, '09-cancel-confirm');
    await confirm.getByRole('button', { name: 'Cancel the command' }).click();
    await commandReaches(page, 'CANCELLED');
    expect(await tally(page, 'SKIPPED')).toBeGreaterThan(0);
    await page.close();
  });

  it('says why a rollout waits while its manager is unreachable, and carries on when it is back', async () => {
    await idle();
    const page = await signedInPage(operator, '/clusters/as-1');
    await startRestart(page, 1000);
    fleet.inject({ type: 'manager-cutoff', cluster: 'as-1', durationMs: LEASE_MS * 5 });
    await page.locator('[data-testid=waiting]', { hasText: 'manager is unreachable' }).waitFor({ timeout: UI_TIMEOUT });
    await browser.screenshot(page, '10-command-waiting-for-manager');
    await commandReaches(page, 'SUCCEEDED', 40_000);
    expect(await tally(page, 'SUCCEEDED')).toBe(4);
    expect(await page.locator('[data-testid=waiting]').count()).toBe(0);
    await page.close();
  });

  it('deploys an artifact from the dialog and shows the new version across the cluster', async () => {
    await idle();
    const page = await signedInPage(operator, '/clusters/esb-1');
    await page.getByRole('button', { name: /Deploy artifact/ }).click();
    const dialog = page.locator('dialog[open]');
    expect(await dialog.locator('input[name="artifact.name"]').inputValue()).toBe('integration-flows.car');
    await dialog.locator('input[name="artifact.version"]').fill('1.1.0');
    await dialog.locator('input[name="artifact.url"]').fill('https://repo.example/integration-flows-1.1.0.car');
    await dialog.locator('input[name="artifact.sha256"]').fill('ab'.repeat(32));
    await dialog.locator('input[name=batchSize]').fill('2');
    await browser.screenshot(page, '18-deploy-dialog');
    await dialog.getByRole('button', { name: 'Review…' }).click();
    expect(await dialog.locator('[data-testid=confirm]').textContent()).toContain('integration-flows.car 1.1.0');
    await dialog.getByRole('button', { name: 'Start deploy' }).click();
    await commandReaches(page, 'SUCCEEDED');
    await page.locator('.crumbs a', { hasText: 'esb-1' }).click();
    await page.locator('.artifacts .chip', { hasText: '1.1.0' }).waitFor({ timeout: UI_TIMEOUT });
    await page.close();
  });

  it('patches the system from its form, and the patch shows each cluster it rolls', async () => {
    await idle();
    const page = await signedInPage(operator, '/patch');
    await page.locator('input[name="artifact.name"]').fill('storefront.war');
    await page.locator('input[name="artifact.version"]').fill('1.2.0');
    await page.locator('input[name="artifact.url"]').fill('https://repo.example/storefront-1.2.0.war');
    await page.locator('input[name="artifact.sha256"]').fill('cd'.repeat(32));
    await page.locator('label.check', { hasText: 'AS' }).locator('input').check();
    await page.getByRole('button', { name: 'Review…' }).click();
    await page.getByRole('button', { name: 'Start the patch' }).click();
    await page.locator('.page.command').waitFor({ timeout: UI_TIMEOUT });
    await commandReaches(page, 'SUCCEEDED');
    expect(await page.locator('tr[data-child]').allInnerTexts()).toEqual([expect.stringContaining('as-1')]);
    await browser.screenshot(page, '19-patch-succeeded');
    await page.close();
  });

  it('rolls a finished deploy back from the command view after asking, and links the two commands', async () => {
    await idle();
    const clusterId = (await gqlOk(oc.url, viewer, `{ cluster(name: "esb-1") { id } }`)).cluster.id;
    const deploy = async (version: string) => {
      const d = await gqlOk(oc.url, operator, `mutation($i: DeployArtifactInput!) { deployArtifact(input: $i) { ... on CommandPayload { command { id } } } }`, {
        i: { clusterId, artifact: { name: 'console-rollback.jar', version, url: `https://repo.example/crb-${version}.jar`, sha256: 'ef'.repeat(32) }, strategy: { batchSize: 3 } },
      });
      const id = d.deployArtifact.command.id as string;
      await waitFor(async () => (await gqlOk(oc.url, viewer, `query($id: ID!) { command(id: $id) { state } }`, { id })).command.state === 'SUCCEEDED', `deploy ${version}`, 30_000);
      return id;
    };
    await deploy('1.0.0');
    const second = await deploy('2.0.0');
    const page = await signedInPage(operator, `/commands/${encodeURIComponent(second)}`);
    await commandReaches(page, 'SUCCEEDED');
    await page.getByRole('button', { name: /Rollback/ }).click();
    const confirm = page.locator('dialog[open]');
    await confirm.getByRole('button', { name: 'Roll back' }).waitFor();
    await browser.screenshot(page, '19b-rollback-confirm');
    await confirm.getByRole('button', { name: 'Roll back' }).click();
    // The new command's view: it says what it rolls back, and ends with every worker on 1.0.0 again.
    await page.locator('[data-testid=rollback-links]', { hasText: 'rolls back' }).waitFor({ timeout: UI_TIMEOUT });
    await commandReaches(page, 'SUCCEEDED');
    expect(await tally(page, 'SUCCEEDED')).toBe(3);
    await page.locator('[data-testid=rollback-links] a').click();
    await page.locator('[data-testid=rollback-links]', { hasText: 'rolled back by' }).waitFor({ timeout: UI_TIMEOUT });
    for (const m of fleet.manager('esb-1').workers.values()) expect(m.artifacts.find((x) => x.name === 'console-rollback.jar')?.version).toBe('1.0.0');
    await page.close();
  });

  it('shows a VIEWER no action', async () => {
    await idle();
    const page = await signedInPage(viewer, '/clusters/as-1');
    await page.locator('table.workers tbody tr').first().waitFor({ timeout: UI_TIMEOUT });
    expect(await page.getByRole('button', { name: /Rolling restart|Deploy artifact/ }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /^Run / }).count()).toBe(0);
    expect(await page.locator('.topbar nav a', { hasText: 'Tokens' }).count()).toBe(0);
    expect(await page.locator('.topbar nav a', { hasText: 'System patch' }).count()).toBe(0);
    await browser.screenshot(page, '10-viewer-cluster');
    // a command page without pause, resume, cancel
    await page.goto(`${web.url}/operations`);
    await page.locator('table.commands tbody tr a').first().click();
    await page.locator('.page.command').waitFor({ timeout: UI_TIMEOUT });
    expect(await page.getByRole('button', { name: /Pause|Resume|Cancel/ }).count()).toBe(0);
    await page.close();
  });

  it('runs an ESB operation from its form and shows the answer as a table; a failure as what it is', async () => {
    const page = await signedInPage(operator, '/clusters/esb-1');
    await page.locator('.ops-list .op-name', { hasText: 'listProxyServices' }).click();
    await page.getByRole('button', { name: 'Run listProxyServices' }).click();
    await page.locator('[data-testid=answer] table').waitFor({ timeout: UI_TIMEOUT });
    const answer = await page.locator('[data-testid=answer]').textContent();
    expect(answer).toContain('OrderProxy');
    expect(answer).toContain('LegacyBillingProxy');
    await page.locator('[data-testid=answer]').scrollIntoViewIfNeeded();
    await browser.screenshot(page, '11-esb-operation');
    // a form from the inputSchema: `name` is required
    await page.locator('.ops-list .op-name', { hasText: 'enableProxyService' }).click();
    await page.getByRole('button', { name: 'Run enableProxyService' }).click();
    expect(await page.locator('form[data-operation=enableProxyService] .field-hint.bad-text').textContent()).toBe('required');
    await page.locator('form[data-operation=enableProxyService] input[name=name]').fill('NoSuchProxy');
    await page.getByRole('button', { name: 'Run enableProxyService' }).click();
    await page.locator('[data-testid=answer-error]').waitFor({ timeout: UI_TIMEOUT });
    expect(await page.locator('[data-testid=answer-error]').textContent()).toContain('no proxy service named "NoSuchProxy"');
    await page.locator('form[data-operation=enableProxyService] input[name=name]').fill('LegacyBillingProxy');
    await page.getByRole('button', { name: 'Run enableProxyService' }).click();
    await page.locator('[data-testid=answer]').waitFor({ timeout: UI_TIMEOUT });
    expect(await page.locator('[data-testid=answer]').textContent()).toContain('LegacyBillingProxy');
    await page.close();
  });

  it('shows a manager cut off as unreachable, then connected again', async () => {
    await idle();
    const page = await signedInPage(viewer, '/clusters/esb-1');
    await page.locator('[data-testid=manager-state]').waitFor({ timeout: UI_TIMEOUT });
    fleet.inject({ type: 'manager-cutoff', cluster: 'esb-1', durationMs: LEASE_MS * 5 });
    await page.locator('[data-testid=manager-state]', { hasText: 'unreachable' }).waitFor({ timeout: UI_TIMEOUT });
    await page.locator('.badge[data-state=UNREACHABLE]').first().waitFor();
    await browser.screenshot(page, '12-manager-unreachable');
    await page.locator('[data-testid=manager-state]', { hasText: 'connected' }).waitFor({ timeout: UI_TIMEOUT });
    await page.close();
  });

  it('updates the fleet view when a worker leaves', async () => {
    await idle();
    const page = await signedInPage(operator);
    await waitFor(async () => (await page.locator('.vrow[data-cluster="as-1"] .cell').count()) === 4, 'as-1 with 4 cells', UI_TIMEOUT);
    fleet.inject({ type: 'worker-leave', cluster: 'as-1', member: 'as-1-w04' });
    await waitFor(async () => (await page.locator('.vrow[data-cluster="as-1"] .cell').count()) === 3, 'as-1 with 3 cells', UI_TIMEOUT);
    expect(await page.locator('.vrow[data-cluster="as-1"] .cell[data-member="as-1-w04"]').count()).toBe(0);
    await page.close();
  });

  it('re-reads what changed while its connection was down (no event could tell it)', async () => {
    await idle();
    const page = await signedInPage(viewer);
    await page.locator('[data-testid=link][data-state=live]').waitFor({ timeout: UI_TIMEOUT });
    await waitFor(async () => (await page.locator('.vrow[data-cluster="as-1"] .cell').count()) === 3, 'as-1 with 3 cells', UI_TIMEOUT);
    const cut = web.cutWebSockets();
    await page.locator('[data-testid=banner]').waitFor({ timeout: UI_TIMEOUT });
    // While the page is away a worker joins: no event can reach it.
    fleet.inject({ type: 'worker-join', cluster: 'as-1', member: 'as-1-w05' });
    await waitFor(async () => (await gqlOk(oc.url, viewer, `{ cluster(name: "as-1") { workerCount } }`)).cluster.workerCount === 4, 'the OC to see as-1-w05', UI_TIMEOUT);
    expect(await page.locator('.vrow[data-cluster="as-1"] .cell').count()).toBe(3);
    cut.restore();
    await page.locator('[data-testid=link][data-state=live]').waitFor({ timeout: 30_000 });
    await waitFor(async () => (await page.locator('.vrow[data-cluster="as-1"] .cell[data-member="as-1-w05"]').count()) === 1, 'as-1-w05 re-read after the reconnection', UI_TIMEOUT);
    await page.close();
  });

  it('recovers when the OC restarts under it: says so, reconnects, re-reads, and is live again', async () => {
    const page = await signedInPage(operator);
    await page.locator('[data-testid=link][data-state=live]').waitFor({ timeout: UI_TIMEOUT });
    await page.locator('.vrow[data-cluster="esb-1"] .cell').first().waitFor({ timeout: UI_TIMEOUT });
    const port = Number(new URL(oc.url).port);
    await oc.app.stop();
    await page.locator('[data-testid=banner]').waitFor({ timeout: UI_TIMEOUT });
    await browser.screenshot(page, '13-reconnecting');
    // While it is down, the fleet changes: the page must not go on showing the old membership as live.
    const next = await oc.restart({ port });
    // From now on the OC is the new instance (same database and port); stop it before the database goes.
    const stopAll = oc.stop;
    oc.app = next.app;
    oc.stop = async () => {
      await next.app.stop();
      await stopAll();
    };
    await page.locator('[data-testid=link][data-state=live]').waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-testid=banner]').count()).toBe(0);
    // and live again: a change after the restart reaches the page
    await waitFor(async () => (await page.locator('.vrow[data-cluster="esb-1"] .cell').count()) === 3, 'esb-1 with 3 cells', UI_TIMEOUT);
    fleet.inject({ type: 'worker-leave', cluster: 'esb-1', member: 'esb-1-w03' });
    await waitFor(async () => (await page.locator('.vrow[data-cluster="esb-1"] .cell').count()) === 2, 'esb-1 with 2 cells after the restart', 30_000);
    await page.close();
  });

  it('shows the other views: operations, system patch, tokens, events', async () => {
    const admin = (await createToken(oc.url, 'ADMIN', 'ada')).token;
    const page = await signedInPage(admin, '/operations');
    await page.locator('table.commands tbody tr').first().waitFor({ timeout: UI_TIMEOUT });
    await browser.screenshot(page, '14-operations');
    await page.locator('.topbar nav a', { hasText: 'System patch' }).click();
    await page.locator('h1', { hasText: 'System patch' }).waitFor();
    await browser.screenshot(page, '15-patch');
    await page.locator('.topbar nav a', { hasText: 'Tokens' }).click();
    await page.locator('tr[data-token=alice]').waitFor({ timeout: UI_TIMEOUT });
    await page.fill('input[name=name]', 'bob');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.locator('[data-testid=secret]').waitFor({ timeout: UI_TIMEOUT });
    const secret = await page.locator('[data-testid=secret]').textContent();
    expect(secret?.length).toBeGreaterThan(16);
    await browser.screenshot(page, '16-token-created');
    await page.getByRole('button', { name: 'Done' }).click();
    await page.locator('tr[data-token=bob]').waitFor({ timeout: UI_TIMEOUT });
    await page.locator('.topbar nav a', { hasText: 'Events' }).click();
    fleet.inject({ type: 'worker-join', cluster: 'as-1', member: 'as-1-w04' });
    await page.locator('table.events tr[data-type=membership]').first().waitFor({ timeout: UI_TIMEOUT });
    await browser.screenshot(page, '17-events');
    await page.close();
  });

  it('makes no request outside its own origin, and nothing in it is refused by the strict Content-Security-Policy', () => {
    expect(refused).toEqual([]);
    for (const r of pages) requests.push(...r.splice(0));
    const origin = new URL(web.url);
    const outside = requests.filter((u) => {
      const url = new URL(u);
      return url.host !== origin.host || !['http:', 'ws:'].includes(url.protocol);
    });
    expect(requests.length).toBeGreaterThan(10);
    expect(outside).toEqual([]);
  });
});
