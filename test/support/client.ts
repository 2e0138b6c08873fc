import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { waitFor } from './wait.js';

export interface GqlResponse<T = any> {
  status: number;
  data: T;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string; [key: string]: unknown } }[];
}

/** One GraphQL request over real HTTP. */
export async function gql<T = any>(url: string, token: string | null, query: string, variables?: Record<string, unknown>): Promise<GqlResponse<T>> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as any;
  return { status: res.status, data: body.data, errors: body.errors };
}

/** Like gql, but fails the test on any GraphQL error. */
export async function gqlOk<T = any>(url: string, token: string | null, query: string, variables?: Record<string, unknown>): Promise<T> {
  const r = await gql<T>(url, token, query, variables);
  if (r.status !== 200 || r.errors?.length) throw new Error(`GraphQL failed (${r.status}): ${JSON.stringify(r.errors)}`);
  return r.data;
}

/**
 * A graphql-ws client. Lazy by default (it connects with its first operation and hangs up when
 * the last one ends); `lazy: false` connects at once and holds the socket until disposed.
 */
export function wsClient(
  url: string,
  token: string | null,
  opts: { onClose?: (code: number, reason: string) => void; onConnected?: () => void; retry?: boolean; lazy?: boolean } = {},
): Client {
  return createClient({
    url: `${url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: opts.retry ? 5 : 0,
    lazy: opts.lazy ?? true,
    onNonLazyError: () => {},
    on: { closed: (e: any) => opts.onClose?.(e?.code, e?.reason), connected: () => opts.onConnected?.() },
  });
}

/** A live subscription whose events are collected; `next()` waits for the next one. */
export interface Subscription<T> {
  events: T[];
  errors: unknown[];
  done: boolean;
  next(timeoutMs?: number): Promise<T>;
  waitFor(pred: (e: T) => boolean, timeoutMs?: number): Promise<T>;
  close(): void;
}

export function subscribe<T = any>(client: Client, query: string, variables?: Record<string, unknown>): Subscription<T> {
  const events: T[] = [];
  const errors: unknown[] = [];
  let read = 0;
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of waiters) w();
  };
  const sub: Subscription<T> = {
    events,
    errors,
    done: false,
    async next(timeoutMs = 10_000) {
      if (read < events.length) return events[read++]!;
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`no subscription event within ${timeoutMs} ms (errors: ${JSON.stringify(errors)})`));
        }, timeoutMs);
        const w = () => {
          if (read < events.length || errors.length || sub.done) {
            clearTimeout(t);
            waiters.delete(w);
            resolve();
          }
        };
        waiters.add(w);
      });
      if (read < events.length) return events[read++]!;
      throw new Error(`subscription ended: ${JSON.stringify(errors)}`);
    },
    async waitFor(pred, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const e = await sub.next(Math.max(1, deadline - Date.now()));
        if (pred(e)) return e;
      }
    },
    close: () => unsubscribe(),
  };
  const unsubscribe = client.subscribe<T>(
    { query, variables },
    {
      next: (v) => {
        if (v.errors?.length) errors.push(v.errors);
        else events.push(v.data as T);
        wake();
      },
      error: (e) => {
        errors.push(e);
        sub.done = true;
        wake();
      },
      complete: () => {
        sub.done = true;
        wake();
      },
    },
  );
  return sub;
}

/** The sum of the samples of a metric on /metrics whose labels include `labels` (all of them when none are given), or null if none. */
export async function metricValue(url: string, name: string, labels: Record<string, string> = {}): Promise<number | null> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum: number | null = null;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum = (sum ?? 0) + Number(m[3]);
  }
  return sum;
}

/**
 * Subscribes and resolves once the server has started the subscription (its count of
 * subscriptions started went up), so an event caused right after cannot be missed. One at a time per OC.
 */
export async function subscribeReady<T = any>(url: string, client: Client, query: string, variables?: Record<string, unknown>): Promise<Subscription<T>> {
  const started = async () => (await metricValue(url, 'oc_graphql_requests_total', { type: 'subscription', outcome: 'ok' })) ?? 0;
  const before = await started();
  const sub = subscribe<T>(client, query, variables);
  await waitFor(async () => {
    if (sub.errors.length || sub.done) throw new Error(`subscription refused: ${JSON.stringify(sub.errors)}`);
    return (await started()) > before;
  }, 'the subscription to be active on the server');
  return sub;
}
