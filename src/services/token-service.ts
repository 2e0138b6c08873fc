import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiToken, Principal } from '../domain/auth.js';
import { NotFoundError, ValidationError } from '../domain/errors.js';
import { ROLES, type Role } from '../domain/types.js';
import * as repo from '../db/repositories/tokens.js';
import { inTransaction, type ServiceDeps } from './deps.js';
import { NAME_HINT, NAME_PATTERN, optionalText, text } from './validate.js';

/** Once per request (the cache of principals is by hash): the one-shot form, without a Hash object. */
export const hashToken = (secret: string) => hash('sha256', secret, 'hex');
export const newSecret = (prefix: 'oc' | 'ocs') => `${prefix}_${randomBytes(32).toString('base64url')}`;

const CACHE_TTL_MS = 5_000;
/**
 * A manager session's lookup is kept longer: its manager calls every few seconds (a stats report
 * every 5 s by default, just past CACHE_TTL_MS, so every report looked its session up again), and
 * what it writes checks the session again in its own transaction (the row is locked and read).
 * Revocation still evicts at once (credentialRevoked, on every instance; resync after a lost LISTEN).
 */
const SESSION_CACHE_TTL_MS = 30_000;
/** Manager session secrets start so (newSecret('ocs')); API tokens with 'oc_': a session needs no look in api_tokens. */
const SESSION_PREFIX = 'ocs_';

export type Refusal = 'MISSING' | 'UNKNOWN' | 'REVOKED' | 'SESSION_REPLACED';
const TOUCH_EVERY_MS = 30_000;

/**
 * Identity: creates, revokes and lists tokens, and turns a bearer secret into a Principal.
 * Lookups are cached briefly; a revocation evicts the cache at once (bus event, bridged to other instances).
 */
export class TokenService {
  private cache = new Map<string, { principal: Principal | null; at: number }>();
  private touched = new Map<string, number>();
  /** Counts revocations seen: a lookup that a revocation overtook is not cached, and callers can tell it happened. */
  generation = 0;
  private refusals = new Map<string, { refusal: { reason: Refusal; message: string }; at: number }>();

  constructor(private deps: ServiceDeps) {
    const forget = () => {
      this.generation++;
      this.cache.clear();
      this.refusals.clear();
    };
    deps.bus.on('credentialRevoked', forget);
    // Revocations made on other instances may have been missed: nothing cached is trusted.
    deps.bus.on('resync', forget);
  }

  /**
   * Of these credentials (held by open sockets), the ones no longer valid: after events from other
   * instances were missed, open sockets are checked against the database.
   */
  revokedAmong(tokenIds: string[], sessionIds: string[]): Promise<{ tokenIds: string[]; sessionIds: string[] }> {
    return repo.revokedCredentials(this.deps.db, tokenIds, sessionIds);
  }

  async authenticate(secret: string | null | undefined): Promise<Principal | null> {
    if (!secret || secret.length > 512) return null;
    const { adminToken } = this.deps.config;
    if (adminToken && secret.length === adminToken.length && timingSafeEqual(Buffer.from(secret), Buffer.from(adminToken))) {
      return { kind: 'bootstrap', name: 'bootstrap-admin', role: 'ADMIN', tokenId: null };
    }
    const hash = hashToken(secret);
    const now = Date.now();
    const hit = this.cache.get(hash);
    if (hit && now - hit.at < (hit.principal?.kind === 'session' ? SESSION_CACHE_TTL_MS : CACHE_TTL_MS)) {
      if (hit.principal) this.touch(hit.principal, now);
      return hit.principal;
    }
    const generation = this.generation;
    const principal = await this.lookup(hash, secret.startsWith(SESSION_PREFIX));
    if (this.cache.size > 10_000) this.cache.clear();
    if (generation === this.generation) this.cache.set(hash, { principal, at: now });
    if (principal) this.touch(principal, now);
    return principal;
  }

  private async lookup(hash: string, session: boolean): Promise<Principal | null> {
    const { db } = this.deps;
    const t = session ? null : await repo.findApiTokenByHash(db, hash);
    if (t) {
      if (t.revokedAt) return null;
      return { kind: 'token', name: t.name, role: t.role, tokenId: t.id, clusterName: t.clusterName };
    }
    const s = await repo.findSessionByHash(db, hash);
    if (!s || s.revokedAt) return null;
    return { kind: 'session', name: s.tokenName, role: 'MANAGER', sessionId: s.id, clusterId: s.clusterId, managerId: s.managerId };
  }

