import DataLoader from 'dataloader';
import * as cmds from '../db/repositories/commands.js';
import { listRecentRestartDurations } from '../db/repositories/restart-timings.js';
import { RESTART_SAMPLE_LIMIT } from '../domain/rollout/preview.js';
import type { Command, CommandEvent, CommandStep, ManagerTask, StepState } from '../domain/types.js';
import type { ServiceDeps } from './deps.js';

const group = <K, V>(keys: readonly K[], rows: V[], keyOf: (v: V) => K): V[][] => {
  const m = new Map<K, V[]>();
  for (const r of rows) {
    const k = keyOf(r);
    let l = m.get(k);
    if (!l) m.set(k, (l = []));
    l.push(r);
  }
  return keys.map((k) => m.get(k) ?? []);
};

/** Per-request batched reads of commands and what hangs off them. */
export function createCommandLoaders(deps: Pick<ServiceDeps, 'db'>) {
  const { db } = deps;
  const opts = { maxBatchSize: 1000 };
  return {
    command: new DataLoader<string, Command | null>(async (ids) => {
      const m = new Map((await cmds.findCommandsByIds(db, ids)).map((c) => [c.id, c]));
      return ids.map((id) => m.get(id) ?? null);
    }, opts),
    steps: new DataLoader<string, CommandStep[]>(async (ids) => group(ids, await cmds.listSteps(db, ids), (s) => s.commandId), opts),
    tasks: new DataLoader<string, ManagerTask[]>(async (ids) => group(ids, await cmds.listTasksByCommands(db, ids), (t) => t.commandId), opts),
    task: new DataLoader<string, ManagerTask | null>(async (ids) => {
      const m = new Map((await cmds.findTasksByIds(db, ids)).map((t) => [t.id, t]));
      return ids.map((id) => m.get(id) ?? null);
    }, opts),
    children: new DataLoader<string, Command[]>(async (ids) => group(ids, await cmds.listChildren(db, ids), (c) => c.parentId!), opts),
    /** The newest command whose rollbackOf is the key. */
    rolledBackBy: new DataLoader<string, Command | null>(async (ids) => {
      const m = new Map((await cmds.findRollbacksOf(db, ids)).map((c) => [c.rollbackOf!, c]));
      return ids.map((id) => m.get(id) ?? null);
    }, opts),
    history: new DataLoader<string, CommandEvent[]>(async (ids) => group(ids, await cmds.listEvents(db, ids), (e) => e.commandId), opts),
    stepCounts: new DataLoader<string, Record<StepState, number>>(async (ids) => {
      const m = await cmds.countSteps(db, ids);
      return ids.map((id) => m.get(id) ?? { PENDING: 0, RUNNING: 0, SUCCEEDED: 0, FAILED: 0, SKIPPED: 0 });
    }, opts),
    /** By cluster id: its latest observed restart times (restart-timings.ts). */
    restartSamples: new DataLoader<string, number[]>(async (ids) => {
      const m = await listRecentRestartDurations(db, ids, RESTART_SAMPLE_LIMIT);
      return ids.map((id) => m.get(id) ?? []);
    }, opts),
  };
}
