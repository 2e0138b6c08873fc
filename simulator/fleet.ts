/**
 * A fleet: every cluster of a scenario, each with its own virtual manager (and its own
 * WebSocket to the OC), in one process. The programmatic API for tests and tools:
 *
 *   const fleet = startFleet({ url, enrollmentToken, scenario, profile: 'fast' });
 *   await fleet.ready();                         // every manager registered
 *   fleet.inject({ type: 'fail-start', cluster: 'as-1', member: 'as-1-w03' });
 *   …run a rollout through the OC…
 *   fleet.invariants().restarts['as-1/as-1-w01'] // 1
 *   await fleet.stop();
 *
 * The fleet records what an observer of the workers would see, independently of the OC:
 * restarts per worker, the most workers of a cluster down at once while tasks were in hand,
 * every task received and how often each was delivered again.
 *
 * This file builds the managers, brings them up and answers for the fleet; fleet-types.ts holds
 * its shapes, fleet-faults.ts what each fault does, fleet-log.ts the log ring.
 */
import { applyFault } from './fleet-faults.js';
import { FleetLog, formatLog } from './fleet-log.js';
import type { Fleet, FleetInvariants, FleetSpec, FleetStatus, InjectedFault, TaskSummary, WaitOptions } from './fleet-types.js';
import { kindTraits, getProfile } from './profiles.js';
import {
  type LogEntry,
  type LogLevel,
  type ManagerStatus,
  type MembershipCounters,
  memberName,
  type TaskRecord,
  VirtualManager,
  type WorkerSeed,
} from './manager.js';
import { Rng } from './random.js';
import { Slots } from './slots.js';
import { realScheduler, skewedScheduler, type TimerHandle } from './scheduler.js';
import { type Fault, parseFault, parseScenario, type Scenario, type ScenarioFault, type ScenarioSpec } from './scenario.js';
import { type DeployedArtifact, type VirtualWorker, WORKER_STATES, type WorkerState } from './worker.js';

export type { Fleet, FleetInvariants, FleetSpec, FleetStatus, InjectedFault, TaskSummary, WaitOptions } from './fleet-types.js';
export { formatLog };

const MANAGER_STATUSES: ManagerStatus[] = ['idle', 'registering', 'online', 'backoff', 'cut-off', 'crashed', 'stopped'];

