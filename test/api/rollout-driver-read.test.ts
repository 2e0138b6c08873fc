/**
 * What an advance reads and writes. The drivers do not run by themselves here (background off):
 * the test advances each command on the instance it names, as two instances' pools would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gqlOk } from '../support/client.js';
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
