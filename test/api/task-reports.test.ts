/**
 * A manager's report on a rollout task, from a manager whose managerTasks stream this instance
 * holds: one named statement (commands.ts, reportRolloutTask) whose row comes back as text and is
 * converted by hand. Its answer must be the task as any read of it gives it, on both databases.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gqlOk, subscribe, wsClient } from '../support/client.js';
import { register, reportMembership, workerInputs } from '../support/fleet.js';
import { createToken, startTestOc, type TestOc } from '../support/oc.js';
import { waitFor } from '../support/wait.js';

const TASK = 'id action memberIds artifact { name version } operation arguments state message result deliveries createdAt updatedAt command { id }';
const REPORT = `mutation($i: ReportTaskInput!) { reportTask(input: $i) { __typename ... on ReportTaskPayload { task { ${TASK} } } ... on Error { message } } }`;

let oc: TestOc;
let operator: string;
let session: string;
let clusterId: string;
let seq = 0;
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  oc = await startTestOc();
  operator = (await createToken(oc.url, 'OPERATOR', 'task-reports')).token;
  const enrollment = (await createToken(oc.url, 'MANAGER', 'task-reports')).token;
  ({ sessionToken: session, clusterId } = await register(oc.url, enrollment, { clusterName: 'task-reports', workers: workerInputs(2) }));
}, 60_000);
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  await oc?.stop();
});

describe("a manager's task report", () => {
  it('answers the task as a read of it gives it: its member ids, its result (an object, a JSON string), its message, its times and deliveries', async () => {
    // The manager's stream: held here, so its reports take the one-statement path.
    const ws = wsClient(oc.url, session);
    cleanups.push(() => ws.dispose());
    const tasks = subscribe(ws, `subscription { managerTasks { id memberIds } }`);
    const started = await gqlOk(oc.url, operator, `mutation($i: RestartClusterInput!) { restartCluster(input: $i) { ... on CommandPayload { command { id } } ... on Error { message } } }`, {
      i: { clusterId, strategy: { batchSize: 1 } },
    });
    const commandId = started.restartCluster.command.id;
    const read = async () => (await gqlOk(oc.url, operator, `query($id: ID!) { command(id: $id) { tasks { ${TASK} } } }`, { id: commandId })).command.tasks;
    const report = async (taskId: string, state: string, message: string | null, result: unknown) => {
      const d = await gqlOk(oc.url, session, REPORT, { i: { taskId, state, message, result } });
      expect(d.reportTask.__typename).toBe('ReportTaskPayload');
      return d.reportTask.task;
    };

    const results: unknown[] = [{ members: [{ memberId: 'w-000', state: 'RUNNING' }], note: 'ü "quoted" \\ back' }, 'all back'];
    for (let i = 0; i < 2; i++) {
      const delivered = await tasks.next(30_000);
      const id = delivered.managerTasks.id;
      // Its delivery counted (after it was sent) before it is reported on.
      await waitFor(async () => (await read()).find((t: { id: string }) => t.id === id)?.deliveries === 1, 'the delivery to be counted');
      const accepted = await report(id, 'ACCEPTED', null, null);
      expect(accepted).toEqual((await read()).find((t: { id: string }) => t.id === id));
      expect(accepted).toMatchObject({ action: 'RESTART_WORKERS', memberIds: delivered.managerTasks.memberIds, state: 'ACCEPTED', deliveries: 1, result: null });
      // The worker restarts (the next batch's task follows once it is back).
      const worker = workerInputs(2).find((w) => w.memberId === delivered.managerTasks.memberIds[0])!;
      for (const state of ['STOPPING', 'RUNNING'] as const) {
        await reportMembership(oc.url, session, [{ seq: ++seq, change: 'STATE_CHANGED', worker: { ...worker, state, startedAt: new Date().toISOString() } }]);
      }
      const done = await report(id, 'SUCCEEDED', i === 0 ? 'back in 1 s' : null, results[i]);
      expect(done).toEqual((await read()).find((t: { id: string }) => t.id === id));
      expect(done).toMatchObject({ state: 'SUCCEEDED', message: i === 0 ? 'back in 1 s' : null, result: results[i] });
    }
    tasks.close();
  }, 60_000);
});
