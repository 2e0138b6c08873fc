/**
 * The rollout driver's pool: many commands advanced at once, by two instances' pools on one
 * database, never drive one command twice; a command whose advance is stuck, or whose manager
 * does not answer, holds up no other cluster.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gqlOk } from '../support/client.js';
import { commandFinished } from '../support/command-wait.js';
import { TEST_DATABASE_URL } from '../support/db.js';
import { ADMIN_TOKEN, createToken, memoryLogger, startTestOc, type TestOc } from '../support/oc.js';
import { ScriptedManager } from '../support/scripted-manager.js';
import { waitFor } from '../support/wait.js';

let oc: TestOc;
let second: TestOc;
let enroll: string;
let operator: string;
const managers: ScriptedManager[] = [];
const logger = memoryLogger();

const COMMAND = `query($id: ID!) { command(id: $id) { id state steps { memberId state } tasks { memberIds } history { message }
  children { id state cluster { name } tasks { memberIds } history { message } } } }`;

async function cluster(name: string, size: number, kind: string, restartMs = 20) {
  const m = new ScriptedManager(oc.url, enroll, name, kind, Array.from({ length: size }, (_, i) => `w${i + 1}`));
  m.restartMs = restartMs;
  managers.push(m);
  await m.register();
  m.connect();
  return m;
}

const finished = (id: string, timeoutMs = 180_000) => commandFinished(oc.url, ADMIN_TOKEN, COMMAND, id, { timeoutMs, intervalMs: 100 });

async function restart(clusterId: string, strategy: Record<string, unknown>): Promise<string> {
  const d = await gqlOk(oc.url, operator, `mutation($i: RestartClusterInput!) { restartCluster(input: $i) { ... on CommandPayload { command { id } } ... on Error { message } } }`, {
    i: { clusterId, strategy },
  });
  if (!d.restartCluster.command) throw new Error(d.restartCluster.message);
  return d.restartCluster.command.id;
}

/** The database id inside a GraphQL global id ("Command:<uuid>", base64). */
const uuidOf = (globalId: string) => Buffer.from(globalId, 'base64').toString('utf8').split(':')[1]!;

/** One task per batch of `batch` workers, in order; each batch started once in the history; each worker restarted once. */
function drivenOnce(c: { tasks: { memberIds: string[] }[]; history: { message: string }[] }, m: ScriptedManager, batch: number) {
  const members = [...m.workers.keys()];
  const batches = [];
  for (let i = 0; i < members.length; i += batch) batches.push(members.slice(i, i + batch));
  expect(c.tasks.map((t) => t.memberIds), m.clusterName).toEqual(batches);
  const started = c.history.map((h) => h.message).filter((msg) => /^batch \d+ started/.test(msg));
  expect(started.map((msg) => Number(/^batch (\d+)/.exec(msg)![1])), m.clusterName).toEqual(batches.map((_, i) => i + 1));
  for (const member of members) expect(m.restarts.get(member), `${m.clusterName}/${member} restarts`).toBe(1);
}

beforeAll(async () => {
  // Two instances on one database, each with a pool of 8: they compete for every command.
  oc = await startTestOc({ driverConcurrency: 8 }, { logger });
  second = await oc.restart({ driverConcurrency: 8 });
  enroll = (await createToken(oc.url, 'MANAGER')).token;
  operator = (await createToken(oc.url, 'OPERATOR', 'ops-pool')).token;
}, 60_000);

afterAll(async () => {
  for (const m of managers) await m.stop();
  await second?.stop();
  await oc?.stop();
});

