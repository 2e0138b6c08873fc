import { randomUUID } from 'node:crypto';
import { mayReEnroll, type Principal } from '../domain/auth.js';
import { naturalKey } from '../domain/natural-order.js';
import { ConflictError, DomainError, NotFoundError, ValidationError } from '../domain/errors.js';
import { type Cluster, type MembershipChange, type MembershipEvent, MEMBERSHIP_CHANGES, type ObservedWorker, type Stats, type Worker, type WorkerReport, } from '../domain/types.js';
import { touchManagers } from '../db/repositories/leases.js';
import * as tokens from '../db/repositories/tokens.js';
import * as topo from '../db/repositories/topology.js';
import type { Db } from '../db/client.js';
import { type Emit, inTransaction, type ServiceDeps } from './deps.js';
import { AdmissionGate } from './admission.js';
import { hashToken, newSecret } from './token-service.js';
import { differs, toWrite, validateOperations, validateWorker } from './manager-input.js';
import { finite, httpUrl, int, list, NAME_HINT, NAME_PATTERN, optionalText, text } from './validate.js';

export const MAX_WORKERS_PER_CALL = 10_000;
export const MAX_EVENTS_PER_CALL = 5_000;
export const MAX_SAMPLES_PER_CALL = 10_000;
const MAX_CLOCK_SKEW_MS = 5 * 60_000;
/** How long a registration may wait for its turn before it is refused (well under a client's timeout, 15 s for the simulator). */
const REGISTRATION_MAX_WAIT_MS = 5_000;
/** How long a stats report may wait for a turn: a manager reports again every few seconds, and a late sample is stale. */
const STATS_MAX_WAIT_MS = 2_000;

type Enrollment = Extract<Principal, { kind: 'token' }>;
type Session = Extract<Principal, { kind: 'session' }>;

export interface RegisterInput {
  clusterName: string;
  kind: string;
  host: string;
  url: string;
  version?: string | null;
  workers: WorkerReport[];
  operations?: { name: string; description?: string | null; inputSchema?: unknown }[] | null;
}

export interface StatsSample {
  memberId: string;
  at?: Date | null;
  cpuPercent: number;
  memoryMb: number;
  requestsPerSec: number;
  errorsPerSec: number;
}

/**
 * The worker each event of a report carries: the row as stored (as it was, for LEFT) with the
 * fields as that event left them (a member may change more than once in a report).
 */
function eventWorkers(
  emitted: { change: MembershipChange; memberId: string; write: topo.WorkerWrite | null }[],
  current: Map<string, Worker>,
  deleted: Map<string, Worker>,
  stored: Map<string, Worker>,
): { change: MembershipChange; worker: Worker }[] {
  return emitted.flatMap(({ change, memberId, write }) => {
    const row = change === 'LEFT' ? (deleted.get(memberId) ?? current.get(memberId)) : (stored.get(memberId) ?? deleted.get(memberId));
    if (!row) return [];
    const worker = write
      ? { ...row, host: write.host, port: write.port, state: write.state, startedAt: write.startedAt, stateChangedAt: write.stateChangedAt, artifacts: write.artifacts }
      : row;
    return [{ change, worker }];
  });
}

/** Manager-side use cases: registration, membership and stats reports, leases. */
export class ManagerService {
  /** Clusters whose managerTasks stream this instance holds (streams per cluster): renewHeldLeases renews them together. */
  private readonly held = new Map<string, number>();

  /** Registrations in hand: bounded, the rest refused with OVERLOADED (a registration storm must not drown the instance). */
  private readonly registrations: AdmissionGate;
  /**
   * Stats reports in hand: bounded too. An instance that falls behind would otherwise take every
   * report on and answer each after its manager gave up on it, still doing its work. A refused
   * report did nothing; the manager's next one (a few seconds later) carries fresher samples.
   */
  private readonly statsReports: AdmissionGate;

  constructor(private deps: ServiceDeps) {
    this.registrations = new AdmissionGate({
      what: 'registrations',
      concurrency: deps.config.registrationConcurrency ?? 4,
      queue: deps.config.registrationQueue ?? 200,
      maxWaitMs: REGISTRATION_MAX_WAIT_MS,
    });
    this.statsReports = new AdmissionGate({
      what: 'stats reports',
      concurrency: deps.config.statsConcurrency ?? 6,
      queue: deps.config.statsQueue ?? 500,
      maxWaitMs: STATS_MAX_WAIT_MS,
    });
  }

