import type { Clock } from '../../src/domain/clock.js';

/** The wall clock, shifted by an offset a test can move forward (leases and freshness windows without waiting). */
export class ShiftedClock implements Clock {
  offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}
