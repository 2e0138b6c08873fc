import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { gql, gqlOk, metricValue, subscribe, subscribeReady, wsClient } from '../support/client.js';
import { register, workerInputs } from '../support/fleet.js';
import { ADMIN_TOKEN, createToken, startTestOc, type TestOc } from '../support/oc.js';
import { waitFor } from '../support/wait.js';

let oc: TestOc;
beforeAll(async () => {
  oc = await startTestOc();
});
afterAll(async () => {
  await oc?.stop();
});

const post = (body: BodyInit, headers: Record<string, string> = {}, init: Record<string, unknown> = {}) =>
  fetch(`${oc.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}`, ...headers }, body, ...init });

describe('endpoints', () => {
  it('answers /healthz with 200 and no token', async () => {
    const r = await fetch(`${oc.url}/healthz`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz with 200 and no token while the database answers', async () => {
    const r = await fetch(`${oc.url}/readyz`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ status: 'ready' });
  });

  it('answers an unknown path under /assets with 404 (any other path is the console)', async () => {
    expect((await fetch(`${oc.url}/assets/nothing-here.js`)).status).toBe(404);
  });

  it('serves GraphiQL to a browser on GET /graphql, without a token, from its own files only', async () => {
    const r = await fetch(`${oc.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/text\/html/);
    const html = await r.text();
    expect(html).toMatch(/graphiql/i);
    expect(html).toContain('Operations Center');
    // No CDN (it must work without internet), and no inline script (its policy forbids them).
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    const csp = r.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("frame-ancestors 'none'");
    const files = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(files.length).toBeGreaterThanOrEqual(4);
    const workers = Object.values(JSON.parse(/data-config="([^"]*)"/.exec(html)![1]!.replace(/&#(\d+);/g, (_, c) => String.fromCharCode(Number(c)))).workers) as string[];
    for (const path of [...files, ...workers]) {
      const f = await fetch(`${oc.url}${path}`);
      expect(f.status, path).toBe(200);
      expect(f.headers.get('cache-control'), path).toBe('public, max-age=31536000, immutable');
      expect(f.headers.get('content-type'), path).toMatch(/^(text\/javascript|text\/css|image\/x-icon)/);
      await f.arrayBuffer();
    }
    expect((await fetch(`${oc.url}/graphiql/graphiql-000000000000.js`)).status).toBe(404);
  });

  it('gives a browser GraphiQL for a GET with ?query= (a reload of GraphiQL), and never runs it without a token', async () => {
    const q = encodeURIComponent('{ viewer { role } }');
    const page = await fetch(`${oc.url}/graphql?query=${q}`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).not.toContain('ADMIN');
    const r = await fetch(`${oc.url}/graphql?query=${q}`, { headers: { accept: 'application/json' } });
    expect(r.status).toBe(401);
    const ok = await fetch(`${oc.url}/graphql?query=${q}`, { headers: { accept: 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(await ok.json()).toEqual({ data: { viewer: { role: 'ADMIN' } } });
  });
});

describe('limits and errors', () => {
  const oversized = () => JSON.stringify({ query: '{ viewer { role } }', variables: { pad: 'x'.repeat(16 * 1024 * 1024 + 1) } });

  it('refuses a body over the limit with 413 (announced by Content-Length)', async () => {
    const r = await post(oversized());
    expect(r.status).toBe(413);
    expect((await r.json()).errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses a chunked body once it runs over the limit with 413, and still takes a small chunked one', async () => {
    const chunked = (text: string) => {
      const bytes = new TextEncoder().encode(text);
      return new ReadableStream<Uint8Array>({
        start(c) {
          for (let i = 0; i < bytes.length; i += 1 << 20) c.enqueue(bytes.subarray(i, i + (1 << 20)));
          c.close();
        },
      });
    };
    const r = await post(chunked(oversized()), {}, { duplex: 'half' });
    expect(r.status).toBe(413);
    const small = await post(chunked(JSON.stringify({ query: '{ viewer { role } }' })), {}, { duplex: 'half' });
    expect(small.status).toBe(200);
    expect(await small.json()).toEqual({ data: { viewer: { role: 'ADMIN' } } });
  });

  it('masks an unexpected error as "Unexpected error." with INTERNAL_SERVER_ERROR, over HTTP and WebSocket alike', async () => {
    const spy = vi.spyOn(oc.app.services.topology, 'systemCounts').mockRejectedValue(new Error('connect ECONNREFUSED postgres://oc:s3cret@db'));
    try {
      const r = await gql(oc.url, ADMIN_TOKEN, '{ viewer { role } system { clusterCount } }');
      expect(r.status).toBe(200);
      expect(r.data).toBeNull(); // System.clusterCount is non-null: the error reaches the root
      expect(r.errors).toEqual([{ message: 'Unexpected error.', locations: expect.any(Array), path: ['system', 'clusterCount'], extensions: { code: 'INTERNAL_SERVER_ERROR' } }]);
      expect(JSON.stringify(r)).not.toContain('s3cret');

      const ws = wsClient(oc.url, ADMIN_TOKEN);
      const sub = subscribe(ws, '{ system { clusterCount } }');
      await waitFor(() => sub.errors.length > 0, 'the WebSocket answer');
      expect(JSON.stringify(sub.errors)).toContain('Unexpected error.');
      expect(JSON.stringify(sub.errors)).not.toContain('s3cret');
      await ws.dispose();
    } finally {
      spy.mockRestore();
    }
  });

  it('answers a DateTime that is not a date with BAD_USER_INPUT, as a variable or inline', async () => {
    const enrollment = (await createToken(oc.url, 'MANAGER', 'dates')).token;
    await register(oc.url, enrollment, { clusterName: 'dated', workers: workerInputs(1) });
    const byVar = await gql(oc.url, ADMIN_TOKEN, 'query($s: DateTime) { cluster(name: "dated") { statsHistory(since: $s) { cpuPercent } } }', { s: 'the day before yesterday' });
    expect(byVar.status).toBe(200);
    expect(byVar.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    const inline = await gql(oc.url, ADMIN_TOKEN, '{ cluster(name: "dated") { statsHistory(since: "2026-02-30T99:00:00Z") { cpuPercent } } }');
    expect(inline.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    const wrongType = await gql(oc.url, ADMIN_TOKEN, 'query($s: DateTime) { cluster(name: "dated") { statsHistory(since: $s) { cpuPercent } } }', { s: 12345 });
    expect(wrongType.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  });

  it('answers an enum value that does not exist with BAD_USER_INPUT', async () => {
    const r = await gql(oc.url, ADMIN_TOKEN, 'mutation($i: CreateApiTokenInput!) { createApiToken(input: $i) { __typename } }', { i: { name: 'x', role: 'SUPERUSER' } });
    expect(r.status).toBe(200);
    expect(r.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect(r.errors?.[0]?.message).toContain('SUPERUSER');
  });

  it('answers a syntax error and an unknown field with a GraphQL error, not a crash', async () => {
    expect((await gql(oc.url, ADMIN_TOKEN, '{ clusters(')).errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    expect((await gql(oc.url, ADMIN_TOKEN, '{ noSuchField }')).errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('applies the same authorization over WebSocket: a VIEWER may not hold managerTasks', async () => {
    const { token } = await createToken(oc.url, 'VIEWER', 'ws-viewer');
    const ws = wsClient(oc.url, token);
    const sub = subscribe(ws, 'subscription { managerTasks { id } }');
    await waitFor(() => sub.errors.length > 0, 'the subscription to be refused');
    expect(JSON.stringify(sub.errors)).toContain('FORBIDDEN');
    await ws.dispose();
  });
});

describe('/metrics', () => {
  it('counts operations by name and outcome, with their latency', async () => {
    await gqlOk(oc.url, ADMIN_TOKEN, 'query FleetOverview { clusters { totalCount } }');
    await gqlOk(oc.url, ADMIN_TOKEN, 'query FleetOverview { clusters { totalCount } }');
    const { token } = await createToken(oc.url, 'VIEWER', 'metrics-viewer');
    await gql(oc.url, token, 'query ForbiddenTokens { apiTokens { id } }');
    expect(await metricValue(oc.url, 'oc_graphql_requests_total', { operation: 'FleetOverview', type: 'query', outcome: 'ok' })).toBe(2);
    expect(await metricValue(oc.url, 'oc_graphql_requests_total', { operation: 'ForbiddenTokens', type: 'query', outcome: 'error' })).toBe(1);
    expect(await metricValue(oc.url, 'oc_graphql_request_duration_seconds_count', { operation: 'FleetOverview', type: 'query' })).toBe(2);
  });

  it('gauges open WebSockets and active subscriptions, and a refused subscription is never counted', async () => {
    const sockets = async () => (await metricValue(oc.url, 'oc_websockets_open')) ?? -1;
    const subs = async () => (await metricValue(oc.url, 'oc_subscriptions_active')) ?? -1;
    const baseSockets = await sockets();
    expect(await subs()).toBe(0);

    let connected = false;
    const ws = wsClient(oc.url, ADMIN_TOKEN, { lazy: false, onConnected: () => (connected = true) });
    await waitFor(() => connected, 'the socket to open');
    expect(await sockets()).toBe(baseSockets + 1);
    const sub = await subscribeReady(oc.url, ws, 'subscription Watch { topologyChanged { change } }');
    expect(await subs()).toBe(1);
    expect(await metricValue(oc.url, 'oc_graphql_requests_total', { operation: 'Watch', type: 'subscription', outcome: 'ok' })).toBe(1);

    const { token } = await createToken(oc.url, 'VIEWER', 'metrics-ws-viewer');
    const viewerWs = wsClient(oc.url, token);
    const refused = subscribe(viewerWs, 'subscription Refused { managerTasks { id } }');
    await waitFor(() => refused.errors.length > 0, 'the subscription to be refused');
    expect(await metricValue(oc.url, 'oc_graphql_requests_total', { operation: 'Refused', type: 'subscription', outcome: 'error' })).toBe(1);
    expect(await subs()).toBe(1);

    sub.close();
    await waitFor(async () => (await subs()) === 0, 'the subscription to end');
    await ws.dispose();
    await viewerWs.dispose();
    await waitFor(async () => (await sockets()) === baseSockets, 'the sockets to close');
  });

  it('gauges managers connected, clusters, and workers by state', async () => {
    const enrollment = (await createToken(oc.url, 'MANAGER', 'metrics')).token;
    // The gauges are read again at most once a second: the counts start from a reading that has
    // caught up with the clusters registered before this test (an earlier test's, maybe a moment
    // ago), else this test's cluster and that one are counted by one reading, and it sees both at once.
    const clusters = (await gqlOk(oc.url, ADMIN_TOKEN, '{ system { clusterCount } }')).system.clusterCount;
    await waitFor(async () => (await metricValue(oc.url, 'oc_clusters')) === clusters, 'the gauges to count the clusters registered before');
    const clustersBefore = (await metricValue(oc.url, 'oc_clusters')) ?? 0;
    const managersBefore = (await metricValue(oc.url, 'oc_managers_connected')) ?? 0;
    const running = (await metricValue(oc.url, 'oc_workers', { state: 'RUNNING' })) ?? 0;
    await register(oc.url, enrollment, {
      clusterName: 'metered',
      workers: [...workerInputs(2, { prefix: 'ok' }), { memberId: 'bad', host: 'h', state: 'FAILED' }, { memberId: 'stopping', host: 'h', state: 'STOPPING' }],
    });
    // Kept current from events (read again at most once a second), not at scrape time.
    await waitFor(async () => (await metricValue(oc.url, 'oc_clusters')) === clustersBefore + 1, 'oc_clusters to count the new cluster');
    await waitFor(async () => (await metricValue(oc.url, 'oc_workers', { state: 'STOPPING' })) === 1, 'oc_workers to count its workers');
    expect(await metricValue(oc.url, 'oc_managers_connected')).toBe(managersBefore + 1);
    expect(await metricValue(oc.url, 'oc_workers', { state: 'RUNNING' })).toBe(running + 2);
    expect(await metricValue(oc.url, 'oc_workers', { state: 'FAILED' })).toBe(1);
  });

  it('reads no table when scraped', async () => {
    const quiet = await startTestOc({}, { background: false });
    try {
      await fetch(`${quiet.url}/metrics`);
      const before = quiet.database.queryCount;
      for (let i = 0; i < 10; i++) expect((await fetch(`${quiet.url}/metrics`)).status).toBe(200);
      expect(quiet.database.queryCount).toBe(before);
    } finally {
      await quiet.stop();
    }
  });

  it('answers from loopback without a token by default, and from an address not in OC_METRICS_ALLOW only with a token of any role', async () => {
    expect((await fetch(`${oc.url}/metrics`)).status).toBe(200);
    const guarded = await oc.restart({ metricsAllow: ['10.0.0.0/8', '2001:db8::/32'] });
    try {
      const scrape = (token?: string) => fetch(`${guarded.url}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
      const refused = await scrape();
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe('Bearer');
      expect((await refused.json()).errors[0].extensions.code).toBe('UNAUTHENTICATED');
      expect((await scrape('not-a-token')).status).toBe(401);
      for (const role of ['VIEWER', 'MANAGER', 'ADMIN'] as const) {
        const r = await scrape((await createToken(guarded.url, role)).token);
        expect(r.status, role).toBe(200);
        expect(await r.text()).toContain('oc_graphql_requests_total');
      }
      // /healthz and /readyz stay open to probes.
      expect((await fetch(`${guarded.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${guarded.url}/readyz`)).status).toBe(200);
    } finally {
      await guarded.app.stop();
    }
  });
});



