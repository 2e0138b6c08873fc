/**
 * A stand-in for the manager-facing half of the OC, for testing the simulator without the real
 * server (and for benchmarking the simulator alone). It is NOT the OC: no database, no rollout
 * controller, no operator API. It speaks the same manager protocol as docs/api.md (same field, type
 * and input names, result unions implementing Error, 401 / close 4401 on a refused token, seq
 * rules: duplicates ignored, gaps refused) and lets a test hand tasks to managers directly.
 *
 *   npx tsx simulator/fake-oc.ts --port 4999 --token enroll   # standalone, for a bench
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import type { GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { buildFakeOcSchema, graphql } from './fake-oc-schema.js';
import type { Ctx, FakeCluster, FakeOcOptions, FakeTask, SessionInfo } from './fake-oc-types.js';
import type { ManagerTask, MembershipEventInput, RegisterManagerInput, ReportTaskInput } from './oc-client.js';
import type { StatsSample } from './worker.js';

export type { FakeCluster, FakeOcOptions, FakeTask } from './fake-oc-types.js';

export class FakeOc {
  readonly clusters = new Map<string, FakeCluster>();
  readonly tasks = new Map<string, FakeTask>();
  /** Count of every call by operation name. */
  readonly calls: Record<string, number> = {};
  /** Every HTTP call, with the cluster it was for (off by default: `recordCalls = true`). */
  readonly callLog: { op: string; cluster: string; at: number }[] = [];
  recordCalls = false;
  url = '';

  private readonly sessions = new Map<string, SessionInfo>();
  private readonly enrollment: Set<string>;
  private readonly gapResponse: 'error' | 'hold';
  private readonly listeners = new Map<string, Set<(task: FakeTask) => void>>();
  private readonly sockets = new Map<string, Set<import('ws').WebSocket>>();
  private readonly schema: GraphQLSchema;
  private readonly root: Record<string, (args: any, ctx: Ctx) => unknown>;
  private server: Server | null = null;
  private wss: WebSocketServer | null = null;
  private nextId = 1;

  constructor(opts: FakeOcOptions = {}) {
    this.enrollment = new Set(opts.enrollmentTokens ?? ['enroll']);
    this.gapResponse = opts.gapResponse ?? 'error';
    this.schema = buildFakeOcSchema();
    this.root = {
      healthy: () => true,
      registerManager: ({ input }: { input: RegisterManagerInput }, ctx) => this.register(input, ctx),
      reportMembership: ({ input }: { input: { events: MembershipEventInput[] } }, ctx) => this.membership(input.events, ctx),
      reportStats: ({ input }: { input: { samples: StatsSample[] } }, ctx) => this.stats(input.samples, ctx),
      reportTask: ({ input }: { input: ReportTaskInput }, ctx) => this.taskReport(input, ctx),
      managerTasks: (_args, ctx) => this.taskStream(ctx),
    };
  }

  static async start(opts: FakeOcOptions = {}): Promise<FakeOc> {
    const oc = new FakeOc(opts);
    await oc.listen(opts.port ?? 0, opts.host ?? '127.0.0.1');
    return oc;
  }

  // ── what a test does ──────────────────────────────────────────────────────────────────────

  /** Hands a task to the cluster's manager (now if it is subscribed, else on its next subscribe). */
  createTask(
    cluster: string,
    spec: Pick<FakeTask, 'action'> & Partial<Pick<FakeTask, 'memberIds' | 'artifact' | 'operation' | 'arguments' | 'commandId'>>,
  ): FakeTask {
    const task: FakeTask = {
      id: `task-${this.nextId++}`,
      cluster,
      commandId: spec.commandId ?? `cmd-${this.nextId}`,
      action: spec.action,
      memberIds: spec.memberIds ?? [],
      artifact: spec.artifact ?? null,
      operation: spec.operation ?? null,
      arguments: spec.arguments ?? null,
      state: 'PENDING',
      createdAt: new Date().toISOString(),
      reports: [],
    };
    this.tasks.set(task.id, task);
    this.publish(task);
    return task;
  }

  cancelTask(id: string): void {
    const task = this.task(id);
    task.state = 'CANCELLED';
    this.publish(task);
  }

  task(id: string): FakeTask {
    const t = this.tasks.get(id);
    if (!t) throw new Error(`no task ${id}`);
    return t;
  }

  cluster(name: string): FakeCluster {
    const c = this.clusters.get(name);
    if (!c) throw new Error(`no cluster ${name} registered (registered: ${[...this.clusters.keys()].join(', ')})`);
    return c;
  }

  /** Refuses the cluster's current session from now on (HTTP 401, close 4401 on its sockets). */
  revokeSession(cluster: string): void {
    const c = this.cluster(cluster);
    const s = this.sessions.get(c.session);
    if (s) s.revoked = true;
    for (const socket of this.sockets.get(cluster) ?? []) socket.close(4401, 'Unauthorized');
  }

  /** Drops the cluster's sockets without a close frame (as if the OC instance died). */
  dropSockets(cluster?: string): void {
    for (const [name, set] of this.sockets) {
      if (cluster && name !== cluster) continue;
      for (const socket of set) socket.terminate();
    }
  }

  async stop(): Promise<void> {
    for (const set of this.sockets.values()) for (const s of set) s.terminate();
    await new Promise<void>((resolve) => (this.wss ? this.wss.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  // ── resolvers ─────────────────────────────────────────────────────────────────────────────

  private register(input: RegisterManagerInput, ctx: Ctx) {
    if (ctx.session || !this.enrollment.has(ctx.token)) {
      return { __typename: 'ValidationError', message: 'registerManager needs an enrollment token', code: 'VALIDATION' };
    }
    const existing = this.clusters.get(input.clusterName);
    if (existing && existing.kind !== input.kind) {
      return { __typename: 'ValidationError', message: `cluster ${input.clusterName} is ${existing.kind}, not ${input.kind}`, code: 'VALIDATION' };
    }
    const token = `session-${randomUUID()}`;
    const c: FakeCluster = existing ?? {
      id: `cluster-${this.nextId++}`,
      name: input.clusterName,
      kind: input.kind,
      managerId: '',
      host: '',
      url: '',
      operations: [],
      session: '',
      registrations: 0,
      workers: new Map(),
      events: [],
      gapsRefused: 0,
      duplicatesIgnored: 0,
      statsReports: 0,
      lastStats: [],
      subscribers: 0,
    };
    const old = this.sessions.get(c.session);
    if (old) old.revoked = true;
    c.registrations++;
    c.managerId = `manager-${this.nextId++}`;
    c.host = input.host;
    c.url = input.url;
    c.operations = input.operations ?? [];
    c.session = token;
    c.workers = new Map(input.workers.map((w) => [w.memberId, w]));
    this.clusters.set(c.name, c);
    this.sessions.set(token, { cluster: c.name, no: c.registrations, lastSeq: 0, revoked: false });
    return {
      __typename: 'RegisterManagerPayload',
      sessionToken: token,
      manager: { id: c.managerId, url: c.url, connected: false },
      cluster: { id: c.id, name: c.name, kind: c.kind },
    };
  }

  private membership(events: MembershipEventInput[], ctx: Ctx) {
    const s = this.requireSession(ctx);
    const c = this.cluster(s.cluster);
    let last = s.lastSeq;
    const from = last;
    for (const e of events) {
      if (e.seq <= last) {
        c.duplicatesIgnored++;
        continue;
      }
      if (e.seq !== last + 1) {
        c.gapsRefused++;
        s.lastSeq = last;
        if (this.gapResponse === 'hold') return { __typename: 'ReportMembershipPayload', acceptedThroughSeq: last, applied: last - from };
        return { __typename: 'ValidationError', message: `seq gap: expected ${last + 1}, got ${e.seq}`, code: 'SEQ_GAP' };
      }
      last = e.seq;
      if (e.change === 'LEFT') c.workers.delete(e.worker.memberId);
      else c.workers.set(e.worker.memberId, e.worker);
      c.events.push({ ...e, session: s.no });
    }
    s.lastSeq = last;
    return { __typename: 'ReportMembershipPayload', acceptedThroughSeq: last, applied: last - from };
  }

  private stats(samples: StatsSample[], ctx: Ctx) {
    const s = this.requireSession(ctx);
    const c = this.cluster(s.cluster);
    c.statsReports++;
    c.lastStats = samples;
    return { __typename: 'ReportStatsPayload', accepted: samples.length, stats: null };
  }

  private taskReport(input: ReportTaskInput, ctx: Ctx) {
    const s = this.requireSession(ctx);
    const task = this.tasks.get(input.taskId);
    if (!task || task.cluster !== s.cluster) return { __typename: 'NotFoundError', message: `no task ${input.taskId}`, code: 'NOT_FOUND' };
    task.reports.push({ ...input, at: Date.now() });
    // As the OC: a late or repeated report of a finished task changes nothing and is not an error.
    if (task.state === 'CANCELLED' || task.state === 'SUCCEEDED' || task.state === 'FAILED') return { __typename: 'ReportTaskPayload', task: this.taskView(task) };
    task.state = input.state as FakeTask['state'];
    return { __typename: 'ReportTaskPayload', task: this.taskView(task) };
  }

  private taskStream(ctx: Ctx): AsyncIterableIterator<{ managerTasks: ManagerTask }> {
    const s = this.requireSession(ctx);
    const cluster = s.cluster;
    const c = this.cluster(cluster);
    const buffer: FakeTask[] = [...this.tasks.values()].filter(
      (t) => t.cluster === cluster && (t.state === 'PENDING' || t.state === 'ACCEPTED'),
    );
    let wake: (() => void) | null = null;
    let done = false;
    const listener = (task: FakeTask) => {
      buffer.push(task);
      wake?.();
    };
    const set = this.listeners.get(cluster) ?? new Set();
    set.add(listener);
    this.listeners.set(cluster, set);
    c.subscribers++;
    const finish = () => {
      if (done) return;
      done = true;
      set.delete(listener);
      c.subscribers--;
      wake?.();
    };
    const view = (t: FakeTask) => this.taskView(t);
    return {
      async next() {
        while (!done && buffer.length === 0) await new Promise<void>((r) => (wake = r));
        wake = null;
        if (done) return { done: true, value: undefined };
        return { done: false, value: { managerTasks: view(buffer.shift()!) } };
      },
      async return() {
        finish();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  private taskView(t: FakeTask): ManagerTask & { createdAt: string } {
    return {
      id: t.id,
      action: t.action,
      memberIds: t.memberIds,
      artifact: t.artifact,
      operation: t.operation,
      arguments: t.arguments,
      state: t.state,
      command: { id: t.commandId },
      createdAt: t.createdAt,
    };
  }

  private publish(task: FakeTask): void {
    for (const listener of this.listeners.get(task.cluster) ?? []) listener(task);
  }

  private requireSession(ctx: Ctx): SessionInfo {
    if (!ctx.session) throw new Error('this operation needs a manager session token');
    return ctx.session;
  }

  private authenticate(header: string | undefined): Ctx | null {
    const token = header?.replace(/^Bearer\s+/i, '') ?? '';
    if (this.enrollment.has(token)) return { session: null, token };
    const session = this.sessions.get(token);
    if (session && !session.revoked) return { session, token };
    return null;
  }

  // ── transport ─────────────────────────────────────────────────────────────────────────────

  private async listen(port: number, host: string): Promise<void> {
    const server = createServer((req, res) => void this.handleHttp(req, res));
    const wss = new WebSocketServer({ server, path: '/graphql' });
    useServer<{ authorization?: string }, { ctx?: Ctx }>(
      {
        schema: this.schema,
        roots: { query: this.root, mutation: this.root, subscription: this.root },
        onConnect: (ctx) => {
          const auth = this.authenticate(ctx.connectionParams?.authorization);
          if (!auth) {
            ctx.extra.socket.close(4401, 'Unauthorized');
            return false;
          }
          ctx.extra.ctx = auth;
          if (auth.session) {
            const set = this.sockets.get(auth.session.cluster) ?? new Set();
            set.add(ctx.extra.socket);
            this.sockets.set(auth.session.cluster, set);
            ctx.extra.socket.once('close', () => set.delete(ctx.extra.socket));
          }
          return true;
        },
        context: (ctx) => ctx.extra.ctx as unknown as Record<string, unknown>,
        onSubscribe: (ctx) => {
          const auth = ctx.extra.ctx;
          if (!auth || (auth.session?.revoked ?? false)) ctx.extra.socket.close(4401, 'Unauthorized');
        },
      },
      wss,
    );
    await new Promise<void>((resolve) => server.listen(port, host, resolve));
    this.server = server;
    this.wss = wss;
    this.url = `http://${host}:${(server.address() as AddressInfo).port}`;
  }

  private async handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/healthz') return send(200, { ok: true });
    if (req.method !== 'POST' || !req.url?.startsWith('/graphql')) return send(404, { error: 'not found' });
    const ctx = this.authenticate(req.headers.authorization);
    if (!ctx) return send(401, { errors: [{ message: 'unauthenticated', extensions: { code: 'UNAUTHENTICATED' } }] });
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body: { query?: string; variables?: Record<string, unknown>; operationName?: string };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return send(400, { errors: [{ message: 'body is not JSON' }] });
    }
    const opName = /(?:mutation|query)\s*\w*\s*(?:\([^)]*\))?\s*{\s*(\w+)/.exec(body.query ?? '')?.[1] ?? '?';
    this.calls[opName] = (this.calls[opName] ?? 0) + 1;
    if (this.recordCalls) {
      const input = body.variables?.['input'] as { clusterName?: string } | undefined;
      this.callLog.push({ op: opName, cluster: ctx.session?.cluster ?? input?.clusterName ?? '?', at: Date.now() });
    }
    const result = await graphql({
      schema: this.schema,
      source: body.query ?? '',
      variableValues: body.variables,
      operationName: body.operationName,
      rootValue: this.root,
      contextValue: ctx,
    });
    send(200, result);
  }
}

// Standalone: `npx tsx simulator/fake-oc.ts --port 4999 --token enroll`
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const { values } = parseArgs({
    options: { port: { type: 'string', default: '4999' }, token: { type: 'string', default: 'enroll' }, host: { type: 'string', default: '127.0.0.1' } },
  });
  const oc = await FakeOc.start({ port: Number(values.port), host: values.host, enrollmentTokens: [values.token] });
  console.error(`fake OC (manager API only) on ${oc.url}/graphql, enrollment token "${values.token}"`);
  const report = setInterval(() => {
    let workers = 0;
    let subscribers = 0;
    for (const c of oc.clusters.values()) {
      workers += c.workers.size;
      subscribers += c.subscribers;
    }
    console.error(`clusters ${oc.clusters.size} workers ${workers} subscribed ${subscribers} calls ${JSON.stringify(oc.calls)}`);
  }, 5_000);
  process.once('SIGINT', () => {
    clearInterval(report);
    void oc.stop().then(() => process.exit(0));
  });
}
