/**
 * What an advance reads (rollout-state.ts): the steps an instance holds between two advances of a
 * rollout (RolloutService's step cache) are read again when the command's row was written by
 * anyone else, never trusted for a write (a step the decision moves must still be where the plan
 * found it), and not read at all when nothing changed them; of the workers of steps not started,
 * only the first few, and all of them when the next batch needs more. The drivers do not run by
 * themselves here (background off): the test advances each command on the instance it names, as
 * two instances' pools would.
 */
import { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gqlOk } from '../support/client.js';
import { sqlRows, TEST_DATABASE_URL } from '../support/db.js';
import { ADMIN_TOKEN, createToken, startTestOc, type TestOc } from '../support/oc.js';
import { ScriptedManager } from '../support/scripted-manager.js';
import { waitFor } from '../support/wait.js';

let a: TestOc;
let b: TestOc;
let operator: string;
let enroll: string;
const managers: ScriptedManager[] = [];

const uuidOf = (globalId: string) => Buffer.from(globalId, 'base64').toString('utf8').split(':')[1]!;
const commandGid = (id: string) => Buffer.from(`Command:${id}`).toString('base64');

async function manager(name: string, workers: string[]): Promise<ScriptedManager> {
  const m = new ScriptedManager(a.url, enroll, name, 'AS', workers);
  m.restartMs = 20;
  await m.register();
  m.connect();
  managers.push(m);
  return m;
}

async function restart(clusterId: string, batchSize: number): Promise<string> {
  const d = await gqlOk(a.url, operator, `mutation($i: RestartClusterInput!) { restartCluster(input: $i) { ... on CommandPayload { command { id } } ... on Error { message } } }`, {
    i: { clusterId, strategy: { batchSize } },
  });
  if (!d.restartCluster.command) throw new Error(d.restartCluster.message);
  return uuidOf(d.restartCluster.command.id);
}

type Step = { memberId: string; state: string; message: string | null };
const steps = async (id: string): Promise<Step[]> =>
  (await gqlOk(a.url, ADMIN_TOKEN, `query($id: ID!) { command(id: $id) { steps { memberId state message } } }`, { id: commandGid(id) })).command.steps;
const states = async (id: string) => (await steps(id)).map((s) => s.state).join();

/** Advances `id` on `oc` until `done` holds (each advance may find the batch still running). */
async function advanceUntil(oc: TestOc, id: string, done: () => Promise<boolean>, what: string) {
  await waitFor(async () => {
    await oc.app.services.rollouts.advance(id);
    return done();
  }, what);
}

beforeAll(async () => {
  a = await startTestOc({}, { background: false });
  b = await a.restart();
  operator = (await createToken(a.url, 'OPERATOR', 'ops-step-cache')).token;
  enroll = (await createToken(a.url, 'MANAGER')).token;
}, 60_000);

afterAll(async () => {
  for (const m of managers) await m.stop();
  await b?.stop();
  await a?.stop();
});

