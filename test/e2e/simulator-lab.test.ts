/**
 * `npm run lab` as an engineer runs it: its own process, an OC on a fresh database, the default
 * scenario; what it prints works when pasted; Ctrl-C stops everything and it exits 0.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { labCommand } from '../../simulator/lab-command.js';
import { subscribeReady, wsClient } from '../support/client.js';
import { createTestDatabase, TEST_DATABASE_URL } from '../support/db.js';
import { waitFor } from '../support/wait.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** The database the lab gets: a fresh PostgreSQL database next to DATABASE_URL's, or a fresh PGlite folder. */
async function labEnv(): Promise<{ env: Record<string, string>; args: string[] }> {
  if (TEST_DATABASE_URL) {
    const db = await createTestDatabase();
    cleanups.push(() => db.drop());
    return { env: { DATABASE_URL: db.url! }, args: [] };
  }
  const dir = mkdtempSync(join(tmpdir(), 'oc-lab-test-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return { env: { DATABASE_URL: '' }, args: ['--data-dir', dir] };
}

/** `npm run lab` in its own process (node with package.json's flags), until its banner says the fleet is up (or it exits). */
async function startLab(env: Record<string, string>, args: string[], what: string) {
  const lab: ChildProcess = spawn(process.execPath, [...labCommand(ROOT).nodeArgs, '--port', '0', '--profile', 'fast', '--seed', '5', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env, LOG_LEVEL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((r) => lab.once('exit', (code) => r(code)));
  cleanups.push(async () => {
    if (lab.exitCode === null && lab.signalCode === null) lab.kill('SIGKILL');
    await exited;
  });
  const io = { out: '', err: '' };
  lab.stdout!.on('data', (c: Buffer) => (io.out += c.toString()));
  lab.stderr!.on('data', (c: Buffer) => (io.err += c.toString()));
  await waitFor(() => io.out.includes('Ctrl-C stops the fleet') || lab.exitCode !== null, what, 90_000, 100).catch((e: Error) => {
    lab.kill('SIGKILL');
    throw new Error(`${e.message}\nstdout:\n${io.out}\nstderr:\n${io.err}`);
  });
  expect(lab.exitCode, `${what}: the lab exited early:\n${io.err}`).toBeNull();
  return { lab, exited, io };
}

/** The JSON body and the token of a printed curl command, to send them as curl would. */
function parseCurl(line: string): { url: string; token: string; body: string; stream: boolean } {
  const m = /curl -sN? (\S+) -H 'authorization: Bearer (\S+)'.* -d '(.*)'$/.exec(line.trim());
  if (!m) throw new Error(`not a curl command the lab prints: ${line}`);
  return { url: m[1]!, token: m[2]!, body: m[3]!, stream: line.includes('text/event-stream') };
}

/** The database of the first test's lab, which the second test starts the lab on again. */
let earlier: Awaited<ReturnType<typeof labEnv>> | null = null;

describe('npm run lab', () => {
  it('starts an OC and the default fleet, prints working copy-paste operations, and stops cleanly on SIGINT', async () => {
    const { env, args } = await labEnv();
    const { lab, exited, io } = await startLab(env, args, "the lab's banner");
    expect(io.out).toMatch(/GraphiQL +http:\/\/127\.0\.0\.1:\d+\/graphql/);
    expect(io.out).toContain('as-1 (AS, 4 workers, HEALTHY), esb-1 (ESB, 3 workers, HEALTHY)');
    const token = /operator token +(\S+)/.exec(io.out)![1]!;
    expect(io.out).toContain(`{"Authorization": "Bearer ${token}"}`);

    // The first link is the console's, signed in as the operator (the token in the fragment).
    const links = io.out.split('\n').filter((l) => /^ {2}\S.*\s(https?|wss?):\/\//.test(l));
    expect(links[0]).toMatch(/^ {2}Console +http:\/\/127\.0\.0\.1:\d+\/#token=\S+$/);
    const consoleUrl = new URL(links[0]!.trim().split(/\s+/)[1]!);
    expect(consoleUrl.pathname).toBe('/');
    expect(new URLSearchParams(consoleUrl.hash.slice(1)).get('token')).toBe(token);
    const page = await fetch(consoleUrl);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    // The console, or (in a checkout where it was never built) the page that says how to build it.
    expect([200, 503]).toContain(page.status);

    const curls = io.out.split('\n').filter((l) => l.trim().startsWith('curl '));
    expect(curls).toHaveLength(3);
    const [topology, restart, watch] = curls.map(parseCurl) as [ReturnType<typeof parseCurl>, ReturnType<typeof parseCurl>, ReturnType<typeof parseCurl>];
    expect(watch.stream).toBe(true);
    const post = async (c: ReturnType<typeof parseCurl>) => {
      const res = await fetch(c.url, { method: 'POST', headers: { authorization: `Bearer ${c.token}`, 'content-type': 'application/json' }, body: c.body });
      return (await res.json()) as any;
    };

    const topo = await post(topology);
    expect(topo.errors).toBeUndefined();
    expect(topo.data.clusters.edges.map((e: any) => [e.node.name, e.node.health, e.node.workerCount])).toEqual([
      ['as-1', 'HEALTHY', 4],
      ['esb-1', 'HEALTHY', 3],
    ]);

    // The printed subscription, over the WebSocket as GraphiQL runs it, then the printed restart.
    const base = topology.url.replace(/\/graphql$/, '');
    const client = wsClient(base, token);
    const query = (JSON.parse(watch.body) as { query: string }).query;
    const sub = await subscribeReady<{ commandUpdated: { state: string; steps: { memberId: string; state: string }[] } }>(base, client, query);
    try {
      const started = await post(restart);
      expect(started.data.restartCluster.__typename).toBe('CommandPayload');
      const done = await sub.waitFor((e) => e.commandUpdated.state === 'SUCCEEDED', 20_000);
      expect(done.commandUpdated.steps.map((s) => [s.memberId, s.state])).toEqual(['as-1-w01', 'as-1-w02', 'as-1-w03', 'as-1-w04'].map((m) => [m, 'SUCCEEDED']));
    } finally {
      sub.close();
      await client.dispose();
    }

    lab.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(io.err).toContain('lab: interrupted: stopping the fleet (2 managers), then the OC');
    expect(io.err).toContain('lab: OC stopped');
    earlier = { env, args };
  }, 120_000); // the OC's first start on an empty PGlite folder is most of it (seconds; more on a busy machine)

  it('starts again on the database of an earlier run: its clusters, bound to the earlier enrollment token, are released to the new one', async () => {
    // On the first test's database when it ran (one lab run less), else on a fresh one twice.
    const { env, args } = earlier ?? (await labEnv());
    for (const run of earlier ? [2] : [1, 2]) {
      const { lab, exited, io } = await startLab(env, args, `run ${run}'s banner`);
      expect(io.out).toContain('as-1 (AS, 4 workers, HEALTHY), esb-1 (ESB, 3 workers, HEALTHY)');
      if (run === 2) expect(io.err).toContain("lab: 2 clusters of an earlier run released to this run's enrollment token");
      lab.kill('SIGINT');
      expect(await exited).toBe(0);
    }
  }, 180_000);
});
