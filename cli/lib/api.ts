/**
 * The OC's public GraphQL API, as any client sees it: POST /graphql for queries and mutations,
 * graphql-ws on the same path for subscriptions. Every failure becomes a CliError carrying the
 * OC's own code (`extensions.code`, or the result union's `code`).
 */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { ClusterRefQuery, CommandsQuery } from '../documents.js';
import type { Target } from './config.js';
import { CliError } from './errors.js';

const printed = new WeakMap<object, string>();
function source(doc: TypedDocumentNode<any, any>): string {
  let s = printed.get(doc);
  if (!s) printed.set(doc, (s = print(doc)));
  return s;
}

function unreachable(url: string, cause: unknown): CliError {
  const c = (cause as any)?.cause ?? cause;
  const code = c?.code ?? c?.errors?.[0]?.code;
  const why =
    code === 'ECONNREFUSED'
      ? 'connection refused'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? 'unknown host'
        : code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT'
          ? 'connection timed out'
          : code === 'ECONNRESET'
            ? 'connection reset'
            : (c?.message ?? String(c));
  return new CliError(null, `cannot reach the OC at ${url}: ${why}`);
}

export interface Api {
  readonly target: Target;
  request<R, V extends Record<string, unknown>>(doc: TypedDocumentNode<R, V>, variables?: V): Promise<R>;
}

export function api(target: Target): Api {
  return {
    target,
    async request(doc, variables) {
      let res: Response;
      try {
        res = await fetch(`${target.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', authorization: `Bearer ${target.token}` },
          body: JSON.stringify({ query: source(doc), variables }),
          signal: AbortSignal.timeout(60_000),
        });
      } catch (e) {
        throw unreachable(target.url, e);
      }
      let body: any;
      try {
        body = await res.json();
      } catch {
        throw new CliError(res.status === 401 ? 'UNAUTHENTICATED' : 'HTTP_' + res.status, `the OC at ${target.url} answered ${res.status} ${res.statusText} without GraphQL`);
      }
      const err = body?.errors?.[0];
      if (err) {
        const code = err.extensions?.code ?? (res.status === 401 ? 'UNAUTHENTICATED' : 'GRAPHQL');
        throw new CliError(String(code), String(err.message));
      }
      if (!body?.data) throw new CliError('HTTP_' + res.status, `the OC at ${target.url} answered ${res.status} with no data`);
      return body.data;
    },
  };
}

/** A union member that implements Error becomes a CliError with its code; anything else is returned. */
export function ok<T extends { __typename: string }, P extends T['__typename']>(result: T, payload: P): Extract<T, { __typename: P }> {
  if (result.__typename === payload) return result as Extract<T, { __typename: P }>;
  const e = result as { code?: string; message?: string; field?: string | null };
  throw new CliError(e.code ?? result.__typename, e.message ?? result.__typename);
}

/** A cluster by name (or by its id): `{ id, name }`, or NOT_FOUND. */
export async function resolveCluster(a: Api, nameOrId: string): Promise<{ id: string; name: string }> {
  const byName = await a.request(ClusterRefQuery, { name: nameOrId });
  if (byName.cluster) return byName.cluster;
  if (/^[A-Za-z0-9+/=_-]{16,}$/.test(nameOrId)) {
    try {
      const byId = await a.request(ClusterRefQuery, { id: nameOrId });
      if (byId.cluster) return byId.cluster;
    } catch (e) {
      if (!(e instanceof CliError) || e.code !== 'VALIDATION') throw e;
    }
  }
  throw new CliError('NOT_FOUND', `no cluster named "${nameOrId}" (oc clusters lists them)`);
}

export interface Live {
  client: Client;
  /** Runs a subscription until it ends or `dispose`; errors come as CliErrors. */
  subscribe<R, V extends Record<string, unknown>>(doc: TypedDocumentNode<R, V>, variables: V, onData: (data: R) => void, onError: (e: CliError) => void): () => void;
  dispose(): Promise<void>;
}

/**
 * A graphql-ws connection that reconnects by itself (backoff 250 ms doubling to 5 s) whatever
 * dropped it, except a refused token. `onConnected` runs at each (re)connection, so the caller
 * can read again what it may have missed.
 */
export function live(target: Target, hooks: { onConnected?: (reconnect: boolean) => void; onDisconnected?: (why: string) => void } = {}): Live {
  let connections = 0;
  const client = createClient({
    url: `${target.url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${target.token}` },
    lazy: true,
    keepAlive: 10_000,
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    retryWait: async (retries) => new Promise((r) => setTimeout(r, Math.min(5_000, 250 * 2 ** retries))),
    on: {
      connected: () => hooks.onConnected?.(connections++ > 0),
      closed: (e: any) => {
        if (connections > 0) hooks.onDisconnected?.(e?.code === 1006 || e?.code === undefined ? 'connection lost' : `closed (${e.code}${e.reason ? ` ${e.reason}` : ''})`);
      },
    },
  });
  const toCliError = (e: any): CliError => {
    if (e instanceof CliError) return e;
    if (e && typeof e === 'object' && 'code' in e && 'reason' in e) {
      if (e.code === 4401) return new CliError('UNAUTHENTICATED', e.reason || 'token refused');
      if (e.code === 4403) return new CliError('FORBIDDEN', e.reason || 'forbidden');
      return new CliError('CLOSED', `the OC closed the connection (${e.code}${e.reason ? `: ${e.reason}` : ''})`);
    }
    if (Array.isArray(e)) return new CliError(String(e[0]?.extensions?.code ?? 'GRAPHQL'), String(e[0]?.message ?? 'subscription failed'));
    if (e?.code === 'ECONNREFUSED' || e?.cause) return unreachable(target.url, e);
    return new CliError('ERROR', e?.message ?? String(e));
  };
  return {
    client,
    subscribe(doc, variables, onData, onError) {
      return client.subscribe<any>(
        { query: source(doc), variables },
        {
          next: (r) => {
            if (r.errors?.length) onError(toCliError(r.errors));
            else if (r.data) onData(r.data as any);
          },
          error: (e) => onError(toCliError(e)),
          complete: () => {},
        },
      );
    },
    async dispose() {
      await client.dispose();
    },
  };
}

/**
 * A command's short id, as Nomad shows its ids: the first 8 hex digits of the uuid inside its
 * global id (`Command:<uuid>`, base64). Anything else is shown whole.
 */
export function shortId(globalId: string): string {
  const m = /^[A-Za-z]+:([0-9a-f]{8})-[0-9a-f-]{27}$/i.exec(Buffer.from(globalId, 'base64').toString('utf8'));
  return m ? m[1]!.toLowerCase() : globalId;
}

const uuidOf = (globalId: string) => /^Command:([0-9a-f-]{36})$/i.exec(Buffer.from(globalId, 'base64').toString('utf8'))?.[1]?.toLowerCase();

/** A command's global id from itself, or from a unique prefix of its uuid (4 hex digits or more) among the latest 500. */
export async function resolveCommandId(a: Api, arg: string): Promise<string> {
  const prefix = arg.trim().toLowerCase();
  if (!/^[0-9a-f][0-9a-f-]{3,35}$/.test(prefix)) return arg.trim();
  const d = await a.request(CommandsQuery, { first: 500 });
  const matches = d.commands.edges.map((e) => e.node.id).filter((id) => uuidOf(id)?.startsWith(prefix));
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) throw new CliError('AMBIGUOUS', `"${arg}" is the start of ${matches.length} commands' ids: give more of it`);
  throw new CliError('NOT_FOUND', `no command with an id starting "${arg}" among the latest 500 (oc commands lists them)`);
}
