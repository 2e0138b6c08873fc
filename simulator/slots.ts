/**
 * A bound on calls in flight, shared by the managers of one process: the fleet's registrations go
 * through it, first ones and retries alike, so that however many managers fail and come back,
 * no more than `size` registerManager calls are out at once. Waiters are served in order.
 */
export class Slots {
  private inUse = 0;
  private readonly waiting: (() => void)[] = [];
  /** The most calls that were in flight at once (for tests and benches). */
  maxInUse = 0;

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`slots: size must be a whole number >= 1, got ${size}`);
  }

  get busy(): number {
    return this.inUse;
  }

  /** Resolves with the function that frees the slot (calling it again does nothing). */
  acquire(): Promise<() => void> {
    return new Promise((resolve) => {
      const grant = () => {
        this.inUse++;
        this.maxInUse = Math.max(this.maxInUse, this.inUse);
        let freed = false;
        resolve(() => {
          if (freed) return;
          freed = true;
          this.inUse--;
          this.waiting.shift()?.();
        });
      };
      if (this.inUse < this.size) grant();
      else this.waiting.push(grant);
    });
  }
}
