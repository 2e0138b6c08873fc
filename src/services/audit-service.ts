import { type AuditActor, type AuditEntry, auditArgs } from '../domain/audit.js';
import * as repo from '../db/repositories/audit.js';
import type { AuditFilter } from '../db/repositories/audit.js';
import { ValidationError } from '../domain/errors.js';
import type { ServiceDeps } from './deps.js';
import { optionalText } from './validate.js';

/** The audit trail: every mutation of a person, and every manager registration, with its outcome. */
export class AuditService {
  constructor(private deps: ServiceDeps) {}

  /**
   * Records one mutation once its outcome is known (its own statement, after the mutation's
   * transaction, so a failed mutation gets its row too). A failure to record is logged, never
   * turned into the mutation's answer: what it did is done.
   */
  async record(e: { actor: AuditActor; action: string; target: string | null; args: unknown; outcome: string }): Promise<void> {
    try {
      await repo.insertAuditEntry(this.deps.db, { ...e, args: auditArgs(e.args), at: this.deps.clock.now() });
    } catch (err) {
      this.deps.logger.error('could not write an audit entry', { err, action: e.action, actor: e.actor.name, outcome: e.outcome });
    }
  }

  /** Deletes the entries older than OC_AUDIT_RETENTION_DAYS (by the OC's clock, which stamped them). */
  prune(): Promise<number> {
    const before = new Date(this.deps.clock.now().getTime() - this.deps.config.auditRetentionDays * 86_400_000);
    return repo.pruneAuditEntries(this.deps.db, before);
  }

  list(filter: AuditFilter, page: { first: number; afterId: number | null }): Promise<{ entries: AuditEntry[]; totalCount: number; hasNextPage: boolean }> {
    const since = filter.since ?? null;
    if (since !== null && (Number.isNaN(since.getTime()) || since.getUTCFullYear() < 1 || since.getUTCFullYear() > 9999)) {
      throw new ValidationError('since must be a date-time between the years 1 and 9999', 'since');
    }
    const clean = {
      actorName: optionalText(filter.actorName, 'actor', { max: 200 }),
      actorTokenId: filter.actorTokenId ?? null,
      action: optionalText(filter.action, 'action', { max: 100 }),
      since,
    };
    return repo.listAuditEntries(this.deps.db, clean, page);
  }
}
