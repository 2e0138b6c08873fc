/**
 * Why a command waits, as data, and the status descriptions the planners write for people.
 * The planners decide from `Command.hold` (its reason), never from these texts: they are named
 * here so that each is written in one place and tests can refer to them.
 */
import type { CommandHold, HoldReason } from '../types.js';

/** `Command.message` while a rollout holds because its cluster's manager is unreachable. */
export const WAITING_FOR_MANAGER = 'waiting: manager unreachable';
/** The history line when the manager of a held rollout is reachable again. */
export const MANAGER_REACHABLE_AGAIN = 'manager reachable again: continuing';
/** `Command.message` of a command an operator (or its PATCH) paused. */
export const PAUSED_MESSAGE = 'paused';
/** `Command.message` of a command paused because too many steps failed. */
export const pausedOverFailureBudget = (why: string) => `${PAUSED_MESSAGE}: ${why}`;

/** What a hold says to people when the command has no message of its own. */
export const HOLD_MESSAGES: { readonly [R in HoldReason]: string } = {
  OPERATOR: PAUSED_MESSAGE,
  FAILURE_BUDGET: `${PAUSED_MESSAGE}: too many failed workers`,
  CANARY: 'waiting: canary to be promoted',
  MANAGER_UNREACHABLE: WAITING_FOR_MANAGER,
};

export const holdOf = (reason: HoldReason, since: Date, by: string | null = null): CommandHold => ({ reason, since, by });

/** Holds an operator lifts by resuming the command (the others lift themselves). */
export const isPauseHold = (hold: CommandHold | null): boolean => hold?.reason === 'OPERATOR' || hold?.reason === 'FAILURE_BUDGET';