  async register(enrollment: Enrollment, input: RegisterInput) {
    try {
      return await this.registrations.run(() => this.registerChecked(enrollment, input));
    } catch (e) {
      if (e instanceof DomainError) {
        const cluster = typeof input?.clusterName === 'string' ? input.clusterName.slice(0, 200) : null;
        this.deps.logger.warn('manager registration refused', { cluster, tokenName: enrollment.name, tokenId: enrollment.tokenId, code: e.code, reason: e.message });
      }
      throw e;
    }
  }

  private async registerChecked(enrollment: Enrollment, input: RegisterInput) {
    const clusterName = text(input.clusterName, 'input.clusterName', { max: 200, pattern: NAME_PATTERN, patternHint: NAME_HINT });
    const kind = text(input.kind, 'input.kind', { max: 50, pattern: /^[A-Za-z0-9_-]+$/, patternHint: 'may contain letters, digits, "_" and "-"' }).toUpperCase();
    const host = text(input.host, 'input.host', { max: 255 });
    const url = httpUrl(input.url, 'input.url');
    const version = optionalText(input.version, 'input.version', { max: 100 });
    const operations = validateOperations(input.operations ?? []);
    list(input.workers, 'input.workers', MAX_WORKERS_PER_CALL);
    const now = this.deps.clock.now();
    const snapshot = new Map<string, WorkerReport>();
    input.workers.forEach((w, i) => {
      const v = validateWorker(w, `input.workers[${i}]`);
      if (snapshot.has(v.memberId)) throw new ValidationError(`input.workers[${i}].memberId "${v.memberId}" appears twice`, `input.workers[${i}].memberId`);
      snapshot.set(v.memberId, v);
    });
    if (enrollment.clusterName && enrollment.clusterName !== clusterName) {
      throw new ValidationError(`this enrollment token is for cluster "${enrollment.clusterName}", not "${clusterName}"`, 'input.clusterName');
    }

    const sessionToken = newSecret('ocs');
    const result = await inTransaction(this.deps, async (tx, emit) => {
      let existing = await topo.lockClusterByName(tx, clusterName);
      // The first registration binds the cluster to its enrollment token.
      const inserted = existing ? null : await topo.insertCluster(tx, { name: clusterName, kind, sortKey: naturalKey(clusterName), enrolledByTokenId: enrollment.tokenId });
      let cluster: Cluster;
      let created = false;
      if (inserted) {
        cluster = inserted;
        created = true;
      } else {
        // Not inserted: another first registration of this name committed while this one waited on
        // its insert. This one goes on as a re-registration (it replaces that session), so managers converge.
        existing ??= await topo.lockClusterByName(tx, clusterName);
        if (!existing) throw new ConflictError(`cluster "${clusterName}" was removed while it registered; register again`);
        // Checked first: a caller that may not register the cluster learns nothing more of it.
        if (!mayReEnroll(enrollment, existing)) {
          throw new ConflictError(
            `cluster "${clusterName}" is bound to another enrollment token; register it with its own token, or a token created with clusterName: "${clusterName}", or have an ADMIN release it (releaseCluster)`,
          );
        }
        if (existing.kind !== kind) throw new ConflictError(`cluster "${clusterName}" is of kind ${existing.kind}, not ${kind}`, existing.id, 'Cluster');
        if (existing.enrolledByTokenId !== enrollment.tokenId) await topo.setClusterEnrollment(tx, existing.id, enrollment.tokenId);
        cluster = { id: existing.id, name: existing.name, kind: existing.kind, createdAt: existing.createdAt };
      }
      // The manager, the sessions revoked and the new one: one statement.
      const { manager, wasConnected, sessionId, revoked } = await topo.replaceManagerSession(tx, {
        clusterId: cluster.id,
        host,
        url,
        version,
        operations,
        now,
        session: { enrollmentTokenId: enrollment.tokenId, tokenName: enrollment.name, tokenHash: hashToken(sessionToken) },
      });
      for (const id of revoked) emit({ topic: 'credentialRevoked', payload: { tokenId: null, sessionId: id } });
      // Serialized with the cluster's reports: this transaction holds the cluster row and has revoked (locked) every session.
      await this.replaceMembership(tx, emit, cluster.id, snapshot, now, created);
      const c = { id: cluster.id, name: cluster.name, kind: cluster.kind, createdAt: cluster.createdAt };
      if (created) emit({ topic: 'topology', payload: { clusterId: cluster.id, change: 'CLUSTER_ADDED', at: now, cluster: c } });
      if (!wasConnected) emit({ topic: 'topology', payload: { clusterId: cluster.id, change: 'MANAGER_CONNECTED', at: now, cluster: c } });
      emit({ topic: 'health', payload: { clusterId: cluster.id } });
      return { manager, cluster, sessionId };
    });
    this.deps.logger.info('manager registered', { cluster: clusterName, managerId: result.manager.id, workers: snapshot.size });
    return { ...result, sessionToken };
  }

