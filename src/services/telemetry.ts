import type { CommandKind, CommandState, StepState } from '../domain/types.js';

/**
 * What the services tell whoever counts (the server's Prometheus metrics), always after the
 * transaction that made the change committed. Services know nothing of how it is counted.
 */
export interface Telemetry {
  /** A command reached SUCCEEDED, FAILED or CANCELLED after `seconds` (from its start, or its creation if it never started). */
  commandFinished(kind: CommandKind, outcome: CommandState, seconds: number): void;
  /** Steps of a rollout ended SUCCEEDED, FAILED or SKIPPED. */
  stepsFinished(kind: CommandKind, outcome: StepState, n: number): void;
  /** Tasks handed to a manager on its task stream: `redelivered` of them were handed out before (to an earlier stream). */
  tasksDelivered(delivered: number, redelivered: number): void;
}

export const NO_TELEMETRY: Telemetry = {
  commandFinished() {},
  stepsFinished() {},
  tasksDelivered() {},
};
