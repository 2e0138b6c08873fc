/**
 * Seeded randomness for the simulator. Every random choice the simulator makes goes through an
 * `Rng`, so a scenario run with the same seed replays the same timeline.
 *
 * Each entity (a worker, a manager) draws from its own stream derived from the root seed and
 * the entity's name (`Rng.derive(seed, 'worker', cluster, member)`), so one entity's draws do
 * not shift another's: adding a cluster, or a network round trip taking longer, leaves every
 * other entity's sequence of durations and failures unchanged.
 */

/** FNV-1a over the string's UTF-16 code units, then a murmur3 finaliser: a well-mixed 32-bit hash. */
export function hashString(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A seed for the stream named by `labels` under `seed`. */
export function deriveSeed(seed: number, ...labels: readonly (string | number)[]): number {
  let h = fmix32((seed >>> 0) ^ 0x9e3779b9);
  for (const label of labels) h = hashString(String(label), h ^ 0x2f);
  return h;
}

/** mulberry32: tiny, fast, and good enough for simulation; one 32-bit number of state. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** An independent stream for `labels` under the root `seed` (does not consume anything). */
  static derive(seed: number, ...labels: readonly (string | number)[]): Rng {
    return new Rng(deriveSeed(seed, ...labels));
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = Math.imul(this.state ^ (this.state >>> 15), 1 | this.state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform in [min, max). */
  float(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Uniform integer in [min, max] (both inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability `p` (always draws once, so the stream stays aligned whatever `p` is). */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Rng.pick: no items to pick from');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** `base` spread uniformly by ±`fraction` of itself (fraction 0.2: 80%..120% of base). */
  jitter(base: number, fraction: number): number {
    return base * (1 + fraction * (2 * this.next() - 1));
  }

  /** Roughly normal noise with mean 0 and the given standard deviation (sum of 3 uniforms). */
  noise(stdDev: number): number {
    return (this.next() + this.next() + this.next() - 1.5) * 2 * stdDev;
  }
}
