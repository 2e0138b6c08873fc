/**
 * Virtual managers against a stand-in for the OC's manager API (simulator/fake-oc.ts): the
 * protocol as API.md states it, over real HTTP and graphql-ws on localhost, with the `fast`
 * profile. The real OC's end-to-end tests live in test/e2e/.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeOc, type FakeOcOptions } from '../../simulator/fake-oc.js';
import { type Fleet, type FleetSpec, startFleet } from '../../simulator/fleet.js';
import type { OcTransport, TaskStreamHandlers } from '../../simulator/oc-client.js';
import type { ScenarioSpec } from '../../simulator/scenario.js';
import { VirtualScheduler } from '../../simulator/scheduler.js';

const SCENARIO: ScenarioSpec = {
  name: 'unit',
  clusters: [
    { name: 'as-1', kind: 'AS', size: 4 },
    { name: 'esb-1', kind: 'ESB', size: 3 },
  ],
};

const ARTIFACT = { name: 'storefront.war', version: '2.0.0', url: 'https://repo.example/storefront-2.0.0.war', sha256: 'ab'.repeat(32) };

let oc: FakeOc;
let fleet: Fleet | null = null;

async function start(spec: Partial<FleetSpec> = {}, ocOpts: FakeOcOptions = {}): Promise<Fleet> {
  if (Object.keys(ocOpts).length > 0) {
    await oc.stop();
    oc = await FakeOc.start(ocOpts);
  }
  fleet = startFleet({ url: oc.url, enrollmentToken: 'enroll', scenario: SCENARIO, profile: 'fast', seed: 1, ...spec });
  await fleet.ready({ timeoutMs: 10_000 });
  await fleet.waitFor((f) => f.status().connected === f.managers.size, { what: 'every task stream connected' });
  return fleet;
}

function taskState(id: string) {
  return oc.task(id).state;
}

async function until(what: string, predicate: () => boolean, timeoutMs = 5_000): Promise<void> {
  await fleet!.waitFor(() => predicate(), { what, timeoutMs });
}

beforeEach(async () => {
  oc = await FakeOc.start();
});

afterEach(async () => {
  await fleet?.stop();
  fleet = null;
  await oc.stop();
});

describe('a virtual manager', () => {
  it('registers its cluster with the full worker snapshot and its cluster-specific operations', async () => {
    await start();
    const as = oc.cluster('as-1');
    expect([...as.workers.keys()]).toEqual(['as-1-w01', 'as-1-w02', 'as-1-w03', 'as-1-w04']);
    for (const w of as.workers.values()) {
      expect(w).toMatchObject({ state: 'RUNNING', port: 8080 });
      expect(Date.parse(w.startedAt!)).toBeLessThan(Date.now());
      expect(w.artifacts).toEqual([expect.objectContaining({ name: 'storefront.war', version: '1.0.0' })]);
    }
    expect(as.operations.map((o) => o.name)).toEqual(['listWebApps', 'redeployWebApp']);
    expect(oc.cluster('esb-1').operations.map((o) => o.name)).toEqual(['listProxyServices', 'enableProxyService', 'disableProxyService']);
    expect(oc.cluster('esb-1').operations[1]!.inputSchema).toMatchObject({ required: ['name'] });
    expect(as.subscribers).toBe(1);
  });

  it('restarts the members of a task, says ACCEPTED then SUCCEEDED, and the OC sees a new startedAt', async () => {
    await start();
    const before = oc.cluster('as-1').workers.get('as-1-w02')!.startedAt!;
    const task = oc.createTask('as-1', { action: 'RESTART_WORKERS', memberIds: ['as-1-w02'] });
    await until('the restart task to succeed', () => taskState(task.id) === 'SUCCEEDED');
    expect(oc.task(task.id).reports.map((r) => r.state)).toEqual(['ACCEPTED', 'SUCCEEDED']);
    await until('the OC to see as-1-w02 RUNNING again', () => {
      const w = oc.cluster('as-1').workers.get('as-1-w02')!;
      return w.state === 'RUNNING' && w.startedAt! > before;
    });
    const events = oc.cluster('as-1').events;
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.map((e) => `${e.change} ${e.worker.memberId} ${e.worker.state}`)).toEqual([
      'STATE_CHANGED as-1-w02 STOPPING',
      'STATE_CHANGED as-1-w02 STOPPED',
      'STATE_CHANGED as-1-w02 STARTING',
      'STATE_CHANGED as-1-w02 RUNNING',
    ]);
    expect(fleet!.invariants().restarts).toEqual({ 'as-1/as-1-w02': 1 });
  });

  it('with a skewed clock reports every time shifted by it: snapshot, restarts, deploys and stats', async () => {
    const skew = { 'as-1': 600_000, 'esb-1': -600_000 } as const;
    await start({ scenario: { ...SCENARIO, clusters: SCENARIO.clusters.map((c) => ({ ...c, clockSkewMs: skew[c.name as keyof typeof skew] })) } });
    /** How far a time the manager reported is off the real clock now (the work here takes well under a minute). */
    const offset = (iso: string) => Date.parse(iso) - Date.now();
    for (const [cluster, skewMs] of Object.entries(skew)) {
      const task = oc.createTask(cluster, { action: 'DEPLOY_ARTIFACT', memberIds: [`${cluster}-w01`], artifact: ARTIFACT });
      await until(`the deploy on ${cluster} to succeed`, () => taskState(task.id) === 'SUCCEEDED');
      await until(`stats from ${cluster}`, () => oc.cluster(cluster).lastStats.length > 0);
      await until(`the OC to see ${cluster}-w01 on 2.0.0`, () => {
        const w = oc.cluster(cluster).workers.get(`${cluster}-w01`)!;
        return w.state === 'RUNNING' && w.artifacts?.some((a) => a.version === '2.0.0');
      });
      const w = oc.cluster(cluster).workers.get(`${cluster}-w01`)!;
      expect(Math.abs(offset(w.startedAt!) - skewMs), `${cluster} startedAt`).toBeLessThan(60_000);
      expect(Math.abs(offset(w.artifacts!.find((a) => a.version === '2.0.0')!.deployedAt!) - skewMs)).toBeLessThan(60_000);
      expect(Math.abs(offset(oc.cluster(cluster).lastStats[0]!.at) - skewMs), `${cluster} stats at`).toBeLessThan(60_000);
    }
    // The snapshot at registration: uptimes of an hour or more, read off the manager's clock.
    const fast = [...oc.cluster('as-1').workers.values()].find((w) => w.memberId === 'as-1-w02')!;
    expect(offset(fast.startedAt!)).toBeLessThan(600_000 - 3_600_000 + 60_000);
  });

  it('deploys the artifact to the members, which come back RUNNING with the new version', async () => {
    await start();
    const task = oc.createTask('as-1', { action: 'DEPLOY_ARTIFACT', memberIds: ['as-1-w01', 'as-1-w03'], artifact: ARTIFACT });
    await until('the deploy to succeed', () => taskState(task.id) === 'SUCCEEDED');
    await until('the OC to see 2.0.0 on both', () =>
      ['as-1-w01', 'as-1-w03'].every((id) => {
        const w = oc.cluster('as-1').workers.get(id)!;
        return w.state === 'RUNNING' && w.artifacts?.[0]?.version === '2.0.0';
      }),
    );
    expect(oc.cluster('as-1').workers.get('as-1-w02')!.artifacts![0]!.version).toBe('1.0.0');
    const starting = oc.cluster('as-1').events.filter((e) => e.worker.state === 'STARTING');
    expect(starting.every((e) => e.worker.artifacts![0]!.version === '2.0.0')).toBe(true);
  });

  it('answers ESB proxy-service operations statefully, and fails an unknown proxy with a message', async () => {
    await start();
    const disable = oc.createTask('esb-1', { action: 'RUN_OPERATION', operation: 'disableProxyService', arguments: { name: 'OrderProxy' } });
    await until('disable to succeed', () => taskState(disable.id) === 'SUCCEEDED');
    expect(oc.task(disable.id).reports.at(-1)!.result).toMatchObject({ name: 'OrderProxy', enabled: false, previouslyEnabled: true });

    const list = oc.createTask('esb-1', { action: 'RUN_OPERATION', operation: 'listProxyServices' });
    await until('list to succeed', () => taskState(list.id) === 'SUCCEEDED');
    const proxies = (oc.task(list.id).reports.at(-1)!.result as { proxyServices: { name: string; enabled: boolean }[] }).proxyServices;
    expect(proxies.find((p) => p.name === 'OrderProxy')!.enabled).toBe(false);
    expect(proxies.find((p) => p.name === 'PaymentProxy')!.enabled).toBe(true);

    const unknown = oc.createTask('esb-1', { action: 'RUN_OPERATION', operation: 'enableProxyService', arguments: { name: 'NoSuchProxy' } });
    await until('the unknown proxy to fail', () => taskState(unknown.id) === 'FAILED');
    expect(oc.task(unknown.id).reports.at(-1)!.message).toMatch(/^no proxy service named "NoSuchProxy" \(known: OrderProxy, /);
  });

  it('answers AS web-app operations, and fails an operation it does not offer', async () => {
    await start();
    const redeploy = oc.createTask('as-1', { action: 'RUN_OPERATION', operation: 'redeployWebApp', arguments: { name: 'checkout' } });
    await until('redeploy to succeed', () => taskState(redeploy.id) === 'SUCCEEDED');
    expect(oc.task(redeploy.id).reports.at(-1)!.result).toMatchObject({ name: 'checkout', redeployCount: 1, redeployedOn: ['as-1-w01', 'as-1-w02', 'as-1-w03', 'as-1-w04'] });

    const bogus = oc.createTask('as-1', { action: 'RUN_OPERATION', operation: 'listProxyServices' });
    await until('the foreign operation to fail', () => taskState(bogus.id) === 'FAILED');
    expect(oc.task(bogus.id).reports.at(-1)!.message).toBe('unknown operation "listProxyServices" (offered: listWebApps, redeployWebApp)');
  });

  it('reports FAILED when a worker fails to start, and the OC sees the worker FAILED', async () => {
    await start();
    fleet!.inject({ type: 'fail-start', cluster: 'as-1', member: 'as-1-w03' });
    const task = oc.createTask('as-1', { action: 'DEPLOY_ARTIFACT', memberIds: ['as-1-w03'], artifact: ARTIFACT });
    await until('the deploy to fail', () => taskState(task.id) === 'FAILED');
    expect(oc.task(task.id).reports.at(-1)!.message).toBe('as-1-w03: failed to start');
    await until('the OC to see as-1-w03 FAILED', () => oc.cluster('as-1').workers.get('as-1-w03')!.state === 'FAILED');
  });

  it('reports FAILED when a worker never comes back within the task deadline', async () => {
    await start({ profileOverrides: { taskTimeoutMs: 300 } });
    const injected = fleet!.inject({ type: 'never-come-back', cluster: 'as-1' });
    expect(injected.member).toMatch(/^as-1-w0[1-4]$/);
    const task = oc.createTask('as-1', { action: 'RESTART_WORKERS', memberIds: [injected.member!] });
    await until('the restart to fail', () => taskState(task.id) === 'FAILED');
    expect(oc.task(task.id).reports.at(-1)!.message).toBe(`${injected.member}: not RUNNING within 300 ms (still STOPPED)`);
    expect(fleet!.worker('as-1', injected.member!).state).toBe('STOPPED');
  });

  it('batches membership changes: one reportMembership per flush interval, not one per change', async () => {
    await start({ profileOverrides: { membershipFlushMs: 250 } });
    const task = oc.createTask('as-1', { action: 'RESTART_WORKERS', memberIds: ['as-1-w01', 'as-1-w02', 'as-1-w03', 'as-1-w04'] });
    await until('the restart to succeed', () => taskState(task.id) === 'SUCCEEDED');
    await until('all 16 events to reach the OC', () => oc.cluster('as-1').events.length === 16);
    const counters = fleet!.invariants().membership['as-1']!;
    expect(counters.eventsSent).toBe(16);
    expect(counters.batchesSent).toBeLessThanOrEqual(3);
    expect(fleet!.invariants().maxDownDuringTasks['as-1']).toBe(4);
  });

  it("reports a task's last worker back at once, not at the end of the flush interval (the OC's next batch waits on it)", async () => {
    await start({ profileOverrides: { membershipFlushMs: 60_000 } });
    const task = oc.createTask('as-1', { action: 'RESTART_WORKERS', memberIds: ['as-1-w01', 'as-1-w02'] });
    // Every transition of both workers, the last RUNNING included, long before a minute's interval.
    await until('the OC to see both workers back', () => oc.cluster('as-1').events.filter((e) => e.worker.state === 'RUNNING').length === 2);
    expect(oc.cluster('as-1').events.map((e) => e.seq)).toEqual(oc.cluster('as-1').events.map((_, i) => i + 1));
    await until('the restart to succeed', () => taskState(task.id) === 'SUCCEEDED');
  });

  it('re-sends an accepted batch when told to, and the OC ignores the duplicate', async () => {
    await start();
    fleet!.inject({ type: 'duplicate-report', cluster: 'esb-1' });
    await until('the duplicate to be sent and ignored', () => oc.cluster('esb-1').duplicatesIgnored > 0);
    const esb = oc.cluster('esb-1');
    expect(esb.events.map((e) => e.seq)).toEqual(esb.events.map((_, i) => i + 1));
    expect(fleet!.invariants().membership['esb-1']).toMatchObject({ duplicatesSent: 1, retries: 0 });
  });

  describe.each(['error', 'hold'] as const)('when the OC refuses a seq gap with %s', (gapResponse) => {
    it('sends a later batch before an earlier one, then recovers by resending in order', async () => {
      await start({}, { gapResponse });
      fleet!.inject({ type: 'reorder-reports', cluster: 'as-1' });
      const m = fleet!.manager('as-1');
      await until('the out-of-order batch to be refused and the rest to go through', () => {
        const c = m.membership;
        return c.gapRejections === 1 && c.lastAcceptedSeq >= 2 && m.unreportedEvents === 0;
      });
      const events = oc.cluster('as-1').events;
      expect(events.length).toBeGreaterThanOrEqual(2);
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      expect(oc.cluster('as-1').gapsRefused).toBe(1);
      expect(m.membership).toMatchObject({ reorderedSent: 1, outOfOrderAccepted: 0 });
    });
  });

  it('never runs a re-delivered task twice across its own crash, and finishes it after restarting', async () => {
    await start();
    fleet!.inject({ type: 'slow-boot', cluster: 'as-1', member: 'as-1-w01', durationMs: 400 });
    const task = oc.createTask('as-1', { action: 'RESTART_WORKERS', memberIds: ['as-1-w01'] });
    await until('the task to be accepted', () => taskState(task.id) === 'ACCEPTED');
    fleet!.inject({ type: 'manager-crash', cluster: 'as-1' });
    expect(fleet!.manager('as-1').status).toBe('crashed');
    await until('the OC to lose the subscription', () => oc.cluster('as-1').subscribers === 0);
    fleet!.inject({ type: 'manager-restart', cluster: 'as-1' });
    await until('the re-delivered task to succeed', () => taskState(task.id) === 'SUCCEEDED');

    const inv = fleet!.invariants();
    expect(inv.restarts).toEqual({ 'as-1/as-1-w01': 1 });
    expect(inv.redeliveries).toEqual({ [task.id]: 1 });
    expect(inv.registrations['as-1']).toBe(2);
    const secondSession = oc.cluster('as-1').events.filter((e) => e.session === 2);
    if (secondSession.length > 0) expect(secondSession[0]!.seq).toBe(1);
    await until('the OC to see as-1-w01 RUNNING', () => oc.cluster('as-1').workers.get('as-1-w01')!.state === 'RUNNING');
  });

  it('sends nothing while cut off, then registers again with a fresh snapshot', async () => {
    await start();
    oc.recordCalls = true;
    const cutAt = Date.now();
    fleet!.inject({ type: 'manager-cutoff', cluster: 'as-1', durationMs: 400 });
    fleet!.inject({ type: 'crash', cluster: 'as-1', member: 'as-1-w04' }); // a change the snapshot must carry
    expect(fleet!.manager('as-1').status).toBe('cut-off');
    await until('the OC to lose the subscription', () => oc.cluster('as-1').subscribers === 0);
    await until('the manager to be back', () => fleet!.manager('as-1').connected && fleet!.manager('as-1').registrations === 2);
    const during = oc.callLog.filter((c) => c.cluster === 'as-1' && c.at >= cutAt && c.at < cutAt + 390);
    expect(during).toEqual([]);
    expect(oc.cluster('as-1').workers.get('as-1-w04')!.state).toBe('FAILED');
    expect(oc.cluster('as-1').registrations).toBe(2);
  });

  it('registers again when the OC refuses its session (401, close 4401)', async () => {
    await start();
    oc.revokeSession('esb-1');
    await until('a second registration', () => fleet!.manager('esb-1').registrations === 2 && fleet!.manager('esb-1').connected);
    expect(oc.cluster('esb-1').subscribers).toBe(1);
    const task = oc.createTask('esb-1', { action: 'RUN_OPERATION', operation: 'listProxyServices' });
    await until('the new session to work', () => taskState(task.id) === 'SUCCEEDED');
  });

  it('reconnects when the OC drops its socket, and picks its unfinished task back up', async () => {
    await start();
    fleet!.inject({ type: 'slow-boot', cluster: 'as-1', member: 'as-1-w02', durationMs: 300 });
    const task = oc.createTask('as-1', { action: 'RESTART_WORKERS', memberIds: ['as-1-w02'] });
    await until('the task to be accepted', () => taskState(task.id) === 'ACCEPTED');
    oc.dropSockets('as-1');
    await until('the task to succeed after the reconnect', () => taskState(task.id) === 'SUCCEEDED');
    expect(fleet!.manager('as-1').registrations).toBe(2);
    expect(fleet!.invariants().restarts).toEqual({ 'as-1/as-1-w02': 1 });
    expect(fleet!.invariants().redeliveries[task.id]).toBe(1);
  });

  it('drops a task the OC cancels and does not report an outcome for it', async () => {
    await start();
    fleet!.inject({ type: 'slow-boot', cluster: 'as-1', member: 'as-1-w01', durationMs: 200 });
    const task = oc.createTask('as-1', { action: 'RESTART_WORKERS', memberIds: ['as-1-w01'] });
    await until('the task to be accepted', () => taskState(task.id) === 'ACCEPTED');
    oc.cancelTask(task.id);
    await until('the manager to see the cancellation', () => fleet!.invariants().tasks[0]?.state === 'CANCELLED');
    await until('the worker to be RUNNING again', () => fleet!.worker('as-1', 'as-1-w01').state === 'RUNNING');
    expect(oc.task(task.id).reports.map((r) => r.state)).toEqual(['ACCEPTED']);
    expect(fleet!.status().tasksInFlight).toBe(0);
  });

  it('reports workers joining and leaving as JOINED and LEFT', async () => {
    await start();
    const joined = fleet!.inject({ type: 'worker-join', cluster: 'esb-1' });
    expect(joined.member).toBe('esb-1-w04');
    fleet!.inject({ type: 'worker-leave', cluster: 'esb-1', member: 'esb-1-w01' });
    await until('the OC to see the new worker RUNNING and the old one gone', () => {
      const workers = oc.cluster('esb-1').workers;
      return workers.get('esb-1-w04')?.state === 'RUNNING' && !workers.has('esb-1-w01');
    });
    const changes = oc.cluster('esb-1').events.map((e) => `${e.change} ${e.worker.memberId}`);
    expect(changes).toContain('JOINED esb-1-w04');
    expect(changes).toContain('LEFT esb-1-w01');
    expect(fleet!.status().workers.RUNNING).toBe(7);
  });

  it('reports stats once per interval with a sample per worker, and no traffic on a worker that is down', async () => {
    await start();
    await until('two stats reports', () => oc.cluster('as-1').statsReports >= 2);
    expect(oc.cluster('as-1').lastStats.map((s) => s.memberId)).toEqual(['as-1-w01', 'as-1-w02', 'as-1-w03', 'as-1-w04']);
    fleet!.inject({ type: 'crash', cluster: 'as-1', member: 'as-1-w04' });
    const reportsAtCrash = oc.cluster('as-1').statsReports;
    await until('a report after the crash', () => oc.cluster('as-1').statsReports > reportsAtCrash);
    const byMember = new Map(oc.cluster('as-1').lastStats.map((s) => [s.memberId, s]));
    expect(byMember.get('as-1-w04')).toMatchObject({ requestsPerSec: 0, cpuPercent: 0 });
    expect(byMember.get('as-1-w01')!.requestsPerSec).toBeGreaterThan(0);
    expect(fleet!.invariants().crashes).toEqual({ 'as-1/as-1-w04': 1 });
  });

  it('counts the most workers of a cluster down at once while tasks are in hand', async () => {
    await start();
    const both = oc.createTask('as-1', { action: 'RESTART_WORKERS', memberIds: ['as-1-w01', 'as-1-w02'] });
    await until('the pair restart', () => taskState(both.id) === 'SUCCEEDED');
    expect(fleet!.invariants().maxDownDuringTasks['as-1']).toBe(2);
    fleet!.resetInvariants();
    for (const member of ['as-1-w03', 'as-1-w04']) {
      const one = oc.createTask('as-1', { action: 'RESTART_WORKERS', memberIds: [member] });
      await until(`the restart of ${member}`, () => taskState(one.id) === 'SUCCEEDED');
    }
    const inv = fleet!.invariants();
    expect(inv.maxDownDuringTasks['as-1']).toBe(1);
    expect(inv.maxRestartsInFlight['as-1']).toBe(1);
    expect(inv.restarts).toEqual({ 'as-1/as-1-w03': 1, 'as-1/as-1-w04': 1 });
    expect(inv.tasks).toHaveLength(2);
  });
});

