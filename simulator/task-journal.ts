/**
 * A virtual manager's tasks: the journal of every task id seen and how it ended (kept across
 * crashes, as a real manager keeps it on disk, so a re-delivered task is never executed twice),
 * executing each task (restart or deploy to members, run an operation) and reporting ACCEPTED then
 * the outcome, in order per task, retried while the session lasts.
 */
import { type ManagerTask, OcError, type ReportTaskInput } from './oc-client.js';
import type { ClusterOperations } from './operations.js';
import { errorText, iso, type ManagerCore, type Session, type TaskOutcome, type TaskOutcomeState, type TaskRecord } from './manager-types.js';
import { backoffMs, sampleDuration } from './profiles.js';
import type { Rng } from './random.js';
import type { FigureKeeper } from './rollout-figures.js';
import { DEADLINE_PASSED, sleep, withDeadline } from './scheduler.js';
import type { ArtifactRef } from './worker.js';

export class TaskJournal {
  /** Every task id seen, and how it ended. */
  readonly tasks = new Map<string, TaskRecord>();
  /** Tasks accepted and not finished. */
  running = 0;
  private readonly reporting = new Map<string, Promise<void>>();

  constructor(
    private readonly m: ManagerCore,
    private readonly figures: FigureKeeper,
    private readonly ops: ClusterOperations,
    private readonly rng: Rng,
  ) {}

  /** A delivery of `task` on session `s` (first or again; PENDING, in hand, finished or CANCELLED). */
  onTask(task: ManagerTask, s: Session): void {
    const m = this.m;
    let rec = this.tasks.get(task.id);
    if (rec) rec.deliveries++;

    if (task.state === 'CANCELLED') {
      if (!rec) {
        rec = this.newRecord(task);
        rec.state = 'CANCELLED';
        rec.finishedAt = m.scheduler.now();
        this.tasks.set(task.id, rec);
      } else if (rec.state === 'RUNNING') {
        this.settle(rec, 'CANCELLED');
        m.log('info', `task ${task.id} cancelled by the OC while in hand: its outcome will not be reported`);
      }
      m.hooks.taskDelivered?.(m.self, task, rec);
      return;
    }

    if (rec) {
      m.hooks.taskDelivered?.(m.self, task, rec);
      if (task.state === 'SUCCEEDED' || task.state === 'FAILED') return;
      m.log('info', `task ${task.id} delivered again (${rec.deliveries}×) while ${rec.state}: not executing it again`);
      if (rec.state === 'RUNNING') {
        // The OC still has it PENDING: our ACCEPTED never reached it (it is sent again in order).
        if (task.state === 'PENDING' && rec.acceptedInSession !== s.no) this.report(rec, 'ACCEPTED');
      } else if (rec.state !== 'CANCELLED') {
        this.report(rec, rec.state); // the answer may not have reached the OC: say it again
      }
      return;
    }

    rec = this.newRecord(task);
    this.tasks.set(task.id, rec);
    m.hooks.taskDelivered?.(m.self, task, rec);
    if (task.state === 'SUCCEEDED' || task.state === 'FAILED') {
      rec.state = task.state;
      rec.finishedAt = m.scheduler.now();
      return;
    }
    const what = task.action === 'RUN_OPERATION' ? `${task.operation}` : `[${task.memberIds.join(', ')}]`;
    m.log('info', `task ${task.id} ${task.action} ${what}: accepted`);
    this.running++;
    m.hooks.taskAccepted?.(m.self, rec);
    this.report(rec, 'ACCEPTED');
    void this.execute(rec, task);
  }

  private settle(rec: TaskRecord, state: Exclude<TaskOutcomeState, 'RUNNING'>): void {
    if (rec.state === 'RUNNING') this.running--;
    rec.state = state;
    rec.finishedAt = this.m.scheduler.now();
  }

  private newRecord(task: ManagerTask): TaskRecord {
    return {
      id: task.id,
      cluster: this.m.clusterName,
      action: task.action,
      memberIds: [...(task.memberIds ?? [])],
      commandId: task.command?.id ?? null,
      operation: task.operation ?? null,
      deliveries: 1,
      state: 'RUNNING',
      message: null,
      result: null,
      receivedAt: this.m.scheduler.now(),
      finishedAt: null,
      acceptedInSession: 0,
      finalReported: false,
    };
  }

  private async execute(rec: TaskRecord, task: ManagerTask): Promise<void> {
    const m = this.m;
    const rollout = task.action === 'RESTART_WORKERS' || task.action === 'DEPLOY_ARTIFACT';
    if (rollout) {
      this.figures.activeRolloutTasks++;
      this.figures.note();
    }
    let outcome: TaskOutcome;
    try {
      switch (task.action) {
        case 'RESTART_WORKERS':
          outcome = await this.restartMembers(rec, task.memberIds ?? [], null);
          break;
        case 'DEPLOY_ARTIFACT':
          outcome = task.artifact
            ? await this.restartMembers(rec, task.memberIds ?? [], task.artifact)
            : { state: 'FAILED', message: 'DEPLOY_ARTIFACT task without an artifact' };
          break;
        case 'RUN_OPERATION':
          outcome = await this.runOperation(task);
          break;
        default:
          outcome = { state: 'FAILED', message: `this manager does not know the task action ${task.action}` };
      }
    } catch (err) {
      outcome = { state: 'FAILED', message: `simulator error: ${errorText(err)}` };
    } finally {
      if (rollout) this.figures.activeRolloutTasks--;
    }
    if (rec.state !== 'RUNNING') return;
    rec.message = outcome.message ?? null;
    rec.result = outcome.result ?? null;
    this.settle(rec, outcome.state);
    if (m.status === 'stopped') return;
    m.log(outcome.state === 'SUCCEEDED' ? 'info' : 'warn', `task ${rec.id} ${outcome.state}${outcome.message ? `: ${outcome.message}` : ''}`);
    m.hooks.taskFinished?.(m.self, rec);
    this.report(rec, outcome.state);
  }

