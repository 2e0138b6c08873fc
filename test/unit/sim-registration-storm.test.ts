/**
 * How a fleet of virtual managers registers when the OC is slow, failing or over capacity, in
 * virtual time against an in-memory OC: a bounded number of registrations in flight (retries
 * included), the OC's OVERLOADED answer honoured, and no retry on top of a call the OC may still be working on.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type Fleet, startFleet } from '../../simulator/fleet.js';
import { OcClient, OcError, type OcTransport, type RegisterManagerInput, type Result, type RegisterManagerPayload } from '../../simulator/oc-client.js';
import type { ScenarioSpec } from '../../simulator/scenario.js';
import { VirtualScheduler } from '../../simulator/scheduler.js';

const scenario = (clusters: number): ScenarioSpec => ({ name: 'storm', clusters: [{ name: 'c-{i}', kind: 'AS', size: 2, count: clusters }] });

type Answer = (cluster: string, attempt: number) => { afterMs: number; result: 'ok' | OcError };

/** An OC in memory whose registerManager answers after `afterMs` of virtual time, as `answer` says; it counts calls in flight. */
function stormOc(scheduler: VirtualScheduler, answer: Answer) {
  const calls: { cluster: string; at: number }[] = [];
  const attempts = new Map<string, number>();
  let inFlight = 0;
  let maxInFlight = 0;
  const transport = (cluster: string): OcTransport => ({
    registerManager: (_token: string, _input: RegisterManagerInput) =>
      new Promise<Result<RegisterManagerPayload>>((resolve, reject) => {
        const n = (attempts.get(cluster) ?? 0) + 1;
        attempts.set(cluster, n);
        calls.push({ cluster, at: scheduler.now() });
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        const a = answer(cluster, n);
        scheduler.setTimeout(() => {
          inFlight--;
          if (a.result === 'ok') resolve({ ok: true, value: { sessionToken: `s-${cluster}-${n}`, manager: { id: `m-${cluster}` }, cluster: { id: cluster, name: cluster } } });
          else reject(a.result);
        }, a.afterMs);
      }),
    reportMembership: async (_t, events) => ({ ok: true, value: { acceptedThroughSeq: events.at(-1)?.seq ?? 0 } }),
    reportStats: async () => ({ ok: true, value: null }),
    reportTask: async () => ({ ok: true, value: null }),
    subscribeTasks: (_t, handlers) => {
      handlers.connected?.();
      return { close: () => {} };
    },
  });
  return { transport, calls, get maxInFlight() { return maxInFlight; } };
}

let fleet: Fleet | null = null;
afterEach(async () => {
  await fleet?.stop();
  fleet = null;
});

function start(scheduler: VirtualScheduler, oc: ReturnType<typeof stormOc>, clusters: number, registerConcurrency: number) {
  fleet = startFleet({ url: 'http://oc.invalid', enrollmentToken: 'enroll', scenario: scenario(clusters), profile: 'fast', seed: 7, scheduler, transport: oc.transport, registerConcurrency });
  return fleet;
}

describe('a fleet registering against a struggling OC', () => {
  it('never has more registrations in flight than registerConcurrency, retries after failures included', async () => {
    const scheduler = new VirtualScheduler();
    // Each cluster's first two tries fail after 1 s (a network error), the third succeeds.
    const oc = stormOc(scheduler, (_c, n) => ({ afterMs: 1_000, result: n <= 2 ? new OcError('network', 'registerManager: ECONNRESET') : 'ok' }));
    const f = start(scheduler, oc, 20, 3);
    await scheduler.advanceAsync(120_000);
    expect(f.status().registered).toBe(20);
    expect(oc.calls).toHaveLength(60);
    expect(oc.maxInFlight).toBe(3);
  });

  it('registers again after the retryAfterMs the OC answered with OVERLOADED, plus jitter of up to as much again, without growing its backoff', async () => {
    const scheduler = new VirtualScheduler();
    const oc = stormOc(scheduler, (_c, n) => ({ afterMs: 10, result: n <= 3 ? new OcError('overloaded', 'registerManager: overloaded', 503, { retryAfterMs: 7_000 }) : 'ok' }));
    const f = start(scheduler, oc, 1, 1);
    await scheduler.advanceAsync(120_000);
    expect(f.status().registered).toBe(1);
    const gaps = oc.calls.slice(1).map((c, i) => c.at - oc.calls[i]!.at);
    expect(gaps).toHaveLength(3);
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(10 + 7_000);
      expect(gap).toBeLessThanOrEqual(10 + 14_000);
    }
    // Answers of an overloaded OC are not failures of it: no error was logged.
    expect(f.status().errors).toBe(0);
  });

  it('after a registration timed out, waits at least as long as that call took before registering again (the OC may still be at it)', async () => {
    const scheduler = new VirtualScheduler();
    const oc = stormOc(scheduler, (_c, n) => (n === 1 ? { afterMs: 20_000, result: new OcError('network', 'registerManager: ETIMEDOUT (timed out)', undefined, { timedOut: true }) } : { afterMs: 10, result: 'ok' }));
    const f = start(scheduler, oc, 1, 1);
    await scheduler.advanceAsync(120_000);
    expect(f.status().registered).toBe(1);
    expect(oc.calls).toHaveLength(2);
    expect(oc.calls[1]!.at - oc.calls[0]!.at).toBeGreaterThanOrEqual(40_000);
  });
});

