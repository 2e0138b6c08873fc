import type { Client } from 'graphql-ws';
import { documentText, ManagerTasksSubscription } from '../../simulator/documents.js';
import { gqlOk, subscribe, type Subscription, wsClient } from './client.js';
import { REGISTER_MANAGER, REPORT_MEMBERSHIP, REPORT_TASK } from './fleet.js';

export type WorkerBehaviour = 'ok' | 'never' | 'fail' | 'stale';

export interface ScriptedWorker {
  memberId: string;
  host: string;
  state: string;
  /** Null for a manager that reports no process start times. */
  startedAt: string | null;
  artifacts: { name: string; version: string }[];
}

export interface ScriptedManagerOptions {
  /** How far this manager's clock is off the real one: every time it reports is shifted by it. */
  clockSkewMs?: number;
  /** How long ago (real time) its workers' processes started (default an hour). */
  startedAgoMs?: number;
  /** False: a manager that reports no startedAt at all (default true). */
  reportsStartedAt?: boolean;
}

export interface ScriptedTask {
  id: string;
  action: string;
  memberIds: string[];
  artifact: { name: string; version: string } | null;
  operation: string | null;
  arguments: unknown;
  state: string;
}

const TASKS = documentText(ManagerTasksSubscription);

/**
 * A manager written for tests: registers, holds managerTasks, restarts its (virtual) workers
 * when told to, reports membership with seq, and records what happened for assertions.
 * How each worker behaves on restart is scripted per memberId.
 */
export class ScriptedManager {
  session = '';
  clusterId = '';
  workers = new Map<string, ScriptedWorker>();
  behaviour = new Map<string, WorkerBehaviour>();
  /** `${memberId}@${version}`: a deploy of that version to that worker fails its start (the worker ends FAILED); other deploys go well. */
  failingDeploys = new Set<string>();
  restartMs = 30;
  /** memberIds in the order their restarts began. */
  restartOrder: string[] = [];
  restarts = new Map<string, number>();
  maxDown = 0;
  tasksSeen: ScriptedTask[] = [];
  operations: Record<string, (args: any) => unknown> = {};
  /** The inputSchema advertised for an operation of `operations`, if any. */
  operationSchemas: Record<string, unknown> = {};
  private seq = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private ws: Client | null = null;
  private sub: Subscription<{ managerTasks: ScriptedTask }> | null = null;
  private done = new Set<string>();
  private pumping = false;
  private stopped = false;

  constructor(
    /** Where the OC is; a test may point it elsewhere (an OC restarted on another port). */
    public url: string,
    readonly enrollmentToken: string,
    readonly clusterName: string,
    readonly kind: string,
    memberIds: string[],
    readonly options: ScriptedManagerOptions = {},
  ) {
    const startedAt = this.clock(-(options.startedAgoMs ?? 3600_000));
    for (const m of memberIds) this.workers.set(m, { memberId: m, host: `${m}.local`, state: 'RUNNING', startedAt, artifacts: [{ name: 'app', version: '1.0.0' }] });
  }

  /** The time on this manager's (possibly skewed) clock, `offsetMs` from now; null if it reports no start times. */
  private clock(offsetMs = 0): string | null {
    if (this.options.reportsStartedAt === false) return null;
    return new Date(Date.now() + (this.options.clockSkewMs ?? 0) + offsetMs).toISOString();
  }

  async register(): Promise<void> {
    const d = await gqlOk(
      this.url,
      this.enrollmentToken,
      REGISTER_MANAGER,
      {
        input: {
          clusterName: this.clusterName,
          kind: this.kind,
          host: `${this.clusterName}-mgr`,
          url: `http://${this.clusterName}-mgr:9990`,
          workers: [...this.workers.values()],
          operations: Object.keys(this.operations).map((name) => ({ name, description: `test operation ${name}`, inputSchema: this.operationSchemas[name] ?? null })),
        },
      },
    );
    if (d.registerManager.__typename !== 'RegisterManagerPayload') throw new Error(d.registerManager.message);
    this.session = d.registerManager.sessionToken;
    this.clusterId = d.registerManager.cluster.id;
    this.seq = 0;
  }

  /** Opens the managerTasks subscription and works on every task it delivers. */
  connect(): void {
    this.stopped = false;
    this.ws = wsClient(this.url, this.session);
    this.sub = subscribe(this.ws, TASKS);
    void this.pump();
  }

