import type { Principal } from './auth.js';
import type { Role } from './types.js';

/** One line of the audit trail: who did what, to what, when, and how it ended. */
export interface AuditEntry {
  id: number;
  at: Date;
  actor: AuditActor;
  /** The mutation's field name, e.g. restartCluster. */
  action: string;
  /** What it was aimed at, as the caller named it (a global id or a name), when it names one. */
  target: string | null;
  /** The arguments, secrets redacted and long values cut short. */
  args: unknown;
  /** DONE, or the error code it ended with. */
  outcome: string;
}

export interface AuditActor {
  kind: Principal['kind'];
  /** The API token's id; null for the bootstrap token (OC_ADMIN_TOKEN) and manager sessions. */
  tokenId: string | null;
  name: string;
  role: Role;
}

export const AUDIT_DONE = 'DONE';

export function auditActor(p: Principal): AuditActor {
  return { kind: p.kind, tokenId: p.kind === 'token' ? p.tokenId : null, name: p.name, role: p.role };
}

/** Argument names whose values are never stored (any key containing one of these words). */
const SECRET_KEY = /token|secret|password|passphrase|credential|authorization|api_?key|private_?key/i;
export const REDACTED = '[redacted]';
const MAX_STRING = 1000;
const MAX_ITEMS = 20;
const MAX_KEYS = 50;
const MAX_DEPTH = 6;

/**
 * The arguments of a mutation as the audit trail keeps them: values under secret-sounding keys
 * replaced by "[redacted]", strings cut at 1,000 characters and made storable (no NUL, no lone
 * surrogate), lists cut at 20 items, objects at 50 keys and 6 levels.
 */
export function auditArgs(value: unknown, depth = 0): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return storable(value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value);
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (depth >= MAX_DEPTH) return '…';
  if (Array.isArray(value)) {
    const kept = value.slice(0, MAX_ITEMS).map((v) => auditArgs(v, depth + 1));
    return value.length > MAX_ITEMS ? [...kept, `… ${value.length - MAX_ITEMS} more`] : kept;
  }
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    const keys = Object.keys(value);
    for (const k of keys.slice(0, MAX_KEYS)) {
      const v = (value as Record<string, unknown>)[k];
      if (v === undefined) continue;
      out[storable(k.slice(0, 200))] = SECRET_KEY.test(k) ? REDACTED : auditArgs(v, depth + 1);
    }
    if (keys.length > MAX_KEYS) out['…'] = `${keys.length - MAX_KEYS} more keys`;
    return out;
  }
  return null;
}

/** What a mutation is aimed at, from its arguments: an id, or a name (the first one given). */
export function auditTarget(args: Record<string, unknown>): string | null {
  const input = (args.input ?? null) as Record<string, unknown> | null;
  const candidates = [args.id, args.name, input?.clusterId, input?.id, input?.taskId, input?.name, input?.clusterName];
  const found = candidates.find((c) => typeof c === 'string' && c.length > 0) as string | undefined;
  return found === undefined ? null : storable(found.slice(0, 300));
}

/** PostgreSQL stores neither NUL nor a lone UTF-16 surrogate in text or jsonb. */
function storable(s: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what is removed
  return s.replace(/\u0000/g, '\uFFFD').replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}
