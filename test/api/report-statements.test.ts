import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gqlOk } from '../support/client.js';
import { type MembershipEventInput, register, reportMembership, reportStats, workerInputs } from '../support/fleet.js';
import type { EventMap } from '../../src/events/bus.js';
import { sqlRows } from '../support/db.js';
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
  it('write a membership report of 10 events in its transaction of 5 statements (begin, lock, read, write with its events\' log, commit) and one NOTIFY at most', async () => {
    const n = await statementsOf(async () => expect(await reportMembership(oc.url, session, events('RUNNING'))).toMatchObject({ applied: 10 }));
    expect(n).toBeLessThanOrEqual(oc.database.driver === 'pg' ? 6 : 3);
    const c = (await gqlOk(oc.url, ADMIN_TOKEN, 'query($id: ID!) { node(id: $id) { ... on Cluster { health workerCount } } }', { id: clusterId })).node;
    expect(c).toEqual({ health: 'HEALTHY', workerCount: 10 });
  });

  it('look their session up with one statement when it is not cached (a session secret is never an API token)', async () => {
    const other = await createToken(oc.url, 'VIEWER', 'to-revoke');
    // Any revocation empties the credential caches: the next report looks its session up again.
    await gqlOk(oc.url, ADMIN_TOKEN, 'mutation($id: ID!) { revokeApiToken(id: $id) { __typename } }', { id: other.id });
    const n = await statementsOf(async () => expect(await reportMembership(oc.url, session, events('STOPPED'))).toMatchObject({ applied: 10 }));
    expect(n).toBeLessThanOrEqual((oc.database.driver === 'pg' ? 6 : 3) + 1);
  });

  it('log each membership event as it is published (the statement that writes the workers appends them), with the workers as stored', async () => {
    const live: EventMap['membership'][] = [];
    const off = oc.app.bus.on('membership', (p) => live.push(p));
    const worker = (memberId: string, state: 'RUNNING' | 'STOPPED') => ({ memberId, host: `${memberId}.local`, port: 9000, state, artifacts: [{ name: 'app', version: '2.1' }] });
    await reportMembership(oc.url, session, [
      { seq: ++seq, change: 'JOINED', worker: worker('x-1', 'RUNNING') },
      { seq: ++seq, change: 'STATE_CHANGED', worker: { ...workerInputs(1)[0]!, state: 'RUNNING' } },
      { seq: ++seq, change: 'STATE_CHANGED', worker: worker('x-1', 'STOPPED') },
    ]);
    await reportMembership(oc.url, session, [
      { seq: ++seq, change: 'LEFT', worker: worker('x-1', 'STOPPED') },
      { seq: ++seq, change: 'JOINED', worker: worker('x-2', 'STOPPED') },
    ]);
    await waitFor(() => live.length === 5, 'the five events');
    off();
    const rows = await sqlRows<{ position: string; payload: string }>(
      oc.database,
      `select position::text as position, payload::text as payload from event_log where topic = 'membership' and position >= ${live[0]!.position} order by position`,
    );
    // The log holds what was published, position by position (JSON as a subscriber far away reads it).
    expect(rows.map((r) => ({ ...JSON.parse(r.payload), position: r.position }))).toEqual(live.map((p) => JSON.parse(JSON.stringify(p))));
    expect(live.map((p) => [p.change, p.worker.memberId, p.worker.state, p.cluster?.workerCount])).toEqual([
      ['JOINED', 'x-1', 'RUNNING', 11],
      ['STATE_CHANGED', 'w-000', 'RUNNING', 11],
      ['STATE_CHANGED', 'x-1', 'STOPPED', 11],
      ['LEFT', 'x-1', 'STOPPED', 11],
      ['JOINED', 'x-2', 'STOPPED', 11],
    ]);
    // The worker an event carries is the row as stored.
    const [x2] = await sqlRows<{ id: string; joined_at: string | Date; state_changes: number }>(oc.database, `select id, joined_at, state_changes from workers where member_id = 'x-2'`);
    expect(live[4]!.worker).toMatchObject({ id: x2!.id, joinedAt: new Date(x2!.joined_at), stateChanges: x2!.state_changes });
    const [w0] = await sqlRows<{ id: string; state_changes: number }>(oc.database, `select id, state_changes from workers where member_id = 'w-000'`);
    expect(live[1]!.worker).toMatchObject({ id: w0!.id, stateChanges: w0!.state_changes });
  });

  it('write a stats report in its transaction of 4 statements (begin, lock, write, commit) and one NOTIFY at most', async () => {
    const n = await statementsOf(async () => expect(await reportStats(oc.url, session, samples())).toMatchObject({ accepted: 10 }));
    expect(n).toBeLessThanOrEqual(oc.database.driver === 'pg' ? 5 : 2);
  });

  // The event log's head row is every logged write's lock (positions in commit order): a membership
  // report's statement takes it, and COMMIT goes with that statement, so PostgreSQL releases it
  // without waiting for the OC to read the answer and send COMMIT (src/db/transaction.ts). Shown by
  // keeping the OC's event loop blocked once the statement can go on: its events must still commit.
  it.runIf(process.env.DATABASE_URL)('commit a membership report with its last statement: the log head is released while the OC is busy', async () => {
    const url = oc.config.databaseUrl!;
    const holder = new pg.Client({ connectionString: url });
    holder.on('error', () => {}); // terminated below, on purpose
    await holder.connect();
    const holderPid = (await holder.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
    const before = BigInt((await sqlRows<{ p: string }>(oc.database, 'select coalesce(max(position), 0)::text as p from event_log'))[0]!.p);
    await holder.query('begin');
    await holder.query('select position from event_log_head where id = 1 for update');
    const report = reportMembership(oc.url, session, events('RUNNING'));
    // The report's statement waits for the head row.
    await waitFor(
      async () =>
        (await sqlRows<{ n: number }>(oc.database, `select count(*)::int as n from pg_locks where not granted and pid <> ${holderPid} and locktype in ('transactionid', 'tuple')`))[0]!.n > 0,
      "the report's statement to wait for the log head",
    );
    // From here on the OC's event loop is blocked: psql releases the head and then looks for the report's events.
    const psql = (query: string) => execFileSync('psql', [url, '-XAtqc', query], { encoding: 'utf8', timeout: 10_000 }).trim();
    psql(`select pg_terminate_backend(${holderPid})`);
    let seen = 0;
    const until = Date.now() + 5_000;
    while (Date.now() < until) {
      seen = Number(psql(`select count(*) from event_log where position > ${before}`));
      if (seen > 0) break;
      execFileSync('sleep', ['0.05']);
    }
    expect(seen).toBe(10);
    expect(await report).toMatchObject({ applied: 10 });
    await holder.end().catch(() => {});
  });
});
