/**
 * A virtual manager's membership reports: worker changes are queued, then sent as one
 * reportMembership per flush interval with the session's next seqs (1, 2, … per session), re-sent
 * from the first unacknowledged seq after an error; and the membership faults (a duplicate of the
 * last accepted batch, a later batch sent ahead of a gap) with the OC's answers counted.
 */
import { type MembershipChange, type MembershipEventInput, OcError, type Result } from './oc-client.js';
import { errorText, type ManagerCore, type MembershipCounters, type QueuedEvent, type Session } from './manager-types.js';
import type { VirtualWorker } from './worker.js';

/** The most events sent in one reportMembership. */
const MAX_BATCH = 1_000;

export class MembershipReporter {
  readonly counters: MembershipCounters = {
    batchesSent: 0,
    eventsSent: 0,
    retries: 0,
    duplicatesSent: 0,
    reorderedSent: 0,
    gapRejections: 0,
    outOfOrderAccepted: 0,
    errors: 0,
    lastAcceptedSeq: 0,
  };
  /** Events not yet given a seq (they get one at the next flush). */
  pending: QueuedEvent[] = [];
  private armed = { duplicate: false, reorder: false };
  /** sendNow() was asked while a report was in flight: the next one goes as soon as it is answered. */
  private urgent = false;

  constructor(private readonly m: ManagerCore) {}

  /** Something to send as soon as a session is open: queued events or an armed fault. */
  get hasWork(): boolean {
    return this.pending.length > 0 || this.armed.duplicate || this.armed.reorder;
  }

  /** A crash forgets the queue and the armed faults. */
  forget(): void {
    this.pending = [];
    this.armed = { duplicate: false, reorder: false };
    this.urgent = false;
  }

  /**
   * Sends what is queued now rather than at the end of the flush interval: a task's last worker
   * is back, and the OC starts the rollout's next batch on that report (docs/manager-protocol.md,
   * section 5). The interval is for a steady flow of changes; waiting it out here was a third of
   * a rolling restart's time between batches (bench/rollout.ts). A report in flight is answered
   * first (one at a time, in seq order), then the next goes at once.
   */
  sendNow(): void {
    const s = this.m.currentSession;
    if (!s || !this.hasWork) return;
    if (s.inflight) {
      this.urgent = true;
      return;
    }
    if (s.flushTimer !== null) {
      this.m.scheduler.clearTimeout(s.flushTimer);
      s.flushTimer = null;
    }
    void this.flush(s);
  }

  /** Fault: the next flush re-sends the last batch the OC accepted. */
  armDuplicate(): void {
    this.armed.duplicate = true;
    this.nudge();
  }

  /** Fault: the next flush sends a later batch before an earlier one. */
  armReorder(): void {
    this.armed.reorder = true;
    this.nudge();
  }

  enqueue(change: MembershipChange, worker: VirtualWorker): void {
    if (this.m.status !== 'online' && this.m.status !== 'registering') return;
    this.pending.push({ change, worker: worker.toInput() });
    const s = this.m.currentSession;
    if (s) this.armFlush(s);
  }

  armFlush(s: Session, delay = this.m.profile.membershipFlushMs): void {
    if (s.flushTimer !== null || s.inflight || this.m.currentSession !== s) return;
    s.flushTimer = this.m.scheduler.setTimeout(() => {
      s.flushTimer = null;
      void this.flush(s);
    }, delay);
  }

  private nudge(): void {
    const s = this.m.currentSession;
    if (s) this.armFlush(s);
  }

