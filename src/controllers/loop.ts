import type { Logger } from '../logger.js';

/**
 * A background loop: runs `tick` every `intervalMs` (never overlapping itself), and at once when
 * `kick()` is called. Errors are logged and the loop goes on.
 */
export class Loop {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private again = false;
  private stopped = true;
  private current: Promise<void> | null = null;

  constructor(
    private name: string,
    private intervalMs: number,
    private tick: () => Promise<unknown>,
    private logger: Logger,
  ) {}

  start() {
    this.stopped = false;
    this.schedule(this.intervalMs);
  }

  kick() {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.schedule(0);
  }

  private schedule(ms: number) {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.run(), ms);
    this.timer.unref?.();
  }

  private async run() {
    this.timer = null;
    if (this.stopped) return;
    this.running = true;
    this.current = (async () => {
      try {
        await this.tick();
      } catch (err) {
        if (!this.stopped) this.logger.error(`${this.name} failed`, { err });
      }
    })();
    await this.current;
    this.running = false;
    this.current = null;
    if (this.stopped) return;
    const again = this.again;
    this.again = false;
    this.schedule(again ? 0 : this.intervalMs);
  }

  async stop() {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.current;
  }
}
