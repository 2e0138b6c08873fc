import { ValidationError } from '../domain/errors.js';

/** Control characters (C0, DEL and C1): none in a one-line text. */
const CONTROL = /\p{Cc}/u;
/** Control characters but tab, line feed and carriage return: none in a multi-line text. */
const CONTROL_BUT_LINES = /(?![\t\n\r])\p{Cc}/u;
/** A UTF-16 surrogate without its other half: not a character, and not storable as UTF-8 (nor in jsonb). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Where a string holds a lone surrogate, if it does. */
function loneSurrogate(value: string): number | null {
  const m = LONE_SURROGATE.exec(value);
  return m ? m.index : null;
}

/**
 * Small input checks shared by services; each throws ValidationError naming the field.
 *
 * A text is one line of printable characters unless `multiline` (which allows tabs and line
 * breaks). Control characters are refused: PostgreSQL cannot store NUL at all, and the topology
 * reads rely on names and hosts having none (see WORKER_PAGE_TEXT in db/repositories/topology/worker-page.ts).
 */
export function text(value: unknown, field: string, opts: { min?: number; max?: number; pattern?: RegExp; patternHint?: string; multiline?: boolean } = {}): string {
  if (typeof value !== 'string') throw new ValidationError(`${field} must be a string`, field);
  const control = (opts.multiline ? CONTROL_BUT_LINES : CONTROL).exec(value);
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).padStart(4, '0');
    throw new ValidationError(`${field} must not contain control characters (found U+${code.toUpperCase()} at position ${control.index})`, field);
  }
  const lone = loneSurrogate(value);
  if (lone !== null) throw new ValidationError(`${field} is not valid Unicode text (a lone surrogate at position ${lone})`, field);
  const v = value.trim();
  const min = opts.min ?? 1;
  const max = opts.max ?? 200;
  if (v.length < min) throw new ValidationError(min === 1 ? `${field} must not be empty` : `${field} must be at least ${min} characters`, field);
  if (v.length > max) throw new ValidationError(`${field} must be at most ${max} characters (got ${v.length})`, field);
  if (opts.pattern && !opts.pattern.test(v)) throw new ValidationError(`${field} ${opts.patternHint ?? 'has an invalid format'}`, field);
  return v;
}

/**
 * A text the database can hold: no NUL character, no lone surrogate. For lookups and filters
 * (a cluster's name, a kind), where any other text merely finds nothing.
 */
export function storable(value: string, field: string): string {
  if (value.includes('\u0000')) throw new ValidationError(`${field} must not contain a NUL character`, field);
  const lone = loneSurrogate(value);
  if (lone !== null) throw new ValidationError(`${field} is not valid Unicode text (a lone surrogate at position ${lone})`, field);
  return value;
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

/** How deep a JSON value may nest (the JSON scalar refuses deeper ones before any service sees them). */
export const MAX_JSON_DEPTH = 64;

/**
 * JSON values given by clients are bounded in size and depth, and hold only what the database
 * can store: no NUL character (jsonb refuses \u0000) and no lone surrogate in any string or key.
 * Walked without recursion, so no value can overflow the stack.
 */
export function boundedJson(value: unknown, field: string, maxBytes = 64 * 1024): unknown {
  if (value === undefined) return null;
  const stack: { v: unknown; path: string; depth: number }[] = [{ v: value, path: field, depth: 0 }];
  const checkString = (s: string, path: string, what: string) => {
    const nul = s.indexOf('\u0000');
    if (nul !== -1) throw new ValidationError(`${path} must not contain a NUL character (${what}, at position ${nul})`, field);
    const lone = loneSurrogate(s);
    if (lone !== null) throw new ValidationError(`${path} is not valid Unicode text (${what}: a lone surrogate at position ${lone})`, field);
  };
  while (stack.length > 0) {
    const { v, path, depth } = stack.pop()!;
    if (typeof v === 'string') checkString(v, path, 'in a string');
    else if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new ValidationError(`${path} must hold finite numbers only`, field);
    } else if (v !== null && typeof v === 'object') {
      if (depth >= MAX_JSON_DEPTH) throw new ValidationError(`${field} nests deeper than ${MAX_JSON_DEPTH} levels`, field);
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) stack.push({ v: v[i], path: `${path}[${i}]`, depth: depth + 1 });
      } else
        for (const [k, item] of Object.entries(v)) {
          checkString(k, path, 'in a key');
          stack.push({ v: item, path: /^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(k) ? `${path}.${k}` : `${path}[…]`, depth: depth + 1 });
        }
    } else if (typeof v !== 'boolean' && v !== null) throw new ValidationError(`${path} is not a JSON value`, field);
  }
  const s = JSON.stringify(value);
  if (s !== undefined && s.length > maxBytes) throw new ValidationError(`${field} is too large (${s.length} bytes; at most ${maxBytes})`, field);
  return value;
}

export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
export const NAME_HINT = 'may contain letters, digits, ".", "_", ":" and "-", and must start with a letter or digit';
