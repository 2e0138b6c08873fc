import { readFileSync } from 'node:fs';

/** Busy and total CPU ticks of the whole machine (Linux /proc/stat); null elsewhere. */
function cpuTicks(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (f[3] ?? 0) + (f[4] ?? 0); // idle + iowait
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

/** Core-seconds of CPU the whole machine has used so far (Linux /proc/stat); null elsewhere. */
export function machineBusySeconds(): number | null {
  const t = cpuTicks();
  return t ? t.busy / 100 : null;
}

/**
 * Waits (up to `maxMs`) for a second in which the machine is nearly idle (< `threshold` of all
 * cores busy), so that a run does not start in the middle of someone else's load. Returns the
 * load of the last second measured.
 */
export async function waitForQuiet(maxMs: number, threshold = 0.1): Promise<number | null> {
  const deadline = Date.now() + maxMs;
  for (;;) {
    const load = await backgroundLoad();
    if (load === null || load < threshold || Date.now() >= deadline) return load;
  }
}

/**
 * How busy the machine is over `ms` (0..1 of all cores), measured while the bench itself is idle:
 * anything here is someone else's load, and it skews every figure of the run.
 */
export async function backgroundLoad(ms = 1000): Promise<number | null> {
  const a = cpuTicks();
  await new Promise((r) => setTimeout(r, ms));
  const b = cpuTicks();
  if (!a || !b || b.total === a.total) return null;
  return (b.busy - a.busy) / (b.total - a.total);
}

/** CPU seconds used so far by a process (Linux /proc/<pid>/stat: utime + stime); null when unreadable. */
export function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields after the command: state is [0], utime [11], stime [12] (clock ticks, 100 a second on Linux).
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return null;
  }
}

/**
 * How long a process has run and how long it waited, runnable, for a CPU (Linux
 * /proc/<pid>/schedstat: its main thread, in seconds); null when unreadable. On a shared
 * machine the wait says how much of a wall-clock figure is other people's load.
 */
export function processSchedSeconds(pid: number): { ran: number; waited: number } | null {
  try {
    const [ran, waited] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
    return ran === undefined || waited === undefined ? null : { ran: ran / 1e9, waited: waited / 1e9 };
  } catch {
    return null;
  }
}

/**
 * CPU time of the PostgreSQL backends serving one database (found in pg_stat_activity, read
 * from /proc: only when PostgreSQL runs on this machine, as the bench assumes).
 */
export async function pgBackendCpu(query: (sql: string, params: unknown[]) => Promise<{ rows: { pid: number }[] }>, database: string): Promise<Map<number, number> | null> {
  const { rows } = await query('select pid from pg_stat_activity where datname = $1', [database]);
  const out = new Map<number, number>();
  for (const r of rows) {
    const s = processCpuSeconds(r.pid);
    if (s === null) return null;
    out.set(r.pid, s);
  }
  return out;
}

/** CPU seconds between two pgBackendCpu snapshots (a backend that is new counts from zero). */
export function pgCpuDelta(before: Map<number, number> | null, after: Map<number, number> | null): number | null {
  if (!before || !after) return null;
  let sum = 0;
  for (const [pid, s] of after) sum += s - (before.get(pid) ?? 0);
  return sum;
}
