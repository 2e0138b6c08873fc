/**
 * From its second run on, a document is executed as code compiled by graphql-jit (src/server/jit.ts,
 * useJit); its first run goes through yoga's executor. Every answer must be the same, byte for byte.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { metricValue, subscribe, wsClient } from '../support/client.js';
import { REPORT_MEMBERSHIP, register, workerInputs } from '../support/fleet.js';
import { ADMIN_TOKEN, createToken, startTestOc, type TestOc } from '../support/oc.js';
import { waitFor } from '../support/wait.js';

let oc: TestOc;
let viewer: string;
let session: string;
let clusterId: string;
beforeAll(async () => {
  oc = await startTestOc();
  viewer = (await createToken(oc.url, 'VIEWER', 'jit-viewer')).token;
  const enrollment = (await createToken(oc.url, 'MANAGER', 'jit-manager')).token;
  ({ sessionToken: session, clusterId } = await register(oc.url, enrollment, { clusterName: 'jit', workers: workerInputs(3) }));
});
afterAll(async () => {
  await oc?.stop();
});

/** The raw answer: status and body as sent. */
async function raw(token: string, query: string, variables?: Record<string, unknown>, operationName?: string) {
  const res = await fetch(`${oc.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables, operationName }),
  });
  return `${res.status} ${await res.text()}`;
}

/** Three runs of a document: the executor's answer, then the compiled query's (twice). */
async function runs(token: string, query: string, variables?: Record<string, unknown>) {
  return [await raw(token, query, variables), await raw(token, query, variables), await raw(token, query, variables)];
}

describe('compiled execution (graphql-jit)', () => {
  it.each([
    ['a read', '{ cluster(name: "jit") { name health createdAt workers(first: 2) { totalCount edges { node { memberId state startedAt stats { cpuPercent } } } } } }'],
    ['errors of the input, located (lines of a document with CRLF)', 'query {\r\n  a: node(id: "bad") { id }\n\n   b: cluster { id }\r c: clusters(first: 5, after: "garbage") { totalCount }\n}'],
    ['a non-null field error that nulls its parent', '{ cluster(name: "jit") { name statsHistory(stepSeconds: 0) { cpuPercent } } }'],
    ['a variable that does not coerce', 'query($s: DateTime) { cluster(name: "jit") { statsHistory(since: $s) { cpuPercent } } }', { s: 'yesterday' }],
    ['a variable of the wrong enum', 'query($h: ClusterHealth) { clusters(health: $h) { totalCount } }', { h: 'PURPLE' }],
    ['a required variable left out (400)', 'query($id: ID!) { node(id: $id) { id } }', {}],
    ['a result union, fragments in document order', 'mutation($i: CreateApiTokenInput!) { createApiToken(input: $i) { __typename ... on ValidationError { field } ... on Error { code message } } }', { i: { name: '', role: 'VIEWER' } }],
    ['fields after a fragment', '{ cluster(name: "jit") { ... on Cluster { name } kind workerCount } viewer { role } }'],
  ])('answers %s the same on every run', async (_what, query, variables?: Record<string, unknown>) => {
    const [first, ...later] = await runs(ADMIN_TOKEN, query, variables);
    for (const answer of later) expect(answer).toBe(first);
  });

  it('answers FORBIDDEN the same on every run', async () => {
    const [first, ...later] = await runs(viewer, '{ viewer { role } apiTokens { id } }');
    expect(first).toContain('"FORBIDDEN"');
    for (const answer of later) expect(answer).toBe(first);
  });

  it('masks an unexpected error the same on every run, over HTTP and WebSocket', async () => {
    const spy = vi.spyOn(oc.app.services.topology, 'systemCounts').mockRejectedValue(new Error('connect ECONNREFUSED postgres://oc:s3cret@db'));
    try {
      const query = '{ viewer { role } system { clusterCount } }';
      const [first, ...later] = await runs(ADMIN_TOKEN, query);
      expect(first).toBe(
        '200 {"errors":[{"message":"Unexpected error.","locations":[{"line":1,"column":28}],"path":["system","clusterCount"],"extensions":{"code":"INTERNAL_SERVER_ERROR"}}],"data":null}',
      );
      for (const answer of later) expect(answer).toBe(first);

      const ws = wsClient(oc.url, ADMIN_TOKEN, { lazy: false });
      const answers: string[] = [];
      for (let i = 0; i < 3; i++) {
        const sub = subscribe(ws, '{ system { clusterCount } }');
        await waitFor(() => sub.done, 'the WebSocket answer');
        answers.push(JSON.stringify(sub.errors));
      }
      await ws.dispose();
      expect(answers[0]).toContain('"code":"INTERNAL_SERVER_ERROR"');
      expect(answers[0]).toContain('"locations":[{"line":1,"column":12}]');
      expect(new Set(answers).size).toBe(1);
    } finally {
      spy.mockRestore();
    }
  });

  it('compiles a document on its second run, once, and not a document it must leave to the executor', async () => {
    const compiled = async () => (await metricValue(oc.url, 'oc_graphql_compiled_documents_total')) ?? 0;
    const read = '{ cluster(name: "jit") { name kind workers(first: 1) { totalCount } } }';
    const before = await compiled();
    await raw(viewer, read);
    expect(await compiled()).toBe(before);
    await raw(viewer, read);
    expect(await compiled()).toBe(before + 1);
    await raw(viewer, read);
    expect(await compiled()).toBe(before + 1);
    const twoOperations = 'query A { viewer { role } } query B { viewer { role } }';
    for (let i = 0; i < 3; i++) await raw(viewer, twoOperations, undefined, 'A');
    expect(await compiled()).toBe(before + 1);
  });

  it("compiles the manager's report mutation, and answers it in the executor's order: a ValidationError matches two of its fragments", async () => {
    const compiled = async () => (await metricValue(oc.url, 'oc_graphql_compiled_documents_total')) ?? 0;
    const before = await compiled();
    const worker = { memberId: 'jit-w1', host: 'h1', port: 8080, state: 'RUNNING' };
    // seq 0 is out of range: a ValidationError, `... on ValidationError { field }` then `... on Error { code message }`.
    const invalid = { input: { events: [{ seq: 0, change: 'JOINED', worker }] } };
    const [first, ...later] = [await raw(session, REPORT_MEMBERSHIP, invalid), await raw(session, REPORT_MEMBERSHIP, invalid), await raw(session, REPORT_MEMBERSHIP, invalid)];
    expect(first).toMatch(/^200 \{"data":\{"reportMembership":\{"__typename":"ValidationError","field":"input\.events\[0\]\.seq","code":"VALIDATION","message":/);
    for (const answer of later) expect(answer).toBe(first);
    expect(await compiled()).toBe(before + 1);
    // An event sent again (seq 1, twice and more): the same payload on every run.
    const valid = { input: { events: [{ seq: 1, change: 'JOINED', worker }] } };
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await raw(session, REPORT_MEMBERSHIP, valid));
    expect(answers[0]).toBe('200 {"data":{"reportMembership":{"__typename":"ReportMembershipPayload","acceptedThroughSeq":1,"applied":1}}}');
    expect(answers.slice(1)).toEqual(['200 {"data":{"reportMembership":{"__typename":"ReportMembershipPayload","acceptedThroughSeq":1,"applied":0}}}', '200 {"data":{"reportMembership":{"__typename":"ReportMembershipPayload","acceptedThroughSeq":1,"applied":0}}}']);
  });

  it("answers a query whose fragments come before its fields in the executor's order on every run, known queries included", async () => {
    const query = `query($id: ID!) { node(id: $id) { __typename ... on Cluster { name kind } id ... on Node { id } } system { ... on System { clusterCount } workerCount } }`;
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await raw(viewer, query, { id: clusterId }));
    expect(answers[0]).toMatch(new RegExp(`^200 \\{"data":\\{"node":\\{"__typename":"Cluster","name":"jit","kind":"AS","id":"${clusterId.replace(/[+/=]/g, '\\$&')}"\\},"system":\\{"clusterCount":1,"workerCount":\\d+\\}\\}\\}$`));
    for (const answer of answers.slice(1)) expect(answer).toBe(answers[0]);
    expect(await metricValue(oc.url, 'oc_graphql_known_query_answers_total')).toBeGreaterThan(0);
  });

  it('leaves to the executor a document whose order it cannot put back: an interface without __typename, @include, introspection', async () => {
    const compiled = async () => (await metricValue(oc.url, 'oc_graphql_compiled_documents_total')) ?? 0;
    const before = await compiled();
    for (const [query, variables] of [
      [`query($id: ID!) { node(id: $id) { ... on Cluster { name } id } }`, { id: clusterId }],
      [`query($id: ID!, $k: Boolean!) { node(id: $id) { __typename ... on Cluster { name } id @include(if: $k) } }`, { id: clusterId, k: true }],
      [`query($id: ID!) { node(id: $id) { __typename ... on Cluster { name } id } __type(name: "Cluster") { ... on __Type { kind } name fields { ... on __Field { name } type { name } } } }`, { id: clusterId }],
    ] as const) {
      const [first, ...later] = await runs(viewer, query, variables);
      expect(first).toContain('"name":"jit"');
      for (const answer of later) expect(answer).toBe(first);
    }
    expect(await compiled()).toBe(before);
  });

  it('runs the operation named, of a document of several', async () => {
    const document = 'query A { viewer { role } } query B { system { clusterCount } }';
    for (let i = 0; i < 3; i++) {
      expect(await raw(ADMIN_TOKEN, document, undefined, 'A')).toBe('200 {"data":{"viewer":{"role":"ADMIN"}}}');
      expect(await raw(ADMIN_TOKEN, document, undefined, 'B')).toBe('200 {"data":{"system":{"clusterCount":1}}}');
    }
  });
});
