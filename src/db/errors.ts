/**
 * Errors of opening the database and of its connections: a refused open said in one line, and
 * whether an error means a lost connection (the request failed as a whole) rather than a bad statement.
 */

/**
 * The database could not be opened, said in one line a person can act on (a missing database,
 * a refused connection, a PGlite folder in use by another OC).
 */
export class DatabaseOpenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseOpenError';
  }
}

/**
 * PostgreSQL error codes that mean the connection (not the statement) failed, or could not be
 * opened: terminated (admin, crash, idle-in-transaction timeout), refused (starting up, too many
 * connections, the database gone or its credentials refused).
 */
const CONNECTION_SQLSTATES = new Set(['57P01', '57P02', '57P03', '25P03', '53300', '3D000', '28000', '28P01']);
export const CONNECTION_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
const CONNECTION_MESSAGES =
  /Connection terminated|not queryable|Client was closed|timeout exceeded when trying to connect|Connection closed|not currently accepting connections/i;

/**
 * Did this error (or one it wraps: drizzle wraps the driver's in `cause`) come from a lost or
 * refused database connection, rather than from the statement itself? Such a request is failed
 * as a whole (its transaction is gone with the connection) and may be retried.
 */
export function isConnectionError(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (CONNECTION_SQLSTATES.has(code) || code.startsWith('08') || CONNECTION_ERRNOS.has(code))) return true;
    if (e instanceof Error && CONNECTION_MESSAGES.test(e.message)) return true;
  }
  return false;
}
