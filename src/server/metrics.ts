import client from 'prom-client';
import type { Db } from '../db/client.js';
import { countClusters, countConnectedManagers, countWorkersByState } from '../db/repositories/topology.js';

const MAX_OPERATION_LABELS = 200;

/** Prometheus metrics of one OC instance; gauges of the fleet are read from the database at scrape time. */
export function createMetrics(db: Db) {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'oc_process_' });
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
  const sockets = new client.Gauge({ name: 'oc_websockets_open', help: 'open graphql-ws connections', registers: [registry] });
  const subscriptions = new client.Gauge({ name: 'oc_subscriptions_active', help: 'active GraphQL subscriptions', registers: [registry] });
  new client.Gauge({
    name: 'oc_managers_connected',
    help: 'cluster managers currently connected',
    registers: [registry],
    async collect() {
      this.set(await countConnectedManagers(db));
    },
  });
  new client.Gauge({
    name: 'oc_clusters',
    help: 'clusters known to the OC',
    registers: [registry],
    async collect() {
      this.set(await countClusters(db));
    },
  });
  new client.Gauge({
    name: 'oc_workers',
    help: 'workers by state',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await countWorkersByState(db)) this.set({ state: r.state }, r.n);
    },
  });

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
    observe(operation: string | null | undefined, type: string, seconds: number, ok: boolean) {
      const op = label(operation);
      requests.inc({ operation: op, type, outcome: ok ? 'ok' : 'error' });
      latency.observe({ operation: op, type }, seconds);
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
