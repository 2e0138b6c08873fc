import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gqlOk } from '../support/client.js';
import { type MembershipEventInput, register, reportMembership, reportStats, workerInputs } from '../support/fleet.js';
import { ADMIN_TOKEN, createToken, startTestOc, type TestOc } from '../support/oc.js';
import { waitFor } from '../support/wait.js';

// What a manager's reports cost the database, in statements: the most frequent calls of a fleet
// (bench/ingest.ts measures their speed; this keeps their shape). No background loops: every
// statement counted is the report's. PGlite runs its transactions' BEGIN and COMMIT itself (not
// counted), and has no NOTIFY: 2 statements fewer, and the NOTIFY.
let oc: TestOc;
let session: string;
let clusterId: string;
let seq = 0;

const events = (state: 'RUNNING' | 'STOPPED'): MembershipEventInput[] =>
  workerInputs(10).map((worker) => ({ seq: ++seq, change: 'STATE_CHANGED' as const, worker: { ...worker, state } }));
const samples = () =>
  workerInputs(10).map((w, i) => ({ memberId: w.memberId, at: new Date().toISOString(), cpuPercent: 10 + i, memoryMb: 512, requestsPerSec: 5, errorsPerSec: 0 }));

/** Statements sent from now until the count has not moved for a while (the NOTIFY after COMMIT is sent after the answer). */
async function statementsOf(call: () => Promise<unknown>): Promise<number> {
  await settled();
  const before = oc.database.queryCount;
  await call();
  await settled();
  return oc.database.queryCount - before;
}

async function settled() {
  let last = -1;
  let since = Date.now();
  await waitFor(() => {
    const n = oc.database.queryCount;
    if (n !== last) {
      last = n;
      since = Date.now();
    }
    return Date.now() - since >= 150;
  }, 'the statement count to settle');
}

beforeAll(async () => {
  oc = await startTestOc({}, { background: false });
  const enrollment = (await createToken(oc.url, 'MANAGER', 'statements')).token;
  const r = await register(oc.url, enrollment, { clusterName: 'counted', workers: workerInputs(10) });
  session = r.sessionToken;
  clusterId = r.clusterId;
  // The session is authenticated once and cached: what follows counts the reports alone.
  await reportMembership(oc.url, session, events('STOPPED'));
  await reportStats(oc.url, session, samples());
});
afterAll(async () => {
  await oc?.stop();
});

describe("a manager's reports", () => {
  it('write a membership report of 10 events in its transaction of 6 statements (begin, lock, read, write, log, commit) and one NOTIFY at most', async () => {
    const n = await statementsOf(async () => expect(await reportMembership(oc.url, session, events('RUNNING'))).toMatchObject({ applied: 10 }));
    expect(n).toBeLessThanOrEqual(oc.database.driver === 'pg' ? 7 : 4);
    const c = (await gqlOk(oc.url, ADMIN_TOKEN, 'query($id: ID!) { node(id: $id) { ... on Cluster { health workerCount } } }', { id: clusterId })).node;
    expect(c).toEqual({ health: 'HEALTHY', workerCount: 10 });
  });

  it('look their session up with one statement when it is not cached (a session secret is never an API token)', async () => {
    const other = await createToken(oc.url, 'VIEWER', 'to-revoke');
    // Any revocation empties the credential caches: the next report looks its session up again.
    await gqlOk(oc.url, ADMIN_TOKEN, 'mutation($id: ID!) { revokeApiToken(id: $id) { __typename } }', { id: other.id });
    const n = await statementsOf(async () => expect(await reportMembership(oc.url, session, events('STOPPED'))).toMatchObject({ applied: 10 }));
    expect(n).toBeLessThanOrEqual((oc.database.driver === 'pg' ? 7 : 4) + 1);
  });

  it('write a stats report in its transaction of 4 statements (begin, lock, write, commit) and one NOTIFY at most', async () => {
    const n = await statementsOf(async () => expect(await reportStats(oc.url, session, samples())).toMatchObject({ accepted: 10 }));
    expect(n).toBeLessThanOrEqual(oc.database.driver === 'pg' ? 5 : 2);
  });
});
