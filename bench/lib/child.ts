import { type ChildProcess, fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { fileURLToPath } from 'node:url';

/**
 * A server run as a child process, so that it has a core of its own to contend for and its
 * RSS and CPU time are its own (the load generator stays in the parent). The child speaks a
 * tiny request/response protocol over the IPC channel (see `serveRpc`).
 */
export interface ChildServer<Ready> {
  pid: number;
  ready: Ready;
  call<T = unknown>(op: string, arg?: unknown): Promise<T>;
  /** Asks the child to stop cleanly and waits for it to exit (kills it after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
  exited: Promise<number | null>;
}

type Msg = { type: 'ready'; data: unknown } | { type: 'reply'; id: number; ok: boolean; result?: unknown; error?: string } | { type: 'fatal'; error: string };

/**
 * The node flags of `npm start` (package.json), so that a server here runs as the OC does in
 * production: semi-spaces of 32 MB (V8's default tops out at 16 MB) mean fewer scavenges for a
 * server that allocates per request; garbage collection was over a tenth of the OC's CPU time on
 * a read. Both servers get them.
 */
export const SERVER_NODE_FLAGS = ['--max-semi-space-size=32'];

/** Extra node flags for the children (e.g. BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=prof"). */
const extraFlags = () => (process.env.BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);

/**
 * The servers run as in production: NODE_ENV=production unless BENCH_NODE_ENV says otherwise
 * (graphql-js skips its development-only checks then: about 20% of the execution time of a big
 * selection).
 */
export const serverNodeEnv = () => process.env.BENCH_NODE_ENV || 'production';

export async function startChild<Ready>(entry: string, env: Record<string, string | undefined> = {}, startTimeoutMs = 60_000): Promise<ChildServer<Ready>> {
  const path = entry.startsWith('file:') ? fileURLToPath(entry) : entry;
  const child: ChildProcess = fork(path, [], {
    execArgv: [...SERVER_NODE_FLAGS, '--import', 'tsx', ...extraFlags()],
    env: { ...process.env, NODE_ENV: serverNodeEnv(), ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 1;
  let onReady: ((d: unknown) => void) | null = null;
  let onFatal: ((e: Error) => void) | null = null;
  child.on('message', (m: Msg) => {
    if (m.type === 'ready') onReady?.(m.data);
    else if (m.type === 'fatal') onFatal?.(new Error(m.error));
    else if (m.type === 'reply') {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.ok) p?.resolve(m.result);
      else p?.reject(new Error(m.error));
    }
  });
  void exited.then((code) => {
    for (const p of pending.values()) p.reject(new Error(`child exited (${code}) during a call`));
    pending.clear();
    onFatal?.(new Error(`child ${path} exited with ${code} before it was ready`));
  });
  const ready = await new Promise<Ready>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`child ${path} not ready within ${startTimeoutMs} ms`)), startTimeoutMs);
    onReady = (d) => {
      clearTimeout(t);
      resolve(d as Ready);
    };
    onFatal = (e) => {
      clearTimeout(t);
      reject(e);
    };
  }).catch(async (e) => {
    child.kill('SIGKILL');
    await exited;
    throw e;
  });
  onFatal = null;
  const call = <T>(op: string, arg?: unknown) =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ type: 'call', id, op, arg });
    });
  let stopping: Promise<void> | null = null;
  return {
    pid: child.pid!,
    ready,
    call,
    exited,
    stop(graceMs = 15_000) {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await call('stop').catch(() => {});
        await exited;
        clearTimeout(t);
      })();
      return stopping;
    },
  };
}

/**
 * The child's side: announces `ready`, answers calls by name, and on `stop` (or when the parent
 * goes away) runs `stop` and exits.
 */
export function serveRpc(ready: unknown, handlers: Record<string, (arg: unknown) => unknown>, stop: () => Promise<void>): void {
  if (!process.send) throw new Error('run this file through bench/lib/child.ts (it needs an IPC channel)');
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    try {
      await stop();
    } catch (err) {
      console.error('stop failed:', err);
      code = 1;
    }
    process.exit(code);
  };
  process.on('message', async (m: { type: string; id: number; op: string; arg: unknown }) => {
    if (m.type !== 'call') return;
    if (m.op === 'stop') {
      process.send!({ type: 'reply', id: m.id, ok: true });
      await shutdown(0);
      return;
    }
    const h = handlers[m.op] ?? builtins[m.op];
    try {
      if (!h) throw new Error(`unknown op ${m.op}`);
      process.send!({ type: 'reply', id: m.id, ok: true, result: await h(m.arg) });
    } catch (err) {
      process.send!({ type: 'reply', id: m.id, ok: false, error: String((err as Error)?.stack ?? err) });
    }
  });
  process.on('disconnect', () => void shutdown(1));
  process.on('SIGINT', () => {}); // the parent handles ^C and tells us to stop
  process.send({ type: 'ready', data: ready });
}

/** A CPU profile of one window (BENCH_PROFILE): 'profileStart', then 'profileStop' with the file to write. */
let profiler: Session | null = null;
const builtins: Record<string, (arg: unknown) => unknown> = {
  profileStart: async () => {
    profiler = new Session();
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  },
  profileStop: async (file) => {
    if (!profiler) throw new Error('profileStop without profileStart');
    const { profile } = await profiler.post('Profiler.stop');
    profiler.disconnect();
    profiler = null;
    writeFileSync(String(file), JSON.stringify(profile));
  },
};

/** What every child reports about itself: RSS now and at its peak, CPU time so far. */
export function processUsage() {
  const cpu = process.cpuUsage();
  const m = process.memoryUsage();
  // heap: what JavaScript holds (V8's heap and the buffers outside it), steadier than RSS after a gc.
  return { rss: m.rss, heap: m.heapUsed + m.external, maxRss: process.resourceUsage().maxRSS * 1024, cpuMicros: cpu.user + cpu.system };
}
export type ProcessUsage = ReturnType<typeof processUsage>;

/** Reports a start-up failure to the parent and exits. */
export function fatal(err: unknown): never {
  const msg = String((err as Error)?.stack ?? err);
  process.send?.({ type: 'fatal', error: msg });
  console.error(msg);
  process.exit(1);
}
