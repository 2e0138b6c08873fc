/**
 * Waiting for a command to finish, over the API: the one place tests poll a command until it is
 * SUCCEEDED, FAILED or CANCELLED (each test reads the command with its own selection).
 */
import { gqlOk } from './client.js';
import { waitFor } from './wait.js';

/** The states a command ends in. */
export const TERMINAL_COMMAND_STATES: readonly string[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

export interface FinishedOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Polls `query` (a `command(id: $id)` query) until the command is in a terminal state, and returns
 * the command as read then. `url` may be a function (an OC restarted on another port).
 */
export async function commandFinished<C extends { state: string } = any>(
  url: string | (() => string),
  token: string,
  query: string,
  id: string,
  { timeoutMs = 20_000, intervalMs }: FinishedOptions = {},
): Promise<C> {
  return waitFor(
    async () => {
      const c = (await gqlOk(typeof url === 'string' ? url : url(), token, query, { id })).command as C;
      return TERMINAL_COMMAND_STATES.includes(c.state) ? c : null;
    },
    `command ${id} to finish`,
    timeoutMs,
    intervalMs,
  );
}