  /**
   * Why a secret is refused (asked only on the way to a 401). A manager told its session was
   * replaced knows another manager took over its cluster, and should not re-register to fight it.
   */
  async refusal(secret: string | null | undefined): Promise<{ reason: Refusal; message: string }> {
    if (!secret) return { reason: 'MISSING', message: 'a bearer token is required (Authorization: Bearer <token>)' };
    const hash = hashToken(secret);
    const hit = this.refusals.get(hash);
    if (hit && Date.now() - hit.at < CACHE_TTL_MS) return hit.refusal;
    const generation = this.generation;
    const refusal = await this.explain(secret, hash);
    if (this.refusals.size > 10_000) this.refusals.clear();
    if (generation === this.generation) this.refusals.set(hash, { refusal, at: Date.now() });
    return refusal;
  }

  private async explain(secret: string, hash: string): Promise<{ reason: Refusal; message: string }> {
    const t = secret.length <= 512 ? await repo.findApiTokenByHash(this.deps.db, hash) : null;
    if (t?.revokedAt) return { reason: 'REVOKED', message: 'this token was revoked' };
    const s = t || secret.length > 512 ? null : await repo.findSessionByHash(this.deps.db, hash);
    if (s?.revokedAt) {
      const enrollment = s.enrollmentTokenId ? await repo.findApiToken(this.deps.db, s.enrollmentTokenId) : null;
      if (enrollment && !enrollment.revokedAt) {
        return { reason: 'SESSION_REPLACED', message: 'this manager session was replaced by a newer registration of its cluster' };
      }
      return { reason: 'REVOKED', message: 'this manager session ended: its enrollment token was revoked' };
    }
    return { reason: 'UNKNOWN', message: 'unknown bearer token' };
  }

  /** lastUsedAt is kept to the half-minute: not one write per request. */
  private touch(p: Principal, now: number) {
    if (p.kind !== 'token') return;
    const last = this.touched.get(p.tokenId) ?? 0;
    if (now - last < TOUCH_EVERY_MS) return;
    if (this.touched.size > 10_000) this.touched.clear();
    this.touched.set(p.tokenId, now);
    repo.touchApiToken(this.deps.db, p.tokenId, new Date(now)).catch((err) => this.deps.logger.warn('token touch failed', { err }));
  }

  async create(input: { name: unknown; role: unknown; clusterName?: unknown }): Promise<{ token: string; apiToken: ApiToken }> {
    const name = text(input.name, 'input.name', { max: 100 });
    if (typeof input.role !== 'string' || !ROLES.includes(input.role as Role)) throw new ValidationError(`role must be one of ${ROLES.join(', ')}`, 'input.role');
    const role = input.role as Role;
    const clusterName = optionalText(input.clusterName, 'input.clusterName', { max: 200, pattern: NAME_PATTERN, patternHint: NAME_HINT });
    if (clusterName && role !== 'MANAGER') throw new ValidationError('clusterName only applies to MANAGER (enrollment) tokens', 'input.clusterName');
    const token = newSecret('oc');
    const apiToken = await repo.insertApiToken(this.deps.db, { name, role, clusterName, tokenHash: hashToken(token) });
    this.deps.logger.info('api token created', { tokenId: apiToken.id, name, role });
    return { token, apiToken };
  }

  async revoke(id: string): Promise<ApiToken> {
    const { clock } = this.deps;
    return inTransaction(this.deps, async (tx, emit) => {
      const t = await repo.revokeApiToken(tx, id, clock.now());
      if (!t) throw new NotFoundError(`no API token with id ${id}`, id);
      emit({ topic: 'credentialRevoked', payload: { tokenId: id, sessionId: null } });
      // Manager sessions obtained with a revoked enrollment token end with it.
      for (const sessionId of await repo.revokeSessionsOfEnrollment(tx, id, clock.now())) {
        emit({ topic: 'credentialRevoked', payload: { tokenId: null, sessionId } });
      }
      return t;
    });
  }

  list(): Promise<ApiToken[]> {
    return repo.listApiTokens(this.deps.db);
  }

  /** On an empty database with no configured admin token, makes one admin token and returns its secret (shown once). */
  async bootstrapAdminIfEmpty(): Promise<string | null> {
    if (this.deps.config.adminToken) return null;
    if ((await repo.countApiTokens(this.deps.db)) > 0) return null;
    // Checked again and made under one lock: of OCs starting together on an empty database, one makes (and prints) it.
    const token = newSecret('oc');
    const made = await inTransaction(this.deps, async (tx) => {
      await repo.lockFirstAdminCheck(tx);
      if ((await repo.countApiTokens(tx)) > 0) return null;
      return repo.insertApiToken(tx, { name: 'first-admin', role: 'ADMIN', clusterName: null, tokenHash: hashToken(token) });
    });
    if (!made) return null;
    this.deps.logger.info('api token created', { tokenId: made.id, name: made.name, role: made.role });
    return token;
  }

  /** Is the session still the live one? (A revoked or replaced session is refused.) */
  async sessionIsLive(sessionId: string): Promise<boolean> {
    const s = await repo.lockSession(this.deps.db, sessionId);
    return Boolean(s && !s.revokedAt);
  }
}

