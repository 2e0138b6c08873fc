/**
 * The topology store in one namespace (`import * as topo`), for services that use several of
 * its parts. Each part is a file of ./topology/: clusters and their aggregates (aggregates.ts) and page
 * (cluster-page.ts), managers, workers, the hot keyed reads
 * (keyed-reads.ts), the writes of manager reports (reports.ts), the packed worker page (worker-page.ts) and the health rule as SQL (health.ts).
 */
export * from './topology/aggregates.js';
export * from './topology/cluster-page.js';
export * from './topology/clusters.js';
export * from './topology/keyed-reads.js';
export * from './topology/managers.js';
export * from './topology/reports.js';
export * from './topology/workers.js';
export type { WorkerPage } from './topology/worker-page.js';
