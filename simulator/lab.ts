/**
 * The whole system on a laptop, one command:
 *
 *   npm run lab [-- --scenario default|large|FILE] [--profile realistic|fast|chaos] [--seed N]
 *               [--port N] [--data-dir DIR] [--fresh] [--verbose]
 *
 * Starts an OC in this process (src/main.ts's startOc: embedded PGlite in ./.oc-data/lab, or
 * DATABASE_URL's PostgreSQL), makes an enrollment token and an OPERATOR token through the public
 * API, runs a simulated fleet against it, waits until every cluster registered, then prints the
 * console's link (signed in with the operator token), the GraphiQL URL, the token, the header to
 * paste, and three copy-paste operations (also as curl).
 * The fleet's live status line stays at the bottom. Ctrl-C / SIGTERM: fleet, then OC, exit 0.
 *
 * With rehearsal.ts, the only files of simulator/ that touch src/: through startOc, the OC's exported entry.
 */
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { type OcHandle, startOc } from '../src/main.js';
import { OptionError, parseOptions, profileOption, readOptions, SHARED_OPTIONS, seedOption, sharedUsage } from './args.js';
import { LiveStatus } from './cli.js';
import { banner, describeDatabase } from './lab-banner.js';
import { type Fleet, formatLog, startFleet } from './fleet.js';
import type { LogLevel } from './manager.js';
import { PROFILE_NAMES } from './profiles.js';

const shared = sharedUsage(21);

export const LAB_USAGE = `Usage: npm run lab [-- options]

${shared.scenario}
  --profile P           worker behaviour for every cluster: ${PROFILE_NAMES.join(', ')}; default: realistic
${shared.seed}
  --port N              the OC's port (default: PORT, else 4000; 0 picks a free one)
  --data-dir DIR        PGlite's folder (default ./.oc-data/lab; ignored when DATABASE_URL is set)
  --fresh               start from an empty PGlite folder (deletes --data-dir first)
  --verbose             also print the managers' info lines (registrations, tasks)
  --help

  DATABASE_URL=postgres://… npm run lab   runs the OC on that PostgreSQL database instead.`;

export class LabError extends Error {}

export interface LabOptions {
  scenario: string;
  profile: string;
  seed: number;
  seedGiven: boolean;
  port: number;
  dataDir: string;
  fresh: boolean;
  logLevel: LogLevel;
  help: boolean;
}

export function parseLabArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): LabOptions {
  const values = parseOptions(argv, {
    ...SHARED_OPTIONS,
    profile: { type: 'string', default: 'realistic' },
    port: { type: 'string' },
    'data-dir': { type: 'string', default: './.oc-data/lab' },
    fresh: { type: 'boolean', default: false },
  });
  const seedText = values['seed'] as string | undefined;
  const profile = profileOption(values['profile'] as string);
  const seed = seedOption(seedText);
  const portText = (values['port'] as string | undefined) ?? env['PORT'] ?? '4000';
  if (!/^\d+$/.test(portText) || Number(portText) > 65_535) {
    throw new OptionError(`--port must be a whole number from 0 to 65535, got "${portText}"`);
  }
  const dataDir = values['data-dir'] as string;
  if (dataDir.trim() === '') throw new OptionError('--data-dir must not be empty');
  const fresh = values['fresh'] === true;
  if (fresh && env['DATABASE_URL']) {
    throw new OptionError('--fresh empties the PGlite folder only; with DATABASE_URL, point it at an empty database instead');
  }
  return {
    scenario: values['scenario'] as string,
    profile,
    seed,
    seedGiven: seedText !== undefined,
    port: Number(portText),
    dataDir,
    fresh,
    logLevel: values['verbose'] ? 'info' : 'warn',
    help: values['help'] === true,
  };
}

// ── the operator's side of the API (what the lab does, and what it prints) ─────────────────────

async function operatorCall<T>(url: string, token: string, query: string, variables?: Record<string, unknown>): Promise<T> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: { message: string }[] };
  if (!res.ok || body.errors?.length || !body.data) {
    throw new Error(`the OC answered ${res.status}: ${body.errors?.map((e) => e.message).join('; ') ?? 'no data'}`);
  }
  return body.data;
}

