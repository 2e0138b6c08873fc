import type { DeployedArtifact, Worker } from '../../domain/types.js';
import { builder } from '../builder.js';
import { listSizeExtensions, WORKER_ARTIFACTS } from '../ids.js';
import { WorkerStateEnum } from './enums.js';
import { StatsRef } from './stats.js';
import { ClusterRef } from './cluster.js';

export const DeployedArtifactRef = builder.objectRef<DeployedArtifact>('DeployedArtifact').implement({
  fields: (t) => ({
    name: t.exposeString('name'),
    version: t.exposeString('version'),
    deployedAt: t.field({ type: 'DateTime', resolve: (a) => a.deployedAt }),
  }),
});

export const WorkerRef = builder.objectRef<Worker>('Worker');

builder.node(WorkerRef, {
  id: { resolve: (w) => w.id },
  loadMany: (ids, ctx) => ctx.loaders.worker.loadMany(ids) as Promise<(Worker | null)[]>,
  fields: (t) => ({
    cluster: t.field({ type: ClusterRef, resolve: async (w, _a, ctx) => (await ctx.loaders.cluster.load(w.clusterId))! }),
    memberId: t.exposeString('memberId', { description: "the manager's own name for it; unique in its cluster" }),
    host: t.exposeString('host'),
    port: t.exposeInt('port', { nullable: true }),
    state: t.field({ type: WorkerStateEnum, resolve: (w) => w.state }),
    startedAt: t.field({ type: 'DateTime', nullable: true, description: 'when its process last started (a restart shows as a new value)', resolve: (w) => w.startedAt }),
    joinedAt: t.field({ type: 'DateTime', resolve: (w) => w.joinedAt }),
    stateChangedAt: t.field({ type: 'DateTime', resolve: (w) => w.stateChangedAt }),
    artifacts: t.field({ type: [DeployedArtifactRef], extensions: listSizeExtensions(WORKER_ARTIFACTS), resolve: (w) => w.artifacts }),
    stats: t.field({ type: StatsRef, nullable: true, description: 'its latest sample', resolve: (w) => w.stats }),
  }),
});

export const WorkerConnection = builder.connectionObject({ type: WorkerRef, name: 'WorkerConnection' }, { name: 'WorkerEdge' });
