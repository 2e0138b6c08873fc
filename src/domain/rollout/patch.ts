/**
 * The planner of a system-wide PATCH parent: it never touches a worker itself, it starts,
 * pauses and cancels its per-cluster DEPLOY children (each driven by `planRollout`).
 * Pure like `planRollout`: the controller loads the parent and its children, calls
 * `planPatch`, applies the decision in one transaction and publishes after commit.
 */
import type { Command, CommandHold, CommandState, CommandStep } from '../types.js';
import { isTerminalCommand } from '../types.js';
import { holdOf, isPauseHold, PAUSED_MESSAGE } from './holds.js';
import type { CommandChange, RolloutDecision, StepUpdate } from './types.js';

export interface PatchInput {
  /** The PATCH command (clusterId null). */
  parent: Command;
  /** Its children (parentId = parent.id; of the kind registry's `childKind`), ordered by createdAt: the order they start in. */
  children: Command[];
  now: Date;
}

export interface PatchDecision {
  /** Parent changes; undefined fields stay as they are (as in RolloutDecision). */
  command: RolloutDecision['command'];
  /** PENDING children to start: the controller sets them RUNNING (their own planner goes on). */
  startChildIds: string[];
  /** PENDING children that end CANCELLED without ever starting (finishedAt now, steps SKIPPED). */
  cancelChildIds: string[];
  /** RUNNING children to get pauseRequested = true. */
  pauseChildIds: string[];
  /** Active (RUNNING or PAUSED) children to get cancelRequested = true. */
  cancelRequestChildIds: string[];
  /** History lines of the parent, in order. */
  events: { state: string; message: string }[];
  /** The parent's new hold (null: it no longer waits); undefined: unchanged. */
  hold?: CommandHold | null;
}

const isActive = (s: CommandState) => s === 'RUNNING' || s === 'PAUSED';

export function planPatch(input: PatchInput): PatchDecision {
  const { parent, now } = input;
  const decision: PatchDecision = {
    command: {},
    startChildIds: [],
    cancelChildIds: [],
    pauseChildIds: [],
    cancelRequestChildIds: [],
    events: [],
  };
  if (isTerminalCommand(parent.state)) return decision;
  // PAUSED holds until the service resumes it (state RUNNING); only a cancel moves it.
  if (parent.state === 'PAUSED' && !parent.cancelRequested) return decision;

  let state: CommandState = parent.state;
  const emit = (message: string) => decision.events.push({ state, message });
  const setHold = (to: CommandHold | null) => {
    if (to !== null || parent.hold !== null) decision.hold = to;
  };
  const setCommand = (patch: RolloutDecision['command']) => {
    Object.assign(decision.command, patch);
    if (patch.state !== undefined) state = patch.state;
  };
  const finish = (to: 'SUCCEEDED' | 'FAILED' | 'CANCELLED', message: string) => {
    const patch: RolloutDecision['command'] = { state: to, finishedAt: now, message };
    if (parent.pauseRequested) patch.pauseRequested = false;
    if (parent.cancelRequested) patch.cancelRequested = false;
    setCommand(patch);
    setHold(null);
    emit(message);
  };

  // Working copy of the children's states, updated with what this decision does to them.
  const children = input.children.map((c) => ({ id: c.id, clusterId: c.clusterId, state: c.state, c }));
  const label = (c: { id: string; clusterId: string | null }) => `child ${c.id} (cluster ${c.clusterId ?? '-'})`;
  const cancelPending = (reason: string) => {
    for (const c of children) {
      if (c.state !== 'PENDING') continue;
      c.state = 'CANCELLED';
      decision.cancelChildIds.push(c.id);
      emit(`${label(c)} CANCELLED: ${reason}`);
    }
  };
  const allTerminal = () => children.every((c) => isTerminalCommand(c.state));

  if (state === 'PENDING' && !parent.cancelRequested) {
    setCommand({ state: 'RUNNING', startedAt: now });
    emit('started');
  }

  // ---- cancel: children not started end CANCELLED, active ones are asked to cancel ----
  if (parent.cancelRequested) {
    cancelPending('patch cancelled');
    for (const c of children) {
      if (isActive(c.state) && !c.c.cancelRequested) {
        decision.cancelRequestChildIds.push(c.id);
        emit(`${label(c)}: cancel requested`);
      }
    }
    if (allTerminal()) finish('CANCELLED', `cancelled; ${summary(children)}`);
    return decision;
  }

  // ---- a failed child stops the children not started; the parent fails once all are through ----
  const anyFailed = children.some((c) => c.state === 'FAILED');
  if (anyFailed) cancelPending('another cluster failed');

  if (allTerminal()) {
    // Zero children (no matching cluster) succeeds at once. Any child that did not succeed
    // (FAILED, or CANCELLED on its own) means the patch did not reach everywhere: FAILED.
    if (children.every((c) => c.state === 'SUCCEEDED')) finish('SUCCEEDED', summary(children));
    else finish('FAILED', `${anyFailed ? 'failed' : 'incomplete'}: ${summary(children)}`);
    return decision;
  }

  // ---- pause: pass it on to RUNNING children, hold once none is RUNNING ----
  if (parent.pauseRequested) {
    for (const c of children) {
      if (c.state === 'RUNNING' && !c.c.pauseRequested) {
        decision.pauseChildIds.push(c.id);
        emit(`${label(c)}: pause requested`);
      }
    }
    if (!children.some((c) => c.state === 'RUNNING')) {
      setCommand({ state: 'PAUSED', message: PAUSED_MESSAGE, pauseRequested: false });
      setHold(holdOf('OPERATOR', now, parent.pauseRequestedBy));
      emit(PAUSED_MESSAGE);
    }
    return decision;
  }

  // A child whose canary waits to be promoted holds the patch too (CANARY): promoting the patch
  // promotes them. Once none waits, or left over from a pause the service has resumed, the
  // RUNNING parent holds nothing.
  const canaryHeld = children.filter((c) => c.state === 'PAUSED' && c.c.hold?.reason === 'CANARY');
  if (canaryHeld.length > 0 && !anyFailed) {
    if (parent.hold?.reason !== 'CANARY') {
      setHold(holdOf('CANARY', now));
      emit(`waiting: canary of ${canaryHeld.map(label).join(', ')} to be promoted`);
    }
  } else if (parent.hold?.reason === 'CANARY' || isPauseHold(parent.hold)) {
    if (parent.hold?.reason === 'CANARY') emit('no canary waits any more: continuing');
    setHold(null);
    if (parent.message !== null) setCommand({ message: null });
  }

  if (anyFailed) {
    // No new start: wait for the children still active to finish; one that waits for its canary
    // to be promoted would wait for nothing, so it is cancelled.
    for (const c of canaryHeld) {
      if (!c.c.cancelRequested) {
        decision.cancelRequestChildIds.push(c.id);
        emit(`${label(c)}: cancel requested (its canary waits, another cluster failed)`);
      }
    }
    return decision;
  }

  // ---- start children in order, at most maxParallelClusters active at a time ----
  const limit = Math.max(1, parent.maxParallelClusters ?? 1);
  let active = children.filter((c) => isActive(c.state)).length;
  for (const c of children) {
    if (active >= limit) break;
    if (c.state !== 'PENDING') continue;
    c.state = 'RUNNING';
    decision.startChildIds.push(c.id);
    active++;
    emit(`${label(c)} started`);
  }
  return decision;
}

