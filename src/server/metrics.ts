/** The Prometheus metrics of one OC instance, and the loop that keeps the fleet's gauges current. */
import { readFileSync } from 'node:fs';
import { BlockList } from 'node:net';
import client from 'prom-client';
import { parseAddressRange } from '../config.js';
import type { Database, Db } from '../db/client.js';
import { countCommandsByKindAndState } from '../db/repositories/commands.js';
import { countClusters, countConnectedManagers, countWorkersByState } from '../db/repositories/topology.js';
import { ROLLOUT_KINDS } from '../domain/rollout/kinds.js';
import { COMMAND_KINDS, COMMAND_STATES, TERMINAL_STEP_STATES } from '../domain/types.js';
import type { EventBus, Topic } from '../events/bus.js';
import type { Logger } from '../logger.js';
import type { Telemetry } from '../services/telemetry.js';

/** This build's version (package.json), read once. */
export const VERSION: string = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;

const MAX_OPERATION_LABELS = 200;
/** The fleet's gauges are read again at most this often when events say they changed... */
export const FLEET_REFRESH_MIN_MS = 1_000;
/** ...and this often in any case (changes made by other instances whose events were missed). */
export const FLEET_REFRESH_MS = 15_000;

/**
 * Prometheus metrics of one OC instance: the process and Node.js defaults under their standard
 * names (so stock Node.js dashboards work), the OC's own under `oc_`. A scrape reads no table:
 * the fleet's and the commands' gauges are kept by `refreshFleetGauges` (on events, at most once
 * a second, and on a timer), so any number of scrapers cost the database nothing.
 */
