import { describe, expect, it } from 'vitest';
import { KeyedPool } from '../../src/controllers/keyed-pool.js';

/** A piece of work that waits until the test lets it finish. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

describe('KeyedPool', () => {
  it('works on at most `size` keys at once, first come first served', async () => {
    const gates = new Map<string, ReturnType<typeof gate>>();
    const started: string[] = [];
    const pool = new KeyedPool(2, async (k) => {
      started.push(k);
      const g = gate();
      gates.set(k, g);
      await g.opened;
    });
    for (const k of ['a', 'b', 'c', 'd']) pool.add(k);
    expect(started).toEqual(['a', 'b']);
    expect(pool.active).toBe(2);
    expect(pool.queued).toBe(2);
    gates.get('b')!.open();
    await new Promise((r) => setTimeout(r, 0));
    expect(started).toEqual(['a', 'b', 'c']);
    gates.get('a')!.open();
    gates.get('c')!.open();
    await new Promise((r) => setTimeout(r, 0));
    gates.get('d')!.open();
    await pool.whenIdle();
    expect(started).toEqual(['a', 'b', 'c', 'd']);
  });

  it('never works on one key twice at once; a key added while in hand is worked on once more after', async () => {
    let inHand = 0;
    let most = 0;
    let runs = 0;
    const g = gate();
    const pool = new KeyedPool(4, async () => {
      inHand++;
      most = Math.max(most, inHand);
      runs++;
      if (runs === 1) await g.opened;
      inHand--;
    });
    pool.add('x');
    pool.add('x'); // while in hand: once more after
    pool.add('x'); // and not twice more
    expect(pool.active).toBe(1);
    g.open();
    await pool.whenIdle();
    expect(runs).toBe(2);
    expect(most).toBe(1);
  });

  it('does not queue a waiting key twice, and goes on after a failure', async () => {
    const runs: string[] = [];
    const g = gate();
    const pool = new KeyedPool(1, async (k) => {
      runs.push(k);
      if (k === 'a') await g.opened;
      if (k === 'b') throw new Error('boom');
    });
    pool.add('a');
    pool.add('b');
    pool.add('b');
    pool.add('c');
    g.open();
    await pool.whenIdle();
    expect(runs).toEqual(['a', 'b', 'c']);
  });

  it('stops: what waits is dropped, the work in hand is awaited', async () => {
    const runs: string[] = [];
    const g = gate();
    const pool = new KeyedPool(1, async (k) => {
      runs.push(k);
      await g.opened;
    });
    pool.add('a');
    pool.add('b');
    const stopped = pool.stop();
    pool.add('c');
    g.open();
    await stopped;
    expect(runs).toEqual(['a']);
  });
});
