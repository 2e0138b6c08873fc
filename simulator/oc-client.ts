/**
 * The simulator's only contact with the OC: the manager-side half of the public GraphQL API
 * (docs/api.md), over HTTP POST /graphql (node:http, keep-alive) and graphql-ws at /graphql. The
 * documents it sends are the manager protocol's, in documents.ts (typed from schema.graphql).
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import {
  documentText,
  ManagerTasksSubscription,
  RegisterManagerMutation,
  ReportMembershipMutation,
  ReportStatsMutation,
  ReportTaskMutation,
} from './documents.js';
import type * as Protocol from './gql/graphql.js';
import type { StatsSample, WorkerInput } from './worker.js';

const httpAgent = new HttpAgent({ keepAlive: true, maxFreeSockets: 64 });
const httpsAgent = new HttpsAgent({ keepAlive: true, maxFreeSockets: 64 });

// ── types (the API's shapes, as the simulator uses them) ─────────────────────────────────────
// What comes back is typed by the generated documents; what goes out is the simulator's own
// (narrower: it always sends every field), checked against the generated variables at each call.

export type TaskAction = Protocol.TaskAction;
export type TaskState = Protocol.TaskState;
export type MembershipChange = Protocol.MembershipChange;

/**
 * A task as managerTasks delivers it (the document's selection, generated). `action` and `state`
 * stay open strings: an OC newer than this manager may send values it does not know yet.
 */
export type ManagerTask = Omit<Protocol.ManagerTasksSubscription['managerTasks'], 'action' | 'state'> & {
  action: TaskAction | string;
  state: TaskState | string;
};

export interface OperationInput {
  name: string;
  description?: string;
  inputSchema?: unknown;
}

export interface RegisterManagerInput {
  clusterName: string;
  kind: string;
  host: string;
  url: string;
  version?: string;
  workers: WorkerInput[];
  operations?: OperationInput[];
}

export interface RegisterManagerPayload {
  sessionToken: string;
  manager: { id: string };
  cluster: { id: string; name: string };
}

export interface MembershipEventInput {
  seq: number;
  change: MembershipChange;
  worker: WorkerInput;
}

export interface ReportTaskInput {
  taskId: string;
  state: TaskState;
  message?: string;
  result?: unknown;
}

/** A business error: a member of a mutation's result union implementing `Error`. */
export interface ResultError {
  typename: string;
  message: string;
  code: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ResultError };

/**
 * A failure to get an answer: `network` (unreachable, timeout, 5xx, socket closed), `auth`
 * (HTTP 401, UNAUTHENTICATED, close 4401/4403: the token or session is refused), `protocol`
 * (GraphQL errors: the OC did not understand us; usually a contract mismatch), `overloaded`
 * (OVERLOADED, HTTP 503: the OC did nothing and says to come back after `retryAfterMs`).
 */
export class OcError extends Error {
  constructor(
    readonly kind: 'network' | 'auth' | 'protocol' | 'overloaded',
    message: string,
    readonly status?: number,
    readonly extra: { retryAfterMs?: number; timedOut?: boolean } = {},
  ) {
    super(message);
    this.name = 'OcError';
  }

  /** `overloaded`: when the OC said to come back (1 s when it did not say). */
  get retryAfterMs(): number {
    return this.extra.retryAfterMs ?? 1_000;
  }

  /** `network`: the call timed out (the OC may still be working on it). */
  get timedOut(): boolean {
    return this.extra.timedOut === true;
  }
}

export interface TaskStreamHandlers {
  /** The WebSocket is open and acknowledged. */
  connected?(): void;
  task(task: ManagerTask): void;
  /** The stream ended (closed, refused, completed); called at most once, never after close(). */
  ended(error: OcError): void;
}

export interface TaskStream {
  /** Close the stream. `abrupt`: drop the TCP connection without a close frame (a crash). */
  close(abrupt?: boolean): void;
}