describe('a fleet', () => {
  it('fails ready() with a clear message when the OC refuses the enrollment token', async () => {
    fleet = startFleet({ url: oc.url, enrollmentToken: 'not-a-token', scenario: SCENARIO, profile: 'fast' });
    await expect(fleet.ready({ timeoutMs: 5_000 })).rejects.toThrow(/refused the enrollment token .*HTTP 401/);
  });

  it('fires a scenario fault when a cluster accepts its n-th task: a manager crash mid-rollout', async () => {
    await start({
      scenario: {
        ...SCENARIO,
        faults: [{ type: 'manager-crash', cluster: 'as-1', onTask: 1, durationMs: 150 }],
      },
    });
    fleet!.inject({ type: 'slow-boot', cluster: 'as-1', member: 'as-1-w01', durationMs: 300 });
    const task = oc.createTask('as-1', { action: 'RESTART_WORKERS', memberIds: ['as-1-w01'] });
    await until('the task to succeed after the crash and restart', () => taskState(task.id) === 'SUCCEEDED');
    const inv = fleet!.invariants();
    expect(inv.registrations['as-1']).toBe(2);
    expect(inv.restarts).toEqual({ 'as-1/as-1-w01': 1 });
    expect(fleet!.recentLog(50).map((e) => e.message)).toContain('scenario fault manager-crash');
  });

  it('fires timed scenario faults counting from when every manager registered', async () => {
    await start({
      scenario: { ...SCENARIO, faults: [{ type: 'crash', cluster: 'esb-1', member: 'esb-1-w02', at: 50 }] },
    });
    await until('the OC to see the crash', () => oc.cluster('esb-1').workers.get('esb-1-w02')?.state === 'FAILED');
    expect(fleet!.status().workers.FAILED).toBe(1);
  });

  it('names the clusters it has when asked for one it has not', async () => {
    await start();
    expect(() => fleet!.manager('as-9')).toThrow('no cluster "as-9" in this fleet (clusters: as-1, esb-1)');
    expect(() => fleet!.inject({ type: 'crash', cluster: 'esb-1', member: 'esb-1-w09' })).toThrow(
      'cluster esb-1 has no member "esb-1-w09" (members: esb-1-w01, esb-1-w02, esb-1-w03)',
    );
    expect(() => fleet!.inject({ type: 'manager-cutoff', cluster: 'esb-1' } as never)).toThrow(/fault\.durationMs/);
  });
});

