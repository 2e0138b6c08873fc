/**
 * The rollout planner: a pure function from a command's persisted state (command, steps,
 * workers, tasks, manager connectivity, `now`) to a decision. The rollout controller loads
 * the input in a transaction, calls `planRollout`, applies the decision and publishes after
 * commit. No I/O and no clock here: time comes in as `input.now`.
 *
 * Applying a decision and planning again with the same `now` yields an empty decision (the
 * same `wakeAt`, nothing else): the driver can crash and restart at any point and pick up
 * where the database says it was, without restarting a worker twice.
 */
import type { CommandHold, CommandState, CommandStep, StepBaseline, StepState } from '../types.js';
import { isTerminalCommand, isTerminalStep, isTerminalTask } from '../types.js';
import { autoPromoteAt, autoPromoted, canaryCrashes, canaryWaiting, inCanaryPhase } from './canary.js';
import { HOLD_MESSAGES, holdOf, isPauseHold, MANAGER_REACHABLE_AGAIN, PAUSED_MESSAGE, pausedOverFailureBudget, WAITING_FOR_MANAGER } from './holds.js';
import { baselineOf, judgeStep, stepDeadline, type WorkStep } from './judge.js';
import { progressDeadline, progressDeadlineExceeded } from './progress.js';
import { sameArtifact, stepArtifact } from './rollback.js';
import { batchLimit } from './strategy.js';
import { NEW_TASK, type RolloutDecision, type RolloutInput, type StepUpdate } from './types.js';

export { WAITING_FOR_MANAGER } from './holds.js';
export { baselineOf, sinceBaseline } from './judge.js';