/** The operations a manager performs against the OC. */
export interface OcTransport {
  registerManager(enrollmentToken: string, input: RegisterManagerInput): Promise<Result<RegisterManagerPayload>>;
  reportMembership(sessionToken: string, events: MembershipEventInput[]): Promise<Result<{ acceptedThroughSeq: number }>>;
  reportStats(sessionToken: string, samples: StatsSample[]): Promise<Result<null>>;
  reportTask(sessionToken: string, input: ReportTaskInput): Promise<Result<null>>;
  subscribeTasks(sessionToken: string, handlers: TaskStreamHandlers): TaskStream;
}

/** `http://host:4000`, `http://host:4000/`, `http://host:4000/graphql` → the HTTP and WS endpoints. */
export function endpoints(url: string): { http: string; ws: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`not a URL: "${url}" (expected e.g. http://127.0.0.1:4000)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new Error(`the OC URL must be http:// or https://, got "${url}"`);
  }
  const base = parsed.href.replace(/\/+$/, '').replace(/\/graphql$/, '');
  return { http: `${base}/graphql`, ws: `${base.replace(/^http/, 'ws')}/graphql` };
}

export interface OcClientOptions {
  /** Per-request deadline for HTTP calls. */
  requestTimeoutMs?: number;
  /**
   * The deadline of registerManager (default 60 s, longer than the others): under a storm the OC
   * queues registrations, and one given up on is work the OC does anyway, then again on the retry.
   */
  registerTimeoutMs?: number;
  /** graphql-ws ping interval; a missing pong within pongTimeoutMs drops the socket. */
  keepAliveMs?: number;
  pongTimeoutMs?: number;
}

interface GraphQLResponse {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** The real transport: HTTP POST for mutations, graphql-ws over `ws` for the subscription. */
export class OcClient implements OcTransport {
  readonly httpUrl: string;
  readonly wsUrl: string;
  private readonly httpTarget: URL;
  private readonly requestTimeoutMs: number;
  private readonly registerTimeoutMs: number;
  private readonly keepAliveMs: number;
  private readonly pongTimeoutMs: number;

  constructor(url: string, opts: OcClientOptions = {}) {
    const ep = endpoints(url);
    this.httpUrl = ep.http;
    this.wsUrl = ep.ws;
    this.httpTarget = new URL(ep.http);
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 15_000;
    this.registerTimeoutMs = opts.registerTimeoutMs ?? Math.max(60_000, this.requestTimeoutMs);
    this.keepAliveMs = opts.keepAliveMs ?? 10_000;
    this.pongTimeoutMs = opts.pongTimeoutMs ?? 5_000;
  }

  async registerManager(enrollmentToken: string, input: RegisterManagerInput): Promise<Result<RegisterManagerPayload>> {
    const data = await this.request('registerManager', RegisterManagerMutation, { input }, enrollmentToken, this.registerTimeoutMs);
    return unionResult(data.registerManager, (v) => ({
      sessionToken: v.sessionToken,
      manager: { id: v.manager.id },
      cluster: { id: v.cluster.id, name: v.cluster.name },
    }));
  }

  async reportMembership(sessionToken: string, events: MembershipEventInput[]): Promise<Result<{ acceptedThroughSeq: number }>> {
    const data = await this.request('reportMembership', ReportMembershipMutation, { input: { events } }, sessionToken);
    return unionResult(data.reportMembership, (v) => ({ acceptedThroughSeq: v.acceptedThroughSeq }));
  }

  async reportStats(sessionToken: string, samples: StatsSample[]): Promise<Result<null>> {
    const data = await this.request('reportStats', ReportStatsMutation, { input: { samples } }, sessionToken);
    return unionResult(data.reportStats, () => null);
  }

  async reportTask(sessionToken: string, input: ReportTaskInput): Promise<Result<null>> {
    const data = await this.request('reportTask', ReportTaskMutation, { input }, sessionToken);
    return unionResult(data.reportTask, () => null);
  }

