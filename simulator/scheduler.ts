/**
 * Time, injected. The simulator never calls `Date.now()` or `setTimeout` directly: it asks a
 * `Scheduler`, so unit tests run whole timelines in virtual time (`VirtualScheduler`), and a
 * seeded scenario replays to the millisecond.
 */

/** Opaque handle returned by `Scheduler.setTimeout`. */
export type TimerHandle = unknown;

export interface Scheduler {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Wall-clock time and Node's timers. */
export const realScheduler: Scheduler = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, Math.max(0, ms)),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * `base` as seen by a host whose clock is `skewMs` off (positive: fast): `now()` is shifted,
 * timers run as on `base` (a skewed clock still ticks at the same rate). A manager given it
 * reports every time (startedAt, deployedAt, stats' `at`) shifted, as a real one on such a host.
 */
export function skewedScheduler(base: Scheduler, skewMs: number): Scheduler {
  if (skewMs === 0) return base;
  return {
    now: () => base.now() + skewMs,
    setTimeout: (fn, ms) => base.setTimeout(fn, ms),
    clearTimeout: (handle) => base.clearTimeout(handle),
  };
}

/** Resolves after `ms` on `scheduler`; rejects with an AbortError-like error when `signal` aborts. */
export function sleep(scheduler: Scheduler, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError());
      return;
    }
    const onAbort = () => {
      scheduler.clearTimeout(handle);
      reject(abortError());
    };
    const handle = scheduler.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function abortError(): Error {
  const err = new Error('aborted');
  err.name = 'AbortError';
  return err;
}

interface VirtualTimer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * Virtual time for tests: nothing happens until `advance()` is called; timers due at the same
 * instant run in the order they were set. A binary heap keeps large timelines cheap.
 */
export class VirtualScheduler implements Scheduler {
  private current: number;
  private seq = 0;
  private heap: VirtualTimer[] = [];
  private live = 0;

  constructor(startMs = Date.UTC(2030, 0, 1)) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: VirtualTimer = { at: this.current + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.push(timer);
    this.live++;
    return timer;
  }

  clearTimeout(handle: TimerHandle): void {
    const timer = handle as VirtualTimer | null | undefined;
    if (timer && !timer.cancelled) {
      timer.cancelled = true;
      this.live--;
    }
  }

  /** How many timers are waiting. */
  get pending(): number {
    return this.live;
  }

  /** When the next timer is due, or null when none is waiting. */
  nextDueAt(): number | null {
    this.dropCancelled();
    return this.heap[0]?.at ?? null;
  }

  /** Runs every timer due within `ms` from now, in order, then sets the clock to now + ms. */
  advance(ms: number): void {
    const target = this.current + ms;
    while (this.runNextDue(target));
    this.current = target;
  }

  /**
   * Like `advance`, but lets promise continuations run after each timer, so code that awaits
   * (a worker's restart promise, a manager's task) progresses as it would in real time.
   */
  async advanceAsync(ms: number): Promise<void> {
    const target = this.current + ms;
    await flushMicrotasks();
    while (this.runNextDue(target)) await flushMicrotasks();
    this.current = target;
  }

  /** Runs the earliest timer due by `target` (the clock moves to its time); false when none is. */
  private runNextDue(target: number): boolean {
    this.dropCancelled();
    const top = this.heap[0];
    if (!top || top.at > target) return false;
    this.pop();
    this.live--;
    top.cancelled = true;
    this.current = top.at;
    top.fn();
    return true;
  }

  /** Runs timers until none is left (or `maxMs` of virtual time has passed); returns the time elapsed. */
  async runUntilIdle(maxMs = 24 * 3600_000): Promise<number> {
    const start = this.current;
    for (;;) {
      const due = this.nextDueAt();
      if (due === null || due - start > maxMs) break;
      await this.advanceAsync(due - this.current);
    }
    return this.current - start;
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.pop();
  }

  private push(timer: VirtualTimer): void {
    const heap = this.heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private pop(): VirtualTimer | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && before(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && before(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  }
}

function before(a: VirtualTimer, b: VirtualTimer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/** Lets queued promise continuations run (several rounds, for chains of awaits). */
export async function flushMicrotasks(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

export const DEADLINE_PASSED: unique symbol = Symbol('deadline passed');

/** `promise`'s value, or DEADLINE_PASSED if it has not settled within `ms` on `scheduler`. */
export function withDeadline<T>(scheduler: Scheduler, promise: Promise<T>, ms: number): Promise<T | typeof DEADLINE_PASSED> {
  return new Promise((resolve, reject) => {
    const timer = scheduler.setTimeout(() => resolve(DEADLINE_PASSED), ms);
    promise.then(
      (value) => {
        scheduler.clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        scheduler.clearTimeout(timer);
        reject(err);
      },
    );
  });
}
