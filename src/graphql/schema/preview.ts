/**
 * Previews of the rollout mutations (previewRestart, previewDeploy, previewPatch) and a
 * cluster's observed restart times (Cluster.restartTimings), which the previews' estimates and
 * `npm run rehearse` read.
 */
import { restartTimings } from '../../domain/rollout/preview.js';
import type { Cluster } from '../../domain/types.js';
import type { RolloutPreview } from '../../services/preview-service.js';
import { builder } from '../builder.js';
import { ClusterRef } from './cluster.js';
import { clusterIdOf, DeployArtifactInput, DeployPatchInput, RestartClusterInput } from './command.js';
import { asResult, ConflictErrorRef, NotFoundErrorRef, payload, resultUnion, ValidationErrorRef } from './errors.js';

const RestartTimingsRef = builder.objectRef<ReturnType<typeof restartTimings>>('RestartTimings').implement({
  description: "a cluster's observed restart times: from a batch's task handed to the manager to the OC seeing the worker RUNNING again (a soak not counted), over its latest restarts",
  fields: (t) => ({
    samples: t.exposeInt('samples', { description: 'how many restarts these figures come from (at most 50, the latest)' }),
    medianMs: t.exposeInt('medianMs', { nullable: true, description: 'null without samples' }),
    p90Ms: t.exposeInt('p90Ms', { nullable: true, description: 'null without samples' }),
  }),
});

builder.objectField(ClusterRef, 'restartTimings', (t) =>
  t.field({
    type: RestartTimingsRef,
    description: 'observed restart times (from its own rollouts), which previews estimate with',
    resolve: async (c, _a, ctx) => restartTimings(await ctx.loaders.restartSamples.load(c.id)),
  }),
);

const ClusterPreviewRef = builder.objectRef<{ cluster: Cluster; wave: number; batches: string[][] }>('ClusterPreview').implement({
  fields: (t) => ({
    cluster: t.field({ type: ClusterRef, resolve: (c) => c.cluster }),
    wave: t.exposeInt('wave', { description: 'the PATCH wave it starts in, 1-based (maxParallelClusters clusters a wave); 1 for one cluster' }),
    batches: t.field({ type: t.listRef(t.listRef('String')), description: 'memberIds per batch, in order (the canary batch first)', resolve: (c) => c.batches }),
  }),
});

const RolloutPreviewRef = builder.objectRef<RolloutPreview>('RolloutPreview').implement({
  description: 'what the same input to the mutation would run now; nothing is written',
  fields: (t) => ({
    clusters: t.field({ type: [ClusterPreviewRef], description: 'in the order the rollout goes through them', resolve: (p) => p.clusters }),
    waves: t.exposeInt('waves'),
    estimatedDurationMs: t.exposeInt('estimatedDurationMs', { nullable: true, description: "from the clusters' observed restart times and the strategy; null without history" }),
    warnings: t.exposeStringList('warnings', { description: 'what an operator should know before pressing the button' }),
  }),
});

const PreviewResult = resultUnion('PreviewResult', RolloutPreviewRef, [ValidationErrorRef, NotFoundErrorRef, ConflictErrorRef]);
const previewPayload = (p: RolloutPreview) => payload('RolloutPreview', p);

builder.queryFields((t) => ({
  previewRestart: t.field({
    type: PreviewResult,
    authScopes: { viewer: true },
    description: 'the batches restartCluster would run with this input, its errors, an estimate and warnings; writes nothing',
    args: { input: t.arg({ type: RestartClusterInput, required: true }) },
    resolve: (_r, { input }, ctx) => asResult(async () => previewPayload(await ctx.services.previews.previewRestart({ clusterId: clusterIdOf(input.clusterId), strategy: input.strategy }))),
  }),
  previewDeploy: t.field({
    type: PreviewResult,
    authScopes: { viewer: true },
    description: 'as previewRestart, for deployArtifact',
    args: { input: t.arg({ type: DeployArtifactInput, required: true }) },
    resolve: (_r, { input }, ctx) =>
      asResult(async () => previewPayload(await ctx.services.previews.previewDeploy({ clusterId: clusterIdOf(input.clusterId), artifact: input.artifact, strategy: input.strategy }))),
  }),
  previewPatch: t.field({
    type: PreviewResult,
    authScopes: { viewer: true },
    description: 'as previewRestart, for deployPatch: every cluster with its wave and batches',
    args: { input: t.arg({ type: DeployPatchInput, required: true }) },
    resolve: (_r, { input }, ctx) => asResult(async () => previewPayload(await ctx.services.previews.previewPatch(input))),
  }),
}));
