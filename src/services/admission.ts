/**
 * A bound on how much of one kind of work an instance takes on at once: `concurrency` run, up to
 * `queue` wait (each at most `maxWaitMs`), and anything past that is refused at once with an
 * OverloadedError that says when to come back. Used for registrations: 2,000 managers that
 * register together (after an OC restart, a network partition healing) would otherwise all be
 * accepted, share the database pool, and all answer after their clients timed out and retried,
 * so that the OC did each registration twice. Refused work was never started: retrying it is safe.
 */
import { OverloadedError } from '../domain/errors.js';

export interface AdmissionOptions {
  /** What the refusal says is busy, e.g. "registrations". */
  what: string;
  concurrency: number;
  queue: number;
  maxWaitMs: number;
}

interface Waiter {
  start(): void;
  timer: ReturnType<typeof setTimeout> | null;
}

export class AdmissionGate {
  private running = 0;
  private readonly waiting: Waiter[] = [];
  /** A moving average of how long one piece of work takes (ms), for the retry hint. */
  private averageMs = 50;

  constructor(private readonly o: AdmissionOptions) {}

  /** Work running and waiting now. */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.o.concurrency) await this.wait();
    else this.running++;
    const t = performance.now();
    try {
      return await work();
    } finally {
      this.averageMs = 0.9 * this.averageMs + 0.1 * (performance.now() - t);
      this.release();
    }
  }

  /** When a refused caller should come back: once the queue ahead of it has drained, at least 1 s. */
  retryAfterMs(): number {
    const drainMs = ((this.waiting.length + this.running) / this.o.concurrency) * this.averageMs;
    return Math.min(30_000, Math.max(1_000, Math.ceil(drainMs / 1000) * 1000));
  }

  private wait(): Promise<void> {
    if (this.waiting.length >= this.o.queue) return Promise.reject(this.refusal());
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = {
        // The slot is handed over by release: running stays counted.
        start: () => {
          if (w.timer) clearTimeout(w.timer);
          resolve();
        },
        timer: null,
      };
      w.timer = setTimeout(() => {
        const i = this.waiting.indexOf(w);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(this.refusal());
      }, this.o.maxWaitMs);
      w.timer.unref?.();
      this.waiting.push(w);
    });
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next.start();
    else this.running--;
  }

  private refusal(): OverloadedError {
    const retryAfterMs = this.retryAfterMs();
    return new OverloadedError(
      `too many ${this.o.what} at once (${this.running} running, ${this.waiting.length} waiting): nothing was done; retry after ${retryAfterMs} ms, with jitter`,
      retryAfterMs,
    );
  }
}
