/**
 * The fleet as the console holds it: every cluster's summary and worker states, read page by page
 * (list), then kept true by the membership, topology and command subscriptions (watch). A
 * plain store outside React, so 100 events a second patch a map rather than re-render the world:
 * subscribers are told at most once per animation frame.
 */
import type { Client } from '@urql/core';
import { type FragmentType, graphql, readFragment } from '../gql';
import { naturalCompare, TERMINAL } from '../lib/format';
import { STRIP_BATCH } from '../lib/batches';

export const FleetClusterFragment = graphql(`
  fragment FleetCluster on Cluster {
    id
    name
    kind
    health
    workerCount
    manager { connected host }
    artifacts { name version workerCount }
    stats { cpuPercent requestsPerSec }
  }
`);

// Worker strips are read apart from the list, for the rows in view first: 2,000 clusters of 50
// workers are 100,000 cells, and the list must not wait for them.
const FleetStripsQuery = graphql(`
  query FleetStrips($ids: [ID!]!) {
    nodes(ids: $ids) {
      ... on Cluster {
        id
        workers(first: 1000) { edges { node { memberId state } } }
      }
    }
  }
`);

const FleetPageQuery = graphql(`
  query FleetPage($first: Int!, $after: String) {
    clusters(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { ...FleetCluster } }
    }
  }
`);

const FleetClusterQuery = graphql(`
  query FleetClusterOne($id: ID!) {
    cluster(id: $id) { ...FleetCluster }
  }
`);

const ActiveCommandFragment = graphql(`
  fragment ActiveCommand on Command {
    id
    kind
    state
    message
    cluster { id }
    progress { total pending running succeeded failed skipped }
  }
`);

const ActiveCommandsQuery = graphql(`
  query FleetActiveCommands {
    running: commands(first: 500, state: RUNNING) { edges { node { ...ActiveCommand } } }
    paused: commands(first: 500, state: PAUSED) { edges { node { ...ActiveCommand } } }
    pending: commands(first: 500, state: PENDING) { edges { node { ...ActiveCommand } } }
  }
`);

export const FleetMembershipSubscription = graphql(`
  subscription FleetMembership {
    membershipChanged {
      change
      cluster { id health workerCount }
      worker { id memberId state }
    }
  }
`);

export const FleetTopologySubscription = graphql(`
  subscription FleetTopology {
    topologyChanged {
      change
      at
      cluster { id health manager { id connected } }
    }
  }
`);

export const FleetCommandSubscription = graphql(`
  subscription FleetCommands {
    commandUpdated { ...ActiveCommand }
  }
`);

export interface FleetWorker {
  memberId: string;
  state: string;
}

export interface FleetCommand {
  id: string;
  kind: string;
  state: string;
  message: string | null;
  progress: { total: number; pending: number; running: number; succeeded: number; failed: number; skipped: number };
}

export interface FleetRow {
  id: string;
  name: string;
  kind: string;
  health: string;
  workerCount: number;
  manager: { connected: boolean; host: string } | null;
  artifacts: { name: string; version: string; workerCount: number }[];
  /** name → versions, for artifacts running in more than one version */
  skew: Map<string, string[]>;
  stats: { cpuPercent: number; requestsPerSec: number } | null;
  /** null until its strip is read */
  workers: FleetWorker[] | null;
  command: FleetCommand | null;
}

export interface FleetSnapshot {
  rows: FleetRow[];
  loaded: boolean;
  total: number;
  error: string | null;
  version: number;
}

const PAGE = 500;

function toRow(f: FragmentType<typeof FleetClusterFragment>): FleetRow {
  const c = readFragment(FleetClusterFragment, f);
  const byName = new Map<string, string[]>();
  for (const a of c.artifacts) byName.set(a.name, [...(byName.get(a.name) ?? []), a.version]);
  const skew = new Map([...byName].filter(([, v]) => v.length > 1));
  return {
    id: c.id,
    name: c.name,
    kind: c.kind,
    health: c.health,
    workerCount: c.workerCount,
    manager: c.manager ? { connected: c.manager.connected, host: c.manager.host } : null,
    artifacts: c.artifacts,
    skew,
    stats: c.stats ?? null,
    workers: null,
    command: null,
  };
}

