/** Time is injected everywhere decisions depend on it. */
export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };
