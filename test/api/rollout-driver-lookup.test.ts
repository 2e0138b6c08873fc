/**
 * Which rollout a worker report wakes: each instance keeps the active rollout of a cluster as its
 * own advances last saw it, so the report needs no read (RolloutService.rolloutOfCluster). Here
 * the drivers do not run by themselves (background off): the test advances each command on the
 * instance it names, as two instances' pools would.
 */
import { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gqlOk } from '../support/client.js';
import { TEST_DATABASE_URL } from '../support/db.js';
import { ADMIN_TOKEN, createToken, startTestOc, type TestOc } from '../support/oc.js';
import { ScriptedManager } from '../support/scripted-manager.js';
import { waitFor } from '../support/wait.js';

let a: TestOc;
let b: TestOc;
let operator: string;
let enroll: string;
let manager: ScriptedManager;

/** The database id inside a GraphQL global id ("Command:<uuid>", base64). */
const uuidOf = (globalId: string) => Buffer.from(globalId, 'base64').toString('utf8').split(':')[1]!;

async function restart(clusterId: string): Promise<string> {
  const d = await gqlOk(a.url, operator, `mutation($i: RestartClusterInput!) { restartCluster(input: $i) { ... on CommandPayload { command { id } } ... on Error { message } } }`, {
    i: { clusterId, strategy: { batchSize: 1 } },
  });
  if (!d.restartCluster.command) throw new Error(d.restartCluster.message);
  return uuidOf(d.restartCluster.command.id);
}

const steps = async (id: string): Promise<string[]> =>
  (await gqlOk(a.url, ADMIN_TOKEN, `query($id: ID!) { command(id: $id) { steps { state } } }`, { id: Buffer.from(`Command:${id}`).toString('base64') })).command.steps.map((s: { state: string }) => s.state);
const state = async (id: string) => (await gqlOk(a.url, ADMIN_TOKEN, `query($id: ID!) { command(id: $id) { state } }`, { id: Buffer.from(`Command:${id}`).toString('base64') })).command.state;

beforeAll(async () => {
  a = await startTestOc({}, { background: false });
  b = await a.restart();
  operator = (await createToken(a.url, 'OPERATOR', 'ops-lookup')).token;
  enroll = (await createToken(a.url, 'MANAGER')).token;
  manager = new ScriptedManager(a.url, enroll, 'lookup-1', 'AS', ['w1', 'w2']);
  await manager.register();
  manager.connect();
}, 60_000);

afterAll(async () => {
  await manager?.stop();
  await b?.stop();
  await a?.stop();
});

describe('the active rollout a worker report wakes', () => {
  it('is known without a read once advanced here, and found again after another instance ended it and started the next', async () => {
    const rolloutsA = a.app.services.rollouts;
    const rolloutsB = b.app.services.rollouts;
    const first = await restart(manager.clusterId);
    const cluster = uuidOf(manager.clusterId);
    // Before any advance here: read.
    expect(await rolloutsA.activeRolloutIds([cluster])).toEqual([first]);
    await rolloutsA.advance(first);
    const before = a.database.queryCount;
    expect(await rolloutsA.activeRolloutIds([cluster])).toEqual([first]);
    expect(a.database.queryCount).toBe(before);

    // Its batches' tasks go out here (where the manager's stream is); the other instance ends it,
    // and starts the cluster's next rollout.
    await waitFor(async () => {
      await rolloutsA.advance(first);
      return (await steps(first)).join() === 'SUCCEEDED,RUNNING';
    }, 'the first rollout to be at its last batch');
    await waitFor(async () => {
      await rolloutsB.advance(first);
      return (await state(first)) === 'SUCCEEDED';
    }, 'the first rollout to succeed on the other instance');
    const second = await restart(manager.clusterId);
    await rolloutsB.advance(second);
    expect(await state(second)).toBe('RUNNING');

    // This instance wakes the rollout it knew; its advance finds it over and forgets it: the next
    // report's look-up reads, and finds the one that is active.
    expect(await rolloutsA.activeRolloutIds([cluster])).toEqual([first]);
    expect(await rolloutsA.advance(first)).toBe(false);
    expect(await rolloutsA.activeRolloutIds([cluster])).toEqual([second]);
  }, 120_000);
});

describe.runIf(TEST_DATABASE_URL)("an advance's first round trip", () => {
  it("sends the command's lock and the planner's read to PostgreSQL in one write, the lock first", async () => {
    const other = new ScriptedManager(a.url, enroll, 'lookup-2', 'AS', ['w1', 'w2', 'w3']);
    await other.register();
    other.connect();
    try {
      const id = await restart(other.clusterId);
      // What each write to a socket carried (the protocol's messages hold the statements' texts and names).
      const written: string[] = [];
      const originals = { writev: Socket.prototype._writev!, write: Socket.prototype._write };
      Socket.prototype._writev = function (this: Socket, chunks: { chunk: Buffer | string; encoding: BufferEncoding }[], cb: (e?: Error | null) => void) {
        written.push(chunks.map((c) => Buffer.from(c.chunk).toString('latin1')).join(''));
        return originals.writev.call(this, chunks, cb);
      };
      Socket.prototype._write = function (this: Socket, chunk: Buffer | string, encoding: BufferEncoding, cb: (e?: Error | null) => void) {
        written.push(Buffer.from(chunk).toString('latin1'));
        return originals.write.call(this, chunk, encoding, cb);
      };
      try {
        expect(await a.app.services.rollouts.advance(id)).toBe(true);
      } finally {
        Socket.prototype._writev = originals.writev;
        Socket.prototype._write = originals.write;
      }
      const lock = written.find((w) => w.includes('for update skip locked'));
      expect(lock).toBeDefined();
      expect(lock).toContain('oc_load_rollout_state');
      expect(lock!.indexOf('for update skip locked')).toBeLessThan(lock!.indexOf('oc_load_rollout_state'));
      expect(await steps(id)).toEqual(['RUNNING', 'PENDING', 'PENDING']);
    } finally {
      await other.stop();
    }
  }, 60_000);
});