export class FleetStore {
  private rows = new Map<string, FleetRow>();
  private commands = new Map<string, FleetCommand & { clusterId: string }>();
  private byCluster = new Map<string, Map<string, FleetCommand>>();
  private sorted: FleetRow[] = [];
  private dirtyOrder = true;
  private snapshot: FleetSnapshot = { rows: [], loaded: false, total: 0, error: null, version: 0 };
  private listeners = new Set<() => void>();
  private frame: number | null = null;
  private loadSeq = 0;
  private stale = new Set<string>();
  private wanted: string[] = [];
  private stripsInFlight = 0;
  private disposed = false;
  private loaded = false;
  private total = 0;
  private error: string | null = null;

  constructor(private readonly client: Client) {}

  subscribe = (l: () => void) => {
    this.listeners.add(l);
    return () => {
      this.listeners.delete(l);
    };
  };

  getSnapshot = () => this.snapshot;

  /** List: every page of clusters, then the commands in flight. Replaces what was held. */
  async load(): Promise<void> {
    const seq = ++this.loadSeq;
    const fresh = new Map<string, FleetRow>();
    let after: string | null = null;
    try {
      for (;;) {
        const r = await this.client.query(FleetPageQuery, { first: PAGE, after }, { requestPolicy: 'network-only' }).toPromise();
        if (seq !== this.loadSeq) return;
        if (r.error || !r.data) throw new Error(r.error?.message ?? 'no data');
        for (const e of r.data.clusters.edges) {
          const row = toRow(e.node);
          const held = this.rows.get(row.id);
          row.command = held?.command ?? null;
          row.workers = held?.workers ?? null;
          fresh.set(row.id, row);
        }
        this.total = r.data.clusters.totalCount;
        // Show the first pages while the rest arrive.
        if (!this.loaded) {
          this.rows = new Map([...this.rows, ...fresh]);
          this.dirtyOrder = true;
          this.emit();
        }
        if (!r.data.clusters.pageInfo.hasNextPage) break;
        after = r.data.clusters.pageInfo.endCursor ?? null;
      }
      this.rows = fresh;
      // Every strip is re-read (those in view first): what was held may be stale.
      this.stale = new Set(fresh.keys());
      this.pumpStrips();
      const c = await this.client.query(ActiveCommandsQuery, {}, { requestPolicy: 'network-only' }).toPromise();
      if (seq !== this.loadSeq) return;
      this.commands.clear();
      this.byCluster.clear();
      if (c.data) {
        for (const group of [c.data.running, c.data.paused, c.data.pending]) for (const e of group.edges) this.applyCommand(readFragment(ActiveCommandFragment, e.node));
      }
      this.loaded = true;
      this.error = null;
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
    }
    this.dirtyOrder = true;
    this.emit();
  }

  applyMembership(ev: { change: string; cluster: { id: string; health: string; workerCount: number }; worker: FleetWorker }) {
    const row = this.rows.get(ev.cluster.id);
    if (!row) return;
    const next: FleetRow = { ...row, health: ev.cluster.health, workerCount: ev.cluster.workerCount };
    const held = row.workers;
    const worker = { memberId: ev.worker.memberId, state: ev.worker.state };
    const i = held ? held.findIndex((w) => w.memberId === worker.memberId) : -1;
    if (!held) {
      // not read yet: it will be, whole
    } else if (ev.change === 'LEFT') {
      next.workers = i >= 0 ? held.filter((_, j) => j !== i) : held;
    } else if (i >= 0) {
      next.workers = held.slice();
      next.workers[i] = worker;
    } else {
      next.workers = [...held, worker].sort((a, b) => naturalCompare(a.memberId, b.memberId));
    }
    this.rows.set(row.id, next);
    this.emit();
  }

  async applyTopology(ev: { change: string; cluster: { id: string; health: string; manager: { connected: boolean } | null } }) {
    if (ev.change === 'CLUSTER_REMOVED') {
      this.rows.delete(ev.cluster.id);
      this.dirtyOrder = true;
      this.emit();
      return;
    }
    const row = this.rows.get(ev.cluster.id);
    if (row && ev.change !== 'CLUSTER_ADDED') {
      this.rows.set(row.id, {
        ...row,
        health: ev.cluster.health,
        manager: row.manager && ev.cluster.manager ? { ...row.manager, connected: ev.cluster.manager.connected } : row.manager,
      });
      this.emit();
    }
    // A new cluster, or a manager back (it registered again: its membership may be new): re-read it.
    if (ev.change === 'CLUSTER_ADDED' || ev.change === 'MANAGER_CONNECTED') {
      const r = await this.client.query(FleetClusterQuery, { id: ev.cluster.id }, { requestPolicy: 'network-only' }).toPromise();
      if (r.data?.cluster) {
        const fresh = toRow(r.data.cluster);
        fresh.command = this.rows.get(fresh.id)?.command ?? this.activeFor(fresh.id);
        fresh.workers = this.rows.get(fresh.id)?.workers ?? null;
        if (!this.rows.has(fresh.id)) this.dirtyOrder = true;
        this.rows.set(fresh.id, fresh);
        this.stale.add(fresh.id);
        this.wanted.unshift(fresh.id);
        this.pumpStrips();
        this.emit();
      }
    }
  }