  /** One reportMembership: the queued events get the session's next seqs and go out in order. */
  private async flush(s: Session): Promise<void> {
    const m = this.m;
    if (m.currentSession !== s || s.inflight) return;
    for (const e of this.pending) s.unacked.push({ seq: ++s.seq, change: e.change, worker: e.worker });
    this.pending = [];

    let kind: 'normal' | 'duplicate' | 'reordered' = 'normal';
    let batch: MembershipEventInput[];
    if (this.armed.duplicate && s.lastAckedBatch) {
      kind = 'duplicate';
      batch = s.lastAckedBatch;
      this.armed.duplicate = false;
    } else if (this.armed.reorder && s.unacked.length >= 2) {
      kind = 'reordered';
      const cut = Math.ceil(s.unacked.length / 2);
      batch = s.unacked.slice(cut, cut + MAX_BATCH);
      this.armed.reorder = false;
    } else if (s.unacked.length > 0) {
      batch = s.unacked.slice(0, MAX_BATCH);
    } else {
      // A fault is armed but there is nothing to send: make something to send (a state report
      // of a worker as it is now is always harmless), then come back.
      if (this.armed.duplicate || this.armed.reorder) {
        const needed = this.armed.reorder ? 2 : 1;
        for (const w of [...m.workers.values()].slice(0, needed)) {
          this.pending.push({ change: 'STATE_CHANGED', worker: w.toInput() });
        }
        if (this.pending.length > 0) this.armFlush(s);
      }
      return;
    }

    const counters = this.counters;
    const first = batch[0]!.seq;
    const last = batch[batch.length - 1]!.seq;
    s.inflight = true;
    counters.batchesSent++;
    counters.eventsSent += batch.length;
    if (kind === 'duplicate') counters.duplicatesSent++;
    if (kind === 'reordered') counters.reorderedSent++;

    let res: Result<{ acceptedThroughSeq: number }>;
    try {
      res = await m.call(s, (token) => m.transport.reportMembership(token, batch));
    } catch (err) {
      s.inflight = false;
      if (m.currentSession !== s) return;
      if (err instanceof OcError && err.kind === 'auth') {
        m.sessionLost(`reportMembership: ${err.message}`);
        return;
      }
      s.retries++;
      counters.retries++;
      m.log('debug', `reportMembership ${first}..${last} failed (${errorText(err)}); retrying the same seqs`);
      this.armFlush(s, this.retryDelay(s));
      return;
    }
    s.inflight = false;
    if (m.currentSession !== s) return;

    if (!res.ok) {
      if (kind === 'reordered') {
        counters.gapRejections++;
        m.log('info', `OC refused out-of-order batch ${first}..${last} (${res.error.code}), as it should; resending in order`);
      } else if (kind === 'duplicate') {
        m.log('info', `OC answered the duplicate batch ${first}..${last} with ${res.error.code}: ${res.error.message}`);
      } else {
        counters.errors++;
        counters.retries++;
        s.retries++;
        m.log('warn', `reportMembership ${first}..${last} refused: ${res.error.code} ${res.error.message}; retrying`);
      }
      this.armFlush(s, kind === 'normal' ? this.retryDelay(s) : m.profile.membershipFlushMs);
      return;
    }

    s.retries = 0;
    const accepted = res.value.acceptedThroughSeq;
    if (kind === 'reordered') {
      if (accepted >= last) {
        counters.outOfOrderAccepted++;
        m.log('error', `OC accepted out-of-order batch ${first}..${last} past a gap at ${s.acked + 1} (acceptedThroughSeq ${accepted})`);
      } else {
        counters.gapRejections++;
        m.log('info', `OC held at seq ${accepted} on out-of-order batch ${first}..${last}, as it should; resending in order`);
      }
    }
    if (accepted > s.acked) {
      s.acked = accepted;
      let drop = 0;
      while (drop < s.unacked.length && s.unacked[drop]!.seq <= accepted) drop++;
      s.unacked.splice(0, drop);
      counters.lastAcceptedSeq = accepted;
    }
    if (kind === 'normal') {
      if (accepted >= last) s.lastAckedBatch = batch;
      else m.log('warn', `OC accepted through seq ${accepted} of batch ${first}..${last}; resending from ${accepted + 1}`);
    }
    const urgent = this.urgent;
    this.urgent = false;
    if (s.unacked.length > 0 || this.hasWork) this.armFlush(s, urgent ? 0 : m.profile.membershipFlushMs);
  }

  private retryDelay(s: Session): number {
    return Math.min(this.m.profile.reconnectMaxMs, this.m.profile.membershipFlushMs * 2 ** Math.min(s.retries, 10));
  }
}
