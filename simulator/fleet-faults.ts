/**
 * Injecting a fault into a fleet's cluster: what each fault type does to the cluster's manager or
 * to one of its workers (picked by the fleet's seeded stream when the fault names none).
 */
import type { VirtualManager } from './manager.js';
import type { Rng } from './random.js';
import type { Fault } from './scenario.js';

/**
 * Applies a parsed `fault` to manager `m`; returns the member it hit (null for a manager fault).
 * `later` runs a function after `ms` unless the fleet stopped (a manager crash with a duration).
 */
export function applyFault(m: VirtualManager, fault: Fault, rng: Rng, later: (ms: number, fn: () => void) => void): string | null {
  const pickMember = (): string => {
    if ('member' in fault && fault.member) return fault.member;
    const members = [...m.workers.keys()].sort();
    if (members.length === 0) throw new Error(`cluster ${m.clusterName} has no workers to inject ${fault.type} into`);
    return rng.pick(members);
  };
  let member: string | null = null;
  switch (fault.type) {
    case 'never-come-back':
      member = pickMember();
      m.worker(member).arm({ kind: 'never-come-back', state: fault.state ?? 'STOPPED' });
      break;
    case 'slow-boot':
      member = pickMember();
      m.worker(member).arm({ kind: 'slow-boot', durationMs: fault.durationMs });
      break;
    case 'crash':
      member = pickMember();
      m.worker(member).arm({ kind: 'crash' });
      break;
    case 'fail-start':
      member = pickMember();
      m.worker(member).arm({ kind: 'fail-start' });
      break;
    case 'manager-crash':
      m.crash();
      if (fault.durationMs !== undefined) later(fault.durationMs, () => m.restart());
      break;
    case 'manager-restart':
      m.restart();
      break;
    case 'manager-cutoff':
      m.cutOff(fault.durationMs);
      break;
    case 'duplicate-report':
      m.duplicateNextReport();
      break;
    case 'reorder-reports':
      m.reorderNextReports();
      break;
    case 'worker-join':
      member = m.addWorker(fault.member).memberId;
      break;
    case 'worker-leave':
      member = pickMember();
      m.removeWorker(member);
      break;
  }
  return member;
}
