/**
 * The graphql-transport-ws protocol as the OC speaks it on /graphql, message by message and close
 * code by close code (the protocol's GRAPHQL_TRANSPORT_WS_PROTOCOL.md), over a plain `ws` client:
 * what a client of any library may rely on, whoever implements the server side.
 */
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue } from '../support/client.js';
import { reportMembership, register, workerInputs } from '../support/fleet.js';
import { createToken, startTestOc, type TestOc } from '../support/oc.js';
import { waitFor } from '../support/wait.js';

let oc: TestOc;
let viewer: string;
const open: WebSocket[] = [];
beforeAll(async () => {
  oc = await startTestOc({}, { background: false });
  viewer = (await createToken(oc.url, 'VIEWER', 'protocol')).token;
});
afterAll(async () => {
  for (const s of open) s.terminate();
  await oc?.stop();
});

type Message = { id?: string; type: string; payload?: any };

/** A socket and everything it was told, parsed, and how it closed. */
function connect(protocol: string | null = 'graphql-transport-ws') {
  const socket = new WebSocket(`${oc.url.replace(/^http/, 'ws')}/graphql`, protocol ?? undefined);
  open.push(socket);
  const messages: Message[] = [];
  let closed: { code: number; reason: string } | null = null;
  const opened = new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  socket.on('message', (d) => messages.push(JSON.parse(String(d)) as Message));
  socket.on('close', (code, reason) => (closed = { code, reason: String(reason) }));
  const send = (m: unknown) => socket.send(typeof m === 'string' ? m : JSON.stringify(m));
  return {
    socket,
    messages,
    send,
    closed: () => closed,
    opened,
    async init(token: string | null = viewer) {
      await opened;
      send({ type: 'connection_init', payload: token ? { authorization: `Bearer ${token}` } : {} });
      await waitFor(() => messages.some((m) => m.type === 'connection_ack') || closed, 'the connection to be acknowledged');
    },
    of: (id: string) => messages.filter((m) => m.id === id),
    closedWith: async () => waitFor(() => closed, 'the socket to close'),
  };
}

