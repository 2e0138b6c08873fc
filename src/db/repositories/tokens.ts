/**
 * Credentials: API tokens (stored by hash, revoked, touched on use) and manager sessions (made at
 * registration, revoked with their cluster's next registration or their enrollment token).
 */
import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { ApiToken } from '../../domain/auth.js';
import type { Role } from '../../domain/types.js';
import type { Db, NamedStatement } from '../client.js';
import { runNamed } from '../named.js';
import { rawBoolean, rawDate, rawNumber, rawString } from '../raw.js';
import { apiTokens, managerSessions } from '../schema/index.js';

const toToken = (r: typeof apiTokens.$inferSelect): ApiToken => ({
  id: r.id,
  name: r.name,
  role: r.role as Role,
  clusterName: r.clusterName,
  createdAt: r.createdAt,
  lastUsedAt: r.lastUsedAt,
  revokedAt: r.revokedAt,
});

export async function insertApiToken(db: Db, v: { name: string; role: Role; clusterName: string | null; tokenHash: string }): Promise<ApiToken> {
  const [r] = await db.insert(apiTokens).values(v).returning();
  return toToken(r!);
}

export async function findApiTokenByHash(db: Db, tokenHash: string): Promise<ApiToken | null> {
  const [r] = await db.select().from(apiTokens).where(eq(apiTokens.tokenHash, tokenHash)).limit(1);
  return r ? toToken(r) : null;
}

export async function findApiToken(db: Db, id: string): Promise<ApiToken | null> {
  const [r] = await db.select().from(apiTokens).where(eq(apiTokens.id, id)).limit(1);
  return r ? toToken(r) : null;
}

export async function listApiTokens(db: Db): Promise<ApiToken[]> {
  return (await db.select().from(apiTokens).orderBy(asc(apiTokens.createdAt), asc(apiTokens.id))).map(toToken);
}

export async function countApiTokens(db: Db): Promise<number> {
  const [r] = await db.select({ n: sql<number>`count(*)::int` }).from(apiTokens);
  return r?.n ?? 0;
}

/**
 * Serializes the first-ADMIN-token check of OCs starting together on one database, to the end of
 * the transaction (an advisory lock: there is no row to lock while the table is empty).
 */
export async function lockFirstAdminCheck(db: Db): Promise<void> {
  await db.execute(sql`select pg_advisory_xact_lock(hashtext('oc.first-admin-token'))`);
}

export async function revokeApiToken(db: Db, id: string, at: Date): Promise<ApiToken | null> {
  const [r] = await db
    .update(apiTokens)
    .set({ revokedAt: sql`coalesce(${apiTokens.revokedAt}, ${at.toISOString()}::timestamptz)` })
    .where(eq(apiTokens.id, id))
    .returning();
  return r ? toToken(r) : null;
}

export async function touchApiToken(db: Db, id: string, at: Date): Promise<void> {
  await db.update(apiTokens).set({ lastUsedAt: at }).where(eq(apiTokens.id, id));
}

export interface SessionRow {
  id: string;
  managerId: string;
  clusterId: string;
  enrollmentTokenId: string | null;
  tokenName: string;
  lastSeq: number;
  revokedAt: Date | null;
}

export async function findSessionByHash(db: Db, tokenHash: string): Promise<SessionRow | null> {
  const [r] = await db.select().from(managerSessions).where(eq(managerSessions.tokenHash, tokenHash)).limit(1);
  return (r as SessionRow | undefined) ?? null;
}

const LOCK_SESSION: NamedStatement = {
  name: 'oc_lock_session',
  text: 'select id, manager_id, cluster_id, enrollment_token_id, token_name, last_seq, revoked_at from manager_sessions where id = $1::uuid for update',
};

/** Locks the session row for the rest of the transaction (serialises one session's reports); a named statement, as every report starts with it. */
export async function lockSession(db: Db, id: string): Promise<SessionRow | null> {
  const [r] = await runNamed(db, LOCK_SESSION, [id]);
  return r ? sessionFromRaw(r) : null;
}

/** A session row from LOCK_SESSION's columns (LOCK_SESSION_AND_MANAGER's first seven). */
function sessionFromRaw(r: readonly unknown[]): SessionRow {
  return {
    id: rawString(r[0]),
    managerId: rawString(r[1]),
    clusterId: rawString(r[2]),
    enrollmentTokenId: r[3] == null ? null : rawString(r[3]),
    tokenName: rawString(r[4]),
    lastSeq: rawNumber(r[5]),
    revokedAt: r[6] == null ? null : rawDate(r[6]),
  };
}

const LOCK_SESSION_AND_MANAGER: NamedStatement = {
  name: 'oc_lock_session_and_manager',
  text: `with s as materialized (select id, manager_id, cluster_id, enrollment_token_id, token_name, last_seq, revoked_at from manager_sessions where id = $1::uuid for update)
    select s.*, (select connected from managers where cluster_id = s.cluster_id for update) from s`,
};

/**
 * lockSession, and the row of the cluster's manager locked too, with whether the manager is
 * connected (null: no manager row). The manager's lease cannot change until the transaction
 * ends, so a report that writes it knows beforehand whether it brings the manager back. The
 * session row is locked first (the materialized CTE), then the manager's, the order every
 * report takes them in (a report's statement locks the manager's row after the session's).
 */
export async function lockSessionAndManager(db: Db, id: string): Promise<(SessionRow & { managerConnected: boolean | null }) | null> {
  const [r] = await runNamed(db, LOCK_SESSION_AND_MANAGER, [id]);
  return r ? { ...sessionFromRaw(r), managerConnected: r[7] == null ? null : rawBoolean(r[7]) } : null;
}

/** Revokes every live session of a cluster (a new registration replaces them); returns their ids. */
export async function revokeClusterSessions(db: Db, clusterId: string, at: Date): Promise<string[]> {
  const rows = await db
    .update(managerSessions)
    .set({ revokedAt: at })
    .where(and(eq(managerSessions.clusterId, clusterId), isNull(managerSessions.revokedAt)))
    .returning({ id: managerSessions.id });
  return rows.map((r) => r.id);
}

/** Sessions made with an enrollment token (revoking the token ends them too). */
export async function revokeSessionsOfEnrollment(db: Db, tokenId: string, at: Date): Promise<string[]> {
  const rows = await db
    .update(managerSessions)
    .set({ revokedAt: at })
    .where(and(eq(managerSessions.enrollmentTokenId, tokenId), isNull(managerSessions.revokedAt)))
    .returning({ id: managerSessions.id });
  return rows.map((r) => r.id);
}

/** Of these tokens and sessions, the ones revoked (or gone). */
export async function revokedCredentials(db: Db, tokenIds: string[], sessionIds: string[]): Promise<{ tokenIds: string[]; sessionIds: string[] }> {
  const liveTokens = tokenIds.length
    ? new Set((await db.select({ id: apiTokens.id }).from(apiTokens).where(and(inArray(apiTokens.id, tokenIds), isNull(apiTokens.revokedAt)))).map((r) => r.id))
    : new Set<string>();
  const liveSessions = sessionIds.length
    ? new Set(
        (await db.select({ id: managerSessions.id }).from(managerSessions).where(and(inArray(managerSessions.id, sessionIds), isNull(managerSessions.revokedAt)))).map(
          (r) => r.id,
        ),
      )
    : new Set<string>();
  return { tokenIds: tokenIds.filter((id) => !liveTokens.has(id)), sessionIds: sessionIds.filter((id) => !liveSessions.has(id)) };
}
