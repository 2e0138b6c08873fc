import type { Command, CommandHold, CommandState } from '../domain/types.js';
import type { Logger } from '../logger.js';
import type { ServiceDeps } from './deps.js';

/**
 * Command lifecycle lines of the JSON log (requested, started, paused, resumed, promoted,
 * cancelled, finished), each naming the cluster by name. Written after the transaction that made the change
 * committed, so the log never tells of a change that did not happen.
 */
export interface CommandLogLine {
  event:
    | 'command requested'
    | 'command started'
    | 'command pause requested'
    | 'command paused'
    | 'command resumed'
    | 'command promoted'
    | 'command cancel requested'
    | 'command cancelled'
    | 'command finished';
  command: Pick<Command, 'id' | 'kind' | 'parentId' | 'createdAt' | 'startedAt'>;
  /** The cluster's name; null for a system-wide PATCH. */
  cluster: string | null;
  /** The token name of whoever asked; absent when the OC itself moved it on. */
  by?: string;
  state?: CommandState;
  message?: string | null;
  extra?: Record<string, unknown>;
}

export function logCommand(logger: Logger, line: CommandLogLine): void {
  const { event, command, cluster, by, state, message, extra } = line;
  logger.info(event, {
    commandId: command.id,
    kind: command.kind,
    cluster,
    ...(command.parentId ? { parentId: command.parentId } : {}),
    ...(by !== undefined ? { by } : {}),
    ...(state ? { state } : {}),
    ...(message ? { message } : {}),
    ...extra,
  });
}

/**
 * Writes a lifecycle line and counts a command that finished (its duration from its start, or
 * from its creation if it never started). Called once the change committed.
 */
export function recordCommand(deps: Pick<ServiceDeps, 'logger' | 'clock' | 'telemetry'>, line: CommandLogLine): void {
  logCommand(deps.logger, line);
  const { event, command, state } = line;
  if ((event === 'command finished' || event === 'command cancelled') && (state === 'SUCCEEDED' || state === 'FAILED' || state === 'CANCELLED')) {
    const from = command.startedAt ?? command.createdAt;
    deps.telemetry?.commandFinished(command.kind, state, Math.max(0, (deps.clock.now().getTime() - from.getTime()) / 1000));
  }
}

/**
 * The lifecycle events of a change the rollout driver made, in order, with the state each names.
 * A command started and moved on in one pass (paused before its first batch, or with no worker
 * left to restart) was still started: both lines are told.
 */
export function transitionEvents(
  from: CommandState,
  change: { state?: CommandState; startedAt?: Date | null; promotedAt?: Date | null },
  /** The command's new hold, when it changes. */
  hold?: CommandHold | null,
): { event: CommandLogLine['event']; state: CommandState }[] {
  const out: { event: CommandLogLine['event']; state: CommandState }[] = [];
  if (change.startedAt && change.state !== undefined && change.state !== 'RUNNING') out.push({ event: 'command started', state: 'RUNNING' });
  // A canary that promoted itself continues (PAUSED to RUNNING): told as a promotion.
  if (change.promotedAt && change.state === 'RUNNING' && from === 'PAUSED') {
    out.push({ event: 'command promoted', state: 'RUNNING' });
    return out;
  }
  // A paused command that now holds for another reason (its canary crashed while it waited) is told paused again.
  if (from === 'PAUSED' && change.state === 'PAUSED' && hold) out.push({ event: 'command paused', state: 'PAUSED' });
  const last = transitionEvent(from, change.state);
  if (last && change.state !== undefined) out.push({ event: last, state: change.state });
  return out;
}

/** The lifecycle event of a state change the rollout driver made, if it is one. */
export function transitionEvent(from: CommandState, to: CommandState | undefined): CommandLogLine['event'] | null {
  if (to === undefined || to === from) return null;
  if (to === 'RUNNING') return from === 'PAUSED' ? 'command resumed' : 'command started';
  if (to === 'PAUSED') return 'command paused';
  if (to === 'CANCELLED') return 'command cancelled';
  if (to === 'SUCCEEDED' || to === 'FAILED') return 'command finished';
  return null;
}
