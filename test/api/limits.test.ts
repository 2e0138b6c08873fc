import { randomUUID } from 'node:crypto';
import { getIntrospectionQuery, Kind, print, visit } from 'graphql';
import { FleetStripsDocument } from '../../console/src/gql/graphql.js';
import { STRIP_BATCH } from '../../console/src/lib/batches.js';
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/graphql/ids.js';
import { MAX_QUERY_ALIASES, MAX_QUERY_COST, MAX_QUERY_DIRECTIVES, MAX_QUERY_LENGTH, MAX_QUERY_TOKENS } from '../../src/server/limits.js';
import { gql, gqlOk, subscribe, wsClient } from '../support/client.js';
import { register, workerInputs } from '../support/fleet.js';
import { ADMIN_TOKEN, createToken, startTestOc, type TestOc } from '../support/oc.js';
import { waitFor } from '../support/wait.js';

// Each attack of issue 9, item 2: refused before it runs, with a stable code, over HTTP and
// graphql-ws; and what the repository's own clients send still passes.

let oc: TestOc;
let manager: string;
let viewer: string;
let operator: string;
let session: string;
let ws: Client;
beforeAll(async () => {
  oc = await startTestOc({}, { background: false });
  manager = (await createToken(oc.url, 'MANAGER', 'enrol')).token;
  viewer = (await createToken(oc.url, 'VIEWER')).token;
  operator = (await createToken(oc.url, 'OPERATOR')).token;
  session = (await register(oc.url, manager, { clusterName: 'limits-1', workers: workerInputs(3) })).sessionToken;
  ws = wsClient(oc.url, ADMIN_TOKEN);
});
afterAll(async () => {
  await ws?.dispose();
  await oc?.stop();
});

const codes = (r: { errors?: { extensions?: { code?: string } }[] }) => (r.errors ?? []).map((e) => e.extensions?.code);

/** The same operation over graphql-ws: its errors' codes once it ends. */
async function wsCodes(query: string, variables?: Record<string, unknown>, client = ws): Promise<(string | undefined)[]> {
  const sub = subscribe(client, query, variables);
  await waitFor(() => sub.done || sub.errors.length > 0, 'the operation to end');
  const errors = sub.errors.flatMap((e: any) => (Array.isArray(e) ? e : [e]));
  const fromEvents = sub.events.flatMap((e: any) => e?.errors ?? []);
  return [...errors, ...fromEvents].map((e: any) => e?.extensions?.code);
}

const TOPOLOGY = 'clusters(first: 100) { edges { node { workers(first: 1000) { edges { node { id memberId state } } } } } }';
const aliased = (n: number, field: string) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')} }`;

