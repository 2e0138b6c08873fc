import type { LogLevel } from './config.js';

/** A small JSON-lines logger (stderr), leveled. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface LoggerOptions {
  /** Secrets known to the process (e.g. OC_ADMIN_TOKEN), never written out. */
  secrets?: readonly (string | null | undefined)[];
  /** Where lines go (default: stderr). */
  write?: (line: string) => void;
}

export function createLogger(level: LogLevel, base: Record<string, unknown> = {}, opts: LoggerOptions = {}): Logger {
  const min = ORDER[level];
  const out = opts.write ?? ((line: string) => process.stderr.write(line));
  const secrets = (opts.secrets ?? []).filter((s): s is string => typeof s === 'string' && s.length >= 8).map((s) => JSON.stringify(s).slice(1, -1));
  const write = (lvl: Exclude<LogLevel, 'silent'>, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[lvl] < min) return;
    const entry: Record<string, unknown> = { time: new Date().toISOString(), level: lvl, msg, ...base, ...fields };
    if (entry.err instanceof Error) entry.err = errorFields(entry.err);
    let line = JSON.stringify(entry);
    for (const s of secrets) line = line.split(s).join(REDACTED);
    out(`${redact(line)}\n`);
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}

const REDACTED = '[redacted]';

/** What looks like a secret in a log line: the OC's own tokens, bearer credentials, passwords in URLs. */
const SECRET_PATTERNS: [RegExp, string][] = [
  [/\b(ocs?_)[A-Za-z0-9_-]{16,}/g, `$1${REDACTED}`],
  [/\b(Bearer\s+)[^\s"\\]+/gi, `$1${REDACTED}`],
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@"\\]+:)[^\s@/"\\]+@/gi, `$1${REDACTED}@`],
];

/** A log line without anything that looks like a secret. */
export function redact(line: string): string {
  for (const [re, to] of SECRET_PATTERNS) line = line.replace(re, to);
  return line;
}

const MAX_MESSAGE = 2000;

/**
 * An error as logged: name, message, code, stack and cause, but never a query's parameters.
 * drizzle's DrizzleQueryError says "Failed query: <sql>\nparams: <every value>" in its message
 * and stack; the values (names, hosts, JSON arguments, token hashes) stay out of the logs, the
 * SQL and the database's own message (its cause) stay in.
 */
export function errorFields(err: Error, depth = 0): Record<string, unknown> {
  const withParams = err as Error & { query?: unknown; params?: unknown; code?: unknown; cause?: unknown };
  let message = err.message;
  let stack = err.stack;
  if (typeof withParams.query === 'string' && Array.isArray(withParams.params)) {
    message = `Failed query: ${withParams.query} (${withParams.params.length} parameters, not logged)`;
    const frames = stack?.indexOf('\n    at ') ?? -1;
    stack = frames === -1 ? undefined : `${err.name}: ${message}${stack!.slice(frames)}`;
  }
  const out: Record<string, unknown> = { name: err.name, message: message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}…` : message };
  if (typeof withParams.code === 'string' || typeof withParams.code === 'number') out.code = withParams.code;
  if (stack) out.stack = stack;
  if (withParams.cause instanceof Error && depth < 3) out.cause = errorFields(withParams.cause, depth + 1);
  return out;
}
