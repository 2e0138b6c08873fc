/**
 * A query yoga has answered without errors over HTTP POST is answered again without yoga
 * (src/server/known-queries.ts): every answer must be yoga's, status, headers and body, and it
 * must count, refuse and fail as yoga's would.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { metricValue } from '../support/client.js';
import { register, workerInputs } from '../support/fleet.js';
import { ADMIN_TOKEN, createToken, startTestOc, type TestOc } from '../support/oc.js';

let oc: TestOc;
let viewer: string;
let manager: string;
beforeAll(async () => {
  oc = await startTestOc();
  viewer = (await createToken(oc.url, 'VIEWER', 'known-viewer')).token;
  manager = (await createToken(oc.url, 'MANAGER', 'known-manager')).token;
  await register(oc.url, manager, { clusterName: 'known', workers: workerInputs(3) });
});
afterAll(async () => {
  await oc?.stop();
});

/** Status, headers (but the date) and body as sent. */
async function raw(token: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${oc.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
    body: JSON.stringify(body),
  });
  const sent = [...res.headers].filter(([name]) => name !== 'date' && name !== 'keep-alive' && name !== 'connection');
  return `${res.status} ${JSON.stringify(sent)} ${await res.text()}`;
}

const knownAnswers = async () => (await metricValue(oc.url, 'oc_graphql_known_query_answers_total')) ?? 0;
const operations = async (name: string) => (await metricValue(oc.url, 'oc_graphql_requests_total', { operation: name, type: 'query', outcome: 'ok' })) ?? 0;

describe('known queries', () => {
  it.each([
    ['no accept header', {}],
    ['graphql-response+json first', { accept: 'application/graphql-response+json, application/json' }],
    ['application/json', { accept: 'application/json' }],
    ['a browser origin (CORS)', { accept: 'application/json', origin: 'http://console.example' }],
  ])('answers as yoga does, with %s', async (_what, headers: Record<string, string>) => {
    const query = `query Known { clusters(first: 5) { totalCount edges { node { id name health workerCount manager { url connected } stats { cpuPercent } } } } }`;
    const before = await knownAnswers();
    // The executor's answer, the compiled query's (which makes it known), then the known query's.
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await raw(viewer, { query, operationName: 'Known' }, headers));
    expect(answers[0]).toMatch(/^200 /);
    for (const answer of answers.slice(1)) expect(answer).toBe(answers[0]);
    expect(await knownAnswers()).toBeGreaterThan(before);
  });

  it('leaves to yoga the answers it writes otherwise: an event stream, a body of GraphQL text', async () => {
    const query = '{ cluster(name: "known") { name kind } }';
    const before = await knownAnswers();
    const streams = [];
    for (let i = 0; i < 4; i++) streams.push(await raw(viewer, { query }, { accept: 'text/event-stream' }));
    expect(streams[0]).toContain('text/event-stream');
    for (const answer of streams.slice(1)) expect(answer).toBe(streams[0]);
    // As application/graphql, a JSON body is the query's text (yoga refuses it): never a known query's.
    const asText = [];
    for (let i = 0; i < 4; i++) asText.push(await raw(viewer, { query }, { 'content-type': 'application/graphql' }));
    for (const answer of asText.slice(1)) expect(answer).toBe(asText[0]);
    expect(await knownAnswers()).toBe(before);
  });

  it('counts each answer in the operations, as yoga does', async () => {
    const query = '{ cluster(name: "known") { name workerCount } }';
    for (let i = 0; i < 3; i++) await raw(viewer, { query });
    const known = await knownAnswers();
    const counted = await operations('anonymous');
    await raw(viewer, { query });
    expect(await knownAnswers()).toBe(known + 1);
    expect(await operations('anonymous')).toBe(counted + 1);
  });

  it('applies the limits per caller: a known query with introspection is refused to a MANAGER token', async () => {
    const query = '{ __schema { queryType { name } } }';
    for (let i = 0; i < 3; i++) expect(await raw(ADMIN_TOKEN, { query })).toContain('"Query"');
    const refused = await raw(manager, { query });
    expect(refused).toContain('"FORBIDDEN"');
  });

  it('answers through yoga when a known query fails, with the error yoga gives', async () => {
    const query = '{ viewer { role } system { clusterCount } }';
    for (let i = 0; i < 3; i++) expect(await raw(ADMIN_TOKEN, { query })).toContain('"clusterCount"');
    const spy = vi.spyOn(oc.app.services.topology, 'systemCounts').mockRejectedValue(new Error('connect ECONNREFUSED postgres://oc:s3cret@db'));
    try {
      const answer = await raw(ADMIN_TOKEN, { query });
      expect(answer).toContain('"message":"Unexpected error."');
      expect(answer).toContain('"code":"INTERNAL_SERVER_ERROR"');
      expect(answer).not.toContain('s3cret');
    } finally {
      spy.mockRestore();
    }
  });

  it('leaves to yoga what it has not seen: other parameters, a GET, a mutation', async () => {
    const query = '{ viewer { role } }';
    for (let i = 0; i < 3; i++) await raw(viewer, { query });
    const known = await knownAnswers();
    // An unknown parameter: yoga's answer (it accepts extensions), not the known query's.
    expect(await raw(viewer, { query, extensions: {} })).toMatch(/^200 .*"VIEWER"/);
    expect(await raw(viewer, { query, operationName: 5 })).toMatch(/^400 /);
    const get = await fetch(`${oc.url}/graphql?query=${encodeURIComponent(query)}`, { headers: { authorization: `Bearer ${viewer}`, accept: 'application/json' } });
    expect(get.status).toBe(200);
    const mutation = 'mutation { createApiToken(input: { name: "", role: VIEWER }) { __typename } }';
    for (let i = 0; i < 3; i++) expect(await raw(ADMIN_TOKEN, { query: mutation })).toContain('ValidationError');
    expect(await knownAnswers()).toBe(known);
  });

  it('answers a query with variables again, and leaves variables that do not coerce to yoga', async () => {
    const query = 'query One($name: String!) { cluster(name: $name) { name } }';
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await raw(viewer, { query, variables: { name: 'known' } }));
    for (const answer of answers) expect(answer).toBe(answers[0]);
    const before = await knownAnswers();
    expect(await raw(viewer, { query, variables: { name: 'known' } })).toBe(answers[0]);
    expect(await knownAnswers()).toBe(before + 1);
    const wrong = await raw(viewer, { query, variables: { name: 5 } });
    expect(wrong).toMatch(/^(200|400) .*"errors"/);
    expect(await knownAnswers()).toBe(before + 1);
  });
});