describe('a request that could stop the OC', () => {
  it("refuses 5,000 aliases of clusters { workers } (630 KB) from a manager's token with QUERY_TOO_LARGE", async () => {
    const query = aliased(5000, TOPOLOGY);
    expect(query.length).toBeGreaterThan(500_000);
    for (const token of [manager, session, ADMIN_TOKEN]) {
      const r = await gql(oc.url, token, query);
      expect(codes(r)).toEqual(['QUERY_TOO_LARGE']);
      expect(r.data ?? null).toBeNull();
    }
    expect(await wsCodes(query)).toEqual(['QUERY_TOO_LARGE']);
  });

  it('refuses 1,000 aliases of it, and 200,000 aliases of __typename, by their size; 500 by their tokens', async () => {
    expect(codes(await gql(oc.url, viewer, aliased(1000, TOPOLOGY)))).toEqual(['QUERY_TOO_LARGE']);
    expect(codes(await gql(oc.url, viewer, aliased(200_000, '__typename')))).toEqual(['QUERY_TOO_LARGE']);
    expect(await wsCodes(aliased(200_000, '__typename'))).toEqual(['QUERY_TOO_LARGE']);
    const fewer = aliased(500, TOPOLOGY);
    expect(fewer.length).toBeLessThan(MAX_QUERY_LENGTH);
    expect(codes(await gql(oc.url, viewer, fewer))).toEqual(['TOO_MANY_TOKENS']);
    expect(await wsCodes(fewer)).toEqual(['TOO_MANY_TOKENS']);
    // A document of few tokens padded with a comment is held to its length too.
    expect(codes(await gql(oc.url, viewer, `{ __typename } #${'x'.repeat(MAX_QUERY_LENGTH)}`))).toEqual(['QUERY_TOO_LARGE']);
  });

  it(`refuses more than ${MAX_QUERY_ALIASES} aliases with TOO_MANY_ALIASES, fragments counted at each spread`, async () => {
    expect(codes(await gql(oc.url, viewer, aliased(MAX_QUERY_ALIASES + 1, '__typename')))).toEqual(['TOO_MANY_ALIASES']);
    const spread = `query { ...A ...B } fragment A on Query { ${Array.from({ length: 20 }, (_, i) => `a${i}: __typename`).join(' ')} } fragment B on Query { ...A }`;
    expect(codes(await gql(oc.url, viewer, spread))).toEqual(['TOO_MANY_ALIASES']);
    expect(await wsCodes(aliased(MAX_QUERY_ALIASES + 1, '__typename'))).toEqual(['TOO_MANY_ALIASES']);
    const ok = await gql(oc.url, viewer, aliased(MAX_QUERY_ALIASES, '__typename'));
    expect(ok.errors).toBeUndefined();
  });

  it('refuses clusters(first: 100) { workers(first: 1000) } as QUERY_TOO_COMPLEX, before it runs', async () => {
    const query = `{ ${TOPOLOGY} }`;
    const r = await gql(oc.url, viewer, query);
    expect(codes(r)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(r.errors![0]!.message).toContain(String(MAX_QUERY_COST));
    expect(r.data ?? null).toBeNull();
    // The page sizes are read from the variables too.
    const byVariables = 'query($c: Int, $w: Int) { clusters(first: $c) { edges { node { workers(first: $w) { edges { node { id } } } } } } }';
    expect(codes(await gql(oc.url, viewer, byVariables, { c: 100, w: 1000 }))).toEqual(['QUERY_TOO_COMPLEX']);
    expect((await gql(oc.url, viewer, byVariables, { c: 40, w: 1000 })).errors).toBeUndefined();
    expect(await wsCodes(query)).toEqual(['QUERY_TOO_COMPLEX']);
    // A subscription's selection is costed too.
    const nested = 'workers(first: 1000) { edges { node { cluster { workers(first: 1000) { edges { node { id } } } } } } }';
    expect(await wsCodes(`subscription { membershipChanged { cluster { ${nested} } } }`)).toEqual(['QUERY_TOO_COMPLEX']);
  });

  it('refuses a fragment bomb (24 fragments each spreading the next twice) and keeps answering', async () => {
    let bomb = 'query Bomb { ...F0 }';
    for (let i = 0; i < 24; i++) bomb += ` fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`;
    bomb += ' fragment F24 on Query { system { clusterCount } }';
    expect(bomb.length).toBeLessThan(1024);
    const [refused, other] = await Promise.all([gql(oc.url, viewer, bomb), gql(oc.url, viewer, '{ system { clusterCount } }')]);
    expect(refused.errors?.length).toBeGreaterThan(0);
    expect(refused.data ?? null).toBeNull();
    expect(codes(refused)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(other.data).toEqual({ system: { clusterCount: 1 } });
    // With an alias at its end, the same bomb has 2^24 aliases.
    let deep = 'query Deep { ...G0 }';
    for (let i = 0; i < 24; i++) deep += ` fragment G${i} on Query { ...G${i + 1} ...G${i + 1} }`;
    deep += ' fragment G24 on Query { a: system { clusterCount } }';
    expect(codes(await gql(oc.url, viewer, deep))).toEqual(['TOO_MANY_ALIASES']);
    expect(await wsCodes(bomb)).toEqual(['QUERY_TOO_COMPLEX']);
    expect((await gqlOk(oc.url, viewer, '{ system { clusterCount } }')).system.clusterCount).toBe(1);
  });

  it(`refuses more than ${MAX_QUERY_DIRECTIVES} directives with TOO_MANY_DIRECTIVES`, async () => {
    const query = `{ system { clusterCount ${'@include(if: true) '.repeat(MAX_QUERY_DIRECTIVES + 1)} } }`;
    expect(codes(await gql(oc.url, viewer, query))).toEqual(['TOO_MANY_DIRECTIVES']);
    expect(await wsCodes(query)).toEqual(['TOO_MANY_DIRECTIVES']);
  });

  it(`stops parsing a document of more than ${MAX_QUERY_TOKENS} tokens`, async () => {
    const r = await gql(oc.url, viewer, `{ ${'__typename '.repeat(MAX_QUERY_TOKENS)} }`);
    expect(codes(r)).toEqual(['TOO_MANY_TOKENS']);
    expect(r.errors![0]!.message).toContain(String(MAX_QUERY_TOKENS));
  });
});

describe('what an error message echoes', () => {
  it('cuts an unknown field name short, and suggests no field names', async () => {
    const name = `x${'y'.repeat(10_000)}`;
    const r = await gql(oc.url, viewer, `{ ${name} clusterz { totalCount } }`);
    expect(r.errors?.length).toBe(2);
    for (const e of r.errors!) expect(e.message.length).toBeLessThan(200);
    expect(JSON.stringify(r.errors)).not.toContain('Did you mean');
    expect(r.errors![0]!.message).toContain('xyyy');
    const m = await gql(oc.url, session, `{ ${name} clusterz { totalCount } }`);
    expect(JSON.stringify(m.errors)).not.toContain('Did you mean');
    expect(JSON.stringify(m.errors).length).toBeLessThan(1000);
  });

  it("cuts a variable's value short when it does not coerce", async () => {
    for (const [query, variables] of [
      ['query($f: Int) { clusters(first: $f) { totalCount } }', { f: 'x'.repeat(10_000) }],
      ['query($h: ClusterHealth) { clusters(health: $h) { totalCount } }', { h: 'X'.repeat(10_000) }],
    ] as const) {
      const r = await gql(oc.url, viewer, query, variables);
      expect(codes(r)).toEqual(['BAD_USER_INPUT']);
      expect(r.errors![0]!.message.length).toBeLessThan(300);
    }
  });

  it('cuts a long token short in a syntax error', async () => {
    const r = await gql(oc.url, viewer, `{ "${'z'.repeat(10_000)}" }`);
    expect(r.errors?.length).toBe(1);
    expect(r.errors![0]!.message.length).toBeLessThan(200);
  });
});

describe('list sizes', () => {
  const ids = (n: number) => Array.from({ length: n }, (_, i) => toGlobalId('Cluster', `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`));
  const NODES = 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }';

  it('refuses nodes(ids:) with more than 100 ids, before reading any', async () => {
    const before = oc.database.queryCount;
    const r = await gql(oc.url, viewer, NODES, { ids: ids(50_000) });
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
    expect(r.errors![0]!.message).toMatch(/ids: at most 100 ids \(got 50000\)/);
    expect(oc.database.queryCount - before).toBeLessThanOrEqual(2); // the token's look-up, nothing read for the ids
    expect(codes(await gql(oc.url, viewer, '{ nodes(ids: ["a", "b"]) { id } }'.replace('"a", "b"', ids(101).map((i) => JSON.stringify(i)).join(','))))).toEqual(['BAD_USER_INPUT']);
    expect(await wsCodes(NODES, { ids: ids(101) })).toEqual(['BAD_USER_INPUT']);
  });

  it('answers nodes(ids:) with 100 ids', async () => {
    const d = await gqlOk(oc.url, viewer, NODES, { ids: ids(100) });
    expect(d.nodes).toHaveLength(100);
  });

  it("keeps every connection's documented cap on first, before the operation runs", async () => {
    for (const [query, max] of [
      ['{ clusters(first: 501) { totalCount } }', 500],
      ['{ system { clusters(first: 501) { totalCount } } }', 500],
      ['{ commands(first: 501) { totalCount } }', 500],
      ['{ cluster(name: "limits-1") { workers(first: 1001) { totalCount } } }', 1000],
      ['{ cluster(name: "limits-1") { commands(first: 501) { totalCount } } }', 500],
    ] as const) {
      const r = await gql(oc.url, viewer, query);
      expect(codes(r), query).toEqual(['BAD_USER_INPUT']);
      expect(r.errors![0]!.message).toContain(`between 0 and ${max}`);
    }
    expect((await gqlOk(oc.url, viewer, '{ cluster(name: "limits-1") { workers(first: 1000) { totalCount } } }')).cluster.workers.totalCount).toBe(3);
  });
});

describe('introspection', () => {
  const INTROSPECTION = getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true, oneOf: true });

  it("answers GraphiQL's introspection query to VIEWER, OPERATOR and ADMIN", async () => {
    for (const token of [viewer, operator, ADMIN_TOKEN]) {
      const d = await gqlOk(oc.url, token, INTROSPECTION);
      expect(d.__schema.queryType.name).toBe('Query');
    }
    expect((await gqlOk(oc.url, viewer, '{ __type(name: "Cluster") { name } }')).__type.name).toBe('Cluster');
  });

  it('refuses it to MANAGER tokens (enrollment and session) with FORBIDDEN, over HTTP and WebSocket', async () => {
    for (const token of [manager, session]) {
      for (const query of [INTROSPECTION, '{ __type(name: "Cluster") { name } }', 'query { ...S } fragment S on Query { __schema { types { name } } }']) {
        const r = await gql(oc.url, token, query);
        expect(codes(r)).toEqual(['FORBIDDEN']);
        expect(r.data ?? null).toBeNull();
      }
    }
    const managerWs = wsClient(oc.url, session);
    try {
      expect(await wsCodes('{ __schema { queryType { name } } }', undefined, managerWs)).toEqual(['FORBIDDEN']);
    } finally {
      await managerWs.dispose();
    }
    // __typename is no introspection.
    expect((await gqlOk(oc.url, session, '{ __typename }')).__typename).toBe('Query');
  });
});

