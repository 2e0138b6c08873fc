/**
 * graphql-ws subscribers served in push mode (server/subscription-events.ts): an event executed
 * once per group of subscribers asking the same, serialized once, and its bytes sent to each
 * socket. Over real sockets, with a plain `ws` client speaking graphql-transport-ws, so that the
 * messages are seen as sent (their bytes, their ids) and a client can stop reading.
 */
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventMap } from '../../src/events/bus.js';
import { parseId } from '../../src/graphql/ids.js';
import { metricValue } from '../support/client.js';
import { ReportingManager, type WorkerState, workerInputs } from '../support/fleet.js';
import { ADMIN_TOKEN, createToken, startTestOc, type TestOc } from '../support/oc.js';
import { waitFor } from '../support/wait.js';

const README = 'subscription { membershipChanged { change at cluster { name health } worker { memberId state } } }';
const FILTERED = 'subscription OneCluster($c: ID) { membershipChanged(clusterId: $c) { change at cluster { name health } worker { memberId state } } }';
/** Reads the manager (a loader, after a turn of the event loop): its results come later than the others'. */
const RICH = 'subscription Rich($c: ID) { membershipChanged(clusterId: $c) { worker { memberId state } cluster { name manager { connected } } } }';
/** Two operations in one document: the second is asked for, its selection in another order. */
const TWO_OPS = 'subscription First { membershipChanged { change } } subscription Second { membershipChanged { worker { memberId } change } }';

let oc: TestOc;
let enrollment: string;
const sockets: RawClient[] = [];
beforeAll(async () => {
  oc = await startTestOc({}, { background: false });
  enrollment = (await createToken(oc.url, 'MANAGER', 'fanout')).token;
});
afterAll(async () => {
  for (const s of sockets) s.socket.terminate();
  await oc?.stop();
});

const started = async () => (await metricValue(oc.url, 'oc_graphql_requests_total', { type: 'subscription', outcome: 'ok' })) ?? 0;
const active = async () => (await metricValue(oc.url, 'oc_subscriptions_active')) ?? 0;

type Message = { id?: string; type: string; payload?: any };

