import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, gqlOk, subscribe, wsClient } from '../support/client.js';
import { sqlRows } from '../support/db.js';
import { register, reportMembership, reportStats, tryRegister, workerInputs } from '../support/fleet.js';
import { ADMIN_TOKEN, createToken, startTestOc, type TestOc } from '../support/oc.js';
import { waitFor } from '../support/wait.js';

let oc: TestOc;
beforeAll(async () => {
  oc = await startTestOc();
});
afterAll(async () => {
  await oc?.stop();
});

const VIEWER_QUERY = '{ viewer { tokenName role clusterId } }';

describe('authentication', () => {
  it('refuses an HTTP request without a token with 401 and UNAUTHENTICATED', async () => {
    const r = await gql(oc.url, null, VIEWER_QUERY);
    expect(r.status).toBe(401);
    expect(r.errors?.[0]?.extensions).toEqual({ code: 'UNAUTHENTICATED', reason: 'MISSING' });
    expect(r.data).toBeUndefined();
  });

  it('refuses an unknown token and a malformed Authorization header with 401', async () => {
    const unknown = await gql(oc.url, 'oc_not-a-token-anyone-made', VIEWER_QUERY);
    expect(unknown.status).toBe(401);
    expect(unknown.errors?.[0]?.extensions).toEqual({ code: 'UNAUTHENTICATED', reason: 'UNKNOWN' });
    const res = await fetch(`${oc.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${ADMIN_TOKEN}` },
      body: JSON.stringify({ query: VIEWER_QUERY }),
    });
    expect(res.status).toBe(401);
  });

  it('accepts the bootstrap admin token from the configuration', async () => {
    const d = await gqlOk(oc.url, ADMIN_TOKEN, VIEWER_QUERY);
    expect(d.viewer).toEqual({ tokenName: 'bootstrap-admin', role: 'ADMIN', clusterId: null });
  });

  it('closes a graphql-ws connection without a token with code 4401', async () => {
    const closes: number[] = [];
    const client = wsClient(oc.url, null, { onClose: (code) => closes.push(code) });
    const sub = subscribe(client, 'subscription { topologyChanged { change } }');
    await waitFor(() => closes.length > 0, 'the socket to close');
    expect(closes[0]).toBe(4401);
    expect(sub.events).toEqual([]);
    await client.dispose();
  });

  it('closes a graphql-ws connection with an unknown token with code 4401', async () => {
    const closes: number[] = [];
    const client = wsClient(oc.url, 'oc_unknown', { onClose: (code) => closes.push(code) });
    subscribe(client, 'subscription { topologyChanged { change } }');
    await waitFor(() => closes.length > 0, 'the socket to close');
    expect(closes[0]).toBe(4401);
    await client.dispose();
  });
});