describe('the driver pool', () => {
  it('advances many rollouts at once and drives none twice: one task per batch, each worker restarted once', async () => {
    const fleet = await Promise.all(Array.from({ length: 10 }, (_, i) => cluster(`pool-r${i + 1}`, 4, 'AS')));
    const ids = await Promise.all(fleet.map((m) => restart(m.clusterId, { batchSize: 2 })));
    for (const [i, id] of ids.entries()) {
      const c = await finished(id);
      expect(c.state, fleet[i]!.clusterName).toBe('SUCCEEDED');
      drivenOnce(c, fleet[i]!, 2);
    }
    expect(logger.lines.filter((l) => l.level === 'error')).toEqual([]);
  }, 400_000);

  it('drives a PATCH and its children side by side without deadlock or a child driven twice', async () => {
    const fleet = await Promise.all(Array.from({ length: 8 }, (_, i) => cluster(`pool-p${i + 1}`, 4, 'POOLP')));
    const d = await gqlOk(oc.url, operator, `mutation($i: DeployPatchInput!) { deployPatch(input: $i) { ... on CommandPayload { command { id } } ... on Error { message } } }`, {
      i: { artifact: { name: 'app', version: '2.0.0', url: 'https://repo.example/app-2.0.0.war', sha256: 'd'.repeat(64) }, kinds: ['POOLP'], maxParallelClusters: 5, strategy: { batchSize: 2 } },
    });
    if (!d.deployPatch.command) throw new Error(d.deployPatch.message);
    const p = await finished(d.deployPatch.command.id);
    expect(p.state).toBe('SUCCEEDED');
    expect(p.children).toHaveLength(8);
    for (const child of p.children) {
      const m = fleet.find((x) => x.clusterName === child.cluster.name)!;
      expect(child.state, m.clusterName).toBe('SUCCEEDED');
      drivenOnce(child, m, 2);
      expect(child.history.filter((h: { message: string }) => h.message.startsWith('started by patch')), m.clusterName).toHaveLength(1);
    }
    // Each child started once by its parent.
    expect(p.history.filter((h: { message: string }) => / started$/.test(h.message))).toHaveLength(8);
    expect(logger.lines.filter((l) => l.level === 'error')).toEqual([]);
  }, 400_000);

  it('lets other clusters roll while one cluster’s manager does not answer', async () => {
    // Its worker goes down and nothing more is heard of it: the step waits out healthTimeoutMs.
    const silent = await cluster('pool-silent', 2, 'AS', 600_000);
    const ok = await Promise.all([cluster('pool-ok1', 4, 'AS'), cluster('pool-ok2', 4, 'AS')]);
    const stuck = await restart(silent.clusterId, { batchSize: 1, healthTimeoutMs: 60_000 });
    await waitFor(() => silent.restarts.get('w1'), 'the silent cluster’s first restart');
    const ids = await Promise.all(ok.map((m) => restart(m.clusterId, { batchSize: 1 })));
    for (const [i, id] of ids.entries()) {
      const c = await finished(id);
      expect(c.state).toBe('SUCCEEDED');
      drivenOnce(c, ok[i]!, 1);
    }
    const s = (await gqlOk(oc.url, ADMIN_TOKEN, COMMAND, { id: stuck })).command;
    expect(s.state).toBe('RUNNING');
    expect(s.steps.map((x: { state: string }) => x.state)).toEqual(['RUNNING', 'PENDING']);
  }, 400_000);

  describe.runIf(TEST_DATABASE_URL)('on PostgreSQL', () => {
    it('lets other clusters roll while one command’s advance is stuck on a lock', async () => {
      // One instance only: the other's driver must not be the one that carries on.
      await second.stop();
      const slow = await cluster('pool-locked', 3, 'AS', 300);
      const fast = await cluster('pool-free', 3, 'AS');
      const slowId = await restart(slow.clusterId, { batchSize: 1 });
      await waitFor(() => slow.tasksSeen.length >= 1, 'the locked cluster’s first task');
      // Someone else holds the rows the next advance of that command writes (its steps): that
      // advance waits, holding its command and a slot of the pool, until the lock is let go.
      const blocker = new pg.Client({ connectionString: oc.config.databaseUrl! });
      await blocker.connect();
      try {
        await blocker.query('begin');
        await blocker.query('select 1 from command_steps where command_id = $1 for update', [uuidOf(slowId)]);
        await waitFor(async () => {
          const r = await blocker.query(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`);
          return r.rows[0].n > 0;
        }, 'an advance waiting on the lock', 20_000, 50);
        const fastId = await restart(fast.clusterId, { batchSize: 1 });
        const c = await finished(fastId);
        expect(c.state).toBe('SUCCEEDED');
        drivenOnce(c, fast, 1);
      } finally {
        await blocker.query('rollback').catch(() => {});
        await blocker.end();
      }
      const s = await finished(slowId);
      expect(s.state).toBe('SUCCEEDED');
      drivenOnce(s, slow, 1);
    }, 400_000);
  });
});