  private async pump() {
    if (this.pumping) return;
    this.pumping = true;
    const sub = this.sub!;
    try {
      while (!this.stopped && !sub.done) {
        let e: { managerTasks: ScriptedTask };
        try {
          e = await sub.next(60_000);
        } catch {
          continue;
        }
        const task = e.managerTasks;
        this.tasksSeen.push(task);
        if (task.state === 'CANCELLED' || this.done.has(task.id)) continue;
        this.done.add(task.id);
        void this.work(task);
      }
    } finally {
      this.pumping = false;
    }
  }

  private async work(task: ScriptedTask) {
    await this.reportTask(task.id, 'ACCEPTED');
    if (task.action === 'RUN_OPERATION') {
      const fn = this.operations[task.operation ?? ''];
      try {
        const result = await fn?.(task.arguments);
        await this.reportTask(task.id, 'SUCCEEDED', null, result ?? null);
      } catch (err) {
        await this.reportTask(task.id, 'FAILED', String((err as Error).message));
      }
      return;
    }
    const results = await Promise.all(task.memberIds.map((m) => this.restart(m, task.action === 'DEPLOY_ARTIFACT' ? task.artifact : null)));
    await this.reportTask(task.id, results.every(Boolean) ? 'SUCCEEDED' : 'FAILED', results.every(Boolean) ? null : 'a worker did not come back');
  }

  private down() {
    return [...this.workers.values()].filter((w) => w.state !== 'RUNNING').length;
  }

  /** Restarts one worker according to its scripted behaviour; true when it came back. */
  private async restart(memberId: string, artifact: { name: string; version: string } | null): Promise<boolean> {
    const w = this.workers.get(memberId);
    if (!w) return false;
    this.restartOrder.push(memberId);
    this.restarts.set(memberId, (this.restarts.get(memberId) ?? 0) + 1);
    const how = artifact && this.failingDeploys.has(`${memberId}@${artifact.version}`) ? 'fail' : (this.behaviour.get(memberId) ?? 'ok');
    w.state = 'STOPPING';
    this.maxDown = Math.max(this.maxDown, this.down());
    await this.report('STATE_CHANGED', w);
    await new Promise((r) => setTimeout(r, this.restartMs));
    if (how === 'never') {
      w.state = 'STOPPED';
      await this.report('STATE_CHANGED', w);
      return false;
    }
    if (how === 'fail') {
      w.state = 'FAILED';
      await this.report('STATE_CHANGED', w);
      return false;
    }
    if (artifact) w.artifacts = [{ name: artifact.name, version: artifact.version }];
    w.state = 'RUNNING';
    if (how !== 'stale') w.startedAt = this.clock(); // 'stale': RUNNING again, but no new start
    await this.report('STATE_CHANGED', w);
    return true;
  }

  /** Reports one membership event with the next seq (reports are serialised, so seq order holds). */
  report(change: 'JOINED' | 'LEFT' | 'STATE_CHANGED', w: ScriptedWorker): Promise<void> {
    const snapshot = { ...w, artifacts: [...w.artifacts] };
    const run = async () => {
      if (this.stopped) return;
      const seq = ++this.seq;
      // As a real manager: a report that did not get through is sent again with the same seq.
      for (let attempt = 0; ; attempt++) {
        try {
          const d = await gqlOk(
            this.url,
            this.session,
            REPORT_MEMBERSHIP,
            { input: { events: [{ seq, change, worker: snapshot }] } },
          );
          if (d.reportMembership.__typename !== 'ReportMembershipPayload') throw new Error(d.reportMembership.message);
          return;
        } catch (err) {
          if (this.stopped || attempt >= 600) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => {});
    return p;
  }

  async reportTask(taskId: string, state: string, message: string | null = null, result: unknown = null) {
    if (this.stopped) return;
    await gqlOk(this.url, this.session, REPORT_TASK, {
      input: { taskId, state, message, result },
    }).catch(() => {});
  }

  /** Drops the connection and stops working (as a crashed manager would); what it was doing is abandoned. */
  async crash(): Promise<void> {
    this.stopped = true;
    this.sub?.close();
    await this.ws?.dispose();
    this.ws = null;
  }

  async stop(): Promise<void> {
    await this.crash();
  }
}