export function createMetrics(bus: EventBus, database: Pick<Database, 'listening'>) {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  new client.Gauge({ name: 'oc_build_info', help: 'the running build: always 1, labelled with its version', labelNames: ['version'] as const, registers: [registry] }).set({ version: VERSION }, 1);
  new client.Gauge({
    name: 'oc_event_bridge_connected',
    help: "1 while this instance hears other instances' events (its PostgreSQL LISTEN connection is up; always 1 on PGlite), 0 while it reconnects",
    registers: [registry],
    collect() {
      this.set(database.listening ? 1 : 0);
    },
  });
  const requests = new client.Counter({
    name: 'oc_graphql_requests_total',
    help: 'GraphQL operations executed, by operation name, type and outcome',
    labelNames: ['operation', 'type', 'outcome'] as const,
    registers: [registry],
  });
  const latency = new client.Histogram({
    name: 'oc_graphql_request_duration_seconds',
    help: 'GraphQL operation execution time, by operation name and type',
    labelNames: ['operation', 'type'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const compiledDocuments = new client.Counter({
    name: 'oc_graphql_compiled_documents_total',
    help: 'documents compiled by graphql-jit, on their second run (at most 10,000 a process; later ones stay with the executor)',
    registers: [registry],
  });
  const knownQueryAnswers = new client.Counter({
    name: 'oc_graphql_known_query_answers_total',
    help: 'queries answered again without yoga, as yoga answered them before (server/known-queries.ts); also counted in the operations',
    registers: [registry],
  });
  const sockets = new client.Gauge({ name: 'oc_websockets_open', help: 'open graphql-ws connections', registers: [registry] });
  const subscriptions = new client.Gauge({ name: 'oc_subscriptions_active', help: 'active GraphQL subscriptions', registers: [registry] });
  const managersConnected = new client.Gauge({ name: 'oc_managers_connected', help: 'cluster managers currently connected', registers: [registry] });
  const clusters = new client.Gauge({ name: 'oc_clusters', help: 'clusters known to the OC', registers: [registry] });
  const workers = new client.Gauge({ name: 'oc_workers', help: 'workers by state', labelNames: ['state'] as const, registers: [registry] });
  const commands = new client.Gauge({ name: 'oc_commands', help: 'commands by kind and state (all of them, finished ones included)', labelNames: ['kind', 'state'] as const, registers: [registry] });
  const subscriptionsByTopic = new client.Gauge({ name: 'oc_subscriptions', help: 'active GraphQL subscriptions, by topic (the root field)', labelNames: ['topic'] as const, registers: [registry] });
  const stepsFinished = new client.Counter({
    name: 'oc_steps_finished_total',
    help: 'rollout steps (one worker each) that ended, by command kind and outcome (SUCCEEDED, FAILED, SKIPPED)',
    labelNames: ['kind', 'outcome'] as const,
    registers: [registry],
  });
  const commandDuration = new client.Histogram({
    name: 'oc_command_duration_seconds',
    help: 'how long commands took, from start (or request, if never started) to their end, by kind and outcome (SUCCEEDED, FAILED, CANCELLED)',
    labelNames: ['kind', 'outcome'] as const,
    buckets: [0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 10800],
    registers: [registry],
  });
  const tasksDelivered = new client.Counter({ name: 'oc_tasks_delivered_total', help: 'tasks handed to managers on their task streams', registers: [registry] });
  const tasksRedelivered = new client.Counter({
    name: 'oc_tasks_redelivered_total',
    help: 'tasks handed to a manager again (it reconnected before finishing them); also counted in oc_tasks_delivered_total',
    registers: [registry],
  });
  // The bus counts; these read its counts at scrape time.
  const byTopic = (name: string, help: string, counts: Map<Topic, number>) =>
    new client.Counter({
      name,
      help,
      labelNames: ['topic'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const [topic, n] of counts) this.inc({ topic }, n);
      },
    });
  byTopic('oc_events_published_total', 'events published by this instance, by topic', bus.counts.published);
  byTopic('oc_events_delivered_total', "events handed to this instance's subscribers (its own and other instances'), by topic", bus.counts.delivered);
  for (const kind of ROLLOUT_KINDS) for (const outcome of TERMINAL_STEP_STATES) stepsFinished.inc({ kind, outcome }, 0);

  const telemetry: Telemetry = {
    commandFinished: (kind, outcome, seconds) => commandDuration.observe({ kind, outcome }, seconds),
    stepsFinished: (kind, outcome, n) => stepsFinished.inc({ kind, outcome }, n),
    tasksDelivered: (delivered, redelivered) => {
      tasksDelivered.inc(delivered);
      if (redelivered > 0) tasksRedelivered.inc(redelivered);
    },
  };

  const seen = new Set<string>();
  const label = (name: string | null | undefined) => {
    const n = name || 'anonymous';
    if (seen.has(n)) return n;
    if (seen.size >= MAX_OPERATION_LABELS) return 'other';
    seen.add(n);
    return n;
  };

  return {
    registry,
    sockets,
    subscriptions,
    compiledDocuments,
    knownQueryAnswers,
    telemetry,
    subscriptionStarted(topic: string) {
      subscriptions.inc();
      subscriptionsByTopic.inc({ topic });
    },
    subscriptionEnded(topic: string) {
      subscriptions.dec();
      subscriptionsByTopic.dec({ topic });
    },
    setCommands(rows: { kind: string; state: string; n: number }[]) {
      // Every kind and state, 0 when there is none: series do not vanish and come back.
      for (const kind of COMMAND_KINDS) for (const state of COMMAND_STATES) commands.set({ kind, state }, 0);
      for (const r of rows) commands.set({ kind: r.kind, state: r.state }, r.n);
    },
    setFleet(f: { managersConnected: number; clusters: number; workersByState: { state: string; n: number }[] }) {
      managersConnected.set(f.managersConnected);
      clusters.set(f.clusters);
      workers.reset();
      for (const r of f.workersByState) workers.set({ state: r.state }, r.n);
    },
    observe(operation: string | null | undefined, type: string, seconds: number, ok: boolean) {
      const op = label(operation);
      requests.inc({ operation: op, type, outcome: ok ? 'ok' : 'error' });
      latency.observe({ operation: op, type }, seconds);
    },
    /**
     * observe(operation, type, seconds, true) for one operation, its series looked up once (prom-client
     * hashes the labels on every call otherwise): for the known queries (known-queries.ts), one per query.
     */
    succeeded(operation: string | null | undefined, type: string): (seconds: number) => void {
      const op = label(operation);
      const count = requests.labels({ operation: op, type, outcome: 'ok' });
      const time = latency.labels({ operation: op, type });
      return (seconds) => {
        count.inc();
        time.observe(seconds);
      };
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * Keeps the fleet's gauges current: read from the database when an event says the fleet changed
 * (at most once every FLEET_REFRESH_MIN_MS), and every FLEET_REFRESH_MS whatever happens.
 */
export function refreshFleetGauges(deps: { db: Db; bus: EventBus; metrics: Metrics; logger: Logger }) {
  let timer: NodeJS.Timeout | null = null;
  let last = 0;
  let running: Promise<void> | null = null;
  let stopped = false;
  let again = false;
  const schedule = (ms: number) => {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void run(), ms);
    timer.unref?.();
  };
  const run = async () => {
    timer = null;
    if (running) {
      again = true;
      return;
    }
    last = Date.now();
    running = (async () => {
      try {
        const [managersConnected, clusters, workersByState, commands] = await Promise.all([
          countConnectedManagers(deps.db),
          countClusters(deps.db),
          countWorkersByState(deps.db),
          countCommandsByKindAndState(deps.db),
        ]);
        deps.metrics.setFleet({ managersConnected, clusters, workersByState });
        deps.metrics.setCommands(commands);
      } catch (err) {
        if (!stopped) deps.logger.warn('could not refresh the fleet gauges', { err });
      }
    })();
    await running;
    running = null;
    schedule(again ? FLEET_REFRESH_MIN_MS : FLEET_REFRESH_MS);
    again = false;
  };
  /** Soon, but not sooner than FLEET_REFRESH_MIN_MS after the last read. */
  const soon = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    schedule(Math.max(0, last + FLEET_REFRESH_MIN_MS - Date.now()));
  };
  // Listening starts with the loop: an OC started without background work reads no table by itself.
  let offs: (() => void)[] = [];
  return {
    start: () => {
      offs = (['membership', 'topology', 'health', 'command', 'resync'] as const).map((topic) => deps.bus.on(topic, soon));
      schedule(0);
    },
    async stop() {
      stopped = true;
      for (const off of offs) off();
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}

/**
 * Who may read /metrics without a token: requests from these addresses or ranges (OC_METRICS_ALLOW).
 * An IPv4 address seen as IPv6 (::ffff:127.0.0.1) is matched as IPv4.
 */
export function metricsAllowList(entries: string[]): (remoteAddress: string | undefined) => boolean {
  const list = new BlockList();
  for (const e of entries) {
    const r = parseAddressRange(e);
    if (!r) throw new Error(`not an IP address or CIDR range: ${e}`);
    list.addSubnet(r.address, r.prefix, r.family === 4 ? 'ipv4' : 'ipv6');
  }
  return (remote) => {
    if (!remote) return false;
    const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remote)?.[1];
    if (v4) return list.check(v4, 'ipv4');
    return list.check(remote, remote.includes(':') ? 'ipv6' : 'ipv4');
  };
}
