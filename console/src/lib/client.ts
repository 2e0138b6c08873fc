/**
 * One urql client per signed-in token: queries and mutations over HTTP (`Authorization` header),
 * subscriptions over graphql-ws on the same origin (token in `connectionParams`). The socket
 * reconnects by itself with backoff; every (re)connection bumps `epoch`, and views re-read what
 * they show when it changes (list, then watch), so nothing stale is shown as live.
 */
import { Client, cacheExchange, fetchExchange, mapExchange, subscriptionExchange } from '@urql/core';
import { type Client as WsClient, createClient as createWsClient } from 'graphql-ws';

export type LinkState = 'connecting' | 'live' | 'reconnecting' | 'refused';

export interface LinkStatus {
  state: LinkState;
  /** Bumped on every (re)connection of the socket. */
  epoch: number;
  /** When the link was lost (reconnecting), for "since". */
  since: number | null;
  attempt: number;
}

type Listener = () => void;

export interface ConsoleClient {
  urql: Client;
  status(): LinkStatus;
  subscribe(l: Listener): () => void;
  dispose(): void;
}

const REFUSED_CODES = new Set([4401, 4403]);

export function createConsoleClient(token: string, onRefused: (message: string) => void): ConsoleClient {
  let status: LinkStatus = { state: 'connecting', epoch: 0, since: null, attempt: 0 };
  const listeners = new Set<Listener>();
  const set = (next: Partial<LinkStatus>) => {
    status = { ...status, ...next };
    for (const l of listeners) l();
  };

  const wsUrl = `${window.location.protocol === 'https:' ? 'wss:' : 'ws:'}//${window.location.host}/graphql`;
  const ws: WsClient = createWsClient({
    url: wsUrl,
    lazy: false,
    keepAlive: 10_000,
    retryAttempts: Number.POSITIVE_INFINITY,
    connectionParams: () => ({ authorization: `Bearer ${token}` }),
    // A refusal is handled by `closed` below (sign-out with the OC's reason), not logged as an error.
    onNonLazyError: () => undefined,
    shouldRetry: (e) => !(isClose(e) && REFUSED_CODES.has(e.code)),
    retryWait: async (retries) => {
      // 0.5 s doubling to 10 s, with jitter so a restarted OC is not hit by every tab at once.
      const base = Math.min(10_000, 500 * 2 ** retries);
      await new Promise((r) => setTimeout(r, base / 2 + Math.random() * (base / 2)));
    },
    on: {
      connecting: () => {
        if (status.state === 'live') set({ state: 'reconnecting', since: Date.now() });
        set({ attempt: status.attempt + 1 });
      },
      connected: () => set({ state: 'live', epoch: status.epoch + 1, since: null, attempt: 0 }),
      closed: (e) => {
        if (isClose(e) && REFUSED_CODES.has(e.code)) {
          set({ state: 'refused' });
          onRefused(e.reason || 'The OC refused this token.');
          return;
        }
        if (status.state === 'live') set({ state: 'reconnecting', since: Date.now() });
      },
    },
  });

  const urql = new Client({
    url: '/graphql',
    requestPolicy: 'cache-and-network',
    fetchOptions: () => ({ headers: { authorization: `Bearer ${token}` } }),
    exchanges: [
      mapExchange({
        onError(error) {
          const status = (error.response as Response | undefined)?.status;
          const code = error.graphQLErrors.find((g) => g.extensions?.code === 'UNAUTHENTICATED');
          if (status === 401 || code) onRefused(code?.message ?? 'The OC refused this token.');
        },
      }),
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || '' };
          return {
            subscribe(sink) {
              const unsubscribe = ws.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });

  return {
    urql,
    status: () => status,
    subscribe(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    dispose() {
      // A socket the OC refused rejects its dispose with that close: nothing left to do about it.
      Promise.resolve(ws.dispose()).catch(() => undefined);
    },
  };
}

let current: { token: string; client: ConsoleClient } | null = null;

/**
 * The one client of this tab for `token` (the same object however often React asks, so a
 * re-render or StrictMode's double call never opens a second socket); a new token replaces
 * and disposes the previous client, `null` disposes it.
 */
export function clientFor(token: string | null, onRefused: (message: string) => void): ConsoleClient | null {
  if (current && current.token === token) return current.client;
  current?.client.dispose();
  current = token ? { token, client: createConsoleClient(token, onRefused) } : null;
  return current?.client ?? null;
}

function isClose(e: unknown): e is CloseEvent {
  return typeof e === 'object' && e !== null && 'code' in e && typeof (e as CloseEvent).code === 'number';
}