describe('graphql-transport-ws on /graphql', () => {
  it('acknowledges connection_init without a payload, and answers ping with pong (its payload echoed)', async () => {
    const c = connect();
    await c.init();
    expect(c.messages).toEqual([{ type: 'connection_ack' }]);
    c.send({ type: 'ping' });
    c.send({ type: 'ping', payload: { n: 1 } });
    await waitFor(() => c.messages.filter((m) => m.type === 'pong').length === 2, 'two pongs');
    expect(c.messages.slice(1)).toEqual([{ type: 'pong' }, { type: 'pong', payload: { n: 1 } }]);
    c.send({ type: 'pong' }); // a client's pong needs no answer and ends nothing
    c.send({ type: 'ping' });
    await waitFor(() => c.messages.length === 4, 'a third pong');
    expect(c.closed()).toBeNull();
    c.socket.close();
  });

  it('closes with 4406 a socket without the graphql-transport-ws subprotocol', async () => {
    const c = connect(null);
    await c.opened;
    expect((await c.closedWith()).code).toBe(4406);
  });

  it('closes with 4429 a second connection_init', async () => {
    const c = connect();
    await c.init();
    c.send({ type: 'connection_init' });
    expect(await c.closedWith()).toEqual({ code: 4429, reason: 'Too many initialisation requests' });
  });

  it('closes with 4401 a subscribe before the connection is acknowledged', async () => {
    const c = connect();
    await c.opened;
    c.send({ id: '1', type: 'subscribe', payload: { query: '{ viewer { role } }' } });
    expect((await c.closedWith()).code).toBe(4401);
  });

  it('closes with 4400 a message that is not JSON, or not an object', async () => {
    for (const bad of ['not json', '[1,2]']) {
      const c = connect();
      await c.init();
      c.send(bad);
      expect(await c.closedWith()).toEqual({ code: 4400, reason: 'Invalid message received' });
    }
  });

  it('closes with 4408 a socket that never sends connection_init', async () => {
    const c = connect();
    await c.opened;
    const closed = await waitFor(() => c.closed(), 'the init timeout', 6000);
    expect(closed).toEqual({ code: 4408, reason: 'Connection initialisation timeout' });
  });

  it('answers a query with next then complete, and validation errors with one error message', async () => {
    const c = connect();
    await c.init();
    c.send({ id: 'q', type: 'subscribe', payload: { query: '{ viewer { role } }' } });
    c.send({ id: 'bad', type: 'subscribe', payload: { query: '{ noSuchField }' } });
    c.send({ id: 'syntax', type: 'subscribe', payload: { query: '{' } });
    await waitFor(() => c.of('q').length === 2 && c.of('bad').length === 1 && c.of('syntax').length === 1, 'the three answers');
    expect(c.of('q')).toEqual([{ id: 'q', type: 'next', payload: { data: { viewer: { role: 'VIEWER' } } } }, { id: 'q', type: 'complete' }]);
    expect(c.of('bad')[0]).toMatchObject({ id: 'bad', type: 'error', payload: [{ message: expect.stringContaining('noSuchField') }] });
    expect(c.of('syntax')[0]).toMatchObject({ id: 'syntax', type: 'error', payload: [{ message: expect.stringContaining('Syntax Error') }] });
    expect(c.closed()).toBeNull();
  });

  it('closes with 4409 a subscribe whose id is still running, and ends a subscription on complete', async () => {
    const enrollment = (await createToken(oc.url, 'MANAGER', 'protocol-m')).token;
    const m = await register(oc.url, enrollment, { clusterName: 'proto-1', workers: workerInputs(2) });
    const before = (await metricValue(oc.url, 'oc_subscriptions_active')) ?? 0;
    const c = connect();
    await c.init();
    c.send({ id: 's', type: 'subscribe', payload: { query: 'subscription { membershipChanged { worker { memberId state } } }' } });
    await waitFor(async () => ((await metricValue(oc.url, 'oc_subscriptions_active')) ?? 0) === before + 1, 'the subscription to be live');
    await reportMembership(oc.url, m.sessionToken, [{ seq: 1, change: 'STATE_CHANGED', worker: { memberId: 'w-000', host: 'h', state: 'STOPPED' } }]);
    await waitFor(() => c.of('s').length === 1, 'the event');
    expect(c.of('s')[0]).toEqual({ id: 's', type: 'next', payload: { data: { membershipChanged: { worker: { memberId: 'w-000', state: 'STOPPED' } } } } });
    c.send({ id: 's', type: 'complete' });
    await waitFor(async () => ((await metricValue(oc.url, 'oc_subscriptions_active')) ?? 0) === before, 'the subscription to end');
    await reportMembership(oc.url, m.sessionToken, [{ seq: 2, change: 'STATE_CHANGED', worker: { memberId: 'w-000', host: 'h', state: 'RUNNING' } }]);
    // A query after the event: its answer comes after anything the event would have sent.
    c.send({ id: 'after', type: 'subscribe', payload: { query: '{ viewer { role } }' } });
    await waitFor(() => c.of('after').length === 2, 'the query after');
    expect(c.of('s')).toHaveLength(1); // no complete for a subscription the client completed
    // The id is free again once its subscription ended; while it runs, reusing it closes the socket.
    c.send({ id: 's', type: 'subscribe', payload: { query: 'subscription { membershipChanged { change } }' } });
    await waitFor(async () => ((await metricValue(oc.url, 'oc_subscriptions_active')) ?? 0) === before + 1, 'the id reused');
    c.send({ id: 's', type: 'subscribe', payload: { query: 'subscription { membershipChanged { change } }' } });
    expect(await c.closedWith()).toEqual({ code: 4409, reason: 'Subscriber for s already exists' });
    // The socket's subscriptions end with it.
    await waitFor(async () => ((await metricValue(oc.url, 'oc_subscriptions_active')) ?? 0) === before, 'the socket’s subscription to end');
  });

  it('sends a subscription refused at its start (an execution error) as next, then complete', async () => {
    const c = connect();
    await c.init();
    // A VIEWER may not watch a cluster's task stream: refused by the field's authorization.
    c.send({ id: 't', type: 'subscribe', payload: { query: 'subscription { managerTasks { id } }' } });
    await waitFor(() => c.of('t').some((m) => m.type === 'complete' || m.type === 'error'), 'the refusal');
    const kinds = c.of('t').map((m) => m.type);
    expect(kinds).toEqual(['next', 'complete']);
    expect(c.of('t')[0]!.payload.errors?.[0]?.message).toBeTruthy();
  });
});