  applyCommand(c: { id: string; kind: string; state: string; message?: string | null; cluster?: { id: string } | null; progress: FleetCommand['progress'] }) {
    const clusterId = c.cluster?.id;
    if (!clusterId) return;
    const cmd = { id: c.id, kind: c.kind, state: c.state, message: c.message ?? null, progress: c.progress, clusterId };
    const set = this.byCluster.get(clusterId) ?? new Map<string, FleetCommand>();
    if (TERMINAL.has(c.state)) {
      this.commands.delete(c.id);
      set.delete(c.id);
    } else {
      this.commands.set(c.id, cmd);
      set.set(c.id, cmd);
    }
    if (set.size) this.byCluster.set(clusterId, set);
    else this.byCluster.delete(clusterId);
    const row = this.rows.get(clusterId);
    if (row) {
      this.rows.set(clusterId, { ...row, command: this.activeFor(clusterId) ?? (row.command?.id === c.id ? null : row.command) });
      this.emit();
    }
  }

  /** The rows in view: their strips are read before the others. */
  want(ids: string[]) {
    this.wanted = ids.filter((id) => this.stale.has(id));
    this.pumpStrips();
  }

  /** Reads stale strips, those wanted first, then the rest in the background; two requests in flight at most. */
  private pumpStrips() {
    while (!this.disposed && this.stripsInFlight < 2 && this.stale.size > 0) {
      const ids: string[] = [];
      for (const id of this.wanted) if (this.stale.has(id) && ids.length < STRIP_BATCH) ids.push(id);
      this.wanted = this.wanted.filter((id) => !ids.includes(id));
      if (ids.length < STRIP_BATCH) {
        for (const r of this.sorted.length ? this.sorted : this.rows.values()) {
          if (ids.length >= STRIP_BATCH) break;
          if (this.stale.has(r.id) && !ids.includes(r.id)) ids.push(r.id);
        }
        for (const id of this.stale) {
          if (ids.length >= STRIP_BATCH) break;
          if (!ids.includes(id)) ids.push(id);
        }
      }
      for (const id of ids) this.stale.delete(id);
      this.stripsInFlight++;
      const seq = this.loadSeq;
      void this.client
        .query(FleetStripsQuery, { ids }, { requestPolicy: 'network-only' })
        .toPromise()
        .then((r) => {
          if (seq !== this.loadSeq) return;
          if (!r.data) {
            for (const id of ids) this.stale.add(id);
            return;
          }
          for (const n of r.data.nodes) {
            if (!n || !('workers' in n)) continue;
            const row = this.rows.get(n.id);
            if (row) this.rows.set(n.id, { ...row, workers: n.workers.edges.map((e) => e.node).sort((a, b) => naturalCompare(a.memberId, b.memberId)) });
          }
          this.emit();
        })
        .finally(() => {
          this.stripsInFlight--;
          if (!this.disposed) setTimeout(() => this.pumpStrips(), 0);
        });
    }
  }

  /** The command to show on a cluster's row: one that runs (or holds) before one that waits its turn. */
  private activeFor(clusterId: string): FleetCommand | null {
    const set = this.byCluster.get(clusterId);
    if (!set) return null;
    let found: FleetCommand | null = null;
    for (const c of set.values()) if (!found || (found.state === 'PENDING' && c.state !== 'PENDING')) found = c;
    return found;
  }

  private emit() {
    if (this.frame != null) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = null;
      if (this.dirtyOrder) {
        this.sorted = [...this.rows.values()].sort((a, b) => naturalCompare(a.name, b.name));
        this.dirtyOrder = false;
      } else {
        this.sorted = this.sorted.map((r) => this.rows.get(r.id) ?? r);
      }
      for (const r of this.sorted) if (!r.command) r.command = this.activeFor(r.id);
      this.snapshot = { rows: this.sorted, loaded: this.loaded, total: this.total, error: this.error, version: this.snapshot.version + 1 };
      for (const l of this.listeners) l();
    });
  }

  dispose() {
    this.disposed = true;
    this.loadSeq++;
    if (this.frame != null) cancelAnimationFrame(this.frame);
    this.listeners.clear();
  }
}
