/** `oc preview restart|deploy|patch`: what the rollout would run, before it is asked for (nothing is written). */
import { PreviewDeployQuery, PreviewPatchQuery, PreviewRestartQuery } from './documents.js';
import { type PatchFlags, parseArtifact, patchInput, type StrategyFlags, strategy } from './commands.js';
import { ok, resolveCluster } from './lib/api.js';
import { connect, type Globals, print } from './lib/command-kit.js';
import { duration, json, paint } from './lib/format.js';

interface Preview {
  waves: number;
  estimatedDurationMs?: number | null;
  warnings: string[];
  clusters: { wave: number; batches: string[][]; cluster: { name: string; workerCount: number } }[];
}

/** The preview as a person reads it: each cluster's batches (and a patch's waves), the estimate, the warnings. */
export function formatPreview(what: string, p: Preview, patch: boolean): string {
  const lines: string[] = [];
  const batches = p.clusters.reduce((n, c) => n + c.batches.length, 0);
  const estimate = p.estimatedDurationMs == null ? 'no estimate (no restart history yet)' : `about ${duration(p.estimatedDurationMs)}`;
  lines.push(`${what}: ${p.clusters.length === 1 ? '' : `${p.clusters.length} clusters in ${p.waves} waves, `}${batches} batches, ${estimate}`);
  for (const c of p.clusters) {
    if (patch) lines.push(`${paint(`wave ${c.wave}`, 'gray')} ${c.cluster.name} (${c.cluster.workerCount} workers)`);
    for (const [i, b] of c.batches.entries()) lines.push(`  batch ${String(i + 1).padEnd(3)} ${b.join(', ')}`);
  }
  if (p.warnings.length) {
    lines.push('Warnings:');
    for (const w of p.warnings) lines.push(`  ${paint('!', 'yellow')} ${w}`);
  }
  lines.push(paint('Nothing was started: run the same command without "preview" to do it.', 'gray'));
  return lines.join('\n');
}

function show(what: string, p: Preview, patch: boolean, g: Globals) {
  print(g.output === 'json' ? json(p) : formatPreview(what, p, patch));
}

export async function previewRestart(name: string, o: StrategyFlags, g: Globals) {
  const s = strategy(o);
  const a = await connect();
  const ref = await resolveCluster(a, name);
  const p = ok((await a.request(PreviewRestartQuery, { input: { clusterId: ref.id, strategy: s } })).previewRestart, 'RolloutPreview');
  show(`restart of ${ref.name}`, p, false, g);
}

export async function previewDeploy(name: string, o: StrategyFlags & { artifact?: string; url?: string; sha256?: string }, g: Globals) {
  const s = strategy(o);
  const artifact = parseArtifact(o);
  const a = await connect();
  const ref = await resolveCluster(a, name);
  const p = ok((await a.request(PreviewDeployQuery, { input: { clusterId: ref.id, artifact, strategy: s } })).previewDeploy, 'RolloutPreview');
  show(`deploy ${artifact.name}@${artifact.version} to ${ref.name}`, p, false, g);
}

export async function previewPatch(o: PatchFlags, g: Globals) {
  const input = patchInput(o);
  const a = await connect();
  const p = ok((await a.request(PreviewPatchQuery, { input })).previewPatch, 'RolloutPreview');
  show(`patch ${input.artifact.name}@${input.artifact.version}`, p, true, g);
}