  subscribeTasks(sessionToken: string, handlers: TaskStreamHandlers): TaskStream {
    let socket: WebSocket | null = null;
    let done = false;
    let pongTimer: ReturnType<typeof setTimeout> | null = null;
    const clearPong = () => {
      if (pongTimer) clearTimeout(pongTimer);
      pongTimer = null;
    };
    const end = (error: OcError) => {
      if (done) return;
      done = true;
      clearPong();
      disposeQuietly(client);
      handlers.ended(error);
    };
    const client: Client = createClient({
      url: this.wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${sessionToken}` },
      lazy: true,
      retryAttempts: 0,
      shouldRetry: () => false,
      keepAlive: this.keepAliveMs,
      on: {
        opened: (s) => {
          socket = s as WebSocket;
        },
        connected: () => {
          if (!done) handlers.connected?.();
        },
        ping: (received) => {
          if (received || pongTimer) return;
          pongTimer = setTimeout(() => {
            socket?.terminate();
            end(new OcError('network', `no pong from the OC within ${this.pongTimeoutMs} ms`));
          }, this.pongTimeoutMs);
          pongTimer.unref?.();
        },
        pong: (received) => {
          if (received) clearPong();
        },
        closed: (event) => end(closeError(event)),
      },
    });
    client.subscribe<{ managerTasks: ManagerTask }>(
      { query: documentText(ManagerTasksSubscription) },
      {
        next: (result) => {
          if (done) return;
          if (result.errors?.length) {
            end(graphqlError('managerTasks', result.errors as GraphQLResponse['errors']));
            return;
          }
          const task = result.data?.managerTasks;
          if (task) handlers.task(task);
        },
        error: (err) => end(err instanceof OcError ? err : closeError(err)),
        complete: () => end(new OcError('network', 'the OC completed the managerTasks subscription')),
      },
    );
    return {
      close: (abrupt = false) => {
        if (done) return;
        done = true;
        clearPong();
        if (abrupt) socket?.terminate();
        disposeQuietly(client);
      },
    };
  }

  private async request<R extends Record<string, unknown>, V>(
    field: keyof R & string,
    doc: TypedDocumentNode<R, V>,
    variables: V,
    token: string,
    timeoutMs = this.requestTimeoutMs,
  ): Promise<R> {
    let res: { status: number; text: string; retryAfter: string | undefined };
    try {
      res = await this.post(JSON.stringify({ query: documentText(doc), variables }), token, timeoutMs);
    } catch (err) {
      const timedOut = (err as { code?: string }).code === 'ETIMEDOUT';
      throw new OcError('network', `${field}: ${describeRequestError(err)}`, undefined, { timedOut });
    }
    if (res.status === 401) throw new OcError('auth', `${field}: HTTP 401 (token refused)`, 401);
    const overloaded = overloadedError(field, res);
    if (overloaded) throw overloaded;
    let body: GraphQLResponse;
    try {
      body = JSON.parse(res.text) as GraphQLResponse;
    } catch {
      throw new OcError(res.status >= 500 ? 'network' : 'protocol', `${field}: HTTP ${res.status} without a GraphQL body`, res.status);
    }
    if (body.errors?.length) {
      const error = graphqlError(field, body.errors, res.status);
      if (error.kind === 'auth' || !body.data || body.data[field] == null) throw error;
    }
    if (!body.data || body.data[field] == null) {
      throw new OcError(res.status >= 500 ? 'network' : 'protocol', `${field}: HTTP ${res.status}, no data`, res.status);
    }
    return body.data as R;
  }

  /** POST over node:http(s) with a keep-alive agent: no lazy fetch start-up, cheap per call. */
  private post(body: string, token: string, timeoutMs: number): Promise<{ status: number; text: string; retryAfter: string | undefined }> {
    const url = this.httpTarget;
    return new Promise((resolve, reject) => {
      const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
        url,
        {
          method: 'POST',
          agent: url.protocol === 'https:' ? httpsAgent : httpAgent,
          headers: {
            'content-type': 'application/json',
            accept: 'application/graphql-response+json, application/json;q=0.9',
            authorization: `Bearer ${token}`,
            'content-length': Buffer.byteLength(body),
          },
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const retryAfter = res.headers['retry-after'];
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
      req.on('error', reject);
      req.end(body);
    });
  }
}

/**
 * The OC's OVERLOADED answer (docs/api.md: HTTP 503, Retry-After, extensions.retryAfterMs), or null.
 * Any HTTP 503 with a Retry-After counts (a proxy in front of the OC saying the same).
 */
function overloadedError(field: string, res: { status: number; text: string; retryAfter: string | undefined }): OcError | null {
  if (res.status !== 503 && !res.text.includes('"OVERLOADED"')) return null; // (no second parse of every answer)
  let ext: { code?: string; retryAfterMs?: unknown } | undefined;
  try {
    ext = (JSON.parse(res.text) as GraphQLResponse & { errors?: { extensions?: { retryAfterMs?: unknown } }[] }).errors?.find(
      (e) => e.extensions?.code === 'OVERLOADED',
    )?.extensions;
  } catch {
    ext = undefined;
  }
  if (!ext && !(res.status === 503 && res.retryAfter !== undefined)) return null;
  const fromHeader = res.retryAfter !== undefined && /^\d+$/.test(res.retryAfter) ? Number(res.retryAfter) * 1000 : undefined;
  const retryAfterMs = typeof ext?.retryAfterMs === 'number' && ext.retryAfterMs >= 0 ? ext.retryAfterMs : (fromHeader ?? 1_000);
  return new OcError('overloaded', `${field}: the OC is overloaded (HTTP ${res.status}); retry after ${retryAfterMs} ms`, res.status, { retryAfterMs });
}

/** graphql-ws's dispose() rejects when the socket was refused before it connected: nothing to do then. */
function disposeQuietly(client: Client): void {
  Promise.resolve(client.dispose()).catch(() => {});
}

/** A mutation's result union: its payload read by `read`, or the business error it is. */
function unionResult<U extends { __typename: string }, T>(
  value: U,
  read: (payload: Exclude<U, { code: string }>) => T,
): Result<T> {
  const e = value as { __typename?: string; code?: unknown; message?: unknown };
  if (typeof e.code === 'string' || typeof e.message === 'string') {
    return { ok: false, error: { typename: String(e.__typename ?? 'Error'), message: String(e.message ?? ''), code: String(e.code ?? '') } };
  }
  return { ok: true, value: read(value as Exclude<U, { code: string }>) };
}

function graphqlError(field: string, errors: GraphQLResponse['errors'] = [], status?: number): OcError {
  const codes = errors.map((e) => e.extensions?.code);
  const text = errors.map((e) => (e.extensions?.code ? `${e.extensions.code}: ${e.message}` : e.message)).join('; ');
  if (codes.includes('UNAUTHENTICATED')) return new OcError('auth', `${field}: ${text}`, status);
  return new OcError('protocol', `${field}: ${text}`, status);
}

function closeError(event: unknown): OcError {
  const e = event as { code?: number; reason?: string; message?: string } | null;
  if (e && typeof e.code === 'number') {
    const why = `WebSocket closed (${e.code}${e.reason ? ` ${e.reason}` : ''})`;
    if (e.code === 4401 || e.code === 4403) return new OcError('auth', why);
    return new OcError('network', why);
  }
  if (Array.isArray(event)) return graphqlError('managerTasks', event as GraphQLResponse['errors']);
  return new OcError('network', `WebSocket error: ${e?.message ?? String(event)}`);
}

function describeRequestError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: string }).code;
    return code && !err.message.includes(code) ? `${code} (${err.message})` : err.message;
  }
  return String(err);
}