/** "2 succeeded, 1 failed, 2 cancelled" (clusters). */
function summary(children: { state: CommandState }[]): string {
  const count = (s: CommandState) => children.filter((c) => c.state === s).length;
  return `${count('SUCCEEDED')} succeeded, ${count('FAILED')} failed, ${count('CANCELLED')} cancelled`;
}

/** What becomes of a child the PATCH decision names: its change, its history line, and its steps'. */
export interface ChildChange {
  command: CommandChange;
  /** The child's history line. */
  event: { state: CommandState; message: string };
  /** Steps of the child that change (only a child cancelled before it started has some: its steps, all PENDING, end SKIPPED). */
  steps: StepUpdate[];
}

/** The history line of a child that never started because its patch stopped. */
export const CHILD_NOT_STARTED = 'cancelled: the patch stopped before this cluster started';

/**
 * How the controller applies the decision's lists to one child: `start` (startChildIds),
 * `cancel` (cancelChildIds: pass the child's steps), `pause` (pauseChildIds), `cancelRequest`
 * (cancelRequestChildIds). Pure, like `planPatch`: the policy lives here, the controller writes it.
 */
export function childChange(
  action: 'start' | 'cancel' | 'pause' | 'cancelRequest',
  parent: Pick<Command, 'id' | 'pauseRequestedBy'>,
  child: Pick<Command, 'state'>,
  now: Date,
  steps: readonly Pick<CommandStep, 'index' | 'state'>[] = [],
): ChildChange {
  switch (action) {
    case 'start':
      return { command: { state: 'RUNNING', startedAt: now }, event: { state: 'RUNNING', message: `started by patch ${parent.id}` }, steps: [] };
    case 'cancel':
      return {
        command: { state: 'CANCELLED', finishedAt: now, message: CHILD_NOT_STARTED, wakeAt: null, hold: null },
        event: { state: 'CANCELLED', message: CHILD_NOT_STARTED },
        steps: steps.filter((s) => s.state === 'PENDING').map((s) => ({ index: s.index, state: 'SKIPPED', message: 'patch stopped', finishedAt: now })),
      };
    case 'pause':
      // The child's OPERATOR hold names whoever paused the patch.
      return { command: { pauseRequested: true, pauseRequestedBy: parent.pauseRequestedBy }, event: { state: child.state, message: 'pause requested by its patch' }, steps: [] };
    case 'cancelRequest':
      return { command: { cancelRequested: true }, event: { state: child.state, message: 'cancel requested by its patch' }, steps: [] };
  }
}