const CREATE_TOKEN = /* GraphQL */ `mutation LabCreateToken($input: CreateApiTokenInput!) {
  createApiToken(input: $input) { __typename ... on ApiTokenPayload { token } ... on Error { code message } }
}`;

async function createToken(url: string, adminToken: string, name: string, role: 'OPERATOR' | 'MANAGER'): Promise<string> {
  const d = await operatorCall<{ createApiToken: { __typename: string; token?: string; message?: string } }>(url, adminToken, CREATE_TOKEN, {
    input: { name, role },
  });
  if (!d.createApiToken.token) throw new Error(`createApiToken (${role}): ${d.createApiToken.__typename}: ${d.createApiToken.message}`);
  return d.createApiToken.token;
}

const CLUSTER_NAMES_PAGE = /* GraphQL */ `query LabClusterNames($after: String) {
  clusters(first: 500, after: $after) { pageInfo { hasNextPage endCursor } edges { node { name } } }
}`;
const RELEASE_CLUSTER = /* GraphQL */ `mutation LabReleaseCluster($name: String!) {
  releaseCluster(name: $name) { __typename ... on Error { code message } }
}`;

/**
 * A cluster is bound to the enrollment token that registered it, and each lab run makes a new
 * one: the clusters an earlier run left in the database are released (as an admin would, with
 * releaseCluster), so that this run's managers may register them again. Returns how many.
 */
async function releaseEarlierClusters(url: string, adminToken: string, names: Set<string>): Promise<number> {
  const existing: string[] = [];
  let after: string | null = null;
  for (;;) {
    type Page = { clusters: { pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { node: { name: string } }[] } };
    const page: Page = await operatorCall<Page>(url, adminToken, CLUSTER_NAMES_PAGE, { after });
    existing.push(...page.clusters.edges.map((e) => e.node.name).filter((n) => names.has(n)));
    if (!page.clusters.pageInfo.hasNextPage) break;
    after = page.clusters.pageInfo.endCursor;
  }
  for (let i = 0; i < existing.length; i += 8) {
    await Promise.all(
      existing.slice(i, i + 8).map(async (name) => {
        const d = await operatorCall<{ releaseCluster: { __typename: string; message?: string } }>(url, adminToken, RELEASE_CLUSTER, { name });
        if (d.releaseCluster.__typename !== 'ReleaseClusterPayload') throw new Error(`releaseCluster ${name}: ${d.releaseCluster.message}`);
      }),
    );
  }
  return existing.length;
}

const CLUSTER_IDS = /* GraphQL */ `query LabClusters { clusters(first: 100) { edges { node { id name kind health workerCount } } } }`;

export interface ClusterRow {
  id: string;
  name: string;
  kind: string;
  health: string;
  workerCount: number;
}

async function listClusters(url: string, token: string): Promise<ClusterRow[]> {
  const d = await operatorCall<{ clusters: { edges: { node: ClusterRow }[] } }>(url, token, CLUSTER_IDS);
  return d.clusters.edges.map((e) => e.node);
}

export { consoleLink, curlCommand, labOperations } from './lab-banner.js';

// ── main ──────────────────────────────────────────────────────────────────────────────────────