describe('what the repository and a console send', () => {
  it("answers the console's fleet strips request at its batch size, as urql sends it (a __typename on every object)", async () => {
    // Before: 50 clusters a request cost 350,201 and every strip request was refused (a fleet of 36+ clusters showed no strips).
    const withTypename = visit(FleetStripsDocument, {
      SelectionSet: (node, _key, parent) =>
        parent && 'kind' in parent && parent.kind === 'OperationDefinition' ? undefined : { ...node, selections: [...node.selections, { kind: Kind.FIELD, name: { kind: Kind.NAME, value: '__typename' } }] },
    });
    const ids = Array.from({ length: STRIP_BATCH }, () => toGlobalId('Cluster', randomUUID()));
    const r = await gql(oc.url, viewer, print(withTypename), { ids });
    expect(r.errors).toBeUndefined();
    expect(r.data.nodes).toHaveLength(STRIP_BATCH);
  });

  it("answers the README's topology query and a console's 50 clusters with 100 workers each, over HTTP and WebSocket", async () => {
    const readme = '{ system { clusterCount workerCount stats { cpuPercent requestsPerSec } } clusters(first: 20) { totalCount edges { node { id name kind health workerCount manager { connected } } } } }';
    expect((await gqlOk(oc.url, viewer, readme)).system.clusterCount).toBe(1);
    const consoleQuery = `query Console($first: Int) { clusters(first: $first) { totalCount pageInfo { endCursor hasNextPage } edges { node {
      id name kind health workerCount
      manager { url connected lastSeenAt }
      workers(first: 100) { totalCount edges { node { id memberId state startedAt stats { cpuPercent memoryMb } artifacts { name version } } } }
      stats { cpuPercent requestsPerSec }
      artifacts { name version workerCount }
    } } } }`;
    const d = await gqlOk(oc.url, viewer, consoleQuery, { first: 50 });
    expect(d.clusters.edges[0].node.workers.totalCount).toBe(3);
    expect(await wsCodes(consoleQuery, { first: 50 })).toEqual([]);
    const big = `{ cluster(name: "limits-1") { workers(first: 1000) { totalCount pageInfo { endCursor } edges { cursor node { id memberId host port state startedAt joinedAt stateChangedAt artifacts { name version deployedAt } stats { sampledAt cpuPercent memoryMb requestsPerSec errorsPerSec } cluster { name } } } } } }`;
    expect((await gqlOk(oc.url, viewer, big)).cluster.workers.totalCount).toBe(3);
  });
});