  /** Restart (or deploy to) the members in parallel; SUCCEEDED only if every one is RUNNING again in time. */
  private async restartMembers(rec: TaskRecord, memberIds: string[], artifact: ArtifactRef | null): Promise<TaskOutcome> {
    const m = this.m;
    const deadline = m.profile.taskTimeoutMs;
    const results = await Promise.all(
      memberIds.map(async (memberId) => {
        const w = m.workers.get(memberId);
        if (!w) return { memberId, ok: false, state: null, startedAt: null, reason: 'no such member in this cluster' };
        m.hooks.restartRequested?.(m.self, w, rec);
        this.figures.restartsInFlight++;
        this.figures.note();
        try {
          const outcome = await withDeadline(m.scheduler, w.restart(artifact ? { artifact } : {}), deadline);
          if (outcome === DEADLINE_PASSED) {
            return { memberId, ok: false, state: w.state, startedAt: iso(w.startedAt), reason: `not RUNNING within ${deadline} ms (still ${w.state})` };
          }
          return { memberId, ok: outcome.ok, state: w.state, startedAt: iso(w.startedAt), reason: outcome.ok ? null : outcome.reason };
        } finally {
          this.figures.restartsInFlight--;
        }
      }),
    );
    // The task's last worker is back (or given up on): the OC waits for that report to go on.
    m.reportMembershipNow();
    const failed = results.filter((r) => !r.ok);
    const result = {
      members: results.map((r) => ({ memberId: r.memberId, state: r.state, startedAt: r.startedAt })),
      ...(artifact ? { artifact: { name: artifact.name, version: artifact.version } } : {}),
    };
    if (failed.length === 0) return { state: 'SUCCEEDED', result };
    return { state: 'FAILED', message: failed.map((r) => `${r.memberId}: ${r.reason}`).join('; '), result };
  }

  private async runOperation(task: ManagerTask): Promise<TaskOutcome> {
    const m = this.m;
    await sleep(m.scheduler, sampleDuration(m.profile.operation, this.rng));
    const runningMembers = [...m.workers.values()].filter((w) => w.state === 'RUNNING').map((w) => w.memberId);
    const outcome = this.ops.run(task.operation, task.arguments, { now: m.scheduler.now(), runningMembers });
    return outcome.ok ? { state: 'SUCCEEDED', result: outcome.result } : { state: 'FAILED', message: outcome.message };
  }

  /** reportTask, in order per task (ACCEPTED before the outcome), retried while the session lasts. */
  private report(rec: TaskRecord, state: 'ACCEPTED' | 'SUCCEEDED' | 'FAILED'): void {
    const previous = this.reporting.get(rec.id) ?? Promise.resolve();
    const next = previous.then(() => this.sendReport(rec, state));
    this.reporting.set(rec.id, next);
    void next.finally(() => {
      if (this.reporting.get(rec.id) === next) this.reporting.delete(rec.id);
    });
  }

  private async sendReport(rec: TaskRecord, state: 'ACCEPTED' | 'SUCCEEDED' | 'FAILED'): Promise<void> {
    const m = this.m;
    const input: ReportTaskInput = { taskId: rec.id, state };
    if (state !== 'ACCEPTED') {
      if (rec.message) input.message = rec.message;
      if (rec.result !== null && rec.result !== undefined) input.result = rec.result;
    }
    for (let attempt = 1; attempt <= 6; attempt++) {
      const s = m.currentSession;
      // Without a session the report waits for the re-delivery that follows the next registration.
      if (!s || m.status !== 'online') return;
      try {
        const res = await m.call(s, (token) => m.transport.reportTask(token, input));
        if (!res.ok) {
          m.log('warn', `reportTask ${rec.id} ${state} refused: ${res.error.code} ${res.error.message}`);
          return;
        }
        if (state === 'ACCEPTED') rec.acceptedInSession = s.no;
        else rec.finalReported = true;
        return;
      } catch (err) {
        if (err instanceof OcError && err.kind === 'auth') {
          if (m.currentSession === s) m.sessionLost(`reportTask: ${err.message}`);
          return;
        }
        if (m.currentSession !== s) return;
        m.log('debug', `reportTask ${rec.id} ${state} failed (${errorText(err)}); retrying`);
        await sleep(m.scheduler, backoffMs(m.profile, attempt, this.rng));
      }
    }
  }
}