  /**
   * The snapshot replaces what the OC had: workers gone are LEFT, new ones JOINED, changed ones
   * STATE_CHANGED. Three statements at most, however many workers: the cluster's workers read
   * (not for a cluster just created), the removals and writes together, and the aggregates
   * recounted with the cluster's snapshot that every event of the registration carries.
   */
  private async replaceMembership(tx: Db, emit: Emit, clusterId: string, snapshot: Map<string, WorkerReport>, now: Date, created: boolean) {
    // A cluster created in this transaction has no workers yet: nothing to read, nothing to remove.
    const existing = new Map(created ? [] : (await topo.listWorkersByCluster(tx, clusterId)).map((w) => [w.memberId, w]));
    const writes = [...snapshot.values()].map((r) => toWrite(r, existing.get(r.memberId) ?? null, now));
    const changed = writes.filter((w) => {
      const prev = existing.get(w.memberId);
      return !prev || differs(prev, w);
    });
    const anyGone = [...existing.keys()].some((m) => !snapshot.has(m));
    const { deleted: left, stored } = await topo.replaceWorkers(tx, clusterId, anyGone ? [...snapshot.keys()] : null, changed, now);
    const cluster = await topo.refreshAndSnapshotCluster(tx, clusterId, now);
    for (const worker of left) emit({ topic: 'membership', payload: { clusterId, change: 'LEFT', worker, at: now, ...(cluster ? { cluster } : {}) } });
    for (const worker of stored) {
      const change = existing.has(worker.memberId) ? ('STATE_CHANGED' as const) : ('JOINED' as const);
      emit({ topic: 'membership', payload: { clusterId, change, worker, at: now, ...(cluster ? { cluster } : {}) } });
    }
  }

  async reportMembership(session: Session, events: MembershipEvent[]): Promise<{ acceptedThroughSeq: number; applied: number }> {
    list(events, 'input.events', MAX_EVENTS_PER_CALL);
    const valid = events.map((e, i) => {
      const field = `input.events[${i}]`;
      int(e.seq, `${field}.seq`, 1, 2_147_483_647);
      if (!MEMBERSHIP_CHANGES.includes(e.change)) throw new ValidationError(`${field}.change must be one of ${MEMBERSHIP_CHANGES.join(', ')}`, `${field}.change`);
      return { seq: e.seq, change: e.change, worker: validateWorker(e.worker, `${field}.worker`) };
    });
    for (let i = 1; i < valid.length; i++) {
      if (valid[i]!.seq <= valid[i - 1]!.seq) {
        throw new ValidationError(`events must be in increasing seq order: events[${i}].seq ${valid[i]!.seq} follows ${valid[i - 1]!.seq}`, `input.events[${i}].seq`);
      }
    }
    const now = this.deps.clock.now();
    return inTransaction(this.deps, async (tx, emit) => {
      // The manager's row too: whether this report brings it back is then known before its last statement.
      // The workers the events name are read by the next statement, sent with it (on PostgreSQL one round
      // trip for both); it runs once the lock is held, so it reads what the session's last report wrote.
      const members = [...new Set(valid.map((e) => e.worker.memberId))];
      const [s, found] = await Promise.all([tokens.lockSessionAndManager(tx, session.sessionId), topo.findClusterWorkers(tx, session.clusterId, members)]);
      if (!s || s.revokedAt) throw new ConflictError('this manager session was replaced by a newer registration; register again');
      const fresh = valid.filter((e) => e.seq > s.lastSeq);
      if (fresh.length > 0 && fresh[0]!.seq !== s.lastSeq + 1) {
        const at = valid.indexOf(fresh[0]!);
        throw new ValidationError(`seq gap: expected ${s.lastSeq + 1}, got ${fresh[0]!.seq}; nothing was applied (resend from ${s.lastSeq + 1})`, `input.events[${at}].seq`);
      }
      for (let i = 1; i < fresh.length; i++) {
        if (fresh[i]!.seq !== fresh[i - 1]!.seq + 1) {
          throw new ValidationError(`seq gap: ${fresh[i]!.seq} follows ${fresh[i - 1]!.seq}; nothing was applied`, `input.events[${valid.indexOf(fresh[i]!)}].seq`);
        }
      }
      if (fresh.length > 0) {
        const lastSeq = fresh[fresh.length - 1]!.seq;
        // A report that does not bring its manager back writes nothing after its events: their statement can commit.
        const end = await this.applyEvents(tx, emit, s.clusterId, { id: s.id, lastSeq }, fresh, found, now, s.managerConnected === true);
        if (end.cameBack) await this.announceReturn(tx, emit, s.clusterId, now);
      } else {
        await this.touch(tx, emit, s.clusterId, now);
      }
      return { acceptedThroughSeq: fresh.length > 0 ? fresh[fresh.length - 1]!.seq : s.lastSeq, applied: fresh.length };
    });
  }

