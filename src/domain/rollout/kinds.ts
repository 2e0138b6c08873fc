/**
 * The command-kind registry (like Nomad's `BuiltinSchedulers`): everything that differs from
 * one kind of command to another, in one entry per kind. The planners, the services, the
 * driver, the database's one-active-rollout index and the metrics read it; none of them names
 * a kind. Adding a kind is its entry here (the compiler asks for it: the map is total over
 * COMMAND_KINDS), its planner rule if it needs a new one, its GraphQL mutation, its simulator
 * behaviour and its tests.
 */
import type { ArtifactSpec, Command, CommandKind, TaskAction, TaskState, Worker, WorkerState } from '../types.js';
import { COMMAND_KINDS } from '../types.js';

/** What the OC saw of a step's worker since the step began (see `sinceBaseline` in plan.ts). */
export interface SeenSinceBaseline {
  restarted: boolean;
  failed: boolean;
}

export interface CommandKindSpec {
  /**
   * How the command is driven:
   * - 'rollout': one step per worker of one cluster, planned by `planRollout`; a rollout, so at
   *   most one is active per cluster (the service checks it, a unique index enforces it);
   * - 'patch': a parent over per-cluster children of `childKind`, planned by `planPatch`;
   * - 'operation': one task relayed to the manager; it ends with the manager's answer or its
   *   timeout, the driver never looks at it (and it cannot be paused, only cancelled at once).
   */
  driver: 'rollout' | 'patch' | 'operation';
  /** The action of the manager tasks it hands out; null if it hands out none itself (a PATCH parent). */
  taskAction: TaskAction | null;
  /** Whether its tasks carry the command's artifact to the manager. */
  shipsArtifact: boolean;
  /**
   * How a RUNNING step proves it succeeded, from what the OC itself saw of its worker since the
   * step began. Null for kinds without steps of their own.
   */
  stepSucceeded: ((seen: SeenSinceBaseline, command: Pick<Command, 'artifact'>, worker: Pick<Worker, 'artifacts'>) => boolean) | null;
  /** The kind of a PATCH parent's per-cluster children. */
  childKind: CommandKind | null;
  /** What the history's first line calls the request ("rolling restart", "deploy of app 2.0"). */
  describe: (artifact: ArtifactSpec | null) => string;
  /**
   * What wakes the driver for a command of this kind (anything else cannot change its
   * decision): the task states a manager reports, and the worker reports (a state a worker
   * reaches, or its leaving) of its cluster.
   */
  wakesOn: { taskStates: readonly TaskState[]; workerStates: readonly WorkerState[]; workerLeft: boolean };
}

/** A worker carries the command's artifact, name and version. */
export function carriesArtifact(artifact: Pick<ArtifactSpec, 'name' | 'version'> | null, worker: Pick<Worker, 'artifacts'>): boolean {
  if (!artifact) return false;
  return worker.artifacts.some((a) => a.name === artifact.name && a.version === artifact.version);
}

/** A restart counts once the worker is RUNNING as a new process since the step began. */
const restarted: NonNullable<CommandKindSpec['stepSucceeded']> = (seen) => seen.restarted;
/** A deploy counts only once the worker restarted and carries the new artifact version. */
const restartedWithArtifact: NonNullable<CommandKindSpec['stepSucceeded']> = (seen, command, worker) => seen.restarted && carriesArtifact(command.artifact, worker);

/** A rollout is judged from its workers: a worker back RUNNING or FAILED, a worker gone, a task the manager FAILED. */
const ROLLOUT_WAKES: CommandKindSpec['wakesOn'] = { taskStates: ['FAILED'], workerStates: ['RUNNING', 'FAILED'], workerLeft: true };
const NEVER_WAKES: CommandKindSpec['wakesOn'] = { taskStates: [], workerStates: [], workerLeft: false };

export const COMMAND_KIND_SPECS: { readonly [K in CommandKind]: CommandKindSpec } = {
  RESTART: {
    driver: 'rollout',
    taskAction: 'RESTART_WORKERS',
    shipsArtifact: false,
    stepSucceeded: restarted,
    childKind: null,
    describe: () => 'rolling restart',
    wakesOn: ROLLOUT_WAKES,
  },
  DEPLOY: {
    driver: 'rollout',
    taskAction: 'DEPLOY_ARTIFACT',
    shipsArtifact: true,
    stepSucceeded: restartedWithArtifact,
    childKind: null,
    describe: (a) => `deploy of ${a?.name} ${a?.version}`,
    wakesOn: ROLLOUT_WAKES,
  },
  PATCH: {
    driver: 'patch',
    taskAction: null,
    shipsArtifact: true,
    // A PATCH's steps are its children's; were one judged, it would need the artifact too.
    stepSucceeded: restartedWithArtifact,
    childKind: 'DEPLOY',
    describe: (a) => `patch ${a?.name} ${a?.version}`,
    // Woken by its children's changes (command events), not by workers.
    wakesOn: NEVER_WAKES,
  },
  OPERATION: {
    driver: 'operation',
    taskAction: 'RUN_OPERATION',
    shipsArtifact: false,
    stepSucceeded: null,
    childKind: null,
    describe: () => 'operation',
    wakesOn: NEVER_WAKES,
  },
};

export const kindSpec = (kind: CommandKind): CommandKindSpec => COMMAND_KIND_SPECS[kind];

/** Whether a kind is a rollout: one active per cluster, driven step by step by `planRollout`. */
export const isRolloutKind = (kind: CommandKind): boolean => COMMAND_KIND_SPECS[kind].driver === 'rollout';

/** The rollout kinds, in COMMAND_KINDS order (the one-active-rollout index and the metrics list them). */
export const ROLLOUT_KINDS: readonly CommandKind[] = COMMAND_KINDS.filter(isRolloutKind);

/** The kinds whose steps an operator may pause (every kind the driver drives). */
export const isPausableKind = (kind: CommandKind): boolean => COMMAND_KIND_SPECS[kind].driver !== 'operation';

const union = <T>(pick: (s: CommandKindSpec) => readonly T[]): ReadonlySet<T> => new Set(COMMAND_KINDS.flatMap((k) => [...pick(COMMAND_KIND_SPECS[k])]));

const WAKING_TASK_STATES: ReadonlySet<string> = union((s) => s.wakesOn.taskStates);
const WAKING_WORKER_STATES: ReadonlySet<WorkerState> = union((s) => s.wakesOn.workerStates);
const WORKER_LEFT_WAKES = COMMAND_KINDS.some((k) => COMMAND_KIND_SPECS[k].wakesOn.workerLeft);

/** Whether a task report in this state wakes the driver for some kind (it then looks at the task's command). */
export const taskReportWakes = (state: string): boolean => WAKING_TASK_STATES.has(state);
/** Whether a worker report wakes the driver for some kind (it then looks at the active rollouts of the worker's cluster). */
export const workerReportWakes = (left: boolean, state: WorkerState): boolean => (left ? WORKER_LEFT_WAKES : WAKING_WORKER_STATES.has(state));