describe('the steps an instance holds between advances', () => {
  it('are not trusted for a write: a step moved behind them (its command row untouched) is read again, and the next batch planned from what it is', async () => {
    const m = await manager('cache-guard', ['w1', 'w2', 'w3', 'w4', 'w5', 'w6']);
    const id = await restart(m.clusterId, 2);
    await a.app.services.rollouts.advance(id); // batch 1 (w1, w2); this instance now holds the steps
    expect(await states(id)).toBe('RUNNING,RUNNING,PENDING,PENDING,PENDING,PENDING');

    // A writer that starts a step and leaves its command's row alone (no code of the OC does:
    // every writer of steps writes the row too). The steps held here still say w3 is PENDING.
    await sqlRows(a.database, `update command_steps set state = 'RUNNING', message = 'started behind the cache', started_at = now() where command_id = '${id}' and index = 2`);

    // Batch 1 ends; w3 is in flight, so no batch starts (from the held steps, w3 and w4 would).
    await advanceUntil(a, id, async () => (await states(id)) === 'SUCCEEDED,SUCCEEDED,RUNNING,PENDING,PENDING,PENDING', 'batch 1 to end');
    for (let i = 0; i < 3; i++) await a.app.services.rollouts.advance(id);
    expect(await states(id)).toBe('SUCCEEDED,SUCCEEDED,RUNNING,PENDING,PENDING,PENDING');
    expect((await steps(id))[2]).toEqual({ memberId: 'w3', state: 'RUNNING', message: 'started behind the cache' });
    const rolloutTasks = m.tasksSeen.filter((t) => t.action === 'RESTART_WORKERS' && t.state === 'PENDING');
    expect(rolloutTasks.map((t) => t.memberIds.join())).toEqual(['w1,w2']);
    expect(m.restarts.get('w3')).toBeUndefined();
  }, 60_000);

  // Two instances share their events through PostgreSQL only (PGlite is one instance): a batch
  // started by the other instance reaches the manager's stream here that way.
  it.runIf(TEST_DATABASE_URL)('are read again once another instance advanced the command: alternating instances drive each batch once', async () => {
    const m = await manager('cache-two', ['w1', 'w2', 'w3', 'w4', 'w5', 'w6', 'w7', 'w8']);
    const id = await restart(m.clusterId, 2);
    const ocs = [a, b];
    let turn = 0;
    await waitFor(async () => {
      // Each instance advances twice in a row (the second from the steps it holds), then the other.
      const oc = ocs[Math.floor(turn++ / 2) % 2]!;
      await oc.app.services.rollouts.advance(id);
      return (await states(id)) === 'SUCCEEDED,SUCCEEDED,SUCCEEDED,SUCCEEDED,SUCCEEDED,SUCCEEDED,SUCCEEDED,SUCCEEDED';
    }, 'the rollout to succeed');
    const rolloutTasks = m.tasksSeen.filter((t) => t.action === 'RESTART_WORKERS' && t.state === 'PENDING');
    expect(rolloutTasks.map((t) => t.memberIds.join())).toEqual(['w1,w2', 'w3,w4', 'w5,w6', 'w7,w8']);
    for (const w of ['w1', 'w2', 'w3', 'w4', 'w5', 'w6', 'w7', 'w8']) expect(m.restarts.get(w)).toBe(1);
  }, 60_000);

  it('see what an operator changed: a pause requested between two advances holds the next batch', async () => {
    const m = await manager('cache-pause', ['w1', 'w2', 'w3', 'w4']);
    const id = await restart(m.clusterId, 2);
    await a.app.services.rollouts.advance(id);
    const d = await gqlOk(a.url, operator, `mutation($id: ID!) { pauseCommand(id: $id) { ... on CommandPayload { command { id } } ... on Error { message } } }`, { id: commandGid(id) });
    expect(d.pauseCommand.message).toBeUndefined();
    await advanceUntil(a, id, async () => (await gqlOk(a.url, ADMIN_TOKEN, `query($id: ID!) { command(id: $id) { state } }`, { id: commandGid(id) })).command.state === 'PAUSED', 'the rollout to pause after its batch');
    expect(await states(id)).toBe('SUCCEEDED,SUCCEEDED,PENDING,PENDING');
    expect(m.tasksSeen.filter((t) => t.action === 'RESTART_WORKERS' && t.state === 'PENDING')).toHaveLength(1);
  }, 60_000);
});

describe("an advance's writes", () => {
  it("keep a manager's message as it was sent, in the step and in the command's history", async () => {
    const m = await manager('write-text', ['w1', 'w2']);
    const said = 'exit "1" in C:\\srv\\app\n— ünïcødé ✓ {"json": [1, 2]} \'quoted\' $1 %s';
    // This manager fails every task with that message, without touching a worker.
    (m as unknown as { work: (t: { id: string }) => Promise<void> }).work = async (t) => {
      await m.reportTask(t.id, 'ACCEPTED');
      await m.reportTask(t.id, 'FAILED', said);
    };
    const id = await restart(m.clusterId, 2);
    await advanceUntil(a, id, async () => (await states(id)).startsWith('FAILED'), 'the batch to fail');
    const expected = `manager reported the task FAILED: ${said}`;
    expect((await steps(id)).map((s) => s.message)).toEqual([expected, expected]);
    const history = (await gqlOk(a.url, ADMIN_TOKEN, `query($id: ID!) { command(id: $id) { history { message } } }`, { id: commandGid(id) })).command.history.map((h: { message: string }) => h.message);
    expect(history).toEqual(expect.arrayContaining([`step w1 FAILED: ${expected}`, `step w2 FAILED: ${expected}`]));
    expect(history.indexOf(`step w1 FAILED: ${expected}`)).toBeLessThan(history.indexOf(`step w2 FAILED: ${expected}`));
  }, 60_000);
});