  /**
   * Applies a batch of events and ends the report: the workers written, the cluster's aggregates
   * (serialized with the cluster's other writers by the session row locked before), the session's
   * seq and the lease, in one statement as a rule (topo.writeMembershipReport). Emits the events,
   * each with the cluster as the report leaves it. `found`: the cluster's workers of (at least) the
   * events' member ids, as read under the session's lock. `last`: nothing is written in `tx` after it (the
   * statement that appends the events may then commit, see writeLogged).
   */
  private async applyEvents(tx: Db, emit: Emit, clusterId: string, session: { id: string; lastSeq: number }, events: MembershipEvent[], found: ObservedWorker[], now: Date, last: boolean) {
    // Fold the batch per member first: one write per worker, events emitted in order.
    const members = [...new Set(events.map((e) => e.worker.memberId))];
    const current = new Map(found.map((w) => [w.memberId, w]));
    const finalState = new Map<string, { write: ReturnType<typeof toWrite> | null }>();
    // Each event with the worker as that event left it (a member may change more than once in a batch).
    const emitted: { change: MembershipEvent['change']; memberId: string; write: topo.WorkerWrite | null }[] = [];
    const view = new Map<string, Worker | null>(members.map((m) => [m, current.get(m) ?? null]));
    // State changes seen in this batch per member, every event counted (the health gate's evidence).
    const changes = new Map<string, number>();
    const left = new Set<string>();
    for (const e of events) {
      const memberId = e.worker.memberId;
      const prev = view.get(memberId) ?? null;
      if (e.change === 'LEFT') {
        if (prev) emitted.push({ change: 'LEFT', memberId, write: null });
        finalState.set(memberId, { write: null });
        view.set(memberId, null);
        left.add(memberId);
        continue;
      }
      const write = toWrite(e.worker, prev, now);
      // A worker that left and joined again within the batch keeps its row: that counts as a change too.
      const seen = (changes.get(memberId) ?? 0) + write.stateChanges + (prev === null && left.has(memberId) ? 1 : 0);
      changes.set(memberId, seen);
      finalState.set(memberId, { write: { ...write, stateChanges: seen } });
      view.set(memberId, { ...(prev ?? ({} as Worker)), ...write, clusterId } as Worker);
      emitted.push({ change: prev ? (e.change === 'JOINED' ? 'STATE_CHANGED' : e.change) : 'JOINED', memberId, write });
    }
    const toDelete = [...finalState].filter(([, v]) => v.write === null).map(([m]) => m);
    const deleted = new Map((await topo.deleteWorkers(tx, clusterId, toDelete)).map((w) => [w.memberId, w]));
    const writes = [...finalState.values()].flatMap((v) => (v.write ? [v.write] : []));
    // How the cluster's counts move; a worker that left with a sample changes its stats too: recount then,
    // after the workers are written (one statement cannot read what it writes).
    let end: topo.MembershipReportEnd;
    if ([...deleted.values()].some((w) => w.stats !== null)) {
      const stored = await topo.upsertWorkers(tx, clusterId, writes, now);
      end = { ...(await topo.endMembershipReport(tx, { clusterId, now, session })), stored };
    } else {
      const countDeltas: topo.WorkerCountDeltas = { total: 0, STARTING: 0, RUNNING: 0, STOPPING: 0, STOPPED: 0, FAILED: 0 };
      for (const m of members) {
        const before = current.get(m)?.state;
        const after = finalState.get(m)?.write?.state;
        countDeltas.total += (after ? 1 : 0) - (before ? 1 : 0);
        if (before) countDeltas[before]--;
        if (after) countDeltas[after]++;
      }
      if (this.deps.config.eventLog && emitted.length > 0) {
        return this.writeLogged(tx, emit, clusterId, session, now, { current, deleted, writes, emitted, countDeltas, last });
      }
      end = await topo.writeMembershipReport(tx, { clusterId, now, session, writes, countDeltas });
    }
    const cluster = end.cluster;
    for (const { change, worker } of eventWorkers(emitted, current, deleted, new Map(end.stored.map((w) => [w.memberId, w])))) {
      emit({ topic: 'membership', payload: { clusterId, change, worker, at: now, ...(cluster ? { cluster } : {}) } });
    }
    emit({ topic: 'health', payload: { clusterId } });
    return end;
  }

