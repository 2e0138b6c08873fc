/**
 * What an operator sees of an OC under a fleet: its reads answered one after another at a low
 * rate (a console polling, not a load test), with each answer's latency kept, while the fleet
 * reports. The probe is a client of the public API only.
 */
import pg from 'pg';
import { machineBusySeconds, pgCpuDelta, processCpuSeconds } from './machine.js';

export const CLUSTERS_PAGE_QUERY = `query ClusterPage { clusters(first: 50) { totalCount edges { node { id name kind health workerCount manager { url connected } stats { cpuPercent } } } } }`;
export const SYSTEM_QUERY = `query System { system { clusterCount workerCount stats { cpuPercent memoryMb requestsPerSec errorsPerSec sampledAt } } }`;

export interface ProbeResult {
  n: number;
  failures: number;
  p50: number;
  p99: number;
  max: number;
}

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : Number.NaN);

/** Asks `query` every `everyMs` (one at a time) until `stop()`; then its latencies. */
export function probeReads(url: string, token: string, query: string, everyMs: number): { stop(): Promise<ProbeResult> } {
  const latencies: number[] = [];
  let failures = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const t = performance.now();
      try {
        const res = await fetch(`${url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query }),
        });
        const body = (await res.json()) as { errors?: unknown[] };
        if (res.status !== 200 || body.errors?.length) failures++;
        else latencies.push(performance.now() - t);
      } catch {
        failures++;
      }
      const wait = everyMs - (performance.now() - t);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      const sorted = [...latencies].sort((a, b) => a - b);
      return { n: sorted.length, failures, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? Number.NaN };
    },
  };
}

/**
 * CPU used by a process (and, when given, by the PostgreSQL backends of one database on this
 * machine) and by the whole machine, between `start` and `stop`: as a share of one core.
 */
export function cpuWindow(pid: number, databaseUrl: string | null) {
  // Per backend: a pooled connection that closes inside the window must not subtract its whole
  // life's CPU (summing all backends at each end did, and printed negative figures).
  const pgCpu = async (): Promise<Map<number, number> | null> => {
    if (!databaseUrl) return null;
    const name = new URL(databaseUrl).pathname.slice(1);
    const c = new pg.Client({ connectionString: databaseUrl });
    try {
      await c.connect();
      const { rows } = await c.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [name]);
      const out = new Map<number, number>();
      for (const r of rows) {
        const seconds = processCpuSeconds(r.pid);
        if (seconds !== null) out.set(r.pid, seconds);
      }
      return out;
    } catch {
      return null;
    } finally {
      await c.end().catch(() => {});
    }
  };
  let t0 = 0;
  let oc0: number | null = null;
  let pg0: Map<number, number> | null = null;
  let m0: number | null = null;
  return {
    async start() {
      t0 = performance.now();
      oc0 = processCpuSeconds(pid);
      pg0 = await pgCpu();
      m0 = machineBusySeconds();
    },
    async stop() {
      const seconds = (performance.now() - t0) / 1000;
      const oc1 = processCpuSeconds(pid);
      const pg1 = await pgCpu();
      const m1 = machineBusySeconds();
      return {
        seconds,
        /** The OC process, in cores (1 = one core busy all the time). */
        ocCores: oc0 !== null && oc1 !== null ? (oc1 - oc0) / seconds : null,
        /** The database's PostgreSQL backends (alive at the end; one opened meanwhile counts from zero; one closed meanwhile is missed), in cores. */
        pgCores: pg0 !== null && pg1 !== null ? (pgCpuDelta(pg0, pg1) ?? 0) / seconds : null,
        /** The whole machine, in cores. */
        machineCores: m0 !== null && m1 !== null ? (m1 - m0) / seconds : null,
      };
    },
  };
}