export function planRollout(input: RolloutInput): RolloutDecision {
  const { command, workers, tasks, managerConnectedSince, now } = input;
  const strategy = command.strategy;
  const decision: RolloutDecision = {
    stepUpdates: [],
    newTask: null,
    cancelTaskIds: [],
    command: {},
    wakeAt: null,
    events: [],
  };

  if (isTerminalCommand(command.state)) return decision;
  // A PATCH child is started by the PATCH planner (its controller sets it RUNNING).
  if (command.state === 'PENDING' && command.parentId !== null) return decision;

  // ---- working state and small helpers that record every change into the decision ----
  const steps: WorkStep[] = input.steps.map((s) => ({ ...s })).sort((a, b) => a.index - b.index);
  const updates = new Map<number, StepUpdate>();
  let state: CommandState = command.state;
  let message: string | null = command.message;
  let hold: CommandHold | null = command.hold;
  let startedAt = command.startedAt;
  let promotedAt = command.promotedAt;
  let resumedAt = command.resumedAt;
  const connected = managerConnectedSince !== null;
  const workerById = new Map(workers.map((w) => [w.memberId, w]));
  const taskById = new Map(tasks.map((t) => [t.id, t]));

  const emit = (text: string) => decision.events.push({ state, message: text });

  const setCommand = (patch: RolloutDecision['command']) => {
    Object.assign(decision.command, patch);
    if (patch.state !== undefined) state = patch.state;
    if (patch.message !== undefined) message = patch.message;
    if (patch.startedAt !== undefined) startedAt = patch.startedAt;
    if (patch.promotedAt !== undefined) promotedAt = patch.promotedAt;
    if (patch.resumedAt !== undefined) resumedAt = patch.resumedAt;
  };

  /** Moves a step to a new state; `quiet` leaves the history line to the caller. */
  const moveStep = (
    step: WorkStep,
    to: StepState,
    text: string | null,
    extra: { startedAt?: Date; finishedAt?: Date; taskId?: string; baseline?: StepBaseline } = {},
    quiet = false,
  ) => {
    step.state = to;
    step.message = text;
    Object.assign(step, extra);
    const previous = updates.get(step.index);
    updates.set(step.index, { ...previous, index: step.index, state: to, message: text, ...extra });
    if (!quiet) emit(`step ${step.memberId} ${to}` + (text ? `: ${text}` : ''));
  };

  const cancelTask = (taskId: string | null) => {
    if (taskId === null || taskId === NEW_TASK) return;
    const task = taskById.get(taskId);
    if (task && !isTerminalTask(task.state) && !decision.cancelTaskIds.includes(taskId)) {
      decision.cancelTaskIds.push(taskId);
    }
  };

  /** Steps not started end SKIPPED, with one history line for all of them. */
  const skipPending = (reason: string) => {
    const pending = steps.filter((s) => s.state === 'PENDING');
    if (pending.length === 0) return;
    for (const s of pending) moveStep(s, 'SKIPPED', `not started: ${reason}`, { finishedAt: now }, true);
    emit(`skipped ${pending.length} not started (${reason}): ${listMembers(pending)}`);
  };

  /** Records the command's new hold (why it waits), if it changes. */
  const setHold = (to: CommandHold | null) => {
    if (to === null && hold === null) return;
    hold = to;
    decision.hold = to;
  };

  /** Ends the command. A FAILED/CANCELLED rollout also withdraws its unfinished tasks, so a
   *  manager that reconnects later does not touch a worker for a command that is over. */
  const finish = (to: 'SUCCEEDED' | 'FAILED' | 'CANCELLED', text: string) => {
    const patch: RolloutDecision['command'] = { state: to, finishedAt: now, message: text };
    if (command.pauseRequested) patch.pauseRequested = false;
    if (command.cancelRequested) patch.cancelRequested = false;
    setCommand(patch);
    setHold(null); // a command that is over waits for nothing
    if (to !== 'SUCCEEDED') for (const t of tasks) cancelTask(t.id);
    emit(text);
  };

  const pause = (text: string, why: CommandHold) => {
    const patch: RolloutDecision['command'] = { state: 'PAUSED', message: text };
    if (command.pauseRequested) patch.pauseRequested = false;
    setCommand(patch);
    setHold(why);
    emit(text);
  };

  /** While the command stays RUNNING: hold it while its manager is unreachable, or lift a hold that no longer applies. */
  const settleRunningHold = () => {
    if (!connected) {
      if (hold?.reason !== 'MANAGER_UNREACHABLE') {
        setHold(holdOf('MANAGER_UNREACHABLE', now));
        setCommand({ message: WAITING_FOR_MANAGER });
        emit(WAITING_FOR_MANAGER);
      }
    } else if (hold?.reason === 'MANAGER_UNREACHABLE') {
      setHold(null);
      setCommand({ message: null });
      emit(MANAGER_REACHABLE_AGAIN);
    } else if (isPauseHold(hold)) {
      // Left over from a pause the service has resumed: a RUNNING command is not paused.
      setHold(null);
      if (message !== null) setCommand({ message: null });
    }
  };

  /** More steps failed than allowed (`why`): ABORT fails the command, PAUSE holds it (FAILURE_BUDGET). */
  const stopForFailures = (why: string) => {
    if (strategy.onFailure === 'ABORT') {
      skipPending('rollout aborted');
      finish('FAILED', `aborted: ${why}; ${summary(steps)}`);
    } else {
      // PAUSE: the steps not started stay PENDING for the operator to resume or cancel.
      pause(pausedOverFailureBudget(why), holdOf('FAILURE_BUDGET', now));
    }
  };

  /** Canary workers that crashed since their proof (canary.ts): their steps FAIL, and the canary with them. */
  const failCrashedCanary = (): boolean => {
    const crashes = canaryCrashes(steps, workers);
    if (crashes.length === 0) return false;
    for (const c of crashes) moveStep(steps.find((s) => s.index === c.index)!, 'FAILED', `canary crashed while waiting to be promoted: ${c.why}`, { finishedAt: now });
    stopForFailures(`canary failed: ${crashes.length} of ${steps.filter((s) => s.taskId !== null).length} canary workers crashed`);
    return true;
  };

  const finalize = (): RolloutDecision => {
    decision.stepUpdates = [...updates.values()].sort((a, b) => a.index - b.index);
    // A RUNNING rollout is also woken at its progress deadline.
    const progressAt = state === 'RUNNING' && !command.cancelRequested ? progressDeadline({ strategy, startedAt, resumedAt, steps, managerConnectedSince }) : null;
    if (progressAt !== null && (decision.wakeAt === null || progressAt < decision.wakeAt)) decision.wakeAt = progressAt;
    return decision;
  };

  // ---- PAUSED: holds until the service resumes it (state RUNNING) or it is cancelled; a
  // canary waiting to be promoted is watched, and may promote itself (canary.ts) ----
  if (state === 'PAUSED' && !command.cancelRequested) {
    if (hold?.reason !== 'CANARY') return decision;
    if (failCrashedCanary()) return finalize();
    const promoteAt = autoPromoteAt(strategy, hold, managerConnectedSince);
    if (promoteAt === null || now < promoteAt) {
      decision.wakeAt = promoteAt;
      return finalize();
    }
    setCommand({ state: 'RUNNING', message: null, promotedAt: now, resumedAt: now });
    setHold(null);
    emit(autoPromoted(strategy.autoPromoteAfterMs!));
  }
  if (state === 'PAUSED') {
    // A command pauses only with no step in flight; skip any anyway, defensively.
    for (const s of steps.filter((x) => x.state === 'RUNNING')) {
      moveStep(s, 'SKIPPED', 'cancelled', { finishedAt: now });
      cancelTask(s.taskId);
    }
    skipPending('rollout cancelled');
    finish('CANCELLED', 'cancelled');
    return finalize();
  }

  // ---- PENDING (no parent): nothing has been touched yet ----
  if (state === 'PENDING') {
    if (command.cancelRequested) {
      skipPending('rollout cancelled');
      finish('CANCELLED', 'cancelled');
      return finalize();
    }
    setCommand({ state: 'RUNNING', startedAt: now });
    emit('started');
  }

  // ---- RUNNING: judge the steps in flight ----
  // The OC keeps watching a proven worker during a soak, and while it is a canary to be promoted.
  const canaryPhase = inCanaryPhase(strategy, promotedAt);
  const watch = strategy.minHealthyMs > 0 || canaryPhase;
  let earliestDeadline: Date | null = null;
  for (const step of steps) {
    if (step.state !== 'RUNNING') continue;
    const worker = workerById.get(step.memberId);
    if (step.baseline === null && worker) {
      // Started by an OC that did not record what it saw: the worker as it is now becomes the
      // baseline. That can only delay a proof (a restart already reported is not counted), never fake one.
      moveStep(step, step.state, step.message, { baseline: baselineOf(worker) }, true);
    }
    const verdict = judgeStep(
      step,
      command,
      worker,
      step.taskId ? taskById.get(step.taskId) : undefined,
      managerConnectedSince,
      now,
      watch,
    );
    if (verdict.proven) {
      // Its proof, seen now: recorded, and said while the step soaks.
      const soaking = verdict.state === 'RUNNING' ? `RUNNING again: must stay RUNNING ${strategy.minHealthyMs} ms (minHealthyMs)` : step.message;
      moveStep(step, step.state, soaking, { baseline: { ...(step.baseline ?? baselineOf(worker!)), proven: verdict.proven } }, true);
      if (verdict.state === 'RUNNING') emit(`step ${step.memberId} ${soaking}`);
    }
    if (verdict.state === 'RUNNING') {
      if (verdict.deadline && (earliestDeadline === null || verdict.deadline < earliestDeadline)) {
        earliestDeadline = verdict.deadline;
      }
    } else {
      moveStep(step, verdict.state, verdict.message, { finishedAt: now });
    }
  }

  const running = () => steps.filter((s) => s.state === 'RUNNING');
  const failedCount = steps.filter((s) => s.state === 'FAILED').length;
  // Failures an operator accepted (by resuming after a failure pause) no longer count. A canary
  // tolerates none: its batch is all that has run.
  const countedFailures = failedCount - command.acceptedFailures;
  const budgetExceeded = countedFailures > (canaryPhase ? 0 : strategy.maxFailures);

  // ---- cancel: hold, let the batch in flight finish, then end CANCELLED ----
  if (command.cancelRequested) {
    if (running().length > 0 && !connected) {
      // Nobody can tell us how the batch ends: give it up now rather than wait indefinitely.
      for (const s of running()) {
        moveStep(s, 'SKIPPED', 'cancelled while manager unreachable', { finishedAt: now });
        cancelTask(s.taskId);
      }
    }
    if (running().length === 0) {
      skipPending('rollout cancelled');
      finish('CANCELLED', 'cancelled');
      return finalize();
    }
    decision.wakeAt = earliestDeadline;
    return finalize();
  }

  // ---- progress deadline: FAILED when no step has succeeded for too long (progress.ts) ----
  const progressAt = progressDeadline({ strategy, startedAt, resumedAt, steps, managerConnectedSince });
  if (progressAt !== null && now >= progressAt) {
    for (const s of running()) {
      moveStep(s, 'FAILED', 'stopped: progress deadline exceeded', { finishedAt: now });
      cancelTask(s.taskId);
    }
    skipPending('progress deadline exceeded');
    finish('FAILED', `${progressDeadlineExceeded(strategy.progressDeadlineMs!)}; ${summary(steps)}`);
    return finalize();
  }

  // ---- a batch is in flight: wait for it (no new batch, whatever else is asked) ----
  if (running().length > 0) {
    settleRunningHold();
    decision.wakeAt = connected ? earliestDeadline : null;
    return finalize();
  }

  // ---- nothing in flight ----
  // The canary batch is through (no other batch starts before the promotion).
  const canarySteps = canaryPhase ? steps.filter((s) => s.taskId !== null) : [];
  if (budgetExceeded) {
    stopForFailures(
      canaryPhase
        ? `canary failed: ${countedFailures} of ${canarySteps.length} canary workers failed`
        : `${countedFailures} failed workers exceed maxFailures ${strategy.maxFailures}`,
    );
    return finalize();
  }

  if (canarySteps.length === 0 && !steps.some((s) => s.state === 'PENDING')) {
    finish('SUCCEEDED', summary(steps));
    return finalize();
  }

  if (command.pauseRequested) {
    pause(PAUSED_MESSAGE, holdOf('OPERATOR', now, command.pauseRequestedBy));
    return finalize();
  }

  if (canarySteps.length > 0) {
    // Held until promoted (unless a canary worker already crashed); woken when it would promote itself.
    if (failCrashedCanary()) return finalize();
    setCommand({ state: 'PAUSED', message: HOLD_MESSAGES.CANARY });
    setHold(holdOf('CANARY', now));
    emit(canaryWaiting(canarySteps.map((s) => s.memberId), strategy));
    decision.wakeAt = autoPromoteAt(strategy, hold!, managerConnectedSince);
    return finalize();
  }

  if (!connected) {
    settleRunningHold();
    return finalize();
  }

  // Pause between batches, counted from the last step that finished (steps skipped without
  // ever being started do not count: no worker was touched).
  let lastFinished: Date | null = null;
  for (const s of steps) {
    if (s.startedAt !== null && s.finishedAt !== null && isTerminalStep(s.state)) {
      if (lastFinished === null || s.finishedAt > lastFinished) lastFinished = s.finishedAt;
    }
  }
  if (lastFinished !== null && strategy.pauseBetweenBatchesMs > 0) {
    const nextBatchAt = new Date(lastFinished.getTime() + strategy.pauseBetweenBatchesMs);
    if (now < nextBatchAt) {
      settleRunningHold();
      decision.wakeAt = nextBatchAt;
      return finalize();
    }
  }

  // ---- next batch: up to batchSize (the canary first) PENDING steps in index order (memberId order), one target artifact (a rollback's steps differ) ----
  const batchNumber = new Set(steps.map((s) => s.taskId).filter((id) => id !== null)).size + 1;
  const batch: WorkStep[] = [];
  const lookedUpThrough = input.workersThrough ?? Number.POSITIVE_INFINITY;
  for (const s of steps) {
    if (batch.length >= batchLimit(strategy, batchNumber)) break;
    if (s.state !== 'PENDING') continue;
    // Whether this step's member is still in the cluster is not known from the input.
    if (s.index > lookedUpThrough) return { stepUpdates: [], newTask: null, cancelTaskIds: [], command: {}, wakeAt: null, events: [], needsAllWorkers: true };
    if (!workerById.has(s.memberId)) {
      moveStep(s, 'SKIPPED', `${s.memberId} left the cluster`, { finishedAt: now });
      continue;
    }
    if (batch.length > 0 && !sameArtifact(stepArtifact(batch[0]!, command), stepArtifact(s, command))) break;
    batch.push(s);
  }

  if (batch.length === 0) {
    // Every remaining worker had left: the rollout is through.
    finish('SUCCEEDED', summary(steps));
    return finalize();
  }

  settleRunningHold();
  for (const s of batch) moveStep(s, 'RUNNING', null, { startedAt: now, taskId: NEW_TASK, baseline: baselineOf(workerById.get(s.memberId)!, stepArtifact(s, command)) }, true);
  decision.newTask = { memberIds: batch.map((s) => s.memberId), stepIndexes: batch.map((s) => s.index) };
  emit(`batch ${batchNumber} started: ${batch.map((s) => s.memberId).join(', ')}`);
  // The new steps' deadline: the manager is connected, so max(now, connectedSince) = now.
  decision.wakeAt = stepDeadline(now, managerConnectedSince, strategy.healthTimeoutMs);
  return finalize();
}

/** "5 succeeded, 0 failed, 0 skipped" */
export function summary(steps: Pick<CommandStep, 'state'>[]): string {
  const count = (st: StepState) => steps.filter((s) => s.state === st).length;
  return `${count('SUCCEEDED')} succeeded, ${count('FAILED')} failed, ${count('SKIPPED')} skipped`;
}

function listMembers(steps: WorkStep[], max = 10): string {
  const names = steps.slice(0, max).map((s) => s.memberId);
  const more = steps.length - names.length;
  return names.join(', ') + (more > 0 ? `, and ${more} more` : '');
}
