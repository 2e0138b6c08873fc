/**
 * The OC's log: JSON lines on stderr through pino, leveled (LOG_LEVEL), with every secret kept
 * out of them (known secret fields by pino's `redact`, anything that looks like a token, a bearer
 * credential or a password in a URL by rewriting each line, and a failed query's parameters).
 */
import { pino } from 'pino';
import type { LogLevel } from './config.js';

/** What the rest of the OC logs through (the tests give a memory one: test/support/oc.ts). */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger that adds these fields to every line. */
  child(fields: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  /** Secrets known to the process (e.g. OC_ADMIN_TOKEN), never written out. */
  secrets?: readonly (string | null | undefined)[];
  /** Where lines go (default: stderr). */
  write?: (line: string) => void;
}

const REDACTED = '[redacted]';

/** Fields whose value is a secret whatever it looks like: censored by pino before the line is written. */
const SECRET_FIELDS = ['authorization', 'password', 'secret', '*.authorization', '*.password', '*.secret', 'headers.authorization', 'headers.cookie'];

export function createLogger(level: LogLevel, base: Record<string, unknown> = {}, opts: LoggerOptions = {}): Logger {
  const out = opts.write ?? ((line: string) => process.stderr.write(line));
  const secrets = (opts.secrets ?? []).filter((s): s is string => typeof s === 'string' && s.length >= 8).map((s) => JSON.stringify(s).slice(1, -1));
  const destination = {
    write(line: string) {
      for (const s of secrets) line = line.split(s).join(REDACTED);
      out(redact(line));
    },
  };
  const root = pino(
    {
      level,
      base,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: (e: unknown) => (e instanceof Error ? errorFields(e) : e) },
      redact: { paths: SECRET_FIELDS, censor: REDACTED },
    },
    destination,
  );
  return wrap(root);
}

function wrap(p: pino.Logger): Logger {
  return {
    debug: (msg, fields) => (fields ? p.debug(fields, msg) : p.debug(msg)),
    info: (msg, fields) => (fields ? p.info(fields, msg) : p.info(msg)),
    warn: (msg, fields) => (fields ? p.warn(fields, msg) : p.warn(msg)),
    error: (msg, fields) => (fields ? p.error(fields, msg) : p.error(msg)),
    child: (fields) => wrap(p.child(fields)),
  };
}

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