  /**
   * The usual report (no worker left with a sample) with the event log on: its events are
   * appended by the statement that writes it (topo.writeLoggedMembershipReport), so each event's
   * worker is known before it: the rows as they will be stored, from the rows read under the
   * session's lock (which every writer of the cluster's workers holds), with an id made here for
   * a new worker.
   */
  private async writeLogged(
    tx: Db,
    emit: Emit,
    clusterId: string,
    session: { id: string; lastSeq: number },
    now: Date,
    r: {
      current: Map<string, ObservedWorker>;
      deleted: Map<string, ObservedWorker>;
      writes: topo.WorkerWrite[];
      emitted: { change: MembershipChange; memberId: string; write: topo.WorkerWrite | null }[];
      countDeltas: topo.WorkerCountDeltas;
      /** Whether nothing is written after this statement in `tx` (then it commits it: the log's head lock is held for the shortest time). */
      last: boolean;
    },
  ) {
    const ids = r.writes.map((w) => r.current.get(w.memberId)?.id ?? randomUUID());
    const stored = new Map<string, ObservedWorker>(
      r.writes.map((w, i) => {
        const prev = r.current.get(w.memberId);
        const row: ObservedWorker = {
          id: ids[i]!,
          clusterId,
          memberId: w.memberId,
          host: w.host,
          port: w.port,
          state: w.state,
          startedAt: w.startedAt,
          joinedAt: prev?.joinedAt ?? now,
          stateChangedAt: w.stateChangedAt,
          stateChanges: (prev?.stateChanges ?? 0) + w.stateChanges,
          artifacts: w.artifacts,
          stats: prev?.stats ?? null,
        };
        return [w.memberId, row];
      }),
    );
    const payloads = eventWorkers(r.emitted, r.current, r.deleted, stored).map(({ change, worker }) => ({ clusterId, change, worker, at: now }));
    // Each event's JSON as appendToLog would log it, up to its cluster: the statement adds the snapshot it computes.
    const asJson = datesWrittenOnce();
    const texts = payloads.map((p) => `${JSON.stringify(asJson(p)).slice(0, -1)},"cluster":`);
    const end = await topo.writeLoggedMembershipReport(tx, { clusterId, now, session, writes: r.writes, ids, countDeltas: r.countDeltas, payloads: texts, commit: r.last });
    const cluster = end.cluster;
    payloads.forEach((p, i) => {
      emit({ topic: 'membership', payload: { ...p, ...(cluster ? { cluster } : {}), position: (end.firstPosition + BigInt(i)).toString() } });
    });
    emit({ topic: 'health', payload: { clusterId } });
    return end;
  }

