import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gqlOk } from '../support/client.js';
import { createTestDatabase, TEST_DATABASE_URL } from '../support/db.js';
import { type OcProcess, spawnOc } from '../support/oc-process.js';
import { ScriptedManager } from '../support/scripted-manager.js';
import { waitFor } from '../support/wait.js';
import { commandFinished } from '../support/command-wait.js';

const ADMIN = 'durability-admin-token-0123456789';
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** Where a fresh OC process keeps its state: a new PostgreSQL database, or a PGlite folder. */
async function storage(): Promise<Record<string, string>> {
  if (TEST_DATABASE_URL) {
    const db = await createTestDatabase();
    cleanups.push(() => db.drop());
    return { DATABASE_URL: db.url! };
  }
  const dir = mkdtempSync(join(tmpdir(), 'oc-durability-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return { OC_DATA_DIR: dir };
}

async function start(env: Record<string, string>) {
  const oc = await spawnOc({ ...env, OC_ADMIN_TOKEN: ADMIN, OC_MANAGER_LEASE_MS: '3000' });
  cleanups.push(() => oc.kill('SIGKILL').then(() => {}));
  return oc;
}

async function enrollmentToken(url: string) {
  const d = await gqlOk(url, ADMIN, `mutation { createApiToken(input: { name: "mgr", role: MANAGER }) { ... on ApiTokenPayload { token } } }`);
  return d.createApiToken.token as string;
}

const COMMAND = `query($id: ID!) { command(id: $id) { state steps { memberId state } tasks { memberIds } history { message } } }`;

async function restart(url: string, clusterId: string, strategy: Record<string, unknown>) {
  const d = await gqlOk(url, ADMIN, `mutation($i: RestartClusterInput!) { restartCluster(input: $i) { ... on CommandPayload { command { id } } ... on Error { message } } }`, {
    i: { clusterId, strategy },
  });
  if (!d.restartCluster.command) throw new Error(d.restartCluster.message);
  return d.restartCluster.command.id as string;
}

async function finished(url: () => string, id: string, timeoutMs = 60_000) {
  return commandFinished(url, ADMIN, COMMAND, id, { timeoutMs, intervalMs: 100 });
}

describe('durability', () => {
  it('continues a rollout after the OC process is SIGKILLed and started again on the same database, restarting no worker twice', async () => {
    const env = await storage();
    let oc: OcProcess = await start(env);
    const m = new ScriptedManager(oc.url, await enrollmentToken(oc.url), 'durable', 'AS', ['w1', 'w2', 'w3', 'w4', 'w5', 'w6']);
    cleanups.push(() => m.stop());
    m.restartMs = 400;
    await m.register();
    m.connect();
    const id = await restart(oc.url, m.clusterId, { batchSize: 1, healthTimeoutMs: 30_000 });
    await waitFor(() => m.restartOrder.length >= 2, 'two restarts begun');

    await oc.kill('SIGKILL');
    oc = await start(env);
    // The manager finds the OC again (same session: sessions are in the database) and picks its work back up.
    m.url = oc.url;
    m.connect();

    const c = await finished(() => oc.url, id);
    expect(c.state).toBe('SUCCEEDED');
    expect(m.restartOrder).toEqual(['w1', 'w2', 'w3', 'w4', 'w5', 'w6']);
    for (const [member, n] of m.restarts) expect(n, `${member} restarts`).toBe(1);
    expect(c.tasks).toHaveLength(6);
  });

  describe.runIf(TEST_DATABASE_URL)('two OC processes on one PostgreSQL', () => {
    it('never drive the same rollout twice: each worker restarts once, one task per batch', async () => {
      const env = await storage();
      const a = await start(env);
      const b = await start(env);
      const enroll = await enrollmentToken(a.url);
      // Managers on A, operators on B: the drivers of both instances compete for every command.
      const fleet = ['dd-1', 'dd-2', 'dd-3'].map((name) => new ScriptedManager(a.url, enroll, name, 'AS', ['w1', 'w2', 'w3', 'w4']));
      for (const m of fleet) {
        cleanups.push(() => m.stop());
        m.restartMs = 50;
        await m.register();
        m.connect();
      }
      const ids = await Promise.all(fleet.map((m, i) => restart(i % 2 ? a.url : b.url, m.clusterId, { batchSize: 2 })));
      for (const [i, id] of ids.entries()) {
        const c = await finished(() => b.url, id);
        expect(c.state).toBe('SUCCEEDED');
        expect(c.tasks.map((t: any) => t.memberIds)).toEqual([
          ['w1', 'w2'],
          ['w3', 'w4'],
        ]);
        expect(c.history.filter((h: any) => /^batch \d+ started/.test(h.message))).toHaveLength(2);
        for (const [member, n] of fleet[i]!.restarts) expect(n, `${fleet[i]!.clusterName}/${member}`).toBe(1);
      }
    });
  });
});