/** A one-cluster fleet reporting stats every second to an OC whose first reportStats fails with `first.error` after `first.afterMs`; when each was sent. */
function statsAgainst(scheduler: VirtualScheduler, first: { afterMs: number; error: OcError }): number[] {
  const stats: number[] = [];
  const base = stormOc(scheduler, () => ({ afterMs: 10, result: 'ok' }));
  const transport = (cluster: string): OcTransport => ({
    ...base.transport(cluster),
    reportStats: () =>
      new Promise((resolve, reject) => {
        stats.push(scheduler.now());
        const isFirst = stats.length === 1;
        scheduler.setTimeout(() => (isFirst ? reject(first.error) : resolve({ ok: true, value: null })), isFirst ? first.afterMs : 10);
      }),
  });
  fleet = startFleet({ url: 'http://oc.invalid', enrollmentToken: 'enroll', scenario: scenario(1), profile: 'fast', seed: 7, scheduler, transport, profileOverrides: { statsIntervalMs: 1_000 } });
  return stats;
}

describe('stats against a struggling OC', () => {
  it('after a reportStats timed out, sends none for as long again (the OC may still be working on it), then reports on its interval', async () => {
    const scheduler = new VirtualScheduler();
    const stats = statsAgainst(scheduler, { afterMs: 15_000, error: new OcError('network', 'reportStats: ETIMEDOUT (timed out)', undefined, { timedOut: true }) });
    await scheduler.advanceAsync(60_000);
    expect(stats.length).toBeGreaterThan(10);
    // The first timed out 15 s after it was sent: the next comes no sooner than 15 s after that.
    expect(stats[1]! - stats[0]!).toBeGreaterThanOrEqual(30_000);
    // Then every second again.
    expect(stats[3]! - stats[2]!).toBeLessThanOrEqual(1_000);
  });
});

describe("the simulator's OC client and the OVERLOADED answer", () => {
  let server: Server | null = null;
  afterEach(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = null;
  });

  async function answering(status: number, headers: Record<string, string>, body: unknown): Promise<string> {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(status, { 'content-type': 'application/graphql-response+json', ...headers });
        res.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
  }

  const input: RegisterManagerInput = { clusterName: 'c', kind: 'AS', host: 'h', url: 'http://h', workers: [] };

  it('reads OVERLOADED (HTTP 503, retryAfterMs) as an overloaded error that says when to come back', async () => {
    const url = await answering(503, { 'retry-after': '3' }, { data: null, errors: [{ message: 'too many registrations at once', extensions: { code: 'OVERLOADED', retryAfterMs: 2_500 } }] });
    const err = await new OcClient(url).registerManager('t', input).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OcError);
    expect((err as OcError).kind).toBe('overloaded');
    expect((err as OcError).retryAfterMs).toBe(2_500);
  });

  it('takes a bare HTTP 503 with Retry-After (a proxy in front of the OC) the same way, in seconds', async () => {
    const url = await answering(503, { 'retry-after': '4' }, { errors: [{ message: 'busy' }] });
    const err = await new OcClient(url).registerManager('t', input).catch((e: unknown) => e);
    expect((err as OcError).kind).toBe('overloaded');
    expect((err as OcError).retryAfterMs).toBe(4_000);
  });

  it('after a reportStats refused with OVERLOADED, drops that sample and sends none before the retryAfterMs the OC said, then reports on its interval', async () => {
    const scheduler = new VirtualScheduler();
    const stats = statsAgainst(scheduler, { afterMs: 10, error: new OcError('overloaded', 'reportStats: overloaded', 503, { retryAfterMs: 7_000 }) });
    await scheduler.advanceAsync(60_000);
    expect(stats.length).toBeGreaterThan(10);
    // Refused 10 ms after it was sent: the next no sooner than 7 s after that, and not much later (the next tick).
    expect(stats[1]! - stats[0]!).toBeGreaterThanOrEqual(10 + 7_000);
    expect(stats[1]! - stats[0]!).toBeLessThanOrEqual(10 + 8_000);
    expect(stats[3]! - stats[2]!).toBeLessThanOrEqual(1_000);
  });
});
