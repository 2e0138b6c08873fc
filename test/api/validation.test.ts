import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, gqlOk, subscribe, wsClient } from '../support/client.js';
import { REGISTER_MANAGER, REPORT_MEMBERSHIP, REPORT_STATS, REPORT_TASK, register, workerInputs } from '../support/fleet.js';
import { ADMIN_TOKEN, createToken, startTestOc, type TestOc } from '../support/oc.js';
import { ScriptedManager } from '../support/scripted-manager.js';
import { waitFor } from '../support/wait.js';

/**
 * Input the database cannot store (NUL, lone UTF-16 surrogates, dates outside PostgreSQL's
 * range, JSON nested without bound) is refused at the edge, naming the field, and never reaches
 * SQL; documents nested without bound are refused before they are parsed.
 */

let oc: TestOc;
let enroll: string;
let operator: string;
const managers: ScriptedManager[] = [];

const RUN = `mutation($i: RunManagerOperationInput!) { runManagerOperation(input: $i) { __typename ... on OperationPayload { result } ... on ValidationError { field } ... on Error { code message } } }`;
const NUL = '\u0000';
const LONE = '\uD800';
const FAR_PAST = '-200000-01-01T00:00:00Z';

beforeAll(async () => {
  oc = await startTestOc();
  enroll = (await createToken(oc.url, 'MANAGER', 'validation')).token;
  operator = (await createToken(oc.url, 'OPERATOR', 'validation-ops')).token;
});

afterAll(async () => {
  for (const m of managers) await m.stop();
  await oc?.stop();
});

/** No answer of the OC may be an internal error, nor carry a stack trace. */
function noInternal(r: { status: number; errors?: { extensions?: { code?: string } }[] }) {
  expect(r.status).toBeLessThan(500);
  expect(r.errors?.map((e) => e.extensions?.code) ?? []).not.toContain('INTERNAL_SERVER_ERROR');
  expect(JSON.stringify(r)).not.toMatch(/\bat .*\.(ts|js):\d+/);
}