/** A graphql-transport-ws client by hand: every message kept, raw and parsed, by operation id. */
class RawClient {
  readonly raw: string[] = [];
  readonly byId = new Map<string, Message[]>();
  readonly socket: WebSocket;
  private acked: Promise<void>;
  constructor(token: string) {
    this.socket = new WebSocket(`${oc.url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
    sockets.push(this);
    this.acked = new Promise((resolve, reject) => {
      this.socket.on('open', () => this.socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
      this.socket.on('close', (code) => reject(new Error(`closed ${code}`)));
      this.socket.on('message', (data) => {
        const text = String(data);
        const m = JSON.parse(text) as Message;
        if (m.type === 'connection_ack') return resolve();
        if (m.type === 'ping') return this.socket.send(JSON.stringify({ type: 'pong' }));
        this.raw.push(text);
        if (m.id !== undefined) {
          let list = this.byId.get(m.id);
          if (!list) this.byId.set(m.id, (list = []));
          list.push(m);
        }
      });
    });
    this.acked.catch(() => {});
  }
  async subscribe(id: string, query: string, variables?: Record<string, unknown>, operationName?: string) {
    await this.acked;
    this.socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables, operationName } }));
  }
  complete(id: string) {
    this.socket.send(JSON.stringify({ id, type: 'complete' }));
  }
  messages(id: string): Message[] {
    return this.byId.get(id) ?? [];
  }
  /** The data of the `next` messages of an operation. */
  data(id: string): unknown[] {
    return this.messages(id)
      .filter((m) => m.type === 'next')
      .map((m) => m.payload.data);
  }
  ended(id: string): Message | undefined {
    return this.messages(id).find((m) => m.type === 'error' || m.type === 'complete');
  }
}


/** Waits until the server counts `n` more subscriptions started than `before`. */
const live = (before: number, n: number) => waitFor(async () => (await started()) >= before + n, `${n} subscriptions to be live`, 20_000);

/** A membership event as a report's transaction publishes it, made up (for what no report would send). */
function madeUpEvent(globalClusterId: string, memberId: string, state: string): EventMap['membership'] {
  const clusterId = parseId(globalClusterId, 'Cluster', 'clusterId');
  const at = new Date();
  return {
    clusterId,
    change: 'STATE_CHANGED',
    at,
    worker: { id: '00000000-0000-4000-8000-000000000001', clusterId, memberId, host: 'h', port: null, state: state as WorkerState, startedAt: null, joinedAt: at, stateChangedAt: at, artifacts: [], stats: null },
    cluster: { id: clusterId, name: 'made-up', kind: 'generic', createdAt: at, health: 'HEALTHY', workerCount: 1, runningCount: 1 },
  } as EventMap['membership'];
}

describe('push mode: one execution and one serialization per event and group, bytes to every socket', () => {
  it('gives each of 50 sockets (same and different selections, variables, operations and roles; several operations on a socket) every event, complete and in order, and refuses manager credentials', async () => {
    const a = new ReportingManager(oc.url, enrollment, 'fan-a');
    const b = new ReportingManager(oc.url, enrollment, 'fan-b');
    await a.register(workerInputs(4));
    await b.register(workerInputs(2));
    const viewer = (await createToken(oc.url, 'VIEWER', 'fan-viewer')).token;
    const operator = (await createToken(oc.url, 'OPERATOR', 'fan-operator')).token;

    type Kind = { token: string; subs: [id: string, query: string, variables?: Record<string, unknown>, operationName?: string][]; expect: 'all' | 'a' | 'b' | 'rich' | 'second' };
    const kinds: [count: number, kind: Kind][] = [
      [10, { token: viewer, subs: [['1', README]], expect: 'all' }],
      [5, { token: ADMIN_TOKEN, subs: [['1', README]], expect: 'all' }],
      [5, { token: operator, subs: [['1', README]], expect: 'all' }],
      [8, { token: viewer, subs: [['1', FILTERED, { c: a.reg.clusterId }]], expect: 'a' }],
      [2, { token: ADMIN_TOKEN, subs: [['1', FILTERED, { c: a.reg.clusterId }]], expect: 'a' }],
      [5, { token: viewer, subs: [['1', FILTERED, { c: b.reg.clusterId }]], expect: 'b' }],
      [5, { token: viewer, subs: [['1', RICH, { c: a.reg.clusterId }]], expect: 'rich' }],
      [5, { token: operator, subs: [['1', TWO_OPS, undefined, 'Second']], expect: 'second' }],
    ];
    const clients: { client: RawClient; kind: Kind }[] = [];
    let count = 0;
    const before = await started();
    for (const [n, kind] of kinds) {
      for (let i = 0; i < n; i++) {
        const client = new RawClient(kind.token);
        for (const [id, q, v, op] of kind.subs) await client.subscribe(id, q, v, op);
        clients.push({ client, kind });
        count += kind.subs.length;
      }
    }
    // Five sockets with two operations each: every cluster, and one cluster, told apart by their ids.
    const doubles: RawClient[] = [];
    for (let i = 0; i < 5; i++) {
      const client = new RawClient(viewer);
      await client.subscribe('every-cluster', README);
      await client.subscribe(`only-b-${i}`, FILTERED, { c: b.reg.clusterId });
      doubles.push(client);
      count += 2;
    }
    await live(before, count);
    // The same document and variables as viewers', asked with manager credentials: refused.
    const managers = [enrollment, a.reg.sessionToken].map((token) => new RawClient(token));
    for (const m of managers) await m.subscribe('1', README);
    await waitFor(() => managers.every((m) => m.ended('1')), 'the manager credentials to be refused');
    for (const m of managers) expect(JSON.stringify(m.messages('1'))).toContain('FORBIDDEN');
    expect(clients.length + doubles.length).toBe(50);

    const all: unknown[] = [];
    const onlyA: unknown[] = [];
    const onlyB: unknown[] = [];
    for (let round = 0; round < 6; round++) {
      const down = round % 2 === 0 ? 'STOPPED' : 'RUNNING';
      const fromA = await a.report([
        [`w-00${round % 4}`, 'STATE_CHANGED', down],
        [`w-00${(round + 1) % 4}`, 'STATE_CHANGED', round % 3 === 0 ? 'FAILED' : 'RUNNING'],
        ...(round === 2 ? [['x-new', 'JOINED', 'STARTING'] as const] : round === 4 ? [['x-new', 'LEFT', 'STARTING'] as const] : []),
      ] as [string, 'JOINED' | 'LEFT' | 'STATE_CHANGED', WorkerState][]);
      const fromB = await b.report([[`w-00${round % 2}`, 'STATE_CHANGED', down]]);
      all.push(...fromA, ...fromB);
      onlyA.push(...fromA);
      onlyB.push(...fromB);
    }
    type Seen = { change: string; cluster: { name: string; health: string }; worker: { memberId: string; state: string } };
    const expected = {
      all: all as Seen[],
      a: onlyA as Seen[],
      b: onlyB as Seen[],
      rich: (onlyA as Seen[]).map((e) => ({ worker: e.worker, cluster: { name: e.cluster.name, manager: { connected: true } } })),
      second: (all as Seen[]).map((e) => ({ worker: { memberId: e.worker.memberId }, change: e.change })),
    };
    await waitFor(
      () =>
        clients.every(({ client, kind }) => client.data('1').length >= expected[kind.expect].length || client.ended('1')) &&
        doubles.every((c, i) => c.data('every-cluster').length >= all.length && c.data(`only-b-${i}`).length >= onlyB.length),
      'every event at every subscriber',
      20_000,
    );
    const strip = (data: unknown[]) =>
      data.map((d) => {
        const { at, ...rest } = (d as { membershipChanged: Record<string, unknown> }).membershipChanged;
        if (at !== undefined) expect(Number.isNaN(Date.parse(String(at)))).toBe(false);
        return rest;
      });
    for (const { client, kind } of clients) {
      expect(client.ended('1')).toBeUndefined();
      // Key order too: the bytes are the executor's answer for this selection.
      expect(JSON.stringify(strip(client.data('1')))).toBe(JSON.stringify(expected[kind.expect]));
      for (const text of client.raw) expect(text.startsWith('{"id":"1","type":"next","payload":{"data":{"membershipChanged":{')).toBe(true);
    }
    for (const [i, c] of doubles.entries()) {
      expect(JSON.stringify(strip(c.data('every-cluster')))).toBe(JSON.stringify(expected.all));
      expect(JSON.stringify(strip(c.data(`only-b-${i}`)))).toBe(JSON.stringify(expected.b));
    }
    // One `at` per event: every subscriber of it saw the same bytes.
    const ats = (c: RawClient, id: string) => c.data(id).map((d) => (d as { membershipChanged: { at: string } }).membershipChanged.at);
    const readme = clients.filter(({ kind }) => kind.expect === 'all');
    for (const { client } of readme) expect(ats(client, '1')).toEqual(ats(readme[0]!.client, '1'));
    for (const m of managers) expect(m.data('1').filter((d) => d != null)).toEqual([]);
    const beforeEnd = await active();
    for (const { client } of clients) client.complete('1');
    await waitFor(async () => (await active()) <= beforeEnd - clients.length, 'the completed subscriptions to end');
  });

  it('masks an error of an event’s execution as yoga masks it for the same subscription over server-sent events', async () => {
    const m = new ReportingManager(oc.url, enrollment, 'fan-mask');
    await m.register(workerInputs(1));
    const ws = new RawClient(ADMIN_TOKEN);
    const before = await started();
    await ws.subscribe('m', FILTERED, { c: m.reg.clusterId });
    // The same subscription over server-sent events: yoga's own execution and masking.
    const abort = new AbortController();
    const res = await fetch(`${oc.url}/graphql`, {
      method: 'POST',
      headers: { accept: 'text/event-stream', 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ query: FILTERED, variables: { c: m.reg.clusterId } }),
      signal: abort.signal,
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const sse: unknown[] = [];
    void (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.split('\n').find((l) => l.startsWith('data: '));
          if (block.startsWith('event: next') && data) sse.push(JSON.parse(data.slice(6)));
        }
      }
    })().catch(() => {});
    await live(before, 2);
    // A worker state the schema cannot represent: its enum fails to serialize, an unexpected error.
    oc.app.bus.handOut({ topic: 'membership', payload: madeUpEvent(m.reg.clusterId, 'w-bogus', 'BOGUS') });
    oc.app.bus.handOut({ topic: 'membership', payload: madeUpEvent(m.reg.clusterId, 'w-000', 'RUNNING') });
    await waitFor(() => ws.messages('m').length >= 2 && sse.length >= 2, 'both events on both transports').catch((e) => {
      throw new Error(`${e.message}: ${JSON.stringify({ ws: ws.messages('m'), sse })}`);
    });
    const [failed, fine] = ws.messages('m').map((msg) => msg.payload);
    expect(failed).toEqual(sse[0]);
    expect(fine).toEqual(sse[1]);
    expect(failed.errors).toHaveLength(1);
    expect(failed.errors[0]).toMatchObject({ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(JSON.stringify(failed)).not.toContain('BOGUS');
    expect(fine.data.membershipChanged.worker).toEqual({ memberId: 'w-000', state: 'RUNNING' });
    abort.abort();
    ws.complete('m');
  });

  it('stops sending an operation the client completed, and ends it on the server, while the socket’s other operation goes on', async () => {
    const m = new ReportingManager(oc.url, enrollment, 'fan-complete');
    await m.register(workerInputs(2));
    const client = new RawClient(ADMIN_TOKEN);
    const before = await started();
    const activeBefore = await active();
    await client.subscribe('x', FILTERED, { c: m.reg.clusterId });
    await client.subscribe('y', FILTERED, { c: m.reg.clusterId });
    await live(before, 2);
    await m.report([['w-000', 'STATE_CHANGED', 'STOPPED']]);
    await waitFor(() => client.data('x').length === 1 && client.data('y').length === 1, 'the first event on both');
    client.complete('x');
    await waitFor(async () => (await active()) === activeBefore + 1, 'the completed operation to end on the server');
    await m.report([['w-000', 'STATE_CHANGED', 'RUNNING']]);
    await m.report([['w-001', 'STATE_CHANGED', 'STOPPED']]);
    await waitFor(() => client.data('y').length === 3, 'the next events on the other operation');
    expect(client.messages('x')).toHaveLength(1);
    client.complete('y');
    await waitFor(async () => (await active()) === activeBefore, 'both operations to end on the server');
  });

  it('serves a group from one stream: a subscriber joining while events flow gets every event from one on, in order, none twice, and the others go on when the first leaves', async () => {
    const m = new ReportingManager(oc.url, enrollment, 'fan-join');
    await m.register(workerInputs(1));
    const first = new RawClient(ADMIN_TOKEN);
    const before = await started();
    await first.subscribe('j', FILTERED, { c: m.reg.clusterId });
    await live(before, 1);
    let k = 0;
    const publish = (n: number) => {
      for (let i = 0; i < n; i++) oc.app.bus.handOut({ topic: 'membership', payload: madeUpEvent(m.reg.clusterId, String(k++), 'RUNNING') });
    };
    const ids = (c: RawClient) => c.data('j').map((d) => Number((d as { membershipChanged: { worker: { memberId: string } } }).membershipChanged.worker.memberId));
    // Events on every turn of the event loop while ten more subscribe, one after the other, and
    // the first leaves halfway. Some are published while a subscriber's stream is being made
    // (after its bus subscription, before it joins its group): they reach it through its own.
    const joiners: RawClient[] = [];
    const publishedWhileJoining: number[] = [];
    const events = oc.app.services.events;
    const resume = events.resume;
    events.resume = async function (this: typeof events, ...args: Parameters<typeof resume>) {
      const stream = await resume.apply(this, args);
      publishedWhileJoining.push(k);
      publish(2);
      return stream;
    } as typeof resume;
    const pump = setInterval(() => publish(3), 1);
    try {
      for (let i = 0; i < 10; i++) {
        const c = new RawClient(ADMIN_TOKEN);
        await c.subscribe('j', FILTERED, { c: m.reg.clusterId });
        joiners.push(c);
        await live(before, 2 + i);
        if (i === 4) first.complete('j');
      }
    } finally {
      clearInterval(pump);
      events.resume = resume;
    }
    publish(5);
    const last = k - 1;
    await waitFor(() => joiners.every((c) => ids(c).at(-1) === last), 'the last event at every subscriber that stayed', 20_000);
    for (const [i, c] of joiners.entries()) {
      const got = ids(c);
      expect(got[0]).toBeLessThanOrEqual(publishedWhileJoining[i]!);
      expect(got).toEqual(Array.from({ length: got.length }, (_, i) => got[0]! + i));
      expect(c.ended('j')).toBeUndefined();
    }
    const firstGot = ids(first);
    expect(firstGot).toEqual(Array.from({ length: firstGot.length }, (_, i) => i));
    expect(firstGot.at(-1)).toBeLessThan(last);
    for (const c of joiners) c.complete('j');
  });

  it('ends a subscriber that stopped reading with "subscriber too slow", once its socket holds too much unsent, and the others get every event', async () => {
    const m = new ReportingManager(oc.url, enrollment, 'fan-slow');
    await m.register(workerInputs(1));
    const slow = new RawClient(ADMIN_TOKEN);
    const others = [new RawClient(ADMIN_TOKEN), new RawClient(ADMIN_TOKEN)];
    const before = await started();
    await slow.subscribe('s', FILTERED, { c: m.reg.clusterId });
    for (const o of others) await o.subscribe('s', FILTERED, { c: m.reg.clusterId });
    await live(before, 3);
    const activeBefore = await active();
    slow.socket.pause();
    // Events of 32 KB each (a long memberId), until the server ends the slow one: more than the
    // socket and the kernel hold, and far fewer than the 10,000 events the bus buffers for a
    // subscriber that pulls.
    const big = 'm'.repeat(32 * 1024);
    let events = 0;
    while ((await active()) > activeBefore - 1) {
      expect(events).toBeLessThan(3000);
      for (let i = 0; i < 50; i++) oc.app.bus.handOut({ topic: 'membership', payload: madeUpEvent(m.reg.clusterId, `${events++}-${big}`, 'RUNNING') });
      await new Promise((r) => setImmediate(r));
    }
    await waitFor(() => others.every((o) => o.data('s').length === events), 'every event at the others', 20_000);
    for (const o of others) {
      const ids = o.data('s').map((d) => Number.parseInt((d as { membershipChanged: { worker: { memberId: string } } }).membershipChanged.worker.memberId, 10));
      expect(ids).toEqual(Array.from({ length: events }, (_, k) => k));
      expect(o.ended('s')).toBeUndefined();
    }
    slow.socket.resume();
    await waitFor(() => slow.ended('s'), 'the slow subscriber to hear it was ended', 20_000);
    expect(slow.ended('s')).toMatchObject({ type: 'error', payload: [{ message: 'subscriber too slow: event buffer overflowed' }] });
    const got = slow.data('s').length;
    expect(got).toBeLessThan(events);
    // What it did get came in order, from the first.
    expect(slow.data('s').map((d) => Number.parseInt((d as { membershipChanged: { worker: { memberId: string } } }).membershipChanged.worker.memberId, 10))).toEqual(
      Array.from({ length: got }, (_, k) => k),
    );
    for (const o of others) o.complete('s');
  });
});