describe('a seeded fleet in virtual time', () => {
  /** An in-memory OC: accepts everything, and writes down what it hears, with the virtual time. */
  function memoryOc(scheduler: VirtualScheduler) {
    const heard: string[] = [];
    const streams = new Map<string, TaskStreamHandlers>();
    const transport = (cluster: string): OcTransport => ({
      registerManager: async (_token, input) => {
        heard.push(`${scheduler.now()} ${cluster} registered ${input.workers.map((w) => `${w.memberId}@${w.startedAt}`).join(' ')}`);
        return { ok: true, value: { sessionToken: `session-${cluster}`, manager: { id: `m-${cluster}` }, cluster: { id: cluster, name: cluster } } };
      },
      reportMembership: async (_token, events) => {
        for (const e of events) heard.push(`${scheduler.now()} ${cluster} #${e.seq} ${e.worker.memberId} ${e.worker.state} ${e.worker.startedAt}`);
        return { ok: true, value: { acceptedThroughSeq: events.at(-1)!.seq } };
      },
      reportStats: async (_token, samples) => {
        heard.push(`${scheduler.now()} ${cluster} stats ${samples.map((x) => `${x.cpuPercent}/${x.requestsPerSec}`).join(' ')}`);
        return { ok: true, value: null };
      },
      reportTask: async (_token, input) => {
        heard.push(`${scheduler.now()} ${cluster} task ${input.taskId} ${input.state} ${input.message ?? ''}`);
        return { ok: true, value: null };
      },
      subscribeTasks: (_token, handlers) => {
        streams.set(cluster, handlers);
        handlers.connected?.();
        return { close: () => streams.delete(cluster) };
      },
    });
    return { heard, streams, transport };
  }

  async function run(seed: number): Promise<string[]> {
    const scheduler = new VirtualScheduler();
    const oc = memoryOc(scheduler);
    const f = startFleet({ url: 'http://oc.invalid', enrollmentToken: 'enroll', scenario: SCENARIO, profile: 'chaos', seed, scheduler, transport: oc.transport });
    await scheduler.advanceAsync(1_000);
    expect(f.status().connected).toBe(2);
    oc.streams.get('as-1')!.task({
      id: 't1', action: 'RESTART_WORKERS', memberIds: ['as-1-w01', 'as-1-w02', 'as-1-w03', 'as-1-w04'],
      artifact: null, operation: null, arguments: null, state: 'PENDING', command: { id: 'c1' },
    });
    await scheduler.advanceAsync(10 * 60_000);
    await f.stop();
    return oc.heard;
  }

  it('replays the same registrations, transitions, stats and task outcomes for the same seed', async () => {
    const first = await run(2024);
    expect(first.filter((l) => l.includes(' task t1 '))).toHaveLength(2);
    expect(first.filter((l) => l.includes(' as-1 #')).length).toBeGreaterThanOrEqual(16);
    expect(await run(2024)).toEqual(first);
    expect(await run(2025)).not.toEqual(first);
  });
});
