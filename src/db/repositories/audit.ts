/** The audit log: who did what to which target, appended, read newest first, pruned from the oldest end. */
import { and, desc, eq, gte, lt, or, sql, type SQL } from 'drizzle-orm';
import type { AuditActor, AuditEntry } from '../../domain/audit.js';
import type { Role } from '../../domain/types.js';
import type { Db } from '../client.js';
import { affectedRows } from '../query.js';
import { auditLog } from '../schema/index.js';

const toEntry = (r: typeof auditLog.$inferSelect): AuditEntry => ({
  id: r.id,
  at: r.at,
  actor: { kind: r.actorKind as AuditActor['kind'], tokenId: r.actorTokenId, name: r.actorName, role: r.actorRole as Role },
  action: r.action,
  target: r.target,
  args: r.args,
  outcome: r.outcome,
});

export async function insertAuditEntry(db: Db, e: Omit<AuditEntry, 'id' | 'at'> & { at?: Date }): Promise<void> {
  await db.insert(auditLog).values({
    at: e.at,
    actorKind: e.actor.kind,
    actorTokenId: e.actor.tokenId,
    actorName: e.actor.name,
    actorRole: e.actor.role,
    action: e.action,
    target: e.target,
    args: e.args ?? null,
    outcome: e.outcome,
  });
}

export interface AuditFilter {
  /** A token's name, or its id. */
  actorName?: string | null;
  actorTokenId?: string | null;
  action?: string | null;
  since?: Date | null;
}

/** Deletes the entries recorded before `before` (audit_log_at_idx finds them); how many went. */
export async function pruneAuditEntries(db: Db, before: Date): Promise<number> {
  return affectedRows(db, sql`delete from audit_log where at < ${before.toISOString()}::timestamptz`);
}

/** Newest first; `afterId` continues below that entry. */
export async function listAuditEntries(db: Db, f: AuditFilter, page: { first: number; afterId: number | null }): Promise<{ entries: AuditEntry[]; totalCount: number; hasNextPage: boolean }> {
  const conds: SQL[] = [];
  const actor = [f.actorName != null ? eq(auditLog.actorName, f.actorName) : null, f.actorTokenId != null ? eq(auditLog.actorTokenId, f.actorTokenId) : null].filter((c) => c !== null);
  if (actor.length) conds.push(or(...actor)!);
  if (f.action != null) conds.push(eq(auditLog.action, f.action));
  if (f.since != null) conds.push(gte(auditLog.at, f.since));
  const pageConds = page.afterId === null ? conds : [...conds, lt(auditLog.id, page.afterId)];
  const rows = await db
    .select()
    .from(auditLog)
    .where(pageConds.length ? and(...pageConds) : undefined)
    .orderBy(desc(auditLog.id))
    .limit(page.first + 1);
  const [total] = await db.select({ n: sql<number>`count(*)::int` }).from(auditLog).where(conds.length ? and(...conds) : undefined);
  return { entries: rows.slice(0, page.first).map(toEntry), totalCount: total?.n ?? 0, hasNextPage: rows.length > page.first };
}