export function startFleet(spec: FleetSpec): Fleet {
  const scenario = isScenario(spec.scenario) ? spec.scenario : parseScenario(spec.scenario, 'scenario');
  if (spec.profile !== undefined) getProfile(spec.profile); // a bad name fails here, clearly
  const scheduler = spec.scheduler ?? realScheduler;
  const seed = spec.seed ?? scenario.seed ?? 1;
  const faultRng = Rng.derive(seed, 'faults');
  const fleetStart = scheduler.now();

  // ── recording ─────────────────────────────────────────────────────────────────────────────
  const log = new FleetLog(spec.log);
  const record = log.record;
  const restarts = new Map<string, number>();
  const taskLog = new Map<string, { record: TaskRecord; deliveries: number }>();
  const registered = new Set<string>();
  const acceptedByCluster = new Map<string, number>();
  const taskTriggers = new Map<string, { n: number; fault: ScenarioFault }[]>();
  const timers = new Set<TimerHandle>();
  let stopped = false;

  // ── managers ──────────────────────────────────────────────────────────────────────────────
  const managers = new Map<string, VirtualManager>();
  const registrationSlots = new Slots(Math.max(1, spec.registerConcurrency ?? 32));
  for (const plan of scenario.clusters) {
    const fromScenario = scenario.statsIntervalMs === null ? {} : { statsIntervalMs: scenario.statsIntervalMs };
    const profile = getProfile(spec.profile ?? plan.profile, { ...fromScenario, ...spec.profileOverrides });
    const traits = kindTraits(plan.kind);
    const clusterRng = Rng.derive(seed, 'cluster', plan.name);
    // The manager's host clock: its times (and its workers') are read off it.
    const clockSkewMs = spec.clockSkewMs ?? plan.clockSkewMs;
    const managerScheduler = skewedScheduler(scheduler, clockSkewMs);
    const managerStart = fleetStart + clockSkewMs;
    const artifactsAt = managerStart - clusterRng.int(1, 14) * 86_400_000;
    const artifacts: readonly DeployedArtifact[] = (plan.artifacts ?? [traits.artifact]).map((a) => ({
      name: a.name,
      version: a.version,
      deployedAt: artifactsAt,
    }));
    const workers: WorkerSeed[] = [];
    for (let i = 1; i <= plan.size; i++) {
      const named = plan.members?.[i - 1];
      const memberId = named?.memberId ?? memberName(plan.name, i, plan.size);
      const uptime = clusterRng.int(profile.initialUptimeMs.min, profile.initialUptimeMs.max);
      const state = named?.state ?? 'RUNNING';
      workers.push({
        memberId,
        host: `${memberId}.sim.local`,
        port: plan.port ?? traits.port,
        state,
        startedAt: state === 'STOPPED' ? null : Math.max(artifactsAt, managerStart - uptime),
        artifacts: named?.artifacts ? named.artifacts.map((a) => ({ ...a, deployedAt: artifactsAt })) : artifacts,
      });
    }
    const manager = new VirtualManager(
      {
        clusterName: plan.name,
        kind: plan.kind,
        host: `${plan.name}-mgr.sim.local`,
        url: managerUrl(plan.name, plan.kind),
        version: plan.managerVersion ?? 'ocsim/0.1.0',
        profile,
        workers,
        seed,
      },
      {
        ocUrl: spec.url,
        transport: spec.transport?.(plan.name),
        enrollmentToken: spec.enrollmentToken,
        scheduler: managerScheduler,
        registrationSlots,
        hooks: {
          log: record,
          registered: (m) => {
            registered.add(m.clusterName);
          },
          restartRequested: (m, w) => {
            const key = `${m.clusterName}/${w.memberId}`;
            restarts.set(key, (restarts.get(key) ?? 0) + 1);
          },
          taskDelivered: (_m, _task, rec) => {
            const entry = taskLog.get(rec.id);
            if (entry) entry.deliveries++;
            else taskLog.set(rec.id, { record: rec, deliveries: 1 });
          },
          taskAccepted: (m) => {
            const n = (acceptedByCluster.get(m.clusterName) ?? 0) + 1;
            acceptedByCluster.set(m.clusterName, n);
            const due = taskTriggers.get(m.clusterName)?.filter((t) => t.n === n) ?? [];
            // Fire just after the task is accepted, so its restarts are under way: "mid-rollout".
            for (const t of due) later(0, () => fireScenarioFault(t.fault));
          },
        },
      },
    );
    managers.set(plan.name, manager);
  }

  // Managers come up `registerConcurrency` registrations at a time: every registerManager call of
  // the fleet, first ones and retries alike, holds one of these slots while it is out, so a storm
  // of failures never puts more calls in flight (it used to free a slot per failure).
  for (const m of managers.values()) m.start();

  // ── faults ────────────────────────────────────────────────────────────────────────────────
  function later(ms: number, fn: () => void): void {
    const handle = scheduler.setTimeout(() => {
      timers.delete(handle);
      if (!stopped) fn();
    }, ms);
    timers.add(handle);
  }

  function fireScenarioFault(f: ScenarioFault): void {
    const { at: _at, onTask: _onTask, ...fault } = f;
    try {
      const done = inject(fault as Fault);
      record({ at: scheduler.now(), cluster: f.cluster, level: 'info', message: `scenario fault ${f.type}${done.member ? ` on ${done.member}` : ''}` });
    } catch (err) {
      record({ at: scheduler.now(), cluster: f.cluster, level: 'error', message: `scenario fault ${f.type} failed: ${String(err)}` });
    }
  }

  for (const f of scenario.faults) {
    if (f.onTask !== undefined) {
      const list = taskTriggers.get(f.cluster) ?? [];
      list.push({ n: f.onTask, fault: f });
      taskTriggers.set(f.cluster, list);
    }
  }
  const timedFaults = scenario.faults.filter((f) => f.onTask === undefined);
  let readyPromise: Promise<void> | null = null;
  if (timedFaults.length > 0) {
    // Timed faults count from the moment every manager has registered.
    void waitUntil(() => registered.size === managers.size, 24 * 3600_000).then(
      () => {
        for (const f of timedFaults) later(f.at ?? 0, () => fireScenarioFault(f));
      },
      () => {},
    );
  }

  function inject(input: Fault): InjectedFault {
    const fault = parseFault(input);
    const m = fleet.manager(fault.cluster);
    const member = applyFault(m, fault, faultRng, later);
    return { fault, member, at: scheduler.now() };
  }

  // ── reading ───────────────────────────────────────────────────────────────────────────────
  function invariants(): FleetInvariants {
    const crashes: Record<string, number> = {};
    const maxDownDuringTasks: Record<string, number> = {};
    const maxRestartsInFlight: Record<string, number> = {};
    const registrations: Record<string, number> = {};
    const membership: Record<string, MembershipCounters> = {};
    for (const m of managers.values()) {
      maxDownDuringTasks[m.clusterName] = m.figures.maxDownDuringTasks;
      maxRestartsInFlight[m.clusterName] = m.figures.maxRestartsInFlight;
      registrations[m.clusterName] = m.registrations;
      membership[m.clusterName] = { ...m.membership };
      for (const w of m.workers.values()) if (w.crashes > 0) crashes[`${m.clusterName}/${w.memberId}`] = w.crashes;
    }
    const tasks: TaskSummary[] = [];
    const redeliveries: Record<string, number> = {};
    for (const { record: r, deliveries } of taskLog.values()) {
      tasks.push({
        id: r.id,
        cluster: r.cluster,
        action: r.action,
        memberIds: [...r.memberIds],
        commandId: r.commandId,
        operation: r.operation,
        deliveries,
        state: r.state,
        message: r.message,
        result: r.result,
      });
      if (deliveries > 1) redeliveries[r.id] = deliveries - 1;
    }
    return {
      restarts: Object.fromEntries(restarts),
      crashes,
      maxDownDuringTasks,
      maxRestartsInFlight,
      tasks,
      redeliveries,
      registrations,
      membership,
    };
  }

  function status(): FleetStatus {
    const workers = Object.fromEntries(WORKER_STATES.map((s) => [s, 0])) as Record<WorkerState, number>;
    const byStatus = Object.fromEntries(MANAGER_STATUSES.map((s) => [s, 0])) as Record<ManagerStatus, number>;
    let tasksInFlight = 0;
    let connected = 0;
    let totalWorkers = 0;
    for (const m of managers.values()) {
      byStatus[m.status]++;
      if (m.connected) connected++;
      tasksInFlight += m.tasksInFlight;
      for (const w of m.workers.values()) {
        workers[w.state]++;
        totalWorkers++;
      }
    }
    return {
      clusters: managers.size,
      registered: registered.size,
      online: byStatus.online,
      connected,
      managers: byStatus,
      workers,
      totalWorkers,
      tasksInFlight,
      warnings: log.warnings,
      errors: log.errors,
    };
  }

  function recentLog(n = 50, minLevel: LogLevel = 'info'): LogEntry[] {
    return log.recent(n, minLevel);
  }

  function waitUntil(predicate: () => boolean, timeoutMs: number, intervalMs = 10): Promise<void> {
    return new Promise((resolve, reject) => {
      const deadline = Date.now() + timeoutMs;
      const poll = () => {
        if (stopped) return reject(new Error('the fleet was stopped'));
        let ok = false;
        try {
          ok = predicate();
        } catch (err) {
          return reject(err);
        }
        if (ok) return resolve();
        if (Date.now() >= deadline) return reject(new Error('deadline passed'));
        setTimeout(poll, intervalMs);
      };
      poll();
    });
  }

  async function waitFor(predicate: (fleet: Fleet) => boolean, opts: WaitOptions = {}): Promise<void> {
    const timeoutMs = opts.timeoutMs ?? 10_000;
    try {
      await waitUntil(() => predicate(fleet), timeoutMs, opts.intervalMs ?? 10);
    } catch (err) {
      if (err instanceof Error && err.message !== 'deadline passed') throw err;
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${opts.what ?? 'a fleet condition'}\n` +
          `status: ${JSON.stringify(status())}\n` +
          `recent log:\n${formatLog(recentLog(30))}`,
      );
    }
  }

  async function ready(opts: { timeoutMs?: number } = {}): Promise<void> {
    readyPromise ??= (async () => {
      const timeoutMs = opts.timeoutMs ?? 30_000;
      const refused = () => [...managers.values()].find((m) => m.enrollmentRefused);
      try {
        await waitUntil(() => registered.size === managers.size || refused() !== undefined, timeoutMs, 20);
      } catch {
        const missing = [...managers.values()].filter((m) => !registered.has(m.clusterName));
        throw new Error(
          `${missing.length} of ${managers.size} managers did not register within ${timeoutMs} ms: ` +
            missing
              .slice(0, 5)
              .map((m) => `${m.clusterName} (${m.status}${m.lastError ? `: ${m.lastError}` : ''})`)
              .join('; '),
        );
      }
      const bad = refused();
      if (bad && registered.size < managers.size) {
        throw new Error(`the OC refused the enrollment token (cluster ${bad.clusterName}): ${bad.lastError}`);
      }
    })();
    const p = readyPromise;
    p.catch(() => {
      if (readyPromise === p) readyPromise = null; // a later ready() may try again
    });
    return p;
  }

  const fleet: Fleet = {
    seed,
    scenario,
    managers,
    manager(cluster: string): VirtualManager {
      const m = managers.get(cluster);
      if (!m) {
        const known = [...managers.keys()];
        throw new Error(`no cluster "${cluster}" in this fleet (clusters: ${known.slice(0, 10).join(', ')}${known.length > 10 ? ', …' : ''})`);
      }
      return m;
    },
    worker(cluster: string, member: string): VirtualWorker {
      return fleet.manager(cluster).worker(member);
    },
    ready,
    inject,
    invariants,
    resetInvariants(): void {
      restarts.clear();
      taskLog.clear();
      for (const m of managers.values()) m.resetFigures();
    },
    status,
    waitFor,
    recentLog,
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      for (const t of timers) scheduler.clearTimeout(t);
      timers.clear();
      await Promise.all([...managers.values()].map((m) => m.stop()));
    },
  };
  return fleet;
}

function isScenario(s: ScenarioSpec | Scenario): s is Scenario {
  return typeof (s as Scenario).totalWorkers === 'number';
}

function managerUrl(cluster: string, kind: string): string {
  if (kind === 'ESB') return `https://${cluster}-mgr.sim.local:9443/carbon`;
  if (kind === 'AS') return `http://${cluster}-mgr.sim.local:9990/console`;
  return `http://${cluster}-mgr.sim.local:8000/`;
}