describe('tokens', () => {
  it('stores token secrets only hashed (neither API tokens nor manager sessions hold the secret)', async () => {
    const { token } = await createToken(oc.url, 'VIEWER', 'hash-check');
    const enrollment = await createToken(oc.url, 'MANAGER', 'hash-check-enrollment');
    const { sessionToken } = await register(oc.url, enrollment.token, { clusterName: 'hash-check' });
    const tokenRows = await sqlRows<{ j: string }>(oc.database, 'select row_to_json(t)::text as j from api_tokens t');
    const sessionRows = await sqlRows<{ j: string }>(oc.database, 'select row_to_json(s)::text as j from manager_sessions s');
    expect(tokenRows.some((r) => r.j.includes('hash-check'))).toBe(true);
    expect(sessionRows.length).toBeGreaterThan(0);
    for (const secret of [token, enrollment.token, sessionToken]) {
      const body = secret.split('_').slice(1).join('_'); // the random part, without the "oc_" prefix
      expect(body.length).toBeGreaterThan(20);
      for (const r of [...tokenRows, ...sessionRows]) expect(r.j).not.toContain(body);
    }
    // ... and the secret still works: it is the hash that is looked up.
    expect((await gqlOk(oc.url, token, VIEWER_QUERY)).viewer.role).toBe('VIEWER');
  });

  it('lists tokens without their secrets, with name, role and dates', async () => {
    const { id } = await createToken(oc.url, 'OPERATOR', 'listed-operator');
    const d = await gqlOk(oc.url, ADMIN_TOKEN, '{ apiTokens { id name role createdAt lastUsedAt revokedAt } }');
    const t = d.apiTokens.find((x: any) => x.id === id);
    expect(t).toMatchObject({ name: 'listed-operator', role: 'OPERATOR', revokedAt: null });
    expect(Number.isNaN(Date.parse(t.createdAt))).toBe(false);
  });

  it('refuses a revoked token over HTTP at once, and closes its open WebSocket with 4401', async () => {
    const { token, id } = await createToken(oc.url, 'VIEWER', 'to-revoke');
    const closes: number[] = [];
    const client = wsClient(oc.url, token, { onClose: (code) => closes.push(code) });
    const live = subscribe(client, 'subscription { topologyChanged { change } }');
    // The socket is up and authenticated once an operation over it has answered.
    expect((await subscribe(client, VIEWER_QUERY).next()).viewer.tokenName).toBe('to-revoke');
    expect((await gqlOk(oc.url, token, VIEWER_QUERY)).viewer.role).toBe('VIEWER'); // warms the token cache too

    const r = await gqlOk(oc.url, ADMIN_TOKEN, 'mutation($id: ID!) { revokeApiToken(id: $id) { __typename ... on RevokeApiTokenPayload { apiToken { revokedAt } } } }', { id });
    expect(r.revokeApiToken.apiToken.revokedAt).not.toBeNull();

    const refused = await gql(oc.url, token, VIEWER_QUERY);
    expect(refused.status).toBe(401);
    expect(refused.errors?.[0]?.extensions).toEqual({ code: 'UNAUTHENTICATED', reason: 'REVOKED' });
    await waitFor(() => closes.length > 0, 'the revoked token’s socket to close');
    expect(closes[0]).toBe(4401);
    await waitFor(() => live.done, 'the subscription to end');
    // A new connection with it is refused too.
    const again: [number, string][] = [];
    const c2 = wsClient(oc.url, token, { onClose: (code, reason) => again.push([code, reason]) });
    subscribe(c2, 'subscription { topologyChanged { change } }');
    await waitFor(() => again.length > 0, 'the new socket to close');
    expect(again[0]).toEqual([4401, 'REVOKED']);
    await client.dispose();
    await c2.dispose();
  });

  it('ends the manager sessions made with a revoked enrollment token, and closes their sockets', async () => {
    const enrollment = await createToken(oc.url, 'MANAGER', 'enrollment-to-revoke');
    const { sessionToken } = await register(oc.url, enrollment.token, { clusterName: 'revoked-enrollment', workers: workerInputs(1) });
    const closes: number[] = [];
    let connected = false;
    const client = wsClient(oc.url, sessionToken, { lazy: false, onConnected: () => (connected = true), onClose: (code) => closes.push(code) });
    await waitFor(() => connected, 'the session’s socket to be accepted');
    expect((await subscribe(client, VIEWER_QUERY).next()).viewer.role).toBe('MANAGER');
    await gqlOk(oc.url, ADMIN_TOKEN, 'mutation($id: ID!) { revokeApiToken(id: $id) { __typename } }', { id: enrollment.id });
    const session = await gql(oc.url, sessionToken, VIEWER_QUERY);
    expect(session.status).toBe(401);
    expect(session.errors?.[0]?.extensions?.reason).toBe('REVOKED');
    expect((await gql(oc.url, enrollment.token, VIEWER_QUERY)).status).toBe(401);
    await waitFor(() => closes.length > 0, 'the session’s socket to close');
    expect(closes[0]).toBe(4401);
    await client.dispose();
  });

  it('answers revokeApiToken of an unknown or malformed id with a typed error, not a crash', async () => {
    const unknownId = Buffer.from('ApiToken:00000000-0000-4000-8000-000000000000').toString('base64');
    const d = await gqlOk(oc.url, ADMIN_TOKEN, 'mutation($id: ID!) { revokeApiToken(id: $id) { __typename ... on Error { code } } }', { id: unknownId });
    expect(d.revokeApiToken).toEqual({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
    const bad = await gqlOk(oc.url, ADMIN_TOKEN, 'mutation($id: ID!) { revokeApiToken(id: $id) { __typename ... on Error { code } } }', { id: 'garbage' });
    expect(bad.revokeApiToken).toEqual({ __typename: 'ValidationError', code: 'VALIDATION' });
  });

  it('refuses to make a non-MANAGER token bound to a cluster', async () => {
    const d = await gqlOk(oc.url, ADMIN_TOKEN, 'mutation { createApiToken(input: { name: "x", role: VIEWER, clusterName: "c1" }) { __typename ... on ValidationError { field } } }');
    expect(d.createApiToken).toEqual({ __typename: 'ValidationError', field: 'input.clusterName' });
  });
});

describe('manager scoping', () => {
  it('lets an enrollment token bound to a cluster register that cluster only', async () => {
    const { token } = await createToken(oc.url, 'MANAGER', 'bound-enrollment', 'bound-home');
    const r = await tryRegister(oc.url, token, { clusterName: 'bound-elsewhere' });
    expect(r.errors).toBeUndefined();
    expect(r.data.registerManager).toMatchObject({ __typename: 'ValidationError', field: 'input.clusterName' });
    const gone = await gqlOk(oc.url, ADMIN_TOKEN, '{ cluster(name: "bound-elsewhere") { id } }');
    expect(gone.cluster).toBeNull();
    const ok = await register(oc.url, token, { clusterName: 'bound-home' });
    expect(ok.sessionToken).toMatch(/^ocs_/);
  });

  it("keeps a manager session away from another cluster's data", async () => {
    const enrollment = await createToken(oc.url, 'MANAGER', 'scoping');
    const mine = await register(oc.url, enrollment.token, { clusterName: 'scope-mine', workers: workerInputs(2, { prefix: 'mine' }) });
    const other = await register(oc.url, enrollment.token, { clusterName: 'scope-other', workers: workerInputs(2, { prefix: 'other' }) });

    const viewer = await gqlOk(oc.url, mine.sessionToken, VIEWER_QUERY);
    expect(viewer.viewer).toEqual({ tokenName: 'scoping', role: 'MANAGER', clusterId: mine.clusterId });

    for (const q of [
      `{ cluster(id: "${other.clusterId}") { name } }`,
      '{ cluster(name: "scope-other") { name } }',
      `{ node(id: "${other.clusterId}") { id } }`,
      '{ clusters { totalCount } }',
      '{ system { clusterCount } }',
    ]) {
      const r = await gql(oc.url, mine.sessionToken, q);
      expect(r.errors?.[0]?.extensions?.code, q).toBe('FORBIDDEN');
      expect(JSON.stringify(r.data ?? null)).not.toContain('scope-other');
    }

    // Reports only ever land in the session's own cluster, whatever member ids they name.
    const stats = await reportStats(oc.url, mine.sessionToken, [{ memberId: 'other-000', cpuPercent: 99, memoryMb: 1, requestsPerSec: 1, errorsPerSec: 1 }]);
    expect(stats.accepted).toBe(0);
    const left = await reportMembership(oc.url, mine.sessionToken, [{ seq: 1, change: 'LEFT', worker: { memberId: 'other-000', host: 'x' } }]);
    expect(left.__typename).toBe('ReportMembershipPayload');
    const o = await gqlOk(oc.url, ADMIN_TOKEN, '{ cluster(name: "scope-other") { workerCount workers { edges { node { memberId stats { cpuPercent } } } } } }');
    expect(o.cluster.workerCount).toBe(2);
    expect(o.cluster.workers.edges.map((e: any) => e.node)).toEqual([
      { memberId: 'other-000', stats: null },
      { memberId: 'other-001', stats: null },
    ]);

    const closes: number[] = [];
    const client = wsClient(oc.url, mine.sessionToken, { onClose: (code) => closes.push(code) });
    const sub = subscribe(client, `subscription { membershipChanged(clusterId: "${other.clusterId}") { change } }`);
    await waitFor(() => sub.errors.length > 0, 'the subscription to be refused');
    expect(JSON.stringify(sub.errors)).toContain('FORBIDDEN');
    await client.dispose();
  });
});

// ---------------------------------------------------------------------------------------------
// The authorization matrix: every kind of caller against every operation that exists now.

type Caller = 'VIEWER' | 'OPERATOR' | 'ADMIN' | 'MANAGER enrollment' | 'manager session';
const CALLERS: Caller[] = ['VIEWER', 'OPERATOR', 'ADMIN', 'MANAGER enrollment', 'manager session'];

interface Case {
  /** The root field under test. */
  field: string;
  allowed: Caller[];
  /** Runs the operation as `caller`; `tag` makes its effect recognisable. */
  run(token: string, tag: string): Promise<{ status: number; data: any; errors?: { extensions?: { code?: string } }[] }>;
  /** Whether the operation's effect is visible (read as the bootstrap admin); queries have none. */
  effect?(tag: string): Promise<boolean>;
}

const tokens = {} as Record<Caller, string>;
let homeClusterId = '';
let nextSeq = 1;
const victims = new Map<string, string>(); // tag -> token id to revoke
const doomed = new Map<string, string>(); // tag -> cluster id to remove

const clusterByName = async (name: string) => (await gqlOk(oc.url, ADMIN_TOKEN, 'query($n: String!) { cluster(name: $n) { id } }', { n: name })).cluster;
const homeWorkers = async () =>
  (await gqlOk(oc.url, ADMIN_TOKEN, 'query($id: ID!) { node(id: $id) { ... on Cluster { workers { edges { node { memberId stats { cpuPercent } } } } } } }', { id: homeClusterId })).node.workers.edges.map(
    (e: any) => e.node,
  );
const tagNumber = (tag: string) => CALLERS.findIndex((c) => tag.endsWith(c.replace(/ /g, '-'))) + 11;

const CASES: Case[] = [
  {
    field: 'createApiToken',
    allowed: ['ADMIN'],
    run: (t, tag) => gql(oc.url, t, 'mutation($i: CreateApiTokenInput!) { createApiToken(input: $i) { __typename } }', { i: { name: `made-${tag}`, role: 'VIEWER' } }),
    effect: async (tag) => (await gqlOk(oc.url, ADMIN_TOKEN, '{ apiTokens { name } }')).apiTokens.some((x: any) => x.name === `made-${tag}`),
  },
  {
    field: 'revokeApiToken',
    allowed: ['ADMIN'],
    run: (t, tag) => gql(oc.url, t, 'mutation($id: ID!) { revokeApiToken(id: $id) { __typename } }', { id: victims.get(tag) }),
    effect: async (tag) => (await gqlOk(oc.url, ADMIN_TOKEN, '{ apiTokens { id revokedAt } }')).apiTokens.find((x: any) => x.id === victims.get(tag)).revokedAt !== null,
  },
  {
    field: 'registerManager',
    allowed: ['MANAGER enrollment'],
    run: (t, tag) => tryRegister(oc.url, t, { clusterName: `reg-${tag}` }),
    effect: async (tag) => (await clusterByName(`reg-${tag}`)) !== null,
  },
  {
    field: 'reportMembership',
    allowed: ['manager session'],
    run: (t, tag) =>
      gql(oc.url, t, 'mutation($i: ReportMembershipInput!) { reportMembership(input: $i) { __typename } }', {
        i: { events: [{ seq: nextSeq, change: 'JOINED', worker: { memberId: `joined-${tag}`, host: 'h' } }] },
      }).then((r) => {
        if (r.data?.reportMembership?.__typename === 'ReportMembershipPayload') nextSeq++;
        return r;
      }),
    effect: async (tag) => (await homeWorkers()).some((w: any) => w.memberId === `joined-${tag}`),
  },
  {
    field: 'reportStats',
    allowed: ['manager session'],
    run: (t, tag) =>
      gql(oc.url, t, 'mutation($i: ReportStatsInput!) { reportStats(input: $i) { __typename } }', {
        i: { samples: [{ memberId: 'home-000', cpuPercent: tagNumber(tag), memoryMb: 1, requestsPerSec: 1, errorsPerSec: 0 }] },
      }),
    effect: async (tag) => (await homeWorkers()).find((w: any) => w.memberId === 'home-000').stats?.cpuPercent === tagNumber(tag),
  },
  {
    field: 'removeCluster',
    allowed: ['ADMIN'],
    run: (t, tag) => gql(oc.url, t, 'mutation($id: ID!) { removeCluster(id: $id) { __typename } }', { id: doomed.get(tag) }),
    effect: async (tag) => (await clusterByName(`doomed-${tag}`)) === null,
  },
  {
    field: 'releaseCluster',
    allowed: ['ADMIN'],
    run: (t, tag) => gql(oc.url, t, 'mutation($n: String!) { releaseCluster(name: $n) { __typename } }', { n: `bound-${tag}` }),
    effect: async (tag) => (await sqlRows<{ t: string | null }>(oc.database, `select enrolled_by_token_id as t from clusters where name = 'bound-${tag}'`))[0]?.t === null,
  },
  { field: 'apiTokens', allowed: ['ADMIN'], run: (t) => gql(oc.url, t, '{ apiTokens { id } }') },
  { field: 'auditLog', allowed: ['ADMIN'], run: (t) => gql(oc.url, t, '{ auditLog(first: 1) { totalCount } }') },
  { field: 'clusters', allowed: ['VIEWER', 'OPERATOR', 'ADMIN'], run: (t) => gql(oc.url, t, '{ clusters { totalCount edges { node { name } } } }') },
  { field: 'cluster', allowed: ['VIEWER', 'OPERATOR', 'ADMIN'], run: (t) => gql(oc.url, t, '{ cluster(name: "matrix-home") { name } }') },
  { field: 'node', allowed: ['VIEWER', 'OPERATOR', 'ADMIN'], run: (t) => gql(oc.url, t, 'query($id: ID!) { node(id: $id) { id } }', { id: homeClusterId }) },
  { field: 'system', allowed: ['VIEWER', 'OPERATOR', 'ADMIN'], run: (t) => gql(oc.url, t, '{ system { clusterCount workerCount } }') },
  { field: 'viewer', allowed: CALLERS, run: (t) => gql(oc.url, t, VIEWER_QUERY) },
];

const MATRIX = CASES.flatMap((c) =>
  CALLERS.map((caller) => {
    const ok = c.allowed.includes(caller);
    const sentence = ok ? `${caller} may use ${c.field}` : `${caller} gets FORBIDDEN from ${c.field}, and nothing changes`;
    return [sentence, { ...c, caller, ok }] as const;
  }),
);

describe('authorization matrix', () => {
  beforeAll(async () => {
    tokens.VIEWER = (await createToken(oc.url, 'VIEWER', 'matrix-viewer')).token;
    tokens.OPERATOR = (await createToken(oc.url, 'OPERATOR', 'matrix-operator')).token;
    tokens.ADMIN = (await createToken(oc.url, 'ADMIN', 'matrix-admin')).token;
    tokens['MANAGER enrollment'] = (await createToken(oc.url, 'MANAGER', 'matrix-enrollment')).token;
    for (const caller of CALLERS) {
      const tag = caller.replace(/ /g, '-');
      victims.set(tag, (await createToken(oc.url, 'VIEWER', `victim-${tag}`)).id);
      doomed.set(tag, (await register(oc.url, tokens['MANAGER enrollment'], { clusterName: `doomed-${tag}` })).clusterId);
      await register(oc.url, tokens['MANAGER enrollment'], { clusterName: `bound-${tag}` });
    }
    const home = await register(oc.url, tokens['MANAGER enrollment'], { clusterName: 'matrix-home', workers: workerInputs(2, { prefix: 'home' }) });
    tokens['manager session'] = home.sessionToken;
    homeClusterId = home.clusterId;
  });

  it.each(MATRIX)('%s', async (_sentence, c) => {
    const tag = c.caller.replace(/ /g, '-');
    const r = await c.run(tokens[c.caller], tag);
    expect(r.status).toBe(200);
    if (c.ok) {
      expect(r.errors).toBeUndefined();
      expect(r.data[c.field]).not.toBeNull();
      if (r.data[c.field].__typename) expect(r.data[c.field].__typename).toMatch(/Payload$/);
      if (c.effect) expect(await c.effect(tag)).toBe(true);
    } else {
      expect(r.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
      expect(r.data?.[c.field] ?? null).toBeNull();
      if (c.effect) expect(await c.effect(tag)).toBe(false);
    }
  });
});
