import type { Fleet } from '../../simulator/fleet.js';

/** Waits until `check` returns a truthy value (returned), or fails after `timeoutMs` with `what`. */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 10_000, intervalMs = 20): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A simulated fleet at rest: every manager online and connected, no task in flight, every worker RUNNING. */
export async function settledFleet(fleet: Fleet, timeoutMs = 10_000): Promise<void> {
  await fleet.waitFor(
    (f) => {
      const s = f.status();
      return s.online === s.clusters && s.connected === s.clusters && s.tasksInFlight === 0 && s.workers.RUNNING === s.totalWorkers;
    },
    { what: 'a settled fleet', timeoutMs },
  );
}
