import type { Logger } from '../logger.js';
import type { AuditService } from '../services/audit-service.js';
import type { EventService } from '../services/event-service.js';
import type { ManagerService } from '../services/manager-service.js';
import type { TopologyService } from '../services/topology-service.js';
import { Loop } from './loop.js';

/**
 * Renews the leases of the managerTasks streams this instance holds (all in one statement, every
 * third of a lease), turns clusters whose manager's lease ran out UNREACHABLE, and prunes old
 * stats history, old events of the event log and old audit entries now and then.
 */
export function createLeaseController(deps: { managers: ManagerService; topology: TopologyService; events: EventService; audit: AuditService; leaseMs: number; logger: Logger }) {
  const interval = Math.max(50, Math.min(1000, Math.floor(deps.leaseMs / 4)));
  const renewEvery = Math.max(50, Math.floor(deps.leaseMs / 3));
  let lastPrune = 0;
  let lastRenew = 0;
  return new Loop(
    'lease-controller',
    interval,
    async () => {
      if (Date.now() - lastRenew >= renewEvery) {
        lastRenew = Date.now();
        await deps.managers.renewHeldLeases();
      }
      await deps.managers.expireLeases();
      if (Date.now() - lastPrune > 10 * 60_000) {
        lastPrune = Date.now();
        const n = await deps.topology.pruneStats();
        if (n) deps.logger.info('pruned stats history', { rows: n });
        const e = await deps.events.prune();
        if (e) deps.logger.info('pruned the event log', { events: e });
        const a = await deps.audit.prune();
        if (a) deps.logger.info('pruned the audit log', { entries: a });
      }
    },
    deps.logger,
  );
}