  async reportStats(session: Session, samples: StatsSample[]): Promise<{ accepted: number; stats: Stats | null }> {
    list(samples, 'input.samples', MAX_SAMPLES_PER_CALL);
    const now = this.deps.clock.now();
    const clean = samples.map((s, i) => {
      const f = `input.samples[${i}]`;
      const at = s.at ?? now;
      if (!(at instanceof Date) || Number.isNaN(at.getTime())) throw new ValidationError(`${f}.at must be a valid date-time`, `${f}.at`);
      if (at.getTime() > now.getTime() + MAX_CLOCK_SKEW_MS) throw new ValidationError(`${f}.at is more than 5 minutes in the future`, `${f}.at`);
      return {
        memberId: text(s.memberId, `${f}.memberId`, { max: 200 }),
        at,
        cpuPercent: finite(s.cpuPercent, `${f}.cpuPercent`, 0, 100_000),
        memoryMb: finite(s.memoryMb, `${f}.memoryMb`, 0, 1e9),
        requestsPerSec: finite(s.requestsPerSec, `${f}.requestsPerSec`, 0, 1e9),
        errorsPerSec: finite(s.errorsPerSec, `${f}.errorsPerSec`, 0, 1e9),
      };
    });
    return this.statsReports.run(() =>
      inTransaction(this.deps, async (tx, emit) => {
        const s = await tokens.lockSessionAndManager(tx, session.sessionId);
        if (!s || s.revokedAt) throw new ConflictError('this manager session was replaced by a newer registration; register again');
        // The samples, the aggregates (serialized with the cluster's other writers by the session row locked above), the history and the lease in one statement,
        // which commits when the report does not bring its manager back (nothing is written after it then).
        const end = await topo.writeStatsReport(tx, {
          clusterId: s.clusterId,
          now,
          samples: clean,
          historyBucketSeconds: this.deps.config.statsBucketSeconds,
          commit: s.managerConnected === true,
        });
        if (end.stats && end.accepted > 0) emit({ topic: 'clusterStats', payload: { clusterId: s.clusterId, stats: end.stats } });
        if (end.cameBack) await this.announceReturn(tx, emit, s.clusterId, now);
        return { accepted: end.accepted, stats: end.stats };
      }),
    );
  }

  /**
   * Any call of a manager renews its lease; a manager coming back is announced. A cluster whose
   * managerTasks stream this instance holds is skipped: renewHeldLeases keeps its lease (one
   * statement and a row lock less in every report of a manager that holds its stream).
   */
  /** Whether a managerTasks stream of this instance keeps the cluster's lease (then `touch` has nothing to do). */
  holdsLease(clusterId: string): boolean {
    return this.held.has(clusterId);
  }

  async touch(tx: Db, emit: Emit, clusterId: string, now: Date) {
    if (this.held.has(clusterId)) return;
    await this.touchNow(tx, emit, clusterId, now);
  }

  private async touchNow(tx: Db, emit: Emit, clusterId: string, now: Date) {
    if (await topo.touchManager(tx, clusterId, now)) await this.announceReturn(tx, emit, clusterId, now);
  }

  /** A manager whose lease had run out is back. */
  private async announceReturn(tx: Db, emit: Emit, clusterId: string, now: Date) {
    const [c] = await topo.findClustersByIds(tx, [clusterId]);
    if (c) emit({ topic: 'topology', payload: { clusterId, change: 'MANAGER_CONNECTED', at: now, cluster: c } });
    emit({ topic: 'health', payload: { clusterId } });
  }

  /** Renews the lease outside any other work (held subscriptions call this periodically). */
  async renewLease(clusterId: string): Promise<void> {
    const now = this.deps.clock.now();
    await inTransaction(this.deps, (tx, emit) => this.touchNow(tx, emit, clusterId, now));
  }

