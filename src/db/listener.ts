/**
 * PostgreSQL's LISTEN connection for one OC: a dedicated client, re-opened with backoff whenever
 * it is lost (the channels of the OC's event bridge, events/pg-bridge.ts, are listened on again).
 */
import pg from 'pg';
import type { Logger } from '../logger.js';

const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5_000;

/**
 * The dedicated LISTEN connection (LISTEN needs one of its own, not a pooled one). When it is lost,
 * it is opened again with exponential backoff (100 ms doubling to 5 s, with jitter) and LISTENs on
 * every channel again; then each `onRestored` is called: whatever was notified meanwhile is lost.
 */
export function reconnectingListener(url: string, logger: Logger | undefined) {
  const handlers = new Map<string, Set<(p: string) => void>>();
  const restored = new Set<() => void>();
  let client: pg.Client | null = null;
  let connecting: Promise<void> | null = null;
  let retry: NodeJS.Timeout | null = null;
  let attempt = 0;
  let closed = false;
  const quote = (channel: string) => `"${channel.replace(/"/g, '')}"`;

  async function connect(): Promise<void> {
    const c = new pg.Client({ connectionString: url, keepAlive: true });
    c.on('error', (err) => logger?.warn('LISTEN connection lost', { err }));
    c.on('notification', (n) => {
      for (const h of handlers.get(n.channel) ?? []) h(n.payload ?? '');
    });
    c.once('end', () => {
      if (client !== c) return;
      client = null;
      if (closed) return;
      logger?.warn('LISTEN connection ended; reconnecting');
      scheduleReconnect();
    });
    try {
      await c.connect();
      for (const channel of handlers.keys()) await c.query(`LISTEN ${quote(channel)}`);
    } catch (err) {
      await c.end().catch(() => {});
      throw err;
    }
    if (closed) {
      await c.end().catch(() => {});
      return;
    }
    client = c;
  }

  function scheduleReconnect() {
    if (closed || retry) return;
    const delay = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** attempt) * (0.5 + Math.random() / 2);
    attempt++;
    retry = setTimeout(() => {
      retry = null;
      connecting = connect().finally(() => {
        connecting = null;
      });
      connecting.then(
        () => {
          if (closed || !client) return;
          logger?.info('LISTEN connection restored', { attempts: attempt });
          attempt = 0;
          for (const cb of restored) cb();
        },
        (err) => {
          logger?.warn('LISTEN reconnect failed; trying again', { err, attempt });
          scheduleReconnect();
        },
      );
    }, delay);
    retry.unref?.();
  }

  return {
    /** Listening now (nothing to listen for yet counts as listening). */
    get connected() {
      return client !== null || (handlers.size === 0 && !retry);
    },
    async listen(channel: string, onPayload: (payload: string) => void, onRestored?: () => void) {
      let set = handlers.get(channel);
      const fresh = !set;
      if (!set) handlers.set(channel, (set = new Set()));
      set.add(onPayload);
      if (onRestored) restored.add(onRestored);
      if (connecting) await connecting;
      else if (!client && !retry) await (connecting = connect().finally(() => (connecting = null)));
      else if (fresh && client) await client.query(`LISTEN ${quote(channel)}`);
      return async () => {
        set.delete(onPayload);
        if (onRestored) restored.delete(onRestored);
      };
    },
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      retry = null;
      await connecting?.catch(() => {});
      const c = client;
      client = null;
      await c?.end().catch(() => {});
    },
  };
}