describe("the workers of steps not started", () => {
  it('are read for the first few steps, and all of them when more members left than that', async () => {
    const m = await manager('read-left', ['w1', 'w2', 'w3', 'w4', 'w5', 'w6']);
    const id = await restart(m.clusterId, 1); // the read looks at two steps not started (twice the batch)
    await a.app.services.rollouts.advance(id);
    expect(await states(id)).toBe('RUNNING,PENDING,PENDING,PENDING,PENDING,PENDING');
    // Three of the next members leave: more than the read looks at.
    for (const w of ['w2', 'w3', 'w4']) {
      await m.report('LEFT', m.workers.get(w)!);
      m.workers.delete(w);
    }
    await advanceUntil(a, id, async () => (await states(id)) === 'SUCCEEDED,SKIPPED,SKIPPED,SKIPPED,RUNNING,PENDING', 'w5 to start after the members that left');
    expect((await steps(id)).slice(1, 4).map((s) => s.message)).toEqual(['w2 left the cluster', 'w3 left the cluster', 'w4 left the cluster']);
    expect(m.tasksSeen.filter((t) => t.action === 'RESTART_WORKERS' && t.state === 'PENDING').map((t) => t.memberIds.join())).toEqual(['w1', 'w5']);
  }, 60_000);
});

/** What PostgreSQL's sockets delivered to this process while `fn` ran, as one text. */
async function fromPostgres(fn: () => Promise<unknown>): Promise<string> {
  const received: string[] = [];
  const pgPort = Number(new URL(TEST_DATABASE_URL!).port || 5432);
  const original = Socket.prototype.push;
  Socket.prototype.push = function (this: Socket, chunk: unknown, encoding?: BufferEncoding) {
    if (chunk && this.remotePort === pgPort) received.push(Buffer.from(chunk as Buffer).toString('latin1'));
    return original.call(this, chunk, encoding);
  };
  try {
    await fn();
  } finally {
    Socket.prototype.push = original;
  }
  return received.join('');
}

describe.runIf(TEST_DATABASE_URL)('an advance from steps held here', () => {
  it('reads no steps from PostgreSQL when nobody wrote the command since this instance did', async () => {
    const m = await manager('cache-read', ['w1', 'w2', 'w3', 'w4', 'w5', 'w6']);
    const id = await restart(m.clusterId, 2);
    await a.app.services.rollouts.advance(id);
    // Batch 1 (w1, w2) is through at the manager; the next advance ends it and starts batch 2.
    await waitFor(async () => m.restarts.get('w2') === 1 && m.workers.get('w2')!.state === 'RUNNING' && m.workers.get('w1')!.state === 'RUNNING', 'batch 1 to be back');

    // What PostgreSQL sent this process during one advance (the planner's read's answer among it).
    const stepRead = /\[\d+, "w\d+", "[A-Z]+"/; // a step is read as [index, member, state, …]
    const held = await fromPostgres(() => advanceUntil(a, id, async () => (await states(id)) === 'SUCCEEDED,SUCCEEDED,RUNNING,RUNNING,PENDING,PENDING', 'batch 2 to start'));
    // No step came back, only workers and tasks.
    expect(held).toContain('"w3"'); // the new batch's workers were read
    expect(held).not.toMatch(stepRead);

    // The other instance holds nothing: its advance reads the steps (and the pattern finds them).
    expect(await fromPostgres(() => b.app.services.rollouts.advance(id))).toMatch(stepRead);
  }, 60_000);
});