  /**
   * A held managerTasks stream keeps its cluster's lease: counted here until the returned
   * function is called, and renewed with every other held lease by renewHeldLeases.
   */
  holdLease(clusterId: string): () => void {
    this.held.set(clusterId, (this.held.get(clusterId) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (this.held.get(clusterId) ?? 1) - 1;
      if (n > 0) this.held.set(clusterId, n);
      else this.held.delete(clusterId);
    };
  }

  /**
   * Renews the lease of every cluster whose stream this instance holds, in one statement (the
   * lease controller calls it every third of a lease); a manager that was not connected is
   * announced as by touch. Returns how many leases it renewed.
   */
  async renewHeldLeases(): Promise<number> {
    const ids = [...this.held.keys()];
    if (ids.length === 0) return 0;
    const now = this.deps.clock.now();
    await inTransaction(this.deps, async (tx, emit) => {
      const back = await touchManagers(tx, ids, now);
      for (const c of await topo.findClustersByIds(tx, back)) {
        emit({ topic: 'topology', payload: { clusterId: c.id, change: 'MANAGER_CONNECTED', at: now, cluster: c } });
        emit({ topic: 'health', payload: { clusterId: c.id } });
      }
    });
    return ids.length;
  }

  /** Expires leases that ran out; returns the clusters that became UNREACHABLE. */
  async expireLeases(): Promise<string[]> {
    const now = this.deps.clock.now();
    const cutoff = new Date(now.getTime() - this.deps.config.managerLeaseMs);
    return inTransaction(this.deps, async (tx, emit) => {
      const ids = await topo.expireManagerLeases(tx, cutoff);
      for (const c of await topo.findClustersByIds(tx, ids)) {
        emit({ topic: 'topology', payload: { clusterId: c.id, change: 'MANAGER_DISCONNECTED', at: now, cluster: c } });
        emit({ topic: 'health', payload: { clusterId: c.id } });
      }
      if (ids.length) this.deps.logger.warn('manager lease expired', { clusterIds: ids });
      return ids;
    });
  }

  /**
   * ADMIN: unbinds a cluster from its enrollment token, so that the next registration with any
   * enrollment token may take it over (and binds it to that token). Its manager stays connected
   * until then. For moving a cluster to a new token, or a lost one.
   */
  async releaseCluster(by: { id?: string | null; name?: string | null }): Promise<Cluster> {
    if ((by.id == null) === (by.name == null)) throw new ValidationError('give exactly one of id and name', 'id');
    const name = by.name == null ? null : text(by.name, 'name', { max: 200 });
    const released = await inTransaction(this.deps, async (tx) => {
      const found = name !== null ? await topo.findClusterByName(tx, name) : ((await topo.findClustersByIds(tx, [by.id!]))[0] ?? null);
      if (!found) throw new NotFoundError(name !== null ? `no cluster named "${name}"` : `no cluster with id ${by.id}`, by.id ?? null);
      return (await topo.setClusterEnrollment(tx, found.id, null)) ?? found;
    });
    this.deps.logger.info('cluster released from its enrollment token', { cluster: released.name, clusterId: released.id });
    return released;
  }

  /** ADMIN: removes a cluster and everything of it (its manager's session ends). */
  async removeCluster(clusterId: string) {
    const now = this.deps.clock.now();
    return inTransaction(this.deps, async (tx, emit) => {
      for (const sessionId of await tokens.revokeClusterSessions(tx, clusterId, now)) {
        emit({ topic: 'credentialRevoked', payload: { tokenId: null, sessionId } });
      }
      const c = await topo.deleteCluster(tx, clusterId);
      if (!c) throw new NotFoundError(`no cluster with id ${clusterId}`, clusterId);
      emit({ topic: 'topology', payload: { clusterId, change: 'CLUSTER_REMOVED', at: now, cluster: c } });
      return c;
    });
  }
}

/**
 * A copy of plain data (objects, arrays, values) with each Date as the text JSON.stringify would
 * write for it, each instant formatted once per copier: Date#toJSON took about 1.2 µs a date, and a
 * membership event carries five (its time, and its worker's started, joined, changed and sampled
 * times), most of them the report's own time: three quarters of stringifying its payload.
 */
function datesWrittenOnce(): (value: unknown) => unknown {
  const written = new Map<number, string | null>();
  const copy = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object') return v;
    if (v instanceof Date) {
      const t = v.getTime();
      let text = written.get(t);
      if (text === undefined) written.set(t, (text = Number.isFinite(t) ? v.toISOString() : null));
      return text;
    }
    if (Array.isArray(v)) return v.map(copy);
    const out: Record<string, unknown> = {};
    for (const k in v) out[k] = copy((v as Record<string, unknown>)[k]);
    return out;
  };
  return copy;
}
