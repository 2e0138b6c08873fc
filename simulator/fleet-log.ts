/**
 * A fleet's log: every manager's lines (debug ones only passed on), the last 2,000 kept in a ring
 * for error messages and the lab, warnings and errors counted.
 */
import type { LogEntry, LogLevel } from './manager.js';

const LOG_RING = 2_000;
const LEVELS: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export class FleetLog {
  warnings = 0;
  errors = 0;
  private readonly ring: LogEntry[] = [];
  private head = 0;

  /** `passOn`: where every line also goes as it happens (the spec's `log`). */
  constructor(private readonly passOn?: (entry: LogEntry) => void) {}

  readonly record = (entry: LogEntry): void => {
    if (entry.level === 'warn') this.warnings++;
    if (entry.level === 'error') this.errors++;
    if (entry.level !== 'debug') {
      if (this.ring.length < LOG_RING) this.ring.push(entry);
      else {
        this.ring[this.head] = entry;
        this.head = (this.head + 1) % LOG_RING;
      }
    }
    this.passOn?.(entry);
  };

  /** The last `n` lines at `minLevel` or above, oldest first. */
  recent(n = 50, minLevel: LogLevel = 'info'): LogEntry[] {
    const ordered = this.ring.length < LOG_RING ? this.ring : [...this.ring.slice(this.head), ...this.ring.slice(0, this.head)];
    return ordered.filter((e) => LEVELS[e.level] >= LEVELS[minLevel]).slice(-n);
  }
}

export function formatLog(entries: LogEntry[]): string {
  return entries.map((e) => `  ${new Date(e.at).toISOString()} ${e.level.padEnd(5)} [${e.cluster}] ${e.message}`).join('\n');
}