describe('start-up and shutdown', () => {
  it('creates one ADMIN token on first start without OC_ADMIN_TOKEN, prints it once, and not again on the next start', async () => {
    const printed: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: any) => {
      printed.push(String(chunk));
      return true;
    });
    let first: TestOc | null = null;
    let second: TestOc | null = null;
    try {
      first = await startTestOc({ adminToken: null });
      const banner = printed.join('');
      const token = /\n {2}(oc_\S+)\n/.exec(banner)?.[1];
      expect(token).toBeDefined();
      expect((await gqlOk(first.url, token!, '{ viewer { role tokenName } }')).viewer).toEqual({ role: 'ADMIN', tokenName: 'first-admin' });
      expect((await gql(first.url, ADMIN_TOKEN, '{ viewer { role } }')).status).toBe(401);
      printed.length = 0;
      second = await first.restart();
      expect(printed.join('')).not.toContain('oc_');
      expect((await gqlOk(second.url, token!, '{ apiTokens { name } }')).apiTokens).toEqual([{ name: 'first-admin' }]);
    } finally {
      spy.mockRestore();
      await second?.app.stop();
      await first?.stop();
    }
  });

  it('on stop, lets an in-flight request finish, closes open WebSockets with 1001, and takes no new connection', async () => {
    const victim = await startTestOc();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered = false;
    vi.spyOn(victim.app.services.topology, 'systemCounts').mockImplementation(async () => {
      entered = true;
      await gate;
      return { clusterCount: 42, workerCount: 0 };
    });
    const closes: number[] = [];
    const ws = wsClient(victim.url, ADMIN_TOKEN, { onClose: (code) => closes.push(code) });
    const sub = await subscribeReady(victim.url, ws, 'subscription { topologyChanged { change } }');

    const inFlight = gql(victim.url, ADMIN_TOKEN, '{ system { clusterCount } }');
    await waitFor(() => entered, 'the request to be in flight');
    const stopped = victim.stop();
    await waitFor(() => closes.length > 0, 'the WebSocket to be closed');
    expect(closes[0]).toBe(1001);
    await waitFor(() => sub.done, 'the subscription to end');
    release();
    const released = Date.now();
    const r = await inFlight;
    expect(r.status).toBe(200);
    expect(r.data).toEqual({ system: { clusterCount: 42 } });
    await stopped;
    // The answered keep-alive connection is closed at once, not left to the 5 s backstop.
    expect(Date.now() - released).toBeLessThan(4000);
    await expect(fetch(`${victim.url}/healthz`)).rejects.toThrow();
    await ws.dispose();
  });
});

describe('query limits', () => {
  it('refuses a query nested deeper than the limit, over HTTP and WebSocket alike, and allows the deepest useful one', async () => {
    const { MAX_QUERY_DEPTH } = await import('../../src/server/limits.js');
    let deep = 'id';
    for (let i = 0; i < 6; i++) deep = `workers { edges { node { cluster { ${deep} } } } }`;
    const r = await gql(oc.url, ADMIN_TOKEN, `{ clusters { edges { node { ${deep} } } } }`);
    expect(r.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_DEEP');
    expect(r.errors?.[0]?.message).toContain(String(MAX_QUERY_DEPTH));
    const ok = await gql(oc.url, ADMIN_TOKEN, `{ clusters { edges { node { workers { edges { node { memberId artifacts { name } stats { cpuPercent } } } } } } } }`);
    expect(ok.errors).toBeUndefined();
    const ws = wsClient(oc.url, ADMIN_TOKEN);
    const sub = subscribe(ws, `subscription { membershipChanged { cluster { ${deep} } } }`);
    await waitFor(() => sub.errors.length > 0 || sub.done, 'the deep subscription to be refused');
    expect(JSON.stringify(sub.errors)).toContain('QUERY_TOO_DEEP');
    await ws.dispose();
  });
});