async function main(): Promise<number> {
  const read = await readOptions('lab', parseLabArgs, LAB_USAGE);
  if (typeof read === 'number') return read;
  const { opts, scenario } = read;

  const startedAt = Date.now();
  const live = new LiveStatus({ logLevel: opts.logLevel, startedAt });
  let oc: OcHandle | null = null;
  let fleet: Fleet | null = null;
  let stopping: Promise<number> | null = null;

  /** Fleet first (its managers say goodbye to a live OC), then the OC. */
  const shutdown = (why: string, code: number): Promise<number> => {
    stopping ??= (async () => {
      live.stop();
      if (fleet || oc) process.stderr.write(`lab: ${why}: stopping ${fleet ? `the fleet (${fleet.managers.size} managers)${oc ? ', then ' : ''}` : ''}${oc ? 'the OC' : ''}…\n`);
      const deadline = setTimeout(() => {
        process.stderr.write('lab: still not stopped after 20 s; exiting anyway\n');
        process.exit(1);
      }, 20_000);
      deadline.unref();
      if (fleet) {
        const inv = fleet.invariants();
        await fleet.stop();
        const restarts = Object.values(inv.restarts).reduce((a, b) => a + b, 0);
        process.stderr.write(`lab: fleet stopped (${inv.tasks.length} tasks received, ${restarts} worker restarts; seed ${fleet.seed})\n`);
      }
      if (oc) {
        await oc.stop();
        process.stderr.write('lab: OC stopped\n');
      }
      clearTimeout(deadline);
      return code;
    })();
    return stopping;
  };
  let signals = 0;
  const onSignal = (name: string) => {
    signals++;
    if (signals > 1) {
      process.stderr.write('\nlab: second interrupt, exiting now\n');
      process.exit(130);
    }
    void shutdown(name, 0).then((code) => process.exit(code));
  };
  process.on('SIGINT', () => onSignal('interrupted'));
  process.on('SIGTERM', () => onSignal('terminated'));

  try {
    if (opts.fresh) {
      rmSync(resolve(opts.dataDir), { recursive: true, force: true });
      process.stderr.write(`lab: --fresh: emptied ${opts.dataDir}\n`);
    }
    process.stderr.write(`lab: starting the OC (${describeDatabase(opts)})…\n`);
    try {
      oc = await startOc({
        port: opts.port,
        host: process.env['HOST'] || '127.0.0.1',
        dataDir: opts.dataDir,
        logLevel: process.env['LOG_LEVEL'] ? undefined : 'warn',
      });
    } catch (err) {
      if ((err as { code?: string }).code === 'EADDRINUSE') {
        throw new LabError(`port ${opts.port} is in use (another OC or lab?): pass --port 0 for a free one, or --port N`);
      }
      throw err;
    }
    if (stopping) return await stopping;
    const ocUpInMs = Date.now() - startedAt;
    const url = oc.url;
    const stamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const enrollmentToken = await createToken(url, oc.adminToken, `lab enrollment ${stamp}`, 'MANAGER');
    const operatorToken = await createToken(url, oc.adminToken, `lab operator ${stamp}`, 'OPERATOR');
    const released = await releaseEarlierClusters(url, oc.adminToken, new Set(scenario.clusters.map((c) => c.name)));
    if (released > 0) process.stderr.write(`lab: ${released} clusters of an earlier run released to this run's enrollment token (releaseCluster)\n`);
    process.stderr.write(
      `lab: OC on ${url}/graphql; fleet: scenario ${scenario.name}, ${scenario.clusters.length} clusters, ` +
        `${scenario.totalWorkers} workers, profile ${opts.profile}, seed ${opts.seed}\n`,
    );

    fleet = startFleet({ url, enrollmentToken, scenario, profile: opts.profile, seed: opts.seed, log: live.onLog });
    live.attach(fleet);
    try {
      await fleet.ready({ timeoutMs: Math.max(60_000, scenario.clusters.length * 500) });
    } catch (err) {
      if (stopping) return await stopping;
      throw new LabError(`${(err as Error).message}\nrecent log:\n${formatLog(fleet.recentLog(20))}`);
    }
    live.registered();
    if (stopping) return await stopping;

    const registeredInMs = Date.now() - startedAt - ocUpInMs;
    const names = new Set(scenario.clusters.map((c) => c.name));
    const clusters = (await listClusters(url, operatorToken)).filter((c) => names.has(c.name));
    const order = scenario.clusters.map((c) => c.name);
    clusters.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
    const target = clusters.find((c) => c.kind === 'AS') ?? clusters[0];
    if (!target) throw new LabError(`the OC does not list the scenario's clusters (${[...names].slice(0, 5).join(', ')})`);
    live.clear();
    process.stdout.write(banner({ url, opts, scenario, operatorToken, adminToken: oc.adminToken, target, clusters, ocUpInMs, registeredInMs }));
    return await new Promise<number>(() => {}); // runs until a signal
  } catch (err) {
    if (stopping) return await stopping;
    live.stop();
    process.stderr.write(`lab: ${err instanceof LabError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return shutdown('failed', 1);
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`lab: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
