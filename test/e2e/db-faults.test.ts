import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { gql, gqlOk, metricValue, subscribeReady, wsClient } from '../support/client.js';
import { REGISTER_MANAGER, workerInputs } from '../support/fleet.js';
import { createTestDatabase, TEST_DATABASE_URL } from '../support/db.js';
import { type OcProcess, spawnOc } from '../support/oc-process.js';
import { waitFor } from '../support/wait.js';

/**
 * Lost database connections (a failover, a restart, idle_in_transaction_session_timeout), made
 * with pg_terminate_backend on the OC's own backends, against OC processes (a crash is seen).
 */

const ADMIN = 'db-faults-admin-token-0123456789';
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** A fresh database, and a connection of our own to it (to look at and terminate the OC's backends). */
async function database() {
  const db = await createTestDatabase();
  cleanups.push(() => db.drop());
  const admin = new pg.Client({ connectionString: db.url! });
  admin.on('error', () => {});
  await admin.connect();
  cleanups.push(() => admin.end().catch(() => {}));
  /** Terminates the backends of the OC's database (all but ours) that `where` selects; returns their pids. */
  const terminate = async (where = 'true'): Promise<number[]> => {
    const r = await admin.query(
      `select pid, pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and (${where})`,
    );
    return r.rows.map((row) => row.pid as number);
  };
  const pids = async (where: string): Promise<number[]> =>
    (await admin.query(`select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and (${where})`)).rows.map((r) => r.pid);
  return { url: db.url!, admin, terminate, pids };
}

async function start(url: string) {
  const oc = await spawnOc({ DATABASE_URL: url, OC_ADMIN_TOKEN: ADMIN });
  cleanups.push(() => oc.kill('SIGKILL').then(() => {}));
  return oc;
}

const alive = (oc: OcProcess) => {
  if (oc.exited) throw new Error(`the OC process died:\n${oc.log.slice(-20).join('\n')}`);
  return true;
};

async function createToken(url: string, role: string, name: string) {
  const d = await gqlOk(url, ADMIN, `mutation($i: CreateApiTokenInput!) { createApiToken(input: $i) { ... on ApiTokenPayload { token apiToken { id } } } }`, {
    i: { name, role },
  });
  return { token: d.createApiToken.token as string, id: d.createApiToken.apiToken.id as string };
}

const REVOKE = `mutation($id: ID!) { revokeApiToken(id: $id) { __typename ... on RevokeApiTokenPayload { apiToken { revokedAt } } } }`;

let registrations = 0;
const registerInput = (prefix: string) => ({
  clusterName: `${prefix}-${registrations++}`,
  kind: 'AS',
  host: 'h',
  url: 'https://h.example/console',
  workers: workerInputs(20),
});

describe.skipIf(!TEST_DATABASE_URL)('losing database connections (PostgreSQL only: PGlite has no connection to lose)', () => {
  it('stays up when connections idle in a transaction are terminated under load: the requests in flight fail with DATABASE_UNAVAILABLE, later ones succeed', async () => {
    const db = await database();
    const oc = await start(db.url);
    const enroll = (await createToken(oc.url, 'MANAGER', 'load')).token;

    // Load: registrations (one transaction of several statements each) from 8 callers at once.
    let loading = true;
    const codes = new Map<string, number>();
    const seen = (code: string) => codes.set(code, (codes.get(code) ?? 0) + 1);
    const caller = async () => {
      while (loading && !oc.exited) {
        try {
          const r = await gql(oc.url, enroll, REGISTER_MANAGER, { input: registerInput('load') });
          if (r.errors?.length) for (const e of r.errors) seen(String(e.extensions?.code));
          else seen(r.data.registerManager.__typename);
        } catch {
          seen('NO_ANSWER'); // the process is gone, or the connection was cut
        }
      }
    };
    const callers = Array.from({ length: 8 }, caller);

    // Terminate whichever of its connections is found idle in a transaction, until that happened 3 times.
    let killed = 0;
    try {
      await waitFor(
        async () => {
          if (oc.exited) return true; // failed just below
          killed += (await db.terminate(`state = 'idle in transaction'`)).length;
          return killed >= 3 && (codes.get('DATABASE_UNAVAILABLE') ?? 0) >= 1;
        },
        'three connections idle in a transaction terminated, and a request failed for it',
        60_000,
        5,
      );
    } finally {
      loading = false;
      await Promise.all(callers);
    }
    alive(oc);
    // Every failure said what happened; nothing was an internal error, and the process answered every call.
    expect([...codes.keys()].sort()).toEqual(['DATABASE_UNAVAILABLE', 'RegisterManagerPayload']);

    // And it goes on: new connections are opened for later requests.
    const after = await gqlOk(oc.url, enroll, REGISTER_MANAGER, { input: registerInput('after') });
    expect(after.registerManager.__typename).toBe('RegisterManagerPayload');
    expect(alive(oc)).toBe(true);
  });

  it('fails a mutation whose connection is lost mid-transaction with DATABASE_UNAVAILABLE and keeps none of its writes', async () => {
    const db = await database();
    const oc = await start(db.url);
    const enrollment = await createToken(oc.url, 'MANAGER', 'victim');
    await gqlOk(oc.url, enrollment.token, REGISTER_MANAGER, { input: registerInput('victim') });
    const revokedAt = async () =>
      (await gqlOk(oc.url, ADMIN, '{ apiTokens { id revokedAt } }')).apiTokens.find((t: { id: string }) => t.id === enrollment.id).revokedAt;

    // revokeApiToken revokes the token, then the manager sessions it enrolled: hold their rows, so
    // the mutation waits there with its first write made, and lose its connection then.
    // (From a connection of its own: pg_stat_activity is read once per transaction.)
    const locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    cleanups.push(() => locker.end().catch(() => {}));
    await locker.query('begin');
    await locker.query('select id from manager_sessions for update');
    const inFlight = gql(oc.url, ADMIN, REVOKE, { id: enrollment.id });
    const [pid] = await waitFor(async () => {
      const p = await db.pids(`wait_event_type = 'Lock' and backend_xid is not null`);
      return p.length ? p : null;
    }, 'the revocation to wait for the session rows, its first write made');
    await db.terminate(`pid = ${pid}`);
    const r = await inFlight;
    await locker.query('rollback');

    expect(r.errors?.[0]?.extensions?.code).toBe('DATABASE_UNAVAILABLE');
    expect(r.errors?.[0]?.message).toMatch(/database connection was lost.*rolled back.*retry/);
    alive(oc);
    // Nothing of it stayed: the token is not revoked. Retried, it is done.
    expect(await revokedAt()).toBeNull();
    const again = await gqlOk(oc.url, ADMIN, REVOKE, { id: enrollment.id });
    expect(again.revokeApiToken.apiToken.revokedAt).toBeTruthy();
    expect(await revokedAt()).toBeTruthy();
  });

  it('with two instances, reconnects the LISTEN connection: a subscriber on B hears events caused on A again, and a token revoked on A closes its socket on B', async () => {
    const db = await database();
    const a = await start(db.url);
    const b = await start(db.url);
    const enroll = (await createToken(a.url, 'MANAGER', 'two')).token;
    const viewer = await createToken(a.url, 'VIEWER', 'watcher');

    const closes: number[] = [];
    let connected = false;
    const viewerWs = wsClient(b.url, viewer.token, { lazy: false, onConnected: () => (connected = true), onClose: (code) => closes.push(code) });
    cleanups.push(() => viewerWs.dispose());
    await waitFor(() => connected, "the viewer's socket on B to open");
    const adminWs = wsClient(b.url, ADMIN);
    cleanups.push(() => adminWs.dispose());
    const sub = await subscribeReady(b.url, adminWs, 'subscription { topologyChanged { change cluster { name } } }');
    await gqlOk(a.url, enroll, REGISTER_MANAGER, { input: registerInput('before') });
    await sub.waitFor((e) => e.topologyChanged.cluster.name.startsWith('before'));

    // Every connection of both instances is lost, their LISTEN connections with them.
    const listeners = await db.pids(`query ilike 'LISTEN%'`);
    expect(listeners).toHaveLength(2);
    await db.terminate();
    await waitFor(async () => (await db.pids(`pid in (${listeners.join(',')})`)).length === 0, 'the LISTEN backends to be gone');

    // A revocation on A, likely while B does not listen: B finds out once it listens again.
    await waitFor(async () => (await gql(a.url, ADMIN, REVOKE, { id: viewer.id })).data?.revokeApiToken?.apiToken?.revokedAt, 'the revocation on A');
    await waitFor(() => closes.length > 0, "the revoked token's socket on B to be closed", 20_000);
    expect(closes).toEqual([4401]);

    // Events caused on A reach B's subscriber again (one a try: what happens before B listens again is lost).
    const heard = () => sub.events.filter((e) => e.topologyChanged.cluster.name.startsWith('again')).length;
    await waitFor(
      async () => {
        await gql(a.url, enroll, REGISTER_MANAGER, { input: registerInput('again') });
        return heard() > 0;
      },
      "an event caused on A to reach B's subscriber",
      20_000,
      200,
    );
    alive(a);
    alive(b);
    expect(b.log.some((l) => l.includes('LISTEN connection restored'))).toBe(true);
  });

  it('answers /readyz 503 while the database refuses connections and 200 once it is back; /healthz answers 200 throughout', async () => {
    const db = await database();
    const oc = await start(db.url);
    const name = (await db.admin.query('select current_database() as name')).rows[0].name as string;
    // (A database's connections are switched off from a connection to another one.)
    const server = new pg.Client({ connectionString: TEST_DATABASE_URL! });
    await server.connect();
    cleanups.push(() => server.end().catch(() => {}));
    expect((await fetch(`${oc.url}/readyz`)).status).toBe(200);
    // /metrics from loopback needs no token; the gauge says whether this instance hears the others.
    const bridge = () => metricValue(oc.url, 'oc_event_bridge_connected');
    expect(await bridge()).toBe(1);

    await server.query(`alter database ${name} allow_connections false`);
    try {
      await db.terminate();
      const r = await waitFor(async () => {
        const res = await fetch(`${oc.url}/readyz`);
        return res.status === 503 ? res : null;
      }, '/readyz to say 503');
      expect(await r.json()).toMatchObject({ status: 'unavailable', reason: expect.stringContaining('database') });
      expect((await fetch(`${oc.url}/healthz`)).status).toBe(200);
      // A request that needs the database says why it failed.
      const failed = await gql(oc.url, ADMIN, '{ clusters { totalCount } }');
      expect(failed.errors?.[0]?.extensions?.code).toBe('DATABASE_UNAVAILABLE');
      // Its LISTEN connection cannot come back while the database refuses: the gauge an alert watches.
      await waitFor(async () => (await bridge()) === 0, 'oc_event_bridge_connected to say 0');
    } finally {
      await server.query(`alter database ${name} allow_connections true`);
    }
    await waitFor(async () => (await fetch(`${oc.url}/readyz`)).status === 200, '/readyz to say 200 again');
    expect((await gqlOk(oc.url, ADMIN, '{ clusters { totalCount } }')).clusters.totalCount).toBe(0);
    await waitFor(async () => (await bridge()) === 1, 'oc_event_bridge_connected to say 1 again', 20_000);
    alive(oc);
  });
});
