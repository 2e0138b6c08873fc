import { ValidationError } from '../domain/errors.js';

/** Control characters (C0, DEL and C1): none in a one-line text. */
const CONTROL = /\p{Cc}/u;
/** Control characters but tab, line feed and carriage return: none in a multi-line text. */
const CONTROL_BUT_LINES = /(?![\t\n\r])\p{Cc}/u;

/**
 * Small input checks shared by services; each throws ValidationError naming the field.
 *
 * A text is one line of printable characters unless `multiline` (which allows tabs and line
 * breaks). Control characters are refused: PostgreSQL cannot store NUL at all, and the topology
 * reads rely on names and hosts having none (see WORKER_PAGE_TEXT in db/repositories/topology.ts).
 */
export function text(value: unknown, field: string, opts: { min?: number; max?: number; pattern?: RegExp; patternHint?: string; multiline?: boolean } = {}): string {
  if (typeof value !== 'string') throw new ValidationError(`${field} must be a string`, field);
  const control = (opts.multiline ? CONTROL_BUT_LINES : CONTROL).exec(value);
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).padStart(4, '0');
    throw new ValidationError(`${field} must not contain control characters (found U+${code.toUpperCase()} at position ${control.index})`, field);
  }
  const v = value.trim();
  const min = opts.min ?? 1;
  const max = opts.max ?? 200;
  if (v.length < min) throw new ValidationError(min === 1 ? `${field} must not be empty` : `${field} must be at least ${min} characters`, field);
  if (v.length > max) throw new ValidationError(`${field} must be at most ${max} characters (got ${v.length})`, field);
  if (opts.pattern && !opts.pattern.test(v)) throw new ValidationError(`${field} ${opts.patternHint ?? 'has an invalid format'}`, field);
  return v;
}

export function optionalText(value: unknown, field: string, opts: Parameters<typeof text>[2] = {}): string | null {
  if (value == null) return null;
  return text(value, field, opts);
}

export function int(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new ValidationError(`${field} must be a whole number`, field);
  if (value < min || value > max) throw new ValidationError(`${field} must be between ${min} and ${max} (got ${value})`, field);
  return value;
}

export function finite(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ValidationError(`${field} must be a finite number`, field);
  if (value < min || value > max) throw new ValidationError(`${field} must be between ${min} and ${max} (got ${value})`, field);
  return value;
}

export function list<T>(value: readonly T[], field: string, max: number): readonly T[] {
  if (value.length > max) throw new ValidationError(`${field} has ${value.length} entries; at most ${max} are accepted per call`, field);
  return value;
}

export function httpUrl(value: unknown, field: string): string {
  const v = text(value, field, { max: 2048 });
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new ValidationError(`${field} must be an absolute http(s) URL`, field);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ValidationError(`${field} must be an http(s) URL`, field);
  return v;
}

/** JSON values given by clients are bounded in size. */
export function boundedJson(value: unknown, field: string, maxBytes = 64 * 1024): unknown {
  if (value === undefined) return null;
  const s = JSON.stringify(value);
  if (s !== undefined && s.length > maxBytes) throw new ValidationError(`${field} is too large (${s.length} bytes; at most ${maxBytes})`, field);
  return value;
}

export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
export const NAME_HINT = 'may contain letters, digits, ".", "_", ":" and "-", and must start with a letter or digit';
