/**
 * Child process of bench/subscriptions.ts: many WebSocket subscribers, each on its own socket,
 * timing every message they receive and checking it is the event expected next. The same minimal
 * client serves both sides of the comparison (graphql-ws handshake for the OC, none for the raw
 * `ws` baseline), so that the client's own cost is the same on both.
 *
 * Ops: `open` (sockets and, for graphql-ws, a subscription on each), `expect` (the events every
 * subscriber should see, in order; clears what was received), `progress`, `collect` (given the
 * time each event was reported: latencies as a histogram), `close`.
 */
import WebSocket from 'ws';
import { fatal, processUsage, serveRpc } from './child.js';

interface OpenArg {
  url: string;
  protocol: 'graphql-ws' | 'raw';
  count: number;
  token?: string;
  query?: string;
  variables?: Record<string, unknown>;
}

interface Sub {
  socket: WebSocket;
  received: number;
  outOfOrder: number;
  errors: number;
  at: Float64Array;
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes. */
const now = () => performance.timeOrigin + performance.now();

let expected: { memberId: string; state: string }[] = [];
const subs: Sub[] = [];

/** Latency histogram: 0.05 ms buckets below 100 ms, then 1 ms buckets up to 120 s (read back by bench/subscriptions.ts's bucketMs). */
const bucketOf = (ms: number) => (ms < 100 ? Math.max(0, Math.floor(ms * 20)) : Math.min(2000 + Math.floor(ms - 100), 2000 + 120_000 - 1));

function onMessage(sub: Sub, raw: WebSocket.RawData) {
  const m = JSON.parse(raw.toString()) as { type: string; payload?: { data?: { membershipChanged?: { worker: { memberId: string; state: string } } } } };
  if (m.type !== 'next') {
    if (m.type === 'error' || m.type === 'complete') sub.errors++;
    return;
  }
  const k = sub.received++;
  const e = m.payload?.data?.membershipChanged;
  if (k >= expected.length || !e) {
    sub.outOfOrder++;
    return;
  }
  sub.at[k] = now();
  if (e.worker.memberId !== expected[k]!.memberId || e.worker.state !== expected[k]!.state) sub.outOfOrder++;
}

function openOne(arg: OpenArg): Promise<Sub> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(arg.protocol === 'graphql-ws' ? `${arg.url.replace(/^http/, 'ws')}/graphql` : arg.url.replace(/^http/, 'ws'), arg.protocol === 'graphql-ws' ? 'graphql-transport-ws' : undefined);
    const sub: Sub = { socket, received: 0, outOfOrder: 0, errors: 0, at: new Float64Array(expected.length) };
    socket.once('error', reject);
    socket.once('close', (code) => reject(new Error(`closed (${code}) while opening`)));
    if (arg.protocol === 'raw') {
      socket.once('open', () => {
        socket.on('message', (d) => onMessage(sub, d));
        resolve(sub);
      });
      return;
    }
    socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: arg.token ? { authorization: `Bearer ${arg.token}` } : {} })));
    const handshake = (d: WebSocket.RawData) => {
      const m = JSON.parse(d.toString()) as { type: string };
      if (m.type !== 'connection_ack') return;
      socket.off('message', handshake);
      socket.on('message', (data) => onMessage(sub, data));
      socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: arg.query, variables: arg.variables ?? {} } }));
      resolve(sub);
    };
    socket.on('message', handshake);
  });
}

try {
  serveRpc(
    { pid: process.pid },
    {
      open: async (a) => {
        const arg = a as OpenArg;
        // A few at a time: a thousand handshakes at once would be refused by nothing but measured by everything.
        for (let i = 0; i < arg.count; i += 50) {
          subs.push(...(await Promise.all(Array.from({ length: Math.min(50, arg.count - i) }, () => openOne(arg)))));
        }
        for (const s of subs) s.socket.removeAllListeners('close');
        return subs.length;
      },
      expect: (e) => {
        expected = e as typeof expected;
        for (const s of subs) {
          s.received = 0;
          s.outOfOrder = 0;
          s.errors = 0;
          s.at = new Float64Array(expected.length);
        }
      },
      progress: () => ({ subscribers: subs.length, complete: subs.filter((s) => s.received >= expected.length).length, received: subs.reduce((n, s) => n + s.received, 0) }),
      collect: (t) => {
        const sentAt = t as number[];
        const hist = new Map<number, number>();
        let missing = 0;
        for (const s of subs) {
          for (let k = 0; k < expected.length; k++) {
            const at = s.at[k]!;
            if (at === 0) {
              missing++;
              continue;
            }
            const b = bucketOf(at - sentAt[k]!);
            hist.set(b, (hist.get(b) ?? 0) + 1);
          }
        }
        return {
          subscribers: subs.length,
          received: subs.reduce((n, s) => n + Math.min(s.received, expected.length), 0),
          extra: subs.reduce((n, s) => n + Math.max(0, s.received - expected.length), 0),
          missing,
          outOfOrder: subs.reduce((n, s) => n + s.outOfOrder, 0),
          errors: subs.reduce((n, s) => n + s.errors, 0),
          hist: [...hist],
        };
      },
      close: async () => {
        await Promise.all(
          subs.splice(0).map(
            (s) =>
              new Promise<void>((resolve) => {
                if (s.socket.readyState === WebSocket.CLOSED) return resolve();
                s.socket.once('close', () => resolve());
                s.socket.close(1000);
              }),
          ),
        );
      },
      usage: () => processUsage(),
    },
    async () => {
      for (const s of subs) s.socket.terminate();
    },
  );
} catch (err) {
  fatal(err);
}

