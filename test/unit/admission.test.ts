import { afterEach, describe, expect, it, vi } from 'vitest';
import { OverloadedError } from '../../src/domain/errors.js';
import { AdmissionGate } from '../../src/services/admission.js';

/** A piece of work that runs until `finish` is called. */
function held() {
  let finish!: () => void;
  const done = new Promise<void>((r) => {
    finish = r;
  });
  let started = false;
  return {
    work: async () => {
      started = true;
      await done;
      return 'done';
    },
    finish,
    get started() {
      return started;
    },
  };
}

describe('the admission gate (bounded concurrent work, the rest refused with a retry hint)', () => {
  afterEach(() => vi.useRealTimers());

  it('runs up to its concurrency at once, queues up to its queue, and refuses the rest at once with OVERLOADED and when to retry', async () => {
    const gate = new AdmissionGate({ what: 'registrations', concurrency: 2, queue: 1, maxWaitMs: 60_000 });
    const [a, b, c] = [held(), held(), held()];
    const ra = gate.run(a.work);
    const rb = gate.run(b.work);
    const rc = gate.run(c.work);
    await Promise.resolve();
    expect([a.started, b.started, c.started]).toEqual([true, true, false]);
    expect(gate.load).toEqual({ running: 2, waiting: 1 });

    const refused = await gate.run(async () => 'never').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OverloadedError);
    expect((refused as OverloadedError).code).toBe('OVERLOADED');
    expect((refused as OverloadedError).retryAfterMs).toBeGreaterThanOrEqual(1000);
    expect((refused as OverloadedError).message).toMatch(/too many registrations at once \(2 running, 1 waiting\)/);

    // A finished piece hands its slot to the next in line.
    a.finish();
    expect(await ra).toBe('done');
    await vi.waitFor(() => expect(c.started).toBe(true));
    b.finish();
    c.finish();
    expect(await Promise.all([rb, rc])).toEqual(['done', 'done']);
    expect(gate.load).toEqual({ running: 0, waiting: 0 });
  });

  it('refuses work that waited its longest without starting it, and frees its place in the queue', async () => {
    vi.useFakeTimers();
    const gate = new AdmissionGate({ what: 'registrations', concurrency: 1, queue: 5, maxWaitMs: 5_000 });
    const a = held();
    const ra = gate.run(a.work);
    const late = held();
    const rl = gate.run(late.work).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(5_001);
    expect(await rl).toBeInstanceOf(OverloadedError);
    expect(late.started).toBe(false);
    expect(gate.load).toEqual({ running: 1, waiting: 0 });
    a.finish();
    await ra;
    expect(gate.load).toEqual({ running: 0, waiting: 0 });
  });

  it('keeps no slot of work that failed', async () => {
    const gate = new AdmissionGate({ what: 'registrations', concurrency: 1, queue: 0, maxWaitMs: 1_000 });
    await expect(gate.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await gate.run(async () => 'next')).toBe('next');
  });
});