/** A GraphQL input error (BAD_USER_INPUT) whose message names `path`. */
function badInput(r: Awaited<ReturnType<typeof gql>>, path: string) {
  noInternal(r);
  expect(r.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  expect(r.errors?.[0]?.message).toContain(path);
}

describe('JSON values', () => {
  it('refuses a NUL character in runManagerOperation arguments (a string or a key) as a ValidationError naming input.arguments, and creates no command', async () => {
    const m = new ScriptedManager(oc.url, enroll, 'json-ops', 'ESB', ['w1']);
    managers.push(m);
    m.operations = { echo: (args: unknown) => args };
    await m.register();
    m.connect();
    const commands = async () => (await gqlOk(oc.url, ADMIN_TOKEN, 'query($id: ID!) { node(id: $id) { ... on Cluster { commands { totalCount } } } }', { id: m.clusterId })).node.commands.totalCount;
    for (const args of [{ name: `a${NUL}b` }, { [`k${NUL}`]: 1 }, [[`x${NUL}`]], { s: `lone ${LONE} surrogate` }]) {
      const r = await gql(oc.url, operator, RUN, { i: { clusterId: m.clusterId, operation: 'echo', arguments: args } });
      noInternal(r);
      expect(r.data.runManagerOperation).toMatchObject({ __typename: 'ValidationError', field: 'input.arguments' });
    }
    expect(await commands()).toBe(0);
    // The same operation with storable arguments goes through.
    const ok = await gqlOk(oc.url, operator, RUN, { i: { clusterId: m.clusterId, operation: 'echo', arguments: { name: 'ab' } } });
    expect(ok.runManagerOperation).toEqual({ __typename: 'OperationPayload', result: { name: 'ab' } });
  });

  it('refuses JSON nested deeper than the limit, as a variable and inline, without a crash', async () => {
    // Written by hand: JSON.stringify itself overflows on values this deep.
    const deep = `${'['.repeat(5000)}1${']'.repeat(5000)}`;
    const res = await fetch(`${oc.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${operator}` },
      body: `{"query": ${JSON.stringify(RUN)}, "variables": {"i": {"clusterId": "x", "operation": "echo", "arguments": ${deep}}}}`,
    });
    const body = (await res.json()) as any;
    badInput({ status: res.status, data: body.data, errors: body.errors }, 'arguments');
    for (const depth of [64, 65]) {
      const nested = await gql(oc.url, operator, RUN, { i: { clusterId: 'x', operation: 'echo', arguments: JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`) } });
      noInternal(nested);
      if (depth <= 64) expect(nested.data.runManagerOperation).toMatchObject({ __typename: 'ValidationError', field: 'input.clusterId' });
      else expect(nested.errors?.[0]?.message).toContain('at most 64 levels');
    }
    const inline = await gql(oc.url, operator, `mutation { runManagerOperation(input: { clusterId: "x", operation: "echo", arguments: ${'['.repeat(100)}1${']'.repeat(100)} }) { __typename } }`);
    noInternal(inline);
    expect(inline.errors?.length).toBeGreaterThan(0);
  });

  it('refuses a NUL in a reportTask result as a ValidationError naming input.result; the task stays open and takes the corrected report', async () => {
    const r = await register(oc.url, enroll, { clusterName: 'json-result', workers: workerInputs(1), operations: [{ name: 'answer' }] });
    const ws = wsClient(oc.url, r.sessionToken);
    const tasks = subscribe<{ managerTasks: { id: string } }>(ws, 'subscription { managerTasks { id } }');
    try {
      const pending = gql(oc.url, operator, RUN, { i: { clusterId: r.clusterId, operation: 'answer', timeoutMs: 20_000 } });
      const task = (await tasks.next()).managerTasks;
      const bad = await gql(oc.url, r.sessionToken, REPORT_TASK, { input: { taskId: task.id, state: 'SUCCEEDED', result: { out: `x${NUL}y` } } });
      noInternal(bad);
      expect(bad.data.reportTask).toMatchObject({ __typename: 'ValidationError', field: 'input.result' });
      const good = await gqlOk(oc.url, r.sessionToken, REPORT_TASK, { input: { taskId: task.id, state: 'SUCCEEDED', result: { out: 'xy' } } });
      expect(good.reportTask).toMatchObject({ __typename: 'ReportTaskPayload', task: { state: 'SUCCEEDED' } });
      expect((await pending).data.runManagerOperation).toEqual({ __typename: 'OperationPayload', result: { out: 'xy' } });
    } finally {
      tasks.close();
      await ws.dispose();
    }
  });

  it('refuses a lone surrogate in an operation inputSchema at registration, naming the field', async () => {
    const r = await gql(oc.url, enroll, REGISTER_MANAGER, {
      input: { clusterName: 'schema-surrogate', kind: 'ESB', host: 'h', url: 'http://h:1', workers: [], operations: [{ name: 'op', inputSchema: { title: `t${LONE}` } }] },
    });
    noInternal(r);
    expect(r.data.registerManager).toMatchObject({ __typename: 'ValidationError', field: 'input.operations[0].inputSchema' });
  });
});

describe('texts', () => {
  it('refuses a lone surrogate in an artifact version at registration, naming the field, and registers nothing', async () => {
    const workers = workerInputs(1, { artifacts: [{ name: 'app', version: `1.0${LONE}` }] });
    const r = await gql(oc.url, enroll, REGISTER_MANAGER, { input: { clusterName: 'surrogate', kind: 'AS', host: 'h', url: 'http://h:1', workers } });
    noInternal(r);
    expect(r.data.registerManager).toMatchObject({ __typename: 'ValidationError', field: 'input.workers[0].artifacts[0].version' });
    expect((await gqlOk(oc.url, ADMIN_TOKEN, '{ cluster(name: "surrogate") { id } }')).cluster).toBeNull();
  });

  it('refuses lone surrogates in one-line texts (a host, a token name)', async () => {
    const reg = await gql(oc.url, enroll, REGISTER_MANAGER, { input: { clusterName: 'host-surrogate', kind: 'AS', host: `h${LONE}`, url: 'http://h:1', workers: [] } });
    noInternal(reg);
    expect(reg.data.registerManager).toMatchObject({ __typename: 'ValidationError', field: 'input.host' });
    const tok = await gql(oc.url, ADMIN_TOKEN, 'mutation($i: CreateApiTokenInput!) { createApiToken(input: $i) { __typename ... on ValidationError { field } } }', { i: { name: `n${LONE}`, role: 'VIEWER' } });
    noInternal(tok);
    expect(tok.data.createApiToken).toEqual({ __typename: 'ValidationError', field: 'input.name' });
  });
});

describe('dates', () => {
  it('refuses dates outside the range the database stores, as BAD_USER_INPUT naming the field (registration, membership, stats, statsHistory)', async () => {
    const r = await register(oc.url, enroll, { clusterName: 'dates', workers: workerInputs(1) });
    for (const when of [FAR_PAST, '+275760-09-13T00:00:00Z', '0000-12-31T23:59:59Z', '10000-01-01T00:00:00Z']) {
      const reg = await gql(oc.url, enroll, REGISTER_MANAGER, {
        input: { clusterName: 'dates', kind: 'AS', host: 'h', url: 'http://h:1', workers: [{ ...workerInputs(1)[0], startedAt: when }] },
      });
      badInput(reg, 'input.workers[0].startedAt');
      const art = await gql(oc.url, enroll, REGISTER_MANAGER, {
        input: { clusterName: 'dates', kind: 'AS', host: 'h', url: 'http://h:1', workers: [{ ...workerInputs(1)[0], artifacts: [{ name: 'a', version: '1', deployedAt: when }] }] },
      });
      badInput(art, 'input.workers[0].artifacts[0].deployedAt');
      const mem = await gql(oc.url, r.sessionToken, REPORT_MEMBERSHIP, { input: { events: [{ seq: 1, change: 'STATE_CHANGED', worker: { memberId: 'w-000', host: 'h', startedAt: when } }] } });
      badInput(mem, 'input.events[0].worker.startedAt');
      const st = await gql(oc.url, r.sessionToken, REPORT_STATS, { input: { samples: [{ memberId: 'w-000', at: when, cpuPercent: 1, memoryMb: 1, requestsPerSec: 1, errorsPerSec: 0 }] } });
      badInput(st, 'input.samples[0].at');
      const hist = await gql(oc.url, ADMIN_TOKEN, 'query($s: DateTime, $u: DateTime) { cluster(name: "dates") { statsHistory(since: $s, until: $u) { cpuPercent } } }', { s: when });
      badInput(hist, '$s');
      const inline = await gql(oc.url, ADMIN_TOKEN, `{ cluster(name: "dates") { statsHistory(until: "${when}") { cpuPercent } } }`);
      noInternal(inline);
      expect(inline.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    }
    // The edges of the range are taken.
    const edge = await gqlOk(oc.url, r.sessionToken, REPORT_MEMBERSHIP, {
      input: { events: [{ seq: 1, change: 'STATE_CHANGED', worker: { memberId: 'w-000', host: 'h', startedAt: '0001-01-01T00:00:00Z' } }, { seq: 2, change: 'STATE_CHANGED', worker: { memberId: 'w-000', host: 'h', startedAt: '9999-12-31T23:59:59.999Z' } }] },
    });
    expect(edge.reportMembership).toEqual({ __typename: 'ReportMembershipPayload', acceptedThroughSeq: 2, applied: 2 });
    const w = await gqlOk(oc.url, ADMIN_TOKEN, '{ cluster(name: "dates") { workers { edges { node { startedAt } } } } }');
    expect(w.cluster.workers.edges[0].node.startedAt).toBe('9999-12-31T23:59:59.999Z');
  });
});

describe('lookups and cursors', () => {
  it('answers a name, a kind or a cursor the database cannot hold with BAD_USER_INPUT naming it, not an internal error', async () => {
    const cursor = (key: string) => Buffer.from(key, 'utf8').toString('base64url');
    const cases: [string, Record<string, unknown>, string][] = [
      ['query($n: String!) { cluster(name: $n) { id } }', { n: `a${NUL}b` }, 'name'],
      ['query($n: String!) { cluster(name: $n) { id } }', { n: `a${LONE}b` }, 'name'],
      ['query($k: String) { clusters(kind: $k) { totalCount } }', { k: `a${NUL}` }, 'kind'],
      ['query($k: String) { system { clusters(kind: $k) { totalCount } } }', { k: LONE }, 'kind'],
      ['query($a: String) { clusters(after: $a) { totalCount } }', { a: cursor(`cluster:x${NUL}`) }, 'after'],
      ['query($a: String) { commands(after: $a) { totalCount } }', { a: cursor('command:2026|not-a-uuid') }, 'after'],
      ['query($a: String) { commands(after: $a) { totalCount } }', { a: cursor('command:-200000-01-01T00:00:00Z|00000000-0000-0000-0000-000000000000') }, 'after'],
    ];
    for (const [query, variables, field] of cases) {
      const r = await gql(oc.url, ADMIN_TOKEN, query, variables);
      noInternal(r);
      expect(r.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
      expect(r.errors?.[0]?.message).toMatch(new RegExp(`^${field} `));
    }
    // Texts the database holds are looked up as before.
    expect((await gqlOk(oc.url, ADMIN_TOKEN, 'query($n: String!) { cluster(name: $n) { id } }', { n: 'no such\tcluster' })).cluster).toBeNull();
  });
});

describe('membership stream', () => {
  it('answers a batch with an event the database cannot store with a ValidationError naming it, and takes the next valid batch at the same seq', async () => {
    const r = await register(oc.url, enroll, { clusterName: 'stream', workers: workerInputs(2) });
    const send = (events: unknown[]) => gql(oc.url, r.sessionToken, REPORT_MEMBERSHIP, { input: { events } });
    const ok = await send([{ seq: 1, change: 'STATE_CHANGED', worker: { memberId: 'w-000', host: 'h', state: 'STOPPING' } }]);
    expect(ok.data.reportMembership).toMatchObject({ acceptedThroughSeq: 1 });
    for (const bad of [
      { memberId: 'w-001', host: 'h', artifacts: [{ name: 'app', version: `2.0${LONE}` }] },
      { memberId: 'w-001', host: 'h', artifacts: [{ name: `app${NUL}`, version: '2.0' }] },
      { memberId: `w-001${LONE}`, host: 'h' },
    ]) {
      const refused = await send([
        { seq: 2, change: 'STATE_CHANGED', worker: { memberId: 'w-000', host: 'h', state: 'RUNNING' } },
        { seq: 3, change: 'STATE_CHANGED', worker: bad },
      ]);
      noInternal(refused);
      expect(refused.data.reportMembership).toMatchObject({ __typename: 'ValidationError', field: expect.stringMatching(/^input\.events\[1\]\.worker\./) });
    }
    const next = await send([
      { seq: 2, change: 'STATE_CHANGED', worker: { memberId: 'w-000', host: 'h', state: 'RUNNING' } },
      { seq: 3, change: 'STATE_CHANGED', worker: { memberId: 'w-001', host: 'h', artifacts: [{ name: 'app', version: '2.0' }] } },
    ]);
    expect(next.data.reportMembership).toEqual({ __typename: 'ReportMembershipPayload', acceptedThroughSeq: 3, applied: 2 });
    const after = await send([{ seq: 4, change: 'LEFT', worker: { memberId: 'w-001', host: 'h' } }]);
    expect(after.data.reportMembership).toMatchObject({ acceptedThroughSeq: 4, applied: 1 });
  });
});

describe('documents nested without bound', () => {
  const deepList = `{ clusters(kind: ${'['.repeat(3000)}"AS"${']'.repeat(3000)}) { totalCount } }`;
  const deepSelection = `{ ${'viewer { '.repeat(10_000)}role${' }'.repeat(10_000)} }`;
  const deepJsonLiteral = `mutation { runManagerOperation(input: { clusterId: "x", operation: "o", arguments: ${'{a: '.repeat(3000)}1${'}'.repeat(3000)} }) { __typename } }`;

  it('answers a 3,000-level list literal, a 10,000-level selection and deep object literals with an error over HTTP, and keeps serving', async () => {
    for (const query of [deepList, deepSelection, deepJsonLiteral]) {
      const r = await gql(oc.url, ADMIN_TOKEN, query);
      noInternal(r);
      expect(r.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_NESTED');
      expect(r.errors?.[0]?.message).toMatch(/nested/);
    }
    expect(await gqlOk(oc.url, ADMIN_TOKEN, '{ viewer { role } }')).toEqual({ viewer: { role: 'ADMIN' } });
  });

  it('answers them with an error over WebSocket too, and the socket keeps serving', async () => {
    const ws = wsClient(oc.url, ADMIN_TOKEN, { lazy: false });
    try {
      for (const query of [deepList, deepSelection]) {
        const sub = subscribe(ws, query);
        await waitFor(() => sub.errors.length > 0 || sub.done, 'the WebSocket answer');
        expect(JSON.stringify(sub.errors)).toContain('QUERY_TOO_NESTED');
      }
      const ok = subscribe(ws, '{ viewer { role } }');
      expect(await ok.next()).toEqual({ viewer: { role: 'ADMIN' } });
    } finally {
      await ws.dispose();
    }
  });

  it('still takes a document nested as deep as real ones are', async () => {
    const q = `{ clusters(first: 1) { edges { node { workers(first: 1) { edges { node { cluster { manager { cluster { name } } } } } } } } } }`;
    const r = await gql(oc.url, ADMIN_TOKEN, q);
    expect(r.errors).toBeUndefined();
  });
});
