/**
 * Delivers logged events to this instance's handlers in log position order, each once.
 *
 * Positions are dense and follow commit order (src/db/repositories/event-log.ts), but events do
 * not reach an instance in that order: this instance's concurrent transactions finish in any
 * order, and another instance's NOTIFY is sent after its commit, so it may arrive after a later
 * one's. An event whose predecessors have not arrived waits (at most `graceMs`); then the missing
 * ones are read from the log, where they already are (a position is visible only once every
 * smaller one is). So every instance delivers the same sequence, with no gap even when a NOTIFY
 * was lost (a LISTEN connection that dropped, an event too large to bridge).
 */
import type { Logger } from '../logger.js';
import type { BusEvent, Orderer } from './bus.js';

/** Reads the log's events with after < position <= upTo (null: to the end), oldest first, at most `limit`. */
export type ReadLog = (after: bigint, upTo: bigint | null, limit: number) => Promise<{ position: bigint; event: BusEvent }[]>;

const READ_PAGE = 1000;

export class Sequencer implements Orderer {
  /** The last position delivered. */
  private head: bigint;
  private pending = new Map<bigint, BusEvent>();
  private timer: NodeJS.Timeout | null = null;
  private reading = false;
  /** Asked to read while a read was under way: read again after it (what it asked for may have committed after that read began). */
  private again = false;
  /** The highest position another instance said it committed (expect): read up to it. */
  private expected: bigint | null = null;
  private stopped = false;
  /** Gaps filled from the log, for metrics and tests. */
  fills = 0;

  constructor(
    head: bigint,
    private readonly out: (e: BusEvent) => void,
    private readonly read: ReadLog,
    private readonly logger: Logger,
    private readonly graceMs = 20,
  ) {
    this.head = head;
  }

  get lastDelivered(): bigint {
    return this.head;
  }

  push(event: BusEvent, position: bigint): void {
    if (position <= this.head || this.pending.has(position)) return; // delivered already (or on its way)
    this.pending.set(position, event);
    this.drain();
    if (this.pending.size > 0) this.arm(this.graceMs);
  }

  catchUp(): void {
    if (this.reading) {
      this.again = true;
      return;
    }
    // Now, not after the grace a waiting gap armed.
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.arm(0);
  }

  expect(upTo: bigint): void {
    if (upTo <= this.head) return;
    if (this.expected === null || upTo > this.expected) this.expected = upTo;
    this.catchUp();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private drain() {
    for (let next = this.head + 1n, e = this.pending.get(next); e; next = this.head + 1n, e = this.pending.get(next)) {
      this.pending.delete(next);
      this.head = next;
      this.out(e);
    }
  }

  private arm(ms: number) {
    if (this.timer || this.reading || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.fill();
    }, ms);
    this.timer.unref?.();
  }

  /** Reads from the log what lies between the last delivered event and the newest waiting one (or the log's end). */
  private async fill() {
    if (this.reading || this.stopped) return;
    this.reading = true;
    this.again = false;
    try {
      let upTo = this.pending.size > 0 ? [...this.pending.keys()].reduce((a, b) => (a > b ? a : b)) : null;
      if (this.expected !== null && (upTo === null || this.expected > upTo)) upTo = this.expected;
      this.expected = null;
      for (;;) {
        const rows = await this.read(this.head, upTo, READ_PAGE);
        for (const r of rows) {
          if (r.position <= this.head) continue;
          this.pending.delete(r.position);
          this.head = r.position;
          this.out(r.event);
        }
        if (rows.length < READ_PAGE) break;
      }
      // Everything up to `upTo` is committed and was read: a position still missing below it never will be.
      if (upTo !== null && upTo > this.head) this.head = upTo;
      for (const p of this.pending.keys()) if (p <= this.head) this.pending.delete(p);
      this.fills++;
    } catch (err) {
      // The log cannot be read now: deliver what is here rather than hold it back (the gap stays a gap, as before the log).
      this.logger.warn('could not read the event log to fill a gap; delivering without it', { err, after: String(this.head) });
      const waiting = [...this.pending.keys()].sort((a, b) => (a < b ? -1 : 1));
      for (const p of waiting) {
        const e = this.pending.get(p);
        this.pending.delete(p);
        this.head = p;
        if (e) this.out(e);
      }
    } finally {
      this.reading = false;
    }
    this.drain();
    if (this.again || (this.expected !== null && this.expected > this.head)) this.arm(0);
    else if (this.pending.size > 0) this.arm(this.graceMs);
  }
}
