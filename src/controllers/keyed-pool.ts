/**
 * A bounded pool of workers over keys: at most `size` keys are worked on at once, never one key
 * twice at the same time, first come first served. A key added while it is being worked on is
 * worked on once more right after (what woke it may have come after the work read its state);
 * a key added while it waits is not queued twice.
 *
 * The rollout driver's pool: one key per command, so that independent commands advance
 * concurrently and a slow one holds up only its own slot. Exclusivity across instances is the
 * database's (the command's row lock); this only keeps one instance from racing itself.
 */
export class KeyedPool {
  private queue: string[] = [];
  private head = 0;
  private readonly waiting = new Set<string>();
  private readonly running = new Set<string>();
  private readonly again = new Set<string>();
  private stopped = false;
  private idle: (() => void)[] = [];

  constructor(
    readonly size: number,
    private readonly work: (key: string) => Promise<void>,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`pool size must be a positive integer (got ${size})`);
  }

  /** Keys waiting for a free slot. */
  get queued(): number {
    return this.waiting.size;
  }

  /** Keys being worked on now. */
  get active(): number {
    return this.running.size;
  }

  add(key: string): void {
    if (this.stopped) return;
    if (this.running.has(key)) {
      this.again.add(key);
      return;
    }
    if (this.waiting.has(key)) return;
    this.waiting.add(key);
    this.queue.push(key);
    this.pump();
  }

  private pump(): void {
    while (!this.stopped && this.running.size < this.size && this.head < this.queue.length) {
      const key = this.queue[this.head++]!;
      this.waiting.delete(key);
      this.running.add(key);
      void this.run(key);
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private async run(key: string): Promise<void> {
    try {
      await this.work(key);
    } catch {
      // `work` reports its own failures; the pool goes on.
    } finally {
      this.running.delete(key);
      if (this.again.delete(key)) this.add(key);
      this.pump();
      if (this.running.size === 0 && (this.stopped || this.waiting.size === 0)) {
        for (const resolve of this.idle.splice(0)) resolve();
      }
    }
  }

  /** Resolves once nothing is running and (unless stopped) nothing waits. */
  whenIdle(): Promise<void> {
    if (this.running.size === 0 && (this.stopped || this.waiting.size === 0)) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Starts nothing more (what waits is dropped) and resolves once the work in hand is done. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.queue = [];
    this.head = 0;
    this.waiting.clear();
    this.again.clear();
    await this.whenIdle();
  }
}
